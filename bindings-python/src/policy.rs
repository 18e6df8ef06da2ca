//! `phrkit::policy` for Python: consent (FHIR Consent in and out, decisions, consented export) and
//! pseudonymisation (keys, pseudonymisers, anonymisation). Conversions only; every rule is the core's.
//!
//! Keys never cross into Python: `PseudonymKey` holds the core key (no `Debug`, wiped on drop) and shows
//! only its public key id; it cannot be pickled (pyo3 classes have no pickle support unless given one).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use phrkit::fhir::consent::{parse_consent, write_consent};
use phrkit::policy::consent::{self as core_consent, ConsentSet, Recipient};
use phrkit::policy::enforce::{ConsentMode, ExportContext};
use phrkit::policy::pseudonymise::{
    self as ps, AnonymiseOptions, ChangeReport, Profile, PseudonymiseOptions, QuasiIdentifier,
    RuleSet,
};
use phrkit::record::{Coding, Timestamp};
use phrkit::write::export::ConsentedWriter;
use phrkit::write::WriteOptions;
use phrkit::Record;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::dataset::Dataset;
use crate::report::Report;
use crate::{error, record, write};

/// Built-in profile names (the core's `Profile::name`), for error messages.
const PROFILES: [Profile; 2] = [Profile::Pseudonymised, Profile::Anonymised];

/// Quasi-identifiers by the core's `QuasiIdentifier::name` (the core has no `from_name`/`ALL` yet).
const QUASI_IDENTIFIERS: [QuasiIdentifier; 3] = [
    QuasiIdentifier::AgeBand,
    QuasiIdentifier::Sex,
    QuasiIdentifier::Prefecture,
];

/// `at=None` means now, in UTC (the chrono build here has no clock; Python's is used).
fn at_or_now(py: Python<'_>, at: Option<Timestamp>) -> PyResult<Timestamp> {
    if let Some(t) = at {
        return Ok(t);
    }
    let dt = py.import("datetime")?;
    let utc = dt.getattr("timezone")?.getattr("utc")?;
    dt.getattr("datetime")?
        .call_method1("now", (utc,))?
        .extract()
}

/// `reference_date=None` means today (UTC), the core's "usually the export date".
fn date_or_today(py: Python<'_>, d: Option<NaiveDate>) -> PyResult<NaiveDate> {
    match d {
        Some(d) => Ok(d),
        None => Ok(at_or_now(py, None)?.date_naive()),
    }
}

/// A purpose of use as `(system, code)`.
fn purpose_coding(purpose: (String, String)) -> Coding {
    Coding::new(purpose.0, purpose.1)
}

/// A change report as a plain dict (through the core's JSON form, so keys match the CLI's report).
fn change_report_dict<'py>(py: Python<'py>, r: &ChangeReport) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (r.to_json(),))
}

// ---------------------------------------------------------------- consent

/// One FHIR Consent (JP_Consent) as the core models it. Build it with `ConsentPolicy.from_fhir(...)`.
#[pyclass(module = "phrkit", frozen)]
#[derive(Clone)]
pub struct ConsentPolicy {
    inner: core_consent::ConsentPolicy,
}

/// The outcome of one consent decision.
#[pyclass(module = "phrkit", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Decision {
    permit: bool,
    rule: String,
    reason: &'static str,
}

#[pymethods]
impl Decision {
    /// Whether the record may be disclosed.
    #[getter]
    fn permit(&self) -> bool {
        self.permit
    }
    /// The rule that decided (`Consent/c1#provision.provision[0]`, `Consent/c1#status`, `no-consent`).
    #[getter]
    fn rule(&self) -> &str {
        &self.rule
    }
    /// Why, as a stable code (`permitted`, `denied-by-provision`, `consent-not-active`, …).
    #[getter]
    fn reason(&self) -> &'static str {
        self.reason
    }
    fn __bool__(&self) -> bool {
        self.permit
    }
    fn __repr__(&self) -> String {
        format!(
            "Decision(permit={}, rule={:?}, reason={:?})",
            if self.permit { "True" } else { "False" },
            self.rule,
            self.reason
        )
    }
}

#[pymethods]
impl ConsentPolicy {
    /// Parses a FHIR R4 Consent (JSON text or bytes). Errors are `FormatError` / `LimitExceeded` with a
    /// JSON-pointer `.location` and no values from the input.
    #[staticmethod]
    fn from_fhir(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<ConsentPolicy> {
        let bytes: Vec<u8> = if let Ok(s) = data.cast::<PyString>() {
            s.to_cow()?.as_bytes().to_vec()
        } else if let Ok(b) = data.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "ConsentPolicy.from_fhir takes FHIR JSON as str or bytes",
            ));
        };
        let inner = py
            .detach(|| parse_consent(&bytes))
            .map_err(|e| error::to_py(py, e))?;
        Ok(ConsentPolicy { inner })
    }

    /// The consent as FHIR R4 JSON (JP_Consent profile).
    fn to_fhir(&self) -> PyResult<String> {
        write::utf8(write_consent(&self.inner))
    }

    /// The Consent's resource id, if it has one (rules are named after it).
    #[getter]
    fn id(&self) -> Option<String> {
        self.inner.id.clone()
    }

    /// FHIR status code (`active`, `inactive`, …).
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.code()
    }

    /// Decides whether `record` may be disclosed to `recipient` (a reference such as
    /// `"Organization/research-partner"`) for `purpose` (`(system, code)`) at `at` (aware datetime;
    /// default now).
    #[pyo3(signature = (record, recipient, purpose, at=None))]
    fn decide(
        &self,
        py: Python<'_>,
        record: &Bound<'_, PyAny>,
        recipient: &str,
        purpose: (String, String),
        at: Option<Timestamp>,
    ) -> PyResult<Decision> {
        let record = record::from_py(record)?;
        let at = at_or_now(py, at)?;
        let d = core_consent::decide(
            &self.inner,
            &record,
            &Recipient::to(recipient),
            &purpose_coding(purpose),
            at,
        );
        Ok(Decision {
            permit: d.permit,
            rule: d.rule,
            reason: d.reason.code(),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "ConsentPolicy(id={:?}, status={:?})",
            self.inner.id.as_deref().unwrap_or(""),
            self.inner.status.code()
        )
    }
}

/// What a consented export wrote and left out.
#[pyclass(module = "phrkit", frozen)]
pub struct ConsentedExport {
    text: String,
    consent_report: phrkit::Report,
    write_report: phrkit::Report,
    permitted: std::collections::BTreeMap<String, u64>,
    denied: std::collections::BTreeMap<String, u64>,
    audit_event: String,
    provenance_id: String,
}

#[pymethods]
impl ConsentedExport {
    /// The FHIR output (Bundle JSON or NDJSON), ending with the Consent(s) used and a Provenance.
    #[getter]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
    /// The consent account: records read = permitted + skipped (`consent-denied:<rule>`).
    #[getter]
    fn report(&self) -> Report {
        Report {
            inner: self.consent_report.clone(),
        }
    }
    /// The writer's account: resources written by type.
    #[getter]
    fn write_report(&self) -> Report {
        Report {
            inner: self.write_report.clone(),
        }
    }
    /// Records permitted, by record type.
    #[getter]
    fn permitted(&self) -> std::collections::BTreeMap<String, u64> {
        self.permitted.clone()
    }
    /// Records denied, by `consent-denied:<rule>`.
    #[getter]
    fn denied(&self) -> std::collections::BTreeMap<String, u64> {
        self.denied.clone()
    }
    /// The AuditEvent (FHIR R4 JSON text) for the caller's audit log; not part of `text`.
    #[getter]
    fn audit_event(&self) -> &str {
        &self.audit_event
    }
    /// Id of the Provenance at the end of `text`.
    #[getter]
    fn provenance_id(&self) -> &str {
        &self.provenance_id
    }
    fn __str__(&self) -> &str {
        &self.text
    }
    fn __repr__(&self) -> String {
        format!(
            "ConsentedExport(chars={}, permitted={}, denied={})",
            self.text.len(),
            self.permitted.values().sum::<u64>(),
            self.denied.values().sum::<u64>()
        )
    }
}

/// The arguments of a consented export, as given from Python.
pub(crate) struct ExportArgs {
    pub consents: Vec<ConsentPolicy>,
    pub recipient: String,
    pub purpose: (String, String),
    pub at: Option<Timestamp>,
    pub format: String,
    pub danger_local_no_consent: bool,
}

/// Runs the core's consented export over a dataset, GIL released.
pub(crate) fn export(
    py: Python<'_>,
    ds: &Dataset,
    args: ExportArgs,
    mut pseudonymiser: Option<PyRefMut<'_, Pseudonymiser>>,
) -> PyResult<ConsentedExport> {
    let format = write::parse_output(py, &args.format)?;
    let mut ctx = ExportContext::new(
        ConsentSet::new(args.consents.into_iter().map(|c| c.inner).collect()),
        Recipient::to(&args.recipient),
        purpose_coding(args.purpose),
        at_or_now(py, args.at)?,
    );
    if args.danger_local_no_consent {
        ctx.mode = ConsentMode::DangerLocalNoConsent;
    }
    let mut p = pseudonymiser.as_mut().map(|p| &mut p.inner);
    let (records, labels) = (&ds.records, ds.labels());
    let (summary, bytes) = py
        .detach(|| {
            let mut w = ConsentedWriter::new(Vec::new(), WriteOptions::new(format), &ctx)?;
            for (i, r) in records.iter().enumerate() {
                match p.as_deref_mut() {
                    Some(p) => w.write_pseudonymised(r.clone(), p)?,
                    None => {
                        if let Some(l) = labels.and_then(|l| l.get(i)) {
                            w.inner_mut().set_security_labels(l);
                        }
                        w.write(r)?
                    }
                }
            }
            w.finish()
        })
        .map_err(|e| error::to_py(py, e))?;
    Ok(ConsentedExport {
        text: write::utf8(bytes)?,
        consent_report: summary.consent_report,
        write_report: summary.write_report,
        permitted: summary.tally.permitted,
        denied: summary.tally.denied,
        audit_event: summary.audit_event.to_string(),
        provenance_id: summary.provenance_id,
    })
}

/// Exports a dataset to a third party under consent: denied records are left out and counted by rule,
/// the output ends with the Consent(s) used and a Provenance. With no consent the export raises
/// `ConsentDenied`, unless `danger_local_no_consent=True` (only for the data subject's own use).
/// A `pseudonymiser` pseudonymises what the consents let through.
#[pyfunction]
#[pyo3(signature = (dataset, consents, recipient, purpose, at=None, bundle_type="collection",
    danger_local_no_consent=false, pseudonymiser=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn export_with_consent(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    consents: Vec<ConsentPolicy>,
    recipient: String,
    purpose: (String, String),
    at: Option<Timestamp>,
    bundle_type: &str,
    danger_local_no_consent: bool,
    pseudonymiser: Option<PyRefMut<'_, Pseudonymiser>>,
) -> PyResult<ConsentedExport> {
    let args = ExportArgs {
        consents,
        recipient,
        purpose,
        at,
        format: bundle_type.to_owned(),
        danger_local_no_consent,
    };
    export(py, &dataset, args, pseudonymiser)
}

// ---------------------------------------------------------------- pseudonymisation

/// A pseudonymisation key (削除情報等: keep it apart from the data). Load it with `from_file` /
/// `from_env`; only its public `key_id` is ever shown.
#[pyclass(module = "phrkit", frozen)]
pub struct PseudonymKey {
    inner: Arc<ps::PseudonymKey>,
}

fn key_result(py: Python<'_>, r: phrkit::Result<ps::PseudonymKey>) -> PyResult<PseudonymKey> {
    r.map(|k| PseudonymKey { inner: Arc::new(k) })
        .map_err(|e| error::to_py(py, e))
}

#[pymethods]
impl PseudonymKey {
    /// A key from a file (64+ hex digits, or at least 32 raw bytes). Errors never show the content.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<PseudonymKey> {
        key_result(py, py.detach(|| ps::PseudonymKey::from_file(&path)))
    }
    /// A key from an environment variable (hex or text, at least 32 bytes).
    #[staticmethod]
    fn from_env(py: Python<'_>, name: &str) -> PyResult<PseudonymKey> {
        key_result(py, ps::PseudonymKey::from_env(name))
    }
    /// A fresh random key (for one-off, unlinkable deliveries; it is gone when the object is).
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<PseudonymKey> {
        key_result(py, ps::PseudonymKey::generate())
    }
    /// Public name of the key (a truncated hash; safe to store next to the data).
    #[getter]
    fn key_id(&self) -> String {
        self.inner.key_id()
    }
    fn __repr__(&self) -> String {
        format!("PseudonymKey(key_id={:?})", self.inner.key_id())
    }
}

/// Applies a built-in profile (`"pseudonymised"`, `"anonymised"`) or a rule file (TOML/JSON path)
/// under a key. Stateful: its `report()` accumulates over every dataset it processed. While it works it
/// is borrowed mutably, so using one instance from two threads at once raises `RuntimeError`; give each
/// thread its own (same key, same pseudonyms).
#[pyclass(module = "phrkit")]
pub struct Pseudonymiser {
    inner: ps::Pseudonymiser,
    profile: String,
    key_id: String,
}

/// A built-in profile name, or a rule file path.
enum ProfileArg {
    Builtin(Profile),
    Rules(PathBuf),
}

fn profile_arg(py: Python<'_>, profile: &Bound<'_, PyAny>) -> PyResult<ProfileArg> {
    if let Ok(s) = profile.cast::<PyString>() {
        let name = s.to_cow()?;
        if let Some(p) = Profile::from_name(&name) {
            return Ok(ProfileArg::Builtin(p));
        }
        // Only something that looks like a file is read as one: a mistyped profile name should say so.
        if !(name.ends_with(".toml") || name.ends_with(".json") || name.contains('/')) {
            let known: Vec<&str> = PROFILES.iter().map(|p| p.name()).collect();
            return Err(error::misuse(
                py,
                format!(
                    "unknown profile {name:?}; known: {}, or the path of a .toml/.json rule file",
                    known.join(", ")
                ),
            ));
        }
        return Ok(ProfileArg::Rules(PathBuf::from(name.into_owned())));
    }
    Ok(ProfileArg::Rules(profile.extract::<PathBuf>()?))
}

impl Pseudonymiser {
    pub(crate) fn build(
        py: Python<'_>,
        key: &PseudonymKey,
        profile: &Bound<'_, PyAny>,
        opts: PseudonymiseOptions,
    ) -> PyResult<Pseudonymiser> {
        let arg = profile_arg(py, profile)?;
        let key_id = key.inner.key_id();
        let (inner, name) = py
            .detach(|| match arg {
                ProfileArg::Builtin(p) => {
                    ps::Pseudonymiser::new(&key.inner, p, opts).map(|x| (x, p.name().to_owned()))
                }
                ProfileArg::Rules(path) => {
                    let rules = RuleSet::from_path(&path)?;
                    ps::Pseudonymiser::with_rules(&key.inner, rules, opts)
                        .map(|x| (x, path.display().to_string()))
                }
            })
            .map_err(|e| error::to_py(py, e))?;
        Ok(Pseudonymiser {
            inner,
            profile: name,
            key_id,
        })
    }

    /// Applies to every record of a dataset (GIL released); records that could not be rebuilt are
    /// counted in the change report's `failed`, as in the core.
    pub(crate) fn run(&mut self, py: Python<'_>, ds: &Dataset) -> PyResult<Dataset> {
        let inner = &mut self.inner;
        let records = &ds.records;
        let items = py
            .detach(|| -> phrkit::Result<Vec<ps::Labelled>> {
                let mut out = Vec::with_capacity(records.len());
                for r in records {
                    if let Some(l) = inner.apply(r.clone())? {
                        out.push(l);
                    }
                }
                Ok(out)
            })
            .map_err(|e| error::to_py(py, e))?;
        Ok(Dataset::from_labelled(items, ds.report.clone()))
    }
}

/// Field options from the keyword arguments (the core's defaults otherwise).
pub(crate) fn field_options(
    py: Python<'_>,
    reference_date: Option<NaiveDate>,
    context: &str,
    date_shift: Option<bool>,
) -> PyResult<PseudonymiseOptions> {
    let mut o = PseudonymiseOptions::new(date_or_today(py, reference_date)?);
    context.clone_into(&mut o.context);
    if let Some(d) = date_shift {
        o.date_shift = d;
    }
    Ok(o)
}

#[pymethods]
impl Pseudonymiser {
    /// `profile` is `"pseudonymised"` (仮名加工), `"anonymised"` (field rules only; prefer
    /// `Dataset.anonymise`) or the path of a rule file. `reference_date` (age bands) defaults to today;
    /// `context` separates deliveries (different pseudonyms per recipient under one key).
    #[new]
    #[pyo3(signature = (key, profile=None, *, reference_date=None, context="", date_shift=None))]
    fn new(
        py: Python<'_>,
        key: PyRef<'_, PseudonymKey>,
        profile: Option<&Bound<'_, PyAny>>,
        reference_date: Option<NaiveDate>,
        context: &str,
        date_shift: Option<bool>,
    ) -> PyResult<Pseudonymiser> {
        let opts = field_options(py, reference_date, context, date_shift)?;
        let default = PyString::new(py, Profile::Pseudonymised.name());
        let profile = profile.unwrap_or(default.as_any());
        Pseudonymiser::build(py, &key, profile, opts)
    }

    /// Profile name, or the rule file's path.
    #[getter]
    fn profile(&self) -> &str {
        &self.profile
    }
    /// The key's public id.
    #[getter]
    fn key_id(&self) -> &str {
        &self.key_id
    }
    /// The change report so far (fields changed by method, labels, failures) as a dict.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        change_report_dict(py, &self.inner.report())
    }
    fn __repr__(&self) -> String {
        format!(
            "Pseudonymiser(profile={:?}, key_id={:?})",
            self.profile, self.key_id
        )
    }
}

/// `Dataset.pseudonymise`: with a key, a fresh pseudonymiser for `profile`; with a pseudonymiser, that one.
pub(crate) fn pseudonymise<'py>(
    py: Python<'py>,
    ds: &Dataset,
    key_or_pseudonymiser: &Bound<'py, PyAny>,
    profile: Option<&Bound<'py, PyAny>>,
    opts: PseudonymiseOptions,
) -> PyResult<(Dataset, Bound<'py, PyAny>)> {
    if let Ok(p) = key_or_pseudonymiser.cast::<Pseudonymiser>() {
        if profile.is_some() {
            return Err(error::misuse(
                py,
                "profile= applies to a key; a Pseudonymiser already has its profile",
            ));
        }
        let mut p = p.borrow_mut();
        let out = p.run(py, ds)?;
        return Ok((out, change_report_dict(py, &p.inner.report())?));
    }
    let Ok(key) = key_or_pseudonymiser.cast::<PseudonymKey>() else {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "pseudonymise takes a PseudonymKey or a Pseudonymiser",
        ));
    };
    let default = PyString::new(py, Profile::Pseudonymised.name());
    let profile = profile.unwrap_or(default.as_any());
    let mut p = Pseudonymiser::build(py, key.get(), profile, opts)?;
    let out = p.run(py, ds)?;
    Ok((out, change_report_dict(py, &p.inner.report())?))
}

/// `Dataset.anonymise`: 匿名加工 over the whole dataset (throw-away key, outlier coding, k-anonymity).
#[allow(clippy::too_many_arguments)]
pub(crate) fn anonymise<'py>(
    py: Python<'py>,
    ds: &Dataset,
    k: usize,
    quasi_identifiers: Option<Vec<String>>,
    outlier_fraction: Option<f64>,
    max_suppressed_fraction: Option<f64>,
    fields: PseudonymiseOptions,
) -> PyResult<(Dataset, Bound<'py, PyAny>)> {
    let mut o = AnonymiseOptions::new(fields);
    o.k = k;
    if let Some(names) = quasi_identifiers {
        o.quasi_identifiers = names
            .iter()
            .map(|n| {
                QUASI_IDENTIFIERS
                    .into_iter()
                    .find(|q| q.name() == n)
                    .ok_or_else(|| {
                        let known: Vec<&str> = QUASI_IDENTIFIERS.iter().map(|q| q.name()).collect();
                        error::misuse(
                            py,
                            format!(
                                "unknown quasi-identifier {n:?}; known: {}",
                                known.join(", ")
                            ),
                        )
                    })
            })
            .collect::<PyResult<_>>()?;
    }
    if let Some(f) = outlier_fraction {
        o.outlier_fraction = f;
    }
    if let Some(f) = max_suppressed_fraction {
        o.max_suppressed_fraction = f;
    }
    let records: Vec<Record> = ds.records.clone();
    let (items, report) = py
        .detach(|| ps::anonymise(records, &o))
        .map_err(|e| error::to_py(py, e))?;
    let out = Dataset::from_labelled(items, ds.report.clone());
    Ok((out, change_report_dict(py, &report)?))
}

/// Registers the policy classes and functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ConsentPolicy>()?;
    m.add_class::<Decision>()?;
    m.add_class::<ConsentedExport>()?;
    m.add_class::<PseudonymKey>()?;
    m.add_class::<Pseudonymiser>()?;
    m.add_function(wrap_pyfunction!(export_with_consent, m)?)?;
    Ok(())
}
