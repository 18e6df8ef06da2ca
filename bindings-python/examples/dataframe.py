"""Daily step totals and morning blood pressure as DataFrames (pandas or polars, whichever is installed)."""

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import phrkit

SAMPLE = Path(__file__).parents[1] / "tests/data/lifelog.ndjson"


def summary(ds: phrkit.Dataset) -> dict[str, Any]:
    info = ds.describe()
    return {"records": info["records"], "types": info["by_type"], "sources": info["sources"]}


def blood_pressure(ds: phrkit.Dataset) -> list[tuple[dt.datetime, float, float]]:
    rows = []
    for record in ds.filter(type="bloodPressure"):
        if isinstance(record, phrkit.Measurement) and record.start is not None:
            assert record.systolic is not None and record.diastolic is not None
            rows.append((record.start, record.systolic, record.diastolic))
    return rows


def main() -> int:
    ds = phrkit.read(SAMPLE)
    print(summary(ds))
    print(blood_pressure(ds))
    try:
        df = ds.to_polars()
        print(df.select("kind", "start", "value", "unit"))
    except ImportError as e:
        print(f"polars not installed ({e}); plain records only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
