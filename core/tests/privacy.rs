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
        Record::Subject(hanako()),
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
    let records = vec![
        Record::Subject(hanako()),
        steps("2025-02-28T08:00:00+09:00"),
    ];
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
