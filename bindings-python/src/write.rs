//! FHIR output for `Dataset.to_fhir` / `to_ndjson` / `write`: the core writers, GIL released. A dataset
//! that came out of `pseudonymise` / `anonymise` carries security labels per record; it is written with
//! the core's `LabelledWriter` so every resource keeps its `meta.security`.

use std::io::{BufWriter, Write};
use std::path::Path;

use phrkit::policy::pseudonymise::Labelled;
use phrkit::record::Coding;
use phrkit::write::export::LabelledWriter;
use phrkit::write::{FhirWriter, OutputFormat, WriteOptions};
use phrkit::{Record, Report};
use pyo3::prelude::*;

use crate::error;

/// Parses an output container name.
pub(crate) fn parse_output(py: Python<'_>, name: &str) -> PyResult<OutputFormat> {
    match name {
        "ndjson" | "fhir-ndjson" => Ok(OutputFormat::Ndjson),
        "collection" | "bundle" => Ok(OutputFormat::BundleCollection),
        "transaction" => Ok(OutputFormat::BundleTransaction),
        other => Err(error::misuse(
            py,
            format!("unknown output format {other:?}; known: ndjson, collection, transaction"),
        )),
    }
}

/// Writes records (with their labels, when the dataset has them) to `out`.
pub(crate) fn write_all<W: Write>(
    records: &[Record],
    labels: Option<&[Vec<Coding>]>,
    format: OutputFormat,
    out: W,
) -> phrkit::Result<(Report, W)> {
    let opts = WriteOptions::new(format);
    match labels {
        Some(labels) => {
            let mut w = LabelledWriter::new(out, opts);
            for (record, labels) in records.iter().zip(labels) {
                w.write(&Labelled {
                    record: record.clone(),
                    labels: labels.clone(),
                })?;
            }
            w.finish()
        }
        None => {
            let mut w = FhirWriter::new(out, opts);
            for r in records {
                w.write(r)?;
            }
            w.finish()
        }
    }
}

/// The writer emits JSON it built from Rust strings: always UTF-8.
pub(crate) fn utf8(bytes: Vec<u8>) -> PyResult<String> {
    String::from_utf8(bytes)
        .map_err(|e| pyo3::exceptions::PyUnicodeDecodeError::new_err(e.to_string()))
}

/// The records as FHIR text in the given container.
pub(crate) fn to_string(
    py: Python<'_>,
    records: &[Record],
    labels: Option<&[Vec<Coding>]>,
    format: OutputFormat,
) -> PyResult<String> {
    let bytes = py
        .detach(|| write_all(records, labels, format, Vec::new()))
        .map_err(|e| error::to_py(py, e))?
        .1;
    utf8(bytes)
}

/// Streams the records to a file; returns the writer's report.
pub(crate) fn to_file(
    py: Python<'_>,
    records: &[Record],
    labels: Option<&[Vec<Coding>]>,
    path: &Path,
    format: OutputFormat,
) -> PyResult<Report> {
    py.detach(|| -> phrkit::Result<Report> {
        let file = std::fs::File::create(path)?;
        let (report, mut out) = write_all(records, labels, format, BufWriter::new(file))?;
        out.flush()?;
        Ok(report)
    })
    .map_err(|e| error::to_py(py, e))
}
