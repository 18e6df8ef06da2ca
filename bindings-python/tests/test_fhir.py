"""FHIR output (to_fhir, to_ndjson, write) and input (from_fhir): round trips and determinism."""

import json
from pathlib import Path

import pytest

import phrkit


@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
def test_bundle_round_trip(lifelog: phrkit.Dataset, bundle_type: str) -> None:
    text = lifelog.to_fhir(bundle_type=bundle_type)  # type: ignore[arg-type]
    doc = json.loads(text)
    assert doc["resourceType"] == "Bundle" and doc["type"] == bundle_type
    # Patient + Device + 5 observations.
    assert [e["resource"]["resourceType"] for e in doc["entry"]].count("Observation") == 5
    assert len(doc["entry"]) == 7
    if bundle_type == "transaction":
        assert doc["entry"][0]["request"]["method"] == "POST"
    back = phrkit.from_fhir(text)
    assert back == lifelog
    assert phrkit.from_fhir(text.encode()) == lifelog
    assert back.report.is_balanced()


def test_ndjson_round_trip_and_determinism(lifelog: phrkit.Dataset) -> None:
    text = lifelog.to_ndjson()
    lines = text.splitlines()
    assert len(lines) == 7 and all(json.loads(line)["resourceType"] for line in lines)
    assert phrkit.from_fhir(text) == lifelog
    assert lifelog.to_ndjson() == text
    assert phrkit.from_fhir(text).to_ndjson() == text


@pytest.mark.parametrize("fmt", ["ndjson", "collection", "transaction"])
def test_write_file_round_trip(lifelog: phrkit.Dataset, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    report = lifelog.write(out, format=fmt)  # type: ignore[arg-type]
    assert report.converted == 7
    assert report.by_type == {"Device": 1, "Observation": 5, "Patient": 1}
    assert phrkit.read(out, format="ndjson" if fmt == "ndjson" else "fhir-json") == lifelog
    assert phrkit.read(str(out)) == lifelog  # detection from the first bytes


def test_bad_output_names(lifelog: phrkit.Dataset, tmp_path: Path) -> None:
    with pytest.raises(phrkit.ApiMisuseError):
        lifelog.to_fhir(bundle_type="batch")  # type: ignore[arg-type]
    with pytest.raises(phrkit.ApiMisuseError):
        lifelog.write(tmp_path / "x", format="csv")  # type: ignore[arg-type]


def test_from_fhir_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        phrkit.from_fhir(42)  # type: ignore[arg-type]


def test_from_fhir_single_resource() -> None:
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "effectiveDateTime": "2025-03-01T07:00:00+09:00",
        "valueQuantity": {"value": 64, "system": "http://unitsofmeasure.org", "code": "/min"},
    }
    ds = phrkit.from_fhir(json.dumps(obs))
    m = ds[0]
    assert isinstance(m, phrkit.Measurement)
    assert (m.kind, m.value, m.unit) == ("heartRate", 64.0, "/min")


def test_empty_dataset_writes_empty_bundle() -> None:
    empty = phrkit.from_fhir('{"resourceType":"Bundle","type":"collection"}')
    assert len(empty) == 0
    assert json.loads(empty.to_fhir()) == {"resourceType": "Bundle", "type": "collection"}
    assert empty.to_ndjson() == ""
