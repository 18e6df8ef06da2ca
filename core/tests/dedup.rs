//! The deduplication stage (`policy::dedup`) on a multi-source Apple export
//! (`fixtures/apple_health/multi_source.xml`, handwritten), on Health Connect databases built here, and on
//! random record sets (proptest against a brute-force oracle).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use phrkit::policy::dedup::{
    self, DedupStrategy, DuplicateCounter, REASON_LOWER_PRIORITY, REASON_NOT_MAX_IN_BUCKET,
};
use phrkit::read::{read_path, Dataset, ReadOptions, RecordReader};
use phrkit::record::{Effective, Kind, Measurement, MeasurementValue, Source, Subject, Unit};
use phrkit::{Record, Report};
use proptest::prelude::*;
use rust_decimal::Decimal;

const FIXTURE: &str = "../fixtures/apple_health/multi_source.xml";
const WATCH: &str = "Hanako's Apple Watch";
const PHONE: &str = "Hanako's iPhone";
const APP: &str = "Activity Diary";

fn fixture() -> Dataset {
    read_path(FIXTURE, &ReadOptions::default()).unwrap()
}

fn priority() -> DedupStrategy {
    DedupStrategy::SourcePriority(vec!["Apple Watch".into(), "iPhone".into()])
}

fn source_name(m: &Measurement) -> String {
    m.source().and_then(|s| s.name.clone()).unwrap_or_default()
}

/// (source, value) of every measurement of a kind, sorted.
fn values(records: &[Record], kind: &Kind) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Measurement(m) if m.kind() == kind => Some(m),
            _ => None,
        })
        .map(|m| {
            let value = match m.value() {
                MeasurementValue::Quantity(q) => q.value.to_string(),
                MeasurementValue::Sleep(_) => "sleep".into(),
                _ => "other".into(),
            };
            (source_name(m), value)
        })
        .collect();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = v
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

fn expected_duplicates() -> BTreeMap<String, u64> {
    BTreeMap::from([
        ("heartRate".to_owned(), 2),
        ("sleepEpisode".to_owned(), 2),
        ("stepCount".to_owned(), 6),
    ])
}

#[test]
fn the_fixture_reads_every_record_of_every_source() {
    let d = fixture();
    assert_eq!(d.report.items_read, 16);
    assert_eq!(d.report.converted, 16);
    assert!(d.report.is_balanced());
    assert_eq!(values(&d.records, &Kind::Steps).len(), 9);
    assert_eq!(values(&d.records, &Kind::HeartRate).len(), 3);
    assert_eq!(values(&d.records, &Kind::SleepSession).len(), 3);
    assert!(d.report.duplicates.is_empty(), "the reader does not dedup");
}

#[test]
fn keep_all_keeps_every_record_and_counts_duplicates_per_type() {
    let before = fixture();
    let n = before.records.len();
    let d = dedup::dedup_dataset(fixture(), &DedupStrategy::KeepAll);
    assert_eq!(d.records, before.records);
    assert_eq!(d.records.len(), n);
    assert_eq!(d.report.duplicates, expected_duplicates());
    assert_eq!(d.report.converted, 16);
    assert!(d.report.skipped.is_empty());
    assert!(d.report.is_balanced());
}

#[test]
fn source_priority_keeps_the_watch_then_the_iphone() {
    let d = dedup::dedup_dataset(fixture(), &priority());
    assert_eq!(
        values(&d.records, &Kind::Steps),
        pairs(&[
            (WATCH, "260"),
            (WATCH, "250"),
            (WATCH, "90"),
            (PHONE, "300"),
            (PHONE, "100"),
            (APP, "50"),
        ])
    );
    assert_eq!(
        values(&d.records, &Kind::HeartRate),
        pairs(&[(WATCH, "62"), (WATCH, "63")])
    );
    assert_eq!(
        values(&d.records, &Kind::SleepSession),
        pairs(&[(WATCH, "sleep"), (PHONE, "sleep")])
    );
    let r = &d.report;
    assert_eq!(r.skipped.get(REASON_LOWER_PRIORITY), Some(&5));
    assert_eq!(r.converted, 11);
    assert_eq!(r.items_read, 16);
    assert!(r.is_balanced());
    assert_eq!(r.by_type.get("stepCount"), Some(&6));
    assert_eq!(r.by_type.get("heartRate"), Some(&2));
    assert_eq!(r.by_type.get("sleepEpisode"), Some(&2));
    assert_eq!(r.duplicates, expected_duplicates());
    let why: Vec<&str> = r
        .issues
        .iter()
        .filter(|i| i.code == REASON_LOWER_PRIORITY)
        .map(|i| i.message.as_str())
        .collect();
    assert_eq!(why.len(), 3, "one issue per type: {why:?}");
    assert!(why
        .iter()
        .any(|m| m.starts_with("3 stepCount records dropped")));
    assert!(
        r.issues.iter().all(|i| !i.message.contains("Hanako")),
        "source names are input values and stay out of messages"
    );
}

#[test]
fn a_different_priority_order_keeps_other_records() {
    let s = DedupStrategy::SourcePriority(vec!["activity diary".into()]);
    let d = dedup::dedup_dataset(fixture(), &s);
    // The app wins; the Watch and the iPhone rank equal (unlisted) and do not drop each other.
    assert_eq!(
        values(&d.records, &Kind::Steps),
        pairs(&[
            (APP, "480"),
            (APP, "320"),
            (APP, "50"),
            (PHONE, "100"),
            (WATCH, "90"),
        ])
    );
    assert_eq!(d.report.skipped.get(REASON_LOWER_PRIORITY), Some(&6));
    assert!(d.report.is_balanced());
}

#[test]
fn max_per_bucket_keeps_the_source_with_the_most_steps_in_each_hour() {
    let d = dedup::dedup_dataset(fixture(), &DedupStrategy::MaxPerBucket { minutes: 60 });
    // 08h: Watch 510 > iPhone 500 > app 480; 09h: app 320 > iPhone 300; 10h: iPhone 100 > Watch 90
    // (they do not overlap, but share the hour); 11h: the app alone.
    assert_eq!(
        values(&d.records, &Kind::Steps),
        pairs(&[
            (WATCH, "260"),
            (WATCH, "250"),
            (APP, "320"),
            (PHONE, "100"),
            (APP, "50"),
        ])
    );
    // Heart rate and sleep are not cumulative: nothing dropped, duplicates still counted.
    assert_eq!(values(&d.records, &Kind::HeartRate).len(), 3);
    assert_eq!(values(&d.records, &Kind::SleepSession).len(), 3);
    assert_eq!(d.report.skipped.get(REASON_NOT_MAX_IN_BUCKET), Some(&4));
    assert_eq!(d.report.converted, 12);
    assert_eq!(d.report.duplicates, expected_duplicates());
    assert!(d.report.is_balanced());
}

fn drain(r: &mut dyn RecordReader) -> Vec<Record> {
    let mut out = Vec::new();
    while let Some(x) = r.next_record().unwrap() {
        out.push(x);
    }
    out
}

#[test]
fn the_two_pass_streaming_stage_matches_the_in_memory_stage() {
    for s in [DedupStrategy::KeepAll, priority()] {
        let mut r =
            dedup::open_path(Path::new(FIXTURE), &ReadOptions::default(), s.clone()).unwrap();
        let streamed = drain(&mut r);
        let in_memory = dedup::dedup_dataset(fixture(), &s);
        assert_eq!(streamed, in_memory.records);
        assert_eq!(r.report(), &in_memory.report);
        assert!(r.report().is_balanced());
    }
}

#[test]
fn the_one_pass_counter_agrees_with_the_stage() {
    let mut c = DuplicateCounter::default();
    for r in &fixture().records {
        c.observe(r);
    }
    assert_eq!(c.finish(), expected_duplicates());
}

fn at(min: i64) -> DateTime<FixedOffset> {
    DateTime::from_timestamp(1_740_960_000 + min * 60, 0)
        .unwrap()
        .with_timezone(&FixedOffset::east_opt(9 * 3600).unwrap())
}

fn steps(source: &str, start: i64, end: i64, value: i64) -> Record {
    Measurement::quantity(
        Kind::Steps,
        Effective::from_bounds(at(start), at(end)).unwrap(),
        Decimal::from(value),
        Unit::Steps,
    )
    .unwrap()
    .with_source(Arc::new(Source {
        name: Some(source.into()),
        ..Source::default()
    }))
    .into()
}

fn balanced_report(records: &[Record]) -> Report {
    let mut r = Report::default();
    for x in records {
        r.items_read += 1;
        r.converted(&x.type_name());
    }
    r
}

#[test]
fn two_persons_are_never_compared() {
    let records = vec![
        Record::from(Subject::default()),
        steps("a", 0, 10, 100),
        Record::from(Subject::default()),
        steps("b", 0, 10, 200),
    ];
    let mut report = balanced_report(&records);
    let kept = dedup::dedup_records(
        records.clone(),
        &mut report,
        &DedupStrategy::SourcePriority(vec!["b".into()]),
    );
    assert_eq!(kept, records);
    assert!(report.duplicates.is_empty());
}

#[test]
fn records_of_one_source_never_duplicate_each_other() {
    let records = vec![steps("a", 0, 10, 100), steps("a", 5, 15, 100)];
    let mut report = balanced_report(&records);
    let kept = dedup::dedup_records(
        records.clone(),
        &mut report,
        &DedupStrategy::SourcePriority(vec!["z".into()]),
    );
    assert_eq!(kept.len(), 2);
    assert!(report.duplicates.is_empty());
}

#[cfg(feature = "health-connect")]
mod health_connect {
    use super::*;
    use phrkit::policy::dedup::HcCategory;
    use phrkit::read::health_connect::read_priorities_path;

    const T0: i64 = 1_735_689_600_000;
    const JST: i64 = 32_400;
    const MIN: i64 = 60_000;
    const FIT: &str = "com.google.android.apps.fitness";
    const SHEALTH: &str = "com.sec.android.app.shealth";

    /// A database with three step writers; `priority` rows are (category, app_id_priority_order).
    fn build_db(dir: &Path, priority: Option<&[(i64, &str)]>) -> std::path::PathBuf {
        let path = dir.join("health_connect_export.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE application_info_table (row_id INTEGER PRIMARY KEY, package_name TEXT, app_name TEXT);
             CREATE TABLE steps_record_table (row_id INTEGER PRIMARY KEY, start_time INTEGER, start_zone_offset INTEGER,
               end_time INTEGER, end_zone_offset INTEGER, count INTEGER, app_info_id INTEGER);
             INSERT INTO application_info_table VALUES (1, 'com.google.android.apps.fitness', 'Fit');
             INSERT INTO application_info_table VALUES (2, 'com.sec.android.app.shealth', 'Samsung Health');
             INSERT INTO application_info_table VALUES (3, 'com.example.pedometer', 'Pedometer');",
        )
        .unwrap();
        let rows: [(i64, i64, i64, i64); 4] = [
            (0, 15, 812, 1),
            (0, 15, 790, 2),
            (5, 10, 400, 3),
            (60, 70, 100, 2),
        ];
        for (s, e, n, app) in rows {
            c.execute(
                "INSERT INTO steps_record_table (start_time, start_zone_offset, end_time, end_zone_offset, count, app_info_id)
                 VALUES (?1, ?2, ?3, ?2, ?4, ?5)",
                rusqlite::params![T0 + s * MIN, JST, T0 + e * MIN, n, app],
            )
            .unwrap();
        }
        if let Some(rows) = priority {
            c.execute_batch(
                "CREATE TABLE health_data_category_priority_table (row_id INTEGER PRIMARY KEY AUTOINCREMENT,
                   health_data_category INTEGER UNIQUE, app_id_priority_order TEXT);",
            )
            .unwrap();
            for (cat, order) in rows {
                c.execute(
                    "INSERT INTO health_data_category_priority_table (health_data_category, app_id_priority_order)
                     VALUES (?1, ?2)",
                    rusqlite::params![cat, order],
                )
                .unwrap();
            }
        }
        path
    }

    #[test]
    fn the_priority_table_is_read_with_package_names_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = build_db(dir.path(), Some(&[(1, "2, 1,9"), (42, "1")]));
        let p = read_priorities_path(&db, &ReadOptions::default()).unwrap();
        assert!(p.table_found);
        assert_eq!(
            p.by_category.get(&HcCategory::Activity),
            Some(&vec![SHEALTH.to_owned(), FIT.to_owned()])
        );
        assert_eq!(p.unknown_categories, vec![42]);
        assert_eq!(p.unknown_app_ids, 1);
    }

    #[test]
    fn the_priority_table_is_read_from_the_zip_too() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let db = build_db(dir.path(), Some(&[(1, "1,2")]));
        let zip_path = dir.path().join("Health Connect.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        w.start_file(
            "health_connect_export.db",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(&std::fs::read(&db).unwrap()).unwrap();
        w.finish().unwrap();
        let p = read_priorities_path(&zip_path, &ReadOptions::default()).unwrap();
        assert_eq!(
            p.by_category.get(&HcCategory::Activity),
            Some(&vec![FIT.to_owned(), SHEALTH.to_owned()])
        );
        let mut r = dedup::open_path(
            &zip_path,
            &ReadOptions::default(),
            DedupStrategy::HealthConnectPriority(p),
        )
        .unwrap();
        assert_eq!(
            values(&drain(&mut r), &Kind::Steps),
            pairs(&[(FIT, "812"), (SHEALTH, "100")])
        );
    }

    #[test]
    fn the_top_app_of_the_category_wins_the_steps() {
        let dir = tempfile::tempdir().unwrap();
        let db = build_db(dir.path(), Some(&[(1, "2,1")]));
        let p = read_priorities_path(&db, &ReadOptions::default()).unwrap();
        let mut r = dedup::open_path(
            &db,
            &ReadOptions::default(),
            DedupStrategy::HealthConnectPriority(p),
        )
        .unwrap();
        let kept = drain(&mut r);
        assert_eq!(
            values(&kept, &Kind::Steps),
            pairs(&[(SHEALTH, "790"), (SHEALTH, "100")])
        );
        let report = r.report();
        // Fit (listed second) and the unlisted pedometer overlap Samsung Health and are dropped.
        assert_eq!(report.skipped.get(REASON_LOWER_PRIORITY), Some(&2));
        assert_eq!(report.duplicates.get("stepCount"), Some(&3));
        assert_eq!(report.converted, 2);
        assert!(report.is_balanced());
    }

    #[test]
    fn without_a_priority_table_nothing_is_dropped_and_the_absence_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let db = build_db(dir.path(), None);
        let p = read_priorities_path(&db, &ReadOptions::default()).unwrap();
        assert!(!p.table_found);
        let mut r = dedup::open_path(
            &db,
            &ReadOptions::default(),
            DedupStrategy::HealthConnectPriority(p),
        )
        .unwrap();
        assert_eq!(drain(&mut r).len(), 4);
        let report = r.report();
        assert_eq!(report.duplicates.get("stepCount"), Some(&3));
        assert!(report.skipped.is_empty());
        assert!(report
            .issues
            .iter()
            .any(|i| i.code == "hc-priority-table-absent"));
    }
}

// ---- proptest: the stage against a brute-force oracle ----

const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// (source index, kind is steps?, start minute, length in minutes; 0 = instant)
type Spec = (usize, bool, i64, i64);

fn record_of(&(src, is_steps, start, len): &Spec) -> Record {
    let e = Effective::from_bounds(at(start), at(start + len)).unwrap();
    let (kind, unit) = if is_steps {
        (Kind::Steps, Unit::Steps)
    } else {
        (Kind::HeartRate, Unit::PerMinute)
    };
    Measurement::quantity(kind, e, Decimal::from(60), unit)
        .unwrap()
        .with_source(Arc::new(Source {
            name: Some(NAMES[src].into()),
            ..Source::default()
        }))
        .into()
}

fn overlaps(a: &Spec, b: &Spec) -> bool {
    let (s1, e1, s2, e2) = (a.2, a.2 + a.3, b.2, b.2 + b.3);
    match (a.3 == 0, b.3 == 0) {
        (true, true) => s1 == s2,
        (true, false) => s2 <= s1 && s1 < e2,
        (false, true) => s1 <= s2 && s2 < e1,
        (false, false) => s1 < e2 && s2 < e1,
    }
}

fn rank(order: &[usize], src: usize) -> usize {
    order.iter().position(|&s| s == src).unwrap_or(order.len())
}

proptest! {
    #[test]
    fn drops_exactly_the_records_a_higher_priority_source_overlaps(
        specs in prop::collection::vec((0usize..4, any::<bool>(), 0i64..120, prop_oneof![Just(0i64), 1i64..30]), 0..40),
        order in prop::sample::subsequence(vec![0usize, 1, 2, 3], 0..4).prop_shuffle(),
    ) {
        let records: Vec<Record> = specs.iter().map(record_of).collect();
        let mut report = balanced_report(&records);
        let strategy = DedupStrategy::SourcePriority(order.iter().map(|&i| NAMES[i].to_owned()).collect());
        let kept = dedup::dedup_records(records.clone(), &mut report, &strategy);

        let outranked = |a: &Spec| specs.iter().any(|b| {
            b.0 != a.0 && b.1 == a.1 && rank(&order, b.0) < rank(&order, a.0) && overlaps(a, b)
        });
        let expected: Vec<Record> = specs.iter().filter(|a| !outranked(a)).map(record_of).collect();
        prop_assert_eq!(&kept, &expected);
        let dropped = report.skipped.get(REASON_LOWER_PRIORITY).copied().unwrap_or(0);
        prop_assert_eq!(kept.len() as u64 + dropped, records.len() as u64);
        prop_assert!(report.is_balanced());

        let duplicates = specs.iter().filter(|a| specs.iter().any(|b| b.0 != a.0 && b.1 == a.1 && overlaps(a, b))).count() as u64;
        prop_assert_eq!(report.duplicates.values().sum::<u64>(), duplicates);
    }
}

proptest! {
    #[test]
    fn max_per_bucket_keeps_one_source_per_contested_hour(
        specs in prop::collection::vec((0usize..4, any::<bool>(), 0i64..240, prop_oneof![Just(0i64), 1i64..30]), 0..40),
    ) {
        let records: Vec<Record> = specs.iter().map(record_of).collect();
        let mut report = balanced_report(&records);
        let kept = dedup::dedup_records(records.clone(), &mut report, &DedupStrategy::MaxPerBucket { minutes: 60 });

        // Every value is 60, so a source's total in an hour is 60 × its record count there.
        let count = |src: usize, hour: i64| specs.iter().filter(|b| b.1 && b.0 == src && b.2.div_euclid(60) == hour).count();
        let winner = |hour: i64| (0..4).max_by(|&x, &y| count(x, hour).cmp(&count(y, hour)).then(NAMES[y].cmp(NAMES[x]))).unwrap();
        let loses = |a: &Spec| a.1 && winner(a.2.div_euclid(60)) != a.0;
        let expected: Vec<Record> = specs.iter().filter(|a| !loses(a)).map(record_of).collect();
        prop_assert_eq!(&kept, &expected);
        let dropped = report.skipped.get(REASON_NOT_MAX_IN_BUCKET).copied().unwrap_or(0);
        prop_assert_eq!(kept.len() as u64 + dropped, records.len() as u64);
        prop_assert!(report.is_balanced());
    }
}
