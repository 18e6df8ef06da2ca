//! Export to a third party under consent: [`ConsentedWriter`] wraps [`FhirWriter`], checks every record
//! with a [`ConsentFilter`], leaves denied records out (counted by rule), and closes the output with the
//! Consent(s) that permitted the export and a Provenance saying what went to whom, why and under which
//! consent. An AuditEvent for the export is returned to the caller (who stores it in their audit log; it
//! is not sent to the recipient).

use std::borrow::Borrow;
use std::io::Write;

use serde_json::{json, Value};

use super::{FhirWriter, OutputFormat, WriteOptions};
use crate::error::Result;
use crate::fhir::consent::consent_to_value;
use crate::fhir::content_id;
use crate::policy::consent::{ConsentPolicy, Reference};
use crate::policy::enforce::{Admission, ConsentFilter, ConsentMode, ConsentTally, ExportContext};
use crate::record::{format_timestamp, Record};
use crate::report::Report;

/// Resource ids kept for `Provenance.target`; beyond this only counts are given (bounded memory).
pub const MAX_PROVENANCE_TARGETS: usize = 10_000;

/// Extension with the exported record counts per type on the Provenance.
pub const EXT_EXPORT_COUNTS: &str = "http://phrkit.dev/fhir/StructureDefinition/export-counts";

/// What an export did.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    /// The consent account: records read = permitted + skipped (`consent-denied:<rule>`).
    pub consent_report: Report,
    /// The writer's account: resources written by type (including Device, Consent, Provenance).
    pub write_report: Report,
    /// Permitted/denied counts and the rules that permitted.
    pub tally: ConsentTally,
    /// The AuditEvent (FHIR R4 JSON) for the caller's audit log.
    pub audit_event: Value,
    /// Id of the Provenance written at the end of the output.
    pub provenance_id: String,
}

/// A [`FhirWriter`] that only writes what the consents permit.
pub struct ConsentedWriter<'a, W: Write> {
    writer: FhirWriter<W>,
    filter: ConsentFilter<'a>,
    ctx: &'a ExportContext,
    opts: WriteOptions,
    pseudonymised: bool,
}

impl<'a, W: Write> ConsentedWriter<'a, W> {
    /// A consented writer; fails with `ConsentDenied` when an enforcing context has no consent.
    pub fn new(out: W, opts: WriteOptions, ctx: &'a ExportContext) -> Result<Self> {
        let filter = ConsentFilter::new(ctx)?;
        let mut writer = FhirWriter::new(out, opts);
        writer.log_ids(MAX_PROVENANCE_TARGETS);
        Ok(ConsentedWriter {
            writer,
            filter,
            ctx,
            opts,
            pseudonymised: false,
        })
    }

    /// The underlying writer, e.g. to set security labels before a record.
    pub fn inner_mut(&mut self) -> &mut FhirWriter<W> {
        &mut self.writer
    }

    /// Checks and (if permitted) writes one record.
    pub fn write(&mut self, record: &Record) -> Result<()> {
        match self.filter.admit(record) {
            Admission::Write => self.writer.write(record),
            Admission::Withhold(Some(placeholder)) => {
                self.writer.write(&Record::Subject(placeholder))
            }
            Admission::Withhold(None) => Ok(()),
        }
    }

    /// Checks one record against the consents (on the original, so patient identifiers still match),
    /// then pseudonymises what may go and writes it with its security labels.
    pub fn write_pseudonymised(
        &mut self,
        record: Record,
        pseudonymiser: &mut crate::policy::pseudonymise::Pseudonymiser,
    ) -> Result<()> {
        self.pseudonymised = true;
        let record = match self.filter.admit(&record) {
            Admission::Write => record,
            Admission::Withhold(Some(placeholder)) => Record::Subject(placeholder),
            Admission::Withhold(None) => return Ok(()),
        };
        if let Some(l) = pseudonymiser.apply(record)? {
            self.writer.set_security_labels(&l.labels);
            self.writer.write(&l.record)?;
        }
        Ok(())
    }

    fn reference(&self, resource_type: &str, id: &str) -> String {
        match self.opts.format {
            OutputFormat::Ndjson => format!("{resource_type}/{id}"),
            _ => format!("urn:uuid:{id}"),
        }
    }

    /// Writes the Consent(s) and the Provenance, finishes the output, returns the summary.
    pub fn finish(mut self) -> Result<(ExportSummary, W)> {
        self.writer.set_security_labels(&[]);
        let targets: Vec<Value> = self
            .writer
            .logged_ids()
            .iter()
            .map(|(t, id)| json!({ "reference": self.reference(t, id) }))
            .collect();
        let (consent_report, tally) = {
            let r = self.filter.report().clone();
            (r, self.filter.tally().clone())
        };
        let mut consent_refs = Vec::new();
        for c in used_consents(self.ctx, &tally) {
            let (id, bytes) = consent_resource(c, self.pseudonymised);
            self.writer.write_raw_resource("Consent", &id, &bytes)?;
            consent_refs.push(self.reference("Consent", &id));
        }
        let provenance = provenance_json(self.ctx, &tally, targets, &consent_refs);
        let body = serde_json::to_vec(&provenance).unwrap_or_default();
        let id = content_id(&[b"Provenance", &body]).0;
        let mut with_id = provenance;
        if let Some(o) = with_id.as_object_mut() {
            o.insert("id".into(), Value::String(id.clone()));
        }
        let bytes = serde_json::to_vec(&with_id).unwrap_or_default();
        self.writer.write_raw_resource("Provenance", &id, &bytes)?;
        let provenance_ref = self.reference("Provenance", &id);
        let (write_report, out) = self.writer.finish()?;
        let audit_event = audit_event_json(self.ctx, &tally, &consent_refs, &provenance_ref);
        Ok((
            ExportSummary {
                consent_report,
                write_report,
                tally,
                audit_event,
                provenance_id: id,
            },
            out,
        ))
    }
}

/// Exports `records` to `out` under the consents of `ctx` (see [`ConsentedWriter`]).
pub fn export_with_consent<I, W>(
    records: I,
    opts: WriteOptions,
    ctx: &ExportContext,
    out: W,
) -> Result<ExportSummary>
where
    I: IntoIterator,
    I::Item: Borrow<Record>,
    W: Write,
{
    let mut w = ConsentedWriter::new(out, opts, ctx)?;
    for r in records {
        w.write(r.borrow())?;
    }
    Ok(w.finish()?.0)
}

/// The consents whose rules permitted at least one record, in set order.
fn used_consents<'c>(ctx: &'c ExportContext, tally: &ConsentTally) -> Vec<&'c ConsentPolicy> {
    if ctx.mode == ConsentMode::DangerLocalNoConsent {
        return Vec::new();
    }
    ctx.consents
        .consents()
        .iter()
        .filter(|c| {
            let prefix = format!("Consent/{}#", c.id.as_deref().unwrap_or("-"));
            tally
                .permitting_rules
                .keys()
                .any(|r| r.starts_with(&prefix))
        })
        .collect()
}

/// The Consent as written into an export: a content-derived UUID id (so Bundle `fullUrl`s stay valid), the
/// PHR's own id kept as an identifier.
///
/// Next to pseudonymised data the Consent must not re-identify the person: `patient`, `performer` and
/// business identifiers (the operator's own ids, linking codes) are removed and the resource is labelled
/// `REDACTED`. R4 allows a Consent without `patient` (0..1); phrkit's importer would refuse it, on purpose.
fn consent_resource(c: &ConsentPolicy, pseudonymised: bool) -> (String, Vec<u8>) {
    let mut c = c.clone();
    if pseudonymised {
        c.patient = None;
        c.performer.clear();
        c.identifier.clear();
        c.id = None;
    }
    let c = &c;
    let mut v = consent_to_value(c);
    if pseudonymised {
        if let Some(meta) = v.get_mut("meta").and_then(Value::as_object_mut) {
            meta.insert(
                "security".into(),
                json!([{ "system": crate::policy::pseudonymise::OBSERVATION_VALUE, "code": "REDACTED" }]),
            );
        }
    }
    let body = serde_json::to_vec(&v).unwrap_or_default();
    let id = content_id(&[b"Consent", &body]).0;
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), Value::String(id.clone()));
        if let Some(own) = &c.id {
            let mut ids = o
                .get("identifier")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            ids.push(json!({ "system": "http://phrkit.dev/fhir/sid/consent-id", "value": own }));
            o.insert("identifier".into(), Value::Array(ids));
        }
    }
    (id, serde_json::to_vec(&v).unwrap_or_default())
}

fn reference_value(r: &Reference) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(x) = &r.reference {
        m.insert("reference".into(), Value::String(x.clone()));
    }
    if let Some(i) = &r.identifier {
        m.insert(
            "identifier".into(),
            json!({ "system": i.system, "value": i.code }),
        );
    }
    if let Some(d) = &r.display {
        m.insert("display".into(), Value::String(d.clone()));
    }
    Value::Object(m)
}

fn counts_extension(tally: &ConsentTally) -> Value {
    let inner: Vec<Value> = tally
        .permitted
        .iter()
        .map(|(t, n)| json!({ "url": t, "valueInteger": n }))
        .chain(
            tally
                .denied
                .iter()
                .map(|(r, n)| json!({ "url": r, "valueInteger": n })),
        )
        .collect();
    json!([{ "url": EXT_EXPORT_COUNTS, "extension": inner }])
}

fn provenance_json(
    ctx: &ExportContext,
    tally: &ConsentTally,
    targets: Vec<Value>,
    consent_refs: &[String],
) -> Value {
    let mut policy: Vec<Value> = consent_refs.iter().map(|r| json!(r)).collect();
    if ctx.mode == ConsentMode::DangerLocalNoConsent {
        policy.push(json!("urn:phrkit:policy:danger-local-no-consent"));
    }
    // Provenance.target is 1..*: an export of nothing still names what governed it.
    let targets = if targets.is_empty() {
        consent_refs
            .iter()
            .map(|r| json!({ "reference": r }))
            .collect()
    } else {
        targets
    };
    json!({
        "resourceType": "Provenance",
        "extension": counts_extension(tally),
        "target": targets,
        "recorded": format_timestamp(&ctx.at),
        "policy": policy,
        "activity": { "coding": [{ "system": crate::policy::consent::CONSENT_ACTION, "code": "disclose" }] },
        "reason": [{ "coding": [{ "system": ctx.purpose.system, "code": ctx.purpose.code }] }],
        "agent": [
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code": "assembler" }] },
              "who": { "display": "phrkit" } },
            { "type": { "text": "recipient" }, "who": reference_value(&ctx.recipient.reference) }
        ]
    })
}

fn audit_event_json(
    ctx: &ExportContext,
    tally: &ConsentTally,
    consent_refs: &[String],
    provenance_ref: &str,
) -> Value {
    let permitted: u64 = tally.permitted.values().sum();
    let denied: u64 = tally.denied.values().sum();
    let mut entity: Vec<Value> = consent_refs
        .iter()
        .map(|r| json!({ "what": { "reference": r }, "description": "consent" }))
        .collect();
    entity.push(json!({
        "what": { "reference": provenance_ref },
        "description": "export",
        "detail": [
            { "type": "permitted", "valueString": permitted.to_string() },
            { "type": "denied", "valueString": denied.to_string() }
        ]
    }));
    json!({
        "resourceType": "AuditEvent",
        "type": { "system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110106", "display": "Export" },
        "action": "R",
        "recorded": format_timestamp(&ctx.at),
        "outcome": "0",
        "purposeOfEvent": [{ "coding": [{ "system": ctx.purpose.system, "code": ctx.purpose.code }] }],
        "agent": [
            { "who": { "display": "phrkit" }, "requestor": false },
            { "who": reference_value(&ctx.recipient.reference), "requestor": true }
        ],
        "source": { "observer": { "display": "phrkit" } },
        "entity": entity
    })
}

/// Writes processed records, each resource labelled with its record's security labels.
pub fn write_labelled<I, W>(items: I, opts: WriteOptions, out: W) -> Result<(Report, W)>
where
    I: IntoIterator<Item = crate::policy::pseudonymise::Labelled>,
    W: Write,
{
    let mut w = LabelledWriter::new(out, opts);
    for l in items {
        w.write(&l)?;
    }
    w.finish()
}

/// Pseudonymises `records` on the fly and writes them (streaming: memory does not grow with the input).
pub fn pseudonymise_to_fhir<I, W>(
    records: I,
    pseudonymiser: &mut crate::policy::pseudonymise::Pseudonymiser,
    opts: WriteOptions,
    out: W,
) -> Result<(Report, W)>
where
    I: IntoIterator<Item = Record>,
    W: Write,
{
    let mut w = LabelledWriter::new(out, opts);
    for r in records {
        if let Some(l) = pseudonymiser.apply(r)? {
            w.write(&l)?;
        }
    }
    w.finish()
}

/// A [`FhirWriter`] that sets each resource's `meta.security` from its [`Labelled`] record, re-encoding
/// the labels only when they change.
///
/// [`Labelled`]: crate::policy::pseudonymise::Labelled
pub struct LabelledWriter<W: Write> {
    writer: FhirWriter<W>,
    last: Vec<crate::record::Coding>,
}

impl<W: Write> LabelledWriter<W> {
    /// A labelled writer over `out`.
    pub fn new(out: W, opts: WriteOptions) -> LabelledWriter<W> {
        LabelledWriter {
            writer: FhirWriter::new(out, opts),
            last: Vec::new(),
        }
    }

    /// Writes one labelled record.
    pub fn write(&mut self, l: &crate::policy::pseudonymise::Labelled) -> Result<()> {
        if l.labels != self.last {
            self.writer.set_security_labels(&l.labels);
            self.last.clone_from(&l.labels);
        }
        self.writer.write(&l.record)
    }

    /// Finishes the output.
    pub fn finish(self) -> Result<(Report, W)> {
        self.writer.finish()
    }
}
