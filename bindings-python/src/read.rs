//! `phrkit.read` and `phrkit.from_fhir`: open an input with the core reader and drain it with the GIL
//! released, so other Python threads run while Rust parses.

use std::path::PathBuf;

use phrkit::read::mapping::Mapping;
use phrkit::read::{detect_format, open_path, open_slice, Format, ReadOptions, RecordReader};
use phrkit::{Record, Report};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::dataset::Dataset;
use crate::error;

/// Records between two visits to Python (Ctrl-C check, progress bar update).
const CHUNK: usize = 8192;

/// Why a read ended early: the core refused the input, or Python interrupted (Ctrl-C, progress bar error).
enum Fail {
    Core(phrkit::Error),
    Py(PyErr),
}

impl Fail {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Fail::Core(e) => error::to_py(py, e),
            Fail::Py(e) => e,
        }
    }
}

/// Short aliases kept from the first release of the binding; every core name (`Format::ALL`) works too.
const ALIASES: [(&str, Format); 3] = [
    ("json", Format::FhirJson),
    ("bundle", Format::FhirJson),
    ("ndjson", Format::FhirNdjson),
];

/// Parses a `format=` argument: a core format name (`Format::from_name`) or one of the short aliases.
pub(crate) fn parse_format(py: Python<'_>, name: &str) -> PyResult<Format> {
    if let Some(f) = Format::from_name(name) {
        return Ok(f);
    }
    if let Some((_, f)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return Ok(*f);
    }
    let known: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
    Err(error::misuse(
        py,
        format!("unknown format {name:?}; known: {}", known.join(", ")),
    ))
}

/// The input format names the core knows, for `phrkit.formats()`.
#[pyfunction]
pub(crate) fn formats() -> Vec<&'static str> {
    Format::ALL.iter().map(|f| f.name()).collect()
}

/// One visit to Python between chunks: honour Ctrl-C and advance the progress bar.
fn tick(bar: Option<&Py<PyAny>>, n: usize) -> Result<(), Fail> {
    Python::attach(|py| {
        py.check_signals()?;
        if let Some(bar) = bar {
            bar.call_method1(py, "update", (n,))?;
        }
        Ok(())
    })
    .map_err(Fail::Py)
}

/// Drains a reader; runs detached from the interpreter.
fn drain<'a>(
    open: impl FnOnce() -> phrkit::Result<Box<dyn RecordReader + 'a>>,
    bar: Option<&Py<PyAny>>,
) -> Result<(Vec<Record>, Report), Fail> {
    let mut reader = open().map_err(Fail::Core)?;
    let mut records = Vec::new();
    let mut pending = 0;
    while let Some(r) = reader.next_record().map_err(Fail::Core)? {
        records.push(r);
        pending += 1;
        if pending == CHUNK {
            tick(bar, pending)?;
            pending = 0;
        }
    }
    tick(bar, pending)?;
    Ok((records, reader.report().clone()))
}

/// A tqdm bar when asked for and tqdm is installed; None otherwise (progress is optional).
fn progress_bar(py: Python<'_>, progress: bool) -> PyResult<Option<Py<PyAny>>> {
    if !progress {
        return Ok(None);
    }
    let Ok(tqdm) = py.import("tqdm.auto") else {
        return Ok(None);
    };
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("unit", " records")?;
    kwargs.set_item("desc", "phrkit.read")?;
    Ok(Some(
        tqdm.getattr("tqdm")?.call((), Some(&kwargs))?.unbind(),
    ))
}

/// Bytes-like input, borrowed when it is `bytes` (immutable) and copied otherwise.
enum Input<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
    Path(PathBuf),
}

fn input<'py>(source: &Bound<'py, PyAny>) -> PyResult<Input<'py>> {
    if let Ok(b) = source.cast::<PyBytes>() {
        return Ok(Input::Bytes(b.clone()));
    }
    if let Ok(b) = source.cast::<PyByteArray>() {
        return Ok(Input::Owned(b.to_vec()));
    }
    if let Ok(s) = source.cast::<PyString>() {
        return Ok(Input::Path(PathBuf::from(s.to_cow()?.into_owned())));
    }
    Ok(Input::Path(source.extract::<PathBuf>()?))
}

fn run(
    py: Python<'_>,
    input: Input<'_>,
    opts: ReadOptions,
    progress: bool,
    mapping: Option<&Mapping>,
) -> PyResult<Dataset> {
    let bar = progress_bar(py, progress)?;
    let result = match (&input, mapping) {
        (Input::Bytes(b), None) => {
            let bytes = b.as_bytes();
            py.detach(|| drain(|| open_slice(bytes, &opts), bar.as_ref()))
        }
        (Input::Owned(v), None) => py.detach(|| drain(|| open_slice(v, &opts), bar.as_ref())),
        (Input::Path(p), None) => py.detach(|| drain(|| open_path(p, &opts), bar.as_ref())),
        (Input::Bytes(b), Some(m)) => {
            let bytes = b.as_bytes();
            py.detach(|| drain(|| m.open_slice(bytes, &opts), bar.as_ref()))
        }
        (Input::Owned(v), Some(m)) => py.detach(|| drain(|| m.open_slice(v, &opts), bar.as_ref())),
        (Input::Path(p), Some(m)) => py.detach(|| {
            // Bounded like every other whole-document read (Limits::max_document_bytes).
            let file = std::fs::File::open(p).map_err(|e| Fail::Core(e.into()))?;
            let bytes = phrkit::read::read_bounded(file, opts.limits.max_document_bytes)
                .map_err(Fail::Core)?;
            drain(|| m.open_slice(&bytes, &opts), bar.as_ref())
        }),
    };
    if let Some(bar) = &bar {
        bar.call_method0(py, "close")?;
    }
    let (records, report) = result.map_err(|f| f.into_py(py))?;
    Ok(Dataset::new(records, report))
}

/// Reads a file (path) or an in-memory input (bytes) into a Dataset.
///
/// `format` forces a format (`fhir-json`, `fhir-ndjson`) instead of detecting it; `strict=True` stops at
/// the first invalid item instead of counting it as skipped; `progress=True` shows a tqdm bar when tqdm is
/// installed. `mapping` (path of a mapping file, `docs/mapping.md`) reads a source through it: the way
/// マイナポータル payloads whose layout is not fixed (medications, immunizations) are read.
#[pyfunction]
#[pyo3(signature = (source, format=None, strict=false, progress=false, mapping=None))]
pub(crate) fn read(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    format: Option<&str>,
    strict: bool,
    progress: bool,
    mapping: Option<PathBuf>,
) -> PyResult<Dataset> {
    let mut opts = ReadOptions::default();
    opts.strict = strict;
    opts.format = format.map(|f| parse_format(py, f)).transpose()?;
    let mapping = match mapping {
        Some(path) => Some(
            py.detach(|| Mapping::from_path(&path))
                .map_err(|e| error::to_py(py, e))?,
        ),
        None => None,
    };
    run(py, input(source)?, opts, progress, mapping.as_ref())
}

/// Reads FHIR JSON (a Bundle or one resource) or NDJSON given as str or bytes.
#[pyfunction]
#[pyo3(signature = (data, strict=false))]
pub(crate) fn from_fhir(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    strict: bool,
) -> PyResult<Dataset> {
    let input = if let Ok(s) = data.cast::<PyString>() {
        Input::Owned(s.to_cow()?.as_bytes().to_vec())
    } else if data.is_instance_of::<PyBytes>() || data.is_instance_of::<PyByteArray>() {
        input(data)?
    } else {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "from_fhir takes FHIR JSON as str or bytes (use phrkit.read for a path)",
        ));
    };
    let head = match &input {
        Input::Bytes(b) => b.as_bytes(),
        Input::Owned(v) => v.as_slice(),
        Input::Path(_) => &[],
    };
    let head = &head[..head.len().min(64 * 1024)];
    let format = detect_format(None, head).map_err(|e| error::to_py(py, e))?;
    if !matches!(format, Format::FhirJson | Format::FhirNdjson) {
        return Err(error::misuse(
            py,
            "from_fhir reads FHIR JSON/NDJSON; use phrkit.read for other formats",
        ));
    }
    let mut opts = ReadOptions::default();
    opts.strict = strict;
    opts.format = Some(format);
    run(py, input, opts, false, None)
}
