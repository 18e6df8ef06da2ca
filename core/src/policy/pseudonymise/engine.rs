//! The processor behind every profile and rule file: decides a method per field, applies it, counts it,
//! and remembers which security labels the record earned.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Timelike};
use ring::rand::SecureRandom;
use rust_decimal::Decimal;

use crate::record::{AgeBand, Coding, Source, Subject, Timestamp};

use super::fields::{Birth, Field, FieldClass, FieldVisitor, IdAction};
use super::pseudonym::{Domain, Pseudonyms, PSEUDONYM_SYSTEM};
use super::report::Method;
use super::rules::{Generalization, RuleMethod, RuleSet};

/// Built-in profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// 仮名加工情報 (規則31条): identifying descriptions and 個人識別符号 removed, keyed pseudonyms.
    Pseudonymised,
    /// 匿名加工情報 (規則34条): in addition per-export ids, generalisation, outlier coding, k-anonymity.
    Anonymised,
}

impl Profile {
    /// Name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Pseudonymised => "pseudonymised",
            Profile::Anonymised => "anonymised",
        }
    }

    /// Inverse of [`Profile::name`].
    pub fn from_name(s: &str) -> Option<Profile> {
        match s {
            "pseudonymised" | "pseudonymized" => Some(Profile::Pseudonymised),
            "anonymised" | "anonymized" => Some(Profile::Anonymised),
            _ => None,
        }
    }

    /// The method the profile applies to a class of field.
    pub fn method_for(self, class: FieldClass, date_shift: bool) -> RuleMethod {
        use FieldClass::*;
        match class {
            IndividualCode | LinkId => RuleMethod::CryptoHash,
            Name | Contact | StreetAddress | FreeText | SourceRecordId => RuleMethod::Redact,
            PostalCode => match self {
                Profile::Pseudonymised => RuleMethod::Generalize(Generalization::KeepPrefix(3)),
                Profile::Anonymised => RuleMethod::Redact,
            },
            BirthDate => match self {
                Profile::Pseudonymised => RuleMethod::Generalize(Generalization::BirthYear),
                Profile::Anonymised => RuleMethod::Generalize(Generalization::AgeBand),
            },
            EventTime if date_shift => RuleMethod::DateShift,
            DeviceName => RuleMethod::Generalize(Generalization::GenericSource),
            Region | Sex | EventTime | CodedValue | Measured => RuleMethod::Keep,
        }
    }
}

/// HL7 v3-ObservationValue (security alteration / integrity codes).
pub const OBSERVATION_VALUE: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

/// Options shared by the profiles.
#[derive(Clone, Debug)]
pub struct PseudonymiseOptions {
    /// Recipient/delivery context mixed into the key derivation (unlinkable deliveries); empty for none.
    pub context: String,
    /// Whether event times are shifted by the per-person offset.
    pub date_shift: bool,
    /// Largest shift in days (±).
    pub max_shift_days: u32,
    /// Shift by whole weeks only.
    pub weekday_preserving: bool,
    /// Reference date for age bands (usually the export date).
    pub reference_date: NaiveDate,
    /// Width of age bands in years.
    pub age_band_width: u16,
    /// Ages at or above this are one open band (top coding).
    pub age_top: u16,
}

impl PseudonymiseOptions {
    /// Defaults: date shift on (±50 days, the Microsoft anonymizer's range), 5-year bands, 90+ top band.
    pub fn new(reference_date: NaiveDate) -> PseudonymiseOptions {
        PseudonymiseOptions {
            context: String::new(),
            date_shift: true,
            max_shift_days: 50,
            weekday_preserving: false,
            reference_date,
            age_band_width: 5,
            age_top: 90,
        }
    }
}

const LABEL_REDACTED: u8 = 1;
const LABEL_MASKED: u8 = 2;
const LABEL_ABSTRED: u8 = 4;

/// The field processor.
pub(crate) struct Engine {
    pub(crate) pseudonyms: Pseudonyms,
    pub(crate) opts: PseudonymiseOptions,
    pub(crate) profile: Option<Profile>,
    pub(crate) rules: Option<RuleSet>,
    offset_days: i64,
    subjects: u64,
    /// (path, method) → count; a short vector scanned linearly beats hashing a string per field.
    pub(crate) counts: Vec<((&'static str, Method), u64)>,
    labels: u8,
    sources: HashMap<Arc<Source>, Option<Arc<Source>>>,
    /// The last source seen and its replacement: readers share one `Arc` per source, so most lookups
    /// are a pointer comparison.
    last_source: Option<(Arc<Source>, Option<Arc<Source>>)>,
}

impl Engine {
    pub(crate) fn new(
        pseudonyms: Pseudonyms,
        opts: PseudonymiseOptions,
        profile: Option<Profile>,
        rules: Option<RuleSet>,
    ) -> Engine {
        // Records before any subject still get a (non-zero) shift, never their real dates.
        let offset_days = pseudonyms.date_offset_days("phrkit: records before any subject");
        Engine {
            pseudonyms,
            opts,
            profile,
            rules,
            offset_days,
            subjects: 0,
            counts: Vec::new(),
            labels: 0,
            sources: HashMap::new(),
            last_source: None,
        }
    }

    /// The base profile (the rule set's base, or the profile itself).
    pub(crate) fn base(&self) -> Option<Profile> {
        match &self.rules {
            Some(r) => r.base,
            None => self.profile,
        }
    }

    fn method(&self, field: Field) -> RuleMethod {
        if let Some(m) = self.rules.as_ref().and_then(|r| r.find(field)) {
            return m.clone();
        }
        match self.base() {
            Some(p) => p.method_for(field.class, self.opts.date_shift),
            None => RuleMethod::Keep,
        }
    }

    fn bump(&mut self, path: &'static str, method: Method) {
        match self
            .counts
            .iter_mut()
            .find(|((p, m), _)| *m == method && *p == path)
        {
            Some((_, n)) => *n += 1,
            None => self.counts.push(((path, method), 1)),
        }
    }

    fn count(&mut self, field: Field, method: Method) {
        self.bump(field.path, method);
        self.labels |= match method {
            Method::Redact => LABEL_REDACTED,
            Method::Encrypt => LABEL_MASKED,
            Method::Generalize | Method::TopBottomCode => LABEL_ABSTRED,
            _ => 0,
        };
    }

    /// Starts a new subject: derives its pseudonym and date offset from what identifies it, before any
    /// field is changed. Returns the subject pseudonym (added to the subject when it has no identifier).
    pub(crate) fn begin_subject(&mut self, s: &Subject) -> Option<String> {
        self.subjects += 1;
        let p = &self.pseudonyms;
        let key = if let Some(i) = &s.insured_id {
            Some(p.pseudonym(
                Domain::InsuredId,
                crate::fhir::codes::INSURED_ID,
                &i.to_jp_core(),
            ))
        } else if let Some(c) = s.identifiers.first() {
            Some(p.pseudonym(Domain::PatientId, &c.system, &c.code))
        } else if s.name_kanji.is_some() || s.name_kana.is_some() || s.birth_date.is_some() {
            let name = |n: &Option<crate::record::PersonName>| {
                n.as_ref().map(|n| n.text.clone()).unwrap_or_default()
            };
            let birth = s.birth_date.map(|d| d.to_string()).unwrap_or_default();
            let v = format!(
                "{}\u{0}{}\u{0}{}",
                name(&s.name_kanji),
                name(&s.name_kana),
                birth
            );
            Some(p.pseudonym(Domain::Subject, "name+kana+birth", &v))
        } else {
            None
        };
        let seed = key
            .clone()
            .unwrap_or_else(|| format!("anonymous subject {}", self.subjects));
        self.offset_days = p.date_offset_days(&seed);
        // A subject with a name but no identifier still needs a distinct, stable Patient id.
        key.filter(|_| s.insured_id.is_none() && s.identifiers.is_empty())
    }

    /// Counts the subject pseudonym added to a subject that had no identifier.
    pub(crate) fn note_subject_pseudonym(&mut self) {
        self.bump("subject.pseudonym", Method::CryptoHash);
    }

    /// Takes the labels the record earned and resets them.
    pub(crate) fn take_labels(&mut self) -> Vec<Coding> {
        let mut v = Vec::with_capacity(2);
        match self.base() {
            Some(Profile::Anonymised) => v.push(Coding::new(OBSERVATION_VALUE, "ANONYED")),
            _ => v.push(Coding::new(OBSERVATION_VALUE, "PSEUDED")),
        }
        if self.labels & LABEL_ABSTRED != 0 {
            v.push(Coding::new(OBSERVATION_VALUE, "ABSTRED"));
        }
        if self.labels & LABEL_MASKED != 0 {
            v.push(Coding::new(OBSERVATION_VALUE, "MASKED"));
        }
        if self.labels & LABEL_REDACTED != 0 {
            v.push(Coding::new(OBSERVATION_VALUE, "REDACTED"));
        }
        self.labels = 0;
        v
    }

    fn shift(&self, t: &Timestamp) -> Timestamp {
        Pseudonyms::shift(t, self.offset_days)
    }

    fn age_band(&self, birth: NaiveDate) -> AgeBand {
        let r = self.opts.reference_date;
        let mut age = r.year() - birth.year();
        if (r.month(), r.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        let age = u16::try_from(age.max(0)).unwrap_or(0);
        let w = self.opts.age_band_width.max(1);
        if age >= self.opts.age_top {
            return AgeBand {
                low: self.opts.age_top,
                high: None,
            };
        }
        let low = age / w * w;
        AgeBand {
            low,
            high: Some((low + w - 1).min(self.opts.age_top.saturating_sub(1))),
        }
    }

    fn generic_source(src: &Source) -> Option<Source> {
        // Keep what describes the hardware class; drop app and device names, which may carry the owner's
        // name ("Hanako's Apple Watch") or reveal a niche app.
        let device = src.device.as_ref().map(|d| crate::record::SourceDevice {
            name: None,
            manufacturer: d.manufacturer.clone(),
            model: d.model.clone(),
            hardware: d.hardware.clone(),
            software: None,
        });
        let device = device
            .filter(|d| d.manufacturer.is_some() || d.model.is_some() || d.hardware.is_some());
        device.map(|d| Source {
            name: None,
            version: None,
            device: Some(d),
        })
    }
}

fn truncate(t: &Timestamp, g: super::rules::Granularity) -> Timestamp {
    use super::rules::Granularity;
    let naive = t.naive_local();
    let time = match g {
        Granularity::Day => NaiveTime::MIN,
        Granularity::Hour => NaiveTime::from_hms_opt(naive.hour(), 0, 0).unwrap_or(NaiveTime::MIN),
    };
    t.offset()
        .from_local_datetime(&naive.date().and_time(time))
        .single()
        .unwrap_or(*t)
}

fn random_unit() -> f64 {
    let mut b = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

fn keep_prefix(field: Field, v: &str, n: usize) -> String {
    if field.class == FieldClass::PostalCode {
        let digits: String = crate::record::fold_width(v)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        return digits.chars().take(n).collect();
    }
    v.chars().take(n).collect()
}

impl FieldVisitor for Engine {
    fn identifier(&mut self, field: Field, domain: Domain, system: &str, value: &str) -> IdAction {
        match self.method(field) {
            RuleMethod::Keep => {
                self.count(field, Method::Keep);
                IdAction::Keep
            }
            RuleMethod::CryptoHash => {
                self.count(field, Method::CryptoHash);
                let p = self.pseudonyms.pseudonym(domain, system, value);
                IdAction::Replace(Coding::new(
                    format!("{PSEUDONYM_SYSTEM}{}", domain.name()),
                    p,
                ))
            }
            RuleMethod::Encrypt => match self.pseudonyms.encrypt(value) {
                Ok(e) => {
                    self.count(field, Method::Encrypt);
                    IdAction::Replace(Coding::new(
                        format!("http://phrkit.dev/fhir/sid/encrypted/{}", domain.name()),
                        e,
                    ))
                }
                Err(_) => {
                    self.count(field, Method::Redact);
                    IdAction::Remove
                }
            },
            RuleMethod::Substitute(s) => {
                self.count(field, Method::Substitute);
                IdAction::Replace(Coding::new(system, s))
            }
            _ => {
                self.count(field, Method::Redact);
                IdAction::Remove
            }
        }
    }

    fn text(&mut self, field: Field, value: &mut Option<String>) {
        let Some(v) = value.as_deref() else { return };
        let (new, method) = match self.method(field) {
            RuleMethod::Keep => return self.count(field, Method::Keep),
            RuleMethod::CryptoHash => (
                Some(self.pseudonyms.pseudonym(Domain::Custom, field.path, v)),
                Method::CryptoHash,
            ),
            RuleMethod::Encrypt => match self.pseudonyms.encrypt(v) {
                Ok(e) => (Some(e), Method::Encrypt),
                Err(_) => (None, Method::Redact),
            },
            RuleMethod::Substitute(s) => (Some(s), Method::Substitute),
            RuleMethod::Generalize(Generalization::KeepPrefix(n)) => {
                (Some(keep_prefix(field, v, n)), Method::Generalize)
            }
            _ => (None, Method::Redact),
        };
        self.count(field, method);
        *value = new.filter(|s| !s.is_empty());
    }

    fn birth(&mut self, field: Field, birth: &mut Birth) {
        let method = self.method(field);
        let date = birth.date;
        match (method, date) {
            (RuleMethod::Keep, _) => self.count(field, Method::Keep),
            (RuleMethod::Generalize(Generalization::BirthYear), Some(d)) => {
                *birth = Birth {
                    date: None,
                    year: Some(d.year()),
                    age_band: None,
                };
                self.count(field, Method::Generalize);
            }
            (RuleMethod::Generalize(Generalization::AgeBand), Some(d)) => {
                *birth = Birth {
                    date: None,
                    year: None,
                    age_band: Some(self.age_band(d)),
                };
                self.count(field, Method::Generalize);
            }
            (RuleMethod::DateShift, Some(d)) => {
                birth.date = Some(Pseudonyms::shift_date(&d, self.offset_days));
                self.count(field, Method::DateShift);
            }
            (RuleMethod::Generalize(_), None) => {
                // Already generalised (a year or a band): nothing finer to remove.
                self.count(field, Method::Keep)
            }
            _ => {
                *birth = Birth::default();
                self.count(field, Method::Redact);
            }
        }
    }

    fn keep(&mut self, field: Field) -> bool {
        let keep = matches!(self.method(field), RuleMethod::Keep);
        self.count(field, if keep { Method::Keep } else { Method::Redact });
        keep
    }

    fn timestamp(&mut self, field: Field, value: &mut Timestamp) {
        match self.method(field) {
            RuleMethod::DateShift => {
                *value = self.shift(value);
                self.count(field, Method::DateShift);
            }
            RuleMethod::Generalize(Generalization::Truncate(g)) => {
                *value = truncate(value, g);
                self.count(field, Method::Generalize);
            }
            _ => self.count(field, Method::Keep),
        }
    }

    fn date(&mut self, field: Field, value: &mut NaiveDate) {
        match self.method(field) {
            RuleMethod::DateShift => {
                *value = Pseudonyms::shift_date(value, self.offset_days);
                self.count(field, Method::DateShift);
            }
            _ => self.count(field, Method::Keep),
        }
    }

    fn decimal(&mut self, field: Field, value: &mut Decimal) {
        match self.method(field) {
            RuleMethod::Perturb {
                span,
                proportional,
                round_to,
            } => {
                let width = if proportional { *value * span } else { span };
                let noise = Decimal::from_f64_retain(random_unit() * 2.0 - 1.0).unwrap_or_default();
                let v = (*value + width * noise)
                    .round_dp(round_to)
                    .max(Decimal::ZERO);
                *value = v;
                self.count(field, Method::Perturb);
            }
            RuleMethod::Generalize(Generalization::RoundTo(step)) if !step.is_zero() => {
                *value = (*value / step).floor() * step;
                self.count(field, Method::Generalize);
            }
            RuleMethod::Substitute(s) => match s.parse::<Decimal>() {
                Ok(d) => {
                    *value = d;
                    self.count(field, Method::Substitute);
                }
                Err(_) => self.count(field, Method::Keep),
            },
            _ => self.count(field, Method::Keep),
        }
    }

    fn source(&mut self, field: Field, value: &Arc<Source>) -> Option<Arc<Source>> {
        let method = self.method(field);
        let (out, m) = match method {
            RuleMethod::Keep => (Some(value.clone()), Method::Keep),
            RuleMethod::Generalize(_) => {
                if let Some((orig, repl)) = &self.last_source {
                    if Arc::ptr_eq(orig, value) {
                        let r = repl.clone();
                        self.count(field, Method::Generalize);
                        return r;
                    }
                }
                let cached = match self.sources.get(value) {
                    Some(c) => c.clone(),
                    None => {
                        let g = Engine::generic_source(value).map(Arc::new);
                        self.sources.insert(value.clone(), g.clone());
                        g
                    }
                };
                self.last_source = Some((value.clone(), cached.clone()));
                (cached, Method::Generalize)
            }
            _ => (None, Method::Redact),
        };
        self.count(field, m);
        out
    }
}
