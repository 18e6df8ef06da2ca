"""特定健診 checkups and マイナポータル care records (medications, immunizations, expenses): record objects,
their `rows()` and the typed Arrow tables. Inputs are the handwritten synthetic fixtures in fixtures/."""

import datetime as dt
from pathlib import Path

import pytest

import phrkit

FIXTURES = Path(__file__).parents[2] / "fixtures"
MYNA = FIXTURES / "myna_portal"


@pytest.fixture
def checkup_ds() -> phrkit.Dataset:
    return phrkit.read(FIXTURES / "kenshin" / "hc08_sample.xml")


def test_checkup_record(checkup_ds: phrkit.Dataset) -> None:
    assert checkup_ds.by_type() == {"checkup": 1}
    assert checkup_ds.report.is_balanced()
    c = checkup_ds[0]
    assert isinstance(c, phrkit.Checkup)
    assert (c.type, c.date) == ("checkup", dt.date(2026, 4, 15))
    # repr: type, date and row count only; the person stays masked behind .subject.
    assert repr(c) == 'Checkup(date="2026-04-15", rows=18)'
    assert c.subject is not None and "masked" in repr(c.subject)
    assert c.subject.name_kana is not None and c.subject.name_kana not in repr(c)
    rows = c.rows()
    assert len(rows) == 18
    tg = next(r for r in rows if r["code"] == "3F015000002327101")
    assert (tg["value"], tg["unit"], tg["status"], tg["interpretation"]) == (98.0, "mg/dL", "final", "N")
    assert (tg["reference_low"], tg["reference_high"], tg["method"]) == (30.0, 149.0, "3F01510000")
    assert c == checkup_ds[0]


def test_checkup_table(checkup_ds: phrkit.Dataset) -> None:
    pa = pytest.importorskip("pyarrow")
    t = checkup_ds.to_arrow("checkups")
    assert t.num_rows == 18
    assert t.schema.field("value").type == pa.float64()
    assert t.schema.field("exam_date").type == pa.date32()
    assert t.schema.field("group").type == pa.int64()
    rows = {r["code"]: r for r in t.to_pylist()}
    assert rows["9N001000000000001"]["value"] == 170.5 and rows["9N001000000000001"]["unit"] == "cm"
    assert rows["3D046000001906202"]["status"] == "not-performed"
    assert rows["3D046000001906202"]["value"] is None
    assert (rows["3F070000002327101"]["status"], rows["3F070000002327101"]["null_flavor"]) == ("not-measurable", "NI")
    assert (rows["3D010000001926101"]["value"], rows["3D010000001926101"]["range_flag"]) == (999.0, "HX")
    coded = rows["9N501000000000011"]
    assert (coded["value_type"], coded["value_text"], coded["answer_display"]) == ("coded", "2", "予備群該当")
    assert coded["answer_system"] == "1.2.392.200119.6.1008"
    assert rows["9N211161100000049"]["value_date"] == dt.date(2026, 4, 15)
    assert (rows["9A110161600000011"]["group"], rows["9A110161600000011"]["group_relation"]) == (0, "RSON")
    assert {r["exam_date"] for r in rows.values()} == {dt.date(2026, 4, 15)}
    # Personal data is not a column of the checkup table.
    assert not {"name_kana", "name_kanji", "insured_id", "birth_date"} & set(t.column_names)


def test_expense_table_and_records() -> None:
    pa = pytest.importorskip("pyarrow")
    ds = phrkit.read(MYNA / "expense.csv")
    assert ds.by_type() == {"medicalExpense": 3, "subject": 1}
    assert ds.report.is_balanced()
    e = ds[1]
    assert isinstance(e, phrkit.MedicalExpense)
    assert (e.type, e.date) == ("medicalExpense", dt.date(2025, 3, 1))
    assert repr(e) == 'MedicalExpense(date="2025-03-01", rows=1)'
    t = ds.to_arrow("expenses")
    assert t.schema.field("total_yen").type == pa.int64()
    assert t.schema.field("month_start").type == pa.date32()
    rows = t.to_pylist()
    assert [r["category"] for r in rows] == ["medical-outpatient", "pharmacy", "dental-outpatient"]
    assert [r["month"] for r in rows] == ["2025-03", "2025-03", "2025-11"]
    assert sum(r["total_yen"] for r in rows) == 12340
    assert sum(r["patient_yen"] for r in rows) == 3702
    assert rows[0]["institution_name"] == "サンプル内科クリニック"
    assert {r["subject_index"] for r in rows} == {0}
    assert e.rows()[0]["total_yen"] == 4120
    # The subject of the notice is in the subjects table, not in the expense rows.
    assert ds.table("subjects").num_rows == 1


def test_immunizations_through_a_mapping() -> None:
    ds = phrkit.read(MYNA / "immunization.csv", mapping=MYNA / "immunization_mapping.json")
    assert ds.by_type() == {"immunization": 2}
    first = ds[0]
    assert isinstance(first, phrkit.Immunization)
    assert repr(first) == 'Immunization(date="2025-10-01", rows=1)'
    assert "インフルエンザ" not in repr(first)
    pl = pytest.importorskip("polars")
    df = ds.to_polars("immunizations")
    assert df["dose_number"].dtype == pl.Int64
    assert df["date"].to_list() == [dt.date(2025, 10, 1), dt.date(2024, 6, 15)]
    assert df["lot"].to_list() == ["AB1234", "PN-77"]
    assert df["next_due"].to_list() == [None, dt.date(2029, 6, 15)]
    assert df["target_disease"].to_list() == ["インフルエンザ", "肺炎球菌感染症"]


def test_medications_through_a_mapping() -> None:
    ds = phrkit.read(MYNA / "medication_payload.json", mapping=MYNA / "medication_mapping.json")
    assert ds.by_type() == {"medicationDispense": 3, "subject": 1}
    m = ds[1]
    assert isinstance(m, phrkit.MedicationDispense)
    assert (m.type, m.date) == ("medicationDispense", dt.date(2025, 3, 2))
    row = m.rows()[0]
    assert (row["drug_code_system"], row["drug_code"]) == ("hot9", "103835401")
    assert (row["quantity"], row["quantity_unit"], row["days_supplied"]) == (21.0, "錠", 7)
    assert (row["prescribed"], row["dispensed"]) == (dt.date(2025, 3, 1), dt.date(2025, 3, 2))
    t = ds.table("medications")
    assert t.num_rows == 3
    assert t.column_names[:4] == ["subject_index", "prescribed", "dispensed", "drug_code_system"]


def test_mapping_errors_and_formats(tmp_path: Path) -> None:
    assert "kenshin-cda-xml" in phrkit.formats() and "myna-expense-csv" in phrkit.formats()
    ds = phrkit.read(FIXTURES / "kenshin" / "hc08_sample.xml", format="kenshin-cda-xml")
    assert len(ds) == 1
    bad = tmp_path / "mapping.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(phrkit.PhrError) as e:
        phrkit.read(MYNA / "immunization.csv", mapping=bad)
    assert e.value.code in {"config", "format"}
    with pytest.raises(phrkit.ApiMisuseError, match="kenshin-cda-xml"):
        phrkit.read(MYNA / "immunization.csv", format="kenshin")  # type: ignore[arg-type]


def test_care_records_in_fhir_and_consent_decisions() -> None:
    ds = phrkit.read(MYNA / "expense.csv")
    text = ds.to_fhir()
    assert text.count('"ExplanationOfBenefit"') == 3
    consent = phrkit.ConsentPolicy.from_fhir((FIXTURES / "consent" / "research-partner.json").read_bytes())
    d = consent.decide(
        ds[1],
        "Organization/research-partner",
        ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH"),
        at=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc),
    )
    # The consent permits Observations only: an expense (ExplanationOfBenefit) falls to the root deny.
    assert (d.permit, d.rule) == (False, "Consent/c1#provision")
