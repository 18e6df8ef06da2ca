//! `Dataset`: the records of one read plus its report, with the conversions a data scientist needs
//! (FHIR text, Arrow/pandas/polars tables) and two small conveniences (`filter`, `describe`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDate;

use phrkit::policy::pseudonymise::Labelled;
use phrkit::record::{Coding, Effective, Timestamp};
use phrkit::{Record, Report as CoreReport};
use pyo3::exceptions::{PyImportError, PyIndexError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::arrow::{self, ArrowTable};
use crate::report::Report;
use crate::{dedup, error, policy, record, write};

/// Records read from one input, in input order, with the account of the read (`.report`).
///
/// Iterating yields `Measurement` and `Subject` objects (record types not bound yet yield
/// `{"type": name}`). Two datasets are equal when their records are equal; reports are not compared.
#[pyclass(module = "phrkit", frozen, sequence)]
pub struct Dataset {
    pub(crate) records: Vec<Record>,
    pub(crate) report: CoreReport,
    /// Security labels per record (`PSEUDED`, `ANONYED` …) after `pseudonymise` / `anonymise`; written to
    /// each resource's `meta.security`. None for data as read.
    pub(crate) labels: Option<Vec<Vec<Coding>>>,
}

impl Dataset {
    pub(crate) fn new(records: Vec<Record>, report: CoreReport) -> Dataset {
        Dataset {
            records,
            report,
            labels: None,
        }
    }

    /// A dataset of processed records with their security labels.
    pub(crate) fn from_labelled(items: Vec<Labelled>, report: CoreReport) -> Dataset {
        let (records, labels) = items.into_iter().map(|l| (l.record, l.labels)).unzip();
        Dataset {
            records,
            report,
            labels: Some(labels),
        }
    }

    pub(crate) fn labels(&self) -> Option<&[Vec<Coding>]> {
        self.labels.as_deref()
    }
}

/// Iterator over a dataset's records.
#[pyclass(module = "phrkit")]
pub struct DatasetIter {
    dataset: Py<Dataset>,
    next: usize,
}

#[pymethods]
impl DatasetIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(r) = self.dataset.get().records.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        record::to_py(py, r).map(Some)
    }
}

/// A time bound of `filter`: must be timezone-aware, or the comparison would silently guess a zone.
fn bound(
    py: Python<'_>,
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Timestamp>> {
    let Some(v) = value else { return Ok(None) };
    v.extract::<Timestamp>().map(Some).map_err(|_| {
        error::misuse(
            py,
            format!("{name} must be a timezone-aware datetime.datetime"),
        )
    })
}

fn type_names(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<BTreeSet<String>>> {
    let Some(v) = value else { return Ok(None) };
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(BTreeSet::from([s.to_cow()?.into_owned()])));
    }
    Ok(Some(v.extract::<Vec<String>>()?.into_iter().collect()))
}

/// Whether a record lies in `[start, end)`. Date-only records compare by calendar date in the bound's
/// offset; records without a time (subjects, unbound types) are always inside.
fn in_range(r: &Record, start: Option<&Timestamp>, end: Option<&Timestamp>) -> bool {
    let Record::Measurement(m) = r else {
        return true;
    };
    match m.effective() {
        Effective::Date(d) => {
            start.is_none_or(|s| *d >= s.date_naive()) && end.is_none_or(|e| *d < e.date_naive())
        }
        e => match e.start() {
            Some(t) => start.is_none_or(|s| t >= s) && end.is_none_or(|en| t < en),
            None => true,
        },
    }
}

fn import_optional<'py>(
    py: Python<'py>,
    module: &str,
    method: &str,
    extra: &str,
) -> PyResult<Bound<'py, PyModule>> {
    py.import(module).map_err(|cause| {
        if !cause.is_instance_of::<PyImportError>(py) {
            return cause;
        }
        let err = PyImportError::new_err(format!(
            "Dataset.{method}() needs the optional package '{module}': pip install {module} \
             (or pip install 'phrkit[{extra}]')"
        ));
        err.set_cause(py, Some(cause));
        err
    })
}

#[pymethods]
impl Dataset {
    fn __len__(&self) -> usize {
        self.records.len()
    }
    fn __iter__(slf: Bound<'_, Self>) -> DatasetIter {
        DatasetIter {
            dataset: slf.unbind(),
            next: 0,
        }
    }
    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<PyAny>> {
        let n = self.records.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(PyIndexError::new_err("Dataset index out of range"));
        }
        record::to_py(py, &self.records[i as usize])
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Dataset>()
            .is_ok_and(|o| o.get().records == self.records)
    }
    fn __repr__(&self) -> String {
        format!(
            "Dataset(records={}, by_type={:?})",
            self.records.len(),
            self.by_type()
        )
    }

    /// The account of the read: items read, converted, skipped by reason, issues.
    #[getter]
    fn report(&self) -> Report {
        Report {
            inner: self.report.clone(),
        }
    }

    /// Records by type name (`subject`, `stepCount`, …).
    fn by_type(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for r in &self.records {
            *counts.entry(r.type_name().into_owned()).or_insert(0) += 1;
        }
        counts
    }

    /// A new dataset with the records of the given type name(s) whose start lies in `[start, end)`.
    ///
    /// Subject records are kept by default (`keep_subjects=True`), so every remaining measurement stays
    /// linked to its person; with `keep_subjects=False` they stay only if `type` names `"subject"`.
    #[pyo3(signature = (r#type=None, start=None, end=None, keep_subjects=true))]
    #[pyo3(text_signature = "(self, type=None, start=None, end=None, keep_subjects=True)")]
    fn filter(
        &self,
        py: Python<'_>,
        r#type: Option<&Bound<'_, PyAny>>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        keep_subjects: bool,
    ) -> PyResult<Dataset> {
        let types = type_names(r#type)?;
        let (start, end) = (bound(py, "start", start)?, bound(py, "end", end)?);
        let keep: Vec<usize> = self
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let name = r.type_name();
                let subject_context = keep_subjects && matches!(r, Record::Subject(_));
                let type_ok = types.as_ref().is_none_or(|t| t.contains(name.as_ref()));
                (type_ok || subject_context) && in_range(r, start.as_ref(), end.as_ref())
            })
            .map(|(i, _)| i)
            .collect();
        Ok(Dataset {
            records: keep.iter().map(|i| self.records[*i].clone()).collect(),
            report: self.report.clone(),
            labels: self
                .labels
                .as_ref()
                .map(|l| keep.iter().map(|i| l[*i].clone()).collect()),
        })
    }

    /// A new dataset without the duplicates `strategy` drops; `report.duplicates` counts, per type, the
    /// records another source also wrote for the same time (every strategy counts them).
    ///
    /// Strategies (named as the CLI's `--dedup`): `keep-all` drops nothing; `source-priority` keeps, where
    /// sources overlap, the one ranked highest in `priority` (patterns, highest first: contained in the
    /// source name or equal to its device name / model, ignoring case); `hc-priority` follows the app
    /// priority stored in the Health Connect export `health_connect` (path or bytes); `max-per-bucket`
    /// keeps per `bucket_minutes` bucket the source with the largest total of steps, distance, energy or
    /// flights. Dropped records move from `converted` to `skipped`, so `report.is_balanced()` still holds.
    #[pyo3(signature = (strategy="keep-all", *, priority=None, bucket_minutes=60, health_connect=None))]
    fn dedup(
        &self,
        py: Python<'_>,
        strategy: &str,
        priority: Option<Vec<String>>,
        bucket_minutes: i64,
        health_connect: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Dataset> {
        let args = dedup::DedupArgs {
            strategy,
            priority,
            bucket_minutes,
            health_connect,
        };
        dedup::run(py, self, args)
    }

    /// A summary: record count, counts per type, earliest start / latest end, source names, subjects.
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut first: Option<Timestamp> = None;
        let mut last: Option<Timestamp> = None;
        let mut sources = BTreeSet::new();
        let mut subjects = 0u64;
        for r in &self.records {
            match r {
                Record::Subject(_) => subjects += 1,
                Record::Measurement(m) => {
                    let e = m.effective();
                    if let Some(s) = e.start() {
                        first = Some(first.map_or(*s, |f| if *s < f { *s } else { f }));
                    }
                    if let Some(en) = e.end() {
                        last = Some(last.map_or(*en, |l| if *en > l { *en } else { l }));
                    }
                    if let Some(name) = m.source().and_then(|s| s.name.clone()) {
                        sources.insert(name);
                    }
                }
                _ => {}
            }
        }
        let d = PyDict::new(py);
        d.set_item("records", self.records.len())?;
        d.set_item("by_type", self.by_type())?;
        d.set_item("start", first)?;
        d.set_item("end", last)?;
        d.set_item("sources", sources.into_iter().collect::<Vec<_>>())?;
        d.set_item("subjects", subjects)?;
        Ok(d)
    }

    /// FHIR R4 JSON Bundle text; `bundle_type` is `collection` or `transaction`.
    ///
    /// Without `recipient` this is the data subject's own copy. With `recipient` (a reference such as
    /// `"Organization/x"`) and `purpose` (`(system, code)`) it is a disclosure and goes through
    /// `export_with_consent`: only what `consent` permits is written, and with no consent it raises
    /// `ConsentDenied` (unless `danger_local_no_consent=True`). Use `phrkit.export_with_consent` for the
    /// summary (counts by rule, AuditEvent).
    #[pyo3(signature = (bundle_type="collection", *, consent=None, recipient=None, purpose=None,
        at=None, danger_local_no_consent=false))]
    #[allow(clippy::too_many_arguments)]
    fn to_fhir(
        &self,
        py: Python<'_>,
        bundle_type: &str,
        consent: Option<Vec<policy::ConsentPolicy>>,
        recipient: Option<String>,
        purpose: Option<(String, String)>,
        at: Option<Timestamp>,
        danger_local_no_consent: bool,
    ) -> PyResult<String> {
        let format = match bundle_type {
            "collection" | "transaction" => write::parse_output(py, bundle_type)?,
            other => {
                return Err(error::misuse(
                    py,
                    format!("bundle_type must be 'collection' or 'transaction', not {other:?}"),
                ))
            }
        };
        // Any consent argument makes it a disclosure, so a half-specified call fails instead of silently
        // writing everything.
        let disclosure = consent.is_some()
            || recipient.is_some()
            || purpose.is_some()
            || at.is_some()
            || danger_local_no_consent;
        if !disclosure {
            return write::to_string(py, &self.records, self.labels(), format);
        }
        let (Some(recipient), Some(purpose)) = (recipient, purpose) else {
            return Err(error::misuse(
                py,
                "a consented export needs recipient= and purpose=(system, code)",
            ));
        };
        let args = policy::ExportArgs {
            consents: consent.unwrap_or_default(),
            recipient,
            purpose,
            at,
            format: bundle_type.to_owned(),
            danger_local_no_consent,
        };
        Ok(policy::export(py, self, args, None)?.text().to_owned())
    }

    /// Pseudonymised copy (仮名加工) and the change report (dict). Pass a `PseudonymKey` (with
    /// `profile`: `"pseudonymised"` or a rule file path) or a ready `Pseudonymiser`. The copy carries
    /// security labels (`PSEUDED` …) into its FHIR output.
    #[pyo3(signature = (key_or_pseudonymiser, profile=None, *, reference_date=None, context="",
        date_shift=None))]
    fn pseudonymise<'py>(
        &self,
        py: Python<'py>,
        key_or_pseudonymiser: &Bound<'py, PyAny>,
        profile: Option<&Bound<'py, PyAny>>,
        reference_date: Option<NaiveDate>,
        context: &str,
        date_shift: Option<bool>,
    ) -> PyResult<(Dataset, Bound<'py, PyAny>)> {
        let opts = policy::field_options(py, reference_date, context, date_shift)?;
        policy::pseudonymise(py, self, key_or_pseudonymiser, profile, opts)
    }

    /// Anonymised copy (匿名加工: throw-away key, outlier top/bottom coding, k-anonymity over the
    /// quasi-identifiers `ageBand`, `sex`, `prefecture` by default) and the change report (dict, with
    /// `kAnonymity`). Raises `ConfigError` when more than `max_suppressed_fraction` of the subjects
    /// would have to be suppressed.
    #[pyo3(signature = (k=5, quasi_identifiers=None, *, outlier_fraction=None,
        max_suppressed_fraction=None, reference_date=None))]
    fn anonymise<'py>(
        &self,
        py: Python<'py>,
        k: usize,
        quasi_identifiers: Option<Vec<String>>,
        outlier_fraction: Option<f64>,
        max_suppressed_fraction: Option<f64>,
        reference_date: Option<NaiveDate>,
    ) -> PyResult<(Dataset, Bound<'py, PyAny>)> {
        let fields = policy::field_options(py, reference_date, "", None)?;
        policy::anonymise(
            py,
            self,
            k,
            quasi_identifiers,
            outlier_fraction,
            max_suppressed_fraction,
            fields,
        )
    }

    /// Whether the records carry security labels (output of `pseudonymise` / `anonymise`).
    #[getter]
    #[pyo3(name = "labelled")]
    fn is_labelled(&self) -> bool {
        self.labels.is_some()
    }

    /// FHIR NDJSON text (one resource per line).
    fn to_ndjson(&self, py: Python<'_>) -> PyResult<String> {
        write::to_string(
            py,
            &self.records,
            self.labels(),
            phrkit::write::OutputFormat::Ndjson,
        )
    }

    /// Writes FHIR to a file (`ndjson`, `collection` or `transaction`); returns the writer's report.
    #[pyo3(signature = (path, format="ndjson"))]
    fn write(&self, py: Python<'_>, path: PathBuf, format: &str) -> PyResult<Report> {
        let format = write::parse_output(py, format)?;
        let inner = write::to_file(py, &self.records, self.labels(), &path, format)?;
        Ok(Report { inner })
    }

    /// Names of the tables `table()` / `to_arrow()` can build.
    fn tables(&self) -> Vec<&'static str> {
        arrow::tables()
    }

    /// One tidy table as an Arrow PyCapsule object (no Arrow library needed to build it).
    #[pyo3(signature = (name="measurements"))]
    fn table(&self, py: Python<'_>, name: &str) -> PyResult<ArrowTable> {
        let batch = py
            .detach(|| arrow::build(&self.records, name))
            .map_err(|m| error::misuse(py, m))?;
        Ok(ArrowTable {
            name: name.to_owned(),
            batch,
        })
    }

    /// The table as a `pyarrow.Table` (needs pyarrow).
    #[pyo3(signature = (table="measurements"))]
    fn to_arrow<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyAny>> {
        let pa = import_optional(py, "pyarrow", "to_arrow", "arrow")?;
        let t = self.table(py, table)?;
        pa.getattr("table")?.call1((t,))
    }

    /// The table as a `pandas.DataFrame` (needs pandas and pyarrow); times are `datetime64[ns, UTC]`.
    #[pyo3(signature = (table="measurements"))]
    fn to_pandas<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyAny>> {
        import_optional(py, "pandas", "to_pandas", "pandas")?;
        import_optional(py, "pyarrow", "to_pandas", "pandas")?;
        self.to_arrow(py, table)?.call_method0("to_pandas")
    }

    /// The table as a `polars.DataFrame` (needs polars only: it reads the Arrow capsule directly).
    #[pyo3(signature = (table="measurements"))]
    fn to_polars<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyAny>> {
        let pl = import_optional(py, "polars", "to_polars", "polars")?;
        let t = self.table(py, table)?;
        pl.getattr("DataFrame")?.call1((t,))
    }
}
