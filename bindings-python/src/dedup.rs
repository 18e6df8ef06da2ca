//! `Dataset.dedup`: the core's deduplication stage (`phrkit::policy::dedup`) over a dataset in memory.
//!
//! The binding only turns Python arguments into a core `DedupStrategy` (named as the CLI's `--dedup`
//! values, so a notebook and a shell script say the same thing) and runs `dedup_records`; which record
//! is a duplicate and which one wins is decided by the core.

use std::path::PathBuf;

use phrkit::policy::dedup::{self, DedupStrategy, HealthConnectPriorities};
use phrkit::read::health_connect::{read_priorities_path, read_priorities_slice};
use phrkit::read::ReadOptions;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::dataset::Dataset;
use crate::error;

/// The strategy names `Dataset.dedup` accepts (the CLI's `--dedup` values).
const STRATEGIES: [&str; 4] = [
    "keep-all",
    "source-priority",
    "hc-priority",
    "max-per-bucket",
];

/// The arguments of `Dataset.dedup`, as Python gave them.
pub(crate) struct DedupArgs<'a, 'py> {
    pub(crate) strategy: &'a str,
    pub(crate) priority: Option<Vec<String>>,
    pub(crate) bucket_minutes: i64,
    pub(crate) health_connect: Option<&'a Bound<'py, PyAny>>,
}

/// A Health Connect export given as a path or as bytes.
enum Export {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

fn export_of(value: &Bound<'_, PyAny>) -> PyResult<Export> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Export::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(Export::Bytes(b.to_vec()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Export::Path(PathBuf::from(s.to_cow()?.into_owned())));
    }
    Ok(Export::Path(value.extract::<PathBuf>()?))
}

/// Reads Health Connect's per-category app priority from the export (the zip or the bare database),
/// with the GIL released: it may unpack and open a SQLite database.
fn priorities(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<HealthConnectPriorities> {
    let export = export_of(value)?;
    let opts = ReadOptions::default();
    py.detach(|| match &export {
        Export::Path(p) => read_priorities_path(p, &opts),
        Export::Bytes(b) => read_priorities_slice(b, &opts),
    })
    .map_err(|e| error::to_py(py, e))
}

/// The core strategy for the arguments. Arguments that belong to another strategy are refused rather
/// than silently ignored (as the CLI refuses `--source-priority` with another `--dedup`).
fn strategy(py: Python<'_>, args: DedupArgs<'_, '_>) -> PyResult<DedupStrategy> {
    if args.priority.is_some() && args.strategy != "source-priority" {
        return Err(error::misuse(
            py,
            "priority= goes with strategy='source-priority' only",
        ));
    }
    if args.health_connect.is_some() && args.strategy != "hc-priority" {
        return Err(error::misuse(
            py,
            "health_connect= goes with strategy='hc-priority' only",
        ));
    }
    match args.strategy {
        "keep-all" => Ok(DedupStrategy::KeepAll),
        "source-priority" => source_priority(py, args.priority),
        "hc-priority" => {
            let Some(export) = args.health_connect else {
                return Err(error::misuse(
                    py,
                    "strategy='hc-priority' needs health_connect= (the export's path or bytes)",
                ));
            };
            Ok(DedupStrategy::HealthConnectPriority(priorities(
                py, export,
            )?))
        }
        "max-per-bucket" => {
            let minutes = u32::try_from(args.bucket_minutes)
                .ok()
                .filter(|m| *m >= 1)
                .ok_or_else(|| {
                    error::misuse(py, "bucket_minutes must be between 1 and 4294967295")
                })?;
            Ok(DedupStrategy::MaxPerBucket { minutes })
        }
        other => Err(error::misuse(
            py,
            format!(
                "unknown dedup strategy {other:?}; known: {}",
                STRATEGIES.join(", ")
            ),
        )),
    }
}

/// `source-priority` needs at least one pattern, and a blank one (which matches no source) is a mistake.
fn source_priority(py: Python<'_>, patterns: Option<Vec<String>>) -> PyResult<DedupStrategy> {
    let patterns = patterns.unwrap_or_default();
    if patterns.is_empty() {
        return Err(error::misuse(
            py,
            "strategy='source-priority' needs priority=[source patterns, highest first]",
        ));
    }
    if patterns.iter().any(|p| p.trim().is_empty()) {
        return Err(error::misuse(
            py,
            "priority patterns must not be blank (a blank pattern matches no source)",
        ));
    }
    Ok(DedupStrategy::SourcePriority(patterns))
}

/// Runs the stage on a copy of the dataset's records (GIL released); the new dataset's report is the old
/// one with the stage's counts applied (`duplicates`, dropped records moved to `skipped`).
///
/// Labelled datasets (after `pseudonymise` / `anonymise`) are refused: the stage returns the kept records,
/// not which ones, so labels could not follow them — and deduplication belongs before de-identification.
pub(crate) fn run(py: Python<'_>, ds: &Dataset, args: DedupArgs<'_, '_>) -> PyResult<Dataset> {
    if ds.labels().is_some() {
        return Err(error::misuse(
            py,
            "dedup() takes data as read: deduplicate before pseudonymise() / anonymise()",
        ));
    }
    let strategy = strategy(py, args)?;
    let (records, report) = py.detach(|| {
        let mut report = ds.report.clone();
        let records = dedup::dedup_records(ds.records.clone(), &mut report, &strategy);
        (records, report)
    });
    Ok(Dataset::new(records, report))
}
