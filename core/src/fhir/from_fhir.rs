//! FHIR R4 resources (JSON) → records. Accepts both OID and http code-system URIs, the JP Core aliases, and
//! the draft PGHD system; elements phrkit does not model are counted in the [`Report`], never dropped silently.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::codes::*;
use super::model as m;
use super::scan::{scan, JsonLimits, ScanError};
use crate::error::{Error, Limit, Location};
use crate::record::{
    Address, AgeBand, Coding, Effective, InsuredId, Kind, Measurement, MeasurementValue,
    MetadataEntry, Period, PersonName, Quantity, RecordError, Sex, SleepSession, SleepStage,
    SleepStageInterval, Source, SourceDevice, Subject, Timestamp, Unit, Workout, KIND_TABLE,
};
use crate::report::Report;
use crate::Record;

const FORMAT: &str = "FHIR JSON";

/// Every FHIR R4 resource type name: a type outside this list is an error, a type inside it that phrkit does
/// not model is skipped and counted.
pub const R4_RESOURCE_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

/// Where a resource sits in its input, used to build error locations.
#[derive(Clone, Debug, Default)]
pub struct ResourcePlace {
    /// NDJSON line (1-based), if NDJSON.
    pub line: Option<u64>,
    /// JSON pointer prefix of the resource inside its document (`/entry/3/resource`), empty at the top.
    pub prefix: String,
    /// The Bundle entry's fullUrl, if any.
    pub full_url: Option<String>,
}

impl ResourcePlace {
    pub(crate) fn at(&self, pointer: &str) -> Location {
        Location::JsonPointer {
            line: self.line,
            pointer: format!("{}{}", self.prefix, pointer),
        }
    }
}

/// Converts FHIR resources to records, one at a time, remembering Devices so later Observations can name
/// their source.
pub struct FhirDecoder {
    limits: JsonLimits,
    devices: HashMap<String, Arc<Source>>,
    checkup: super::from_checkup::CheckupAssembler,
    /// Whether a record was produced yet: an empty (placeholder) Patient before any record stands for
    /// "no subject"; after one it separates persons and is kept as an empty Subject.
    emitted_any: bool,
    /// What happened so far.
    pub report: Report,
}

/// The outcome of decoding one resource that did not fail.
#[derive(Debug)]
pub enum Decoded {
    /// A record (boxed: records are large, the other outcomes are empty).
    Record(Box<Record>),
    /// Consumed without producing a record (a Device, a placeholder Patient).
    Absorbed,
    /// Skipped for the reason counted in the report.
    Skipped,
}

fn invalid(place: &ResourcePlace, pointer: &str, reason: impl Into<String>) -> Error {
    Error::format(FORMAT, place.at(pointer), reason)
}

fn record_err(place: &ResourcePlace, pointer: &str, reason: RecordError) -> Error {
    Error::invalid_record(place.at(pointer), reason)
}

/// Turns a serde path (`component.0.valueQuantity`) into a JSON pointer (`/component/0/valueQuantity`).
fn serde_path_to_pointer(path: &str) -> String {
    if path == "." || path.is_empty() {
        return String::new();
    }
    let mut p = String::new();
    for seg in path.split('.') {
        if seg == "?" {
            continue;
        }
        p.push('/');
        p.push_str(seg.trim_start_matches('[').trim_end_matches(']'));
    }
    p
}

/// Turns a serde_ignored path into an element path (`Observation.note`), dropping indices.
fn ignored_element_path(resource_type: &str, path: &str) -> String {
    let mut out = resource_type.to_owned();
    for seg in path.split('.') {
        if seg == "?" || seg.is_empty() || seg.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        out.push('.');
        out.push_str(seg);
    }
    out
}

impl FhirDecoder {
    /// A decoder with the given JSON limits.
    pub fn new(limits: JsonLimits) -> FhirDecoder {
        FhirDecoder {
            emitted_any: false,
            limits,
            devices: HashMap::new(),
            checkup: super::from_checkup::CheckupAssembler::default(),
            report: Report::default(),
        }
    }

    /// Ends the input: returns the 特定健診 report still being collected, if any. Readers call this once
    /// after the last resource.
    pub fn finish(&mut self) -> Option<Record> {
        self.checkup
            .finish(&mut self.report)
            .map(|r| Record::Checkup(Box::new(r)))
    }

    /// Runs the pre-parse scan, mapping limit hits to typed errors.
    pub fn scan<'a>(
        &self,
        bytes: &'a [u8],
        place: &ResourcePlace,
    ) -> Result<Option<&'a str>, Error> {
        match scan(bytes, &self.limits) {
            Ok(info) => Ok(info.resource_type),
            Err(ScanError::TooDeep(p)) => Err(Error::limit(
                Limit::Depth,
                self.limits.max_depth as u64,
                place.at(&p),
            )),
            Err(ScanError::StringTooLong(p)) => Err(Error::limit(
                Limit::StringBytes,
                self.limits.max_string_bytes as u64,
                place.at(&p),
            )),
        }
    }

    /// Parses `bytes` as `T`, reporting ignored elements and mapping errors to JSON pointers.
    pub fn parse<'a, T: Deserialize<'a>>(
        &mut self,
        bytes: &'a [u8],
        resource_type: &str,
        place: &ResourcePlace,
    ) -> Result<T, Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let mut track = serde_path_to_error::Track::new();
        let mut ignored: Vec<String> = Vec::new();
        let result = {
            let pd = serde_path_to_error::Deserializer::new(&mut de, &mut track);
            serde_ignored::deserialize(pd, |path| ignored.push(path.to_string()))
        };
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                let pointer = serde_path_to_pointer(&track.path().to_string());
                return Err(invalid(place, &pointer, classify_serde_error(&e)));
            }
        };
        if let Err(e) = de.end() {
            return Err(invalid(place, "", classify_serde_error(&e)));
        }
        for path in ignored {
            self.report
                .ignore_element(&ignored_element_path(resource_type, &path));
        }
        Ok(value)
    }

    /// Decodes one resource (already known to be a JSON object) into a record, or reports why not.
    ///
    /// `Err` means the resource is invalid; the caller decides whether that stops the stream (strict) or
    /// is counted as a skip (lenient).
    pub fn decode(&mut self, bytes: &[u8], place: &ResourcePlace) -> Result<Decoded, Error> {
        let result = self.decode_resource(bytes, place);
        if matches!(result, Ok(Decoded::Record(_))) {
            self.emitted_any = true;
        }
        result
    }

    fn decode_resource(&mut self, bytes: &[u8], place: &ResourcePlace) -> Result<Decoded, Error> {
        let Some(resource_type) = self.scan(bytes, place)? else {
            return Err(invalid(place, "/resourceType", "missing resourceType"));
        };
        let resource_type = resource_type.to_owned();
        match resource_type.as_str() {
            "Observation" => {
                let obs: m::Observation<'_> = self.parse(bytes, "Observation", place)?;
                if super::from_checkup::is_checkup_observation(&obs)
                    || self.checkup.lists(&obs, place)
                {
                    self.checkup.observation(&obs, place, &mut self.report)?;
                    self.report.converted("checkup-observation");
                    return Ok(Decoded::Absorbed);
                }
                self.observation(obs, place)
            }
            "Composition" => {
                let c: m::Composition<'_> = self.parse(bytes, "Composition", place)?;
                if !super::from_checkup::is_checkup_composition(&c) {
                    self.report.skip(
                        "unmodelled-resource-type",
                        place.at("/resourceType"),
                        "Composition resources other than eCheckup reports are not modelled",
                    );
                    return Ok(Decoded::Skipped);
                }
                let previous = self.checkup.start(&c, place, &mut self.report)?;
                self.report.converted("checkup-composition");
                Ok(match previous {
                    Some(r) => Decoded::Record(Box::new(Record::Checkup(Box::new(r)))),
                    None => Decoded::Absorbed,
                })
            }
            "Organization" if self.checkup.is_active() => {
                let o: m::Organization<'_> = self.parse(bytes, "Organization", place)?;
                self.checkup.organization(&o, place);
                self.report.converted("checkup-organization");
                Ok(Decoded::Absorbed)
            }
            "Encounter" if self.checkup.is_active() => {
                let e: m::Encounter<'_> = self.parse(bytes, "Encounter", place)?;
                self.checkup.encounter(&e, place);
                self.report.converted("checkup-encounter");
                Ok(Decoded::Absorbed)
            }
            "Coverage" if self.checkup.is_active() => {
                let c: m::Coverage<'_> = self.parse(bytes, "Coverage", place)?;
                if self.checkup.coverage(&c) {
                    self.report.converted("checkup-coverage");
                    Ok(Decoded::Absorbed)
                } else {
                    self.report.skip(
                        "unmodelled-resource-type",
                        place.at("/resourceType"),
                        "Coverage resources other than a 受診券 are not modelled",
                    );
                    Ok(Decoded::Skipped)
                }
            }
            "Patient" => {
                let p: m::Patient<'_> = self.parse(bytes, "Patient", place)?;
                let subject = patient(&p, place)?;
                self.checkup
                    .patient(subject.clone(), place, p.id.as_deref());
                if self.checkup.is_pending_subject(place, p.id.as_deref()) {
                    self.report.converted("checkup-patient");
                    return Ok(Decoded::Absorbed);
                }
                if subject.is_empty() && !self.emitted_any {
                    // The writer's placeholder for records without a subject: nothing to separate yet.
                    self.report.converted("subject-placeholder");
                    Ok(Decoded::Absorbed)
                } else {
                    self.report.converted("subject");
                    Ok(Decoded::Record(Box::new(Record::from(subject))))
                }
            }
            "MedicationDispense" => {
                let r: super::care_model::MedicationDispense<'_> =
                    self.parse(bytes, "MedicationDispense", place)?;
                if super::medication::withdrawn(r.status.as_deref()) {
                    self.report.skip(
                        "status-withdrawn",
                        place.at("/status"),
                        "dispense withdrawn by its source",
                    );
                    return Ok(Decoded::Skipped);
                }
                let rec = super::medication::decode(&r, &mut self.report, place)?;
                self.report.converted("medicationDispense");
                Ok(Decoded::Record(Box::new(Record::Medication(rec))))
            }
            "Immunization" => {
                let r: super::care_model::Immunization<'_> =
                    self.parse(bytes, "Immunization", place)?;
                if matches!(r.status.as_deref(), Some("entered-in-error" | "not-done")) {
                    self.report.skip(
                        "status-withdrawn",
                        place.at("/status"),
                        "immunization not done or withdrawn",
                    );
                    return Ok(Decoded::Skipped);
                }
                let rec = super::immunization::decode(&r, &mut self.report, place)?;
                self.report.converted("immunization");
                Ok(Decoded::Record(Box::new(Record::Immunization(rec))))
            }
            "ExplanationOfBenefit" => {
                let r: super::care_model::ExplanationOfBenefit<'_> =
                    self.parse(bytes, "ExplanationOfBenefit", place)?;
                if matches!(r.status.as_deref(), Some("entered-in-error" | "cancelled")) {
                    self.report.skip(
                        "status-withdrawn",
                        place.at("/status"),
                        "explanation of benefit withdrawn by its source",
                    );
                    return Ok(Decoded::Skipped);
                }
                let rec = super::expense::decode(&r, &mut self.report, place)?;
                self.report.converted("medicalExpense");
                Ok(Decoded::Record(Box::new(Record::Expense(rec))))
            }
            "Device" => {
                let d: m::Device<'_> = self.parse(bytes, "Device", place)?;
                self.remember_device(&d, place.full_url.as_deref(), "");
                self.report.converted("source");
                Ok(Decoded::Absorbed)
            }
            t if R4_RESOURCE_TYPES.contains(&t) => {
                self.report.skip(
                    "unmodelled-resource-type",
                    place.at("/resourceType"),
                    format!("{t} resources are not modelled by phrkit"),
                );
                Ok(Decoded::Skipped)
            }
            _ => Err(invalid(
                place,
                "/resourceType",
                "unknown resourceType (not an R4 resource)",
            )),
        }
    }

    fn remember_device(
        &mut self,
        d: &m::Device<'_>,
        full_url: Option<&str>,
        contained_prefix: &str,
    ) {
        let src = Arc::new(device_to_source(d));
        if let Some(id) = &d.id {
            if contained_prefix.is_empty() {
                self.devices.insert(format!("Device/{id}"), src.clone());
            } else {
                self.devices
                    .insert(format!("{contained_prefix}#{id}"), src.clone());
            }
        }
        if let Some(u) = full_url {
            self.devices.insert(u.to_owned(), src);
        }
    }

    fn observation(
        &mut self,
        o: m::Observation<'_>,
        place: &ResourcePlace,
    ) -> Result<Decoded, Error> {
        let status = o
            .status
            .as_deref()
            .ok_or_else(|| invalid(place, "/status", "missing required element status"))?;
        match status {
            "final" | "amended" | "corrected" | "preliminary" | "registered" | "unknown" => {}
            "entered-in-error" | "cancelled" => {
                self.report.skip(
                    "status-withdrawn",
                    place.at("/status"),
                    "observation withdrawn by its source",
                );
                return Ok(Decoded::Skipped);
            }
            _ => {
                return Err(invalid(
                    place,
                    "/status",
                    "status is not a code of ObservationStatus",
                ))
            }
        }
        for (present, path) in [
            (!o.interpretation.is_empty(), "Observation.interpretation"),
            (o.method.is_some(), "Observation.method"),
            (!o.reference_range.is_empty(), "Observation.referenceRange"),
            (!o.has_member.is_empty(), "Observation.hasMember"),
            (o.value_date_time.is_some(), "Observation.valueDateTime"),
        ] {
            if present {
                self.report.ignore_element(path);
            }
        }
        let code = o
            .code
            .as_ref()
            .ok_or_else(|| invalid(place, "/code", "missing required element code"))?;
        let kind = identify_kind(code).ok_or_else(|| {
            invalid(
                place,
                "/code/coding",
                "code has no coding with system and code",
            )
        })?;
        let effective = effective(&o, place)?;
        let value = value(&o, &kind, place)?;
        let value = match value {
            Some(v) => v,
            None => {
                self.report.skip(
                    "no-value",
                    place.at("/value[x]"),
                    "observation carries no value phrkit can keep",
                );
                return Ok(Decoded::Skipped);
            }
        };
        if kind == Kind::OxygenSaturation {
            if let MeasurementValue::Quantity(q) = &value {
                if q.value <= Decimal::ONE {
                    self.report.skip(
                        "probable-fraction",
                        place.at("/valueQuantity/value"),
                        "SpO2 of 1 % or less is probably an unscaled fraction; not guessed",
                    );
                    return Ok(Decoded::Skipped);
                }
            }
        }
        let pointer = match &value {
            MeasurementValue::Quantity(_) => "/valueQuantity",
            _ => "/component",
        };
        let mut meas =
            Measurement::new(kind, effective, value).map_err(|e| record_err(place, pointer, e))?;
        if let Some(issued) = &o.issued {
            meas = meas.with_recorded(
                timestamp(issued).ok_or_else(|| invalid(place, "/issued", "invalid instant"))?,
            );
        }
        for (i, id) in o.identifier.iter().enumerate() {
            match (id.system.as_deref(), id.value.as_deref()) {
                (Some(SOURCE_RECORD_ID), Some(v)) => meas = meas.with_identifier(v),
                (Some(RFC3986), Some(v)) if v.starts_with("urn:uuid:") => {} // derived from content
                _ => {
                    let _ = i;
                    self.report.ignore_element("Observation.identifier");
                }
            }
        }
        let mut metadata = Vec::new();
        for (i, ext) in o.extension.iter().enumerate() {
            if ext.url.as_deref() == Some(EXT_SOURCE_METADATA) {
                let get = |name: &str| {
                    ext.extension
                        .iter()
                        .find(|e| e.url.as_deref() == Some(name))
                        .and_then(|e| e.value_string.as_deref())
                };
                match (get("key"), get("value")) {
                    (Some(k), Some(v)) => metadata.push(MetadataEntry {
                        key: k.to_owned(),
                        value: v.to_owned(),
                    }),
                    _ => {
                        return Err(invalid(
                            place,
                            &format!("/extension/{i}"),
                            "source-metadata needs key and value",
                        ))
                    }
                }
            } else {
                self.report.ignore_element("Observation.extension");
            }
        }
        if !metadata.is_empty() {
            meas = meas.with_metadata(metadata);
        }
        for (i, raw) in o.contained.iter().enumerate() {
            let bytes = raw.get().as_bytes();
            let sub = ResourcePlace {
                line: place.line,
                prefix: format!("{}/contained/{i}", place.prefix),
                full_url: None,
            };
            if self.scan(bytes, &sub)? == Some("Device") {
                let d: m::Device<'_> = self.parse(bytes, "Device", &sub)?;
                self.remember_device(&d, None, "contained");
            } else {
                self.report.ignore_element("Observation.contained");
            }
        }
        if let Some(r) = o.device.as_ref().and_then(|d| d.reference.as_deref()) {
            let key = if r.starts_with('#') {
                format!("contained{r}")
            } else {
                r.to_owned()
            };
            match self.devices.get(&key) {
                Some(src) => meas = meas.with_source(src.clone()),
                None => self.report.issue(
                    crate::report::Severity::Warning,
                    "unresolved-device",
                    place.at("/device"),
                    "device reference does not resolve to a Device read earlier; source left empty",
                ),
            }
        }
        let type_name = meas.kind().name();
        self.report.converted(&type_name);
        Ok(Decoded::Record(Box::new(Record::Measurement(meas))))
    }
}

fn classify_serde_error(e: &serde_json::Error) -> String {
    // serde_json messages describe the expected type, not the value found, except for unknown variants and
    // invalid values where they quote it; keep only the category and position to avoid echoing input.
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax => format!("malformed JSON at line {} column {}", e.line(), e.column()),
        Category::Eof => "unexpected end of JSON".to_owned(),
        Category::Io => "I/O error while reading JSON".to_owned(),
        Category::Data => {
            let msg = e.to_string();
            if msg.starts_with("invalid type") {
                // "invalid type: string \"abc\", expected ..." — drop the quoted value.
                let expected = msg
                    .split("expected")
                    .nth(1)
                    .unwrap_or("")
                    .split(" at line")
                    .next()
                    .unwrap_or("");
                format!("wrong JSON type, expected{expected}")
            } else if msg.starts_with("missing field") {
                msg.split(" at line")
                    .next()
                    .unwrap_or("missing field")
                    .to_owned()
            } else {
                "invalid value".to_owned()
            }
        }
    }
}

/// Parses a FHIR `dateTime`/`instant` with time and offset.
pub fn timestamp(s: &str) -> Option<Timestamp> {
    if s.len() < 20 || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

fn parse_effective_str(s: &str) -> Option<Effective> {
    if s.len() == 10 {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(Effective::Date);
    }
    timestamp(s).map(Effective::Instant)
}

fn effective(o: &m::Observation<'_>, place: &ResourcePlace) -> Result<Effective, Error> {
    if let Some(s) = o
        .effective_date_time
        .as_deref()
        .or(o.effective_instant.as_deref())
    {
        return parse_effective_str(s).ok_or_else(|| {
            invalid(
                place,
                "/effectiveDateTime",
                "dateTime needs a full date, or date, time and offset",
            )
        });
    }
    if let Some(p) = &o.effective_period {
        let start = p.start.as_deref().and_then(timestamp);
        let end = p.end.as_deref().and_then(timestamp);
        return match (start, end) {
            (Some(s), Some(e)) => Period::new(s, e)
                .map(Effective::Period)
                .map_err(|r| record_err(place, "/effectivePeriod", r)),
            (Some(s), None) if p.end.is_none() => Ok(Effective::Instant(s)),
            _ => Err(invalid(
                place,
                "/effectivePeriod",
                "period needs start and end with time and offset",
            )),
        };
    }
    Err(invalid(place, "/effective[x]", "missing effective[x]"))
}

fn identify_kind(code: &m::CodeableConcept<'_>) -> Option<Kind> {
    let mut first: Option<Coding> = None;
    for c in &code.coding {
        let (Some(system), Some(code)) = (c.system.as_deref(), c.code.as_deref()) else {
            continue;
        };
        let found = if is_pghd(system) {
            Kind::from_pghd(code)
        } else if system == LOINC {
            match code {
                "93832-4" => Some(Kind::SleepSession),
                "15074-8" => Some(Kind::BloodGlucose),
                _ => KIND_TABLE
                    .iter()
                    .find(|r| r.loinc.iter().any(|(l, _)| *l == code))
                    .map(|r| r.kind.clone()),
            }
        } else if is_medis_vitals(system) || system == JP_BODY_CODE {
            KIND_TABLE
                .iter()
                .find(|r| r.medis.map(|m| m.0) == Some(code))
                .map(|r| r.kind.clone())
        } else if system == HEALTHKIT {
            Kind::from_healthkit(code)
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
        if first.is_none() {
            first = Some(Coding {
                system: system.to_owned(),
                code: code.to_owned(),
                display: c.display.as_deref().map(str::to_owned),
            });
        }
    }
    first.map(|c| Kind::Other(Box::new(c)))
}

fn decimal(raw: &serde_json::value::RawValue) -> Option<Decimal> {
    let s = raw.get();
    let first = *s.as_bytes().first()?;
    if !(first == b'-' || first.is_ascii_digit()) {
        return None;
    }
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

fn quantity(q: &m::Quantity<'_>, place: &ResourcePlace, pointer: &str) -> Result<Quantity, Error> {
    let raw = q
        .value
        .ok_or_else(|| invalid(place, &format!("{pointer}/value"), "quantity without value"))?;
    let value = decimal(raw).ok_or_else(|| {
        invalid(
            place,
            &format!("{pointer}/value"),
            "value is not a JSON decimal number",
        )
    })?;
    if q.comparator.is_some() {
        return Err(invalid(
            place,
            &format!("{pointer}/comparator"),
            "quantities with a comparator are not modelled",
        ));
    }
    // A UCUM code is authoritative; the display `unit` is consulted only when no UCUM code is given
    // (JP data such as `回/分` without system/code, fhir-mapping.md §7.4).
    let unit = match (q.system.as_deref(), q.code.as_deref()) {
        (Some(UCUM), Some(c)) => Unit::from_ucum(c),
        (_, Some(c)) => Unit::from_source_spelling(c),
        _ => q.unit.as_deref().and_then(Unit::from_source_spelling),
    };
    let unit = unit.ok_or_else(|| {
        invalid(
            place,
            &format!("{pointer}/code"),
            "unit is not a UCUM unit phrkit knows",
        )
    })?;
    Ok(Quantity::new(value, unit))
}

fn component_has(c: &m::Component<'_>, system_ok: impl Fn(&str) -> bool, codes: &[&str]) -> bool {
    c.code.as_ref().is_some_and(|cc| {
        cc.coding.iter().any(|k| {
            k.system.as_deref().is_some_and(&system_ok)
                && k.code.as_deref().is_some_and(|x| codes.contains(&x))
        })
    })
}

fn value(
    o: &m::Observation<'_>,
    kind: &Kind,
    place: &ResourcePlace,
) -> Result<Option<MeasurementValue>, Error> {
    match kind {
        Kind::BloodPressure => {
            let mut sys = None;
            let mut dia = None;
            for (i, c) in o.component.iter().enumerate() {
                let p = format!("/component/{i}/valueQuantity");
                let systolic = component_has(c, |s| s == LOINC, &["8480-6"])
                    || component_has(c, is_medis_vitals, &["31001848"])
                    || component_has(c, is_pghd, &["bloodPressureSystolic"]);
                let diastolic = component_has(c, |s| s == LOINC, &["8462-4"])
                    || component_has(c, is_medis_vitals, &["31001849"])
                    || component_has(c, is_pghd, &["bloodPressureDiastolic"]);
                if !(systolic || diastolic) {
                    continue;
                }
                let q = c.value_quantity.as_ref().ok_or_else(|| {
                    invalid(place, &p, "blood-pressure component without valueQuantity")
                })?;
                let q = quantity(q, place, &p)?;
                if q.unit != Unit::MillimeterOfMercury {
                    return Err(record_err(
                        place,
                        &p,
                        RecordError::UnknownUnit {
                            unit: q.unit.ucum().into(),
                            kind: "bloodPressure".into(),
                        },
                    ));
                }
                if systolic {
                    sys = Some(q.value);
                } else {
                    dia = Some(q.value);
                }
            }
            match (sys, dia) {
                (Some(systolic), Some(diastolic)) => Ok(Some(MeasurementValue::BloodPressure {
                    systolic,
                    diastolic,
                })),
                _ => Err(invalid(
                    place,
                    "/component",
                    "blood-pressure panel needs systolic and diastolic components",
                )),
            }
        }
        Kind::SleepSession => {
            let mut stages = Vec::new();
            for (i, c) in o.component.iter().enumerate() {
                let Some(code) = c.code.as_ref().and_then(|cc| {
                    cc.coding
                        .iter()
                        .find(|k| k.system.as_deref() == Some(PGHD_SLEEP_STAGE))
                        .and_then(|k| k.code.as_deref())
                }) else {
                    continue;
                };
                let p = format!("/component/{i}");
                let stage = SleepStage::from_code(code).ok_or_else(|| {
                    invalid(place, &format!("{p}/code"), "unknown sleep stage code")
                })?;
                let per = c.value_period.as_ref().ok_or_else(|| {
                    invalid(
                        place,
                        &format!("{p}/valuePeriod"),
                        "sleep stage without period",
                    )
                })?;
                let (Some(s), Some(e)) = (
                    per.start.as_deref().and_then(timestamp),
                    per.end.as_deref().and_then(timestamp),
                ) else {
                    return Err(invalid(
                        place,
                        &format!("{p}/valuePeriod"),
                        "sleep stage period needs start and end",
                    ));
                };
                let period = Period::new(s, e)
                    .map_err(|r| record_err(place, &format!("{p}/valuePeriod"), r))?;
                stages.push(SleepStageInterval { stage, period });
            }
            SleepSession::new(stages)
                .map(|s| Some(MeasurementValue::Sleep(s)))
                .map_err(|r| record_err(place, "/component", r))
        }
        Kind::Workout => {
            let activity = o
                .value_codeable_concept
                .as_ref()
                .and_then(|cc| {
                    cc.coding
                        .iter()
                        .find_map(|c| c.code.as_deref())
                        .or(cc.text.as_deref())
                })
                .ok_or_else(|| {
                    invalid(
                        place,
                        "/valueCodeableConcept",
                        "workout without activity type",
                    )
                })?;
            let mut w = Workout {
                activity: activity.to_owned(),
                duration: None,
                energy: None,
                distance: None,
            };
            for (i, c) in o.component.iter().enumerate() {
                let p = format!("/component/{i}/valueQuantity");
                let Some(vq) = c.value_quantity.as_ref() else {
                    continue;
                };
                let slot = if component_has(c, |s| s == LOINC, &["55411-3"]) {
                    &mut w.duration
                } else if component_has(c, |s| s == LOINC, &["41981-2"]) {
                    &mut w.energy
                } else if component_has(c, is_pghd, &["distance", "distanceWalkingRunning"]) {
                    &mut w.distance
                } else {
                    continue;
                };
                *slot = Some(quantity(vq, place, &p)?);
            }
            Ok(Some(MeasurementValue::Workout(w)))
        }
        _ => {
            if let Some(q) = &o.value_quantity {
                return Ok(Some(MeasurementValue::Quantity(quantity(
                    q,
                    place,
                    "/valueQuantity",
                )?)));
            }
            if let (Kind::Other(_), Some(s)) = (kind, &o.value_string) {
                return Ok(Some(MeasurementValue::Text(s.to_string())));
            }
            if let (Kind::Other(_), Some(cc)) = (kind, &o.value_codeable_concept) {
                if let Some(c) = cc
                    .coding
                    .iter()
                    .find_map(|c| c.code.as_deref())
                    .or(cc.text.as_deref())
                {
                    return Ok(Some(MeasurementValue::Text(c.to_owned())));
                }
            }
            Ok(None)
        }
    }
}

fn device_to_source(d: &m::Device<'_>) -> Source {
    let mut src = Source::default();
    let mut dev = SourceDevice {
        manufacturer: d.manufacturer.as_deref().map(str::to_owned),
        model: d.model_number.as_deref().map(str::to_owned),
        ..SourceDevice::default()
    };
    for n in &d.device_name {
        match n.type_.as_deref() {
            Some("user-friendly-name") => src.name = n.name.as_deref().map(str::to_owned),
            _ => dev.name = n.name.as_deref().map(str::to_owned),
        }
    }
    for v in &d.version {
        let value = v.value.as_deref().map(str::to_owned);
        match v.type_.as_ref().and_then(|t| t.text.as_deref()) {
            Some("app") => src.version = value,
            Some("hardware") => dev.hardware = value,
            _ => dev.software = value,
        }
    }
    if dev != SourceDevice::default() {
        src.device = Some(dev);
    }
    src
}

fn patient(p: &m::Patient<'_>, place: &ResourcePlace) -> Result<Subject, Error> {
    let mut s = Subject::default();
    for (i, ext) in p.extension.iter().enumerate() {
        if ext.url.as_deref() != Some(EXT_AGE_BAND) {
            continue;
        }
        let pointer = format!("/extension/{i}/valueRange");
        let years = |q: &Option<m::Quantity<'_>>| -> Result<Option<u16>, Error> {
            let Some(raw) = q.as_ref().and_then(|q| q.value) else {
                return Ok(None);
            };
            raw.get()
                .parse::<u16>()
                .map(Some)
                .map_err(|_| invalid(place, &pointer, "age band bounds must be whole years"))
        };
        let range = ext
            .value_range
            .as_ref()
            .ok_or_else(|| invalid(place, &pointer, "age band without valueRange"))?;
        let low =
            years(&range.low)?.ok_or_else(|| invalid(place, &pointer, "age band without low"))?;
        s.age_band = Some(AgeBand {
            low,
            high: years(&range.high)?,
        });
    }
    for (i, id) in p.identifier.iter().enumerate() {
        let (Some(system), Some(value)) = (id.system.as_deref(), id.value.as_deref()) else {
            continue;
        };
        if is_insured_id(system) {
            s.insured_id = Some(
                InsuredId::parse(value)
                    .map_err(|r| record_err(place, &format!("/identifier/{i}/value"), r))?,
            );
        } else if system == RFC3986 && value.starts_with("urn:uuid:") {
            // Derived from content by the writer; regenerated on output.
        } else {
            s.identifiers.push(Coding::new(system, value));
        }
    }
    for n in &p.name {
        let repr = n
            .extension
            .iter()
            .find(|e| e.url.as_deref() == Some(EN_REPRESENTATION))
            .and_then(|e| e.value_code.as_deref());
        let text = n.text.as_deref().map(str::to_owned).unwrap_or_else(|| {
            let given = n.given.join(" ");
            [n.family.as_deref().unwrap_or(""), given.as_str()]
                .iter()
                .filter(|x| !x.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        });
        let name = PersonName {
            family: n.family.as_deref().map(str::to_owned),
            given: n.given.first().map(|g| g.to_string()),
            text,
        };
        match repr {
            Some("SYL") => s.name_kana = Some(name),
            Some("IDE") | None if s.name_kanji.is_none() => s.name_kanji = Some(name),
            _ => {}
        }
    }
    if let Some(g) = &p.gender {
        s.sex = Some(Sex::from_code(g).ok_or_else(|| {
            invalid(
                place,
                "/gender",
                "gender is not an AdministrativeGender code",
            )
        })?);
    }
    if let Some(b) = &p.birth_date {
        if b.len() == 4 && b.bytes().all(|c| c.is_ascii_digit()) {
            // A year alone: what pseudonymised output keeps of a birth date.
            s.birth_year = b.parse().ok();
        } else {
            s.birth_date = Some(NaiveDate::parse_from_str(b, "%Y-%m-%d").map_err(|_| {
                invalid(
                    place,
                    "/birthDate",
                    "birthDate must be a full date or a year",
                )
            })?);
        }
    }
    if let Some(a) = p.address.first() {
        s.address = Some(Address {
            postal_code: a.postal_code.as_deref().map(str::to_owned),
            prefecture: a.state.as_deref().map(str::to_owned),
            text: a.text.as_deref().map(str::to_owned),
        });
    }
    Ok(s)
}
