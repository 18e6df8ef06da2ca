//! The streaming front end: one record in, one processed record (with its security labels) out.

use crate::error::Result;
use crate::record::{Coding, Record};

use super::engine::{Engine, Profile, PseudonymiseOptions};
use super::fields::as_pseudonymisable;
use super::key::PseudonymKey;
use super::pseudonym::{Pseudonyms, PSEUDONYM_SYSTEM};
use super::report::ChangeReport;
use super::rules::RuleSet;

/// A processed record and the `meta.security` labels its resource must carry.
///
/// Labels travel next to the record rather than inside it: records stay format-free, and the writer gets
/// them through [`crate::write::FhirWriter::set_security_labels`] (see [`crate::write::export`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    /// The record.
    pub record: Record,
    /// HL7 v3-ObservationValue codes (`PSEUDED` / `ANONYED`, plus `REDACTED`, `MASKED`, `ABSTRED`).
    pub labels: Vec<Coding>,
}

/// Applies a profile or a rule set record by record (streaming, bounded memory).
pub struct Pseudonymiser {
    engine: Engine,
    report: ChangeReport,
}

impl Pseudonymiser {
    /// A pseudonymiser for a built-in profile under `key`.
    ///
    /// For [`Profile::Anonymised`] prefer [`super::anonymise`], which also uses a throw-away key, codes
    /// outliers and enforces k-anonymity; this streaming form only applies the field rules.
    pub fn new(
        key: &PseudonymKey,
        profile: Profile,
        opts: PseudonymiseOptions,
    ) -> Result<Pseudonymiser> {
        Self::build(key, Some(profile), None, opts, profile.name())
    }

    /// A pseudonymiser driven by a rule file (unmatched fields follow the file's base profile).
    pub fn with_rules(
        key: &PseudonymKey,
        rules: RuleSet,
        opts: PseudonymiseOptions,
    ) -> Result<Pseudonymiser> {
        Self::build(key, None, Some(rules), opts, "rules")
    }

    fn build(
        key: &PseudonymKey,
        profile: Option<Profile>,
        rules: Option<RuleSet>,
        opts: PseudonymiseOptions,
        name: &str,
    ) -> Result<Pseudonymiser> {
        let pseudonyms = Pseudonyms::new(key, &opts.context)?
            .with_date_shift(opts.max_shift_days, opts.weekday_preserving);
        let report = ChangeReport {
            profile: name.to_owned(),
            key_id: pseudonyms.key_id().to_owned(),
            ..ChangeReport::default()
        };
        Ok(Pseudonymiser {
            engine: Engine::new(pseudonyms, opts, profile, rules),
            report,
        })
    }

    /// The pseudonym functions (for callers that pseudonymise ids outside records, and for tests).
    pub fn pseudonyms(&self) -> &Pseudonyms {
        &self.engine.pseudonyms
    }

    pub(crate) fn set_key_id(&mut self, id: &str) {
        self.report.key_id = id.to_owned();
    }

    /// Processes one record. `Ok(None)` when the record could not be rebuilt after processing (e.g. a
    /// perturbation produced an invalid value); it is counted in `failed`, not written.
    pub fn apply(&mut self, mut record: Record) -> Result<Option<Labelled>> {
        self.report.records_in += 1;
        // A checkup carries its own subject: it starts that person (pseudonym, date offset) just as a
        // Subject record does, so an archive of many people's checkups is not shifted by one offset.
        let subject_pseudonym = match &record {
            Record::Subject(s) => self.engine.begin_subject(s),
            Record::Checkup(c) => self.engine.begin_subject(&c.subject),
            _ => None,
        };
        if let Err(e) = as_pseudonymisable(&mut record).visit_fields(&mut self.engine) {
            let _ = self.engine.take_labels();
            *self
                .report
                .failed
                .entry(format!("invalid-after-processing: {e}"))
                .or_insert(0) += 1;
            return Ok(None);
        }
        let subject = match &mut record {
            Record::Subject(s) => Some(&mut **s),
            Record::Checkup(c) => Some(&mut c.subject),
            _ => None,
        };
        if let (Some(s), Some(p)) = (subject, subject_pseudonym) {
            if s.identifiers.is_empty() && s.insured_id.is_none() {
                s.identifiers
                    .push(Coding::new(format!("{PSEUDONYM_SYSTEM}subject"), p));
                self.engine.note_subject_pseudonym();
            }
        }
        let labels = self.engine.take_labels();
        for l in &labels {
            *self.report.labels.entry(l.code.clone()).or_insert(0) += 1;
        }
        self.report.records_out += 1;
        Ok(Some(Labelled { record, labels }))
    }

    /// The change report so far.
    pub fn report(&self) -> ChangeReport {
        let mut r = self.report.clone();
        for ((path, method), n) in &self.engine.counts {
            *r.fields
                .entry((*path).to_owned())
                .or_default()
                .entry(*method)
                .or_insert(0) += n;
        }
        r
    }

    pub(crate) fn report_mut(&mut self) -> &mut ChangeReport {
        &mut self.report
    }
}
