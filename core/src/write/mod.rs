//! EDGE OUT: writers that turn a stream of records into FHIR R4 JSON.
//!
//! A writer is pushed records one at a time and streams its output, so memory does not grow with the
//! input. Output is deterministic: the same records give byte-identical bytes (content-derived ids, fixed
//! key order, sources written once in first-seen order).

pub mod export;
pub mod kenshin_cda;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use crate::error::Result;
use crate::fhir::{CareEncoder, CodeSystemStyle, Encoder, ReferenceStyle, ResourceOptions};
use crate::record::{Record, Source, Subject};
use crate::report::Report;

/// Output container.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormat {
    /// One resource per line.
    #[default]
    Ndjson,
    /// A `collection` Bundle.
    BundleCollection,
    /// A `transaction` Bundle with conditional creates (`ifNoneExist` on the content identifier).
    BundleTransaction,
}

/// Options for [`FhirWriter`].
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Container.
    pub format: OutputFormat,
    /// JP Core code-system URI form.
    pub code_systems: CodeSystemStyle,
}

impl WriteOptions {
    /// Options for a container with defaults for the rest.
    pub fn new(format: OutputFormat) -> WriteOptions {
        WriteOptions {
            format,
            ..WriteOptions::default()
        }
    }
}

/// Streams records to FHIR NDJSON or a Bundle.
pub struct FhirWriter<W: Write> {
    out: W,
    opts: WriteOptions,
    resource_opts: ResourceOptions,
    encoder: Encoder,
    care: CareEncoder,
    buf: Vec<u8>,
    resource: Vec<u8>,
    patient_ref: Option<String>,
    devices: HashMap<Arc<Source>, String>,
    /// The source of the previous measurement and its Device reference (fast path).
    last_device: Option<(Arc<Source>, String)>,
    /// Ids of shared resources (Patients, Organizations) already written, so a second checkup of the
    /// same person or institution refers to them instead of repeating them.
    emitted: HashSet<String>,
    entries: u64,
    report: Report,
    security: Vec<u8>,
    id_log: Vec<(&'static str, String)>,
    id_log_cap: usize,
}

impl<W: Write> FhirWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W, opts: WriteOptions) -> FhirWriter<W> {
        let references = match opts.format {
            OutputFormat::Ndjson => ReferenceStyle::Relative,
            _ => ReferenceStyle::UrnUuid,
        };
        let resource_opts = ResourceOptions {
            code_systems: opts.code_systems,
            references,
            write_id: opts.format != OutputFormat::BundleTransaction,
        };
        FhirWriter {
            out,
            opts,
            resource_opts,
            encoder: Encoder::new(),
            care: CareEncoder::new(),
            buf: Vec::with_capacity(64 * 1024),
            resource: Vec::with_capacity(2048),
            patient_ref: None,
            devices: HashMap::new(),
            last_device: None,
            emitted: HashSet::new(),
            entries: 0,
            report: Report::default(),
            security: Vec::new(),
            id_log: Vec::new(),
            id_log_cap: 0,
        }
    }

    /// Sets the `meta.security` labels added to every resource written from now on (empty: none).
    ///
    /// A side channel for the policy stages: pseudonymisation decides the labels per record (`PSEUDED`,
    /// `REDACTED`, …) and sets them before writing it, so records and the encoder need no label field.
    pub fn set_security_labels(&mut self, labels: &[crate::record::Coding]) {
        self.security.clear();
        if labels.is_empty() {
            return;
        }
        let mut j = crate::fhir::json_out::JsonOut::new(&mut self.security);
        j.begin_array();
        for l in labels {
            j.begin_object();
            j.field_str("system", &l.system);
            j.field_str("code", &l.code);
            j.end_object();
        }
        j.end_array();
    }

    /// Keeps the type and id of up to `cap` written resources (for a Provenance of an export).
    pub fn log_ids(&mut self, cap: usize) {
        self.id_log_cap = cap;
    }

    /// The logged `(resource type, id)` pairs, in write order.
    pub fn logged_ids(&self) -> &[(&'static str, String)] {
        &self.id_log
    }

    /// Writes a resource the caller encoded itself (a Consent, a Provenance), in the same container.
    /// `resource` must be one compact JSON object whose `id` is `id`.
    pub fn write_raw_resource(
        &mut self,
        resource_type: &'static str,
        id: &str,
        resource: &[u8],
    ) -> Result<()> {
        self.resource.clear();
        self.resource.extend_from_slice(resource);
        self.emit(resource_type, id)
    }

    fn emit(&mut self, resource_type: &'static str, id: &str) -> Result<()> {
        if !self.security.is_empty() {
            add_security(&mut self.resource, &self.security);
        }
        if self.id_log.len() < self.id_log_cap {
            self.id_log.push((resource_type, id.to_owned()));
        }
        match self.opts.format {
            OutputFormat::Ndjson => {
                self.buf.extend_from_slice(&self.resource);
                self.buf.push(b'\n');
            }
            OutputFormat::BundleCollection | OutputFormat::BundleTransaction => {
                if self.entries == 0 {
                    let kind = if self.opts.format == OutputFormat::BundleCollection {
                        "collection"
                    } else {
                        "transaction"
                    };
                    self.buf
                        .extend_from_slice(b"{\"resourceType\":\"Bundle\",\"type\":\"");
                    self.buf.extend_from_slice(kind.as_bytes());
                    self.buf.extend_from_slice(b"\",\"entry\":[\n");
                } else {
                    self.buf.extend_from_slice(b",\n");
                }
                self.buf.extend_from_slice(b"{\"fullUrl\":\"urn:uuid:");
                self.buf.extend_from_slice(id.as_bytes());
                self.buf.extend_from_slice(b"\",\"resource\":");
                self.buf.extend_from_slice(&self.resource);
                if self.opts.format == OutputFormat::BundleTransaction {
                    self.buf
                        .extend_from_slice(b",\"request\":{\"method\":\"POST\",\"url\":\"");
                    self.buf.extend_from_slice(resource_type.as_bytes());
                    self.buf.extend_from_slice(
                        b"\",\"ifNoneExist\":\"identifier=urn:ietf:rfc:3986|urn:uuid:",
                    );
                    self.buf.extend_from_slice(id.as_bytes());
                    self.buf.extend_from_slice(b"\"}");
                }
                self.buf.push(b'}');
            }
        }
        self.entries += 1;
        self.report.items_read += 1;
        self.report.converted(resource_type);
        if self.buf.len() >= 60 * 1024 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn write_subject(&mut self, s: &Subject) -> Result<()> {
        self.care.new_subject();
        self.resource.clear();
        let id = self
            .encoder
            .patient(&mut self.resource, s, &self.resource_opts);
        self.patient_ref = Some(id.reference("Patient", self.resource_opts.references));
        self.emit("Patient", &id.0)
    }

    fn write_checkup(&mut self, c: &crate::record::CheckupReport) -> Result<()> {
        let resources =
            crate::fhir::checkup::encode_report(c, &mut self.encoder, &self.resource_opts);
        for e in resources {
            if e.resource_type == "Patient" {
                self.patient_ref = Some(e.id.reference("Patient", self.resource_opts.references));
            }
            let shared = matches!(e.resource_type, "Patient" | "Organization");
            if shared && !self.emitted.insert(e.id.0.clone()) {
                continue;
            }
            self.resource = e.json;
            self.emit(e.resource_type, &e.id.0)?;
        }
        Ok(())
    }

    /// The current patient reference, writing an anonymous placeholder Patient first if no subject came
    /// yet (JP Core resources need a subject).
    fn patient(&mut self) -> Result<String> {
        if self.patient_ref.is_none() {
            self.write_subject(&Subject::default())?;
        }
        Ok(self.patient_ref.clone().unwrap_or_default())
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> Result<()> {
        match record {
            Record::Subject(s) => self.write_subject(s),
            Record::Checkup(c) => self.write_checkup(c),
            Record::Medication(d) => {
                let patient = self.patient()?;
                self.resource.clear();
                let id = self.care.medication_dispense(
                    &mut self.resource,
                    d,
                    &patient,
                    &self.resource_opts,
                );
                self.emit("MedicationDispense", &id.0)
            }
            Record::Immunization(i) => {
                let patient = self.patient()?;
                self.resource.clear();
                let id =
                    self.care
                        .immunization(&mut self.resource, i, &patient, &self.resource_opts);
                self.emit("Immunization", &id.0)
            }
            Record::Expense(e) => {
                let patient = self.patient()?;
                self.resource.clear();
                let id = self.care.explanation_of_benefit(
                    &mut self.resource,
                    e,
                    &patient,
                    &self.resource_opts,
                );
                self.emit("ExplanationOfBenefit", &id.0)
            }
            Record::Measurement(m) => {
                if self.patient_ref.is_none() {
                    // Observations need a subject (JP Core: 1..1): an anonymous placeholder Patient.
                    self.write_subject(&Subject::default())?;
                }
                let has_device = match m.source() {
                    None => false,
                    Some(src) => {
                        // Readers share one Arc per source, so consecutive records usually hit this
                        // pointer check and skip hashing the source's strings.
                        let hit = self
                            .last_device
                            .as_ref()
                            .is_some_and(|(s, _)| Arc::ptr_eq(s, src));
                        if !hit {
                            let r = match self.devices.get(src) {
                                Some(r) => r.clone(),
                                None => {
                                    self.resource.clear();
                                    let id = self.encoder.device(
                                        &mut self.resource,
                                        src,
                                        &self.resource_opts,
                                    );
                                    let r = id.reference("Device", self.resource_opts.references);
                                    self.devices.insert(src.clone(), r.clone());
                                    self.emit("Device", &id.0)?;
                                    r
                                }
                            };
                            self.last_device = Some((src.clone(), r));
                        }
                        true
                    }
                };
                self.resource.clear();
                let patient = self.patient_ref.as_deref().unwrap_or("");
                let device = if has_device {
                    self.last_device.as_ref().map(|(_, r)| r.as_str())
                } else {
                    None
                };
                let id = self.encoder.observation(
                    &mut self.resource,
                    m,
                    patient,
                    device,
                    &self.resource_opts,
                );
                self.emit("Observation", &id.0)
            }
        }
    }

    /// Finishes the output (closes a Bundle, flushes) and returns what was written and the inner writer.
    pub fn finish(mut self) -> Result<(Report, W)> {
        match self.opts.format {
            OutputFormat::Ndjson => {}
            _ if self.entries == 0 => {
                let kind = if self.opts.format == OutputFormat::BundleCollection {
                    "collection"
                } else {
                    "transaction"
                };
                self.buf
                    .extend_from_slice(b"{\"resourceType\":\"Bundle\",\"type\":\"");
                self.buf.extend_from_slice(kind.as_bytes());
                self.buf.extend_from_slice(b"\"}\n");
            }
            _ => self.buf.extend_from_slice(b"\n]}\n"),
        }
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok((self.report, self.out))
    }
}

/// Splices `"security":[…]` into the resource's `meta` (creating `meta` when absent). phrkit's encoder
/// always starts a resource with `resourceType`, then `id` (optional), then `meta` (optional).
fn add_security(resource: &mut Vec<u8>, labels: &[u8]) {
    const META: &[u8] = b",\"meta\":{";
    if let Some(pos) = memchr::memmem::find(resource, META) {
        let at = pos + META.len();
        let mut ins = Vec::with_capacity(labels.len() + 13);
        ins.extend_from_slice(b"\"security\":");
        ins.extend_from_slice(labels);
        ins.push(b',');
        resource.splice(at..at, ins);
        return;
    }
    // No meta: insert one after `"resourceType":"T"` and the optional `"id":"…"`.
    let mut at = memchr::memchr(b',', resource).unwrap_or(resource.len().saturating_sub(1));
    if resource[at..].starts_with(b",\"id\":\"") {
        let after = at + 7;
        at = memchr::memchr(b'"', &resource[after..])
            .map_or(resource.len().saturating_sub(1), |q| after + q + 1);
    }
    let mut ins = Vec::with_capacity(labels.len() + 24);
    ins.extend_from_slice(b",\"meta\":{\"security\":");
    ins.extend_from_slice(labels);
    ins.push(b'}');
    resource.splice(at..at, ins);
}

/// Writes all `records` to a byte vector.
pub fn to_vec(records: &[Record], opts: WriteOptions) -> Result<Vec<u8>> {
    let mut w = FhirWriter::new(Vec::new(), opts);
    for r in records {
        w.write(r)?;
    }
    Ok(w.finish()?.1)
}
