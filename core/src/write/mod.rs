//! EDGE OUT: writers that turn a stream of records into FHIR R4 JSON.
//!
//! A writer is pushed records one at a time and streams its output, so memory does not grow with the
//! input. Output is deterministic: the same records give byte-identical bytes (content-derived ids, fixed
//! key order, sources written once in first-seen order).

use std::collections::HashMap;
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
    entries: u64,
    report: Report,
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
            entries: 0,
            report: Report::default(),
        }
    }

    fn emit(&mut self, resource_type: &str, id: &str) -> Result<()> {
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
                let device = match m.source() {
                    None => None,
                    Some(src) => match self.devices.get(src) {
                        Some(r) => Some(r.clone()),
                        None => {
                            self.resource.clear();
                            let id =
                                self.encoder
                                    .device(&mut self.resource, src, &self.resource_opts);
                            let r = id.reference("Device", self.resource_opts.references);
                            self.devices.insert(src.clone(), r.clone());
                            self.emit("Device", &id.0)?;
                            Some(r)
                        }
                    },
                };
                self.resource.clear();
                let patient = self.patient_ref.as_deref().unwrap_or("");
                let id = self.encoder.observation(
                    &mut self.resource,
                    m,
                    patient,
                    device.as_deref(),
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

/// Writes all `records` to a byte vector.
pub fn to_vec(records: &[Record], opts: WriteOptions) -> Result<Vec<u8>> {
    let mut w = FhirWriter::new(Vec::new(), opts);
    for r in records {
        w.write(r)?;
    }
    Ok(w.finish()?.1)
}
