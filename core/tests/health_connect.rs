//! Android Health Connect scheduled export (spec lifelog §2.4). No public sample exists, so each test builds
//! a small synthetic database with rusqlite, following the third-party schema notes, and zips it.
#![cfg(feature = "health-connect")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Cursor, Write};

use phrkit::read::{detect_format, read_path, read_slice, Dataset, Format, ReadOptions};
use phrkit::record::{Effective, Kind, Measurement, MeasurementValue, SleepStage, Unit};
use phrkit::{ErrorKind, Record};
use rust_decimal::Decimal;

/// 2025-01-01T00:00:00Z in epoch milliseconds.
const T0: i64 = 1_735_689_600_000;
const JST: i64 = 32_400;
const MIN: i64 = 60_000;

const SCHEMA: &str = "
CREATE TABLE application_info_table (row_id INTEGER PRIMARY KEY, package_name TEXT, app_name TEXT);
CREATE TABLE steps_record_table (row_id INTEGER PRIMARY KEY, uuid BLOB, start_time INTEGER, start_zone_offset INTEGER,
  end_time INTEGER, end_zone_offset INTEGER, count INTEGER, app_info_id INTEGER, local_date INTEGER);
CREATE TABLE weight_record_table (row_id INTEGER PRIMARY KEY, time INTEGER, zone_offset INTEGER, weight REAL, app_info_id INTEGER);
CREATE TABLE height_record_table (row_id INTEGER PRIMARY KEY, time INTEGER, zone_offset INTEGER, height REAL, app_info_id INTEGER);
CREATE TABLE total_calories_burned_record_table (row_id INTEGER PRIMARY KEY, start_time INTEGER, start_zone_offset INTEGER,
  end_time INTEGER, end_zone_offset INTEGER, energy REAL, app_info_id INTEGER);
CREATE TABLE basal_metabolic_rate_record_table (row_id INTEGER PRIMARY KEY, time INTEGER, zone_offset INTEGER,
  basal_metabolic_rate REAL, app_info_id INTEGER);
CREATE TABLE blood_pressure_record_table (row_id INTEGER PRIMARY KEY, time INTEGER, zone_offset INTEGER, systolic REAL,
  diastolic REAL, measurement_location INTEGER, body_position INTEGER, app_info_id INTEGER);
CREATE TABLE heart_rate_record_table (row_id INTEGER PRIMARY KEY, start_time INTEGER, start_zone_offset INTEGER,
  end_time INTEGER, end_zone_offset INTEGER, app_info_id INTEGER);
CREATE TABLE heart_rate_record_series_table (parent_key INTEGER, epoch_millis INTEGER, beats_per_minute INTEGER);
CREATE TABLE sleep_session_record_table (row_id INTEGER PRIMARY KEY, start_time INTEGER, start_zone_offset INTEGER,
  end_time INTEGER, end_zone_offset INTEGER, app_info_id INTEGER);
CREATE TABLE sleep_stages_table (parent_key INTEGER, stage_start_time INTEGER, stage_end_time INTEGER, stage_type INTEGER);
CREATE TABLE exercise_session_record_table (row_id INTEGER PRIMARY KEY, start_time INTEGER, start_zone_offset INTEGER,
  end_time INTEGER, end_zone_offset INTEGER, exercise_type INTEGER, app_info_id INTEGER);
CREATE TABLE speed_record_table (row_id INTEGER PRIMARY KEY, start_time INTEGER);
CREATE TABLE health_data_category_priority_table (row_id INTEGER PRIMARY KEY, category INTEGER);
";

/// Builds the synthetic export database and returns its bytes.
fn build_db() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("health_connect_export.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(SCHEMA).unwrap();
    let ins = |sql: &str, p: &[&dyn rusqlite::ToSql]| {
        c.execute(sql, p).unwrap();
    };
    ins(
        "INSERT INTO application_info_table VALUES (1, 'com.google.android.apps.fitness', 'Fit')",
        &[],
    );
    ins("INSERT INTO application_info_table VALUES (2, 'jp.co.omron.healthcare.omron_connect', 'OMRON')", &[]);
    ins(
        "INSERT INTO steps_record_table VALUES (1, x'00', ?1, ?2, ?3, ?2, 812, 1, 20089)",
        &[&T0, &JST, &(T0 + 15 * MIN)],
    );
    // A step row without its count: skipped with a reason, not lost.
    ins(
        "INSERT INTO steps_record_table VALUES (2, x'00', ?1, ?2, ?3, ?2, NULL, 1, 20089)",
        &[&T0, &JST, &(T0 + 15 * MIN)],
    );
    ins(
        "INSERT INTO weight_record_table VALUES (1, ?1, ?2, 65400.0, 2)",
        &[&T0, &JST],
    );
    ins(
        "INSERT INTO height_record_table VALUES (1, ?1, ?2, 1.705, 2)",
        &[&T0, &JST],
    );
    ins(
        "INSERT INTO total_calories_burned_record_table VALUES (1, ?1, ?2, ?3, ?2, 1834500.0, 1)",
        &[&T0, &JST, &(T0 + 1440 * MIN)],
    );
    ins(
        "INSERT INTO basal_metabolic_rate_record_table VALUES (1, ?1, ?2, 70.0, 1)",
        &[&T0, &JST],
    );
    ins(
        "INSERT INTO blood_pressure_record_table VALUES (1, ?1, ?2, 128.0, 82.0, 1, 2, 2)",
        &[&T0, &JST],
    );
    ins(
        "INSERT INTO heart_rate_record_table VALUES (7, ?1, ?2, ?3, ?2, 1)",
        &[&T0, &JST, &(T0 + 2 * MIN)],
    );
    for (i, bpm) in [61, 64, 70].into_iter().enumerate() {
        ins(
            "INSERT INTO heart_rate_record_series_table VALUES (7, ?1, ?2)",
            &[&(T0 + i as i64 * MIN), &bpm],
        );
    }
    // A sample whose series row is missing.
    ins(
        "INSERT INTO heart_rate_record_series_table VALUES (99, ?1, 80)",
        &[&T0],
    );
    let night = T0 - 9 * 60 * MIN; // 2025-01-01T00:00+09:00
    ins(
        "INSERT INTO sleep_session_record_table VALUES (3, ?1, ?2, ?3, ?2, 1)",
        &[&night, &JST, &(night + 90 * MIN)],
    );
    for (s, e, t) in [(0, 30, 4), (30, 60, 5), (60, 90, 6)] {
        ins(
            "INSERT INTO sleep_stages_table VALUES (3, ?1, ?2, ?3)",
            &[&(night + s * MIN), &(night + e * MIN), &t],
        );
    }
    ins(
        "INSERT INTO exercise_session_record_table VALUES (1, ?1, ?2, ?3, ?2, 56, 1)",
        &[&T0, &JST, &(T0 + 45 * MIN)],
    );
    ins("INSERT INTO speed_record_table VALUES (1, 0)", &[]);
    drop(c);
    std::fs::read(&path).unwrap()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn measurements(d: &Dataset) -> Vec<&Measurement> {
    d.records
        .iter()
        .filter_map(|r| match r {
            Record::Measurement(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn of_kind<'a>(d: &'a Dataset, kind: &Kind) -> Vec<&'a Measurement> {
    measurements(d)
        .into_iter()
        .filter(|m| m.kind() == kind)
        .collect()
}

fn value(m: &Measurement) -> (String, Unit) {
    match m.value() {
        MeasurementValue::Quantity(q) => (q.value.to_string(), q.unit),
        other => panic!("not a quantity: {other:?}"),
    }
}

fn source(m: &Measurement) -> &str {
    m.source().and_then(|s| s.name.as_deref()).unwrap()
}

fn instant(m: &Measurement) -> String {
    match m.effective() {
        Effective::Instant(t) => t.to_rfc3339(),
        other => panic!("not an instant: {other:?}"),
    }
}

fn read_zip() -> Dataset {
    let db = build_db();
    let zip = zip_of(&[("health_connect_export.db", &db)]);
    read_slice(&zip, &ReadOptions::default()).unwrap()
}

#[test]
fn zip_export_maps_every_table_with_units_offsets_and_sources() {
    let d = read_zip();
    let steps = of_kind(&d, &Kind::Steps);
    assert_eq!(steps.len(), 1);
    assert_eq!(value(steps[0]), ("812".into(), Unit::Steps));
    assert_eq!(source(steps[0]), "com.google.android.apps.fitness");
    match steps[0].effective() {
        Effective::Period(p) => {
            assert_eq!(p.start().to_rfc3339(), "2025-01-01T09:00:00+09:00");
            assert_eq!(p.end().to_rfc3339(), "2025-01-01T09:15:00+09:00");
        }
        other => panic!("steps not a period: {other:?}"),
    }
    let weight = of_kind(&d, &Kind::BodyWeight);
    assert_eq!(value(weight[0]), ("65.4".into(), Unit::Kilogram));
    assert_eq!(instant(weight[0]), "2025-01-01T09:00:00+09:00");
    assert_eq!(source(weight[0]), "jp.co.omron.healthcare.omron_connect");
    assert_eq!(
        value(of_kind(&d, &Kind::BodyHeight)[0]),
        ("170.5".into(), Unit::Centimeter)
    );
    let total = measurements(&d)
        .into_iter()
        .find(|m| matches!(m.kind(), Kind::Other(c) if c.code == "41981-2"))
        .unwrap();
    assert_eq!(value(total), ("1834.5".into(), Unit::Kilocalorie));
    assert_eq!(
        value(of_kind(&d, &Kind::BasalEnergyBurned)[0]),
        ("1445.506692".into(), Unit::KilocaloriePerDay)
    );
    match of_kind(&d, &Kind::BloodPressure)[0].value() {
        MeasurementValue::BloodPressure {
            systolic,
            diastolic,
        } => {
            assert_eq!(
                (*systolic, *diastolic),
                (Decimal::from(128), Decimal::from(82))
            );
        }
        other => panic!("{other:?}"),
    }
    let hr = of_kind(&d, &Kind::HeartRate);
    let hr: Vec<(String, String)> = hr.iter().map(|m| (instant(m), value(m).0)).collect();
    assert_eq!(
        hr,
        [
            ("2025-01-01T09:00:00+09:00".to_owned(), "61".to_owned()),
            ("2025-01-01T09:01:00+09:00".to_owned(), "64".to_owned()),
            ("2025-01-01T09:02:00+09:00".to_owned(), "70".to_owned()),
        ]
    );
    let sleep = of_kind(&d, &Kind::SleepSession);
    match sleep[0].value() {
        MeasurementValue::Sleep(s) => {
            let stages: Vec<SleepStage> = s.stages().iter().map(|i| i.stage).collect();
            assert_eq!(
                stages,
                [SleepStage::Core, SleepStage::Deep, SleepStage::Rem]
            );
            assert_eq!(s.asleep_minutes(), 90);
            assert_eq!(
                s.stages()[0].period.start().to_rfc3339(),
                "2025-01-01T00:00:00+09:00"
            );
        }
        other => panic!("{other:?}"),
    }
    match of_kind(&d, &Kind::Workout)[0].value() {
        MeasurementValue::Workout(w) => {
            assert_eq!(w.activity, "health-connect:56");
            let dur = w.duration.as_ref().unwrap();
            assert_eq!((dur.value, dur.unit), (Decimal::from(45), Unit::Minute));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn report_counts_every_row_and_names_ignored_tables() {
    let d = read_zip();
    let r = &d.report;
    // 2 steps + weight + height + total + BMR + BP + 4 HR samples + sleep + exercise = 13 items.
    assert_eq!(r.items_read, 13);
    assert_eq!(r.converted, 11);
    assert_eq!(r.skipped.get("hc-value"), Some(&1));
    assert_eq!(r.skipped.get("hc-orphan"), Some(&1));
    assert!(r.is_balanced());
    assert_eq!(d.records.len(), 11);
    assert_eq!(r.ignored_elements.get("table:speed_record_table"), Some(&1));
    assert_eq!(
        r.ignored_elements
            .get("table:health_data_category_priority_table"),
        Some(&1)
    );
    assert_eq!(r.ignored_elements.get("table:steps_record_table"), None);
}

#[test]
fn detection_recognises_the_zip_and_the_bare_database() {
    let db = build_db();
    assert_eq!(detect_format(None, &db).unwrap(), Format::HealthConnectZip);
    let zip = zip_of(&[("health_connect_export.db", &db)]);
    assert_eq!(detect_format(None, &zip).unwrap(), Format::HealthConnectZip);
    assert_eq!(
        Format::from_name("health-connect"),
        Some(Format::HealthConnectZip)
    );
    // The bare database read from a file and from bytes gives the same records.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Health Connect.zip");
    std::fs::write(&path, &zip).unwrap();
    let from_zip_file = read_path(&path, &ReadOptions::default()).unwrap();
    let from_db_bytes = read_slice(&db, &ReadOptions::default()).unwrap();
    assert_eq!(from_zip_file.records, from_db_bytes.records);
    assert_eq!(from_db_bytes.records.len(), 11);
}

fn format_error(bytes: &[u8]) -> String {
    let opts = ReadOptions::default().with_format(Format::HealthConnectZip);
    match read_slice(bytes, &opts) {
        Err(e) => match e.kind() {
            ErrorKind::Format { reason, .. } => reason.clone(),
            other => panic!("unexpected error {other:?}"),
        },
        Ok(d) => panic!("read {} records from hostile input", d.records.len()),
    }
}

#[test]
fn zip_without_the_database_is_refused() {
    let zip = zip_of(&[("readme.txt", b"hello")]);
    assert!(format_error(&zip).contains("no health_connect_export.db"));
}

#[test]
fn corrupt_database_is_a_format_error() {
    let zip = zip_of(&[(
        "health_connect_export.db",
        b"SQLite format 3\0 but then garbage".as_slice(),
    )]);
    assert!(format_error(&zip).contains("corrupt"));
}

#[test]
fn traversal_entry_is_refused() {
    let db = build_db();
    let zip = zip_of(&[("../health_connect_export.db", &db)]);
    assert!(format_error(&zip).contains("escapes the archive"));
}

#[test]
fn strict_mode_stops_at_the_first_unusable_row() {
    let db = build_db();
    let err = read_slice(&db, &ReadOptions::strict()).unwrap_err();
    match err.kind() {
        ErrorKind::Format { reason, .. } => {
            assert_eq!(
                reason,
                "steps_record_table row 1: missing or non-numeric value"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
}
