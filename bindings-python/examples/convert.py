"""Convert a lifelog export to a FHIR transaction Bundle and print what was read and skipped.

Usage: python examples/convert.py INPUT [OUTPUT]
"""

import sys
from pathlib import Path

import phrkit


def convert(source: Path, target: Path) -> phrkit.Report:
    try:
        ds = phrkit.read(source, progress=True)
    except phrkit.FormatError as e:
        # Locations, never input values: safe to log.
        print(f"cannot read {source}: {e.code} at {e.location}", file=sys.stderr)
        raise
    report = ds.report
    print(f"read {report.items_read} items, converted {report.converted}, skipped {report.skipped}")
    for issue in report.issues[:10]:
        print(f"  {issue['severity']} {issue['code']} at {issue['location']}")
    return ds.write(target, format="transaction")


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else Path(__file__).parents[1] / "tests/data/lifelog.ndjson"
    target = Path(argv[2]) if len(argv) > 2 else Path("out.bundle.json")
    written = convert(source, target)
    print(f"wrote {written.converted} resources to {target}: {written.by_type}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
