"""Regenerates lifelog.bundle.json from lifelog.ndjson with the core writer (run after writer changes)."""

from pathlib import Path

import phrkit

HERE = Path(__file__).parent

if __name__ == "__main__":
    ds = phrkit.read(HERE / "lifelog.ndjson")
    ds.write(HERE / "lifelog.bundle.json", format="collection")
