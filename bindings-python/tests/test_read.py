"""phrkit.read, Dataset, records, Report."""

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import phrkit

JST = dt.timezone(dt.timedelta(hours=9))


def test_read_counts_and_report_balance(lifelog: phrkit.Dataset) -> None:
    assert len(lifelog) == 6
    assert lifelog.by_type() == {
        "bloodPressure": 1,
        "bodyMass": 1,
        "bodyTemperature": 1,
        "heartRate": 1,
        "stepCount": 1,
        "subject": 1,
    }
    r = lifelog.report
    assert r.items_read == 8
    assert r.converted == 7  # 6 records + the Device absorbed as a source
    assert r.skipped == {"status-withdrawn": 1}
    assert r.skipped_total == 1
    assert r.is_balanced()
    assert r.issues == [
        {
            "severity": "error",
            "code": "status-withdrawn",
            "location": "line 7#/status",
            "message": "observation withdrawn by its source",
        }
    ]


def test_report_reads_like_a_dict(lifelog: phrkit.Dataset) -> None:
    r = lifelog.report
    assert r["converted"] == 7
    assert r["skipped"] == {"status-withdrawn": 1}
    assert set(r.keys()) == set(r.to_dict())
    assert r.to_dict()["items_read"] == 8
    with pytest.raises(KeyError):
        r["no-such-field"]
    assert "items_read=8" in repr(r)
    assert r == lifelog.report


def test_read_accepts_str_pathlike_bytes_and_bytearray(data_dir: Path) -> None:
    p = data_dir / "lifelog.ndjson"
    by_path = phrkit.read(p)
    assert phrkit.read(str(p)) == by_path
    assert phrkit.read(p.read_bytes()) == by_path
    assert phrkit.read(bytearray(p.read_bytes())) == by_path


def test_read_bundle_file_matches_ndjson(data_dir: Path, lifelog: phrkit.Dataset) -> None:
    bundle = phrkit.read(data_dir / "lifelog.bundle.json")
    assert bundle == lifelog
    assert bundle.report.items_read == 7  # the withdrawn observation was never written


def test_forced_format(data_dir: Path) -> None:
    raw = (data_dir / "lifelog.ndjson").read_bytes()
    assert len(phrkit.read(raw, format="fhir-ndjson")) == 6
    assert len(phrkit.read(raw, format="ndjson")) == 6
    with pytest.raises(phrkit.ApiMisuseError) as e:
        phrkit.read(raw, format="csv")  # type: ignore[arg-type]
    assert e.value.code == "api-misuse"
    assert e.value.location is None


def test_measurement_attributes(lifelog: phrkit.Dataset) -> None:
    steps, weight, bp, hr, temp = list(lifelog)[1:]
    assert isinstance(steps, phrkit.Measurement)
    assert steps.type == "measurement"
    assert steps.kind == "stepCount"
    assert steps.effective_type == "period"
    assert steps.start == dt.datetime(2025, 3, 1, 8, 0, tzinfo=JST)
    assert steps.start is not None and steps.start.utcoffset() == dt.timedelta(hours=9)
    assert steps.end == dt.datetime(2025, 3, 1, 9, 0, tzinfo=JST)
    assert steps.value == 812.0 and steps.unit == "{steps}"

    assert isinstance(weight, phrkit.Measurement)
    assert weight.effective_type == "instant"
    assert weight.start == weight.end == dt.datetime(2025, 3, 1, 7, 5, tzinfo=JST)
    assert weight.decimal == Decimal("52.30")
    assert str(weight.decimal) == "52.30"  # the written precision is kept
    assert weight.value == pytest.approx(52.3)
    assert weight.source is None and weight.source_name is None

    assert isinstance(bp, phrkit.Measurement)
    assert (bp.systolic, bp.diastolic, bp.unit, bp.value) == (128.0, 82.0, "mm[Hg]", None)
    assert bp.source == {
        "name": "OMRON connect",
        "version": "1.2.3",
        "device_name": "Synthetic Cuff",
        "device_manufacturer": "OMRON",
        "device_model": "HCR-0000",
        "device_hardware": None,
        "device_software": None,
    }
    assert bp.source_name == "OMRON connect"

    assert isinstance(hr, phrkit.Measurement)
    assert hr.start is not None and hr.start.utcoffset() == dt.timedelta(0)

    assert isinstance(temp, phrkit.Measurement)
    assert temp.effective_type == "date"
    assert temp.start is None and temp.end is None
    assert temp.date == dt.date(2025, 3, 3)
    assert (temp.value, temp.unit) == (36.5, "Cel")
    assert temp.recorded is None and temp.identifier is None
    assert temp.metadata == [] and temp.sleep_stages == [] and temp.workout is None
    assert temp.value_text is None


def test_measurement_equality_and_repr(lifelog: phrkit.Dataset) -> None:
    again = phrkit.read(lifelog.to_ndjson().encode())
    assert lifelog[1] == again[1]
    assert lifelog[1] != lifelog[2]
    assert repr(lifelog[2]) == (
        'Measurement(kind="bodyMass", effective="2025-03-01T07:05:00+09:00", value=52.30, unit="kg")'
    )
    assert repr(lifelog[3]).startswith('Measurement(kind="bloodPressure"')
    assert "value=128/82" in repr(lifelog[3])


def test_subject_attributes(lifelog: phrkit.Dataset) -> None:
    s = lifelog[0]
    assert isinstance(s, phrkit.Subject)
    assert s.type == "subject"
    assert s.insured_id == "00012345:ABC:9999:01"
    assert s.name_kanji == "試験 花子"
    assert s.name_kana == "シケン ハナコ"
    assert s.birth_date == dt.date(1980, 4, 1)
    assert s.sex == "female"
    assert (s.postal_code, s.prefecture, s.address) == ("100-0001", "東京都", "千代田区架空1-1")
    assert s.identifiers == []
    assert not s.is_empty()
    assert hash(s) == hash(phrkit.from_fhir(lifelog.to_ndjson())[0])


def test_subject_repr_masks_personal_values(lifelog: phrkit.Dataset) -> None:
    s = lifelog[0]
    text = repr(s) + str(s)
    for secret in ["試験", "花子", "シケン", "9999", "00012345", "1980", "female", "100-0001", "東京都", "千代田"]:
        assert secret not in text
    assert "insured_id=<masked>" in text and "name_kanji=<masked>" in text


def test_iteration_indexing(lifelog: phrkit.Dataset) -> None:
    records = list(lifelog)
    assert len(records) == 6
    assert lifelog[-1] == records[-1]
    with pytest.raises(IndexError):
        lifelog[6]
    it = iter(lifelog)
    assert iter(it) is it
    assert [r["type"] if isinstance(r, dict) else r.type for r in it] == ["subject"] + ["measurement"] * 5
    assert "records=6" in repr(lifelog)


def test_filter_by_type(lifelog: phrkit.Dataset) -> None:
    only = lifelog.filter(type="bodyMass")
    assert only.by_type() == {"bodyMass": 1, "subject": 1}
    assert lifelog.filter(type=["bodyMass", "heartRate"], keep_subjects=False).by_type() == {
        "bodyMass": 1,
        "heartRate": 1,
    }
    assert lifelog.filter(type="subject").by_type() == {"subject": 1}


def test_filter_by_time_is_half_open_and_needs_aware_bounds(lifelog: phrkit.Dataset) -> None:
    start = dt.datetime(2025, 3, 1, 7, 5, tzinfo=JST)
    end = dt.datetime(2025, 3, 1, 21, 30, tzinfo=dt.timezone.utc)  # = 2025-03-02 06:30 JST
    got = lifelog.filter(start=start, end=end)
    assert got.by_type() == {"bodyMass": 1, "stepCount": 1, "subject": 1}
    # The heart rate at 06:30Z on 3/2 and the date-only temperature on 3/3 are after `end`.
    later = lifelog.filter(start=dt.datetime(2025, 3, 2, tzinfo=dt.timezone.utc))
    assert later.by_type() == {"bodyTemperature": 1, "heartRate": 1, "subject": 1}
    with pytest.raises(phrkit.ApiMisuseError, match="timezone-aware"):
        lifelog.filter(start=dt.datetime(2025, 3, 1))


def test_describe(lifelog: phrkit.Dataset) -> None:
    d = lifelog.describe()
    assert d["records"] == 6
    assert d["subjects"] == 1
    assert d["by_type"]["bloodPressure"] == 1
    assert d["start"] == dt.datetime(2025, 3, 1, 7, 1, tzinfo=JST)
    assert d["end"] == dt.datetime(2025, 3, 2, 6, 30, tzinfo=dt.timezone.utc)
    assert d["sources"] == ["OMRON connect"]


def test_progress_bar_with_and_without_tqdm(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    ds = phrkit.read(data_dir / "lifelog.ndjson", progress=True)
    assert len(ds) == 6
    assert "records" in capsys.readouterr().err  # tqdm writes its bar to stderr
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    assert len(phrkit.read(data_dir / "lifelog.ndjson", progress=True)) == 6
    assert capsys.readouterr().err == ""


def test_import_is_fast() -> None:
    import subprocess
    import time

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import phrkit"], check=True)
    assert time.perf_counter() - t0 < 1.0
