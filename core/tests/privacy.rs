//! Consent and pseudonymisation (issue 6): consent decision tables, FHIR Consent round trip, enforcement,
//! re-identification scans, pseudonym stability and collisions, k-anonymity. All data is synthetic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::DateTime;
use phrkit::policy::consent::*;
use phrkit::record::{Coding, Decimal, Effective, Kind, Measurement, Record, Timestamp, Unit};

fn t(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn period(start: Option<&str>, end: Option<&str>) -> ConsentPeriod {
    ConsentPeriod {
        start: start.map(|s| DateBound::parse(s).unwrap()),
        end: end.map(|s| DateBound::parse(s).unwrap()),
    }
}

const PARTNER: &str = "Organization/research-partner";

fn hresch() -> Coding {
    Coding::new(
        "http://terminology.hl7.org/CodeSystem/v3-ActReason",
        "HRESCH",
    )
}

/// The illustration of `privacy.md` §1.2: deny by default; permit Observations recorded since 2024-01-01
/// to the research partner for research from 2025-04-01 to 2026-03-31; never sleep data.
fn research_consent(status: ConsentStatus) -> ConsentPolicy {
    let mut c = ConsentPolicy::new(
        status,
        CodeableConcept::of(
            "http://terminology.hl7.org/CodeSystem/consentscope",
            "research",
        ),
    );
    c.id = Some("c1".into());
    c.patient = Some(Reference::to("Patient/p1"));
    c.category = vec![CodeableConcept::of("http://loinc.org", "59284-0")];
    c.policy = vec![PolicyRef {
        authority: None,
        uri: Some("https://example.jp/phr/privacy-policy/v3".into()),
    }];
    let sleep_deny = Provision {
        r#type: Some(ProvisionType::Deny),
        code: vec![
            CodeableConcept::of(
                "http://hl7.org/fhir/uv/phr/CodeSystem/observation-pghd-codes",
                "sleepAnalysis",
            ),
            CodeableConcept::of("http://loinc.org", "93832-4"),
        ],
        ..Provision::default()
    };
    let permit = Provision {
        r#type: Some(ProvisionType::Permit),
        period: Some(period(Some("2025-04-01"), Some("2026-03-31"))),
        actor: vec![ProvisionActor {
            role: CodeableConcept::of(
                "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "IRCP",
            ),
            reference: Reference::to(PARTNER),
        }],
        action: vec![CodeableConcept::of(CONSENT_ACTION, "disclose")],
        purpose: vec![hresch()],
        class: vec![Coding::new(RESOURCE_TYPES, "Observation")],
        data_period: Some(period(Some("2024-01-01"), None)),
        provision: vec![sleep_deny],
        ..Provision::default()
    };
    c.provision = Some(Provision {
        r#type: Some(ProvisionType::Deny),
        provision: vec![permit],
        ..Provision::default()
    });
    c
}

fn steps(at: &str) -> Record {
    Measurement::quantity(
        Kind::Steps,
        Effective::Instant(t(at)),
        Decimal::from(812),
        Unit::Steps,
    )
    .unwrap()
    .into()
}

fn sleep(at: &str) -> Record {
    use phrkit::record::{MeasurementValue, Period, SleepSession, SleepStage, SleepStageInterval};
    let start = t(at);
    let end = start + chrono::Duration::hours(7);
    let session = SleepSession::new(vec![SleepStageInterval {
        stage: SleepStage::Core,
        period: Period::new(start, end).unwrap(),
    }])
    .unwrap();
    Measurement::new(
        Kind::SleepSession,
        Effective::Period(Period::new(start, end).unwrap()),
        MeasurementValue::Sleep(session),
    )
    .unwrap()
    .into()
}

struct Case {
    name: &'static str,
    status: ConsentStatus,
    record: Record,
    recipient: &'static str,
    purpose: Coding,
    at: &'static str,
    permit: bool,
    rule: &'static str,
    reason: DecisionReason,
}

#[test]
fn consent_decision_table() {
    let now = "2025-06-01T12:00:00+09:00";
    let cases = vec![
        Case {
            name: "permitted observation",
            status: ConsentStatus::Active,
            record: steps("2025-02-28T08:00:00+09:00"),
            recipient: PARTNER,
            purpose: hresch(),
            at: now,
            permit: true,
            rule: "Consent/c1#provision.provision[0]",
            reason: DecisionReason::Permitted,
        },
        Case {
            name: "nested deny inside permit (sleep)",
            status: ConsentStatus::Active,
            record: sleep("2025-02-27T23:00:00+09:00"),
            recipient: PARTNER,
            purpose: hresch(),
            at: now,
            permit: false,
            rule: "Consent/c1#provision.provision[0].provision[0]",
            reason: DecisionReason::DeniedByProvision,
        },
        Case {
            name: "expired permit period falls back to the root deny",
            status: ConsentStatus::Active,
            record: steps("2025-02-28T08:00:00+09:00"),
            recipient: PARTNER,
            purpose: hresch(),
            at: "2026-04-01T00:00:00+09:00",
            permit: false,
            rule: "Consent/c1#provision",
            reason: DecisionReason::DeniedByProvision,
        },
        Case {
            name: "last day of the period still permits (date end covers the whole day, JST)",
            status: ConsentStatus::Active,
            record: steps("2025-02-28T08:00:00+09:00"),
            recipient: PARTNER,
            purpose: hresch(),
            at: "2026-03-31T23:59:00+09:00",
            permit: true,
            rule: "Consent/c1#provision.provision[0]",
            reason: DecisionReason::Permitted,
        },
        Case {
            name: "wrong purpose",
            status: ConsentStatus::Active,
            record: steps("2025-02-28T08:00:00+09:00"),
            recipient: PARTNER,
            purpose: Coding::new(
                "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "HMARKT",
            ),
            at: now,
            permit: false,
            rule: "Consent/c1#provision",
            reason: DecisionReason::DeniedByProvision,
        },
        Case {
            name: "wrong recipient",
            status: ConsentStatus::Active,
            record: steps("2025-02-28T08:00:00+09:00"),
            recipient: "Organization/insurer",
            purpose: hresch(),
            at: now,
            permit: false,
            rule: "Consent/c1#provision",
            reason: DecisionReason::DeniedByProvision,
        },
        Case {
            name: "data period outside (recorded before 2024)",
            status: ConsentStatus::Active,
            record: steps("2023-12-31T23:59:00+09:00"),
            recipient: PARTNER,
            purpose: hresch(),
            at: now,
            permit: false,
            rule: "Consent/c1#provision",
            reason: DecisionReason::DeniedByProvision,
        },
        Case {
            name: "inactive consent",
            status: ConsentStatus::Inactive,
            record: steps("2025-02-28T08:00:00+09:00"),
            recipient: PARTNER,
            purpose: hresch(),
            at: now,
            permit: false,
            rule: "Consent/c1#status",
            reason: DecisionReason::NotActive,
        },
        Case {
            name: "patient resource is not in the permitted class",
            status: ConsentStatus::Active,
            record: Record::Subject(Default::default()),
            recipient: PARTNER,
            purpose: hresch(),
            at: now,
            permit: false,
            rule: "Consent/c1#provision",
            reason: DecisionReason::DeniedByProvision,
        },
    ];
    for c in cases {
        let policy = research_consent(c.status);
        let d = decide(
            &policy,
            &c.record,
            &Recipient::to(c.recipient),
            &c.purpose,
            t(c.at),
        );
        assert_eq!(d.permit, c.permit, "{}", c.name);
        assert_eq!(d.rule, c.rule, "{}", c.name);
        assert_eq!(d.reason, c.reason, "{}", c.name);
    }
}

#[test]
fn consent_set_defaults_to_deny() {
    let rec = steps("2025-02-28T08:00:00+09:00");
    let at = t("2025-06-01T12:00:00+09:00");
    let partner = Recipient::to(PARTNER);
    // No consent at all.
    let d = ConsentSet::default().decide(&rec, None, &partner, &hresch(), at);
    assert_eq!(
        (d.permit, d.reason, d.rule.as_str()),
        (false, DecisionReason::NoConsent, "no-consent")
    );
    // Only an inactive consent.
    let set = ConsentSet::new(vec![research_consent(ConsentStatus::Inactive)]);
    assert_eq!(
        set.decide(&rec, None, &partner, &hresch(), at).reason,
        DecisionReason::NoConsent
    );
    // An active consent whose permit does not apply: its base deny is reported.
    let set = ConsentSet::new(vec![research_consent(ConsentStatus::Active)]);
    let d = set.decide(
        &rec,
        None,
        &Recipient::to("Organization/insurer"),
        &hresch(),
        at,
    );
    assert_eq!((d.permit, d.rule.as_str()), (false, "Consent/c1#provision"));
    // An active one permits; the root deny of a second consent about someone else does not cover it.
    let mut other = research_consent(ConsentStatus::Active);
    other.id = Some("c2".into());
    if let Some(root) = other.provision.as_mut() {
        root.provision[0].actor[0].reference = Reference::to("Organization/insurer");
    }
    let set = ConsentSet::new(vec![other.clone(), research_consent(ConsentStatus::Active)]);
    let d = set.decide(&rec, None, &partner, &hresch(), at);
    assert!(d.permit);
    assert_eq!(d.rule, "Consent/c1#provision.provision[0]");
    // A specific deny (nested) in any consent beats a permit in another.
    let set = ConsentSet::new(vec![research_consent(ConsentStatus::Active), other]);
    let d = set.decide(
        &sleep("2025-02-27T23:00:00+09:00"),
        None,
        &partner,
        &hresch(),
        at,
    );
    assert!(!d.permit);
    assert_eq!(d.reason, DecisionReason::DeniedByProvision);
}

#[test]
fn consent_patient_identifier_must_match_subject() {
    use phrkit::record::Subject;
    let mut c = research_consent(ConsentStatus::Active);
    c.patient = Some(Reference {
        identifier: Some(Coding::new("urn:example:phr-user", "u-1")),
        ..Reference::default()
    });
    let set = ConsentSet::new(vec![c]);
    let rec = steps("2025-02-28T08:00:00+09:00");
    let at = t("2025-06-01T12:00:00+09:00");
    let me = Subject {
        identifiers: vec![Coding::new("urn:example:phr-user", "u-1")],
        ..Subject::default()
    };
    let someone = Subject {
        identifiers: vec![Coding::new("urn:example:phr-user", "u-2")],
        ..Subject::default()
    };
    let p = Recipient::to(PARTNER);
    assert!(set.decide(&rec, Some(&me), &p, &hresch(), at).permit);
    let d = set.decide(&rec, Some(&someone), &p, &hresch(), at);
    assert_eq!(d.reason, DecisionReason::NoConsent);
}

#[test]
fn date_bounds_cover_partial_dates_in_jst() {
    let b = DateBound::parse("2025-04").unwrap();
    assert_eq!(b.first(), &t("2025-04-01T00:00:00+09:00"));
    assert_eq!(b.last(), &t("2025-04-30T23:59:59.999+09:00"));
    let y = DateBound::parse("2024").unwrap();
    assert_eq!(y.last(), &t("2024-12-31T23:59:59.999+09:00"));
    assert!(DateBound::parse("2025-13").is_none());
    assert!(DateBound::parse("25-01-01").is_none());
}

// ---------------------------------------------------------------- FHIR Consent import / export

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/consent/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn fhir_consent_imports_the_spec_illustration_and_round_trips() {
    use phrkit::fhir::consent::{parse_consent_with_report, write_consent};
    let mut report = phrkit::Report::default();
    let c = parse_consent_with_report(&fixture("research-partner.json"), &mut report).unwrap();
    // The model built by hand in the table tests is exactly what the JSON says.
    let mut expected = research_consent(ConsentStatus::Active);
    expected.date_time = Some("2025-03-20T10:15:00+09:00".into());
    expected.performer = vec![Reference::to("Patient/p1")];
    expected.organization = vec![Reference::to("Organization/phr-operator")];
    expected.policy[0].uri =
        Some("https://example.jp/phr/privacy-policy/v3#third-party-provision".into());
    assert_eq!(c, expected);
    assert_eq!(
        report.ignored_elements.get("Consent.verification"),
        Some(&1)
    );
    // Export and import again: the same policy.
    let bytes = write_consent(&c);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains("\"http://jpfhir.jp/fhir/core/StructureDefinition/JP_Consent\""));
    assert_eq!(phrkit::fhir::consent::parse_consent(&bytes).unwrap(), c);
    // And it decides like the hand-built one.
    let d = decide(
        &c,
        &steps("2025-02-28T08:00:00+09:00"),
        &Recipient::to(PARTNER),
        &hresch(),
        t("2025-06-01T00:00:00+09:00"),
    );
    assert!(d.permit);
}

#[test]
fn fhir_consent_errors_point_at_the_element_without_values() {
    use phrkit::fhir::consent::parse_consent;
    use phrkit::Location;
    let base = String::from_utf8(fixture("research-partner.json")).unwrap();
    let cases = [
        (base.replace("\"status\": \"active\"", "\"status\": \"approved\""), "/status"),
        (base.replace("\"patient\": { \"reference\": \"Patient/p1\" },", ""), "/patient"),
        (base.replace("\"type\": \"permit\"", "\"type\": \"allow\""), "/provision/provision/0/type"),
        (base.replace("\"end\": \"2026-03-31\"", "\"end\": \"31/03/2026\""), "/provision/provision/0/period/end"),
        (base.replace("\"policy\": [{ \"uri\": \"https://example.jp/phr/privacy-policy/v3#third-party-provision\" }],", ""), "/policy"),
    ];
    for (json, pointer) in cases {
        let e = parse_consent(json.as_bytes()).unwrap_err();
        match e.location() {
            Some(Location::JsonPointer { pointer: p, .. }) => assert_eq!(p, pointer),
            other => panic!("{pointer}: {other:?}"),
        }
        assert!(!e.to_string().contains("31/03/2026") && !e.to_string().contains("allow"));
    }
}

// ---------------------------------------------------------------- enforcement

fn hanako() -> phrkit::record::Subject {
    use phrkit::record::{Address, InsuredId, PersonName, Sex, Subject};
    Subject {
        insured_id: Some(InsuredId::new("06139876", "ｱｲｳ", "4567", Some("01")).unwrap()),
        identifiers: vec![Coding::new(
            "urn:oid:1.2.392.100495.20.3.51.11319870011",
            "PT-778899",
        )],
        name_kanji: Some(PersonName::from_parts("架空", "花子")),
        name_kana: Some(PersonName::from_parts("カクウ", "ハナコ")),
        birth_date: Some(chrono::NaiveDate::from_ymd_opt(1984, 7, 19).unwrap()),
        sex: Some(Sex::Female),
        address: Some(Address {
            postal_code: Some("160-0023".into()),
            prefecture: Some("東京都".into()),
            text: Some("新宿区西新宿九丁目99番99号".into()),
        }),
        ..Subject::default()
    }
}

fn export_context(consents: Vec<ConsentPolicy>) -> phrkit::policy::enforce::ExportContext {
    phrkit::policy::enforce::ExportContext::new(
        ConsentSet::new(consents),
        Recipient::to(PARTNER),
        hresch(),
        t("2025-06-01T12:00:00+09:00"),
    )
}

#[test]
fn export_leaves_denied_records_out_and_counts_them_by_rule() {
    use phrkit::write::{export::export_with_consent, OutputFormat, WriteOptions};
    let records = vec![
        Record::from(hanako()),
        steps("2025-02-28T08:00:00+09:00"),
        sleep("2025-02-27T23:00:00+09:00"),
        steps("2023-05-01T08:00:00+09:00"),
        steps("2025-03-01T08:00:00+09:00"),
    ];
    let ctx = export_context(vec![research_consent(ConsentStatus::Active)]);
    let mut out = Vec::new();
    let s = export_with_consent(
        &records,
        WriteOptions::new(OutputFormat::Ndjson),
        &ctx,
        &mut out,
    )
    .unwrap();
    let r = &s.consent_report;
    assert_eq!(r.items_read, 5);
    assert_eq!(r.converted, 2);
    assert_eq!(
        r.skipped.get("consent-denied:Consent/c1#provision"),
        Some(&2)
    );
    assert_eq!(
        r.skipped
            .get("consent-denied:Consent/c1#provision.provision[0].provision[0]"),
        Some(&1)
    );
    assert!(r.is_balanced());
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Patient",
            "Observation",
            "Observation",
            "Consent",
            "Provenance"
        ]
    );
    // The withheld subject became a placeholder: none of the person's data is in the output.
    for needle in [
        "架空",
        "花子",
        "カクウ",
        "06139876",
        "PT-778899",
        "160-0023",
        "新宿",
        "1984",
    ] {
        assert!(!text.contains(needle), "{needle}");
    }
    // The observations point at the placeholder.
    let patient_ref = format!("Patient/{}", lines[0]["id"].as_str().unwrap());
    assert_eq!(lines[1]["subject"]["reference"], patient_ref.as_str());
    // Provenance: the placeholder and both observations as targets, the consent as policy, counts.
    let prov = &lines[4];
    assert_eq!(prov["target"].as_array().unwrap().len(), 3);
    assert_eq!(
        prov["policy"][0],
        format!("Consent/{}", lines[3]["id"].as_str().unwrap()).as_str()
    );
    assert_eq!(prov["agent"][1]["who"]["reference"], PARTNER);
    assert_eq!(lines[3]["identifier"][0]["value"], "c1");
    // AuditEvent for the caller.
    assert_eq!(s.audit_event["resourceType"], "AuditEvent");
    assert_eq!(
        s.audit_event["purposeOfEvent"][0]["coding"][0]["code"],
        "HRESCH"
    );
    assert_eq!(s.audit_event["entity"][1]["detail"][1]["valueString"], "3");
    assert_eq!(s.tally.permitted.get("stepCount"), Some(&2));
}

#[test]
fn export_without_consent_is_refused_unless_the_danger_opt_out_is_used() {
    use phrkit::policy::enforce::ConsentMode;
    use phrkit::write::{export::export_with_consent, OutputFormat, WriteOptions};
    use phrkit::ErrorKind;
    let records = vec![Record::from(hanako()), steps("2025-02-28T08:00:00+09:00")];
    let ctx = export_context(vec![]);
    let e = export_with_consent(
        &records,
        WriteOptions::new(OutputFormat::Ndjson),
        &ctx,
        Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::ConsentDenied(_)));
    let mut ctx = ctx;
    ctx.mode = ConsentMode::DangerLocalNoConsent;
    let mut out = Vec::new();
    let s = export_with_consent(
        &records,
        WriteOptions::new(OutputFormat::BundleCollection),
        &ctx,
        &mut out,
    )
    .unwrap();
    assert_eq!(s.consent_report.converted, 2);
    let b: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let entries = b["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 3); // Patient, Observation, Provenance
    assert_eq!(
        entries[2]["resource"]["policy"][0],
        "urn:phrkit:policy:danger-local-no-consent"
    );
    assert!(entries[2]["fullUrl"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
}

#[test]
fn security_labels_are_spliced_into_meta() {
    use phrkit::write::{FhirWriter, OutputFormat, WriteOptions};
    let mut w = FhirWriter::new(Vec::new(), WriteOptions::new(OutputFormat::Ndjson));
    w.set_security_labels(&[Coding::new(
        "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "PSEUDED",
    )]);
    let src = std::sync::Arc::new(phrkit::record::Source {
        name: Some("App".into()),
        ..Default::default()
    });
    let m = Measurement::quantity(
        Kind::Steps,
        Effective::Instant(t("2025-02-28T08:00:00+09:00")),
        Decimal::from(3),
        Unit::Steps,
    )
    .unwrap()
    .with_source(src);
    w.write(&Record::Subject(Default::default())).unwrap();
    w.write(&m.into()).unwrap();
    let out = String::from_utf8(w.finish().unwrap().1).unwrap();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            v["meta"]["security"][0]["code"], "PSEUDED",
            "{}",
            v["resourceType"]
        );
    }
    assert_eq!(out.lines().count(), 3);
}

// ---------------------------------------------------------------- pseudonymisation

use phrkit::policy::pseudonymise::*;
use phrkit::record::{
    Address, InsuredId, MeasurementValue, PersonName, Sex, Source, SourceDevice, Subject,
};
use std::sync::Arc;

fn key(b: u8) -> PseudonymKey {
    PseudonymKey::from_bytes(vec![b; 32]).unwrap()
}

fn opts() -> PseudonymiseOptions {
    PseudonymiseOptions::new(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap())
}

const FAMILY: [&str; 6] = ["架空", "試験", "見本", "仮名", "模擬", "例示"];
const GIVEN: [&str; 5] = ["花子", "太郎", "一郎", "桜子", "次郎"];
const PREFS: [&str; 3] = ["東京都", "大阪府", "北海道"];

/// Every personal string of one synthetic person, to scan the output for.
struct Person {
    subject: Subject,
    secrets: Vec<String>,
}

fn person(i: usize) -> Person {
    let family = FAMILY[i % FAMILY.len()];
    let given = GIVEN[i % GIVEN.len()];
    let insurer = format!("{:08}", 6_130_000 + i);
    // Long enough (8 digits) that random hex ids cannot contain it by chance (~1e-8 per id).
    let number = format!("{}", 70_000_000 + i * 7);
    let patient_id = format!("PT-{:06}", 500_000 + i * 13);
    let postal = format!("{:03}-{:04}", 100 + (i % 800), 1000 + i);
    let street = format!("架空市見本町{}丁目{}番地", i % 9 + 1, i + 1);
    let birth = chrono::NaiveDate::from_ymd_opt(
        1950 + (i % 50) as i32,
        (i % 12) as u32 + 1,
        (i % 28) as u32 + 1,
    )
    .unwrap();
    let subject = Subject {
        insured_id: Some(InsuredId::new(&insurer, "ｶｸｳ", &number, Some("01")).unwrap()),
        identifiers: vec![Coding::new(
            "urn:oid:1.2.392.100495.20.3.51.11319870011",
            &patient_id,
        )],
        name_kanji: Some(PersonName::from_parts(family, given)),
        name_kana: Some(PersonName::from_parts("カクウ", &format!("ハナコ{}", i))),
        birth_date: Some(birth),
        sex: Some(if i % 2 == 0 { Sex::Female } else { Sex::Male }),
        address: Some(Address {
            postal_code: Some(postal.clone()),
            prefecture: Some(PREFS[i % PREFS.len()].into()),
            text: Some(street.clone()),
        }),
        ..Subject::default()
    };
    let secrets = vec![
        format!("{family} {given}"),
        format!("ハナコ{i}"),
        insurer,
        format!("{number}"),
        patient_id,
        postal.clone(),
        postal.replace('-', ""),
        street,
        birth.format("%Y-%m-%d").to_string(),
        format!("{}さんのApple Watch", given),
        format!("memo: {} {} called from 090-1234-{:04}", family, given, i),
        format!("090-1234-{i:04}"),
        format!("hanako{i}@example.invalid"),
        format!("SAMPLE-UUID-{i:08}"),
    ];
    Person { subject, secrets }
}

fn measurements_of(p: &Person, i: usize) -> Vec<Record> {
    let src = Arc::new(Source {
        name: Some(format!("{}さんのApple Watch", GIVEN[i % GIVEN.len()])),
        version: Some("10.2".into()),
        device: Some(SourceDevice {
            name: Some(p.secrets[9].clone()),
            manufacturer: Some("Apple Inc.".into()),
            model: Some("Watch".into()),
            hardware: Some("Watch6,2".into()),
            software: Some("10.2".into()),
        }),
    });
    let mut m = Measurement::quantity(
        Kind::BodyWeight,
        Effective::Instant(t("2025-02-28T07:01:00+09:00")),
        Decimal::new(600 + i as i64, 1),
        Unit::Kilogram,
    )
    .unwrap()
    .with_source(src.clone())
    .with_identifier(p.secrets[13].clone())
    .with_recorded(t("2025-02-28T07:02:00+09:00"));
    m.push_metadata("HKMetadataKeyUserNote", p.secrets[10].clone());
    m.push_metadata("contact", p.secrets[12].clone());
    vec![
        m.into(),
        steps("2025-02-28T08:00:00+09:00"),
        sleep("2025-02-27T23:00:00+09:00"),
    ]
}

fn dataset(n: usize) -> (Vec<Record>, Vec<String>) {
    let mut records = Vec::new();
    let mut secrets = Vec::new();
    for i in 0..n {
        let p = person(i);
        records.push(Record::from(p.subject.clone()));
        records.extend(measurements_of(&p, i));
        secrets.extend(p.secrets);
    }
    (records, secrets)
}

fn scan(out: &[u8], secrets: &[String]) {
    let text = std::str::from_utf8(out).unwrap();
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "output contains an input secret ({} chars)",
            s.chars().count()
        );
    }
}

#[test]
fn pseudonymised_output_contains_no_input_identifier() {
    use phrkit::write::{export::pseudonymise_to_fhir, OutputFormat, WriteOptions};
    let (records, secrets) = dataset(12);
    // The unprocessed output does contain them (the scan can fail).
    let plain = phrkit::write::to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
    assert!(
        secrets
            .iter()
            .filter(|s| std::str::from_utf8(&plain).unwrap().contains(s.as_str()))
            .count()
            >= 12 * 10
    );
    let mut p = Pseudonymiser::new(&key(1), Profile::Pseudonymised, opts()).unwrap();
    let (report, out) = pseudonymise_to_fhir(
        records.clone(),
        &mut p,
        WriteOptions::new(OutputFormat::BundleCollection),
        Vec::new(),
    )
    .unwrap();
    scan(&out, &secrets);
    let cr = p.report();
    assert_eq!(cr.records_in, 48);
    assert_eq!(cr.records_out, 48);
    assert_eq!(cr.get("subject.insuredId", Method::CryptoHash), 12);
    assert_eq!(cr.get("subject.identifier", Method::CryptoHash), 12);
    assert_eq!(cr.get("subject.name.kanji", Method::Redact), 12);
    assert_eq!(cr.get("subject.address.postalCode", Method::Generalize), 12);
    assert_eq!(cr.get("subject.birthDate", Method::Generalize), 12);
    assert_eq!(cr.get("measurement.metadata", Method::Redact), 24);
    assert_eq!(cr.get("measurement.identifier", Method::Redact), 12);
    assert_eq!(cr.get("measurement.source", Method::Generalize), 12);
    assert_eq!(cr.labels.get("PSEUDED"), Some(&48));
    assert!(!cr.to_json().contains("架空"));
    // What is kept: prefecture, postal prefix, birth year, sex, the values; labels on every resource.
    let b: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let entries = b["entry"].as_array().unwrap();
    let patient = &entries[0]["resource"];
    assert_eq!(patient["address"][0]["state"], "東京都");
    assert_eq!(patient["address"][0]["postalCode"], "100");
    assert_eq!(patient["birthDate"], "1950");
    assert_eq!(patient["gender"], "female");
    assert!(patient["name"].is_null());
    let ids = patient["identifier"].as_array().unwrap();
    assert!(ids.iter().any(
        |i| i["system"] == "http://phrkit.dev/fhir/sid/pseudonym/insured-id"
            && i["value"].as_str().unwrap().len() == 64
    ));
    for e in entries {
        let sec = e["resource"]["meta"]["security"].as_array().unwrap();
        assert!(sec
            .iter()
            .any(|s| s["code"] == "PSEUDED" && s["system"] == OBSERVATION_VALUE));
    }
    let device = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Device")
        .unwrap();
    assert_eq!(device["resource"]["manufacturer"], "Apple Inc.");
    assert_eq!(report.by_type.get("Patient"), Some(&12));
    // 12 different Devices in the input (names differ), one generic Device left.
    assert_eq!(report.by_type.get("Device"), Some(&1));
}

#[test]
fn date_shift_is_per_person_and_keeps_intervals() {
    let mut p = Pseudonymiser::new(&key(1), Profile::Pseudonymised, opts()).unwrap();
    let (records, _) = dataset(2);
    let out: Vec<Record> = records
        .into_iter()
        .filter_map(|r| p.apply(r).unwrap())
        .map(|l| l.record)
        .collect();
    let times = |r: &Record| match r {
        Record::Measurement(m) => (*m.effective().start().unwrap(), m.recorded().copied()),
        _ => unreachable!(),
    };
    // Person 0: weight at 07:01, recorded 07:02; steps at 08:00 — intervals kept, offset kept.
    let (w0, rec0) = times(&out[1]);
    let (s0, _) = times(&out[2]);
    assert_eq!(s0 - w0, chrono::Duration::minutes(59));
    assert_eq!(rec0.unwrap() - w0, chrono::Duration::minutes(1));
    assert_eq!(w0.offset().local_minus_utc(), 9 * 3600);
    let shift0 = (w0 - t("2025-02-28T07:01:00+09:00")).num_days();
    assert!(shift0 != 0 && shift0.abs() <= 50);
    // Sleep stages move with the session.
    if let Record::Measurement(m) = &out[3] {
        let MeasurementValue::Sleep(s) = m.value() else {
            panic!()
        };
        assert_eq!(s.stages()[0].period.start(), m.effective().start().unwrap());
    }
    // Person 1 gets its own offset (almost surely different), the same again under the same key.
    let (w1, _) = times(&out[5]);
    let shift1 = (w1 - t("2025-02-28T07:01:00+09:00")).num_days();
    let mut again = Pseudonymiser::new(&key(1), Profile::Pseudonymised, opts()).unwrap();
    let (records, _) = dataset(2);
    let out2: Vec<Record> = records
        .into_iter()
        .filter_map(|r| again.apply(r).unwrap())
        .map(|l| l.record)
        .collect();
    assert_eq!(out, out2);
    assert_ne!(
        shift0, shift1,
        "two synthetic people with the same shift (1 in 100 chance): change the fixture"
    );
}

#[test]
fn pseudonyms_are_stable_per_key_and_separate_across_keys_and_domains() {
    let a = Pseudonyms::new(&key(1), "").unwrap();
    let a2 = Pseudonyms::new(&key(1), "").unwrap();
    let b = Pseudonyms::new(&key(2), "").unwrap();
    let sys = "urn:oid:1.2.392.100495.20.3.51.11319870011";
    let pa = a.pseudonym(Domain::PatientId, sys, "PT-1");
    assert_eq!(pa, a2.pseudonym(Domain::PatientId, sys, "PT-1"));
    assert_eq!(pa.len(), 64);
    assert_ne!(pa, b.pseudonym(Domain::PatientId, sys, "PT-1"));
    assert_ne!(pa, a.pseudonym(Domain::InsuredId, sys, "PT-1"));
    assert_ne!(pa, a.pseudonym(Domain::PatientId, "urn:other", "PT-1"));
    assert_ne!(pa, a.pseudonym(Domain::PatientId, sys, "PT-2"));
    // Subject-level: the same person links under the same key only.
    let run = |k: u8| {
        let mut p = Pseudonymiser::new(&key(k), Profile::Pseudonymised, opts()).unwrap();
        match p
            .apply(Record::from(person(3).subject))
            .unwrap()
            .unwrap()
            .record
        {
            Record::Subject(s) => s.identifiers,
            _ => unreachable!(),
        }
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

fn collision_check(n: u64) {
    let p = Pseudonyms::new(&key(9), "").unwrap();
    let mut prefixes: Vec<u64> = (0..n)
        .map(|i| {
            let b = p.pseudonym_bytes(Domain::InsuredId, "sys", &i.to_string());
            u64::from_le_bytes(b[..8].try_into().unwrap())
        })
        .collect();
    prefixes.sort_unstable();
    let dup = prefixes.windows(2).filter(|w| w[0] == w[1]).count();
    // A 64-bit prefix collision among 10^7 values has probability ~3e-6; any collision fails the test.
    assert_eq!(dup, 0);
}

#[test]
fn no_pseudonym_collisions_over_200k_inputs() {
    collision_check(200_000);
}

#[test]
#[ignore = "heavy: 10 million HMACs (about 20 s in a debug build on the shared 2-core machine); run with --ignored"]
fn no_pseudonym_collisions_over_10_million_inputs() {
    collision_check(10_000_000);
}

#[test]
fn anonymised_output_is_k_anonymous_and_contains_no_input_identifier() {
    use phrkit::write::{export::write_labelled, OutputFormat, WriteOptions};
    // 60 people over 3 prefectures × 2 sexes × (ages 25..75): many small classes.
    let (mut records, secrets) = dataset(60);
    // Two outliers in body weight (top and bottom).
    let weights: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.type_name() == "bodyMass")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(weights.len(), 60);
    // Ages clustered in 1978..=1987 births so classes are of size 1..8.
    for (i, r) in records.iter_mut().enumerate() {
        if let Record::Subject(s) = r {
            s.birth_date = chrono::NaiveDate::from_ymd_opt(1978 + (i / 4 % 10) as i32, 3, 3);
        }
    }
    let mut opts = AnonymiseOptions::new(opts());
    opts.k = 3;
    opts.max_suppressed_fraction = 1.0;
    opts.outlier_fraction = 0.05;
    if let Record::Measurement(m) = &mut records[weights[0]] {
        m.set_value(MeasurementValue::Quantity(phrkit::record::Quantity::new(
            Decimal::from(250),
            Unit::Kilogram,
        )))
        .unwrap();
    }
    let (out, report) = anonymise(records, &opts).unwrap();
    let k = report.k_anonymity.clone().unwrap();
    assert_eq!(k.k, 3);
    assert!(k.achieved_k >= 3, "achieved {}", k.achieved_k);
    assert!(k.suppressed_subjects > 0);
    // Every suppressed subject took its 4 records with it.
    assert_eq!(k.suppressed_records, k.suppressed_subjects * 4);
    let released: usize = k.class_sizes.iter().map(|(size, n)| size * n).sum();
    assert_eq!(released as u64 + k.suppressed_subjects, 60);
    assert_eq!(out.len() as u64, 240 - k.suppressed_records);
    assert_eq!(report.records_out, out.len() as u64);
    assert_eq!(report.key_id, "ephemeral");
    // Class sizes measured on the released records agree.
    let mut classes: std::collections::HashMap<(String, String, String), usize> =
        Default::default();
    for l in &out {
        if let Record::Subject(s) = &l.record {
            assert!(s.birth_date.is_none() && s.birth_year.is_none());
            assert!(s.address.as_ref().unwrap().postal_code.is_none());
            let key = (
                s.age_band.unwrap().to_string(),
                s.sex.unwrap().code().to_owned(),
                s.address.as_ref().unwrap().prefecture.clone().unwrap(),
            );
            *classes.entry(key).or_default() += 1;
        }
    }
    assert!(classes.values().all(|n| *n >= 3));
    assert_eq!(*classes.values().min().unwrap(), k.achieved_k);
    // The 250 kg outlier was top-coded (if its subject survived), and so was the lightest weight.
    assert!(
        report
            .top_bottom_coded
            .get("bodyMass")
            .copied()
            .unwrap_or(0)
            >= 2
    );
    for l in &out {
        if let Record::Measurement(m) = &l.record {
            if let (MeasurementValue::Quantity(q), Kind::BodyWeight) = (m.value(), m.kind()) {
                assert!(q.value < Decimal::from(250) && q.value > Decimal::new(600, 1));
            }
        }
    }
    let (_, bytes) =
        write_labelled(out, WriteOptions::new(OutputFormat::Ndjson), Vec::new()).unwrap();
    scan(&bytes, &secrets);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"ANONYED\"") && !text.contains("\"PSEUDED\""));
    assert!(text.contains("http://phrkit.dev/fhir/StructureDefinition/age-band"));
}

#[test]
fn anonymised_ids_differ_between_exports() {
    let (records, _) = dataset(6);
    let mut o = AnonymiseOptions::new(opts());
    o.k = 1;
    let ids = |recs: Vec<Record>| -> Vec<Coding> {
        let (out, _) = anonymise(recs, &o).unwrap();
        match &out[0].record {
            Record::Subject(s) => s.identifiers.clone(),
            _ => unreachable!(),
        }
    };
    assert_ne!(ids(records.clone()), ids(records));
}

#[test]
fn anonymisation_fails_when_suppression_exceeds_the_limit() {
    let (records, _) = dataset(10);
    let mut o = AnonymiseOptions::new(opts());
    o.k = 5;
    o.max_suppressed_fraction = 0.1;
    let e = anonymise(records, &o).unwrap_err();
    assert!(matches!(e.kind(), phrkit::ErrorKind::Config { .. }));
}

#[test]
fn rule_files_apply_first_match_and_fall_back_to_the_base_profile() {
    let toml = r#"
base = "pseudonymised"
[[rules]]
path = "subject.name"
method = "encrypt"
[[rules]]
path = "measurement.value"
method = "generalize"
step = 5
[[rules]]
class = "FreeText"
method = "substitute"
replaceWith = "(removed)"
[[rules]]
path = "measurement.effective"
method = "generalize"
granularity = "day"
"#;
    let rules = RuleSet::parse("rules.toml", toml).unwrap();
    let mut p = Pseudonymiser::with_rules(&key(1), rules, opts()).unwrap();
    let per = person(0);
    let recs: Vec<Labelled> = std::iter::once(Record::from(per.subject.clone()))
        .chain(measurements_of(&per, 0))
        .filter_map(|r| p.apply(r).unwrap())
        .collect();
    let Record::Subject(s) = &recs[0].record else {
        panic!()
    };
    let enc = &s.name_kanji.as_ref().unwrap().text;
    assert!(enc.starts_with("enc1."));
    assert_eq!(p.pseudonyms().decrypt(enc).unwrap(), "架空 花子");
    assert!(recs[0].labels.iter().any(|l| l.code == "MASKED"));
    assert!(s.address.as_ref().unwrap().text.is_none()); // base profile
    let Record::Measurement(w) = &recs[1].record else {
        panic!()
    };
    let MeasurementValue::Quantity(q) = w.value() else {
        panic!()
    };
    assert_eq!(q.value, Decimal::from(60)); // 60.0 rounded down to a multiple of 5
    assert_eq!(w.metadata()[0].value, "(removed)");
    assert_eq!(
        w.effective().start().unwrap(),
        &t("2025-02-28T00:00:00+09:00")
    );
    let r = p.report();
    assert_eq!(r.get("subject.name.kanji", Method::Encrypt), 1);
    assert_eq!(r.get("measurement.metadata", Method::Substitute), 2);
    // JSON form of the same kind of file.
    let json = r#"{"base":"none","rules":[{"path":"subject.insuredId","method":"cryptoHash"}]}"#;
    let rs = RuleSet::parse("r.json", json).unwrap();
    assert_eq!(rs.base, None);
}

#[test]
fn rule_file_errors_name_the_rule() {
    let cases = [
        ("[[rules]]\npath = \"subject.nickname\"\nmethod = \"redact\"\n", "/rules/0/path"),
        ("[[rules]]\npath = \"subject.name\"\nmethod = \"scramble\"\n", "/rules/0/method"),
        ("[[rules]]\npath = \"measurement.effective\"\nmethod = \"cryptoHash\"\n", "/rules/0/method"),
        ("[[rules]]\npath = \"subject.name\"\nmethod = \"keep\"\n[[rules]]\npath = \"measurement.value\"\nmethod = \"perturb\"\n", "/rules/1/span"),
        ("[[rules]]\npath = \"subject.name\"\nmethod = \"substitute\"\n", "/rules/0/replaceWith"),
        ("[[rules]]\npath = \"subject.name\"\nmethod = \"keep\"\nextra = 1\n", "/rules/0"),
        ("base = \"public\"\n", "/base"),
    ];
    for (text, pointer) in cases {
        let e = RuleSet::parse("r.toml", text).unwrap_err();
        match e.location() {
            Some(phrkit::Location::JsonPointer { pointer: p, .. }) => {
                assert!(p.starts_with(pointer), "{pointer} vs {p}")
            }
            other => panic!("{pointer}: {other:?}"),
        }
    }
    let e = RuleSet::parse(
        "r.json",
        r#"{"rules":[{"path":"subject.name","method":7}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(e.location(), Some(phrkit::Location::JsonPointer { pointer, .. }) if pointer == "/rules/0/method")
    );
}

#[test]
fn consented_export_can_pseudonymise_what_it_lets_through() {
    use phrkit::write::{export::ConsentedWriter, OutputFormat, WriteOptions};
    let mut c = research_consent(ConsentStatus::Active);
    // Permit Patient too, so the pseudonymised subject is written.
    if let Some(root) = c.provision.as_mut() {
        root.provision[0]
            .class
            .push(Coding::new(RESOURCE_TYPES, "Patient"));
        root.provision[0].data_period = None;
    }
    let ctx = export_context(vec![c]);
    let p0 = person(0);
    let mut records = vec![Record::from(p0.subject.clone())];
    records.extend(measurements_of(&p0, 0));
    let mut p = Pseudonymiser::new(&key(1), Profile::Pseudonymised, opts()).unwrap();
    let mut w =
        ConsentedWriter::new(Vec::new(), WriteOptions::new(OutputFormat::Ndjson), &ctx).unwrap();
    for r in records {
        w.write_pseudonymised(r, &mut p).unwrap();
    }
    let (summary, out) = w.finish().unwrap();
    scan(&out, &p0.secrets);
    // Subject, weight and steps go; sleep is denied by the nested provision.
    assert_eq!(summary.consent_report.converted, 3);
    assert_eq!(summary.consent_report.skipped_total(), 1);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pseuded = lines
        .iter()
        .filter(|l| l["meta"]["security"][0]["code"] == "PSEUDED")
        .count();
    assert_eq!(pseuded, 4); // Patient, Device, two Observations
    assert_eq!(lines.last().unwrap()["resourceType"], "Provenance");
    assert!(lines.last().unwrap()["meta"].is_null());
    // The Consent travels without the person's references.
    let consent = &lines[lines.len() - 2];
    assert_eq!(consent["resourceType"], "Consent");
    assert!(
        consent["patient"].is_null()
            && consent["performer"].is_null()
            && consent["identifier"].is_null()
    );
    assert_eq!(consent["meta"]["security"][0]["code"], "REDACTED");
    assert!(!text.contains("Patient/p1"));
}

#[test]
fn pseudonymised_output_reads_back() {
    use phrkit::write::{export::pseudonymise_to_fhir, OutputFormat, WriteOptions};
    let (records, _) = dataset(3);
    let mut p = Pseudonymiser::new(&key(1), Profile::Pseudonymised, opts()).unwrap();
    let (_, out) = pseudonymise_to_fhir(
        records,
        &mut p,
        WriteOptions::new(OutputFormat::Ndjson),
        Vec::new(),
    )
    .unwrap();
    let back = phrkit::read_slice(&out, &phrkit::ReadOptions::default()).unwrap();
    assert!(back.report.is_balanced());
    let subjects = back
        .records
        .iter()
        .filter(|r| matches!(r, Record::Subject(_)))
        .count();
    assert_eq!(subjects, 3);
    assert_eq!(back.records.len(), 12, "{:?}", back.report.skipped);
    let Record::Subject(s) = &back.records[0] else {
        panic!()
    };
    assert_eq!(s.birth_year, Some(1950));
    assert!(s.name_kanji.is_none() && s.insured_id.is_none());
    assert_eq!(s.identifiers.len(), 2); // the two pseudonyms
}

#[test]
fn anonymised_records_before_any_subject_get_their_own_empty_subject() {
    let (mut records, _) = dataset(4);
    records.insert(0, steps("2025-01-01T08:00:00+09:00"));
    let mut o = AnonymiseOptions::new(opts());
    o.k = 1;
    let (out, report) = anonymise(records, &o).unwrap();
    assert_eq!(out.len(), 18);
    assert_eq!(report.records_in, 17);
    assert_eq!(report.records_out, 18);
    // Every block starts with a subject, whatever the shuffled order.
    assert!(matches!(out[0].record, Record::Subject(_)));
    let empty = out
        .iter()
        .position(|l| matches!(&l.record, Record::Subject(s) if s.is_empty()))
        .unwrap();
    let Record::Measurement(moved) = &out[empty + 1].record else {
        panic!()
    };
    assert_ne!(
        moved.effective(),
        &Effective::Instant(t("2025-01-01T08:00:00+09:00")),
        "date not shifted"
    );
    assert_eq!(out[empty + 1].record, {
        let mut r = steps("2025-01-01T08:00:00+09:00");
        if let (Record::Measurement(m), Record::Measurement(o)) = (&mut r, &out[empty + 1].record) {
            m.set_effective(o.effective().clone()).unwrap();
        }
        r
    });
}
