//! `phrkit._native`: the Python face of the phrkit core.
//!
//! One file per core module (`read`, `write`, `record`, `report`, `error`) plus `arrow` (tables); this file
//! only registers them. Bindings convert and never decide: every rule lives in the core so the CLI, Python
//! and the mobile bindings behave the same.

mod arrow;
mod care;
mod dataset;
mod dedup;
mod error;
mod flat;
mod policy;
mod read;
mod record;
mod report;
mod write;

use pyo3::prelude::*;

/// The native module; `phrkit/__init__.py` re-exports it.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(read::read, m)?)?;
    m.add_function(wrap_pyfunction!(read::from_fhir, m)?)?;
    m.add_class::<dataset::Dataset>()?;
    m.add_class::<dataset::DatasetIter>()?;
    m.add_class::<record::Measurement>()?;
    m.add_class::<record::Subject>()?;
    m.add_class::<record::Checkup>()?;
    m.add_class::<record::MedicationDispense>()?;
    m.add_class::<record::Immunization>()?;
    m.add_class::<record::MedicalExpense>()?;
    m.add_function(wrap_pyfunction!(read::formats, m)?)?;
    m.add_class::<report::Report>()?;
    m.add_class::<arrow::ArrowTable>()?;
    policy::register(m)?;
    error::register(m)?;
    Ok(())
}
