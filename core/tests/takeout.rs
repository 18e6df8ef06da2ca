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

// ---------- Fitbit weight and sleep, Google Fit sleep ----------

fn metadata(m: &phrkit::record::Measurement, key: &str) -> Option<String> {
    m.metadata()
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.clone())
}

fn measurements(d: &phrkit::read::Dataset) -> Vec<&phrkit::record::Measurement> {
    d.records
        .iter()
        .map(|r| match r {
            Record::Measurement(m) => m,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn fitbit_weight_logs_give_weight_bmi_and_fat_with_the_unit_inferred_from_bmi() {
    let d = read_path(fixture("weight-2019-04-22.json"), &ReadOptions::default()).unwrap();
    assert_eq!(
        values(&d),
        vec![
            s3("bodyMass", "2019-04-22T07:15:00+00:00", "58.25 kg"),
            s3("bodyMassIndex", "2019-04-22T07:15:00+00:00", "21.4 kg/m2"),
            s3("bodyFatPercentage", "2019-04-22T07:15:00+00:00", "24.5 %"),
            // 165.3 lb × 0.45359237 (exact); only the pound reading gives a plausible height (1.78 m).
            s3("bodyMass", "2019-04-23T23:59:59+00:00", "74.978818761 kg"),
            s3("bodyMassIndex", "2019-04-23T23:59:59+00:00", "23.72 kg/m2"),
            s3("bodyMass", "2019-04-24T23:59:59+00:00", "60.0 kg"),
        ]
    );
    let ms = measurements(&d);
    assert_eq!(ms[0].identifier(), Some("1555917300000"));
    assert_eq!(ms[2].identifier(), Some("1555917300000"));
    assert_eq!(
        metadata(ms[0], "fitbitWeightUnit").as_deref(),
        Some("kg (inferred from BMI)")
    );
    assert_eq!(
        metadata(ms[3], "fitbitWeightUnit").as_deref(),
        Some("lb (inferred from BMI)")
    );
    assert_eq!(
        metadata(ms[5], "fitbitWeightUnit").as_deref(),
        Some("kg (assumed)")
    );
    assert_eq!(metadata(ms[0], "fitbitSource").as_deref(), Some("Aria"));
    let r = &d.report;
    assert_eq!((r.items_read, r.converted), (4, 3));
    assert_eq!(r.by_type.get("fitbitWeightLog"), Some(&3));
    assert_eq!(r.skipped.get("invalid-entry"), Some(&1));
    assert!(r.is_balanced());
    let codes: Vec<(&str, String)> = r
        .issues
        .iter()
        .map(|i| (i.code.as_str(), i.location.to_string()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("fitbit-time-assumed-utc", "#".to_owned()),
            ("invalid-entry", "#/3/weight".to_owned()),
            ("fitbit-weight-unit-inferred", "#".to_owned()),
            ("fitbit-weight-unit-assumed", "#".to_owned()),
        ]
    );
}

/// (start, end, [(stage code, start, end)], asleep minutes) per sleep session.
type Session = (String, String, Vec<(String, String, String)>, i64);

fn sessions(d: &phrkit::read::Dataset) -> Vec<Session> {
    measurements(d)
        .into_iter()
        .map(|m| {
            let MeasurementValue::Sleep(s) = m.value() else {
                panic!("{m:?}")
            };
            let Effective::Period(p) = m.effective() else {
                panic!()
            };
            let hm = |t: &phrkit::record::Timestamp| t.format("%dT%H:%M:%S%:z").to_string();
            let stages = s
                .stages()
                .iter()
                .map(|st| {
                    (
                        st.stage.code().to_owned(),
                        hm(st.period.start()),
                        hm(st.period.end()),
                    )
                })
                .collect();
            (
                p.start().to_rfc3339(),
                p.end().to_rfc3339(),
                stages,
                s.asleep_minutes(),
            )
        })
        .collect()
}

fn st(code: &str, a: &str, b: &str) -> (String, String, String) {
    s3(code, a, b)
}

#[test]
fn fitbit_sleep_logs_become_sessions_with_unified_stages() {
    let d = read_path(fixture("sleep-2019-04-22.json"), &ReadOptions::default()).unwrap();
    let got = sessions(&d);
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0],
        (
            "2019-04-21T23:10:30+00:00".to_owned(),
            "2019-04-22T00:40:30+00:00".to_owned(),
            vec![
                st("awake", "21T23:10:30+00:00", "21T23:20:30+00:00"),
                st("asleepCore", "21T23:20:30+00:00", "21T23:50:30+00:00"),
                // shortData: a one-minute wake inside the light stage.
                st("awake", "21T23:40:00+00:00", "21T23:41:00+00:00"),
                st("asleepDeep", "21T23:50:30+00:00", "22T00:10:30+00:00"),
                st("asleepREM", "22T00:10:30+00:00", "22T00:40:30+00:00"),
            ],
            80,
        )
    );
    assert_eq!(
        got[1].2,
        vec![
            st(
                "asleepUnspecified",
                "22T13:00:00+00:00",
                "22T13:20:00+00:00"
            ),
            st("awake", "22T13:20:00+00:00", "22T13:25:00+00:00"),
            st("awake", "22T13:25:00+00:00", "22T13:30:00+00:00"),
        ]
    );
    assert_eq!(got[1].3, 20);
    // No levels: one in-bed stage over the whole log, nothing counted as asleep.
    assert_eq!(
        got[2].2,
        vec![st("inBed", "23T01:00:00+00:00", "23T02:00:00+00:00")]
    );
    assert_eq!(got[2].3, 0);
    let ms = measurements(&d);
    assert_eq!(ms[0].kind().name(), "sleepEpisode");
    assert_eq!(ms[0].identifier(), Some("22000000001"));
    assert_eq!(metadata(ms[0], "type").as_deref(), Some("stages"));
    assert_eq!(metadata(ms[1], "mainSleep").as_deref(), Some("false"));
    assert_eq!(
        metadata(ms[0], "dateOfSleep").as_deref(),
        Some("2019-04-22")
    );
    let r = &d.report;
    assert_eq!((r.items_read, r.converted), (4, 3));
    assert_eq!(r.by_type.get("sleepEpisode"), Some(&3));
    assert_eq!(r.skipped.get("invalid-entry"), Some(&1));
    assert!(r.is_balanced());
    let bad = r.issues.iter().find(|i| i.code == "invalid-entry").unwrap();
    assert_eq!(bad.location.to_string(), "#/3/levels/data/0/level");
    // Strict mode stops at the unknown level.
    let bytes = std::fs::read(fixture("sleep-2019-04-22.json")).unwrap();
    assert!(read_slice(&bytes, &ReadOptions::strict()).is_err());
}

#[test]
fn fitbit_sleep_stage_outside_its_log_is_an_invalid_entry() {
    let doc = br#"[{"logId": 1, "dateOfSleep": "2019-04-22", "startTime": "2019-04-22T01:00:00.000", "endTime": "2019-04-22T02:00:00.000",
        "levels": {"data": [{"dateTime": "2019-04-22T01:30:00.000", "level": "light", "seconds": 3600}]}},
        {"logId": 2, "dateOfSleep": "2019-04-22", "startTime": "2019-04-22T03:00:00.000", "endTime": "2019-04-22T02:00:00.000"},
        {"logId": 3, "dateOfSleep": "2019-04-22", "startTime": "2019-04-22T01:00:00.000", "endTime": "2019-04-22T02:00:00.000",
        "levels": {"data": [{"dateTime": "2019-04-22T01:00:00.000", "level": "light", "seconds": -5}]}}]"#;
    let d = read_slice(doc, &forced()).unwrap();
    assert!(d.records.is_empty());
    assert_eq!(d.report.skipped.get("invalid-entry"), Some(&3));
    assert!(d.report.is_balanced());
    assert_eq!(detect_format_of(doc), Format::TakeoutJson);
}

fn detect_format_of(doc: &[u8]) -> Format {
    phrkit::read::detect_format(None, doc).unwrap()
}

#[test]
fn fitbit_weight_and_sleep_files_are_detected_by_content() {
    for f in ["weight-2019-04-22.json", "sleep-2019-04-22.json"] {
        let bytes = std::fs::read(fixture(f)).unwrap();
        assert_eq!(detect_format_of(&bytes), Format::TakeoutJson, "{f}");
    }
}

#[test]
fn google_fit_sleep_segments_are_grouped_into_sessions() {
    let d = read_path(fixture("google_fit_sleep.json"), &ReadOptions::default()).unwrap();
    assert_eq!(
        sessions(&d),
        vec![
            (
                "2019-04-21T23:00:00+00:00".to_owned(),
                "2019-04-22T01:00:00+00:00".to_owned(),
                vec![
                    st("asleepCore", "21T23:00:00+00:00", "21T23:30:00+00:00"),
                    st("asleepDeep", "21T23:30:00+00:00", "22T00:10:00+00:00"),
                    st("awake", "22T00:10:00+00:00", "22T00:20:00+00:00"),
                    st("asleepREM", "22T00:20:00+00:00", "22T01:00:00+00:00"),
                ],
                110,
            ),
            (
                "2019-04-22T14:00:00+00:00".to_owned(),
                "2019-04-22T14:30:00+00:00".to_owned(),
                vec![st(
                    "asleepUnspecified",
                    "22T14:00:00+00:00",
                    "22T14:30:00+00:00"
                )],
                30,
            ),
        ]
    );
    let r = &d.report;
    assert_eq!((r.items_read, r.converted), (6, 5));
    assert_eq!(r.by_type.get("sleepStage"), Some(&5));
    assert_eq!(r.by_type.get("sleepEpisode"), Some(&2));
    assert_eq!(r.skipped.get("invalid-entry"), Some(&1));
    assert!(r.is_balanced());
    let bad = r.issues.iter().find(|i| i.code == "invalid-entry").unwrap();
    assert_eq!(
        bad.location.to_string(),
        "#/Data Points/5/fitValue/0/value/intVal"
    );
    let m = measurements(&d)[0];
    assert_eq!(
        m.source().unwrap().name.as_deref(),
        Some("Google Fit (Takeout)")
    );
}

#[test]
fn new_fixtures_survive_the_fuzz_oracles_and_the_fhir_round_trip() {
    for f in [
        "weight-2019-04-22.json",
        "sleep-2019-04-22.json",
        "google_fit_sleep.json",
    ] {
        let bytes = std::fs::read(fixture(f)).unwrap();
        phrkit::internal::fuzzing::read_takeout_json(&bytes);
        phrkit::internal::fuzzing::read_any(&bytes);
        phrkit::internal::fuzzing::roundtrip_records(&bytes);
    }
}

// ---------- Takeout zip ----------

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            w.add_directory(*name, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

const FITBIT: &str = "Takeout/Fitbit/Global Export Data";

/// A Takeout zip mixing Google Fit and Fitbit files with files phrkit does not read.
fn mixed_takeout(first: &str, fit_dir: &str) -> Vec<u8> {
    let sleep = fixture_bytes("google_fit_sleep.json");
    let fit = fixture_bytes("google_fit.json");
    let steps = fixture_bytes("steps-2019-04-22.json");
    let weight = fixture_bytes("weight-2019-04-22.json");
    let fitbit_sleep = fixture_bytes("sleep-2019-04-22.json");
    let names: Vec<String> = vec![
        first.to_owned(),
        format!("{fit_dir}/"),
        format!("{fit_dir}/derived_com.google.sleep.segment_merged.json"),
        format!("{fit_dir}/raw_com.google.weight.json"),
        "Takeout/Fit/All Sessions/2019-04-21T23_00_00Z_SLEEP.json".to_owned(),
        format!("{FITBIT}/steps-2019-04-22.json"),
        format!("{FITBIT}/weight-2019-04-22.json"),
        format!("{FITBIT}/sleep-2019-04-22.json"),
        format!("{FITBIT}/calories-2019-04-23.json"),
        "Takeout/Fitbit/Heart Rate Variability/Daily Heart Rate Variability Summary - 2019-04-22.csv"
            .to_owned(),
        format!("{FITBIT}/heart_rate-2019-04-24.json"),
    ];
    let contents: Vec<&[u8]> = vec![
        b"<html>index</html>",
        b"",
        &sleep,
        &fit,
        br#"{"fitnessActivity": "sleep", "startTime": "2019-04-21T23:00:00Z"}"#,
        &steps,
        &weight,
        &fitbit_sleep,
        b"[]",
        b"timestamp,rmssd\n",
        br#"[{"dateTime": "04/24/19 00:00:05", "value": {"bpm": 6"#,
    ];
    let entries: Vec<(&str, &[u8])> = names.iter().map(String::as_str).zip(contents).collect();
    zip_of(&entries)
}

#[test]
fn takeout_zip_reads_every_recognised_file_and_reports_the_rest() {
    let z = mixed_takeout("Takeout/archive_browser.html", "Takeout/Fit/All Data");
    let mut reader = phrkit::read::open_slice(&z, &ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), Format::TakeoutZip);
    let d = phrkit::read::Dataset::from_reader(reader.as_mut()).unwrap();
    let kinds: Vec<String> = measurements(&d)
        .iter()
        .map(|m| m.kind().name().into_owned())
        .collect();
    assert_eq!(
        kinds,
        vec![
            // Google Fit sleep (2 sessions), Google Fit data points (4), Fitbit steps (2, named file),
            // Fitbit weight (6 from 3 logs), Fitbit sleep (3 sessions); in entry order.
            "sleepEpisode",
            "sleepEpisode",
            "stepCount",
            "heartRate",
            "bodyMass",
            "distanceWalkingRunning",
            "stepCount",
            "stepCount",
            "bodyMass",
            "bodyMassIndex",
            "bodyFatPercentage",
            "bodyMass",
            "bodyMassIndex",
            "bodyMass",
            "sleepEpisode",
            "sleepEpisode",
            "sleepEpisode",
        ]
    );
    let r = &d.report;
    assert_eq!(r.items_read, 6 + 6 + 2 + 4 + 4 + 1);
    assert_eq!(r.converted, 5 + 4 + 2 + 3 + 3);
    assert_eq!(r.skipped.get("invalid-entry"), Some(&(1 + 1 + 1 + 1)));
    assert_eq!(r.skipped.get("unsupported-type"), Some(&1));
    assert_eq!(r.skipped.get("invalid-file"), Some(&1));
    assert!(r.is_balanced());
    assert_eq!(r.ignored_elements.get("takeout:not-json"), Some(&2));
    assert_eq!(
        r.ignored_elements.get("takeout:unrecognised-json"),
        Some(&1)
    );
    let located = |code: &str| -> Vec<String> {
        r.issues
            .iter()
            .filter(|i| i.code == code)
            .map(|i| i.location.to_string())
            .collect()
    };
    assert_eq!(
        located("takeout:unrecognised-json"),
        vec!["Takeout/Fit/All Sessions/2019-04-21T23_00_00Z_SLEEP.json!(input)"]
    );
    assert_eq!(
        located("invalid-file"),
        vec![format!("{FITBIT}/heart_rate-2019-04-24.json!#")]
    );
    assert!(
        located("invalid-entry").contains(&format!("{FITBIT}/weight-2019-04-22.json!#/3/weight"))
    );
    // Strict mode stops at the first bad item, naming its entry.
    let err = read_slice(&z, &ReadOptions::strict()).unwrap_err();
    let Some(phrkit::Location::ZipEntry { entry, .. }) = err.location() else {
        panic!("{err:?}")
    };
    assert!(entry.ends_with("derived_com.google.sleep.segment_merged.json"));
}

#[test]
fn takeout_zip_is_found_by_content_when_names_are_localised() {
    // No `Takeout/` first entry and a translated folder: Apple is tried first, then Takeout by content.
    let z = mixed_takeout("Fit/index.html", "Fit/Alle Daten");
    let mut reader = phrkit::read::open_slice(&z, &ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), Format::TakeoutZip);
    let d = phrkit::read::Dataset::from_reader(reader.as_mut()).unwrap();
    assert_eq!(d.records.len(), 17);
    assert!(d.report.is_balanced());
    // Through a file too, with a Takeout-style name.
    let path = std::env::temp_dir().join(format!(
        "takeout-20190425T000000Z-{}.zip",
        std::process::id()
    ));
    std::fs::write(&path, &z).unwrap();
    let from_file = read_path(&path, &ReadOptions::default());
    std::fs::remove_file(&path).unwrap();
    let from_file = from_file.unwrap();
    assert_eq!(from_file.records, d.records);
    assert_eq!(from_file.report, d.report);
    assert_eq!(Format::from_name("takeout-zip"), Some(Format::TakeoutZip));
}

#[test]
fn takeout_zip_refuses_traversal_bombs_and_archives_without_takeout_json() {
    let steps = fixture_bytes("steps-2019-04-22.json");
    let evil = zip_of(&[
        (
            "Takeout/Fitbit/Global Export Data/steps-2019-04-22.json",
            &steps,
        ),
        ("Takeout/../../evil.json", &steps),
    ]);
    for opts in [forced_zip(), ReadOptions::default()] {
        let err = read_slice(&evil, &opts).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Format { .. }), "{err:?}");
        let Some(phrkit::Location::ZipEntry { entry, .. }) = err.location() else {
            panic!("{err:?}")
        };
        assert_eq!(entry, "Takeout/../../evil.json");
    }

    let mut bomb = b"[".to_vec();
    bomb.extend_from_slice(&vec![b' '; 8 * 1024 * 1024]);
    bomb.extend_from_slice(b"]");
    let z = zip_of(&[
        (
            "Takeout/Fitbit/Global Export Data/steps-2019-04-22.json",
            &steps,
        ),
        (
            "Takeout/Fitbit/Global Export Data/steps-2019-04-23.json",
            &bomb,
        ),
    ]);
    let err = read_slice(&z, &forced_zip()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: phrkit::Limit::CompressionRatio,
                max: 200,
                ..
            }
        ),
        "{err:?}"
    );
    // A file larger than the document limit is refused by its declared size, before it is inflated.
    let mut opts = forced_zip();
    opts.limits.max_document_bytes = 64;
    let err = read_slice(&zip_of(&[("Takeout/x/steps-1.json", &steps)]), &opts).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: phrkit::Limit::DocumentBytes,
                ..
            }
        ),
        "{err:?}"
    );

    let none = zip_of(&[
        ("Takeout/archive_browser.html", b"<html/>"),
        ("Takeout/a.json", b"{}"),
    ]);
    for opts in [forced_zip(), ReadOptions::default()] {
        let err = read_slice(&none, &opts).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::UnknownFormat(_)), "{err:?}");
    }
}

fn forced_zip() -> ReadOptions {
    ReadOptions::default().with_format(Format::TakeoutZip)
}

#[test]
fn takeout_zip_survives_the_fuzz_oracles() {
    let z = mixed_takeout("Takeout/archive_browser.html", "Takeout/Fit/All Data");
    phrkit::internal::fuzzing::read_takeout_zip(&z);
    phrkit::internal::fuzzing::read_any(&z);
    let mut corrupt = z.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff;
    phrkit::internal::fuzzing::read_takeout_zip(&corrupt);
}

#[test]
fn takeout_zip_keeps_repeated_per_file_notes_once() {
    let hr = fixture_bytes("heart_rate-2019-04-22.json");
    let z = zip_of(&[
        (
            "Takeout/Fitbit/Global Export Data/heart_rate-2019-04-22.json",
            &hr,
        ),
        (
            "Takeout/Fitbit/Global Export Data/heart_rate-2019-04-23.json",
            &hr,
        ),
        (
            "Takeout/Fitbit/Global Export Data/heart_rate-2019-04-24.json",
            &hr,
        ),
    ]);
    let d = read_slice(&z, &ReadOptions::default()).unwrap();
    assert_eq!(d.records.len(), 9);
    assert_eq!((d.report.items_read, d.report.converted), (9, 9));
    let notes: Vec<String> = d
        .report
        .issues
        .iter()
        .map(|i| format!("{} {}", i.code, i.location))
        .collect();
    assert_eq!(
        notes,
        vec!["fitbit-time-assumed-utc Takeout/Fitbit/Global Export Data/heart_rate-2019-04-22.json!#"]
    );
}

#[test]
fn takeout_zip_names_entries_it_cannot_decompress() {
    let steps = fixture_bytes("steps-2019-04-22.json");
    let mut z = zip_of(&[
        ("Takeout/Fitbit/Global Export Data/weird.json", b"[]"),
        (
            "Takeout/Fitbit/Global Export Data/steps-2019-04-22.json",
            &steps,
        ),
    ]);
    // Mark the first entry as bzip2 (method 12) in the central directory.
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    z[cd + 10..cd + 12].copy_from_slice(&12u16.to_le_bytes());
    let d = read_slice(&z, &ReadOptions::default()).unwrap();
    assert_eq!(d.records.len(), 2);
    assert!(d.report.is_balanced());
    assert_eq!(
        d.report.ignored_elements.get("takeout:unusable-entry"),
        Some(&1)
    );
    let issue = d
        .report
        .issues
        .iter()
        .find(|i| i.code == "takeout:unusable-entry")
        .unwrap();
    assert_eq!(
        issue.location.to_string(),
        "Takeout/Fitbit/Global Export Data/weird.json!(input)"
    );
}
