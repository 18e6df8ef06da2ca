//! PLACEHOLDERS for consent and pseudonymisation — reserved API, NOT IMPLEMENTED in this binding yet.
//!
//! `phrkit::policy` (consent rules, keyed pseudonymiser) is being written in parallel with this binding.
//! These exports fix the shape of the calls so apps can be written against them; until the binding is
//! wired to the core they fail with `PhrkitError::NotImplemented` (code `policy-not-wired`) rather than
//! pretend: a pseudonymiser that silently returned the input would leak identities.
//!
//! TODO(policy): replace the bodies with calls into `phrkit::policy` once it is merged.

use std::sync::Arc;

use crate::dataset::Dataset;
use crate::error::{guard, FfiResult, PhrkitError};

const REASON: &str = "consent and pseudonymisation are not wired into the mobile binding yet";

/// PLACEHOLDER: checks a consent document (JSON) against a purpose before export.
#[uniffi::export]
pub fn check_consent(consent_json: String, purpose: String) -> FfiResult<bool> {
    guard(|| {
        let _ = (consent_json, purpose);
        Err(PhrkitError::not_implemented("policy-not-wired", REASON))
    })
}

/// PLACEHOLDER: pseudonymises a dataset with a secret key (identifiers replaced by keyed hashes).
#[uniffi::export]
pub fn pseudonymise(dataset: Arc<Dataset>, key: Vec<u8>) -> FfiResult<Arc<Dataset>> {
    guard(|| {
        let _ = (dataset, key);
        Err(PhrkitError::not_implemented("policy-not-wired", REASON))
    })
}
