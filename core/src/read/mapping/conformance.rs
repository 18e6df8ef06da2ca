//! The conformance check an operator runs against its own private payloads (`mynaportal.md` §5, "Tests"):
//! the core ships the check, the operator keeps the fixtures.

use super::Mapping;
use crate::error::Result;
use crate::read::{read_slice, ReadOptions};
use crate::report::Report;
use crate::write::{to_vec, OutputFormat, WriteOptions};

/// The outcome of [`Mapping::check_conformance`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Conformance {
    /// The lenient read of the payload.
    pub report: Report,
    /// Every item converted or counted as skipped.
    pub balanced: bool,
    /// No item was skipped (a mapping that fits its payload converts everything).
    pub nothing_skipped: bool,
    /// Records → FHIR Bundle → records gave the same records (nothing the mapping produced is lost in
    /// FHIR).
    pub fhir_round_trip: bool,
}

impl Conformance {
    /// All checks passed.
    pub fn passed(&self) -> bool {
        self.balanced && self.nothing_skipped && self.fhir_round_trip
    }
}

impl Mapping {
    /// Reads `payload` leniently and checks the contract: balanced accounting, nothing skipped, and an exact
    /// round trip through FHIR. Errors only when the payload cannot be read at all.
    pub fn check_conformance(&self, payload: &[u8]) -> Result<Conformance> {
        let ds = self.read_slice(payload, &ReadOptions::default())?;
        let bytes = to_vec(
            &ds.records,
            WriteOptions::new(OutputFormat::BundleCollection),
        )?;
        let back = read_slice(&bytes, &ReadOptions::default())?;
        Ok(Conformance {
            balanced: ds.report.is_balanced(),
            nothing_skipped: ds.report.skipped_total() == 0,
            fhir_round_trip: back.records == ds.records,
            report: ds.report,
        })
    }
}
