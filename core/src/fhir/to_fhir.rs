//! Records → FHIR R4 resources (JSON bytes), following JP Core and the R4 vital-signs profiles.
//!
//! Resources are written straight into byte buffers in a fixed key order (see `fhir/json_out.rs`). Ids are
//! derived from content (a UUIDv8 of the SHA-256 of the resource body), so the same record always gets the
//! same id and the same bytes: users can diff, deduplicate and conditionally create.

use rust_decimal::Decimal;

use super::codes::*;
use super::json_out::JsonOut;
use crate::record::{
    Effective, Family, Kind, Measurement, MeasurementValue, PersonName, Quantity, Shape, Source,
    Subject, Unit,
};

/// Which form of JP Core code-system URIs to emit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeSystemStyle {
    /// http forms (JP Core 1.1.2-url, 1.2 and later): the default.
    #[default]
    Url,
    /// `urn:oid:` forms for partners pinned to JP Core 1.1.2.
    Oid,
}

/// How references between resources are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceStyle {
    /// `Patient/<id>` (NDJSON, servers).
    Relative,
    /// `urn:uuid:<id>` (inside a Bundle whose entries have `urn:uuid:` fullUrls).
    UrnUuid,
}

/// Options that change the FHIR resources written.
#[derive(Clone, Copy, Debug)]
pub struct ResourceOptions {
    /// Code-system URI form.
    pub code_systems: CodeSystemStyle,
    /// Reference form.
    pub references: ReferenceStyle,
    /// Whether `Resource.id` is written (a transaction's POST entries leave it out).
    pub write_id: bool,
}

impl Default for ResourceOptions {
    fn default() -> Self {
        ResourceOptions {
            code_systems: CodeSystemStyle::Url,
            references: ReferenceStyle::Relative,
            write_id: true,
        }
    }
}

/// A reusable encoder: holds scratch buffers so encoding a resource allocates nothing in steady state.
#[derive(Default)]
pub struct Encoder {
    head: Vec<u8>,
    body: Vec<u8>,
}

/// The content-derived id of a resource, as a UUID string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceId(pub String);

impl ResourceId {
    /// The reference to the resource of `type_name` in the given style.
    pub fn reference(&self, type_name: &str, style: ReferenceStyle) -> String {
        match style {
            ReferenceStyle::Relative => format!("{type_name}/{}", self.0),
            ReferenceStyle::UrnUuid => format!("urn:uuid:{}", self.0),
        }
    }
}

/// A UUIDv8 (RFC 9562) from the SHA-256 of `parts`.
pub fn content_id(parts: &[&[u8]]) -> ResourceId {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(&(p.len() as u64).to_le_bytes());
        ctx.update(p);
    }
    uuid_from_digest(ctx.finish().as_ref())
}

/// Formats the first 128 bits of a digest as an RFC 9562 version-8 UUID.
fn uuid_from_digest(d: &[u8]) -> ResourceId {
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(hex[(byte >> 4) as usize] as char);
        s.push(hex[(byte & 0xf) as usize] as char);
    }
    ResourceId(s)
}

fn strip_braces(v: &[u8]) -> &[u8] {
    if v.len() >= 2 {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// Assembles `{"resourceType":T[,"id":ID],<head>,"identifier":[...],<body>}` and returns the id.
pub(crate) fn assemble(
    out: &mut Vec<u8>,
    resource_type: &str,
    head: &[u8],
    body: &[u8],
    extra_identifiers: &[(&str, &str)],
    opts: &ResourceOptions,
) -> ResourceId {
    let head = strip_braces(head);
    let body = strip_braces(body);
    let id = {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut part = |p: &[u8]| {
            ctx.update(&(p.len() as u64).to_le_bytes());
            ctx.update(p);
        };
        part(resource_type.as_bytes());
        part(head);
        part(body);
        for (s, v) in extra_identifiers {
            part(s.as_bytes());
            part(v.as_bytes());
        }
        uuid_from_digest(ctx.finish().as_ref())
    };
    out.extend_from_slice(b"{\"resourceType\":\"");
    out.extend_from_slice(resource_type.as_bytes());
    out.push(b'"');
    if opts.write_id {
        out.extend_from_slice(b",\"id\":\"");
        out.extend_from_slice(id.0.as_bytes());
        out.push(b'"');
    }
    if !head.is_empty() {
        out.push(b',');
        out.extend_from_slice(head);
    }
    if resource_type == "Composition" {
        // Composition.identifier is 0..1 in R4: the document's own id when it has one, else the content id.
        let content = format!("urn:uuid:{}", id.0);
        let (system, value) = extra_identifiers
            .first()
            .copied()
            .unwrap_or((RFC3986, &content));
        out.extend_from_slice(b",\"identifier\":{\"system\":");
        super::json_out::write_escaped(out, system);
        out.extend_from_slice(b",\"value\":");
        super::json_out::write_escaped(out, value);
        out.push(b'}');
    } else {
        out.extend_from_slice(
            b",\"identifier\":[{\"system\":\"urn:ietf:rfc:3986\",\"value\":\"urn:uuid:",
        );
        out.extend_from_slice(id.0.as_bytes());
        out.extend_from_slice(b"\"}");
        for (s, v) in extra_identifiers {
            out.extend_from_slice(b",{\"system\":");
            super::json_out::write_escaped(out, s);
            out.extend_from_slice(b",\"value\":");
            super::json_out::write_escaped(out, v);
            out.push(b'}');
        }
        out.push(b']');
    }
    if !body.is_empty() {
        out.push(b',');
        out.extend_from_slice(body);
    }
    out.push(b'}');
    id
}

fn quantity(j: &mut JsonOut<'_>, key: &str, value: &Decimal, unit: Unit) {
    j.key_object(key);
    // Decimal's Display keeps the scale: 104 stays "104", 104.0 stays "104.0".
    j.field_display("value", value);
    j.field_str("unit", unit.display());
    j.field_str("system", UCUM);
    j.field_str("code", unit.ucum());
    j.end_object();
}

fn coding(j: &mut JsonOut<'_>, system: &str, code: &str, display: Option<&str>) {
    j.begin_object();
    j.field_str("system", system);
    j.field_str("code", code);
    if let Some(d) = display {
        j.field_str("display", d);
    }
    j.end_object();
}

fn category(j: &mut JsonOut<'_>, system: &str, code: &str) {
    j.begin_object();
    j.key_array("coding");
    coding(j, system, code, None);
    j.end_array();
    j.end_object();
}

fn medis_system(family: Family, style: CodeSystemStyle) -> &'static str {
    match (family, style) {
        (Family::BodyMeasurement, _) => JP_BODY_CODE,
        (_, CodeSystemStyle::Url) => MEDIS_VITALS_URL,
        (_, CodeSystemStyle::Oid) => MEDIS_VITALS_OID,
    }
}

fn profiles(kind: &Kind) -> (&'static str, Option<&'static str>) {
    const COMMON: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_Common";
    let Some(info) = kind.info() else {
        return (COMMON, None);
    };
    let jp = match info.family {
        Family::VitalSigns => {
            "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns"
        }
        Family::BodyMeasurement => {
            "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_BodyMeasurement"
        }
        _ => COMMON,
    };
    let r4 = info.r4_profile.map(|p| match p {
        "heartrate" => "http://hl7.org/fhir/StructureDefinition/heartrate",
        "bp" => "http://hl7.org/fhir/StructureDefinition/bp",
        "oxygensat" => "http://hl7.org/fhir/StructureDefinition/oxygensat",
        "resprate" => "http://hl7.org/fhir/StructureDefinition/resprate",
        "bodytemp" => "http://hl7.org/fhir/StructureDefinition/bodytemp",
        "bodyweight" => "http://hl7.org/fhir/StructureDefinition/bodyweight",
        "bodyheight" => "http://hl7.org/fhir/StructureDefinition/bodyheight",
        "bmi" => "http://hl7.org/fhir/StructureDefinition/bmi",
        _ => "http://hl7.org/fhir/StructureDefinition/vitalsigns",
    });
    (jp, r4)
}

fn categories(j: &mut JsonOut<'_>, kind: &Kind) {
    let family = kind.info().map(|i| i.family).unwrap_or(Family::Activity);
    let (jp, hl7) = match family {
        Family::VitalSigns => ("vital-signs", "vital-signs"),
        Family::BodyMeasurement => ("body-measurement", "vital-signs"),
        Family::Activity | Family::Sleep => ("activity", "activity"),
        Family::Laboratory => ("laboratory", "laboratory"),
    };
    j.key_array("category");
    category(j, JP_CATEGORY, jp);
    if let Some((system, code, display)) = second_category(kind) {
        j.begin_object();
        j.key_array("coding");
        coding(j, system, code, Some(display));
        j.end_array();
        j.end_object();
    }
    category(j, OBSERVATION_CATEGORY, hl7);
    j.end_array();
}

/// The second category slice JP_Observation_VitalSigns / _BodyMeasurement require (min 1). Codes from
/// JP Core's `JP_ObservationVitalSignsCategory_CS` (jp-core-v1x FSH source; the CodeSystem is not shipped in
/// the 1.1.2 packages, so validators cannot check these codes) and `JP_ObservationBodyMeasurementCategory_CS`.
fn second_category(kind: &Kind) -> Option<(&'static str, &'static str, &'static str)> {
    const VS: &str = "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationVitalSignsCategory_CS";
    const BM: &str =
        "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationBodyMeasurementCategory_CS";
    Some(match kind {
        Kind::HeartRate | Kind::RestingHeartRate | Kind::WalkingHeartRateAverage => {
            (VS, "pulse-rate", "脈拍数")
        }
        Kind::HeartRateVariabilitySdnn => (VS, "cardiac-function", "心機能"),
        Kind::BloodPressure => (VS, "blood-pressure", "血圧"),
        Kind::OxygenSaturation | Kind::RespiratoryRate | Kind::Vo2Max => {
            (VS, "respiratory-function", "呼吸機能")
        }
        Kind::BodyTemperature => (VS, "temperature", "体温"),
        Kind::BodyWeight | Kind::LeanBodyMass => (BM, "weight", "体重"),
        Kind::BodyHeight => (BM, "height", "身長"),
        Kind::WaistCircumference => (BM, "abdominal-circumference", "腹囲"),
        Kind::BodyFatPercentage => (BM, "body-fat-percentage", "体脂肪率"),
        Kind::BodyMassIndex => (BM, "body-mass-index", "肥満度"),
        _ => return None,
    })
}

fn code(j: &mut JsonOut<'_>, m: &Measurement, style: CodeSystemStyle) {
    j.key_object("code");
    j.key_array("coding");
    match m.kind() {
        Kind::Other(c) => coding(j, &c.system, &c.code, c.display.as_deref()),
        kind => {
            if let Some(info) = kind.info() {
                let loinc: &[(&str, &str)] = if *kind == Kind::BloodGlucose {
                    // Mass vs molar concentration picks the LOINC term (spec rows 28/29).
                    let molar = matches!(m.value(), MeasurementValue::Quantity(q) if q.unit == Unit::MillimolePerLiter);
                    let i = usize::from(molar);
                    &info.loinc[i..=i]
                } else {
                    info.loinc
                };
                if *kind == Kind::SleepSession {
                    coding(j, LOINC, "93832-4", Some("Sleep duration"));
                }
                for (c, d) in loinc {
                    coding(j, LOINC, c, Some(d));
                }
                if let Some((c, d)) = info.medis {
                    coding(j, medis_system(info.family, style), c, Some(d));
                }
                if *kind != Kind::Workout {
                    coding(j, PGHD, info.pghd, None);
                }
            }
        }
    }
    j.end_array();
    j.end_object();
}

fn effective(j: &mut JsonOut<'_>, e: &Effective) {
    match e {
        Effective::Instant(t) => j.field_timestamp("effectiveDateTime", t),
        Effective::Date(d) => j.field_display(
            "effectiveDateTime",
            &format_args!("\"{}\"", d.format("%Y-%m-%d")),
        ),
        Effective::Period(p) => {
            j.key_object("effectivePeriod");
            j.field_timestamp("start", p.start());
            j.field_timestamp("end", p.end());
            j.end_object();
        }
    }
}

fn component_quantity(j: &mut JsonOut<'_>, codes: &[(&str, &str, Option<&str>)], q: &Quantity) {
    j.begin_object();
    j.key_object("code");
    j.key_array("coding");
    for (s, c, d) in codes {
        coding(j, s, c, *d);
    }
    j.end_array();
    j.end_object();
    quantity(j, "valueQuantity", &q.value, q.unit);
    j.end_object();
}

fn value(j: &mut JsonOut<'_>, m: &Measurement, style: CodeSystemStyle) {
    match m.value() {
        MeasurementValue::Quantity(q) => quantity(j, "valueQuantity", &q.value, q.unit),
        MeasurementValue::Text(t) => j.field_str("valueString", t),
        MeasurementValue::BloodPressure {
            systolic,
            diastolic,
        } => {
            let medis = medis_system(Family::VitalSigns, style);
            j.key_array("component");
            component_quantity(
                j,
                &[
                    (LOINC, "8480-6", Some("Systolic blood pressure")),
                    (medis, "31001848", Some("収縮期血圧")),
                ],
                &Quantity::new(*systolic, Unit::MillimeterOfMercury),
            );
            component_quantity(
                j,
                &[
                    (LOINC, "8462-4", Some("Diastolic blood pressure")),
                    (medis, "31001849", Some("拡張期血圧")),
                ],
                &Quantity::new(*diastolic, Unit::MillimeterOfMercury),
            );
            j.end_array();
        }
        MeasurementValue::Sleep(s) => {
            // Total time asleep (union of asleep stages) as the value; each stage as a component with its
            // interval, so the session round-trips exactly.
            quantity(
                j,
                "valueQuantity",
                &Decimal::from(s.asleep_minutes()),
                Unit::Minute,
            );
            j.key_array("component");
            for st in s.stages() {
                j.begin_object();
                j.key_object("code");
                j.key_array("coding");
                coding(j, PGHD_SLEEP_STAGE, st.stage.code(), None);
                j.end_array();
                j.end_object();
                j.key_object("valuePeriod");
                j.field_timestamp("start", st.period.start());
                j.field_timestamp("end", st.period.end());
                j.end_object();
                j.end_object();
            }
            j.end_array();
        }
        MeasurementValue::Workout(w) => {
            j.key_object("valueCodeableConcept");
            j.key_array("coding");
            let system = if w.activity.starts_with("HKWorkoutActivityType") {
                HEALTHKIT
            } else {
                ACTIVITY_TYPE
            };
            coding(j, system, &w.activity, None);
            j.end_array();
            j.end_object();
            let any = w.duration.is_some() || w.energy.is_some() || w.distance.is_some();
            if any {
                j.key_array("component");
                if let Some(q) = &w.duration {
                    component_quantity(j, &[(LOINC, "55411-3", Some("Exercise duration"))], q);
                }
                if let Some(q) = &w.energy {
                    component_quantity(j, &[(LOINC, "41981-2", Some("Calories burned"))], q);
                }
                if let Some(q) = &w.distance {
                    component_quantity(j, &[(PGHD, "distance", None)], q);
                }
                j.end_array();
            }
        }
    }
}

impl Encoder {
    /// A new encoder.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Appends one Observation for `m` to `out` (no trailing newline) and returns its id.
    pub fn observation(
        &mut self,
        out: &mut Vec<u8>,
        m: &Measurement,
        patient: &str,
        device: Option<&str>,
        opts: &ResourceOptions,
    ) -> ResourceId {
        self.head.clear();
        self.body.clear();
        {
            let mut j = JsonOut::new(&mut self.head);
            j.begin_object();
            j.key_object("meta");
            j.key_array("profile");
            let (jp, r4) = profiles(m.kind());
            // The R4 vital-signs invariant vs-1 (`($this as dateTime)…`) fails on effectivePeriod in
            // validators (HAPI reports it as an error), so an interval reading claims the JP Core profile
            // only; the content is the same.
            let r4 = if matches!(m.effective(), Effective::Period(_)) {
                None
            } else {
                r4
            };
            j.string(jp);
            if let Some(r4) = r4 {
                j.string(r4);
            }
            j.end_array();
            j.end_object();
            if !m.metadata().is_empty() {
                j.key_array("extension");
                for e in m.metadata() {
                    j.begin_object();
                    j.field_str("url", EXT_SOURCE_METADATA);
                    j.key_array("extension");
                    j.begin_object();
                    j.field_str("url", "key");
                    j.field_str("valueString", &e.key);
                    j.end_object();
                    j.begin_object();
                    j.field_str("url", "value");
                    j.field_str("valueString", &e.value);
                    j.end_object();
                    j.end_array();
                    j.end_object();
                }
                j.end_array();
            }
            j.end_object();
        }
        {
            let mut j = JsonOut::new(&mut self.body);
            j.begin_object();
            j.field_str("status", "final");
            categories(&mut j, m.kind());
            code(&mut j, m, opts.code_systems);
            j.key_object("subject");
            j.field_str("reference", patient);
            j.end_object();
            effective(&mut j, m.effective());
            if let Some(r) = m.recorded() {
                j.field_timestamp("issued", r);
            }
            j.key_array("performer");
            j.begin_object();
            j.field_str("reference", patient);
            j.end_object();
            j.end_array();
            if let Some(d) = device {
                j.key_object("device");
                j.field_str("reference", d);
                j.end_object();
            }
            value(&mut j, m, opts.code_systems);
            j.end_object();
        }
        let source_id: [(&str, &str); 1];
        let extra: &[(&str, &str)] = match m.identifier() {
            Some(v) => {
                source_id = [(SOURCE_RECORD_ID, v)];
                &source_id
            }
            None => &[],
        };
        assemble(out, "Observation", &self.head, &self.body, extra, opts)
    }

    /// Appends one Patient (JP_Patient) for `s` and returns its id.
    pub fn patient(
        &mut self,
        out: &mut Vec<u8>,
        s: &Subject,
        opts: &ResourceOptions,
    ) -> ResourceId {
        self.head.clear();
        self.body.clear();
        {
            let mut j = JsonOut::new(&mut self.head);
            j.begin_object();
            j.key_object("meta");
            j.key_array("profile");
            j.string(&format!("{JP_SD}JP_Patient"));
            j.end_array();
            j.end_object();
            j.end_object();
        }
        {
            let mut j = JsonOut::new(&mut self.body);
            j.begin_object();
            if let Some(band) = &s.age_band {
                // Anonymised data: the age band replaces the birth date (phrkit extension, valueRange in
                // UCUM years).
                j.key_array("extension");
                j.begin_object();
                j.field_str("url", EXT_AGE_BAND);
                j.key_object("valueRange");
                j.key_object("low");
                j.field_raw("value", &band.low.to_string());
                j.field_str("system", UCUM);
                j.field_str("code", "a");
                j.end_object();
                if let Some(h) = band.high {
                    j.key_object("high");
                    j.field_raw("value", &h.to_string());
                    j.field_str("system", UCUM);
                    j.field_str("code", "a");
                    j.end_object();
                }
                j.end_object();
                j.end_object();
                j.end_array();
            }
            if s.name_kanji.is_some() || s.name_kana.is_some() {
                j.key_array("name");
                if let Some(n) = &s.name_kanji {
                    name(&mut j, n, "IDE");
                }
                if let Some(n) = &s.name_kana {
                    name(&mut j, n, "SYL");
                }
                j.end_array();
            }
            if let Some(sex) = s.sex {
                j.field_str("gender", sex.code());
            }
            if let Some(b) = s.birth_date {
                j.field_str("birthDate", &b.format("%Y-%m-%d").to_string());
            } else if let Some(y) = s.birth_year {
                j.field_str("birthDate", &format!("{y:04}"));
            }
            if let Some(a) = &s.address {
                j.key_array("address");
                j.begin_object();
                if let Some(t) = &a.text {
                    j.field_str("text", t);
                }
                if let Some(p) = &a.prefecture {
                    j.field_str("state", p);
                }
                if let Some(p) = &a.postal_code {
                    j.field_str("postalCode", p);
                }
                j.field_str("country", "JP");
                j.end_object();
                j.end_array();
            }
            j.end_object();
        }
        let insured = s.insured_id.as_ref().map(|i| i.to_jp_core());
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if let Some(v) = &insured {
            extra.push((INSURED_ID, v));
        }
        for c in &s.identifiers {
            extra.push((&c.system, &c.code));
        }
        assemble(out, "Patient", &self.head, &self.body, &extra, opts)
    }

    /// Appends one Device describing a source and returns its id.
    pub fn device(
        &mut self,
        out: &mut Vec<u8>,
        src: &Source,
        opts: &ResourceOptions,
    ) -> ResourceId {
        self.head.clear();
        self.body.clear();
        self.head.extend_from_slice(b"{}");
        {
            let mut j = JsonOut::new(&mut self.body);
            j.begin_object();
            let dev = src.device.as_ref();
            if let Some(m) = dev.and_then(|d| d.manufacturer.as_deref()) {
                j.field_str("manufacturer", m);
            }
            let names = [
                (src.name.as_deref(), "user-friendly-name"),
                (dev.and_then(|d| d.name.as_deref()), "model-name"),
            ];
            if names.iter().any(|(n, _)| n.is_some()) {
                j.key_array("deviceName");
                for (n, t) in names {
                    if let Some(n) = n {
                        j.begin_object();
                        j.field_str("name", n);
                        j.field_str("type", t);
                        j.end_object();
                    }
                }
                j.end_array();
            }
            if let Some(m) = dev.and_then(|d| d.model.as_deref()) {
                j.field_str("modelNumber", m);
            }
            let versions = [
                ("app", src.version.as_deref()),
                ("hardware", dev.and_then(|d| d.hardware.as_deref())),
                ("software", dev.and_then(|d| d.software.as_deref())),
            ];
            if versions.iter().any(|(_, v)| v.is_some()) {
                j.key_array("version");
                for (t, v) in versions {
                    if let Some(v) = v {
                        j.begin_object();
                        j.key_object("type");
                        j.field_str("text", t);
                        j.end_object();
                        j.field_str("value", v);
                        j.end_object();
                    }
                }
                j.end_array();
            }
            j.end_object();
        }
        assemble(out, "Device", &self.head, &self.body, &[], opts)
    }
}

fn name(j: &mut JsonOut<'_>, n: &PersonName, representation: &str) {
    j.begin_object();
    j.key_array("extension");
    j.begin_object();
    j.field_str("url", EN_REPRESENTATION);
    j.field_str("valueCode", representation);
    j.end_object();
    j.end_array();
    j.field_str("use", "official");
    j.field_str("text", &n.text);
    if let Some(f) = &n.family {
        j.field_str("family", f);
    }
    if let Some(g) = &n.given {
        j.key_array("given");
        j.string(g);
        j.end_array();
    }
    j.end_object();
}

/// Whether a kind's value shape is a plain quantity (used by readers and tables).
pub fn is_quantity_kind(kind: &Kind) -> bool {
    kind.info()
        .is_none_or(|i| matches!(i.shape, Shape::Quantity { .. }))
}
