//! Lean serde types for the care resources phrkit reads: MedicationDispense, Immunization,
//! ExplanationOfBenefit. Same approach as [`super::model`]: only the elements phrkit maps; anything else is
//! counted as ignored by the decoder.

#![allow(missing_docs)]

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::model::{CodeableConcept, Meta, Period, Quantity};

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Ext<'a> {
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
    #[serde(borrow)]
    pub value_string: Option<Str<'a>>,
    #[serde(borrow)]
    pub value_code: Option<Str<'a>>,
    #[serde(borrow)]
    pub value_date: Option<Str<'a>>,
    pub value_boolean: Option<bool>,
    #[serde(borrow)]
    pub value_reference: Option<Ref<'a>>,
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
}

/// An element carrying only extensions (`_created`, `_doseNumberString`).
#[derive(Deserialize, Debug)]
pub struct ExtOnly<'a> {
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Ident<'a> {
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
    #[serde(borrow)]
    pub system: Option<Str<'a>>,
    #[serde(borrow)]
    pub value: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Ref<'a> {
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
    #[serde(borrow)]
    pub reference: Option<Str<'a>>,
    #[serde(borrow)]
    pub identifier: Option<Ident<'a>>,
    #[serde(borrow)]
    pub display: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Performer<'a> {
    #[serde(borrow)]
    pub function: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub actor: Option<Ref<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DoseAndRate<'a> {
    #[serde(borrow)]
    pub dose_quantity: Option<Quantity<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Timing<'a> {
    #[serde(borrow)]
    pub code: Option<CodeableConcept<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Dosage<'a> {
    #[serde(borrow)]
    pub text: Option<Str<'a>>,
    #[serde(borrow)]
    pub timing: Option<Timing<'a>>,
    #[serde(borrow)]
    pub route: Option<CodeableConcept<'a>>,
    #[serde(borrow, default)]
    pub dose_and_rate: Vec<DoseAndRate<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct MedicationDispense<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Ident<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow)]
    pub medication_codeable_concept: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub subject: Option<Ref<'a>>,
    #[serde(borrow, default)]
    pub performer: Vec<Performer<'a>>,
    #[serde(borrow)]
    pub quantity: Option<Quantity<'a>>,
    #[serde(borrow)]
    pub days_supply: Option<Quantity<'a>>,
    #[serde(borrow)]
    pub when_prepared: Option<Str<'a>>,
    #[serde(borrow)]
    pub when_handed_over: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub dosage_instruction: Vec<Dosage<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolApplied<'a> {
    #[serde(borrow, default)]
    pub target_disease: Vec<CodeableConcept<'a>>,
    pub dose_number_positive_int: Option<u64>,
    #[serde(borrow)]
    pub dose_number_string: Option<Str<'a>>,
    #[serde(borrow, rename = "_doseNumberString")]
    pub dose_number_string_ext: Option<ExtOnly<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Immunization<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Ident<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow)]
    pub vaccine_code: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub patient: Option<Ref<'a>>,
    #[serde(borrow)]
    pub occurrence_date_time: Option<Str<'a>>,
    #[serde(borrow)]
    pub lot_number: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub performer: Vec<Performer<'a>>,
    #[serde(borrow, default)]
    pub protocol_applied: Vec<ProtocolApplied<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Money<'a> {
    #[serde(borrow)]
    pub value: Option<&'a RawValue>,
    #[serde(borrow)]
    pub currency: Option<Str<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Total<'a> {
    #[serde(borrow)]
    pub category: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub amount: Option<Money<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SupportingInfo<'a> {
    pub sequence: Option<u64>,
    #[serde(borrow)]
    pub category: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub value_quantity: Option<Quantity<'a>>,
}

#[derive(Deserialize, Debug)]
pub struct Insurance<'a> {
    pub focal: Option<bool>,
    #[serde(borrow)]
    pub coverage: Option<Ref<'a>>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ExplanationOfBenefit<'a> {
    #[serde(borrow)]
    pub resource_type: Str<'a>,
    #[serde(borrow)]
    pub id: Option<Str<'a>>,
    #[serde(borrow)]
    pub meta: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub extension: Vec<Ext<'a>>,
    #[serde(borrow, default)]
    pub identifier: Vec<Ident<'a>>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow, rename = "type")]
    pub type_: Option<CodeableConcept<'a>>,
    #[serde(borrow)]
    pub sub_type: Option<CodeableConcept<'a>>,
    #[serde(borrow, rename = "use")]
    pub use_: Option<Str<'a>>,
    #[serde(borrow)]
    pub patient: Option<Ref<'a>>,
    #[serde(borrow)]
    pub billable_period: Option<Period<'a>>,
    #[serde(borrow)]
    pub created: Option<Str<'a>>,
    #[serde(borrow, rename = "_created")]
    pub created_ext: Option<ExtOnly<'a>>,
    #[serde(borrow)]
    pub insurer: Option<Ref<'a>>,
    #[serde(borrow)]
    pub provider: Option<Ref<'a>>,
    #[serde(borrow)]
    pub outcome: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub insurance: Vec<Insurance<'a>>,
    #[serde(borrow, default)]
    pub supporting_info: Vec<SupportingInfo<'a>>,
    #[serde(borrow, default)]
    pub total: Vec<Total<'a>>,
}
