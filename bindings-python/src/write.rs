//! FHIR output for `Dataset.to_fhir` / `to_ndjson` / `write`: the core writer, GIL released.

use std::io::BufWriter;
use std::path::Path;

use phrkit::write::{to_vec, FhirWriter, OutputFormat, WriteOptions};
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

/// The records as FHIR text in the given container.
pub(crate) fn to_string(
    py: Python<'_>,
    records: &[Record],
    format: OutputFormat,
) -> PyResult<String> {
    let bytes = py
        .detach(|| to_vec(records, WriteOptions::new(format)))
        .map_err(|e| error::to_py(py, e))?;
    // The writer emits JSON it built from Rust strings: always UTF-8.
    String::from_utf8(bytes)
        .map_err(|e| pyo3::exceptions::PyUnicodeDecodeError::new_err(e.to_string()))
}

/// Streams the records to a file; returns the writer's report.
pub(crate) fn to_file(
    py: Python<'_>,
    records: &[Record],
    path: &Path,
    format: OutputFormat,
) -> PyResult<Report> {
    py.detach(|| -> phrkit::Result<Report> {
        let file = std::fs::File::create(path)?;
        let mut w = FhirWriter::new(BufWriter::new(file), WriteOptions::new(format));
        for r in records {
            w.write(r)?;
        }
        Ok(w.finish()?.0)
    })
    .map_err(|e| error::to_py(py, e))
}
