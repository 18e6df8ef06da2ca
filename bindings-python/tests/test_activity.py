"""Sleep sessions, workouts and kinds phrkit has no row for: attributes, table rows, round trip."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import phrkit

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def activity(data_dir: Path) -> phrkit.Dataset:
    return phrkit.read(data_dir / "activity.ndjson")


def test_sleep_session(activity: phrkit.Dataset) -> None:
    sleep = activity[0]
    assert isinstance(sleep, phrkit.Measurement)
    assert sleep.kind == "sleepEpisode"
    # Minutes asleep as the core counts them: core 23:30-02:00 + deep 02:00-03:00; in-bed time is not sleep.
    assert (sleep.value, sleep.unit) == (210.0, "min")
    assert sleep.sleep_stages == [
        ("inBed", dt.datetime(2025, 3, 1, 23, 0, tzinfo=JST), dt.datetime(2025, 3, 2, 6, 0, tzinfo=JST)),
        ("asleepCore", dt.datetime(2025, 3, 1, 23, 30, tzinfo=JST), dt.datetime(2025, 3, 2, 2, 0, tzinfo=JST)),
        ("asleepDeep", dt.datetime(2025, 3, 2, 2, 0, tzinfo=JST), dt.datetime(2025, 3, 2, 3, 0, tzinfo=JST)),
    ]
    assert sleep.workout is None


def test_workout(activity: phrkit.Dataset) -> None:
    w = activity[1]
    assert isinstance(w, phrkit.Measurement)
    assert w.workout == {
        "activity": "HKWorkoutActivityTypeRunning",
        "duration": (Decimal("38"), "min"),
        "energy": (Decimal("310"), "kcal"),
        "distance": None,
    }
    assert (w.value, w.unit, w.value_text) == (38.0, "min", "HKWorkoutActivityTypeRunning")
    assert w.sleep_stages == []


def test_kind_without_a_row_is_kept_as_text(activity: phrkit.Dataset) -> None:
    other = activity[2]
    assert isinstance(other, phrkit.Measurement)
    assert other.kind == "other:HKCategoryTypeIdentifierMindfulSession"
    assert (other.value, other.unit, other.value_text) == (None, None, "completed")


def test_activity_table_and_round_trip(activity: phrkit.Dataset) -> None:
    pytest.importorskip("pyarrow")
    rows = activity.to_arrow().select(["kind", "value", "unit", "value_text", "subject_index"]).to_pylist()
    assert [(r["kind"], r["value"], r["unit"], r["value_text"]) for r in rows] == [
        ("sleepEpisode", 210.0, "min", None),
        ("workout", 38.0, "min", "HKWorkoutActivityTypeRunning"),
        ("other:HKCategoryTypeIdentifierMindfulSession", None, None, "completed"),
    ]
    assert [r["subject_index"] for r in rows] == [None, None, None]  # no Patient in this input
    assert phrkit.from_fhir(activity.to_fhir()) == activity
