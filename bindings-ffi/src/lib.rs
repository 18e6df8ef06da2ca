//! # phrkit-ffi
//!
//! phrkit for Android (Kotlin) and iOS (Swift) through [uniffi] proc-macros (library mode, no UDL).
//!
//! This crate converts and nothing else: every rule (kinds, units, ranges, FHIR mapping) lives in the
//! `phrkit` core and is reached from here. What crosses the FFI:
//!
//! * **read** any supported input from bytes or a path → [`Dataset`] (`read_bytes`, `read_file`);
//! * **build** measurements from platform samples in batches → records + per-sample errors
//!   (`samples_to_dataset`): one call per batch, never one per sample;
//! * **convert** to FHIR JSON / NDJSON and back (`Dataset::to_fhir`, `records_to_fhir`, `fhir_to_records`);
//! * **errors** as one flat [`PhrkitError`] with `code` + `location` + `reason` on every variant; a Rust
//!   panic becomes `PhrkitError::Internal` (every export runs inside [`error::guard`]);
//! * **policy**: consent decisions and exports under consent (`Consent`, `decide_consent`,
//!   `export_with_consent`), pseudonymisation with a key given as bytes (`pseudonymise`) — one call per
//!   dataset, all rules in `phrkit::policy`;
//! * **dedup**: duplicates from several sources counted and, by strategy, dropped (`Dataset::dedup`,
//!   `Report.duplicates`), by the core's `phrkit::policy::dedup`;
//!
//! Every exported function returns `Result`, so Kotlin and Swift callers always handle the error path.
//! Bindings are generated with `bindings-ffi/generate.sh` and committed; `check-generated.sh` detects drift.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

uniffi::setup_scaffolding!();

mod dataset;
mod dedup;
mod error;
mod policy;
mod samples;
mod types;

pub use dataset::{Dataset, Issue, OutputFormat, ReadOptions, Report};
pub use dedup::DedupStrategy;
pub use error::PhrkitError;
pub use policy::{
    Consent, ConsentDecision, ConsentExport, ConsentMode, ConsentRequest, PseudonymiseMethod,
    PseudonymiseOptions, PseudonymisedOutput,
};
pub use samples::{Sample, SampleBatch, SampleError};
pub use types::{
    Address, Coding, Effective, MeasurementValue, MetadataEntry, PersonName, PhrMeasurement,
    PhrRecord, Quantity, SleepStageInterval, Source, SourceDevice, Subject, Timestamp, Workout,
};

use error::{guard, FfiResult};

/// Converts a batch of platform samples (Health Connect records, HealthKit samples) to measurements.
///
/// Samples that cannot be converted are listed in `errors` by index and counted as skipped in the
/// dataset's report; the call itself fails only on a bug.
#[uniffi::export]
pub fn samples_to_dataset(samples: Vec<Sample>) -> FfiResult<SampleBatch> {
    guard(|| Ok(samples::convert_batch(&samples)))
}

/// What phrkit knows about one measurement kind, for adapters that map platform types.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct KindInfo {
    /// PGHD code (`stepCount`): the value of `Sample.kind` / `PhrMeasurement.kind`.
    pub code: String,
    /// The HealthKit identifier of the same concept, if any.
    pub healthkit: Option<String>,
    /// Accepted UCUM units; the first is canonical.
    pub units: Vec<String>,
}

/// Every measurement kind of phrkit's kind table.
#[uniffi::export]
pub fn known_kinds() -> FfiResult<Vec<KindInfo>> {
    guard(|| {
        Ok(phrkit::record::KIND_TABLE
            .iter()
            .map(|row| KindInfo {
                code: row.pghd.to_owned(),
                healthkit: row.healthkit.map(str::to_owned),
                units: row.units.iter().map(|u| u.ucum().to_owned()).collect(),
            })
            .collect())
    })
}

/// The version of phrkit this library was built from.
#[uniffi::export]
pub fn phrkit_version() -> FfiResult<String> {
    guard(|| Ok(env!("CARGO_PKG_VERSION").to_owned()))
}

/// TEST HOOK, not API: always panics inside the guarded region, so the Kotlin and Swift test suites can
/// prove that a Rust panic reaches them as `PhrkitError.Internal` instead of aborting the app.
///
/// It is exported in every build because generated bindings check every symbol they know at load time;
/// a test-only feature would make production bindings fail to load. Hidden from Rust docs.
#[doc(hidden)]
#[uniffi::export]
pub fn test_only_trigger_panic() -> FfiResult<()> {
    guard(|| {
        #[allow(clippy::panic)]
        {
            panic!("test_only_trigger_panic was called")
        }
    })
}
