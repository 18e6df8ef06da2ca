"""Tidy tables: the Arrow capsule object, pyarrow / pandas / polars conversions, missing optional packages."""

import datetime as dt
import sys

import pytest

import phrkit

UTC = dt.timezone.utc


def test_capsule_table_without_any_arrow_library(lifelog: phrkit.Dataset) -> None:
    assert lifelog.tables() == [
        "measurements",
        "subjects",
        "checkups",
        "medications",
        "immunizations",
        "expenses",
    ]
    t = lifelog.table()
    assert (t.name, t.num_rows, len(t)) == ("measurements", 5, 5)
    assert t.column_names[:6] == ["subject_index", "kind", "start", "end", "utc_offset_seconds", "date"]
    assert type(t.__arrow_c_stream__()).__name__ == "PyCapsule"
    assert type(t.__arrow_c_schema__()).__name__ == "PyCapsule"
    assert lifelog.table("subjects").num_rows == 1
    assert "rows=5" in repr(t)
    assert lifelog.table("checkups").num_rows == 0
    with pytest.raises(phrkit.ApiMisuseError, match="tables are measurements, subjects, checkups"):
        lifelog.table("claims")  # type: ignore[arg-type]


def test_to_arrow_types_and_values(lifelog: phrkit.Dataset) -> None:
    pa = pytest.importorskip("pyarrow")
    t = lifelog.to_arrow()
    s = t.schema
    assert s.field("start").type == pa.timestamp("us", tz="UTC")
    assert s.field("end").type == pa.timestamp("us", tz="UTC")
    assert s.field("utc_offset_seconds").type == pa.int32()
    assert s.field("date").type == pa.date32()
    assert s.field("value").type == pa.float64()
    assert s.field("systolic").type == pa.float64()
    assert s.field("kind").type == pa.string()
    assert s.field("subject_index").type == pa.int64()
    cols = t.to_pydict()
    assert cols["kind"] == ["stepCount", "bodyMass", "bloodPressure", "heartRate", "bodyTemperature"]
    assert cols["start"][1] == dt.datetime(2025, 2, 28, 22, 5, tzinfo=UTC)
    assert cols["utc_offset_seconds"] == [32400, 32400, 32400, 0, None]
    assert cols["date"] == [dt.date(2025, 3, 1)] * 3 + [dt.date(2025, 3, 2), dt.date(2025, 3, 3)]
    assert cols["value"] == [812.0, 52.3, None, 61.0, 36.5]
    assert cols["unit"] == ["{steps}", "kg", "mm[Hg]", "/min", "Cel"]
    assert (cols["systolic"][2], cols["diastolic"][2]) == (128.0, 82.0)
    assert cols["source_name"] == [None, None, "OMRON connect", "OMRON connect", None]
    assert cols["device_model"][2] == "HCR-0000"
    assert cols["subject_index"] == [0] * 5
    assert t.equals(pa.table(lifelog.table()))  # the capsule object feeds pyarrow directly


def test_subjects_table(lifelog: phrkit.Dataset) -> None:
    pytest.importorskip("pyarrow")
    (row,) = lifelog.to_arrow("subjects").to_pylist()
    assert row == {
        "subject_index": 0,
        "insured_id": "00012345:ABC:9999:01",
        "name_kanji": "試験 花子",
        "name_kana": "シケン ハナコ",
        "birth_date": dt.date(1980, 4, 1),
        "sex": "female",
        "postal_code": "100-0001",
        "prefecture": "東京都",
        "address": "千代田区架空1-1",
        "identifier_count": 0,
    }


def test_to_pandas(lifelog: phrkit.Dataset) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = lifelog.to_pandas()
    assert len(df) == 5
    assert isinstance(df["start"].dtype, pd.DatetimeTZDtype)
    assert str(df["start"].dt.tz) == "UTC"
    assert df.loc[1, "start"] == pd.Timestamp("2025-02-28T22:05:00Z")
    assert df["value"].dtype == "float64"
    assert df.loc[0, "value"] == 812.0
    local = df["start"] + pd.to_timedelta(df["utc_offset_seconds"], unit="s")
    assert local[1].tz_localize(None) == pd.Timestamp("2025-03-01T07:05:00")


def test_to_polars(lifelog: phrkit.Dataset) -> None:
    pl = pytest.importorskip("polars")
    df = lifelog.to_polars()
    assert df.height == 5
    assert df.schema["start"] == pl.Datetime("us", "UTC")
    assert df.schema["utc_offset_seconds"] == pl.Int32
    assert df.schema["date"] == pl.Date
    assert df["value"].to_list() == [812.0, 52.3, None, 61.0, 36.5]
    assert lifelog.to_polars("subjects")["sex"].to_list() == ["female"]


@pytest.mark.parametrize(
    ("method", "module"),
    [("to_arrow", "pyarrow"), ("to_pandas", "pandas"), ("to_pandas", "pyarrow"), ("to_polars", "polars")],
)
def test_clear_import_error_when_optional_package_missing(
    lifelog: phrkit.Dataset, monkeypatch: pytest.MonkeyPatch, method: str, module: str
) -> None:
    if method == "to_pandas" and module == "pyarrow":
        pytest.importorskip("pandas")  # pandas is checked first
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ImportError, match=f"Dataset.{method}\\(\\) needs the optional package '{module}'"):
        getattr(lifelog, method)()
