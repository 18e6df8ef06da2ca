//! Consent enforcement for exports: every record is decided; denied ones are left out and counted by the
//! rule that denied them (`skipped["consent-denied:<rule>"]`), so "nothing lost silently" still holds.
//!
//! Privacy by default: a third-party export without any consent is refused up front with
//! [`ErrorKind::ConsentDenied`]. The only way around it is [`ConsentMode::DangerLocalNoConsent`], named so
//! that it stands out in code review; it is meant for a person exporting their own data to themselves.

use std::collections::BTreeMap;

use crate::error::{ErrorKind, Location, Result};
use crate::record::{Coding, Record, Subject, Timestamp};
use crate::report::Report;

use super::consent::{ConsentSet, Decision, DecisionReason, Recipient};
use super::facts::record_facts;

/// Whether consent is enforced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConsentMode {
    /// Every record needs a permitting consent (the default).
    #[default]
    Enforce,
    /// No consent check at all. Only for local use by the data subject (their own device, their own
    /// backup); never for disclosure to anyone else.
    DangerLocalNoConsent,
}

/// Everything an export needs to decide: the consents, who receives the data, why, and when.
#[derive(Clone, Debug)]
pub struct ExportContext {
    /// The data subject's consents.
    pub consents: ConsentSet,
    /// The recipient.
    pub recipient: Recipient,
    /// Purpose of use.
    pub purpose: Coding,
    /// When the export happens (decisions are evaluated at this instant).
    pub at: Timestamp,
    /// Enforce (default) or the local danger opt-out.
    pub mode: ConsentMode,
}

impl ExportContext {
    /// An enforcing context.
    pub fn new(
        consents: ConsentSet,
        recipient: Recipient,
        purpose: Coding,
        at: Timestamp,
    ) -> ExportContext {
        ExportContext {
            consents,
            recipient,
            purpose,
            at,
            mode: ConsentMode::Enforce,
        }
    }
}

/// What the filter let through or held back, for the Provenance and AuditEvent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsentTally {
    /// Records permitted, by record type.
    pub permitted: BTreeMap<String, u64>,
    /// Records denied, by reason code `consent-denied:<rule>`.
    pub denied: BTreeMap<String, u64>,
    /// Consent rules that permitted at least one record (`Consent/c1#provision.provision[0]`).
    pub permitting_rules: BTreeMap<String, u64>,
}

/// What the writer should do with a record after the consent check.
#[derive(Clone, Debug, PartialEq)]
pub enum Admission {
    /// Write the record as it is.
    Write,
    /// The record is withheld. If it was a subject, write this placeholder instead so that following
    /// permitted records are not attributed to an earlier person (the placeholder identifies only the
    /// position of the subject in this export, never the person).
    Withhold(Option<Box<Subject>>),
}

/// Decides record after record of a stream.
#[derive(Debug)]
pub struct ConsentFilter<'a> {
    ctx: &'a ExportContext,
    subject: Option<Subject>,
    subjects_seen: u64,
    report: Report,
    tally: ConsentTally,
}

/// Identifier system of the placeholder written for a withheld subject.
pub const WITHHELD_SUBJECT: &str = "http://phrkit.dev/fhir/sid/withheld-subject";

impl<'a> ConsentFilter<'a> {
    /// A filter; refuses an enforcing context without any consent (privacy by default).
    pub fn new(ctx: &'a ExportContext) -> Result<ConsentFilter<'a>> {
        if ctx.mode == ConsentMode::Enforce && ctx.consents.is_empty() {
            return Err(ErrorKind::ConsentDenied(
                "no consent given for a third-party export (default deny)".to_owned(),
            )
            .into());
        }
        Ok(ConsentFilter {
            ctx,
            subject: None,
            subjects_seen: 0,
            report: Report::default(),
            tally: ConsentTally::default(),
        })
    }

    /// The decision for one record (without counting it).
    pub fn decision(&self, record: &Record) -> Decision {
        if self.ctx.mode == ConsentMode::DangerLocalNoConsent {
            return Decision {
                permit: true,
                rule: "danger-local-no-consent".to_owned(),
                reason: DecisionReason::Permitted,
            };
        }
        let subject = match record {
            Record::Subject(s) => Some(&**s),
            _ => self.subject.as_ref(),
        };
        let action = super::consent::disclose();
        let req = super::consent::AccessRequest {
            recipient: &self.ctx.recipient,
            purpose: &self.ctx.purpose,
            action: &action,
            at: self.ctx.at,
        };
        self.ctx
            .consents
            .decide_request(&record_facts(record), subject, &req)
    }

    /// Checks one record and counts the outcome.
    pub fn admit(&mut self, record: &Record) -> Admission {
        let d = self.decision(record);
        if let Record::Subject(s) = record {
            self.subject = Some((**s).clone());
            self.subjects_seen += 1;
        }
        self.report.items_read += 1;
        if d.permit {
            let t = record.type_name();
            self.report.converted(&t);
            *self.tally.permitted.entry(t.into_owned()).or_insert(0) += 1;
            *self.tally.permitting_rules.entry(d.rule).or_insert(0) += 1;
            return Admission::Write;
        }
        let reason = format!("consent-denied:{}", d.rule);
        self.report.skip(
            &reason,
            Location::None,
            format!("{} withheld: {}", record.type_name(), d.reason.code()),
        );
        *self.tally.denied.entry(reason).or_insert(0) += 1;
        let placeholder = matches!(record, Record::Subject(_)).then(|| {
            Box::new(Subject {
                identifiers: vec![Coding::new(
                    WITHHELD_SUBJECT,
                    self.subjects_seen.to_string(),
                )],
                ..Subject::default()
            })
        });
        Admission::Withhold(placeholder)
    }

    /// The counts so far: items read = permitted + skipped by reason.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The tally so far.
    pub fn tally(&self) -> &ConsentTally {
        &self.tally
    }

    /// Consumes the filter.
    pub fn finish(self) -> (Report, ConsentTally) {
        (self.report, self.tally)
    }
}
