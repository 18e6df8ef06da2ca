//! MAPPING: FHIR R4 / JP Core codes, the lean resource model, and the record ↔ resource conversions used by
//! both edges ([`crate::read`] and [`crate::write`]).
//!
//! The mapping follows `shared/spec/fhir-mapping.md` and `shared/spec/jp-fhir.md`; `docs/fhir-mapping.md`
//! lists every element phrkit writes.

mod care_common;
pub mod care_model;
pub mod checkup;
pub mod codes;
pub mod consent;
mod expense;
pub mod from_checkup;
pub mod from_fhir;
mod immunization;
pub mod jp_systems;
pub(crate) mod json_out;
mod medication;
pub mod model;
pub mod scan;
pub mod to_fhir;

pub use care_common::CareEncoder;
pub use from_fhir::{Decoded, FhirDecoder, ResourcePlace};
pub use scan::JsonLimits;
pub use to_fhir::{
    content_id, CodeSystemStyle, Encoder, ReferenceStyle, ResourceId, ResourceOptions,
};
