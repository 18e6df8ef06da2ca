//! Golden files: one synthetic record per measurement kind, written to FHIR NDJSON and compared byte for
//! byte with `fixtures/golden/<kind>.ndjson`. Run with `PHRKIT_BLESS=1` to rewrite them, then review the diff.
//! The records are synthetic, built here; no real person's data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use phrkit::read::{read_slice, Format, ReadOptions};
use phrkit::record::*;
use phrkit::write::{to_vec, OutputFormat, WriteOptions};
use phrkit::Record;

fn t(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn subject() -> Subject {
    Subject {
        insured_id: Some(InsuredId::new("06139991", "記号A", "1234", Some("01")).unwrap()),
        identifiers: vec![],
        name_kanji: Some(PersonName::from_parts("見本", "花子")),
        name_kana: Some(PersonName::from_parts("ミホン", "ハナコ")),
        birth_date: NaiveDate::from_ymd_opt(1980, 4, 1),
        sex: Some(Sex::Female),
        address: Some(Address {
            postal_code: Some("100-0001".into()),
            prefecture: Some("東京都".into()),
            text: None,
        }),
        ..Subject::default()
    }
}

fn watch() -> Arc<Source> {
    Arc::new(Source {
        name: Some("Hanako's Apple Watch".into()),
        version: Some("10.2".into()),
        device: Some(SourceDevice {
            name: Some("Apple Watch".into()),
            manufacturer: Some("Apple Inc.".into()),
            model: Some("Watch".into()),
            hardware: Some("Watch6,2".into()),
            software: Some("10.2".into()),
        }),
    })
}

fn instant() -> Effective {
    Effective::Instant(t("2025-02-28T07:01:00+09:00"))
}

fn interval() -> Effective {
    Effective::Period(
        Period::new(
            t("2025-02-28T08:05:02+09:00"),
            t("2025-02-28T08:14:40+09:00"),
        )
        .unwrap(),
    )
}

/// One measurement per kind in the kind table, plus an unknown HealthKit type.
fn cases() -> Vec<(String, Measurement)> {
    let mut out = Vec::new();
    for row in KIND_TABLE {
        let m = match row.shape {
            Shape::Quantity { .. } => {
                let value = match row.kind {
                    Kind::Steps => d("812"),
                    Kind::OxygenSaturation => d("96"),
                    Kind::BodyFatPercentage => d("16.1"),
                    Kind::BodyTemperature => d("36.6"),
                    Kind::BodyWeight => d("52.40"),
                    Kind::BodyHeight => d("158.2"),
                    Kind::FlightsClimbed => d("3"),
                    Kind::BloodGlucose => d("104"),
                    _ => d("61.5"),
                };
                let eff = match row.kind {
                    Kind::Steps
                    | Kind::ActiveEnergyBurned
                    | Kind::BasalEnergyBurned
                    | Kind::WalkingRunningDistance
                    | Kind::FlightsClimbed
                    | Kind::DietaryEnergyConsumed => interval(),
                    _ => instant(),
                };
                Measurement::quantity(row.kind.clone(), eff, value, row.units[0]).unwrap()
            }
            Shape::BloodPressure => {
                Measurement::blood_pressure(instant(), d("128"), d("82")).unwrap()
            }
            Shape::Sleep => {
                let p = |a, b| Period::new(t(a), t(b)).unwrap();
                let stages = vec![
                    SleepStageInterval {
                        stage: SleepStage::InBed,
                        period: p("2025-02-28T23:00:00+09:00", "2025-03-01T06:30:00+09:00"),
                    },
                    SleepStageInterval {
                        stage: SleepStage::Core,
                        period: p("2025-02-28T23:20:00+09:00", "2025-03-01T01:00:00+09:00"),
                    },
                    SleepStageInterval {
                        stage: SleepStage::Deep,
                        period: p("2025-03-01T01:00:00+09:00", "2025-03-01T02:00:00+09:00"),
                    },
                    SleepStageInterval {
                        stage: SleepStage::Rem,
                        period: p("2025-03-01T02:00:00+09:00", "2025-03-01T02:45:00+09:00"),
                    },
                    SleepStageInterval {
                        stage: SleepStage::Awake,
                        period: p("2025-03-01T02:45:00+09:00", "2025-03-01T02:50:00+09:00"),
                    },
                ];
                let eff =
                    Effective::Period(p("2025-02-28T23:00:00+09:00", "2025-03-01T06:30:00+09:00"));
                Measurement::new(
                    Kind::SleepSession,
                    eff,
                    MeasurementValue::Sleep(SleepSession::new(stages).unwrap()),
                )
                .unwrap()
            }
            Shape::Workout => {
                let w = Workout {
                    activity: "HKWorkoutActivityTypeRunning".into(),
                    duration: Some(Quantity::new(d("32.5"), Unit::Minute)),
                    energy: Some(Quantity::new(d("301.2"), Unit::Kilocalorie)),
                    distance: Some(Quantity::new(d("5.012"), Unit::Kilometer)),
                };
                let eff = Effective::Period(
                    Period::new(
                        t("2025-02-28T18:00:00+09:00"),
                        t("2025-02-28T18:35:00+09:00"),
                    )
                    .unwrap(),
                );
                Measurement::new(Kind::Workout, eff, MeasurementValue::Workout(w)).unwrap()
            }
        };
        out.push((row.pghd.to_owned(), m.with_source(watch())));
    }
    let other = Kind::Other(Box::new(Coding::new(
        phrkit::fhir::codes::HEALTHKIT,
        "HKQuantityTypeIdentifierEnvironmentalAudioExposure",
    )));
    let mut m = Measurement::quantity(other, interval(), d("72.4"), Unit::Decibel)
        .unwrap()
        .with_source(watch());
    m.push_metadata("HKTimeZone", "Asia/Tokyo");
    out.push((
        "other".to_owned(),
        m.with_recorded(t("2025-02-28T08:20:11+09:00"))
            .with_identifier("ext-0001"),
    ));
    out
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/golden")
        .join(format!("{name}.ndjson"))
}

#[test]
fn every_kind_matches_its_golden_file_and_reads_back() {
    let bless = std::env::var_os("PHRKIT_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, m) in cases() {
        let records = vec![Record::from(subject()), Record::Measurement(m)];
        let bytes = to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
        let path = golden_path(&name);
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        }
        match std::fs::read(&path) {
            Ok(expected) if expected == bytes => {}
            Ok(_) => failures.push(format!("{name}: output differs from {}", path.display())),
            Err(_) => failures.push(format!("{name}: missing {}", path.display())),
        }
        let back = read_slice(
            &bytes,
            &ReadOptions::strict().with_format(Format::FhirNdjson),
        )
        .unwrap();
        assert_eq!(back.records, records, "{name} did not round-trip");
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (PHRKIT_BLESS=1 to rewrite):\n{}",
        failures.join("\n")
    );
}

#[test]
fn blood_pressure_is_one_panel_with_two_components_in_mmhg() {
    let m = Measurement::blood_pressure(instant(), d("128"), d("82")).unwrap();
    let bytes = to_vec(
        &[Record::Measurement(m)],
        WriteOptions::new(OutputFormat::Ndjson),
    )
    .unwrap();
    let obs: Vec<serde_json::Value> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .filter(|v: &serde_json::Value| v["resourceType"] == "Observation")
        .collect();
    assert_eq!(obs.len(), 1);
    let o = &obs[0];
    assert_eq!(o["code"]["coding"][0]["code"], "85354-9");
    assert!(o.get("valueQuantity").is_none());
    assert_eq!(o["component"][0]["code"]["coding"][0]["code"], "8480-6");
    assert_eq!(o["component"][1]["code"]["coding"][0]["code"], "8462-4");
    for c in o["component"].as_array().unwrap() {
        assert_eq!(c["valueQuantity"]["code"], "mm[Hg]");
        assert_eq!(c["valueQuantity"]["system"], "http://unitsofmeasure.org");
    }
    assert_eq!(
        o["component"][0]["valueQuantity"]["value"].to_string(),
        "128"
    );
    let profiles = o["meta"]["profile"].as_array().unwrap();
    assert!(profiles
        .iter()
        .any(|p| p == "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns"));
    assert!(profiles
        .iter()
        .any(|p| p == "http://hl7.org/fhir/StructureDefinition/bp"));
}

#[test]
fn spec_codes_and_units_for_steps_weight_heart_rate_spo2() {
    let expect = [
        (Kind::Steps, "55423-8", "{steps}", "JP_Observation_Common"),
        (
            Kind::BodyWeight,
            "29463-7",
            "kg",
            "JP_Observation_BodyMeasurement",
        ),
        (
            Kind::HeartRate,
            "8867-4",
            "/min",
            "JP_Observation_VitalSigns",
        ),
        (
            Kind::OxygenSaturation,
            "2708-6",
            "%",
            "JP_Observation_VitalSigns",
        ),
    ];
    for (kind, loinc, ucum, profile) in expect {
        let (_, m) = cases()
            .into_iter()
            .find(|(_, m)| *m.kind() == kind)
            .unwrap();
        let bytes = to_vec(
            &[Record::Measurement(m)],
            WriteOptions::new(OutputFormat::Ndjson),
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let obs: serde_json::Value = serde_json::from_str(
            text.lines()
                .find(|l| l.contains("\"Observation\""))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(obs["code"]["coding"][0]["system"], "http://loinc.org");
        assert_eq!(obs["code"]["coding"][0]["code"], loinc, "{kind:?}");
        assert_eq!(obs["valueQuantity"]["code"], ucum, "{kind:?}");
        assert_eq!(
            obs["meta"]["profile"][0],
            format!("http://jpfhir.jp/fhir/core/StructureDefinition/{profile}")
        );
    }
}

#[test]
fn decimals_keep_their_written_precision() {
    let m = Measurement::quantity(Kind::BodyWeight, instant(), d("104.0"), Unit::Kilogram).unwrap();
    let text = String::from_utf8(
        to_vec(
            &[Record::Measurement(m)],
            WriteOptions::new(OutputFormat::Ndjson),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(text.contains("\"value\":104.0,"), "{text}");
}
