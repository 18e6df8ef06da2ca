//! Consent and pseudonymisation for mobile apps: conversions into `phrkit::policy`, no rule of its own.
//!
//! Every call is batch-shaped (one call per dataset, never one per record):
//!
//! * [`Consent::from_fhir_json`] parses a FHIR R4 Consent (JP_Consent) into a handle;
//! * [`decide_consent`] answers permit/deny + deciding rule + reason for every record of a dataset;
//! * [`export_with_consent`] writes only what the consents permit as FHIR, with the Consent(s) and a
//!   Provenance at the end, and returns the AuditEvent JSON for the app's audit log. Without any consent
//!   it fails with `ConsentDenied` (default deny); the only way around is the explicitly named
//!   [`ConsentMode::DangerLocalNoConsent`], for a person exporting their own data to themselves;
//! * [`pseudonymise`] applies the 仮名加工 (pseudonymised) or 匿名加工 (anonymised) profile, or a rules
//!   document, and returns FHIR with `meta.security` labels plus the change report as JSON.
//!
//! Key handling: the key arrives as bytes (from the Android Keystore / iOS Keychain), is moved into
//! phrkit's `PseudonymKey` (zeroised on drop) and is never returned, logged or put into an error; errors
//! only give its length. Keys shorter than 32 bytes fail with `PhrkitError::Key`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use phrkit::policy::consent::{ConsentPolicy, ConsentSet, Recipient};
use phrkit::policy::enforce::{self, ExportContext};
use phrkit::policy::pseudonymise::{
    self as pseudo, AnonymiseOptions, Profile, PseudonymKey, Pseudonymiser, RuleSet,
};
use phrkit::record::{self, Record};
use phrkit::write::{export, WriteOptions};

use crate::dataset::{self, Dataset, OutputFormat, Report};
use crate::error::{guard, FfiResult, PhrkitError};
use crate::types::{self, Coding, Timestamp};

/// A parsed FHIR R4 Consent: an opaque handle, reused across calls without parsing again.
#[derive(Debug, uniffi::Object)]
pub struct Consent {
    policy: ConsentPolicy,
}

#[uniffi::export]
impl Consent {
    /// Parses a FHIR R4 Consent resource (JSON). Errors point at the element (`/provision/provision/0/type`)
    /// and never quote its value.
    #[uniffi::constructor]
    pub fn from_fhir_json(json: String) -> FfiResult<Arc<Consent>> {
        guard(|| {
            let policy = phrkit::fhir::consent::parse_consent(json.as_bytes())?;
            Ok(Arc::new(Consent { policy }))
        })
    }

    /// The consent's own id (`Consent.id`), if any: decisions name their rule as `Consent/<id>#…`.
    pub fn id(&self) -> FfiResult<Option<String>> {
        guard(|| Ok(self.policy.id.clone()))
    }

    /// `Consent.status` code (`active`, `inactive`, …); only `active` consents can permit.
    pub fn status(&self) -> FfiResult<String> {
        guard(|| Ok(self.policy.status.code().to_owned()))
    }

    /// The consent written back as FHIR R4 JSON (JP_Consent profile).
    pub fn to_fhir_json(&self) -> FfiResult<String> {
        guard(|| utf8(phrkit::fhir::consent::write_consent(&self.policy)))
    }
}

/// Who receives the data, why, and when: the question every consent decision answers.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConsentRequest {
    /// The recipient as a FHIR reference (`Organization/research-partner`), matched against
    /// `provision.actor.reference`.
    pub recipient: String,
    /// Purpose of use (e.g. `http://terminology.hl7.org/CodeSystem/v3-ActReason` `HRESCH`).
    pub purpose: Coding,
    /// When the disclosure happens; consent periods are evaluated at this instant.
    pub at: Timestamp,
}

/// The outcome of the consents for one record.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConsentDecision {
    /// Whether the record may be disclosed.
    pub permit: bool,
    /// The deciding rule: `Consent/<id>#provision.provision[0]`, `Consent/<id>#status` or `no-consent`.
    pub rule: String,
    /// Why: `permitted`, `denied-by-provision`, `denied-by-base-policy`, `consent-not-active`,
    /// `consent-outside-period`, `no-consent`.
    pub reason: String,
}

/// Whether an export enforces consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentMode {
    /// Every record needs a permitting consent; no consent at all fails with `ConsentDenied`.
    Enforce,
    /// DANGER: no consent check. Only for the data subject exporting to themselves (own backup, own
    /// device); never for disclosure to anyone else. Named so that it stands out in code review.
    DangerLocalNoConsent,
}

/// What an export under consent wrote and withheld.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConsentExport {
    /// The FHIR R4 output (permitted records, then the Consent(s) and a Provenance).
    pub fhir: String,
    /// Records written.
    pub permitted: u64,
    /// Records withheld.
    pub denied: u64,
    /// Records withheld, by `consent-denied:<rule>`.
    pub denied_by_rule: HashMap<String, u64>,
    /// Records written, by record type.
    pub permitted_by_type: HashMap<String, u64>,
    /// The consent account (items read = permitted + skipped by rule).
    pub report: Report,
    /// The FHIR AuditEvent (JSON) of this export, for the app's own audit log; not part of `fhir`.
    pub audit_event_json: String,
    /// Id of the Provenance at the end of `fhir`.
    pub provenance_id: String,
}

/// Decides every record of `dataset` against `consents` (one decision per record, in order).
///
/// A record is judged about the most recent subject before it (consents name their patient). With no
/// consent, or none active for the subject, the answer is deny with reason `no-consent`: a decision is
/// an answer, not an error.
#[uniffi::export]
pub fn decide_consent(
    dataset: Arc<Dataset>,
    consents: Vec<Arc<Consent>>,
    request: ConsentRequest,
) -> FfiResult<Vec<ConsentDecision>> {
    guard(|| {
        let set = consent_set(&consents);
        let (recipient, purpose, at) = request_parts(&request)?;
        let mut subject: Option<&record::Subject> = None;
        Ok(dataset
            .records
            .iter()
            .map(|r| {
                if let Record::Subject(s) = r {
                    subject = Some(s);
                }
                let d = set.decide(r, subject, &recipient, &purpose, at);
                ConsentDecision {
                    permit: d.permit,
                    rule: d.rule,
                    reason: d.reason.code().to_owned(),
                }
            })
            .collect())
    })
}

/// Writes `dataset` as FHIR for `request.recipient`, leaving out every record the consents deny.
///
/// In `Enforce` mode an empty `consents` list fails with `PhrkitError.ConsentDenied` before anything is
/// written (privacy by default).
#[uniffi::export]
pub fn export_with_consent(
    dataset: Arc<Dataset>,
    consents: Vec<Arc<Consent>>,
    request: ConsentRequest,
    format: OutputFormat,
    mode: ConsentMode,
) -> FfiResult<ConsentExport> {
    guard(|| {
        let (recipient, purpose, at) = request_parts(&request)?;
        let mut ctx = ExportContext::new(consent_set(&consents), recipient, purpose, at);
        ctx.mode = match mode {
            ConsentMode::Enforce => enforce::ConsentMode::Enforce,
            ConsentMode::DangerLocalNoConsent => enforce::ConsentMode::DangerLocalNoConsent,
        };
        let mut out = Vec::new();
        let s = export::export_with_consent(
            &dataset.records,
            WriteOptions::new(dataset::core_output(format)),
            &ctx,
            &mut out,
        )?;
        Ok(ConsentExport {
            fhir: utf8(out)?,
            permitted: s.tally.permitted.values().sum(),
            denied: s.tally.denied.values().sum(),
            denied_by_rule: s.tally.denied.into_iter().collect(),
            permitted_by_type: s.tally.permitted.into_iter().collect(),
            report: dataset::report(&s.consent_report),
            audit_event_json: s.audit_event.to_string(),
            provenance_id: s.provenance_id,
        })
    })
}

/// How to pseudonymise.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PseudonymiseMethod {
    /// 仮名加工情報: names, contacts, street and free text removed; ids replaced by keyed pseudonyms;
    /// postal code to 3 digits, birth date to the year, dates shifted per person.
    Pseudonymised,
    /// 匿名加工情報: in addition age bands, outlier coding and k-anonymity (`k`); uses a throw-away key
    /// inside phrkit, so the output cannot be linked to other outputs even by the key holder.
    Anonymised {
        /// Smallest equivalence class released (age band × sex × prefecture); smaller ones are suppressed.
        k: u32,
    },
    /// A rules document (phrkit's rule file format, JSON or TOML); unmatched fields follow its base
    /// profile. Errors point into the document (`PhrkitError.Config`).
    Rules {
        /// The document text.
        document: String,
    },
}

/// Options of [`pseudonymise`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PseudonymiseOptions {
    /// Reference date `YYYY-MM-DD` (usually the export date) for age bands; fixed by the caller so the
    /// output is reproducible.
    pub reference_date: String,
    /// Recipient/delivery context mixed into the key derivation: different contexts give unlinkable
    /// pseudonyms for the same person. Empty for none.
    #[uniffi(default = "")]
    pub context: String,
    /// Shift event times by a per-person offset.
    #[uniffi(default = true)]
    pub date_shift: bool,
    /// Largest shift in days (±).
    #[uniffi(default = 50)]
    pub max_shift_days: u32,
    /// Shift by whole weeks only (keeps weekdays).
    #[uniffi(default = false)]
    pub weekday_preserving: bool,
}

/// The result of [`pseudonymise`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PseudonymisedOutput {
    /// FHIR R4 output; every resource carries `meta.security` labels (`PSEUDED` / `ANONYED` …).
    pub fhir: String,
    /// Records in.
    pub records_in: u64,
    /// Records out (records in minus suppressed and failed).
    pub records_out: u64,
    /// phrkit's change report as JSON: field path → method → count, labels, k-anonymity outcome, key id
    /// (a fingerprint, never the key). Holds no input value.
    pub change_report_json: String,
    /// The writer's account of the output (resources by type).
    pub report: Report,
}

/// Pseudonymises or anonymises a whole dataset and writes it as FHIR (one call per dataset).
///
/// `key` must be at least 32 bytes (else `PhrkitError.Key`, which gives only the length). It is required
/// for every method so that apps handle keys one way; the anonymised profile does not use it.
#[uniffi::export]
pub fn pseudonymise(
    dataset: Arc<Dataset>,
    key: Vec<u8>,
    method: PseudonymiseMethod,
    options: PseudonymiseOptions,
    format: OutputFormat,
) -> FfiResult<PseudonymisedOutput> {
    guard(|| {
        // Moved into a zeroising holder at once; `key` is not used after this line.
        let key = PseudonymKey::from_bytes(key)?;
        let fields = core_options(&options)?;
        let opts = WriteOptions::new(dataset::core_output(format));
        let records = dataset.records.iter().cloned();
        let (change, (report, out)) = match method {
            PseudonymiseMethod::Pseudonymised => {
                let mut p = Pseudonymiser::new(&key, Profile::Pseudonymised, fields)?;
                let written = export::pseudonymise_to_fhir(records, &mut p, opts, Vec::new())?;
                (p.report(), written)
            }
            PseudonymiseMethod::Rules { document } => {
                let rules = RuleSet::parse("rules", &document)?;
                let mut p = Pseudonymiser::with_rules(&key, rules, fields)?;
                let written = export::pseudonymise_to_fhir(records, &mut p, opts, Vec::new())?;
                (p.report(), written)
            }
            PseudonymiseMethod::Anonymised { k } => {
                let mut a = AnonymiseOptions::new(fields);
                a.k = usize::try_from(k).unwrap_or(usize::MAX);
                let (items, change) = pseudo::anonymise(records, &a)?;
                (change, export::write_labelled(items, opts, Vec::new())?)
            }
        };
        Ok(PseudonymisedOutput {
            fhir: utf8(out)?,
            records_in: change.records_in,
            records_out: change.records_out,
            change_report_json: change.to_json(),
            report: dataset::report(&report),
        })
    })
}

fn consent_set(consents: &[Arc<Consent>]) -> ConsentSet {
    ConsentSet::new(consents.iter().map(|c| c.policy.clone()).collect())
}

fn request_parts(r: &ConsentRequest) -> FfiResult<(Recipient, record::Coding, record::Timestamp)> {
    let mut purpose = record::Coding::new(r.purpose.system.clone(), r.purpose.code.clone());
    purpose.display = r.purpose.display.clone();
    Ok((
        Recipient::to(&r.recipient),
        purpose,
        types::core_timestamp(&r.at, "at")?,
    ))
}

fn core_options(o: &PseudonymiseOptions) -> FfiResult<pseudo::PseudonymiseOptions> {
    let date = NaiveDate::parse_from_str(&o.reference_date, "%Y-%m-%d").map_err(|_| {
        PhrkitError::misuse(
            "bad-date",
            "referenceDate".into(),
            "reference date must be YYYY-MM-DD",
        )
    })?;
    let mut core = pseudo::PseudonymiseOptions::new(date);
    core.context = o.context.clone();
    core.date_shift = o.date_shift;
    core.max_shift_days = o.max_shift_days;
    core.weekday_preserving = o.weekday_preserving;
    Ok(core)
}

fn utf8(bytes: Vec<u8>) -> FfiResult<String> {
    dataset::fhir_string(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn lifelog() -> Arc<Dataset> {
        crate::dataset::read_bytes(
            fixture("samples/lifelog.ndjson"),
            crate::ReadOptions::default(),
        )
        .unwrap()
    }

    fn consent() -> Arc<Consent> {
        let json = String::from_utf8(fixture("consent/research-partner.json")).unwrap();
        Consent::from_fhir_json(json).unwrap()
    }

    fn request(recipient: &str) -> ConsentRequest {
        ConsentRequest {
            recipient: recipient.into(),
            purpose: Coding {
                system: "http://terminology.hl7.org/CodeSystem/v3-ActReason".into(),
                code: "HRESCH".into(),
                display: None,
            },
            // 2025-06-01T12:00:00+09:00
            at: Timestamp {
                epoch_ms: 1_748_746_800_000,
                utc_offset_seconds: 32_400,
                nanos_in_ms: 0,
            },
        }
    }

    #[test]
    fn decisions_come_one_per_record_with_rule_and_reason() {
        let ds = lifelog();
        let c = consent();
        assert_eq!(c.id().unwrap().as_deref(), Some("c1"));
        let d = decide_consent(
            ds.clone(),
            vec![c.clone()],
            request("Organization/research-partner"),
        )
        .unwrap();
        assert_eq!(d.len() as u64, ds.record_count().unwrap());
        // The Patient is not in the permitted class; observations recorded in 2025 are permitted.
        assert_eq!(
            (d[0].permit, d[0].rule.as_str(), d[0].reason.as_str()),
            (false, "Consent/c1#provision", "denied-by-provision")
        );
        assert!(d
            .iter()
            .any(|x| x.permit && x.rule == "Consent/c1#provision.provision[0]"));
        let other = decide_consent(ds, vec![c], request("Organization/insurer")).unwrap();
        assert!(other.iter().all(|x| !x.permit));
        let none = decide_consent(lifelog(), vec![], request("Organization/x")).unwrap();
        assert!(none.iter().all(|x| x.reason == "no-consent"));
    }

    #[test]
    fn export_counts_denied_records_and_refuses_without_consent() {
        let e = export_with_consent(
            lifelog(),
            vec![consent()],
            request("Organization/research-partner"),
            OutputFormat::Ndjson,
            ConsentMode::Enforce,
        )
        .unwrap();
        assert_eq!(e.permitted + e.denied, e.report.items_read);
        assert!(e.report.balanced);
        assert!(e.denied >= 1 && e.permitted >= 1);
        assert!(e.audit_event_json.contains("\"AuditEvent\""));
        assert!(!e.fhir.contains("見本"), "withheld subject leaked");
        let err = export_with_consent(
            lifelog(),
            vec![],
            request("Organization/research-partner"),
            OutputFormat::Ndjson,
            ConsentMode::Enforce,
        )
        .unwrap_err();
        assert!(
            matches!(err, PhrkitError::ConsentDenied { ref code, .. } if code == "consent-denied")
        );
        let own = export_with_consent(
            lifelog(),
            vec![],
            request("Patient/self"),
            OutputFormat::Ndjson,
            ConsentMode::DangerLocalNoConsent,
        )
        .unwrap();
        assert_eq!(own.denied, 0);
        assert!(own
            .fhir
            .contains("urn:phrkit:policy:danger-local-no-consent"));
    }

    fn opts() -> PseudonymiseOptions {
        PseudonymiseOptions {
            reference_date: "2025-06-01".into(),
            context: String::new(),
            date_shift: true,
            max_shift_days: 50,
            weekday_preserving: false,
        }
    }

    #[test]
    fn pseudonymised_output_has_no_name_or_insured_id_and_short_keys_fail() {
        let out = pseudonymise(
            lifelog(),
            vec![7; 32],
            PseudonymiseMethod::Pseudonymised,
            opts(),
            OutputFormat::Ndjson,
        )
        .unwrap();
        for secret in [
            "見本",
            "花子",
            "ミホン",
            "06139991",
            "100-0001",
            "1980-04-01",
        ] {
            assert!(!out.fhir.contains(secret), "{secret}");
        }
        assert!(out.fhir.contains("PSEUDED"));
        assert_eq!(out.records_in, out.records_out);
        assert!(out.change_report_json.contains("\"pseudonymised\""));
        let e = pseudonymise(
            lifelog(),
            vec![7; 31],
            PseudonymiseMethod::Pseudonymised,
            opts(),
            OutputFormat::Ndjson,
        )
        .unwrap_err();
        assert!(matches!(e, PhrkitError::Key { ref code, ref reason, .. }
            if code == "key" && reason.contains("31 bytes")));
    }

    #[test]
    fn families_arrive_as_summaries_and_round_trip_through_fhir() {
        let ds = crate::dataset::read_bytes(
            fixture("myna_portal/expense.csv"),
            crate::ReadOptions::default(),
        )
        .unwrap();
        let recs = ds.records().unwrap();
        let expenses: Vec<&crate::types::ExpenseSummary> = recs
            .iter()
            .filter_map(|r| match r {
                crate::PhrRecord::Expense { expense } => Some(expense),
                _ => None,
            })
            .collect();
        assert_eq!(expenses.len(), 3);
        assert_eq!(expenses.iter().map(|e| e.total_yen).sum::<u64>(), 12_340);
        let fhir = ds.to_fhir_string(OutputFormat::Ndjson).unwrap();
        let back = crate::dataset::fhir_to_records(fhir, crate::ReadOptions::default()).unwrap();
        let again: Vec<&crate::PhrRecord> = back
            .iter()
            .filter(|r| matches!(r, crate::PhrRecord::Expense { .. }))
            .collect();
        assert_eq!(again.len(), 3);
    }
}
