//! The mapping file: its serde shape and the table of fields each record type accepts.
//!
//! Structural errors (unknown keys, wrong JSON types) come from serde with `deny_unknown_fields` and carry
//! the JSON pointer of the offending key; semantic checks (unknown record type or field, a field with two
//! sources, a record type missing what its constructor needs) are in `validate.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The version of the mapping language this build reads.
pub const MAPPING_LANGUAGE_VERSION: u32 = 1;

/// Who made the mapping and for what payload (the adapter identity of `mynaportal.md` §5).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AdapterIdentity {
    /// Stable id of the mapping (`example.medication`).
    pub id: String,
    /// Version of the mapping, independent of phrkit's.
    pub version: String,
    /// API family (`医療保険情報取得API`, `PMH情報連携API`, or `download` for files).
    #[serde(default)]
    pub api_family: Option<String>,
    /// Information type (`薬剤情報`, `予防接種`, `医療費通知情報` …).
    #[serde(default)]
    pub information_type: Option<String>,
    /// Payload format identifier and version, as the operator names them.
    #[serde(default)]
    pub payload_format: Option<String>,
    /// The operator's licence/approval reference (opaque).
    #[serde(default)]
    pub licence: Option<String>,
}

/// How the input is parsed.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum InputSpec {
    /// One JSON document (UTF-8 with or without BOM, or Shift_JIS).
    Json,
    /// A CSV table with a header row naming the columns.
    Csv {
        /// Field delimiter, one ASCII character (default `,`).
        #[serde(default)]
        delimiter: Option<String>,
    },
}

/// Where a field's value comes from: exactly one of `key`, `pointer`, `const`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// A member name of the item (JSON) or a column header (CSV).
    #[serde(default)]
    pub key: Option<String>,
    /// An RFC 6901 JSON pointer relative to the item (JSON only), for nested values.
    #[serde(default)]
    pub pointer: Option<String>,
    /// A constant value (e.g. the drug code system when a payload does not name it).
    #[serde(default, rename = "const")]
    pub constant: Option<String>,
    /// Replaces source values before parsing (`{"男": "male"}`); a value absent from the map is an error
    /// for the item, so an unforeseen code is never passed through by accident.
    #[serde(default)]
    pub map: Option<BTreeMap<String, String>>,
}

/// A field: either the shorthand `"name"` (= `{"key": "name"}`) or a full [`SourceSpec`].
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum FieldSpec {
    /// Shorthand for `{"key": …}`.
    Key(String),
    /// Full form.
    Full(SourceSpec),
}

impl FieldSpec {
    /// The full form (borrowed when written in full, so reading items does not clone maps).
    pub fn source(&self) -> std::borrow::Cow<'_, SourceSpec> {
        match self {
            FieldSpec::Key(k) => std::borrow::Cow::Owned(SourceSpec {
                key: Some(k.clone()),
                pointer: None,
                constant: None,
                map: None,
            }),
            FieldSpec::Full(s) => std::borrow::Cow::Borrowed(s),
        }
    }
}

/// One record rule: which items become which record type, field by field.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// `medication`, `immunization`, `expense`, `subject` or `measurement`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// JSON pointer to an array of items (each becomes one record) or to one object (one record). JSON
    /// input only; CSV rows are the items.
    #[serde(default)]
    pub items: Option<String>,
    /// Record field → source.
    pub fields: BTreeMap<String, FieldSpec>,
    /// Keep scalar members/columns no field reads as `extra` key/value pairs (default `true`: nothing is
    /// dropped silently; with `false` they are counted in the report's ignored elements).
    #[serde(default = "yes")]
    pub keep_unmapped: bool,
}

fn yes() -> bool {
    true
}

/// A whole mapping file.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// Mapping-language version; must be [`MAPPING_LANGUAGE_VERSION`].
    pub phrkit_mapping: u32,
    /// Adapter identity.
    pub adapter: AdapterIdentity,
    /// Input parsing.
    pub input: InputSpec,
    /// Record rules, applied in order.
    pub records: Vec<RecordSpec>,
}

/// The value type of a record field: decides how its text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// Text, trimmed.
    Text,
    /// A date (`2025-03-01`, `2025年3月1日`, `令和7年3月1日`, `20250301`, `2025/3/1`).
    Date,
    /// A date or an RFC 3339 date-time with offset.
    DateOrInstant,
    /// A year-month (`2025-03`, `2025年3月`, `202503`).
    YearMonth,
    /// Whole yen (`12,340`, `12340円`).
    Yen,
    /// A small whole number (`7`, `7日`).
    Count,
    /// A decimal keeping its written precision (`21.0`).
    Decimal,
    /// A drug code system key (`yj`, `hot9`, `hot13`, `hot7`, `receipt`, `general-name`) or URI.
    DrugSystem,
    /// `male` / `female` / `other` / `unknown` (use `map` for source spellings).
    Sex,
}

/// A field a record type accepts.
pub type FieldDef = (&'static str, ValueType);

use ValueType::*;

/// Fields of `medication` records.
pub const MEDICATION_FIELDS: &[FieldDef] = &[
    ("prescribed", Date),
    ("dispensed", Date),
    ("drug_code", Text),
    ("drug_system", DrugSystem),
    ("drug_name", Text),
    ("quantity", Decimal),
    ("quantity_unit", Text),
    ("quantity_unit_merit9", Text),
    ("dose", Decimal),
    ("dose_unit", Text),
    ("dose_unit_merit9", Text),
    ("usage_code", Text),
    ("usage_text", Text),
    ("days_supplied", Count),
    ("route_code", Text),
    ("route_text", Text),
    ("pharmacy_code", Text),
    ("pharmacy_name", Text),
    ("prescriber_code", Text),
    ("prescriber_name", Text),
    ("rp_number", Count),
    ("order_in_rp", Count),
];

/// Fields of `immunization` records.
pub const IMMUNIZATION_FIELDS: &[FieldDef] = &[
    ("date", DateOrInstant),
    ("vaccine_code", Text),
    ("vaccine_system", DrugSystem),
    ("vaccine_name", Text),
    ("lot", Text),
    ("dose_number", Count),
    ("target_disease_code", Text),
    ("target_disease_name", Text),
    ("performer_code", Text),
    ("performer_name", Text),
    ("next_due", Date),
];

/// Fields of `expense` records.
pub const EXPENSE_FIELDS: &[FieldDef] = &[
    ("month", YearMonth),
    ("category", Text),
    ("days", Count),
    ("institution_code", Text),
    ("institution_name", Text),
    ("total", Yen),
    ("insurer_share", Yen),
    ("public_share", Yen),
    ("patient_share", Yen),
    ("insurer_name", Text),
    ("notice_date", Date),
];

/// Fields of `subject` records.
pub const SUBJECT_FIELDS: &[FieldDef] = &[
    ("insurer_number", Text),
    ("insured_symbol", Text),
    ("insured_number", Text),
    ("insured_branch", Text),
    ("name", Text),
    ("name_kana", Text),
    ("birth_date", Date),
    ("sex", Sex),
];

/// Fields of `measurement` records (lifelog readings; kinds by PGHD code, e.g. `bodyWeight`).
pub const MEASUREMENT_FIELDS: &[FieldDef] = &[
    ("kind", Text),
    ("time", DateOrInstant),
    ("end", DateOrInstant),
    ("value", Decimal),
    ("unit", Text),
    ("systolic", Decimal),
    ("diastolic", Decimal),
];

/// The fields of a record type, or `None` for an unknown type.
pub fn fields_of(record_type: &str) -> Option<&'static [FieldDef]> {
    Some(match record_type {
        "medication" => MEDICATION_FIELDS,
        "immunization" => IMMUNIZATION_FIELDS,
        "expense" => EXPENSE_FIELDS,
        "subject" => SUBJECT_FIELDS,
        "measurement" => MEASUREMENT_FIELDS,
        _ => return None,
    })
}

/// What a record type needs to be constructible: each entry is a set of alternatives, one of which must be
/// mapped. Checked when the mapping is loaded, so a mapping that can never produce a record fails early.
pub fn required_of(record_type: &str) -> &'static [&'static [&'static str]] {
    match record_type {
        "medication" => &[&["drug_code", "drug_name"], &["prescribed", "dispensed"]],
        "immunization" => &[&["date"], &["vaccine_code", "vaccine_name"]],
        "expense" => &[
            &["month"],
            &["category"],
            &["institution_code", "institution_name"],
            &["total"],
        ],
        "measurement" => &[&["kind"], &["time"], &["value", "systolic"]],
        _ => &[],
    }
}

/// Fields that need a companion field (a code needs its system, a code part of an identifier its number).
pub fn companions_of(record_type: &str) -> &'static [(&'static str, &'static str)] {
    match record_type {
        "medication" => &[
            ("drug_code", "drug_system"),
            ("quantity", "quantity_unit"),
            ("dose", "dose_unit"),
            ("rp_number", "order_in_rp"),
            ("order_in_rp", "rp_number"),
        ],
        "immunization" => &[("vaccine_code", "vaccine_system")],
        "subject" => &[
            ("insured_number", "insurer_number"),
            ("insurer_number", "insured_number"),
        ],
        "measurement" => &[
            ("value", "unit"),
            ("systolic", "diastolic"),
            ("diastolic", "systolic"),
        ],
        _ => &[],
    }
}
