//! Google Fit / Fitbit Takeout JSON reader: exact values, units, UTC timestamps, counts, hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use phrkit::read::{read_path, read_slice, Format, ReadOptions};
use phrkit::record::{Effective, MeasurementValue};
use phrkit::{ErrorKind, Record};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/takeout")
        .join(name)
}

/// (kind, effective rendered, "value unit") per record.
fn values(d: &phrkit::read::Dataset) -> Vec<(String, String, String)> {
    d.records
        .iter()
        .map(|r| {
            let Record::Measurement(m) = r else { panic!() };
            let when = match m.effective() {
                Effective::Instant(t) => t.to_rfc3339(),
                Effective::Period(p) => {
                    format!("{}/{}", p.start().to_rfc3339(), p.end().to_rfc3339())
                }
                Effective::Date(d) => d.to_string(),
            };
            let MeasurementValue::Quantity(q) = m.value() else {
                panic!()
            };
            (
                m.kind().name().into_owned(),
                when,
                format!("{} {}", q.value, q.unit.ucum()),
            )
        })
        .collect()
}

fn s3(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn google_fit_points_become_measurements_in_utc() {
    let d = read_path(fixture("google_fit.json"), &ReadOptions::default()).unwrap();
    let span = "2019-02-28T00:05:02+00:00/2019-02-28T00:14:40+00:00";
    assert_eq!(
        values(&d),
        vec![
            s3("stepCount", span, "812 {steps}"),
            s3("heartRate", "2019-02-28T00:05:02+00:00", "72.5 /min"),
            s3("bodyMass", "2019-02-28T00:05:02+00:00", "58.25 kg"),
            s3("distanceWalkingRunning", span, "604.5 m"),
        ]
    );
    let r = &d.report;
    assert_eq!(r.items_read, 6);
    assert_eq!(r.converted, 4);
    assert_eq!(r.skipped.get("unsupported-type"), Some(&1));
    assert_eq!(r.skipped.get("invalid-entry"), Some(&1));
    assert!(r.is_balanced());
}

#[test]
fn google_fit_is_detected_by_content_and_strict_fails_on_bad_point() {
    let bytes = std::fs::read(fixture("google_fit.json")).unwrap();
    let mut reader = phrkit::read::open_slice(&bytes, &ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), Format::TakeoutJson);
    while reader.next_record().unwrap().is_some() {}
    let err = read_slice(&bytes, &ReadOptions::strict()).unwrap_err();
    let ErrorKind::Format { location, .. } = err.kind() else {
        panic!("{err:?}")
    };
    assert_eq!(location.to_string(), "#/Data Points/5");
}

#[test]
fn fitbit_heart_rate_is_read_as_utc_with_an_info_issue() {
    let d = read_path(
        fixture("heart_rate-2019-04-22.json"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        values(&d),
        vec![
            s3("heartRate", "2019-04-22T04:00:05+00:00", "69 /min"),
            s3("heartRate", "2019-04-22T04:00:10+00:00", "70 /min"),
            s3("heartRate", "2019-04-22T23:59:55+00:00", "61 /min"),
        ]
    );
    assert_eq!((d.report.items_read, d.report.converted), (3, 3));
    assert!(d.report.is_balanced());
    assert!(d
        .report
        .issues
        .iter()
        .any(|i| i.code == "fitbit-time-assumed-utc"));
}

#[test]
fn fitbit_steps_need_the_file_name() {
    let d = read_path(fixture("steps-2019-04-22.json"), &ReadOptions::default()).unwrap();
    assert_eq!(
        values(&d),
        vec![
            s3("stepCount", "2019-04-22T07:01:00+00:00", "123 {steps}"),
            s3("stepCount", "2019-04-22T07:02:00+00:00", "0 {steps}"),
        ]
    );
    // Without the name (a calories file has the same shape) the entries are skipped, not guessed.
    let bytes = std::fs::read(fixture("steps-2019-04-22.json")).unwrap();
    let d = read_slice(&bytes, &ReadOptions::default()).unwrap();
    assert!(d.records.is_empty());
    assert_eq!(d.report.skipped.get("unsupported-type"), Some(&2));
    assert!(d.report.is_balanced());
}

#[test]
fn fitbit_resting_heart_rate_is_a_daily_value() {
    let d = read_path(
        fixture("resting_heart_rate-2019-04-22.json"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        values(&d),
        vec![
            s3("restingHeartRate", "2019-04-22", "58.3 /min"),
            s3("restingHeartRate", "2019-04-23", "57 /min"),
        ]
    );
    assert!(d.report.is_balanced());
}

fn forced() -> ReadOptions {
    ReadOptions::default().with_format(Format::TakeoutJson)
}

#[test]
fn hostile_inputs_fail_cleanly() {
    for bad in [
        &b""[..],
        b"{\"Data Points\": [",
        b"[{\"dateTime\": \"04/22/19 04:00:05\", \"value\": {\"bpm\": 6",
        b"{\"Data Points\": 3}",
        b"\"just a string\"",
    ] {
        let err = read_slice(bad, &forced()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Format { .. }), "{err:?}");
    }
}

#[test]
fn wrong_types_are_skipped_with_pointers() {
    let doc = br#"{"Data Points": [
        7,
        {"dataTypeName": 5},
        {"dataTypeName": "com.google.heart_rate.bpm", "startTimeNanos": "x", "endTimeNanos": 1, "fitValue": [{"value": {"fpVal": 60}}]},
        {"dataTypeName": "com.google.heart_rate.bpm", "startTimeNanos": 1, "endTimeNanos": 1, "fitValue": [{"value": {"fpVal": "sixty"}}]},
        {"dataTypeName": "com.google.step_count.delta", "startTimeNanos": 9, "endTimeNanos": 1, "fitValue": [{"value": {"intVal": 3}}]}
    ]}"#;
    let d = read_slice(doc, &forced()).unwrap();
    assert!(d.records.is_empty());
    assert_eq!(d.report.items_read, 5);
    assert_eq!(d.report.skipped.get("invalid-entry"), Some(&5));
    assert!(d.report.is_balanced());
    let locs: Vec<String> = d
        .report
        .issues
        .iter()
        .map(|i| i.location.to_string())
        .collect();
    assert_eq!(
        locs,
        vec![
            "#/Data Points/0",
            "#/Data Points/1/dataTypeName",
            "#/Data Points/2/startTimeNanos",
            "#/Data Points/3/fitValue/0/value/fpVal",
            "#/Data Points/4",
        ]
    );
    let fitbit =
        br#"[{"dateTime": "2019-04-22", "value": {"bpm": 60}}, {"value": {"bpm": 60}}, 3]"#;
    let d = read_slice(fitbit, &forced()).unwrap();
    assert_eq!(d.report.skipped.get("invalid-entry"), Some(&3));
    assert!(d.report.is_balanced());
}

#[test]
fn deep_nesting_and_oversize_hit_limits() {
    let deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
    let err = read_slice(deep.as_bytes(), &forced()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err:?}"
    );
    let mut opts = forced();
    opts.limits.max_document_bytes = 10;
    let err = read_slice(br#"{"Data Points": []}"#, &opts).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err:?}"
    );
}

#[test]
fn empty_containers_read_nothing_and_balance() {
    for doc in [&br#"{"Data Points": []}"#[..], b"[]"] {
        let d = read_slice(doc, &forced()).unwrap();
        assert!(d.records.is_empty());
        assert_eq!(d.report.items_read, 0);
        assert!(d.report.is_balanced());
    }
}

#[test]
fn detection_by_content_leaves_fhir_alone() {
    use phrkit::read::detect_format;
    let fit = br#"{"Data Points": [{"dataTypeName": "com.google.weight"}]}"#;
    let fitbit = br#"[ {"dateTime": "04/22/19 04:00:05", "value": "1"}]"#;
    assert_eq!(detect_format(None, fit).unwrap(), Format::TakeoutJson);
    assert_eq!(detect_format(None, fitbit).unwrap(), Format::TakeoutJson);
    let fhir = br#"{"resourceType": "Patient", "id": "p"}"#;
    assert_eq!(
        detect_format(Some("a.json"), fhir).unwrap(),
        Format::FhirJson
    );
    assert_eq!(Format::from_name("takeout-json"), Some(Format::TakeoutJson));
}

#[test]
fn nanosecond_times_survive_the_fuzz_oracles() {
    let doc = br#"{"Data Points": [{"dataTypeName": "com.google.heart_rate.bpm", "startTimeNanos": "1551312302123456789", "endTimeNanos": "1551312302123456789", "fitValue": [{"value": {"fpVal": 1e2}}]}]}"#;
    phrkit::internal::fuzzing::read_takeout_json(doc);
    phrkit::internal::fuzzing::read_any(doc);
    phrkit::internal::fuzzing::roundtrip_records(doc);
    let d = read_slice(doc, &forced()).unwrap();
    assert_eq!(
        values(&d),
        vec![s3(
            "heartRate",
            "2019-02-28T00:05:02.123456789+00:00",
            "100.0 /min"
        )]
    );
}
