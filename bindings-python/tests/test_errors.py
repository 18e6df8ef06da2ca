"""The exception hierarchy, `.code` / `.location` / `.line`, and lenient vs strict reads."""

import pickle
from pathlib import Path

import pytest

import phrkit

ALL = [
    phrkit.FormatError,
    phrkit.LimitExceeded,
    phrkit.InvalidRecordError,
    phrkit.ConsentDenied,
    phrkit.PseudonymKeyError,
    phrkit.ConfigError,
    phrkit.ApiMisuseError,
]


def test_hierarchy() -> None:
    assert issubclass(phrkit.PhrError, Exception)
    for cls in ALL:
        assert issubclass(cls, phrkit.PhrError), cls
        assert cls.__module__ == "phrkit"
    assert len({c.__name__ for c in ALL}) == len(ALL)


def test_lenient_read_counts_bad_items(data_dir: Path) -> None:
    ds = phrkit.read(data_dir / "bad.ndjson")
    assert len(ds) == 1
    r = ds.report
    assert r.skipped == {"invalid-record": 1, "invalid-resource": 1}
    assert [(i["code"], i["location"]) for i in r.issues] == [
        ("invalid-record", "line 2#/component"),
        ("invalid-resource", "line 3#"),
    ]
    assert r.is_balanced()


def test_strict_invalid_record_has_location(data_dir: Path) -> None:
    with pytest.raises(phrkit.InvalidRecordError) as e:
        phrkit.read(data_dir / "bad.ndjson", strict=True)
    err = e.value
    assert err.code == "invalid-record"
    assert err.location == "line 2#/component"
    assert err.line == 2
    assert "systolic pressure is below diastolic" in str(err)
    assert "70" not in str(err) and "120" not in str(err)  # no input values in messages


def test_strict_format_error_has_location(data_dir: Path) -> None:
    lines = (data_dir / "bad.ndjson").read_bytes().splitlines(keepends=True)
    only_bad_json = lines[0] + lines[2]
    with pytest.raises(phrkit.FormatError) as e:
        phrkit.read(only_bad_json, strict=True)
    assert e.value.code == "format"
    assert e.value.line == 2
    assert e.value.location is not None and e.value.location.startswith("line 2")


def test_unknown_format() -> None:
    with pytest.raises(phrkit.FormatError) as e:
        phrkit.read(b"hello, not FHIR")
    assert e.value.code == "unknown-format"
    assert e.value.location is None and e.value.line is None


def test_limit_exceeded_depth() -> None:
    deep = "[" * 40 + "]" * 40
    doc = '{"resourceType":"Observation","status":"final","extension":' + deep + "}"
    with pytest.raises(phrkit.LimitExceeded) as e:
        phrkit.from_fhir(doc)
    assert e.value.code == "limit-exceeded"
    assert e.value.limit == "Depth"
    assert e.value.location is not None and e.value.location.startswith("#/extension")


def test_missing_file_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        phrkit.read(tmp_path / "nope.ndjson")


def test_errors_survive_pickling() -> None:
    err = phrkit.FormatError("x")
    assert isinstance(pickle.loads(pickle.dumps(err)), phrkit.FormatError)


# ConsentDenied, PseudonymKeyError and ConfigError are raised in tests/test_policy.py; test_hierarchy checks
# where they sit.
