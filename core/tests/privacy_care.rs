//! Consent and pseudonymisation of the checkup and care record types (issue 6): re-identification scans of
//! 特定健診 and マイナポータル inputs under both profiles, consent on MedicationDispense, date shifting.
//! Inputs: `fixtures/kenshin/` and `fixtures/myna_portal/` (handwritten, synthetic), and an archive of
//! several synthetic people generated here from the checkup fixture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use phrkit::policy::pseudonymise::{
    anonymise, AnonymiseOptions, Profile, PseudonymKey, PseudonymiseOptions, Pseudonymiser,
};
use phrkit::read::mapping::Mapping;
use phrkit::record::{CheckupReport, CheckupValue, PersonName, Subject};
use phrkit::write::export::{pseudonymise_to_fhir, write_labelled};
use phrkit::write::{OutputFormat, WriteOptions};
use phrkit::{read_slice, ReadOptions, Record};

const SAMPLE: &[u8] = include_bytes!("../../fixtures/kenshin/hc08_sample.xml");

fn myna(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/../fixtures/myna_portal/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(p).unwrap()
}

fn key() -> PseudonymKey {
    PseudonymKey::from_bytes(vec![7; 32]).unwrap()
}

fn opts() -> PseudonymiseOptions {
    PseudonymiseOptions::new(NaiveDate::from_ymd_opt(2026, 8, 1).unwrap())
}

fn sample() -> CheckupReport {
    let ds = read_slice(SAMPLE, &ReadOptions::strict()).unwrap();
    match ds.records.into_iter().next().unwrap() {
        Record::Checkup(c) => *c,
        other => panic!("expected a checkup, got {}", other.type_name()),
    }
}

/// Several people built from the fixture (distinct ids, names, addresses, birth dates), written as a
/// 特定健診 archive and read back, so the scan covers what the archive reader produces.
fn checkup_archive(n: usize) -> Vec<Record> {
    use phrkit::record::InsuredId;
    use phrkit::write::kenshin_cda::{write_archive, ArchiveSpec};
    let one = sample();
    let people: Vec<CheckupReport> = (0..n)
        .map(|i| {
            let mut r = one.clone();
            let s = &mut r.subject;
            s.insured_id = Some(
                InsuredId::new(
                    "263129",
                    &format!("ｶｸｳ{i}"),
                    &format!("{}", 81_000_000 + i * 11),
                    Some("01"),
                )
                .unwrap(),
            );
            s.name_kana = Some(PersonName::whole(&format!("ミホン　ジロウ{i}")));
            s.birth_date = NaiveDate::from_ymd_opt(1960 + i as i32, 2, 3 + i as u32);
            if let Some(a) = s.address.as_mut() {
                a.text = Some(format!("東京都架空区見本町{}丁目{}番", i + 1, 40 + i));
                a.postal_code = Some(format!("{:03}-{:04}", 150 + i, 7000 + i));
            }
            if let Some(t) = r.ticket.as_mut() {
                t.number = Some(format!("{}", 55_500_000_000u64 + i as u64));
            }
            r
        })
        .collect();
    let spec = ArchiveSpec::checkup(
        "0123456789",
        "263129",
        NaiveDate::from_ymd_opt(2026, 7, 30).unwrap(),
    );
    let mut buf = std::io::Cursor::new(Vec::new());
    write_archive(&people, &spec, &mut buf).unwrap();
    let ds = read_slice(&buf.into_inner(), &ReadOptions::strict()).unwrap();
    assert_eq!(ds.records.len(), n);
    ds.records
}

/// The myna inputs: expense CSV (subject + expenses), medication payload via its mapping (subject +
/// dispenses), immunization CSV via its mapping.
fn myna_records() -> Vec<Record> {
    let mut v = read_slice(&myna("expense.csv"), &ReadOptions::strict())
        .unwrap()
        .records;
    for (mapping, payload) in [
        ("medication_mapping.json", "medication_payload.json"),
        ("immunization_mapping.json", "immunization.csv"),
    ] {
        let m = Mapping::from_json(&myna(mapping)).unwrap();
        v.extend(
            m.read_slice(&myna(payload), &ReadOptions::strict())
                .unwrap()
                .records,
        );
    }
    v
}

// ------------------------------------------------------------------ collecting the secrets

/// Every personal string of the input, collected from the records (not listed by hand).
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    /// Adds a secret, and its half-width form when it has full-width digits or letters (the writer may
    /// normalise `４５６７` to `4567`).
    fn add(&mut self, s: &str) {
        let folded: String = s
            .chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect();
        if folded != s {
            self.add_one(&folded);
        }
        self.add_one(s);
    }

    fn add_one(&mut self, s: &str) {
        let s = s.trim();
        if s.chars().count() >= 2 && !self.0.iter().any(|x| x == s) {
            self.0.push(s.to_owned());
        }
    }

    fn name(&mut self, n: &Option<PersonName>) {
        if let Some(n) = n {
            self.add(&n.text);
            n.family.iter().chain(&n.given).for_each(|p| self.add(p));
        }
    }

    fn subject(&mut self, s: &Subject) {
        if let Some(i) = &s.insured_id {
            self.add(&i.to_jp_core());
            self.add(i.insurer());
            self.add(i.insurer().trim_start_matches('0'));
            self.add(i.symbol());
            self.add(i.number());
        }
        s.identifiers.iter().for_each(|c| self.add(&c.code));
        self.name(&s.name_kanji);
        self.name(&s.name_kana);
        if let Some(b) = s.birth_date {
            for f in ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y年%m月%d日"] {
                self.add(&b.format(f).to_string());
            }
        }
        if let Some(a) = &s.address {
            if let Some(p) = &a.postal_code {
                self.add(p);
                self.add(&p.replace('-', ""));
            }
            a.text.iter().for_each(|t| self.add(t));
        }
    }

    fn checkup(&mut self, c: &CheckupReport) {
        self.subject(&c.subject);
        if let Some(n) = &c.insurer_number {
            self.add(n);
            self.add(n.trim_start_matches('0'));
        }
        if let Some(e) = c.document_id.as_ref().and_then(|d| d.extension.as_ref()) {
            self.add(e);
        }
        if let Some(t) = &c.ticket {
            t.number.iter().for_each(|n| self.add(n));
            if let Some(i) = &t.insurer {
                self.add(i);
                self.add(i.trim_start_matches('0'));
            }
        }
        for r in &c.results {
            if let Some(CheckupValue::Text(t)) = &r.value {
                self.add(t);
            }
            r.author_name.iter().for_each(|n| self.add(n));
        }
    }

    fn record(&mut self, r: &Record) {
        match r {
            Record::Subject(s) => self.subject(s),
            Record::Checkup(c) => self.checkup(c),
            Record::Medication(m) => m.extra.iter().for_each(|e| self.add(&e.value)),
            Record::Immunization(i) => i.extra.iter().for_each(|e| self.add(&e.value)),
            Record::Expense(e) => e.extra.iter().for_each(|e| self.add(&e.value)),
            _ => {}
        }
    }

    fn of(records: &[Record]) -> Secrets {
        let mut s = Secrets::default();
        records.iter().for_each(|r| s.record(r));
        s
    }
}

/// Every JSON string in the output, and its parts split at separators (`a:b:c`, `x^y`, `urn:oid:…`).
fn strings(out: &[u8]) -> Vec<String> {
    fn walk(v: &serde_json::Value, acc: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => acc.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, acc)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, acc)),
            _ => {}
        }
    }
    let text = std::str::from_utf8(out).unwrap();
    let mut acc = Vec::new();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => walk(&v, &mut acc),
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .for_each(|l| walk(&serde_json::from_str(l).unwrap(), &mut acc)),
    }
    acc
}

/// Secrets of 6 characters or more must not occur anywhere in the bytes; shorter ones (a 4-digit
/// 番号, a 2-character 記号) must not be a whole JSON string or a separator-delimited part of one, since
/// as substrings they occur by chance in hex pseudonyms and content ids. Numbers must not be a whole
/// digit run (`1234567` inside the institution code `1341234567` is no leak); from 8 digits on (insurer
/// numbers, 受診券 numbers) not part of one either, which catches them inside OIDs.
fn leaks(out: &[u8], secrets: &Secrets) -> Vec<String> {
    let text = std::str::from_utf8(out).unwrap();
    let values = strings(out);
    let parts: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split([':', '^', '|', '/', ' ', '\u{3000}', '.', ',', '-']))
        .collect();
    secrets
        .0
        .iter()
        .filter(|s| {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                digit_runs(text)
                    .any(|run| run == s.as_str() || (s.len() >= 8 && run.contains(s.as_str())))
            } else if s.chars().count() >= 6 {
                text.contains(s.as_str())
            } else {
                values.iter().any(|v| v == *s) || parts.contains(&s.as_str())
            }
        })
        .cloned()
        .collect()
}

fn digit_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
}

fn assert_no_leak(out: &[u8], secrets: &Secrets, what: &str) {
    let found = leaks(out, secrets);
    // Values and their context are shown so a failing run says what leaked; the data are synthetic.
    let text = std::str::from_utf8(out).unwrap();
    let context: Vec<String> = found
        .iter()
        .filter_map(|s| {
            let at = text.find(s.as_str())?;
            let mut start = at.saturating_sub(160);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            Some(text[start..at + s.len()].to_owned())
        })
        .collect();
    assert!(
        found.is_empty(),
        "{what}: output contains {found:?} in {context:#?}"
    );
}

const FORMATS: [OutputFormat; 2] = [OutputFormat::Ndjson, OutputFormat::BundleCollection];

fn pseudonymised(records: &[Record], format: OutputFormat) -> Vec<u8> {
    let mut p = Pseudonymiser::new(&key(), Profile::Pseudonymised, opts()).unwrap();
    let (report, out) = pseudonymise_to_fhir(
        records.to_vec(),
        &mut p,
        WriteOptions::new(format),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(p.report().records_out, records.len() as u64);
    assert!(report.converted > 0);
    out
}

fn anonymised(records: &[Record], format: OutputFormat) -> Vec<u8> {
    let mut o = AnonymiseOptions::new(opts());
    // The scan is about the field rules; class sizes are tested in privacy.rs.
    o.k = 1;
    let (out, report) = anonymise(records.to_vec(), &o).unwrap();
    assert_eq!(report.k_anonymity.unwrap().suppressed_records, 0);
    write_labelled(out, WriteOptions::new(format), Vec::new())
        .unwrap()
        .1
}

fn scan_both_profiles(records: &[Record], what: &str) -> Secrets {
    let secrets = Secrets::of(records);
    // The scan can fail: the unprocessed output contains the secrets.
    let plain = phrkit::write::to_vec(records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
    assert!(
        leaks(&plain, &secrets).len() * 2 >= secrets.0.len(),
        "{what}: plain output should show most secrets, found {:?} of {:?}",
        leaks(&plain, &secrets),
        secrets.0
    );
    for format in FORMATS {
        assert_no_leak(
            &pseudonymised(records, format),
            &secrets,
            &format!("{what} pseudonymised {format:?}"),
        );
        assert_no_leak(
            &anonymised(records, format),
            &secrets,
            &format!("{what} anonymised {format:?}"),
        );
    }
    secrets
}

#[test]
fn checkup_output_contains_no_input_identifier() {
    let records = vec![Record::from(sample())];
    let secrets = scan_both_profiles(&records, "checkup fixture");
    // What was collected: ids, names, address, ticket, free text, physician name.
    for s in [
        "ケンシン　タロウ",
        "1234",
        "ｱｲ",
        "100-0000",
        "12345678901",
        "特記すべき所見なし",
        "健診　花子",
    ] {
        assert!(
            secrets.0.iter().any(|x| x == s),
            "not collected: {s} in {:?}",
            secrets.0
        );
    }
}

#[test]
fn checkup_archive_output_contains_no_input_identifier() {
    let records = checkup_archive(6);
    let secrets = scan_both_profiles(&records, "checkup archive");
    assert!(secrets.0.len() > 6 * 8);
}

#[test]
fn care_record_output_contains_no_input_identifier() {
    let records = myna_records();
    let types: Vec<String> = records.iter().map(|r| r.type_name().into_owned()).collect();
    for t in [
        "subject",
        "medicalExpense",
        "medicationDispense",
        "immunization",
    ] {
        assert!(types.iter().any(|x| x == t), "no {t} in the myna inputs");
    }
    let secrets = scan_both_profiles(&records, "myna portal");
    // Names (both files), insured-id parts of both, birth date, the medication's unmodelled field.
    for s in [
        "健診 花子",
        "ケンシン ハナコ",
        "花子",
        "1980-04-01",
        "06139463:あいう:187:05",
        "187",
        "4567",
        "後発品",
    ] {
        assert!(
            secrets.0.iter().any(|x| x == s),
            "not collected: {s} in {:?}",
            secrets.0
        );
    }
}

// ------------------------------------------------------------------ k-anonymity over checkups

/// A checkup carries its own subject, so each person's checkup is a block of its own for k-anonymity
/// (not all of them one block behind a placeholder subject).
#[test]
fn anonymised_checkups_form_classes_by_their_own_subjects() {
    let records = checkup_archive(6);
    let mut o = AnonymiseOptions::new(opts());
    o.k = 2;
    o.max_suppressed_fraction = 0.5;
    // Born 1960-02-03 … 1965-02-08, same sex and prefecture; at the reference date 2026-08-01 ages are
    // 66, 65 (band 65-69) and 64 … 61 (band 60-64): two classes of 2 and 4, nobody suppressed.
    let (out, report) = anonymise(records, &o).unwrap();
    let k = report.k_anonymity.unwrap();
    assert_eq!(k.suppressed_subjects, 0);
    assert_eq!(k.class_sizes.get(&2), Some(&1));
    assert_eq!(k.class_sizes.get(&4), Some(&1));
    let released: usize = k.class_sizes.iter().map(|(size, n)| size * n).sum();
    assert_eq!(released, 6);
    assert!(k.achieved_k >= 2, "achieved {}", k.achieved_k);
    // Every released record is a checkup with its own (anonymised) subject; no placeholder was added.
    assert_eq!(out.len(), released);
    for l in &out {
        let Record::Checkup(c) = &l.record else {
            panic!("unexpected {}", l.record.type_name())
        };
        assert!(c.subject.age_band.is_some() && c.subject.birth_date.is_none());
        assert!(c.subject.insured_id.is_none());
        assert!(l.labels.iter().any(|s| s.code == "ANONYED"));
    }
}

// ------------------------------------------------------------------ consent on the care types

mod consent {
    use super::*;
    use phrkit::policy::consent::*;
    use phrkit::policy::enforce::ExportContext;
    use phrkit::record::{Coding, Decimal, Effective, Kind, Measurement, Unit};
    use phrkit::write::export::export_with_consent;

    const PARTNER: &str = "Organization/research-partner";

    fn hresch() -> Coding {
        Coding::new(
            "http://terminology.hl7.org/CodeSystem/v3-ActReason",
            "HRESCH",
        )
    }

    /// Deny by default; permit disclosure to the partner for research of the given classes.
    fn consent(classes: Vec<Coding>) -> ConsentPolicy {
        let mut c = ConsentPolicy::new(
            ConsentStatus::Active,
            CodeableConcept::of(
                "http://terminology.hl7.org/CodeSystem/consentscope",
                "research",
            ),
        );
        c.id = Some("care".into());
        let permit = Provision {
            r#type: Some(ProvisionType::Permit),
            actor: vec![ProvisionActor {
                role: CodeableConcept::of(
                    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "IRCP",
                ),
                reference: Reference::to(PARTNER),
            }],
            action: vec![CodeableConcept::of(CONSENT_ACTION, "disclose")],
            purpose: vec![hresch()],
            class: classes,
            ..Provision::default()
        };
        c.provision = Some(Provision {
            r#type: Some(ProvisionType::Deny),
            provision: vec![permit],
            ..Provision::default()
        });
        c
    }

    /// The medication subject, a lifelog measurement of theirs, and their three dispenses.
    fn records() -> Vec<Record> {
        let m = Mapping::from_json(&myna("medication_mapping.json")).unwrap();
        let mut v = m
            .read_slice(&myna("medication_payload.json"), &ReadOptions::strict())
            .unwrap()
            .records;
        let steps = Measurement::quantity(
            Kind::Steps,
            Effective::Instant(
                chrono::DateTime::parse_from_rfc3339("2025-03-02T08:00:00+09:00").unwrap(),
            ),
            Decimal::from(4321),
            Unit::Steps,
        )
        .unwrap();
        v.insert(1, steps.into());
        assert_eq!(
            v.iter()
                .filter(|r| r.type_name() == "medicationDispense")
                .count(),
            3
        );
        v
    }

    /// Exports under one consent; returns the consent report's (converted, skipped) and the resource
    /// types written.
    fn export(classes: Vec<Coding>) -> (u64, u64, Vec<String>) {
        let ctx = ExportContext::new(
            ConsentSet::new(vec![consent(classes)]),
            Recipient::to(PARTNER),
            hresch(),
            chrono::DateTime::parse_from_rfc3339("2025-06-01T12:00:00+09:00").unwrap(),
        );
        let mut out = Vec::new();
        let s = export_with_consent(
            records(),
            WriteOptions::new(OutputFormat::Ndjson),
            &ctx,
            &mut out,
        )
        .unwrap();
        let r = &s.consent_report;
        assert!(r.is_balanced());
        assert_eq!(r.items_read, 5);
        let types = std::str::from_utf8(&out)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["resourceType"].as_str().unwrap().to_owned()
            })
            .collect();
        (r.converted, r.skipped_total(), types)
    }

    fn count(types: &[String], t: &str) -> usize {
        types.iter().filter(|x| *x == t).count()
    }

    #[test]
    fn observation_consent_denies_medication_dispenses() {
        let (converted, skipped, types) = export(vec![
            Coding::new(RESOURCE_TYPES, "Observation"),
            Coding::new(RESOURCE_TYPES, "Patient"),
        ]);
        assert_eq!((converted, skipped), (2, 3));
        assert_eq!(count(&types, "MedicationDispense"), 0);
        assert_eq!(count(&types, "Observation"), 1);
        assert_eq!(count(&types, "Patient"), 1);
        // A lifelog record-type class denies them too.
        let (converted, skipped, types) =
            export(vec![Coding::new(PHRKIT_RECORD_TYPE, "stepCount")]);
        assert_eq!((converted, skipped), (1, 4));
        assert_eq!(count(&types, "MedicationDispense"), 0);
        assert_eq!(count(&types, "Observation"), 1);
    }

    #[test]
    fn medication_dispense_consent_lets_them_through() {
        for class in [
            Coding::new(RESOURCE_TYPES, "MedicationDispense"),
            Coding::new(PHRKIT_RECORD_TYPE, "medicationDispense"),
            Coding::new("http://hl7.org/fhir/resource-types", "MedicationDispense"),
        ] {
            let (converted, skipped, types) =
                export(vec![class, Coding::new(RESOURCE_TYPES, "Patient")]);
            assert_eq!((converted, skipped), (4, 1));
            assert_eq!(count(&types, "MedicationDispense"), 3);
            assert_eq!(count(&types, "Observation"), 0);
            assert_eq!(count(&types, "Patient"), 1);
        }
    }
}

// ------------------------------------------------------------------ date shifting

fn shifted(records: Vec<Record>) -> Vec<Record> {
    let mut p = Pseudonymiser::new(&key(), Profile::Pseudonymised, opts()).unwrap();
    records
        .into_iter()
        .map(|r| p.apply(r).unwrap().unwrap().record)
        .collect()
}

fn checkup_of(r: &Record) -> &CheckupReport {
    match r {
        Record::Checkup(c) => c,
        other => panic!("expected a checkup, got {}", other.type_name()),
    }
}

fn days(a: NaiveDate, b: NaiveDate) -> i64 {
    (a - b).num_days()
}

#[test]
fn checkup_dates_shift_by_the_persons_offset_and_keep_intervals() {
    use phrkit::record::{Decimal, Effective, Kind, Measurement, Unit};
    let archive = checkup_archive(3);
    let before: Vec<CheckupReport> = archive.iter().map(|r| checkup_of(r).clone()).collect();
    let b0 = &before[0];
    // Person 0 also has a Subject record and a lifelog weight on the exam day, before the checkups.
    let weigh_at = chrono::DateTime::parse_from_rfc3339("2026-04-15T07:30:00+09:00").unwrap();
    let weight = Measurement::quantity(
        Kind::BodyWeight,
        Effective::Instant(weigh_at),
        Decimal::new(650, 1),
        Unit::Kilogram,
    )
    .unwrap();
    let mut input = vec![Record::from(b0.subject.clone()), weight.into()];
    input.extend(archive);
    let out = shifted(input);
    let Record::Measurement(w) = &out[1] else {
        panic!()
    };
    let lifelog_shift = (*w.effective().start().unwrap() - weigh_at).num_days();
    assert!(lifelog_shift != 0 && lifelog_shift.abs() <= 50);
    let mut shifts = Vec::new();
    for (i, b) in before.iter().enumerate() {
        let a = checkup_of(&out[i + 2]);
        let shift = days(a.exam_date, b.exam_date);
        assert!(shift != 0 && shift.abs() <= 50, "person {i}: shift {shift}");
        // Every date of the report moves by the same offset: intervals are kept.
        assert_eq!(
            days(a.created.unwrap(), a.exam_date),
            days(b.created.unwrap(), b.exam_date)
        );
        let (ta, tb) = (a.ticket.as_ref().unwrap(), b.ticket.as_ref().unwrap());
        assert_eq!(
            days(ta.expiry.unwrap(), a.exam_date),
            days(tb.expiry.unwrap(), b.exam_date)
        );
        let result_dates = |r: &CheckupReport| -> Vec<NaiveDate> {
            r.results
                .iter()
                .filter_map(|x| match &x.value {
                    Some(CheckupValue::Date(d)) => Some(*d),
                    _ => None,
                })
                .collect()
        };
        let (da, db) = (result_dates(a), result_dates(b));
        assert!(!db.is_empty());
        for (x, y) in da.iter().zip(&db) {
            assert_eq!(days(*x, *y), shift);
        }
        // The written author time would reveal the offset: it is removed.
        assert!(b.author_time.is_some() && a.author_time.is_none());
        shifts.push(shift);
    }
    // Person 0's checkup moves like their lifelog data; the others have offsets of their own.
    assert_eq!(shifts[0], lifelog_shift);
    assert!(
        shifts[1] != shifts[0] || shifts[2] != shifts[0],
        "all three synthetic people share one shift: {shifts:?}"
    );
    // Stable under the same key.
    let again = shifted(checkup_archive(3));
    assert_eq!(
        days(checkup_of(&again[1]).exam_date, before[1].exam_date),
        shifts[1]
    );
}

/// (prescribed, dispensed) before, then after.
type DatePairs = (
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

#[test]
fn medication_dates_shift_together_and_keep_the_prescribed_dispensed_interval() {
    let m = Mapping::from_json(&myna("medication_mapping.json")).unwrap();
    let input = m
        .read_slice(&myna("medication_payload.json"), &ReadOptions::strict())
        .unwrap()
        .records;
    let out = shifted(input.clone());
    let pairs: Vec<DatePairs> = input
        .iter()
        .zip(&out)
        .filter_map(|(b, a)| match (b, a) {
            (Record::Medication(b), Record::Medication(a)) => {
                Some((b.prescribed, b.dispensed, a.prescribed, a.dispensed))
            }
            _ => None,
        })
        .collect();
    assert_eq!(pairs.len(), 3);
    let first = &pairs[0];
    let shift = days(first.3.unwrap(), first.1.unwrap());
    assert!(shift != 0 && shift.abs() <= 50);
    // Prescribed 2025-03-01, dispensed 2025-03-02: still one day apart.
    assert_eq!(days(first.2.unwrap(), first.0.unwrap()), shift);
    assert_eq!(days(first.3.unwrap(), first.2.unwrap()), 1);
    // The other dispenses (only a dispensing date) move by the same per-person offset.
    for (bp, bd, ap, ad) in &pairs[1..] {
        assert_eq!((bp, ap), (&None, &None));
        assert_eq!(days(ad.unwrap(), bd.unwrap()), shift);
    }
}

#[test]
fn checkup_fields_are_counted_and_a_subject_without_ids_gets_a_pseudonym() {
    use phrkit::policy::pseudonymise::Method;
    let mut r = sample();
    let mut p = Pseudonymiser::new(&key(), Profile::Pseudonymised, opts()).unwrap();
    let out = p.apply(Record::from(r.clone())).unwrap().unwrap();
    let c = checkup_of(&out.record);
    let cr = p.report();
    // Header insurer (when given) and the ticket's insurer share one path and one pseudonym.
    let insurers = usize::from(r.insurer_number.is_some()) + 1;
    assert_eq!(
        cr.get("checkup.insurerNumber", Method::CryptoHash),
        insurers as u64
    );
    assert_eq!(cr.get("checkup.ticket.number", Method::CryptoHash), 1);
    assert_eq!(cr.get("checkup.result.text", Method::Redact), 2);
    assert_eq!(cr.get("checkup.result.authorName", Method::Redact), 1);
    assert_eq!(cr.get("subject.insuredId", Method::CryptoHash), 1);
    let t = c.ticket.as_ref().unwrap();
    assert_eq!(t.insurer.as_ref().unwrap().len(), 64);
    if let Some(h) = &c.insurer_number {
        assert_eq!(Some(h), t.insurer.as_ref());
    }
    assert!(out.labels.iter().any(|l| l.code == "PSEUDED"));
    // Without any identifier, the checkup's subject gets a keyed pseudonym (a distinct, stable Patient).
    r.subject.insured_id = None;
    r.subject.identifiers.clear();
    let out = p.apply(Record::from(r)).unwrap().unwrap();
    let ids = &checkup_of(&out.record).subject.identifiers;
    assert_eq!(ids.len(), 1);
    assert_eq!(
        ids[0].system,
        "http://phrkit.dev/fhir/sid/pseudonym/subject"
    );
    assert_eq!(ids[0].code.len(), 64);
}
