//! The FHIR R4 Consent structure as phrkit evaluates it (`shared/spec/privacy.md` §1.1).
//!
//! The model mirrors R4 element by element (status, scope, category, patient, dateTime, performer,
//! organization, policy, policyRule, provision tree) so that import and export round-trip; only
//! `source[x]` and `verification` are kept opaque-free by leaving them out (they play no part in a decision;
//! the importer counts them as ignored).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::record::{Coding, Timestamp};

/// `Consent.status`. Only [`ConsentStatus::Active`] authorises anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsentStatus {
    /// draft
    Draft,
    /// proposed
    Proposed,
    /// active
    Active,
    /// rejected
    Rejected,
    /// inactive
    Inactive,
    /// entered-in-error
    EnteredInError,
}

impl ConsentStatus {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            ConsentStatus::Draft => "draft",
            ConsentStatus::Proposed => "proposed",
            ConsentStatus::Active => "active",
            ConsentStatus::Rejected => "rejected",
            ConsentStatus::Inactive => "inactive",
            ConsentStatus::EnteredInError => "entered-in-error",
        }
    }

    /// Inverse of [`ConsentStatus::code`].
    pub fn from_code(code: &str) -> Option<ConsentStatus> {
        [
            ConsentStatus::Draft,
            ConsentStatus::Proposed,
            ConsentStatus::Active,
            ConsentStatus::Rejected,
            ConsentStatus::Inactive,
            ConsentStatus::EnteredInError,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// `provision.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProvisionType {
    /// The rule denies what it matches.
    Deny,
    /// The rule permits what it matches.
    Permit,
}

impl ProvisionType {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            ProvisionType::Deny => "deny",
            ProvisionType::Permit => "permit",
        }
    }
}

/// A FHIR `CodeableConcept`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CodeableConcept {
    /// Codings.
    pub coding: Vec<Coding>,
    /// Text.
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept with one coding.
    pub fn of(system: &str, code: &str) -> CodeableConcept {
        CodeableConcept {
            coding: vec![Coding::new(system, code)],
            text: None,
        }
    }

    /// Whether any coding equals `c` by system and code.
    pub fn has(&self, c: &Coding) -> bool {
        self.coding.iter().any(|x| same_code(x, c))
    }
}

/// Equality of codings by system and code (display is never significant).
pub fn same_code(a: &Coding, b: &Coding) -> bool {
    a.system == b.system && a.code == b.code
}

/// A FHIR `Reference`: literal reference, logical identifier, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Literal reference (`Organization/research-partner`).
    pub reference: Option<String>,
    /// Logical identifier (system + value, as a [`Coding`] with `code` = value).
    pub identifier: Option<Coding>,
    /// Display text.
    pub display: Option<String>,
}

impl Reference {
    /// A literal reference.
    pub fn to(reference: &str) -> Reference {
        Reference {
            reference: Some(reference.to_owned()),
            ..Reference::default()
        }
    }

    /// Whether two references point at the same thing: equal literal references, or equal identifiers.
    pub fn same_target(&self, other: &Reference) -> bool {
        let lit = matches!((&self.reference, &other.reference), (Some(a), Some(b)) if a == b);
        let ident =
            matches!((&self.identifier, &other.identifier), (Some(a), Some(b)) if same_code(a, b));
        lit || ident
    }
}

/// One bound of a FHIR `Period`: kept as written (for round trips) plus the instants it covers.
///
/// A partial date (`2025`, `2025-04`, `2025-04-01`) covers a whole year, month or day. FHIR dates carry no
/// zone; phrkit reads them in Japan Standard Time (+09:00), the zone of the people the data is about
/// (design choice).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateBound {
    text: String,
    first: Timestamp,
    last: Timestamp,
}

/// The offset zone-less FHIR dates are read in (JST).
pub fn jst() -> FixedOffset {
    // 9 h is always in range; the fallback only satisfies the type checker.
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc))
}

impl DateBound {
    /// Parses a FHIR `date` or `dateTime`; `None` when malformed.
    pub fn parse(text: &str) -> Option<DateBound> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(DateBound {
                text: text.to_owned(),
                first: t,
                last: t,
            });
        }
        let (first_day, last_day) = partial_date_range(text)?;
        let start = jst()
            .from_local_datetime(&first_day.and_time(NaiveTime::MIN))
            .single()?;
        let end_time = NaiveTime::from_hms_milli_opt(23, 59, 59, 999)?;
        let end = jst()
            .from_local_datetime(&last_day.and_time(end_time))
            .single()?;
        Some(DateBound {
            text: text.to_owned(),
            first: start,
            last: end,
        })
    }

    /// The bound as written.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The earliest instant the bound covers.
    pub fn first(&self) -> &Timestamp {
        &self.first
    }
    /// The latest instant the bound covers.
    pub fn last(&self) -> &Timestamp {
        &self.last
    }
}

fn partial_date_range(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let parts: Vec<&str> = text.split('-').collect();
    let num = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match parts.as_slice() {
        [y] => {
            let y = i32::try_from(num(y, 4)?).ok()?;
            Some((
                NaiveDate::from_ymd_opt(y, 1, 1)?,
                NaiveDate::from_ymd_opt(y, 12, 31)?,
            ))
        }
        [y, m] => {
            let y = i32::try_from(num(y, 4)?).ok()?;
            let m = num(m, 2)?;
            let first = NaiveDate::from_ymd_opt(y, m, 1)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((first, next.pred_opt()?))
        }
        [y, m, d] => {
            let day =
                NaiveDate::from_ymd_opt(i32::try_from(num(y, 4)?).ok()?, num(m, 2)?, num(d, 2)?)?;
            Some((day, day))
        }
        _ => None,
    }
}

/// A FHIR `Period` with either end open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConsentPeriod {
    /// Start, inclusive.
    pub start: Option<DateBound>,
    /// End, inclusive (a date end covers its whole day).
    pub end: Option<DateBound>,
}

impl ConsentPeriod {
    /// Whether the instant lies in the period.
    pub fn contains(&self, at: &Timestamp) -> bool {
        self.start.as_ref().is_none_or(|s| at >= s.first())
            && self.end.as_ref().is_none_or(|e| at <= e.last())
    }

    /// Whether `[from, to]` overlaps the period.
    pub fn overlaps(&self, from: &Timestamp, to: &Timestamp) -> bool {
        self.start.as_ref().is_none_or(|s| to >= s.first())
            && self.end.as_ref().is_none_or(|e| from <= e.last())
    }
}

/// `provision.actor`: who the rule is about (the recipient, for disclosure).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProvisionActor {
    /// The actor's role (e.g. v3-ParticipationType `IRCP`, information recipient).
    pub role: CodeableConcept,
    /// The actor.
    pub reference: Reference,
}

/// `provision.data`: a specific resource the rule is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProvisionData {
    /// `instance` | `related` | `dependents` | `authoredby`.
    pub meaning: String,
    /// The resource.
    pub reference: Reference,
}

/// One rule of the provision tree; nested provisions are exceptions to their parent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Provision {
    /// permit or deny; absent means "no decision of its own" (only its exceptions decide).
    pub r#type: Option<ProvisionType>,
    /// When the rule is in force.
    pub period: Option<ConsentPeriod>,
    /// Recipients / accessors the rule is about (any of them).
    pub actor: Vec<ProvisionActor>,
    /// Actions (collect, access, use, disclose, correct).
    pub action: Vec<CodeableConcept>,
    /// Security labels the data must carry.
    pub security_label: Vec<Coding>,
    /// Purposes of use (v3 PurposeOfUse / ActReason).
    pub purpose: Vec<Coding>,
    /// Record classes: a FHIR resource type (system `http://hl7.org/fhir/resource-types`), a profile URL, or
    /// a phrkit record type name (system [`crate::policy::consent::PHRKIT_RECORD_TYPE`]).
    pub class: Vec<Coding>,
    /// Codes of the data (any coding of the resource's code).
    pub code: Vec<CodeableConcept>,
    /// Which data times are covered.
    pub data_period: Option<ConsentPeriod>,
    /// Specific resources.
    pub data: Vec<ProvisionData>,
    /// Exceptions.
    pub provision: Vec<Provision>,
}

/// `Consent.policy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PolicyRef {
    /// Enforcing authority.
    pub authority: Option<String>,
    /// The policy text.
    pub uri: Option<String>,
}

/// A FHIR R4 Consent, as evaluated by [`super::decide`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConsentPolicy {
    /// `Consent.id`, used as the rule id prefix in decisions.
    pub id: Option<String>,
    /// Business identifiers.
    pub identifier: Vec<Coding>,
    /// Status.
    pub status: ConsentStatus,
    /// Scope (patient-privacy, research, …).
    pub scope: CodeableConcept,
    /// Categories (at least one).
    pub category: Vec<CodeableConcept>,
    /// The data subject (phrkit requires it for every scope: ppc-2…5 are not enforced by validators).
    pub patient: Option<Reference>,
    /// When the consent was captured (as written).
    pub date_time: Option<String>,
    /// Who gave the consent (grantor).
    pub performer: Vec<Reference>,
    /// Custodian (grantee side: the PHR operator).
    pub organization: Vec<Reference>,
    /// Policies referred to (ppc-1: `policy` or `policyRule` must be present).
    pub policy: Vec<PolicyRef>,
    /// Policy rule code.
    pub policy_rule: Option<CodeableConcept>,
    /// The root rule.
    pub provision: Option<Provision>,
    /// `meta.profile` URLs (JP_Consent when written by phrkit).
    pub profile: Vec<String>,
}

impl ConsentPolicy {
    /// An active consent with the JP_Consent profile and no provision (the caller fills in the rest).
    pub fn new(status: ConsentStatus, scope: CodeableConcept) -> ConsentPolicy {
        ConsentPolicy {
            id: None,
            identifier: Vec::new(),
            status,
            scope,
            category: Vec::new(),
            patient: None,
            date_time: None,
            performer: Vec::new(),
            organization: Vec::new(),
            policy: Vec::new(),
            policy_rule: None,
            provision: None,
            profile: vec![JP_CONSENT_PROFILE.to_owned()],
        }
    }
}

/// The JP Core Consent profile (a placeholder without constraints, `privacy.md` §1.1).
pub const JP_CONSENT_PROFILE: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Consent";
