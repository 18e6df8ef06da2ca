//! The exception hierarchy: one Python class per core `ErrorKind`, each with `.code` and `.location`.
//!
//! Python callers catch by class (`except phrkit.FormatError`) or by `.code`; messages come from the core
//! and never contain input values. OS-level failures stay Python's own `OSError` subclasses
//! (`FileNotFoundError`, …) because that is what Python code already catches for files.

use phrkit::{Error, ErrorKind, Location};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    phrkit,
    PhrError,
    PyException,
    "Base of every phrkit error; `.code` is a stable machine code, `.location` where in the input (or None)."
);
create_exception!(
    phrkit,
    FormatError,
    PhrError,
    "The input is not valid in its format, or its format is unknown."
);
create_exception!(
    phrkit,
    LimitExceeded,
    PhrError,
    "An input limit (depth, document size, …) was exceeded."
);
create_exception!(
    phrkit,
    InvalidRecordError,
    PhrError,
    "A record broke an invariant (strict mode)."
);
create_exception!(
    phrkit,
    ConsentDenied,
    PhrError,
    "Export refused: no consent permits it."
);
create_exception!(
    phrkit,
    PseudonymKeyError,
    PhrError,
    "A pseudonymisation key problem (never carries key material)."
);
create_exception!(
    phrkit,
    ConfigError,
    PhrError,
    "A configuration (mapping, rules, consent) is invalid."
);
create_exception!(
    phrkit,
    ApiMisuseError,
    PhrError,
    "The API was called in a way it does not allow."
);

/// Registers the exception classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PhrError", py.get_type::<PhrError>())?;
    m.add("FormatError", py.get_type::<FormatError>())?;
    m.add("LimitExceeded", py.get_type::<LimitExceeded>())?;
    m.add("InvalidRecordError", py.get_type::<InvalidRecordError>())?;
    m.add("ConsentDenied", py.get_type::<ConsentDenied>())?;
    m.add("PseudonymKeyError", py.get_type::<PseudonymKeyError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ApiMisuseError", py.get_type::<ApiMisuseError>())?;
    Ok(())
}

/// The NDJSON line of a location, when it has one (handy for `df.iloc[line-1]`-style debugging).
fn line_of(location: &Location) -> Option<u64> {
    match location {
        Location::LineColumn { line, .. } => Some(*line),
        Location::JsonPointer { line, .. } | Location::XmlPath { line, .. } => *line,
        Location::CsvRow { row, .. } => Some(*row),
        Location::ZipEntry { inner, .. } => line_of(inner),
        _ => None,
    }
}

/// Converts a core error into the matching Python exception with `.code` (the core's
/// `ErrorKind::code()`), `.location`, `.line`, and `.limit` (the limit's name, for `LimitExceeded`).
pub(crate) fn to_py(py: Python<'_>, err: Error) -> PyErr {
    let message = err.to_string();
    let location = err.location().cloned();
    let code = err.kind().code();
    let mut limit = None;
    let pyerr = match err.into_kind() {
        ErrorKind::Io(e) => return PyErr::from(e),
        ErrorKind::Format { .. } | ErrorKind::UnknownFormat(_) => FormatError::new_err(message),
        ErrorKind::LimitExceeded { limit: l, .. } => {
            limit = Some(format!("{l:?}"));
            LimitExceeded::new_err(message)
        }
        ErrorKind::InvalidRecord { .. } => InvalidRecordError::new_err(message),
        ErrorKind::ConsentDenied(_) => ConsentDenied::new_err(message),
        ErrorKind::Key(_) => PseudonymKeyError::new_err(message),
        ErrorKind::Config { .. } => ConfigError::new_err(message),
        ErrorKind::ApiMisuse(_) => ApiMisuseError::new_err(message),
        // Kinds added to the core later surface as the base class (with the core's code) until bound here.
        _ => PhrError::new_err(message),
    };
    let pyerr = with_attrs(py, pyerr, code, location.as_ref());
    if let Some(l) = limit {
        if let Err(e) = pyerr.value(py).setattr("limit", l) {
            return e;
        }
    }
    pyerr
}

/// An `ApiMisuseError` raised by the binding itself (bad argument values).
pub(crate) fn misuse(py: Python<'_>, message: impl Into<String>) -> PyErr {
    with_attrs(
        py,
        ApiMisuseError::new_err(message.into()),
        "api-misuse",
        None,
    )
}

fn with_attrs(py: Python<'_>, err: PyErr, code: &str, location: Option<&Location>) -> PyErr {
    let value = err.value(py);
    let set = || -> PyResult<()> {
        value.setattr("code", code)?;
        let shown = location.filter(|l| **l != Location::None);
        value.setattr("location", shown.map(ToString::to_string))?;
        value.setattr("line", shown.and_then(line_of))?;
        value.setattr("limit", None::<String>)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}
