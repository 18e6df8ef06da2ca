//! The core `Report` as a read-only Python object that also reads like a dict (`report["converted"]`).

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// What happened during a read or write: counts, skipped items by reason, issues.
#[pyclass(module = "phrkit", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Report {
    pub(crate) inner: phrkit::Report,
}

const KEYS: [&str; 8] = [
    "items_read",
    "converted",
    "skipped",
    "ignored_elements",
    "by_type",
    "duplicates",
    "issues",
    "issues_dropped",
];

#[pymethods]
impl Report {
    /// Input items seen (resources, rows, …), whatever became of them.
    #[getter]
    fn items_read(&self) -> u64 {
        self.inner.items_read
    }
    /// Records produced (resources written, for a write).
    #[getter]
    fn converted(&self) -> u64 {
        self.inner.converted
    }
    /// Items not converted, by reason code.
    #[getter]
    fn skipped(&self) -> std::collections::BTreeMap<String, u64> {
        self.inner.skipped.clone()
    }
    /// Input elements phrkit does not model and ignored, by path.
    #[getter]
    fn ignored_elements(&self) -> std::collections::BTreeMap<String, u64> {
        self.inner.ignored_elements.clone()
    }
    /// Records produced, by record type.
    #[getter]
    fn by_type(&self) -> std::collections::BTreeMap<String, u64> {
        self.inner.by_type.clone()
    }
    /// Records per type that overlap a record of the same kind from another source (filled by
    /// `Dataset.dedup`; empty for a plain read). Counted whether or not the strategy dropped them.
    #[getter]
    fn duplicates(&self) -> std::collections::BTreeMap<String, u64> {
        self.inner.duplicates.clone()
    }
    /// Issues kept (the first 1000), each a dict with `severity`, `code`, `location`, `message`.
    #[getter]
    fn issues<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for i in &self.inner.issues {
            let d = PyDict::new(py);
            d.set_item("severity", i.severity.as_str())?;
            d.set_item("code", &i.code)?;
            d.set_item("location", i.location.to_string())?;
            d.set_item("message", &i.message)?;
            list.append(d)?;
        }
        Ok(list)
    }
    /// Issues not kept because of the cap.
    #[getter]
    fn issues_dropped(&self) -> u64 {
        self.inner.issues_dropped
    }
    /// Total skipped items.
    #[getter]
    fn skipped_total(&self) -> u64 {
        self.inner.skipped_total()
    }
    /// Whether every item read is accounted for (`items_read == converted + skipped_total`).
    fn is_balanced(&self) -> bool {
        self.inner.is_balanced()
    }
    /// The report as a plain dict (JSON-serialisable).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("items_read", self.inner.items_read)?;
        d.set_item("converted", self.inner.converted)?;
        d.set_item("skipped", self.skipped())?;
        d.set_item("ignored_elements", self.ignored_elements())?;
        d.set_item("by_type", self.by_type())?;
        d.set_item("duplicates", self.duplicates())?;
        d.set_item("issues", self.issues(py)?)?;
        d.set_item("issues_dropped", self.inner.issues_dropped)?;
        Ok(d)
    }
    /// Field names, so `dict(report)`-style code works.
    fn keys(&self) -> Vec<&'static str> {
        KEYS.to_vec()
    }
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        if !KEYS.contains(&key) {
            return Err(PyKeyError::new_err(key.to_owned()));
        }
        self.to_dict(py)?.as_any().get_item(key)
    }
    fn __repr__(&self) -> String {
        format!(
            "Report(items_read={}, converted={}, skipped={:?}, issues={})",
            self.inner.items_read,
            self.inner.converted,
            self.inner.skipped,
            self.inner.issues.len() as u64 + self.inner.issues_dropped
        )
    }
}
