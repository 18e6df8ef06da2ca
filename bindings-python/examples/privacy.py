"""Share lifelog data with a research partner under the person's consent, pseudonymised, and make an
anonymised extract; print what was left out and changed (counts only, never values).

Usage: python examples/privacy.py [KEY_FILE]   (without one, a throw-away key is generated)
"""

import datetime as dt
import json
import sys
from pathlib import Path

import phrkit

ROOT = Path(__file__).resolve().parents[2]
PARTNER = "Organization/research-partner"
RESEARCH = ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH")


def load_key(argv: list[str]) -> phrkit.PseudonymKey:
    if len(argv) > 1:
        return phrkit.PseudonymKey.from_file(argv[1])
    return phrkit.PseudonymKey.generate()


def main(argv: list[str]) -> int:
    ds = phrkit.read(ROOT / "bindings-python" / "tests" / "data" / "lifelog.ndjson")
    consent = phrkit.ConsentPolicy.from_fhir((ROOT / "fixtures" / "consent" / "research-partner.json").read_text())
    at = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    decision = consent.decide(ds[2], PARTNER, RESEARCH, at=at)
    print(f"first measurement: permit={decision.permit} by {decision.rule} ({decision.reason})")

    key = load_key(argv)
    pseudonymiser = phrkit.Pseudonymiser(key, "pseudonymised", reference_date=at.date())
    export = phrkit.export_with_consent(
        ds, [consent], PARTNER, RESEARCH, at=at, bundle_type="ndjson", pseudonymiser=pseudonymiser
    )
    print(f"exported {export.report.converted} of {export.report.items_read} records; denied {export.denied}")
    print(f"audit event: {json.loads(export.audit_event)['type']['code']}, key {key.key_id}")
    print(f"fields changed: {sorted(pseudonymiser.report()['fields'])}")

    try:
        ds.anonymise(k=5)
    except phrkit.ConfigError as e:
        # One person cannot be 5-anonymous: the core refuses rather than suppressing everything.
        print(f"anonymise(k=5) refused: {e.code}")
    anon, changes = ds.anonymise(k=1, reference_date=at.date())
    print(f"anonymised: {len(anon)} records, k achieved {changes['k_anonymity']['achieved_k']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
