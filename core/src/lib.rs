//! # phrkit
//!
//! Personal health records between the formats Japanese people and companies hold — lifelog exports,
//! 特定健診 (specific health checkup) CDA archives, マイナポータル downloads — and HL7 FHIR R4 with JP Core
//! profiles, with consent and pseudonymisation as stages inside the codec.
//!
//! ## The pipeline
//!
//! ```text
//!   input file ──► read::*  ──► record::Record ──► policy (consent, pseudonymise) ──► write::* ──► output
//!  (edge in: formats)          (the middle)          (stages, optional/required)      (edge out)
//! ```
//!
//! 1. **Records** ([`record`]) are the middle: typed, validated at construction, format-free.
//! 2. **Readers** ([`read`]) stream an input into records, counting everything they skip in a [`Report`].
//! 3. **Writers** ([`write`](mod@write)) turn records into FHIR R4 JSON (Bundle or NDJSON), deterministically.
//! 4. **FHIR mapping** ([`fhir`]) holds the codes, profiles and lean resource model used by both edges.
//! 5. **Policy** ([`policy`]) decides what may leave (FHIR Consent, default deny) and in what form
//!    (pseudonymised / anonymised); [`write::export`] wires it into the writer.
//!
//! Errors are data ([`Error`], [`ErrorKind`], [`Location`]) and never carry personal values.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

pub mod error;
pub mod fhir;
#[doc(hidden)]
pub mod internal;
pub mod policy;
pub mod read;
pub mod record;
pub mod report;
pub mod terminology;
pub mod write;

pub use error::{Error, ErrorKind, Limit, Location, Result};
pub use read::{read_path, read_slice, Format, ReadOptions};
pub use record::{Kind, Measurement, Record, Subject};
pub use report::Report;
