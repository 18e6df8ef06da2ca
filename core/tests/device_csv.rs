//! Device CSV importer: presets by header content, UTF-8 ± BOM and Shift_JIS, exact values and counts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::str::FromStr;

use phrkit::read::{read_path, read_slice, Format, ReadOptions};
use phrkit::record::{Decimal, Effective, MeasurementValue, Unit};
use phrkit::{ErrorKind, Location, Record};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/device_csv")
        .join(name)
}

fn values(d: &phrkit::read::Dataset) -> Vec<(String, String, String)> {
    d.records
        .iter()
        .map(|r| {
            let Record::Measurement(m) = r else { panic!() };
            let Effective::Instant(t) = m.effective() else {
                panic!()
            };
            let v = match m.value() {
                MeasurementValue::Quantity(q) => format!("{} {}", q.value, q.unit),
                MeasurementValue::BloodPressure {
                    systolic,
                    diastolic,
                } => {
                    format!("{systolic}/{diastolic}")
                }
                other => panic!("{other:?}"),
            };
            (m.kind().name().into_owned(), t.to_rfc3339(), v)
        })
        .collect()
}

#[test]
fn omron_us_export_becomes_blood_pressure_and_pulse() {
    let d = read_path(fixture("omron_connect_us.csv"), &ReadOptions::default()).unwrap();
    assert_eq!(
        values(&d),
        vec![
            (
                "bloodPressure".into(),
                "2025-01-12T08:12:00+09:00".into(),
                "114/74".into()
            ),
            (
                "heartRate".into(),
                "2025-01-12T08:12:00+09:00".into(),
                format!("47 {}", Unit::PerMinute)
            ),
            (
                "bloodPressure".into(),
                "2025-01-12T21:40:00+09:00".into(),
                "121/80".into()
            ),
        ]
    );
    let r = &d.report;
    assert!(r.is_balanced());
    assert_eq!(r.items_read, 4);
    assert_eq!(r.converted, 2);
    assert_eq!(r.skipped.get("empty-row"), Some(&1));
    assert_eq!(r.skipped.get("invalid-row"), Some(&1));
    let bad = r.issues.iter().find(|i| i.code == "invalid-row").unwrap();
    assert_eq!(
        bad.location,
        Location::CsvRow {
            row: 5,
            field: Some("time".into())
        }
    );
    assert_eq!(r.ignored_elements.get("column:symptoms"), Some(&1));
    let Record::Measurement(m) = &d.records[0] else {
        panic!()
    };
    assert_eq!(
        m.source().unwrap().name.as_deref(),
        Some("OMRON connect (CSV)")
    );
}

#[test]
fn japanese_body_composition_with_bom_and_full_width_digits() {
    let d = read_path(fixture("body_composition_ja.csv"), &ReadOptions::strict()).unwrap();
    assert_eq!(
        values(&d),
        vec![
            (
                "bodyMass".into(),
                "2025-01-12T07:30:00+09:00".into(),
                "58.4 kg".into()
            ),
            (
                "bodyFatPercentage".into(),
                "2025-01-12T07:30:00+09:00".into(),
                "24.1 %".into()
            ),
            (
                "bodyMassIndex".into(),
                "2025-01-12T07:30:00+09:00".into(),
                "21.9 kg/m2".into()
            ),
            (
                "bodyMass".into(),
                "2025-01-13T07:31:00+09:00".into(),
                "58.2 kg".into()
            ),
        ]
    );
    assert_eq!(d.report.ignored_elements.get("column:メモ"), Some(&1));
}

#[test]
fn shift_jis_blood_pressure_is_decoded() {
    let text = "測定日,測定時刻,最高血圧(mmHg),最低血圧(mmHg),脈拍(拍/分)\r\n2025/01/12,08:12,132,85,66\r\n";
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!bad);
    assert!(
        std::str::from_utf8(&sjis).is_err(),
        "fixture must really be Shift_JIS"
    );
    let mut reader = phrkit::read::open_slice(&sjis, &ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), Format::DeviceCsv);
    let d = phrkit::read::Dataset::from_reader(reader.as_mut()).unwrap();
    let Record::Measurement(m) = &d.records[0] else {
        panic!()
    };
    assert_eq!(
        m.value(),
        &MeasurementValue::BloodPressure {
            systolic: Decimal::from_str("132").unwrap(),
            diastolic: Decimal::from_str("85").unwrap()
        }
    );
    assert_eq!(d.records.len(), 2);
}

#[test]
fn invalid_readings_fail_strictly() {
    let csv = "Date,Time,Systolic (mmHg),Diastolic (mmHg)\nJan 12 2025,08:12,70,120\n";
    let err = read_slice(csv.as_bytes(), &ReadOptions::strict()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRecord { .. }),
        "{err:?}"
    );
    let only_sys = "Date,Time,Systolic (mmHg),Diastolic (mmHg)\nJan 12 2025,08:12,120,\n";
    let d = read_slice(only_sys.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(d.report.skipped.get("invalid-row"), Some(&1));
    assert!(d.report.is_balanced());
}

#[test]
fn unknown_csv_is_not_guessed() {
    let err = read_slice(b"a,b,c\n1,2,3\n", &ReadOptions::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::UnknownFormat(_)), "{err:?}");
}
