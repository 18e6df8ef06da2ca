//! Custom rule files (TOML or JSON): an ordered list of `{path | class, method, params}`; the first rule
//! that matches a field wins, unmatched fields follow the `base` profile (default `pseudonymised`: a rule
//! file can relax or tighten single fields, never silently expose the rest).
//!
//! ```toml
//! base = "pseudonymised"          # or "anonymised", or "none" (keep what no rule names)
//! [[rules]]
//! path = "subject.address.postalCode"
//! method = "redact"
//! [[rules]]
//! path = "measurement.value"
//! method = "perturb"
//! span = 0.05
//! rangeType = "proportional"
//! roundTo = 1
//! [[rules]]
//! class = "FreeText"
//! method = "encrypt"
//! ```
//!
//! Methods follow the Microsoft FHIR anonymizer (keep, redact, dateShift, cryptoHash, encrypt, substitute,
//! perturb, generalize); FHIRPath is replaced by phrkit's field paths ([`KNOWN_FIELDS`]). Every error
//! names the rule by JSON pointer (`/rules/2/method`), also for TOML files, and never echoes values.

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Location};

use super::engine::Profile;
use super::fields::{measurement_fields as mf, subject_fields as sf, Field, FieldClass};

/// Time truncation granularity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// Start of the day (offset kept).
    Day,
    /// Start of the hour.
    Hour,
}

/// How a `generalize` rule generalises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Generalization {
    /// Keep the first n characters (postal codes: the first n digits).
    KeepPrefix(usize),
    /// Birth date → year.
    BirthYear,
    /// Birth date → age band.
    AgeBand,
    /// Time → start of day/hour.
    Truncate(Granularity),
    /// Number → multiple of the step, rounded down.
    RoundTo(Decimal),
    /// Source → manufacturer/model only.
    GenericSource,
}

/// A rule's method with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleMethod {
    /// Unchanged.
    Keep,
    /// Removed.
    Redact,
    /// Shifted by the per-person offset.
    DateShift,
    /// Keyed pseudonym.
    CryptoHash,
    /// AES-256-GCM.
    Encrypt,
    /// Fixed replacement.
    Substitute(String),
    /// Uniform noise in ±span (×value when proportional), rounded to `round_to` decimals, not below 0.
    Perturb {
        /// Half-width of the noise.
        span: Decimal,
        /// Span relative to the value.
        proportional: bool,
        /// Decimals kept.
        round_to: u32,
    },
    /// Generalisation.
    Generalize(Generalization),
}

/// What a rule selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// A path or a path prefix (`subject.address` selects its three fields).
    Path(String),
    /// A field class.
    Class(FieldClass),
}

/// One rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// What it selects.
    pub selector: Selector,
    /// What it does.
    pub method: RuleMethod,
}

/// A validated rule file.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSet {
    /// Profile for fields no rule selects (`None`: keep them).
    pub base: Option<Profile>,
    /// Rules in order.
    pub rules: Vec<Rule>,
}

/// The shape of a field's value, which decides the methods that make sense for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// An identifier.
    Identifier,
    /// Text.
    Text,
    /// Birth data.
    Birth,
    /// Keep or remove only.
    KeepOrRemove,
    /// An instant or date.
    Time,
    /// A number.
    Number,
    /// A source.
    Source,
}

/// Every field path phrkit visits, with its value kind.
pub const KNOWN_FIELDS: &[(Field, ValueKind)] = &[
    (sf::INSURED_ID, ValueKind::Identifier),
    (sf::IDENTIFIER, ValueKind::Identifier),
    (sf::NAME_KANJI, ValueKind::Text),
    (sf::NAME_KANA, ValueKind::Text),
    (sf::BIRTH, ValueKind::Birth),
    (sf::SEX, ValueKind::KeepOrRemove),
    (sf::POSTAL_CODE, ValueKind::Text),
    (sf::PREFECTURE, ValueKind::Text),
    (sf::ADDRESS_TEXT, ValueKind::Text),
    (mf::EFFECTIVE, ValueKind::Time),
    (mf::RECORDED, ValueKind::Time),
    (mf::IDENTIFIER, ValueKind::Text),
    (mf::METADATA, ValueKind::Text),
    (mf::SOURCE, ValueKind::Source),
    (mf::VALUE, ValueKind::Number),
    (mf::SLEEP_STAGES, ValueKind::Time),
    (mf::VALUE_TEXT, ValueKind::Text),
    (mf::WORKOUT_ACTIVITY, ValueKind::Text),
];

const CLASSES: &[(&str, FieldClass)] = &[
    ("IndividualCode", FieldClass::IndividualCode),
    ("LinkId", FieldClass::LinkId),
    ("Name", FieldClass::Name),
    ("Contact", FieldClass::Contact),
    ("StreetAddress", FieldClass::StreetAddress),
    ("PostalCode", FieldClass::PostalCode),
    ("Region", FieldClass::Region),
    ("BirthDate", FieldClass::BirthDate),
    ("Sex", FieldClass::Sex),
    ("EventTime", FieldClass::EventTime),
    ("FreeText", FieldClass::FreeText),
    ("SourceRecordId", FieldClass::SourceRecordId),
    ("DeviceName", FieldClass::DeviceName),
    ("CodedValue", FieldClass::CodedValue),
    ("Measured", FieldClass::Measured),
];

impl Selector {
    fn matches(&self, field: Field) -> bool {
        match self {
            Selector::Class(c) => *c == field.class,
            Selector::Path(p) => {
                field.path == p
                    || (field.path.starts_with(p.as_str())
                        && field.path.as_bytes().get(p.len()) == Some(&b'.'))
            }
        }
    }
}

/// The most bytes a rule file may have: real rule files are a few hundred bytes.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

impl RuleSet {
    /// The method of the first rule selecting `field`.
    pub fn find(&self, field: Field) -> Option<&RuleMethod> {
        self.rules
            .iter()
            .find(|r| r.selector.matches(field))
            .map(|r| &r.method)
    }

    /// Parses and validates a rule file; `.json` (or content starting with `{`) is JSON, else TOML.
    pub fn parse(name: &str, text: &str) -> Result<RuleSet, Error> {
        let json = name.ends_with(".json") || text.trim_start().starts_with('{');
        let raw: RawFile = if json {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de).map_err(|e| {
                config(
                    &pointer_of(&e.path().to_string()),
                    &e.inner().to_string_without_values(),
                )
            })?
        } else {
            let de = toml::Deserializer::new(text);
            serde_path_to_error::deserialize(de)
                .map_err(|e| config(&pointer_of(&e.path().to_string()), e.inner().message()))?
        };
        raw.validate()
    }

    /// Reads and parses a rule file (at most [`MAX_RULE_FILE_BYTES`]).
    pub fn from_path(path: &std::path::Path) -> Result<RuleSet, Error> {
        RuleSet::from_reader(&path.to_string_lossy(), std::fs::File::open(path)?)
    }

    /// Reads and parses a rule file from a stream; `name` decides JSON (`.json`) or TOML as in [`parse`].
    ///
    /// [`parse`]: RuleSet::parse
    pub fn from_reader(name: &str, r: impl std::io::Read) -> Result<RuleSet, Error> {
        let bytes = crate::read::read_bounded(r, MAX_RULE_FILE_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            config("", &format!("rule file is not UTF-8 text (byte {at})"))
        })?;
        RuleSet::parse(name, &text)
    }
}

trait NoValues {
    fn to_string_without_values(&self) -> String;
}

impl NoValues for serde_json::Error {
    fn to_string_without_values(&self) -> String {
        // serde_json messages quote offending values ("invalid type: string \"x\""): keep only the class.
        match self.classify() {
            serde_json::error::Category::Syntax => "not valid JSON".to_owned(),
            serde_json::error::Category::Eof => "unexpected end of JSON".to_owned(),
            _ => {
                let m = self.to_string();
                if m.starts_with("unknown field") {
                    "unknown field".to_owned()
                } else if m.starts_with("missing field") {
                    m.split(" at line")
                        .next()
                        .unwrap_or("missing field")
                        .to_owned()
                } else {
                    "wrong type".to_owned()
                }
            }
        }
    }
}

fn pointer_of(path: &str) -> String {
    if path == "." || path.is_empty() {
        return String::new();
    }
    let mut p = String::from("/");
    for c in path.chars() {
        match c {
            '[' | '.' => p.push('/'),
            ']' => {}
            c => p.push(c),
        }
    }
    p.replace("//", "/")
}

fn config(pointer: &str, reason: &str) -> Error {
    ErrorKind::Config {
        location: Location::JsonPointer {
            line: None,
            pointer: pointer.to_owned(),
        },
        reason: reason.to_owned(),
    }
    .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    base: Option<String>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    path: Option<String>,
    class: Option<String>,
    method: String,
    replace_with: Option<String>,
    span: Option<f64>,
    range_type: Option<String>,
    round_to: Option<u32>,
    keep_prefix: Option<usize>,
    granularity: Option<String>,
    to: Option<String>,
    step: Option<f64>,
}

impl RawFile {
    fn validate(self) -> Result<RuleSet, Error> {
        let base = match self.base.as_deref() {
            None => Some(Profile::Pseudonymised),
            Some("none") => None,
            Some(b) => Some(Profile::from_name(b).ok_or_else(|| {
                config("/base", "base must be pseudonymised, anonymised or none")
            })?),
        };
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, r) in self.rules.into_iter().enumerate() {
            rules.push(r.validate(&format!("/rules/{i}"))?);
        }
        Ok(RuleSet { base, rules })
    }
}

fn decimal(v: f64, ptr: &str) -> Result<Decimal, Error> {
    Decimal::from_f64_retain(v)
        .filter(|d| !d.is_sign_negative())
        .ok_or_else(|| config(ptr, "must be a finite number not below 0"))
}

impl RawRule {
    fn validate(self, ptr: &str) -> Result<Rule, Error> {
        let selector = match (&self.path, &self.class) {
            (Some(p), None) => Selector::Path(p.clone()),
            (None, Some(c)) => Selector::Class(
                CLASSES
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, k)| *k)
                    .ok_or_else(|| config(&format!("{ptr}/class"), "unknown field class"))?,
            ),
            _ => return Err(config(ptr, "a rule needs exactly one of path or class")),
        };
        let kinds: Vec<ValueKind> = KNOWN_FIELDS
            .iter()
            .filter(|(f, _)| selector.matches(*f))
            .map(|(_, k)| *k)
            .collect();
        if kinds.is_empty() {
            let at = if self.path.is_some() { "path" } else { "class" };
            return Err(config(&format!("{ptr}/{at}"), "selects no known field"));
        }
        let method = self.method(ptr)?;
        for k in &kinds {
            if !applicable(&method, *k) {
                return Err(config(
                    &format!("{ptr}/method"),
                    &format!("method {} does not apply to a {k:?} field", self.method),
                ));
            }
        }
        Ok(Rule { selector, method })
    }

    fn method(&self, ptr: &str) -> Result<RuleMethod, Error> {
        Ok(match self.method.as_str() {
            "keep" => RuleMethod::Keep,
            "redact" => RuleMethod::Redact,
            "dateShift" => RuleMethod::DateShift,
            "cryptoHash" => RuleMethod::CryptoHash,
            "encrypt" => RuleMethod::Encrypt,
            "substitute" => RuleMethod::Substitute(self.replace_with.clone().ok_or_else(|| {
                config(
                    &format!("{ptr}/replaceWith"),
                    "substitute needs replaceWith",
                )
            })?),
            "perturb" => RuleMethod::Perturb {
                span: decimal(
                    self.span
                        .ok_or_else(|| config(&format!("{ptr}/span"), "perturb needs span"))?,
                    &format!("{ptr}/span"),
                )?,
                proportional: match self.range_type.as_deref() {
                    None | Some("fixed") => false,
                    Some("proportional") => true,
                    Some(_) => {
                        return Err(config(
                            &format!("{ptr}/rangeType"),
                            "rangeType must be fixed or proportional",
                        ))
                    }
                },
                round_to: match self.round_to {
                    None => 2,
                    Some(r) if r <= 28 => r,
                    Some(_) => {
                        return Err(config(&format!("{ptr}/roundTo"), "roundTo must be 0..=28"))
                    }
                },
            },
            "generalize" => RuleMethod::Generalize(self.generalization(ptr)?),
            _ => return Err(config(&format!("{ptr}/method"), "unknown method")),
        })
    }

    fn generalization(&self, ptr: &str) -> Result<Generalization, Error> {
        if let Some(n) = self.keep_prefix {
            return Ok(Generalization::KeepPrefix(n));
        }
        if let Some(g) = &self.granularity {
            return match g.as_str() {
                "day" => Ok(Generalization::Truncate(Granularity::Day)),
                "hour" => Ok(Generalization::Truncate(Granularity::Hour)),
                _ => Err(config(
                    &format!("{ptr}/granularity"),
                    "granularity must be day or hour",
                )),
            };
        }
        if let Some(s) = self.step {
            return Ok(Generalization::RoundTo(decimal(s, &format!("{ptr}/step"))?));
        }
        match self.to.as_deref() {
            Some("birthYear") => Ok(Generalization::BirthYear),
            Some("ageBand") => Ok(Generalization::AgeBand),
            Some("genericSource") => Ok(Generalization::GenericSource),
            Some(_) => Err(config(
                &format!("{ptr}/to"),
                "to must be birthYear, ageBand or genericSource",
            )),
            None => Err(config(
                ptr,
                "generalize needs keepPrefix, granularity, step or to",
            )),
        }
    }
}

fn applicable(m: &RuleMethod, k: ValueKind) -> bool {
    use Generalization as G;
    use RuleMethod as M;
    use ValueKind as K;
    matches!(
        (m, k),
        (M::Keep, _)
            | (
                M::Redact,
                K::Identifier | K::Text | K::Birth | K::KeepOrRemove | K::Source
            )
            | (M::DateShift, K::Time | K::Birth)
            | (M::CryptoHash | M::Encrypt, K::Identifier | K::Text)
            | (M::Substitute(_), K::Identifier | K::Text | K::Number)
            | (M::Perturb { .. }, K::Number)
            | (M::Generalize(G::KeepPrefix(_)), K::Text)
            | (M::Generalize(G::BirthYear | G::AgeBand), K::Birth)
            | (M::Generalize(G::Truncate(_)), K::Time)
            | (M::Generalize(G::RoundTo(_)), K::Number)
            | (M::Generalize(G::GenericSource), K::Source)
    )
}
