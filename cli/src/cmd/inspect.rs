//! `phrkit inspect`: counts per type, time range, sources, units, duplicates and problems.
//!
//! Duplicates (records overlapping a record of the same kind from another source, `policy::dedup`) are
//! counted in the same single pass; that keeps every record's time span (8–16 bytes per measurement).

use std::collections::BTreeMap;
use std::path::Path;

use phrkit::policy::dedup::DuplicateCounter;
use phrkit::record::{format_timestamp, MeasurementValue, Record};
use serde_json::json;

use super::input::{options, Input};
use crate::args::From;

#[derive(Default)]
struct TypeSummary {
    count: u64,
    first: Option<String>,
    last: Option<String>,
    sources: BTreeMap<String, u64>,
    units: BTreeMap<String, u64>,
}

/// Runs the summary; returns the exit code.
pub fn run(input: &Path, from: Option<From>, as_json: bool) -> phrkit::Result<i32> {
    let opts = options(from, false);
    let input = Input::open(input);
    let mut reader = input.reader(&opts)?;
    let mut types: BTreeMap<String, TypeSummary> = BTreeMap::new();
    let mut subjects = 0u64;
    let mut duplicates = DuplicateCounter::default();
    let bar = crate::progress::records_bar();
    while let Some(record) = reader.next_record()? {
        bar.inc(1);
        duplicates.observe(&record);
        let Record::Measurement(m) = &record else {
            if matches!(record, Record::Subject(_)) {
                subjects += 1;
            } else {
                types
                    .entry(record.type_name().into_owned())
                    .or_default()
                    .count += 1;
            }
            continue;
        };
        let t = types.entry(m.kind().name().into_owned()).or_default();
        t.count += 1;
        // RFC 3339 strings in one offset sort like instants only per offset; keep the min/max by instant.
        if let Some(s) = m.effective().start() {
            let s = format_timestamp(s);
            if t.first.as_ref().is_none_or(|f| s < *f) {
                t.first = Some(s);
            }
        }
        if let Some(e) = m.effective().end() {
            let e = format_timestamp(e);
            if t.last.as_ref().is_none_or(|l| e > *l) {
                t.last = Some(e);
            }
        }
        let source = m
            .source()
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| "(unknown)".into());
        *t.sources.entry(source).or_default() += 1;
        let unit = match m.value() {
            MeasurementValue::Quantity(q) => q.unit.ucum().to_owned(),
            MeasurementValue::BloodPressure { .. } => "mm[Hg]".into(),
            MeasurementValue::Sleep(_) => "min".into(),
            MeasurementValue::Workout(_) => "(workout)".into(),
            _ => "(text)".into(),
        };
        *t.units.entry(unit).or_default() += 1;
    }
    bar.finish_and_clear();
    let mut report = reader.report().clone();
    report.duplicates = duplicates.finish();
    let dups = |k: &str| report.duplicates.get(k).copied().unwrap_or(0);
    if as_json {
        let types_json: serde_json::Map<String, serde_json::Value> = types
            .iter()
            .map(|(k, t)| {
                (k.clone(), json!({"count": t.count, "first": t.first, "last": t.last, "sources": t.sources, "units": t.units, "duplicates": dups(k)}))
            })
            .collect();
        let out = json!({"format": reader.format().name(), "subjects": subjects, "types": types_json, "report": report});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(crate::exit_code::OK);
    }
    println!("format: {}", reader.format().name());
    println!(
        "items read: {}, converted: {}, skipped: {}",
        report.items_read,
        report.converted,
        report.skipped_total()
    );
    println!("subjects: {subjects}");
    println!(
        "{:<28} {:>9} {:>9}  {:<25}  {:<25}  units / sources",
        "type", "count", "dups", "first", "last"
    );
    for (name, t) in &types {
        let units: Vec<String> = t.units.iter().map(|(u, n)| format!("{u}×{n}")).collect();
        let sources: Vec<String> = t.sources.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        println!(
            "{:<28} {:>9} {:>9}  {:<25}  {:<25}  {} / {}",
            name,
            t.count,
            dups(name),
            t.first.as_deref().unwrap_or("-"),
            t.last.as_deref().unwrap_or("-"),
            units.join(", "),
            sources.join(", ")
        );
    }
    for (kind, n) in &report.duplicates {
        println!("duplicates from several sources: {n} × {kind}");
    }
    for (reason, n) in &report.skipped {
        println!("skipped: {n} × {reason}");
    }
    for (path, n) in &report.ignored_elements {
        println!("ignored element: {path} × {n}");
    }
    for issue in report.issues.iter().take(20) {
        println!(
            "issue: {:?} {} at {}: {}",
            issue.severity, issue.code, issue.location, issue.message
        );
    }
    if report.issues_dropped > 0 || report.issues.len() > 20 {
        println!(
            "… {} more issues",
            report.issues.len().saturating_sub(20) as u64 + report.issues_dropped
        );
    }
    Ok(crate::exit_code::OK)
}
