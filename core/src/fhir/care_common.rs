//! Pieces shared by the care resources (MedicationDispense, Immunization, ExplanationOfBenefit): resource
//! assembly with identifiers that may carry extensions, institution references, coded concepts, kept source
//! fields; and the matching read helpers.

use chrono::NaiveDate;

use super::care_model as cm;
use super::codes::{EXT_SOURCE_METADATA, RFC3986};
use super::jp_systems::{self, EXT_SYNTHETIC, INSTITUTION_10, INSTITUTION_7};
use super::json_out::{write_escaped, JsonOut};
use super::model as m;
use super::to_fhir::{content_id, ResourceId, ResourceOptions};
use super::ResourcePlace;
use crate::error::Error;
use crate::record::{CodedText, Coding, Institution, MetadataEntry, RecordError};
use crate::report::Report;

const FORMAT: &str = "FHIR JSON";

/// An identifier to write after the content identifier.
pub(crate) struct IdOut<'a> {
    pub(crate) system: &'a str,
    pub(crate) value: String,
    /// Marks a value phrkit made up (synthetic RP numbering).
    pub(crate) synthetic: bool,
}

fn strip_braces(v: &[u8]) -> &[u8] {
    if v.len() >= 2 {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// Assembles `{"resourceType":T[,"id"],<head>,"identifier":[uuid, ids…],<body>}`; the id is the content id
/// of type, head, body and identifiers, so equal records give equal bytes.
pub(crate) fn assemble(
    out: &mut Vec<u8>,
    resource_type: &str,
    head: &[u8],
    body: &[u8],
    ids: &[IdOut<'_>],
    opts: &ResourceOptions,
) -> ResourceId {
    let head = strip_braces(head);
    let body = strip_braces(body);
    let synthetic: Vec<&[u8]> = ids
        .iter()
        .map(|i| if i.synthetic { &b"s"[..] } else { &b"r"[..] })
        .collect();
    let mut parts: Vec<&[u8]> = vec![resource_type.as_bytes(), head, body];
    for (i, flag) in ids.iter().zip(&synthetic) {
        parts.extend_from_slice(&[i.system.as_bytes(), i.value.as_bytes(), flag]);
    }
    let id = content_id(&parts);
    out.extend_from_slice(b"{\"resourceType\":");
    write_escaped(out, resource_type);
    if opts.write_id {
        out.extend_from_slice(b",\"id\":");
        write_escaped(out, &id.0);
    }
    if !head.is_empty() {
        out.push(b',');
        out.extend_from_slice(head);
    }
    out.extend_from_slice(b",\"identifier\":[{\"system\":\"");
    out.extend_from_slice(RFC3986.as_bytes());
    out.extend_from_slice(b"\",\"value\":\"urn:uuid:");
    out.extend_from_slice(id.0.as_bytes());
    out.extend_from_slice(b"\"}");
    for i in ids {
        out.extend_from_slice(b",{");
        if i.synthetic {
            out.extend_from_slice(b"\"extension\":[{\"url\":");
            write_escaped(out, EXT_SYNTHETIC);
            out.extend_from_slice(b",\"valueBoolean\":true}],");
        }
        out.extend_from_slice(b"\"system\":");
        write_escaped(out, i.system);
        out.extend_from_slice(b",\"value\":");
        write_escaped(out, &i.value);
        out.push(b'}');
    }
    out.push(b']');
    if !body.is_empty() {
        out.push(b',');
        out.extend_from_slice(body);
    }
    out.push(b'}');
    id
}

pub(crate) fn date_str(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn profile(j: &mut JsonOut<'_>, url: &str) {
    j.key_object("meta");
    j.key_array("profile");
    j.string(url);
    j.end_array();
    j.end_object();
}

/// Writes the source-metadata extensions (inside an open `extension` array).
pub(crate) fn extras(j: &mut JsonOut<'_>, extra: &[MetadataEntry]) {
    for e in extra {
        j.begin_object();
        j.field_str("url", EXT_SOURCE_METADATA);
        j.key_array("extension");
        for (k, v) in [("key", &e.key), ("value", &e.value)] {
            j.begin_object();
            j.field_str("url", k);
            j.field_str("valueString", v);
            j.end_object();
        }
        j.end_array();
        j.end_object();
    }
}

/// The identifier system of an institution code (10 digits vs 7 digits).
fn institution_system(code: &str, opts: &ResourceOptions) -> &'static str {
    if code.len() == 10 {
        INSTITUTION_10.emit(opts.code_systems)
    } else {
        INSTITUTION_7.emit(opts.code_systems)
    }
}

/// Writes the members of a logical Reference to an institution (identifier and display), inside an open
/// object.
pub(crate) fn institution_members(j: &mut JsonOut<'_>, inst: &Institution, opts: &ResourceOptions) {
    if let Some(c) = inst.code() {
        j.key_object("identifier");
        j.field_str("system", institution_system(c, opts));
        j.field_str("value", c);
        j.end_object();
    }
    if let Some(n) = inst.name() {
        j.field_str("display", n);
    }
}

/// Writes `key: {coding:[…], text}` for a coded text, emitting the code system in the requested style.
pub(crate) fn coded_text(j: &mut JsonOut<'_>, key: &str, ct: &CodedText, opts: &ResourceOptions) {
    j.key_object(key);
    coded_members(j, ct, opts);
    j.end_object();
}

pub(crate) fn coded_members(j: &mut JsonOut<'_>, ct: &CodedText, opts: &ResourceOptions) {
    if let Some(c) = ct.coding() {
        j.key_array("coding");
        j.begin_object();
        j.field_str(
            "system",
            jp_systems::emit_system(&c.system, opts.code_systems),
        );
        j.field_str("code", &c.code);
        if let Some(d) = &c.display {
            j.field_str("display", d);
        }
        j.end_object();
        j.end_array();
    }
    if let Some(t) = ct.text() {
        j.field_str("text", t);
    }
}

// ---------------------------------------------------------------- reading

pub(crate) fn invalid(place: &ResourcePlace, pointer: &str, reason: impl Into<String>) -> Error {
    Error::format(FORMAT, place.at(pointer), reason)
}

pub(crate) fn record_err(place: &ResourcePlace, pointer: &str, reason: RecordError) -> Error {
    Error::invalid_record(place.at(pointer), reason)
}

pub(crate) fn parse_date(
    s: &str,
    place: &ResourcePlace,
    pointer: &str,
) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| invalid(place, pointer, "expected a full date YYYY-MM-DD"))
}

/// An institution from a logical reference (identifier under any alias, display). Parts phrkit does not
/// keep — a literal `reference` (not resolved), an identifier of another system, extensions — are counted
/// as ignored under `element`, never dropped silently.
pub(crate) fn institution(
    r: &cm::Ref<'_>,
    element: &str,
    report: &mut Report,
    place: &ResourcePlace,
    pointer: &str,
) -> Result<Option<Institution>, Error> {
    if r.reference.is_some() {
        report.ignore_element(&format!("{element}.reference"));
    }
    if !r.extension.is_empty() {
        report.ignore_element(&format!("{element}.extension"));
    }
    let code = match &r.identifier {
        Some(i) => {
            let known = i
                .system
                .as_deref()
                .is_some_and(|s| INSTITUTION_10.matches(s) || INSTITUTION_7.matches(s));
            if !known || i.value.is_none() {
                report.ignore_element(&format!("{element}.identifier"));
            }
            i.value.as_deref().filter(|_| known)
        }
        None => None,
    };
    if code.is_none() && r.display.is_none() {
        return Ok(None);
    }
    Institution::new(code, r.display.as_deref())
        .map(Some)
        .map_err(|e| record_err(place, pointer, e))
}

/// A coded text from a CodeableConcept: the first coding with system and code (system canonicalised), and
/// the text; other codings are counted as ignored.
pub(crate) fn coded_text_in(
    cc: &m::CodeableConcept<'_>,
    what: &'static str,
    element: &str,
    report: &mut Report,
    place: &ResourcePlace,
    pointer: &str,
) -> Result<CodedText, Error> {
    let mut coding = None;
    for c in &cc.coding {
        match (c.system.as_deref(), c.code.as_deref()) {
            (Some(s), Some(k)) if coding.is_none() => {
                coding = Some(Coding {
                    system: jp_systems::canonical_system(s),
                    code: k.to_owned(),
                    display: c.display.as_deref().map(str::to_owned),
                })
            }
            _ => report.ignore_element(element),
        }
    }
    CodedText::new(coding, cc.text.as_deref(), what).map_err(|e| record_err(place, pointer, e))
}

/// Reads one source-metadata extension back into an entry.
pub(crate) fn extra_entry(
    e: &cm::Ext<'_>,
    place: &ResourcePlace,
    pointer: &str,
) -> Result<MetadataEntry, Error> {
    let get = |name: &str| {
        e.extension
            .iter()
            .find(|x| x.url.as_deref() == Some(name))
            .and_then(|x| x.value_string.as_deref())
    };
    match (get("key"), get("value")) {
        (Some(k), Some(v)) => Ok(MetadataEntry {
            key: k.to_owned(),
            value: v.to_owned(),
        }),
        _ => Err(invalid(
            place,
            pointer,
            "source-metadata needs key and value",
        )),
    }
}

/// Whether an identifier is the content-derived one the writer regenerates.
pub(crate) fn is_content_id(i: &cm::Ident<'_>) -> bool {
    i.system.as_deref() == Some(RFC3986)
        && i.value
            .as_deref()
            .is_some_and(|v| v.starts_with("urn:uuid:"))
}

/// Whether an identifier carries phrkit's synthetic flag.
pub(crate) fn is_synthetic(i: &cm::Ident<'_>) -> bool {
    i.extension
        .iter()
        .any(|e| e.url.as_deref() == Some(EXT_SYNTHETIC) && e.value_boolean == Some(true))
}

/// Parses a FHIR decimal kept as raw JSON text.
pub(crate) fn decimal(raw: &serde_json::value::RawValue) -> Option<rust_decimal::Decimal> {
    use std::str::FromStr;
    let s = raw.get();
    let first = *s.as_bytes().first()?;
    if !(first == b'-' || first.is_ascii_digit()) {
        return None;
    }
    rust_decimal::Decimal::from_str(s).ok()
}

/// Encodes the care resources (MedicationDispense, Immunization, ExplanationOfBenefit) into reused
/// buffers, and numbers dispense lines for the synthetic RP identifiers.
///
/// RP numbering (`jp-fhir.md` §6): a source without RP numbers gets RP = 1 per dispense event and order =
/// line index within the event, where an event is a run of consecutive dispenses with the same date and
/// pharmacy. The numbering therefore depends on record order, which writers keep, so output stays
/// deterministic.
#[derive(Default)]
pub struct CareEncoder {
    pub(crate) head: Vec<u8>,
    pub(crate) body: Vec<u8>,
    pub(crate) last_event: Option<(NaiveDate, Option<Institution>)>,
    pub(crate) order_in_event: u32,
}

impl CareEncoder {
    /// A new encoder.
    pub fn new() -> CareEncoder {
        CareEncoder::default()
    }

    /// Starts RP numbering afresh: dispense events never span two persons.
    pub fn new_subject(&mut self) {
        self.last_event = None;
        self.order_in_event = 0;
    }

    pub(crate) fn clear(&mut self) {
        self.head.clear();
        self.body.clear();
    }
}
