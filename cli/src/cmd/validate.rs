//! `phrkit validate`: read everything leniently, list every problem, exit 1 if any item was skipped.

use std::path::Path;

use super::input::{options, Input};
use crate::args::From;

/// Runs validation; returns the exit code.
pub fn run(input: &Path, from: Option<From>) -> phrkit::Result<i32> {
    let opts = options(from, false);
    let input = Input::open(input);
    let mut reader = input.reader(&opts)?;
    while reader.next_record()?.is_some() {}
    let report = reader.report();
    for issue in &report.issues {
        println!(
            "{:?}: {} at {}: {}",
            issue.severity, issue.code, issue.location, issue.message
        );
    }
    if report.issues_dropped > 0 {
        println!("… {} more issues not listed", report.issues_dropped);
    }
    let skipped = report.skipped_total();
    println!(
        "{}: {} items, {} converted, {} skipped",
        if skipped == 0 { "valid" } else { "invalid" },
        report.items_read,
        report.converted,
        skipped
    );
    Ok(if skipped == 0 {
        crate::exit_code::OK
    } else {
        crate::exit_code::PROBLEMS
    })
}
