//! The decision function: one consent (or a set) × one record × one request → permit or deny, with the
//! rule that decided (`privacy.md` §1.2).
//!
//! Semantics (the library's reading of R4, consistent with IHE PCF and LEAP):
//! - only `active` consents decide, and only while the root provision's `period` contains the request time;
//! - a provision applies when every criterion it states matches (AND across elements, OR inside one);
//! - the root's `type` is the base decision; a nested provision that applies overrides its parent, the
//!   deepest applying provision wins; among applying siblings a deny beats a permit;
//! - nothing applies, or no type anywhere on the path → deny (base policy: no disclosure to third parties).

use crate::record::{Coding, Record, Subject, Timestamp};

use super::model::{same_code, ConsentPolicy, ConsentStatus, Provision, ProvisionType, Reference};
use crate::policy::facts::{record_facts, RecordFacts};

/// Code system of consent actions (`disclose`, `access`, …) (URI as used in the R4 examples, unverified).
pub const CONSENT_ACTION: &str = "http://terminology.hl7.org/CodeSystem/consentaction";
/// Code system for phrkit record type names in `provision.class` (`stepCount`, `subject`, …).
pub const PHRKIT_RECORD_TYPE: &str = "http://phrkit.dev/fhir/CodeSystem/record-type";
/// FHIR resource types as a code system, for `provision.class`.
pub const RESOURCE_TYPES: &str = "http://hl7.org/fhir/resource-types";

/// Who would receive or access the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The recipient (`Organization/research-partner`, or an identifier).
    pub reference: Reference,
    /// The role it acts in, if the caller knows it (matched against `actor.role` when both are given).
    pub role: Option<Coding>,
}

impl Recipient {
    /// A recipient by literal reference.
    pub fn to(reference: &str) -> Recipient {
        Recipient {
            reference: Reference::to(reference),
            role: None,
        }
    }
}

/// One access request: who, why, what action, when.
#[derive(Clone, Debug)]
pub struct AccessRequest<'a> {
    /// The recipient.
    pub recipient: &'a Recipient,
    /// Purpose of use.
    pub purpose: &'a Coding,
    /// Action (`disclose` for exports).
    pub action: &'a Coding,
    /// When the access happens.
    pub at: Timestamp,
}

/// Why a decision came out as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecisionReason {
    /// A permit provision applied.
    Permitted,
    /// A deny provision applied.
    DeniedByProvision,
    /// No provision with a type applied: the base policy (no disclosure) denies.
    DeniedByBasePolicy,
    /// The consent is not `active`.
    NotActive,
    /// The consent's root period does not contain the request time.
    OutsidePeriod,
    /// No active consent covers the request (consent sets only).
    NoConsent,
}

impl DecisionReason {
    /// A stable code for reports.
    pub fn code(self) -> &'static str {
        match self {
            DecisionReason::Permitted => "permitted",
            DecisionReason::DeniedByProvision => "denied-by-provision",
            DecisionReason::DeniedByBasePolicy => "denied-by-base-policy",
            DecisionReason::NotActive => "consent-not-active",
            DecisionReason::OutsidePeriod => "consent-outside-period",
            DecisionReason::NoConsent => "no-consent",
        }
    }
}

/// The outcome for one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the record may go.
    pub permit: bool,
    /// The rule that decided: `Consent/<id>#provision.provision[0]`, `Consent/<id>#status`, or `no-consent`.
    pub rule: String,
    /// Why.
    pub reason: DecisionReason,
}

/// Evaluates one consent for a disclosure of `record` to `recipient` for `purpose` at `at`.
pub fn decide(
    policy: &ConsentPolicy,
    record: &Record,
    recipient: &Recipient,
    purpose: &Coding,
    at: Timestamp,
) -> Decision {
    let action = disclose();
    let req = AccessRequest {
        recipient,
        purpose,
        action: &action,
        at,
    };
    decide_request(policy, &record_facts(record), &req)
}

/// The `disclose` action coding.
pub fn disclose() -> Coding {
    Coding::new(CONSENT_ACTION, "disclose")
}

fn consent_label(policy: &ConsentPolicy) -> String {
    format!("Consent/{}", policy.id.as_deref().unwrap_or("-"))
}

/// Evaluates one consent for a request about a record with the given facts.
pub fn decide_request(
    policy: &ConsentPolicy,
    facts: &RecordFacts,
    req: &AccessRequest<'_>,
) -> Decision {
    let label = consent_label(policy);
    if policy.status != ConsentStatus::Active {
        return Decision {
            permit: false,
            rule: format!("{label}#status"),
            reason: DecisionReason::NotActive,
        };
    }
    let Some(root) = &policy.provision else {
        return base_deny(&label, "provision");
    };
    if root.period.as_ref().is_some_and(|p| !p.contains(&req.at)) {
        return Decision {
            permit: false,
            rule: format!("{label}#provision.period"),
            reason: DecisionReason::OutsidePeriod,
        };
    }
    match evaluate(root, "provision".to_owned(), facts, req) {
        Some((ProvisionType::Permit, path)) => Decision {
            permit: true,
            rule: format!("{label}#{path}"),
            reason: DecisionReason::Permitted,
        },
        Some((ProvisionType::Deny, path)) => Decision {
            permit: false,
            rule: format!("{label}#{path}"),
            reason: DecisionReason::DeniedByProvision,
        },
        None => base_deny(&label, "provision"),
    }
}

fn base_deny(label: &str, path: &str) -> Decision {
    Decision {
        permit: false,
        rule: format!("{label}#{path}"),
        reason: DecisionReason::DeniedByBasePolicy,
    }
}

/// The deepest applying typed provision under (and including) `p`, if `p` applies.
fn evaluate(
    p: &Provision,
    path: String,
    facts: &RecordFacts,
    req: &AccessRequest<'_>,
) -> Option<(ProvisionType, String)> {
    if !applies(p, facts, req) {
        return None;
    }
    let mut from_children: Option<(ProvisionType, String)> = None;
    for (i, child) in p.provision.iter().enumerate() {
        if let Some(found) = evaluate(child, format!("{path}.provision[{i}]"), facts, req) {
            // Among applying siblings a deny wins; the first of equal type is reported.
            let replace = match &from_children {
                None => true,
                Some((t, _)) => *t == ProvisionType::Permit && found.0 == ProvisionType::Deny,
            };
            if replace {
                from_children = Some(found);
            }
        }
    }
    from_children.or_else(|| p.r#type.map(|t| (t, path)))
}

/// Whether every criterion the provision states matches.
fn applies(p: &Provision, facts: &RecordFacts, req: &AccessRequest<'_>) -> bool {
    let period_ok = p.period.as_ref().is_none_or(|per| per.contains(&req.at));
    let actor_ok = p.actor.is_empty()
        || p.actor.iter().any(|a| {
            a.reference.same_target(&req.recipient.reference)
                && req
                    .recipient
                    .role
                    .as_ref()
                    .is_none_or(|r| a.role.coding.is_empty() || a.role.has(r))
        });
    let action_ok = p.action.is_empty() || p.action.iter().any(|a| a.has(req.action));
    let purpose_ok = p.purpose.is_empty() || p.purpose.iter().any(|c| same_code(c, req.purpose));
    let class_ok = p.class.is_empty() || p.class.iter().any(|c| class_matches(c, facts));
    let code_ok = p.code.is_empty()
        || p.code
            .iter()
            .any(|cc| facts.codes.iter().any(|c| cc.has(c)));
    let label_ok = p.security_label.is_empty()
        || p.security_label
            .iter()
            .any(|l| facts.security.iter().any(|s| same_code(l, s)));
    let data_period_ok = p.data_period.as_ref().is_none_or(|dp| {
        facts
            .data_time
            .as_ref()
            .is_some_and(|(from, to)| dp.overlaps(from, to))
    });
    // `provision.data` names resource instances; records have no stable resource id before writing, so a
    // provision restricted to specific instances never applies (conservative: such rules cannot widen a
    // permit, and deny exceptions on instances are not honoured — documented limitation).
    let data_ok = p.data.is_empty();
    period_ok
        && actor_ok
        && action_ok
        && purpose_ok
        && class_ok
        && code_ok
        && label_ok
        && data_period_ok
        && data_ok
}

fn class_matches(c: &Coding, facts: &RecordFacts) -> bool {
    if c.system == RESOURCE_TYPES {
        return c.code == facts.resource_type;
    }
    if c.system == PHRKIT_RECORD_TYPE {
        return c.code == facts.type_name;
    }
    // A profile URL: phrkit profiles are JP Core ones named after the resource family.
    c.code.ends_with(&format!("/JP_{}", facts.resource_type))
        || c.code.contains(&format!("/JP_{}_", facts.resource_type))
}

/// Several consents of one data subject, decided together.
///
/// A request is permitted when at least one active, in-period consent permits it and none denies it by a
/// provision that specifically matched (a deny beats a permit, `privacy.md` §1.2 rule 6). A consent whose
/// only answer is its base policy (root deny without criteria, or nothing applied) does not "cover" the
/// request; when nothing permits, the first candidate consent's base answer is reported (so reports name
/// the rule, e.g. `Consent/c1#provision`). With no active, in-period consent for the subject the answer is
/// deny with [`DecisionReason::NoConsent`] (default deny).
#[derive(Clone, Debug, Default)]
pub struct ConsentSet {
    consents: Vec<ConsentPolicy>,
}

impl ConsentSet {
    /// A set of consents.
    pub fn new(consents: Vec<ConsentPolicy>) -> ConsentSet {
        ConsentSet { consents }
    }

    /// The consents.
    pub fn consents(&self) -> &[ConsentPolicy] {
        &self.consents
    }

    /// Whether the set holds no consent at all.
    pub fn is_empty(&self) -> bool {
        self.consents.is_empty()
    }

    /// Decides a disclosure of `record` (about `subject`, the most recent subject of the stream).
    pub fn decide(
        &self,
        record: &Record,
        subject: Option<&Subject>,
        recipient: &Recipient,
        purpose: &Coding,
        at: Timestamp,
    ) -> Decision {
        let action = disclose();
        let req = AccessRequest {
            recipient,
            purpose,
            action: &action,
            at,
        };
        self.decide_request(&record_facts(record), subject, &req)
    }

    /// Decides a request about a record with the given facts.
    pub fn decide_request(
        &self,
        facts: &RecordFacts,
        subject: Option<&Subject>,
        req: &AccessRequest<'_>,
    ) -> Decision {
        let mut permit: Option<Decision> = None;
        // The base-policy answer of the first candidate consent, reported when nothing else decides.
        let mut base: Option<Decision> = None;
        for c in &self.consents {
            if !patient_matches(c, subject) {
                continue;
            }
            let d = decide_request(c, facts, req);
            match d.reason {
                DecisionReason::DeniedByProvision if covers_specifically(c, &d) => return d,
                DecisionReason::Permitted if permit.is_none() => permit = Some(d),
                DecisionReason::DeniedByProvision | DecisionReason::DeniedByBasePolicy
                    if base.is_none() =>
                {
                    base = Some(d)
                }
                _ => {}
            }
        }
        permit.or(base).unwrap_or_else(|| Decision {
            permit: false,
            rule: "no-consent".to_owned(),
            reason: DecisionReason::NoConsent,
        })
    }
}

/// A deny counts against other consents' permits only when it came from a nested provision or from a root
/// that states at least one criterion (a bare root deny is the base policy, not a statement about this
/// recipient).
fn covers_specifically(c: &ConsentPolicy, d: &Decision) -> bool {
    let nested = d.rule.contains(".provision[");
    nested || c.provision.as_ref().is_some_and(has_criteria)
}

fn has_criteria(p: &Provision) -> bool {
    !(p.actor.is_empty()
        && p.action.is_empty()
        && p.purpose.is_empty()
        && p.class.is_empty()
        && p.code.is_empty()
        && p.security_label.is_empty()
        && p.data_period.is_none()
        && p.data.is_empty())
}

/// Whether the consent is about this subject.
///
/// When the consent's patient carries a logical identifier, the subject must carry the same identifier
/// (its insured-person id counts under the JP insured-id system). A literal reference alone (`Patient/p1`)
/// cannot be checked against a record, so it matches any subject: callers pass only the consents of the
/// person whose data they export (documented in the ConsentSet contract).
fn patient_matches(c: &ConsentPolicy, subject: Option<&Subject>) -> bool {
    let Some(ident) = c.patient.as_ref().and_then(|p| p.identifier.as_ref()) else {
        return true;
    };
    let Some(s) = subject else {
        return false;
    };
    let insured = s.insured_id.as_ref().is_some_and(|i| {
        crate::fhir::codes::is_insured_id(&ident.system) && i.to_jp_core() == ident.code
    });
    insured || s.identifiers.iter().any(|i| same_code(i, ident))
}
