"""Consent (FHIR Consent in/out, decisions, consented export) and pseudonymisation / anonymisation.

All data is synthetic: the consent is fixtures/consent/research-partner.json (privacy.md §1.2), people are
tests/data/lifelog.ndjson, the checkup fixture and people generated below.
"""

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import phrkit

FIXTURES = Path(__file__).parents[2] / "fixtures"
JST = dt.timezone(dt.timedelta(hours=9))
PARTNER = "Organization/research-partner"
HRESCH = ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH")
HMARKT = ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HMARKT")
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=JST)


@pytest.fixture
def consent_json() -> str:
    return (FIXTURES / "consent" / "research-partner.json").read_text(encoding="utf-8")


@pytest.fixture
def consent(consent_json: str) -> phrkit.ConsentPolicy:
    return phrkit.ConsentPolicy.from_fhir(consent_json)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    p = tmp_path / "pseudonym.key"
    p.write_text("0123456789abcdef" * 4 + "\n", encoding="ascii")
    return p


def _measurement(ds: phrkit.Dataset, kind: str) -> phrkit.Measurement:
    for r in ds:
        if isinstance(r, phrkit.Measurement) and r.kind == kind:
            return r
    raise AssertionError(kind)


def _sleep_record() -> phrkit.Measurement:
    for r in phrkit.read(FIXTURES / "golden" / "sleepEpisode.ndjson"):
        if isinstance(r, phrkit.Measurement):
            assert r.start is not None and r.start.year == 2025
            return r
    raise AssertionError("no sleep record")


# ---------------------------------------------------------------- FHIR Consent


def test_consent_round_trips_through_fhir(consent: phrkit.ConsentPolicy) -> None:
    assert (consent.id, consent.status) == ("c1", "active")
    assert repr(consent) == 'ConsentPolicy(id="c1", status="active")'
    text = consent.to_fhir()
    assert "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Consent" in text
    again = phrkit.ConsentPolicy.from_fhir(text.encode("utf-8"))
    assert again.to_fhir() == text


def test_consent_errors_have_a_pointer_and_no_values(consent_json: str) -> None:
    bad = consent_json.replace('"type": "permit"', '"type": "allow"')
    with pytest.raises(phrkit.FormatError) as e:
        phrkit.ConsentPolicy.from_fhir(bad)
    assert e.value.code == "format"
    assert e.value.location is not None and "/provision/provision/0/type" in e.value.location
    assert "allow" not in str(e.value)
    with pytest.raises(TypeError):
        phrkit.ConsentPolicy.from_fhir(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "recipient", "purpose", "at", "permit", "rule", "reason"),
    [
        ("permitted", PARTNER, HRESCH, NOW, True, "Consent/c1#provision.provision[0]", "permitted"),
        ("wrong purpose", PARTNER, HMARKT, NOW, False, "Consent/c1#provision", "denied-by-provision"),
        ("wrong recipient", "Organization/insurer", HRESCH, NOW, False, "Consent/c1#provision", "denied-by-provision"),
        (
            "period over",
            PARTNER,
            HRESCH,
            dt.datetime(2026, 4, 1, tzinfo=JST),
            False,
            "Consent/c1#provision",
            "denied-by-provision",
        ),
        (
            "last day of the period",
            PARTNER,
            HRESCH,
            dt.datetime(2026, 3, 31, 23, 59, tzinfo=JST),
            True,
            "Consent/c1#provision.provision[0]",
            "permitted",
        ),
    ],
)
def test_consent_decision_table(
    consent: phrkit.ConsentPolicy,
    lifelog: phrkit.Dataset,
    case: str,
    recipient: str,
    purpose: tuple[str, str],
    at: dt.datetime,
    permit: bool,
    rule: str,
    reason: str,
) -> None:
    d = consent.decide(_measurement(lifelog, "stepCount"), recipient, purpose, at=at)
    assert (d.permit, d.rule, d.reason) == (permit, rule, reason), case
    assert bool(d) is permit


def test_nested_deny_and_non_observation(consent: phrkit.ConsentPolicy, lifelog: phrkit.Dataset) -> None:
    d = consent.decide(_sleep_record(), PARTNER, HRESCH, at=NOW)
    assert (d.permit, d.rule) == (False, "Consent/c1#provision.provision[0].provision[0]")
    subject = lifelog[0]
    assert isinstance(subject, phrkit.Subject)
    assert not consent.decide(subject, PARTNER, HRESCH, at=NOW).permit
    assert "permit=False" in repr(consent.decide(subject, PARTNER, HRESCH, at=NOW))
    with pytest.raises(TypeError):
        consent.decide("not a record", PARTNER, HRESCH, at=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        consent.decide(subject, PARTNER, HRESCH, at=dt.datetime(2025, 6, 1))  # naive: refused


# ---------------------------------------------------------------- consented export


def test_export_with_consent_counts_denied_by_rule(consent: phrkit.ConsentPolicy, lifelog: phrkit.Dataset) -> None:
    out = phrkit.export_with_consent(lifelog, [consent], PARTNER, HRESCH, at=NOW, bundle_type="ndjson")
    kinds = Counter(json.loads(line)["resourceType"] for line in out.text.splitlines())
    # Observations pass; the Patient is not in the permitted class: a placeholder stands in for it.
    assert kinds["Observation"] == 5
    assert kinds["Consent"] == 1 and kinds["Provenance"] == 1
    assert out.report.items_read == len(lifelog)
    assert out.report.is_balanced()
    assert out.denied == {"consent-denied:Consent/c1#provision": 1}
    assert sum(out.permitted.values()) == 5
    audit = json.loads(out.audit_event)
    assert audit["resourceType"] == "AuditEvent"
    assert audit["purposeOfEvent"][0]["coding"][0]["code"] == "HRESCH"
    assert out.provenance_id in out.text
    for secret in ("試験", "花子", "シケン", "00012345", "1980-04-01", "100-0001"):
        assert secret in lifelog.to_ndjson()
        assert secret not in out.text, secret
    # Same through Dataset.to_fhir (text only).
    text = lifelog.to_fhir(consent=[consent], recipient=PARTNER, purpose=HRESCH, at=NOW)
    assert json.loads(text)["resourceType"] == "Bundle"
    assert "花子" not in text


def test_third_party_export_without_consent_is_refused(lifelog: phrkit.Dataset) -> None:
    with pytest.raises(phrkit.ConsentDenied) as e:
        phrkit.export_with_consent(lifelog, [], PARTNER, HRESCH, at=NOW)
    assert e.value.code == "consent-denied"
    assert isinstance(e.value, phrkit.PhrError)
    with pytest.raises(phrkit.ConsentDenied):
        lifelog.to_fhir(recipient=PARTNER, purpose=HRESCH, at=NOW)
    with pytest.raises(phrkit.ApiMisuseError, match="recipient"):
        lifelog.to_fhir(consent=[])
    with pytest.raises(phrkit.ApiMisuseError, match="recipient"):
        lifelog.to_fhir(purpose=HRESCH)
    # The clearly named opt-out: everything goes, the Provenance says so.
    out = phrkit.export_with_consent(
        lifelog, [], "Patient/self", HRESCH, at=NOW, bundle_type="ndjson", danger_local_no_consent=True
    )
    assert out.report.converted == len(lifelog)
    assert "urn:phrkit:policy:danger-local-no-consent" in out.text
    assert "花子" in out.text
    text = lifelog.to_fhir(recipient="Patient/self", purpose=HRESCH, danger_local_no_consent=True)
    assert "urn:phrkit:policy:danger-local-no-consent" in text


# ---------------------------------------------------------------- keys


def test_key_from_file_and_env_show_only_the_key_id(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = phrkit.PseudonymKey.from_file(key_file)
    assert re.fullmatch(r"[0-9a-f]{16}", key.key_id)
    assert repr(key) == f'PseudonymKey(key_id="{key.key_id}")'
    assert "0123456789abcdef" not in repr(key) + str(key)
    assert not [a for a in dir(key) if "byte" in a or "secret" in a]
    monkeypatch.setenv("PHRKIT_TEST_KEY", key_file.read_text(encoding="ascii"))
    assert phrkit.PseudonymKey.from_env("PHRKIT_TEST_KEY").key_id == key.key_id
    assert phrkit.PseudonymKey.generate().key_id != key.key_id
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_key_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    short = tmp_path / "short.key"
    short.write_text("tooshort-secret", encoding="ascii")
    with pytest.raises(phrkit.PseudonymKeyError) as e:
        phrkit.PseudonymKey.from_file(short)
    assert e.value.code == "key"
    assert "tooshort-secret" not in str(e.value)
    with pytest.raises(phrkit.PseudonymKeyError):
        phrkit.PseudonymKey.from_file(tmp_path / "missing.key")
    monkeypatch.delenv("PHRKIT_NO_SUCH_KEY", raising=False)
    with pytest.raises(phrkit.PseudonymKeyError, match="PHRKIT_NO_SUCH_KEY"):
        phrkit.PseudonymKey.from_env("PHRKIT_NO_SUCH_KEY")


# ---------------------------------------------------------------- pseudonymisation


def _secrets(ds: phrkit.Dataset) -> set[str]:
    """Every personal string of the dataset's subjects (name parts, ids, birth date, postal code)."""
    out: set[str] = set()
    subjects = [r for r in ds if isinstance(r, phrkit.Subject)]
    subjects += [r.subject for r in ds if isinstance(r, phrkit.Checkup) and r.subject is not None]
    for s in subjects:
        for name in (s.name_kanji, s.name_kana):
            out.update(p for p in re.split(r"[\s\u3000]+", name or "") if p)
        if s.insured_id:
            # Symbol, number, branch identify the person. The insurer number (first part) names the
            # insurer organisation; checkup output keeps it on the insurer Organization, so it is not
            # scanned for here (reported to the lead as a question for the core).
            # Parts shorter than 6 characters would match inside unrelated numbers by chance.
            out.add(s.insured_id)
            out.update(p for p in s.insured_id.split(":")[1:] if len(p) >= 6)
        out.update(v for _, v in s.identifiers if len(v) >= 4)
        if s.birth_date:
            out.add(s.birth_date.isoformat())
        if s.postal_code:
            out.add(s.postal_code)
        if s.address:
            out.add(s.address)
    return out


@pytest.mark.parametrize(
    "source",
    [
        Path(__file__).parent / "data" / "lifelog.ndjson",
        FIXTURES / "kenshin" / "hc08_sample.xml",
        FIXTURES / "myna_portal" / "expense.csv",
    ],
    ids=["lifelog", "checkup", "expense"],
)
def test_pseudonymised_output_contains_no_input_identifier(source: Path, key_file: Path) -> None:
    ds = phrkit.read(source)
    secrets = _secrets(ds)
    assert len(secrets) >= 3, secrets
    plain = ds.to_ndjson()
    assert any(s in plain for s in secrets)  # the scan can fail
    key = phrkit.PseudonymKey.from_file(key_file)
    pseudo, changes = ds.pseudonymise(key, reference_date=dt.date(2025, 6, 1))
    assert pseudo.labelled and not ds.labelled
    assert len(pseudo) == len(ds)
    text = pseudo.to_ndjson() + pseudo.to_fhir()
    for s in secrets:
        assert s not in text, f"input secret of {len(s)} chars in the output"
    assert changes["profile"] == "pseudonymised"
    assert changes["key_id"] == key.key_id
    assert changes["records_in"] == len(ds) == changes["records_out"]
    assert changes["labels"]["PSEUDED"] == len(ds)
    assert all('"PSEUDED"' in line for line in pseudo.to_ndjson().splitlines())


def test_pseudonyms_are_stable_under_the_same_key_file(lifelog: phrkit.Dataset, key_file: Path, tmp_path: Path) -> None:
    d = dt.date(2025, 6, 1)
    a, _ = lifelog.pseudonymise(phrkit.PseudonymKey.from_file(key_file), reference_date=d)
    b, _ = lifelog.pseudonymise(phrkit.PseudonymKey.from_file(key_file), reference_date=d)
    assert a == b and a.to_ndjson() == b.to_ndjson()
    sa, sb = a[0], b[0]
    assert isinstance(sa, phrkit.Subject) and isinstance(sb, phrkit.Subject)
    assert sa.identifiers == sb.identifiers and len(sa.identifiers[0][1]) == 64
    other = tmp_path / "other.key"
    other.write_text("fedcba9876543210" * 4, encoding="ascii")
    c, _ = lifelog.pseudonymise(phrkit.PseudonymKey.from_file(other), reference_date=d)
    sc = c[0]
    assert isinstance(sc, phrkit.Subject) and sc.identifiers != sa.identifiers


def test_pseudonymiser_object_rules_file_and_errors(lifelog: phrkit.Dataset, key_file: Path, tmp_path: Path) -> None:
    key = phrkit.PseudonymKey.from_file(key_file)
    p = phrkit.Pseudonymiser(key, reference_date=dt.date(2025, 6, 1))
    assert (p.profile, p.key_id) == ("pseudonymised", key.key_id)
    assert key.key_id in repr(p)
    lifelog.pseudonymise(p)
    lifelog.pseudonymise(p)
    assert p.report()["records_in"] == 2 * len(lifelog)  # accumulates
    with pytest.raises(phrkit.ApiMisuseError):
        lifelog.pseudonymise(p, profile="pseudonymised")
    with pytest.raises(TypeError):
        lifelog.pseudonymise("not a key")  # type: ignore[arg-type]
    rules = tmp_path / "rules.toml"
    rules.write_text('base = "pseudonymised"\n[[rules]]\npath = "measurement.value"\nmethod = "generalize"\nstep = 5\n')
    r = phrkit.Pseudonymiser(key, rules, reference_date=dt.date(2025, 6, 1))
    out, changes = lifelog.pseudonymise(r)
    weight = _measurement(out, "bodyMass")
    assert weight.value is not None and weight.value % 5 == 0
    assert changes["profile"] == "rules"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\npath = "subject.nickname"\nmethod = "redact"\n')
    with pytest.raises(phrkit.ConfigError) as e:
        phrkit.Pseudonymiser(key, bad)
    assert e.value.code == "config"
    assert e.value.location is not None and "/rules/0/path" in e.value.location
    assert phrkit.Pseudonymiser(key, "pseudonymized").profile == "pseudonymised"  # US spelling too
    with pytest.raises(phrkit.ApiMisuseError, match="unknown profile"):
        phrkit.Pseudonymiser(key, "pseudo")


def test_consented_export_can_pseudonymise(consent: phrkit.ConsentPolicy, lifelog: phrkit.Dataset, key_file: Path) -> None:
    p = phrkit.Pseudonymiser(phrkit.PseudonymKey.from_file(key_file), reference_date=dt.date(2025, 6, 1))
    out = phrkit.export_with_consent(lifelog, [consent], PARTNER, HRESCH, at=NOW, bundle_type="ndjson", pseudonymiser=p)
    assert out.report.converted == 5
    assert '"PSEUDED"' in out.text
    assert "Patient/p1" not in out.text


# ---------------------------------------------------------------- anonymisation


def _population(n: int) -> phrkit.Dataset:
    lines = []
    for i in range(n):
        lines.append(
            json.dumps(
                {
                    "resourceType": "Patient",
                    "id": f"p{i}",
                    "identifier": [{"system": "urn:example:phr-user", "value": f"USER-{700000 + i * 7}"}],
                    "name": [{"family": "架空", "given": [f"花子{i}"], "text": f"架空 花子{i}"}],
                    "gender": "female" if i % 2 else "male",
                    "birthDate": f"{1978 + (i // 4) % 10}-03-03",
                    "address": [{"postalCode": f"{100 + i:03d}-{1000 + i}", "state": ["東京都", "大阪府"][(i // 2) % 2]}],
                }
            )
        )
        lines.append(
            json.dumps(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://hl7.org/fhir/uv/phr/CodeSystem/observation-pghd-codes", "code": "bodyMass"}]},
                    "subject": {"reference": f"Patient/p{i}"},
                    "effectiveDateTime": "2025-03-01T07:00:00+09:00",
                    "valueQuantity": {"value": 50 + i, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
                }
            )
        )
    return phrkit.from_fhir("\n".join(lines))


def test_anonymise_is_k_anonymous(tmp_path: Path) -> None:
    ds = _population(40)
    anon, changes = ds.anonymise(k=3, max_suppressed_fraction=1.0, reference_date=dt.date(2025, 6, 1))
    k = changes["k_anonymity"]
    assert k["k"] == 3 and k["achieved_k"] >= 3
    assert changes["key_id"] == "ephemeral"
    released = sum(int(size) * n for size, n in k["class_sizes"].items())
    assert released + k["suppressed_subjects"] == 40
    assert len(anon) == 80 - k["suppressed_records"]
    # Measure the classes on the output itself: (age band, sex, prefecture) of every Patient.
    classes: Counter[str] = Counter()
    text = anon.to_ndjson()
    for line in text.splitlines():
        res = json.loads(line)
        if res["resourceType"] == "Patient":
            band = [e for e in res.get("extension", []) if "age-band" in e["url"]]
            assert band and "birthDate" not in res
            classes[json.dumps([band, res.get("gender"), res["address"][0].get("state")])] += 1
    assert classes and min(classes.values()) >= 3
    assert min(classes.values()) == k["achieved_k"]
    assert '"ANONYED"' in text
    for i in range(40):
        assert f"USER-{700000 + i * 7}" not in text and f"花子{i}" not in text


def test_anonymise_errors() -> None:
    ds = _population(10)
    with pytest.raises(phrkit.ConfigError) as e:
        ds.anonymise(k=5, max_suppressed_fraction=0.0, reference_date=dt.date(2025, 6, 1))
    assert e.value.code == "config"
    with pytest.raises(phrkit.ApiMisuseError, match="quasi-identifier"):
        ds.anonymise(k=2, quasi_identifiers=["zip"])
    out, changes = ds.anonymise(k=1, quasi_identifiers=["sex"])
    assert changes["k_anonymity"]["quasi_identifiers"] == ["sex"]
    assert len(out) == 20
