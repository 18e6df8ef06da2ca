//! Apple Health export.xml / export.zip reader: exact values, units, offsets and counts on handwritten
//! fixtures (fixtures/apple_health/), and hostile inputs that must end in typed errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::str::FromStr;

use phrkit::read::{read_path, read_slice, ArchiveLimits, Dataset, Format, ReadOptions};
use phrkit::record::{
    Decimal, Effective, Kind, Measurement, MeasurementValue, Sex, SleepStage, Unit,
};
use phrkit::{ErrorKind, Limit, Location, Record};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/apple_health")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
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

fn of_kind<'a>(d: &'a Dataset, name: &str) -> Vec<&'a Measurement> {
    measurements(d)
        .into_iter()
        .filter(|m| m.kind().name() == name)
        .collect()
}

fn quantity(m: &Measurement) -> (String, Unit) {
    match m.value() {
        MeasurementValue::Quantity(q) => (q.value.to_string(), q.unit),
        other => panic!("not a quantity: {other:?}"),
    }
}

/// The single interval/instant measurement of a kind (activity summaries' date-only ones excluded).
fn one(d: &Dataset, name: &str) -> (String, Unit) {
    let ms: Vec<_> = of_kind(d, name)
        .into_iter()
        .filter(|m| !matches!(m.effective(), Effective::Date(_)))
        .collect();
    assert_eq!(ms.len(), 1, "{name}");
    quantity(ms[0])
}

fn read_fixture() -> Dataset {
    read_path(fixture("export.xml"), &ReadOptions::default()).unwrap()
}

#[test]
fn subject_comes_first_with_birth_date_and_sex() {
    let d = read_fixture();
    let Record::Subject(s) = &d.records[0] else {
        panic!("first record is not the subject")
    };
    assert_eq!(s.birth_date.unwrap().to_string(), "1980-04-01");
    assert_eq!(s.sex, Some(Sex::Female));
}

#[test]
fn counts_balance_and_match_the_fixture_exactly() {
    let d = read_fixture();
    let r = &d.report;
    assert!(r.is_balanced(), "{r:#?}");
    assert_eq!(r.items_read, 46);
    assert_eq!(r.converted, 42);
    assert_eq!(r.skipped.get("duplicate-of-correlation"), Some(&2));
    assert_eq!(
        r.skipped.get("correlation-children-are-top-level"),
        Some(&1)
    );
    assert_eq!(r.skipped.get("unmodelled-element"), Some(&1));
    assert_eq!(r.skipped_total(), 4);
    assert_eq!(r.by_type.get("sleepStage"), Some(&7));
    assert_eq!(r.by_type.get("sleepEpisode"), Some(&3));
    assert_eq!(r.by_type.get("activitySummary"), Some(&2));
    assert_eq!(r.by_type.get("stepCount"), Some(&3));
    assert_eq!(d.records.len(), 43);
    assert_eq!(
        r.ignored_elements
            .get("Record/HeartRateVariabilityMetadataList/InstantaneousBeatsPerMinute"),
        Some(&3)
    );
    assert_eq!(r.ignored_elements.get("Record@walkingSide"), Some(&1));
    assert_eq!(r.ignored_elements.get("HealthData/FutureElement"), Some(&1));
    assert_eq!(r.ignored_elements.get("Workout/WorkoutRoute"), Some(&1));
    assert_eq!(
        r.ignored_elements
            .get("ActivitySummary@appleFlightsClimbed"),
        Some(&1)
    );
    assert!(r
        .issues
        .iter()
        .any(|i| i.code == "export-version" && i.message.ends_with(" 14")));
}

#[test]
fn every_kind_of_the_table_is_read_with_ucum_units() {
    let d = read_fixture();
    assert_eq!(
        one(&d, "activeEnergyBurned"),
        ("100".into(), Unit::Kilocalorie)
    ); // 418.4 kJ
    assert_eq!(
        one(&d, "basalEnergyBurned"),
        ("12.5".into(), Unit::Kilocalorie)
    ); // Cal
    assert_eq!(
        one(&d, "dietaryEnergyConsumed"),
        ("650".into(), Unit::Kilocalorie)
    );
    assert_eq!(one(&d, "flightsClimbed"), ("3".into(), Unit::One));
    assert_eq!(one(&d, "heartRate"), ("62".into(), Unit::PerMinute));
    assert_eq!(one(&d, "restingHeartRate"), ("55".into(), Unit::PerMinute));
    assert_eq!(
        one(&d, "walkingHeartRateAverage"),
        ("98.5".into(), Unit::PerMinute)
    );
    assert_eq!(
        one(&d, "heartRateVariabilitySDNN"),
        ("41.2".into(), Unit::Millisecond)
    );
    assert_eq!(one(&d, "oxygenSaturation"), ("96".into(), Unit::Percent));
    assert_eq!(one(&d, "respiratoryRate"), ("14.5".into(), Unit::PerMinute));
    assert_eq!(one(&d, "bodyTemperature"), ("36.6".into(), Unit::Celsius));
    assert_eq!(one(&d, "bodyMass"), ("68.0388555".into(), Unit::Kilogram)); // 150 lb
    assert_eq!(one(&d, "height"), ("167.64".into(), Unit::Centimeter)); // 5.5 ft
    assert_eq!(
        one(&d, "bodyMassIndex"),
        ("22.4".into(), Unit::KilogramPerSquareMeter)
    );
    assert_eq!(one(&d, "bodyFatPercentage"), ("16.1".into(), Unit::Percent));
    assert_eq!(one(&d, "leanBodyMass"), ("48.3".into(), Unit::Kilogram));
    assert_eq!(
        one(&d, "waistCircumference"),
        ("81.28".into(), Unit::Centimeter)
    ); // 32 in
    assert_eq!(
        one(&d, "bloodGlucose"),
        ("5.4".into(), Unit::MillimolePerLiter)
    );
    assert_eq!(
        one(&d, "vo2Max"),
        ("38.2".into(), Unit::MilliliterPerKilogramMinute)
    );
    let dist: Vec<_> = of_kind(&d, "distanceWalkingRunning")
        .into_iter()
        .map(quantity)
        .collect();
    assert_eq!(
        dist,
        vec![
            ("2.414016".into(), Unit::Kilometer),
            ("0.48".into(), Unit::Kilometer)
        ]
    );
}

#[test]
fn times_sources_and_metadata_are_kept() {
    let d = read_fixture();
    let steps = of_kind(&d, "stepCount");
    let Effective::Period(p) = steps[0].effective() else {
        panic!()
    };
    assert_eq!(p.start().to_rfc3339(), "2025-02-28T08:05:02+09:00");
    assert_eq!(p.end().to_rfc3339(), "2025-02-28T08:14:40+09:00");
    assert_eq!(
        steps[0].recorded().unwrap().to_rfc3339(),
        "2025-02-28T08:20:11+09:00"
    );
    // Two iPhone records with different HKDevice addresses share one source; the Watch has its own.
    let (a, b, w) = (
        steps[0].source().unwrap(),
        steps[1].source().unwrap(),
        steps[2].source().unwrap(),
    );
    assert!(std::sync::Arc::ptr_eq(a, b));
    assert!(!std::sync::Arc::ptr_eq(a, w));
    let dev = a.device.as_ref().unwrap();
    assert_eq!(a.name.as_deref(), Some("Hanako's iPhone"));
    assert_eq!(a.version.as_deref(), Some("18.3"));
    assert_eq!(dev.hardware.as_deref(), Some("iPhone16,1"));
    assert_eq!(dev.manufacturer.as_deref(), Some("Apple Inc."));
    // Multi-source overlap is kept: deduplication is a separate step.
    assert_eq!(quantity(steps[2]), ("798".into(), Unit::Steps));

    let hr = of_kind(&d, "heartRate")[0];
    assert!(
        matches!(hr.effective(), Effective::Instant(t) if t.to_rfc3339() == "2025-02-28T07:00:05+09:00")
    );
    assert_eq!(hr.metadata()[0].key, "HKMetadataKeyHeartRateMotionContext");
    let mass = of_kind(&d, "bodyMass")[0];
    assert_eq!(mass.identifier(), Some("scale-0001"));
    assert!(mass
        .metadata()
        .iter()
        .any(|m| m.key == "HKTimeZone" && m.value == "Asia/Tokyo"));
}

#[test]
fn unknown_types_are_kept_as_healthkit_codes() {
    let d = read_fixture();
    let speed = of_kind(&d, "other:HKQuantityTypeIdentifierWalkingSpeed");
    assert_eq!(quantity(speed[0]), ("4.3".into(), Unit::KilometerPerHour));
    let Kind::Other(c) = speed[0].kind() else {
        panic!()
    };
    assert_eq!(
        c.system,
        "http://developer.apple.com/documentation/healthkit"
    );
    let asym = of_kind(
        &d,
        "other:HKQuantityTypeIdentifierWalkingAsymmetryPercentage",
    );
    assert_eq!(quantity(asym[0]), ("3.4".into(), Unit::Percent));
    let uv = of_kind(&d, "other:HKQuantityTypeIdentifierUVExposure")[0];
    assert_eq!(uv.value(), &MeasurementValue::Text("3".into()));
    assert!(uv
        .metadata()
        .iter()
        .any(|m| m.key == "unit" && m.value == "UVI"));
    let mindful = of_kind(&d, "other:HKCategoryTypeIdentifierMindfulSession")[0];
    assert_eq!(
        mindful.value(),
        &MeasurementValue::Text("HKCategoryValueNotApplicable".into())
    );
}

#[test]
fn blood_pressure_comes_once_from_the_correlation() {
    let d = read_fixture();
    let bp = of_kind(&d, "bloodPressure");
    assert_eq!(bp.len(), 1);
    assert_eq!(
        bp[0].value(),
        &MeasurementValue::BloodPressure {
            systolic: dec("128"),
            diastolic: dec("82")
        }
    );
    assert_eq!(bp[0].identifier(), Some("omron-7f3a"));
    assert_eq!(
        bp[0].source().unwrap().name.as_deref(),
        Some("OMRON connect")
    );
    // The manual systolic reading belongs to no correlation: kept raw, emitted at the end.
    let orphan = of_kind(&d, "other:HKQuantityTypeIdentifierBloodPressureSystolic");
    assert_eq!(orphan.len(), 1);
    assert_eq!(
        quantity(orphan[0]),
        ("119".into(), Unit::MillimeterOfMercury)
    );
    assert!(matches!(d.records.last(), Some(Record::Measurement(m)) if m == orphan[0]));
    let dup = d
        .report
        .issues
        .iter()
        .find(|i| i.code == "duplicate-of-correlation")
        .unwrap();
    assert!(
        matches!(&dup.location, Location::XmlPath { path, line } if path == "/HealthData/Record[29]" && *line == Some(57)),
        "{:?}",
        dup.location
    );
}

#[test]
fn sleep_stages_group_into_sessions_per_source() {
    let d = read_fixture();
    let sessions = of_kind(&d, "sleepEpisode");
    assert_eq!(sessions.len(), 3);
    let stages = |m: &Measurement| match m.value() {
        MeasurementValue::Sleep(s) => s.clone(),
        _ => panic!(),
    };
    let by_source = |name: &str| {
        sessions
            .iter()
            .filter(|m| m.source().unwrap().name.as_deref() == Some(name))
            .copied()
            .collect::<Vec<_>>()
    };
    let watch = by_source("Hanako's Apple Watch");
    assert_eq!(watch.len(), 2);
    let night = stages(watch[0]);
    assert_eq!(
        night.stages().iter().map(|s| s.stage).collect::<Vec<_>>(),
        vec![
            SleepStage::Core,
            SleepStage::Deep,
            SleepStage::Awake,
            SleepStage::Rem
        ]
    );
    assert_eq!(night.asleep_minutes(), 90 + 60 + 50);
    assert_eq!(
        watch[0].effective().start().unwrap().to_rfc3339(),
        "2025-02-28T23:30:00+09:00"
    );
    assert_eq!(
        watch[0].effective().end().unwrap().to_rfc3339(),
        "2025-03-01T03:00:00+09:00"
    );
    assert_eq!(
        stages(watch[1]).stages()[0].stage,
        SleepStage::AsleepUnspecified
    );
    let tracker = stages(by_source("Sleep Tracker")[0]);
    assert_eq!(
        tracker.stages().iter().map(|s| s.stage).collect::<Vec<_>>(),
        vec![SleepStage::InBed, SleepStage::AsleepUnspecified]
    );
    assert_eq!(tracker.asleep_minutes(), 430);
}

#[test]
fn workouts_take_totals_from_statistics_and_nested_activities() {
    let d = read_fixture();
    let w = of_kind(&d, "workout");
    assert_eq!(w.len(), 2);
    let MeasurementValue::Workout(run) = w[0].value() else {
        panic!()
    };
    assert_eq!(run.activity, "HKWorkoutActivityTypeRunning");
    let q =
        |q: &Option<phrkit::record::Quantity>| q.as_ref().map(|q| (q.value.to_string(), q.unit));
    assert_eq!(q(&run.duration), Some(("32.5".into(), Unit::Minute)));
    assert_eq!(q(&run.energy), Some(("300".into(), Unit::Kilocalorie))); // 1255.2 kJ
    assert_eq!(
        q(&run.distance),
        Some(("4.9889664".into(), Unit::Kilometer))
    ); // 3.1 mi in WorkoutActivity
    let keys: Vec<_> = w[0].metadata().iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "HKIndoorWorkout",
            "WorkoutEvent",
            "WorkoutActivity",
            "WorkoutStatistics",
            "WorkoutStatistics",
            "WorkoutStatistics"
        ]
    );
    assert!(w[0].metadata()[1]
        .value
        .contains("type=HKWorkoutEventTypePause"));
    let MeasurementValue::Workout(walk) = w[1].value() else {
        panic!()
    };
    assert_eq!(q(&walk.distance), Some(("1.2".into(), Unit::Kilometer)));
    assert_eq!(q(&walk.energy), Some(("80".into(), Unit::Kilocalorie)));
}

#[test]
fn activity_summaries_are_date_only_measurements() {
    let d = read_fixture();
    let energy = of_kind(&d, "activeEnergyBurned");
    let daily: Vec<_> = measurements(&d)
        .into_iter()
        .filter(|m| matches!(m.effective(), Effective::Date(_)))
        .collect();
    assert_eq!(daily.len(), 7);
    assert_eq!(
        energy.len(),
        3,
        "one interval record and two daily summaries"
    );
    let first = daily[0];
    assert!(matches!(first.effective(), Effective::Date(d) if d.to_string() == "2025-02-28"));
    assert_eq!(first.kind(), &Kind::ActiveEnergyBurned);
    assert_eq!(quantity(first), ("412.5".into(), Unit::Kilocalorie));
    assert_eq!(first.metadata()[0].key, "activeEnergyBurnedGoal");
    let names: Vec<_> = daily.iter().map(|m| m.kind().name().into_owned()).collect();
    assert_eq!(names[1], "other:HKQuantityTypeIdentifierAppleMoveTime");
    assert_eq!(names[2], "other:HKQuantityTypeIdentifierAppleExerciseTime");
    assert_eq!(quantity(daily[3]), ("11".into(), Unit::Hour));
    assert_eq!(quantity(daily[4]), ("250".into(), Unit::Kilocalorie)); // 1046 kJ
}

fn energy_doc(extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<HealthData locale=\"en_US\">\n<ExportDate value=\"2025-03-01 21:10:05 +0100\"/>\n{extra}\n</HealthData>\n"
    )
}

#[test]
fn hk_time_zone_re_expresses_the_export_offset() {
    let hr = |start: &str, end: &str, zone: &str| {
        format!("<Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"W\" unit=\"count/min\" startDate=\"{start}\" endDate=\"{end}\" value=\"60\"><MetadataEntry key=\"HKTimeZone\" value=\"{zone}\"/></Record>\n")
    };
    let doc = energy_doc(
        &[
            hr(
                "2025-02-27 23:04:00 +0100",
                "2025-02-27 23:04:00 +0100",
                "Asia/Tokyo",
            ),
            // Winter and summer in Paris, both written with the exporting phone's +0900.
            hr(
                "2025-01-15 21:00:00 +0900",
                "2025-01-15 21:00:00 +0900",
                "Europe/Paris",
            ),
            hr(
                "2025-07-15 21:00:00 +0900",
                "2025-07-15 21:00:00 +0900",
                "Europe/Paris",
            ),
            // Across New York's spring-forward (07:00 UTC on 2024-03-10): each end gets its own offset.
            hr(
                "2024-03-10 15:30:00 +0900",
                "2024-03-10 16:30:00 +0900",
                "America/New_York",
            ),
            hr(
                "2025-02-27 23:05:00 +0100",
                "2025-02-27 23:05:00 +0100",
                "Mars/Olympus_Mons",
            ),
        ]
        .concat(),
    );
    let d = read_slice(doc.as_bytes(), &ReadOptions::default()).unwrap();
    let hr = of_kind(&d, "heartRate");
    let start = |i: usize| hr[i].effective().start().unwrap().to_rfc3339();
    assert_eq!(start(0), "2025-02-28T07:04:00+09:00");
    assert_eq!(start(1), "2025-01-15T13:00:00+01:00");
    assert_eq!(start(2), "2025-07-15T14:00:00+02:00");
    assert_eq!(start(3), "2024-03-10T01:30:00-05:00");
    assert_eq!(
        hr[3].effective().end().unwrap().to_rfc3339(),
        "2024-03-10T03:30:00-04:00"
    );
    // An unknown zone keeps the offset as written and says so, once.
    assert_eq!(start(4), "2025-02-27T23:05:00+01:00");
    let unresolved = d
        .report
        .issues
        .iter()
        .filter(|i| i.code == "time-zone-not-resolved");
    assert_eq!(unresolved.count(), 1);
}

#[test]
fn correlation_before_its_duplicates_is_also_recognised() {
    let rec = |t: &str, v: &str| {
        format!("<Record type=\"HKQuantityTypeIdentifierBloodPressure{t}\" sourceName=\"Cuff\" unit=\"mmHg\" startDate=\"2025-02-28 07:01:00 +0900\" endDate=\"2025-02-28 07:01:00 +0900\" value=\"{v}\"/>")
    };
    let doc = energy_doc(&format!(
        "<Correlation type=\"HKCorrelationTypeIdentifierBloodPressure\" sourceName=\"Cuff\" startDate=\"2025-02-28 07:01:00 +0900\" endDate=\"2025-02-28 07:01:00 +0900\">{}{}</Correlation>{}{}{}",
        rec("Systolic", "121"),
        rec("Diastolic", "79"),
        rec("Systolic", "121.0"),
        rec("Diastolic", "79"),
        rec("Diastolic", "80"),
    ));
    let d = read_slice(doc.as_bytes(), &ReadOptions::default()).unwrap();
    assert!(d.report.is_balanced());
    assert_eq!(d.report.skipped.get("duplicate-of-correlation"), Some(&2));
    assert_eq!(of_kind(&d, "bloodPressure").len(), 1);
    assert_eq!(
        of_kind(&d, "other:HKQuantityTypeIdentifierBloodPressureDiastolic").len(),
        1
    );
}

#[test]
fn broken_ios16_dtd_is_skipped() {
    let d = read_path(
        fixture("export_ios16_broken_dtd.xml"),
        &ReadOptions::strict(),
    )
    .unwrap();
    assert!(d.report.is_balanced());
    assert_eq!(d.report.items_read, 2);
    assert_eq!(d.report.by_type.get("subject-placeholder"), Some(&1));
    let hr = of_kind(&d, "heartRate");
    assert_eq!(
        hr[0].source().unwrap().name.as_deref(),
        Some("Taro’s Apple Watch 🏃")
    );
    assert_eq!(
        hr[0].effective().start().unwrap().to_rfc3339(),
        "2022-09-30T07:00:05-07:00"
    );
}

#[test]
fn control_characters_are_removed_and_counted() {
    let doc = energy_doc("<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"Pho\x0bne\x01\" unit=\"count\" startDate=\"2025-02-28 07:01:00 +0900\" endDate=\"2025-02-28 07:02:00 +0900\" value=\"10\"/>");
    let d = read_slice(doc.as_bytes(), &ReadOptions::strict()).unwrap();
    assert_eq!(
        d.report.ignored_elements.get("#control-character"),
        Some(&2)
    );
    assert_eq!(
        of_kind(&d, "stepCount")[0]
            .source()
            .unwrap()
            .name
            .as_deref(),
        Some("Phone")
    );
}

#[test]
fn invalid_values_are_skipped_leniently_and_fatal_strictly() {
    let doc = energy_doc(
        "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" unit=\"count\" startDate=\"2025-02-28 07:01:00 +0900\" endDate=\"2025-02-28 07:00:00 +0900\" value=\"10\"/>\n\
         <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" unit=\"count\" startDate=\"yesterday\" endDate=\"2025-02-28 07:00:00 +0900\" value=\"10\"/>\n\
         <Record type=\"HKQuantityTypeIdentifierBodyMass\" sourceName=\"P\" unit=\"stone\" startDate=\"2025-02-28 07:00:00 +0900\" endDate=\"2025-02-28 07:00:00 +0900\" value=\"10\"/>\n\
         <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" unit=\"count\" startDate=\"2025-02-28 07:00:00 +0900\" endDate=\"2025-02-28 07:01:00 +0900\" value=\"12\"/>",
    );
    let d = read_slice(doc.as_bytes(), &ReadOptions::default()).unwrap();
    assert!(d.report.is_balanced());
    assert_eq!(d.report.items_read, 4);
    assert_eq!(d.report.skipped.get("invalid-record"), Some(&1));
    assert_eq!(d.report.skipped.get("invalid-date"), Some(&1));
    assert_eq!(d.report.skipped.get("unknown-unit"), Some(&1));
    assert_eq!(of_kind(&d, "stepCount").len(), 1);
    let issue = &d.report.issues[0];
    assert!(
        matches!(&issue.location, Location::XmlPath { path, line: Some(4) } if path == "/HealthData/Record[1]"),
        "{:?}",
        issue.location
    );
    let err = read_slice(doc.as_bytes(), &ReadOptions::strict()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRecord { .. }),
        "{err:?}"
    );
}

// ---------- zip ----------

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
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

fn localized_export_zip() -> Vec<u8> {
    let xml = fixture_bytes("export.xml");
    zip_of(&[
        ("apple_health_export/", b""),
        (
            "apple_health_export/export_cda.xml",
            b"<?xml version=\"1.0\"?><ClinicalDocument/><ClinicalDocument/>",
        ),
        (
            "apple_health_export/workout-routes/route_2025-02-28_6.40pm.gpx",
            b"<gpx version=\"1.1\"/>",
        ),
        (
            "apple_health_export/electrocardiograms/ecg_2025-02-28.csv",
            b"Name,x\n",
        ),
        ("apple_health_export/clinical-records/lab-1.json", b"{}"),
        ("apple_health_export/导出.xml", &xml),
    ])
}

#[test]
fn localized_zip_is_found_by_content_and_streamed_from_a_file() {
    let dir = std::env::temp_dir().join(format!("phrkit-apple-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("書き出したデータ.zip");
    std::fs::write(&path, localized_export_zip()).unwrap();
    let mut reader = phrkit::read::open_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), Format::AppleHealthZip);
    let zipped = Dataset::from_reader(reader.as_mut()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let plain = read_fixture();
    assert_eq!(zipped.records, plain.records);
    assert_eq!(zipped.report.items_read, plain.report.items_read);
    let side = &zipped.report.ignored_elements;
    assert_eq!(side.get("side-file:workout-route"), Some(&1));
    assert_eq!(side.get("side-file:electrocardiogram"), Some(&1));
    assert_eq!(side.get("side-file:clinical-record"), Some(&1));
    assert_eq!(side.get("side-file:export_cda.xml"), Some(&1));
    let dup = zipped
        .report
        .issues
        .iter()
        .find(|i| i.code == "duplicate-of-correlation")
        .unwrap();
    assert!(
        matches!(&dup.location, Location::ZipEntry { entry, .. } if entry == "apple_health_export/导出.xml")
    );
}

#[test]
fn zip_from_memory_is_read_too() {
    let d = read_slice(&localized_export_zip(), &ReadOptions::default()).unwrap();
    assert_eq!(d.report.items_read, 46);
    assert!(d.report.is_balanced());
}

fn expect_format_error(bytes: &[u8], opts: &ReadOptions) -> phrkit::Error {
    let err = match read_slice(bytes, opts) {
        Ok(d) => panic!("expected an error, got {} records", d.records.len()),
        Err(e) => e,
    };
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Format { .. }
                | ErrorKind::LimitExceeded { .. }
                | ErrorKind::UnknownFormat(_)
        ),
        "{err:?}"
    );
    err
}

#[test]
fn truncated_zip_is_a_format_error() {
    let z = localized_export_zip();
    let err = expect_format_error(&z[..z.len() / 2], &ReadOptions::default());
    assert!(matches!(err.kind(), ErrorKind::Format { .. }), "{err:?}");
}

#[test]
fn zip_with_corrupt_entry_data_is_a_format_error() {
    let mut z = localized_export_zip();
    // Damage the compressed bytes of the main entry (the last local entry) without touching headers.
    let pos = z.len() / 2 + 200;
    for b in &mut z[pos..pos + 64] {
        *b ^= 0x5a;
    }
    let err = match read_slice(&z, &ReadOptions::default()) {
        Ok(_) => panic!("corrupt entry accepted"),
        Err(e) => e,
    };
    assert!(matches!(err.kind(), ErrorKind::Format { .. }), "{err:?}");
}

#[test]
fn escaping_entry_paths_are_refused() {
    for name in [
        "../evil.xml",
        "/abs/export.xml",
        "apple_health_export/../../x.gpx",
    ] {
        let z = zip_of(&[(name, b"<HealthData locale=\"x\"></HealthData>")]);
        let err = expect_format_error(&z, &ReadOptions::default());
        assert!(
            matches!(err.location(), Some(Location::ZipEntry { entry, .. }) if entry == name),
            "{err:?}"
        );
    }
}

#[test]
fn zip_bombs_hit_typed_limits() {
    let zeros = vec![b' '; 8 * 1024 * 1024];
    let mut doc = energy_doc("").into_bytes();
    doc.extend_from_slice(&zeros);
    let z = zip_of(&[("apple_health_export/export.xml", &doc)]);
    let err = expect_format_error(&z, &ReadOptions::default());
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::CompressionRatio,
                max: 200,
                ..
            }
        ),
        "{err:?}"
    );

    let mut opts = ReadOptions::default();
    opts.limits.archive = ArchiveLimits::new(1000, 4 * 1024 * 1024, 100_000);
    let err = expect_format_error(&z, &opts);
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::ArchiveBytes,
                ..
            }
        ),
        "{err:?}"
    );

    opts.limits.archive = ArchiveLimits::new(1, u64::MAX, 100_000);
    let two = zip_of(&[("a.xml", b"<HealthData/>"), ("b.gpx", b"")]);
    let err = expect_format_error(&two, &opts);
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::ArchiveEntries,
                ..
            }
        ),
        "{err:?}"
    );
}

/// Rewrites the uncompressed size of the first entry in the central directory (a lying header).
fn patch_declared_size(zip: &mut [u8], size: u32) {
    let cd = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[cd + 24..cd + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn lying_size_headers_are_caught_while_streaming() {
    let mut doc = energy_doc("").into_bytes();
    doc.extend_from_slice(&vec![b' '; 64 * 1024]);
    let mut z = zip_of(&[("apple_health_export/export.xml", &doc)]);
    patch_declared_size(&mut z, 32 * 1024);
    let err = expect_format_error(&z, &ReadOptions::default());
    assert!(
        err.to_string().contains("larger than its declared size"),
        "{err}"
    );
    assert!(
        matches!(err.location(), Some(Location::ZipEntry { .. })),
        "{err:?}"
    );
    let mut z = zip_of(&[("apple_health_export/export.xml", &doc)]);
    patch_declared_size(&mut z, doc.len() as u32 + 10);
    let err = expect_format_error(&z, &ReadOptions::default());
    assert!(
        err.to_string().contains("shorter than its declared size"),
        "{err}"
    );
}

#[test]
fn zip_without_health_data_is_unknown() {
    let z = zip_of(&[("notes/readme.xml", b"<notes/>")]);
    let err = expect_format_error(&z, &ReadOptions::default());
    assert!(matches!(err.kind(), ErrorKind::UnknownFormat(_)), "{err:?}");
}

// ---------- hostile XML ----------

#[test]
fn billion_laughs_and_external_entities_are_refused() {
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE HealthData [\n <!ENTITY lol \"lol\">\n <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n<HealthData locale=\"x\"><Record type=\"&lol1;\"/></HealthData>";
    let err = expect_format_error(laughs.as_bytes(), &ReadOptions::default());
    assert!(err.to_string().contains("entities"), "{err}");
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE HealthData [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><HealthData locale=\"x\"><Me HKCharacteristicTypeIdentifierDateOfBirth=\"&xxe;\"/></HealthData>";
    expect_format_error(xxe.as_bytes(), &ReadOptions::default());
    // An undeclared entity in an attribute is never resolved either.
    let undeclared = energy_doc("<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"&xxe;\" unit=\"count\" startDate=\"2025-02-28 07:00:00 +0900\" endDate=\"2025-02-28 07:01:00 +0900\" value=\"1\"/>");
    expect_format_error(undeclared.as_bytes(), &ReadOptions::strict());
}

#[test]
fn invalid_utf8_is_a_typed_error() {
    let mut doc = energy_doc("<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"X\" unit=\"count\" startDate=\"2025-02-28 07:00:00 +0900\" endDate=\"2025-02-28 07:01:00 +0900\" value=\"1\"/>").into_bytes();
    let at = doc.windows(3).position(|w| w == b"\"X\"").unwrap() + 1;
    doc[at] = 0xff;
    let err = expect_format_error(&doc, &ReadOptions::strict());
    assert!(err.to_string().contains("UTF-8"), "{err}");
    let d = read_slice(&doc, &ReadOptions::default()).unwrap();
    assert_eq!(d.report.skipped.get("invalid-text"), Some(&1));
    assert!(d.report.is_balanced());
}

#[test]
fn empty_truncated_and_malformed_documents_are_typed_errors() {
    let mut forced = ReadOptions::default();
    forced.format = Some(Format::AppleHealthXml);
    expect_format_error(b"", &ReadOptions::default());
    expect_format_error(b"", &forced);
    expect_format_error(b"  \n ", &forced);
    let full = fixture_bytes("export.xml");
    for cut in [40, 600, full.len() / 2, full.len() - 10] {
        expect_format_error(&full[..cut], &forced);
    }
    expect_format_error(
        b"<HealthData locale=\"x\"><Record></Workout></HealthData>",
        &forced,
    );
    expect_format_error(b"<NotHealth/>", &forced);
    expect_format_error(
        b"<HealthData locale=\"x\"/><HealthData locale=\"y\"/>",
        &forced,
    );
    let ok = read_slice(b"<HealthData locale=\"x\"/>\n<!-- end -->\n", &forced).unwrap();
    assert_eq!(ok.report.items_read, 0);
}

#[test]
fn everything_read_can_be_written_as_fhir_and_read_back() {
    let d = read_fixture();
    let out = phrkit::write::to_vec(&d.records, phrkit::write::WriteOptions::default()).unwrap();
    let back = read_slice(&out, &ReadOptions::default()).unwrap();
    assert!(back.report.is_balanced(), "{:#?}", back.report);
    assert_eq!(back.report.skipped_total(), 0, "{:#?}", back.report.skipped);
    assert_eq!(back.records.len(), d.records.len());
}

/// A document made on the fly: `prefix`, then `len` bytes of `fill`, then `suffix` — never held in memory,
/// so a 1 GiB token costs nothing to produce. Counts the bytes handed out.
struct Lazy {
    parts: [Vec<u8>; 2],
    fill: u8,
    len: u64,
    pos: u64,
    served: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Lazy {
    fn new(
        prefix: &str,
        fill: u8,
        len: u64,
        suffix: &str,
    ) -> (Lazy, std::rc::Rc<std::cell::Cell<u64>>) {
        let served = std::rc::Rc::new(std::cell::Cell::new(0));
        let lazy = Lazy {
            parts: [prefix.as_bytes().to_vec(), suffix.as_bytes().to_vec()],
            fill,
            len,
            pos: 0,
            served: served.clone(),
        };
        (lazy, served)
    }
}

impl std::io::Read for Lazy {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let prefix = self.parts[0].len() as u64;
        let n = if self.pos < prefix {
            let rest = &self.parts[0][self.pos as usize..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            n
        } else if self.pos < prefix + self.len {
            let n = ((prefix + self.len - self.pos) as usize).min(buf.len());
            buf[..n].fill(self.fill);
            n
        } else {
            let at = (self.pos - prefix - self.len) as usize;
            let rest = self.parts[1].get(at..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            n
        };
        self.pos += n as u64;
        self.served.set(self.served.get() + n as u64);
        Ok(n)
    }
}

const GIB: u64 = 1024 * 1024 * 1024;
const HEAD: &str = "<?xml version=\"1.0\"?>\n<HealthData locale=\"en_US\">\n";

/// Reads a lazily generated document to its end or first error.
fn read_lazy(lazy: Lazy, opts: ReadOptions) -> phrkit::Result<u64> {
    use phrkit::read::RecordReader;
    let mut r = phrkit::read::apple_health::AppleHealthReader::new(lazy, opts)?;
    let mut n = 0;
    while r.next_record()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// Asserts a `TokenBytes` limit error at the given element, and that the reader stopped soon after the
/// limit rather than reading the whole 1 GiB.
fn assert_token_limit(prefix: &str, suffix: &str, path: &str) {
    let (lazy, served) = Lazy::new(prefix, b'a', GIB, suffix);
    let err = read_lazy(lazy, ReadOptions::default()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::TokenBytes,
                max,
                location: Location::XmlPath { path: p, line: Some(3) },
            } if *max == 16 * 1024 * 1024 && p == path
        ),
        "{err:?}"
    );
    let read = served.get();
    assert!(
        read > 16 * 1024 * 1024 && read < 24 * 1024 * 1024,
        "read {read} bytes"
    );
}

#[test]
fn a_one_gib_attribute_value_hits_the_token_limit() {
    assert_token_limit(
        &format!("{HEAD}<Record type=\"HKQuantityTypeIdentifierStepCount\" value=\""),
        "\"/>\n</HealthData>\n",
        // The tag is still being read: the location names the element before it.
        "/HealthData",
    );
}

#[test]
fn a_one_gib_comment_hits_the_token_limit() {
    assert_token_limit(
        &format!("{HEAD}<!--"),
        "-->\n</HealthData>\n",
        "/HealthData",
    );
}

#[test]
fn a_one_gib_text_run_hits_the_token_limit() {
    assert_token_limit(HEAD, "\n</HealthData>\n", "/HealthData");
}

#[test]
fn a_one_gib_text_inside_a_record_names_the_record() {
    let head = format!(
        "{HEAD}<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" unit=\"count\" startDate=\"2025-02-27 23:04:00 +0100\" endDate=\"2025-02-27 23:04:00 +0100\" value=\"5\">"
    );
    assert_token_limit(&head, "</Record>\n</HealthData>\n", "/HealthData/Record[1]");
}

#[test]
fn the_token_limit_is_configurable_and_normal_exports_pass_it() {
    // A small limit still reads an export whose tokens are all shorter.
    let mut opts = ReadOptions::default();
    opts.limits.max_token_bytes = 1024;
    let doc = energy_doc(
        "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" unit=\"count\" startDate=\"2025-02-27 23:04:00 +0100\" endDate=\"2025-02-27 23:05:00 +0100\" value=\"812\"><MetadataEntry key=\"k\" value=\"v\"/></Record>",
    );
    let (lazy, _) = Lazy::new(&doc, b' ', 0, "");
    assert_eq!(read_lazy(lazy, opts.clone()).unwrap(), 1);
    let d = read_slice(doc.as_bytes(), &opts).unwrap();
    assert_eq!(d.report.by_type.get("stepCount"), Some(&1));
    assert!(d.report.is_balanced());
    // A value longer than the limit is refused, naming the configured maximum.
    let (lazy, _) = Lazy::new(
        &format!("{HEAD}<Record type=\"HKQuantityTypeIdentifierStepCount\" value=\""),
        b'1',
        2048,
        "\"/>\n</HealthData>\n",
    );
    let err = read_lazy(lazy, opts).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::TokenBytes,
                max: 1024,
                ..
            }
        ),
        "{err:?}"
    );
}
