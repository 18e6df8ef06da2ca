//! Lean serde types for exactly the FHIR R4 resources and elements phrkit reads.
//!
//! Why not a generated model crate: see `docs/decisions.md` (binary size, build time, decimal precision).
//! Strings borrow from the input where JSON escapes allow; decimals are kept as raw JSON text so `104.0`
//! stays `104.0`. Elements not declared here are reported by the reader as ignored, never silently dropped.

#![allow(missing_docs)]

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize, Debug, Default)]
pub struct Meta<'a> {
    #[serde(borrow, default)]
    pub profile: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub security: Vec<Coding<'a>>,
    #[serde(borrow, default)]
    pub tag: Vec<Coding<'a>>,
    #[serde(borrow, rename = "lastUpdated")]
    pub last_updated: Option<Str<'a>>,
    #[serde(borrow, rename = "versionId")]
    pub version_id: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Coding<'a> {
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow)]
    pub system: Option<Str<'a>>,
    #[serde(borrow)]
    pub code: Option<Str<'a>>,
    #[serde(borrow)]
    pub display: Option<Str<'a>>,
    #[serde(borrow)]
    pub version: Option<Str<'a>>,
}

#[derive(Deserialize, Debug, Default)]
pub struct CodeableConcept<'a> {
    #[serde(borrow, default)]
    pub coding: Vec<Coding<'a>>,
    #[serde(borrow)]
    pub text: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Identifier<'a> {
    #[serde(borrow)]
    pub system: Option<Str<'a>>,
    #[serde(borrow)]
    pub value: Option<Str<'a>>,
    #[serde(borrow, rename = "use")]
    pub use_: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Reference<'a> {
    #[serde(borrow)]
    pub reference: Option<Str<'a>>,
    #[serde(borrow)]
    pub display: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Period<'a> {
    #[serde(borrow)]
    pub start: Option<Str<'a>>,
    #[serde(borrow)]
    pub end: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Quantity<'a> {
    #[serde(borrow)]
    pub value: Option<&'a RawValue>,
    #[serde(borrow)]
    pub unit: Option<Str<'a>>,
    #[serde(borrow)]
    pub system: Option<Str<'a>>,
    #[serde(borrow)]
    pub code: Option<Str<'a>>,
    #[serde(borrow)]
    pub comparator: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Range<'a> {
    #[serde(borrow)]
    pub low: Option<Quantity<'a>>,
    #[serde(borrow)]
    pub high: Option<Quantity<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Extension<'a> {
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
    #[serde(borrow, rename = "valueString")]
    pub value_string: Option<Str<'a>>,
    #[serde(borrow, rename = "valueCode")]
    pub value_code: Option<Str<'a>>,
    #[serde(borrow, rename = "valueDecimal")]
    pub value_decimal: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow, rename = "valueRange")]
    pub value_range: Option<Range<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Component<'a> {
    #[serde(borrow)]
    pub code: Option<CodeableConcept<'a>>,
    #[serde(borrow, rename = "valueQuantity")]
    pub value_quantity: Option<Quantity<'a>>,
    #[serde(borrow, rename = "valuePeriod")]
    pub value_period: Option<Period<'a>>,
    #[serde(borrow, rename = "valueCodeableConcept")]
    pub value_codeable_concept: Option<CodeableConcept<'a>>,
    #[serde(borrow, rename = "dataAbsentReason")]
    pub data_absent_reason: Option<CodeableConcept<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Observation<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub contained: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub category: Vec<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub code: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub subject: Option<Reference<'a>>,
    #[serde(borrow)]
    pub effective_date_time: Option<Str<'a>>,
    #[serde(borrow)]
    pub effective_period: Option<Period<'a>>,
    #[serde(borrow)]
    pub effective_instant: Option<Str<'a>>,
    #[serde(borrow)]
    pub issued: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub performer: Vec<Reference<'a>>,
    #[serde(borrow)]
    pub device: Option<Reference<'a>>,
    #[serde(borrow)]
    pub value_quantity: Option<Quantity<'a>>,
    #[serde(borrow)]
    pub value_string: Option<Str<'a>>,
    #[serde(borrow)]
    pub value_codeable_concept: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub data_absent_reason: Option<CodeableConcept<'a>>,
    #[serde(borrow, default)]
    pub component: Vec<Component<'a>>,
    #[serde(borrow)]
    pub value_date_time: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub interpretation: Vec<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub method: Option<CodeableConcept<'a>>,
    #[serde(borrow, default)]
    pub reference_range: Vec<ReferenceRange<'a>>,
    #[serde(borrow, default)]
    pub has_member: Vec<MemberReference<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct ReferenceRange<'a> {
    #[serde(borrow)]
    pub low: Option<Quantity<'a>>,
    #[serde(borrow)]
    pub high: Option<Quantity<'a>>,
    #[serde(borrow)]
    pub text: Option<Str<'a>>,
}

/// A Reference that may carry extensions (`Observation.hasMember` in eCheckup groups).
#[derive(Deserialize, Debug)]
pub struct MemberReference<'a> {
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow)]
    pub reference: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct CompositionEvent<'a> {
    #[serde(borrow, default)]
    pub code: Vec<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub period: Option<Period<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct CompositionSection<'a> {
    #[serde(borrow)]
    pub title: Option<Str<'a>>,
    #[serde(borrow)]
    pub code: Option<CodeableConcept<'a>>,
    #[serde(borrow, default)]
    pub entry: Vec<Reference<'a>>,
    #[serde(borrow, default)]
    pub section: Vec<CompositionSection<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Composition<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow, default, deserialize_with = "one_or_many")]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    pub type_: Option<CodeableConcept<'a>>,
    #[serde(borrow, default)]
    pub category: Vec<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub subject: Option<Reference<'a>>,
    #[serde(borrow)]
    pub encounter: Option<Reference<'a>>,
    #[serde(borrow)]
    pub date: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub author: Vec<Reference<'a>>,
    #[serde(borrow)]
    pub title: Option<Str<'a>>,
    #[serde(borrow)]
    pub custodian: Option<Reference<'a>>,
    #[serde(borrow, default)]
    pub event: Vec<CompositionEvent<'a>>,
    #[serde(borrow, default)]
    pub section: Vec<CompositionSection<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Coded<'a> {
    #[serde(borrow)]
    pub system: Option<Str<'a>>,
    #[serde(borrow)]
    pub code: Option<Str<'a>>,
    #[serde(borrow)]
    pub display: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Encounter<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow)]
    pub class: Option<Coded<'a>>,
    #[serde(borrow)]
    pub subject: Option<Reference<'a>>,
    #[serde(borrow)]
    pub period: Option<Period<'a>>,
    #[serde(borrow)]
    pub service_provider: Option<Reference<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Coverage<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    pub type_: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub subscriber_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub beneficiary: Option<Reference<'a>>,
    #[serde(borrow)]
    pub period: Option<Period<'a>>,
    #[serde(borrow, default)]
    pub payor: Vec<PayorReference<'a>>,
}

/// `Coverage.payor`: a reference to the insurer Organization, or only the insurer's identifier (phrkit
/// writes the identifier form when the ticket's insurer is not the report's insurer Organization).
#[derive(Deserialize, Debug)]
pub struct PayorReference<'a> {
    #[serde(borrow)]
    pub reference: Option<Str<'a>>,
    #[serde(borrow)]
    pub identifier: Option<Identifier<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct ContactPoint<'a> {
    #[serde(borrow)]
    pub system: Option<Str<'a>>,
    #[serde(borrow)]
    pub value: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Organization<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow, rename = "type", default)]
    pub type_: Vec<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub telecom: Vec<ContactPoint<'a>>,
    #[serde(borrow, default)]
    pub address: Vec<Address<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct HumanName<'a> {
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow, rename = "use")]
    pub use_: Option<Str<'a>>,
    #[serde(borrow)]
    pub text: Option<Str<'a>>,
    #[serde(borrow)]
    pub family: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub given: Vec<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Address<'a> {
    #[serde(borrow)]
    pub text: Option<Str<'a>>,
    #[serde(borrow)]
    pub state: Option<Str<'a>>,
    #[serde(borrow)]
    pub postal_code: Option<Str<'a>>,
    #[serde(borrow)]
    pub country: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Patient<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub extension: Vec<Extension<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow, default)]
    pub name: Vec<HumanName<'a>>,
    #[serde(borrow)]
    pub gender: Option<Str<'a>>,
    #[serde(borrow)]
    pub birth_date: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub address: Vec<Address<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct DeviceName<'a> {
    #[serde(borrow)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    pub type_: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct DeviceVersion<'a> {
    #[serde(borrow, rename = "type")]
    pub type_: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub value: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Device<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Identifier<'a>>,
    #[serde(borrow)]
    pub manufacturer: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub device_name: Vec<DeviceName<'a>>,
    #[serde(borrow)]
    pub model_number: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub version: Vec<DeviceVersion<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BundleRequest<'a> {
    #[serde(borrow)]
    pub method: Option<Str<'a>>,
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
    #[serde(borrow)]
    pub if_none_exist: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry<'a> {
    #[serde(borrow)]
    pub full_url: Option<Str<'a>>,
    #[serde(borrow)]
    pub resource: Option<&'a RawValue>,
    #[serde(borrow)]
    pub request: Option<BundleRequest<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Bundle<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, rename = "type")]
    pub type_: Option<Str<'a>>,
    #[serde(borrow)]
    pub timestamp: Option<Str<'a>>,
    #[serde(borrow)]
    pub identifier: Option<Identifier<'a>>,
    #[serde(borrow, default)]
    pub entry: Vec<BundleEntry<'a>>,
}

/// Accepts a single object or an array (R4 `Composition.identifier` is 0..1; some writers send arrays).
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        One(T),
        Many(Vec<T>),
    }
    Ok(match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::One(t) => vec![t],
        OneOrMany::Many(v) => v,
    })
}
