//! POLICY: stages between reading and writing that decide what may leave and in what form.
//!
//! - [`dedup`]: duplicates several sources wrote for the same time — counted, and dropped by source priority
//!   only when asked.
//! - [`consent`]: FHIR R4 Consent model and a deterministic, offline decision function (default deny).
//! - [`enforce`]: applying consent to an export, with counts of everything left out.
//! - [`pseudonymise`]: keyed pseudonyms, date shifting, 仮名加工 / 匿名加工 profiles and custom rules.
//!
//! Policy depends only on [`crate::record`], [`crate::error`] and [`crate::report`] (and FHIR code constants;
//! `dedup` also on the `read::RecordReader` trait for its two-pass streaming form), never on a reader
//! format, so it applies to every input the same way.

pub mod consent;
pub mod dedup;
pub mod enforce;
pub mod facts;
pub mod pseudonymise;
