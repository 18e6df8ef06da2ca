//! eCheckup FHIR resources → [`CheckupReport`]: the inverse of [`super::checkup`].
//!
//! A report starts at a checkup Composition and collects the resources that follow (Patient,
//! Organizations, Encounter, Coverage, item and group Observations) until the next checkup Composition or
//! the end of the input; references are resolved then, so resource order inside a report does not
//! matter. Patients and Organizations are remembered across reports because a writer may emit a shared
//! resource only once.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::checkup::*;
use super::from_fhir::ResourcePlace;
use super::model as m;
use crate::error::{Error, Location};
use crate::record::{
    CheckupOrganization, CheckupReport, CheckupResult, CheckupTicket, CheckupValue, CodedAnswer,
    DocumentId, GroupMember, GroupRelation, RangeFlag, ReferenceRange, ResultStatus, Subject,
};
use crate::report::{Report, Severity};
use crate::terminology;

const FORMAT: &str = "FHIR JSON";

fn invalid(place: &ResourcePlace, pointer: &str, reason: &str) -> Error {
    Error::format(
        FORMAT,
        Location::JsonPointer {
            line: place.line,
            pointer: format!("{}{}", place.prefix, pointer),
        },
        reason,
    )
}

/// The keys a resource can be referenced by: its fullUrl and `Type/id`.
fn keys(place: &ResourcePlace, resource_type: &str, id: Option<&str>) -> Vec<String> {
    let mut k = Vec::with_capacity(2);
    if let Some(u) = &place.full_url {
        k.push(u.clone());
    }
    if let Some(id) = id {
        k.push(format!("{resource_type}/{id}"));
    }
    k
}

/// Whether a Composition is an eCheckup report (type 53576-5 / JPGCHKUP01, or a 報告区分 category).
pub(crate) fn is_checkup_composition(c: &m::Composition<'_>) -> bool {
    let typed = c.type_.as_ref().is_some_and(|t| {
        t.coding
            .iter()
            .any(|x| matches!(x.code.as_deref(), Some(DOC_TYPE_CODE) | Some("JPGCHKUP01")))
    });
    typed || c.category.iter().any(|cc| category_code(cc).is_some())
}

fn category_code<'a>(cc: &'a m::CodeableConcept<'_>) -> Option<&'a str> {
    cc.coding.iter().find_map(|x| {
        let s = x.system.as_deref()?;
        (s == REPORT_CATEGORY_SYSTEM || REPORT_CATEGORY_ALIASES.contains(&s))
            .then_some(x.code.as_deref())
            .flatten()
    })
}

/// Whether an Observation is a 特定健診 item or an eCheckup group.
pub(crate) fn is_checkup_observation(o: &m::Observation<'_>) -> bool {
    o.code.as_ref().is_some_and(|c| {
        c.coding.iter().any(|x| {
            matches!(
                x.system.as_deref(),
                Some(ITEM_SYSTEM) | Some(GROUP_SYSTEM) | Some(GROUP_SYSTEM_ALIAS)
            )
        })
    })
}

#[derive(Default)]
struct Header {
    subject_ref: Option<String>,
    encounter_ref: Option<String>,
    author_ref: Option<String>,
    custodian_ref: Option<String>,
    document_id: Option<DocumentId>,
    report_category: String,
    created: Option<NaiveDate>,
    program: String,
    exam_date: Option<NaiveDate>,
    author_time: Option<String>,
    /// Observation reference → FHIR section code.
    sections: HashMap<String, String>,
}

struct Group {
    members: Vec<(String, GroupRelation)>,
}

#[derive(Default)]
struct Pending {
    header: Header,
    results: Vec<(Vec<String>, CheckupResult)>,
    groups: Vec<Group>,
    encounters: HashMap<String, (Option<String>, Option<NaiveDate>)>,
    coverages: Vec<(CheckupTicket, Option<String>)>,
    insurers_seen: Vec<String>,
}

/// Collects eCheckup resources into reports.
#[derive(Default)]
pub struct CheckupAssembler {
    pending: Option<Pending>,
    patients: HashMap<String, Subject>,
    organizations: HashMap<String, (CheckupOrganization, Option<String>)>,
}

fn date10(s: &str) -> Option<NaiveDate> {
    s.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn decimal(raw: &serde_json::value::RawValue) -> Option<Decimal> {
    let s = raw.get();
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

fn strip_oid(system: &str) -> String {
    system.strip_prefix(URN_OID).unwrap_or(system).to_owned()
}

impl CheckupAssembler {
    /// Whether a report is being collected.
    pub fn is_active(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts a report at a checkup Composition; returns the previous report if one was open.
    pub(crate) fn start(
        &mut self,
        c: &m::Composition<'_>,
        place: &ResourcePlace,
        report: &mut Report,
    ) -> Result<Option<CheckupReport>, Error> {
        let previous = self.finish(report);
        let mut h = Header {
            subject_ref: c
                .subject
                .as_ref()
                .and_then(|r| r.reference.as_deref())
                .map(str::to_owned),
            encounter_ref: c
                .encounter
                .as_ref()
                .and_then(|r| r.reference.as_deref())
                .map(str::to_owned),
            author_ref: c
                .author
                .iter()
                .find_map(|r| r.reference.as_deref())
                .map(str::to_owned),
            custodian_ref: c
                .custodian
                .as_ref()
                .and_then(|r| r.reference.as_deref())
                .map(str::to_owned),
            report_category: c
                .category
                .iter()
                .find_map(category_code)
                .unwrap_or("")
                .to_owned(),
            created: c.date.as_deref().and_then(date10),
            ..Header::default()
        };
        for id in &c.identifier {
            if let (Some(s), Some(v)) = (id.system.as_deref(), id.value.as_deref()) {
                if let Some(root) = s.strip_prefix(URN_OID) {
                    h.document_id = Some(DocumentId {
                        root: root.to_owned(),
                        extension: Some(v.to_owned()),
                    });
                }
            }
        }
        for e in &c.extension {
            if e.url.as_deref() == Some(EXT_AUTHOR_TIME) {
                h.author_time = e.value_string.as_deref().map(str::to_owned);
            }
        }
        if let Some(ev) = c.event.first() {
            h.program = ev
                .code
                .iter()
                .flat_map(|cc| cc.coding.iter())
                .find(|x| {
                    x.system
                        .as_deref()
                        .is_some_and(|s| s == PROGRAM_SYSTEM || PROGRAM_ALIASES.contains(&s))
                })
                .and_then(|x| x.code.as_deref())
                .unwrap_or("")
                .to_owned();
            h.exam_date = ev
                .period
                .as_ref()
                .and_then(|p| p.start.as_deref())
                .and_then(date10);
        }
        if c.date.is_some() && h.created.is_none() {
            return Err(invalid(place, "/date", "Composition.date is not a date"));
        }
        fn walk(sections: &[m::CompositionSection<'_>], out: &mut HashMap<String, String>) {
            for s in sections {
                let code = s
                    .code
                    .as_ref()
                    .and_then(|c| c.coding.iter().find_map(|x| x.code.as_deref()))
                    .unwrap_or("01011");
                for e in &s.entry {
                    if let Some(r) = e.reference.as_deref() {
                        out.insert(r.to_owned(), code.to_owned());
                    }
                }
                walk(&s.section, out);
            }
        }
        walk(&c.section, &mut h.sections);
        self.pending = Some(Pending {
            header: h,
            ..Pending::default()
        });
        Ok(previous)
    }

    /// Remembers a Patient (always: a later report may refer to it).
    pub(crate) fn patient(&mut self, subject: Subject, place: &ResourcePlace, id: Option<&str>) {
        for k in keys(place, "Patient", id) {
            self.patients.insert(k, subject.clone());
        }
    }

    /// Whether `place`/`id` is the subject of the open report.
    pub(crate) fn is_pending_subject(&self, place: &ResourcePlace, id: Option<&str>) -> bool {
        let Some(p) = &self.pending else {
            return false;
        };
        let Some(r) = &p.header.subject_ref else {
            return false;
        };
        keys(place, "Patient", id).iter().any(|k| k == r)
    }

    /// Takes in an Organization.
    pub(crate) fn organization(&mut self, o: &m::Organization<'_>, place: &ResourcePlace) {
        let mut org = CheckupOrganization {
            name: o.name.as_deref().map(str::to_owned),
            telecom: o
                .telecom
                .first()
                .and_then(|t| t.value.as_deref())
                .map(str::to_owned),
            address: o
                .address
                .first()
                .and_then(|a| a.text.as_deref())
                .map(str::to_owned),
            postal_code: o
                .address
                .first()
                .and_then(|a| a.postal_code.as_deref())
                .map(str::to_owned),
            number: None,
        };
        let mut insurer = None;
        for id in &o.identifier {
            match (id.system.as_deref(), id.value.as_deref()) {
                (Some(PROVIDER_ID_SYSTEM), Some(v)) => org.number = Some(v.to_owned()),
                (Some(INSURER_ID_SYSTEM), Some(v))
                | (Some("http://jpfhir.jp/fhir/core/mhlw/IdSystem/InsurerNumber"), Some(v)) => {
                    insurer = Some(v.to_owned())
                }
                _ => {}
            }
        }
        if let (Some(i), Some(p)) = (&insurer, self.pending.as_mut()) {
            p.insurers_seen.push(i.clone());
        }
        for k in keys(place, "Organization", o.id.as_deref()) {
            self.organizations.insert(k, (org.clone(), insurer.clone()));
        }
    }

    /// Takes in an Encounter of the open report.
    pub(crate) fn encounter(&mut self, e: &m::Encounter<'_>, place: &ResourcePlace) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        let provider = e
            .service_provider
            .as_ref()
            .and_then(|r| r.reference.as_deref())
            .map(str::to_owned);
        let start = e
            .period
            .as_ref()
            .and_then(|p| p.start.as_deref())
            .and_then(date10);
        for k in keys(place, "Encounter", e.id.as_deref()) {
            p.encounters.insert(k, (provider.clone(), start));
        }
    }

    /// Takes in a 受診券 Coverage of the open report; false if it is not one.
    pub(crate) fn coverage(&mut self, c: &m::Coverage<'_>) -> bool {
        let Some(p) = self.pending.as_mut() else {
            return false;
        };
        let Some(kind) = c.type_.as_ref().and_then(|t| {
            t.coding
                .iter()
                .find(|x| x.system.as_deref() == Some(TICKET_TYPE_SYSTEM))
                .and_then(|x| x.code.as_deref())
        }) else {
            return false;
        };
        let t = CheckupTicket {
            kind: kind.to_owned(),
            number: c.subscriber_id.as_deref().map(str::to_owned),
            expiry: c
                .period
                .as_ref()
                .and_then(|p| p.end.as_deref())
                .and_then(date10),
            // An identifier-only payor is the ticket's own insurer (no Organization was written for it).
            insurer: c
                .payor
                .iter()
                .filter_map(|r| r.identifier.as_ref())
                .find(|i| i.system.as_deref() == Some(INSURER_ID_SYSTEM))
                .and_then(|i| i.value.as_deref())
                .map(str::to_owned),
        };
        let payor = c
            .payor
            .iter()
            .find_map(|r| r.reference.as_deref())
            .map(str::to_owned);
        p.coverages.push((t, payor));
        true
    }

    /// Whether the eCheckup Composition being collected lists this Observation in a section: then it is a
    /// checkup item whatever its code system (a CDA may carry an item code under another system, and the
    /// round trip must not turn it into a lifelog Observation).
    pub(crate) fn lists(&self, o: &m::Observation<'_>, place: &ResourcePlace) -> bool {
        self.pending.as_ref().is_some_and(|p| {
            keys(place, "Observation", o.id.as_deref())
                .iter()
                .any(|k| p.header.sections.contains_key(k))
        })
    }

    /// Takes in an item or group Observation (the caller checked [`is_checkup_observation`] or
    /// [`CheckupAssembler::lists`]).
    pub(crate) fn observation(
        &mut self,
        o: &m::Observation<'_>,
        place: &ResourcePlace,
        report: &mut Report,
    ) -> Result<(), Error> {
        if self.pending.is_none() {
            // Observations without a Composition: a report of their own, dated by the observation.
            report.issue(
                Severity::Warning,
                "checkup-without-composition",
                Location::JsonPointer {
                    line: place.line,
                    pointer: place.prefix.clone(),
                },
                "特定健診 observation outside an eCheckup Composition; header fields left empty",
            );
            let mut p = Pending::default();
            p.header.exam_date = o.effective_date_time.as_deref().and_then(date10);
            p.header.subject_ref = o
                .subject
                .as_ref()
                .and_then(|r| r.reference.as_deref())
                .map(str::to_owned);
            self.pending = Some(p);
        }
        let Some(p) = self.pending.as_mut() else {
            return Ok(());
        };
        let code = o.code.as_ref().and_then(|c| c.coding.first());
        let is_group = code
            .and_then(|c| c.system.as_deref())
            .is_some_and(|s| s == GROUP_SYSTEM || s == GROUP_SYSTEM_ALIAS);
        if is_group {
            let mut members = Vec::new();
            for (i, hm) in o.has_member.iter().enumerate() {
                let Some(r) = hm.reference.as_deref() else {
                    continue;
                };
                let rel = hm
                    .extension
                    .iter()
                    .find(|e| e.url.as_deref() == Some(EXT_GROUP_RELATIONSHIP))
                    .and_then(|e| e.value_code.as_deref())
                    .map_or(Some(GroupRelation::Comp), GroupRelation::from_code)
                    .ok_or_else(|| {
                        invalid(
                            place,
                            &format!("/hasMember/{i}/extension"),
                            "group relationship is not COMP or RSON",
                        )
                    })?;
                members.push((r.to_owned(), rel));
            }
            p.groups.push(Group { members });
            return Ok(());
        }
        let result = item(o, place)?;
        p.results
            .push((keys(place, "Observation", o.id.as_deref()), result));
        Ok(())
    }

    /// Closes the open report, resolving references.
    pub(crate) fn finish(&mut self, report: &mut Report) -> Option<CheckupReport> {
        let p = self.pending.take()?;
        let h = p.header;
        let subject = h
            .subject_ref
            .as_ref()
            .and_then(|r| self.patients.get(r))
            .cloned()
            .unwrap_or_default();
        let org = |r: &Option<String>| r.as_ref().and_then(|r| self.organizations.get(r));
        let (provider, enc_start) = h
            .encounter_ref
            .as_ref()
            .and_then(|r| p.encounters.get(r))
            .cloned()
            .unwrap_or_default();
        let Some(exam_date) = h.exam_date.or(enc_start) else {
            report.issue(
                Severity::Error,
                "checkup-without-date",
                Location::None,
                "eCheckup report has no checkup date (Composition.event.period / Encounter.period); dropped",
            );
            return None;
        };
        let mut r = CheckupReport::new(subject, exam_date);
        if r.insurer_number.is_none() {
            r.insurer_number = p.insurers_seen.first().cloned();
        }
        r.document_id = h.document_id;
        r.report_category = h.report_category;
        r.created = h.created;
        r.program = h.program;
        r.author_time = h.author_time;
        r.author = org(&h.author_ref).map(|o| o.0.clone());
        r.custodian = org(&h.custodian_ref).map(|o| o.0.clone());
        r.performer = org(&provider).map(|o| o.0.clone());
        r.ticket = p.coverages.into_iter().next().map(|(mut t, payor)| {
            t.insurer = org(&payor).and_then(|o| o.1.clone()).or(t.insurer.take());
            t
        });
        let mut results = p.results;
        for (gi, g) in p.groups.iter().enumerate() {
            for (member, rel) in &g.members {
                if let Some((_, res)) = results.iter_mut().find(|(k, _)| k.contains(member)) {
                    res.group = Some(GroupMember {
                        group: gi as u16,
                        relation: *rel,
                    });
                }
            }
        }
        for (k, res) in &mut results {
            if let Some(s) = k.iter().find_map(|k| h.sections.get(k)) {
                res.section = cda_section(s);
            }
        }
        r.results = results.into_iter().map(|(_, res)| res).collect();
        Some(r)
    }
}

/// The 付属2 XML unit of a FHIR quantity (inverse of the writer's rule R23 mapping).
fn xml_unit(q: &m::Quantity<'_>, item: Option<&terminology::ItemInfo>) -> Option<String> {
    match (q.code.as_deref(), item) {
        (Some(code), Some(i)) if i.ucum == Some(code) => i.unit_xml.map(str::to_owned),
        (Some(code), _) => Some(code.to_owned()),
        (None, _) => q.unit.as_deref().map(str::to_owned),
    }
}

fn item(o: &m::Observation<'_>, place: &ResourcePlace) -> Result<CheckupResult, Error> {
    let coding = o
        .code
        .as_ref()
        .and_then(|c| {
            c.coding
                .iter()
                .find(|x| x.system.as_deref() == Some(ITEM_SYSTEM))
                .or(c.coding.first())
        })
        .ok_or_else(|| invalid(place, "/code", "missing code"))?;
    let code = coding
        .code
        .as_deref()
        .ok_or_else(|| invalid(place, "/code/coding/0/code", "missing code"))?;
    let mut r = CheckupResult::not_performed(code);
    r.code_system = strip_oid(coding.system.as_deref().unwrap_or(ITEM_SYSTEM));
    r.display = coding.display.as_deref().map(str::to_owned);
    let item = terminology::item(code);
    for e in &o.extension {
        if e.url.as_deref() == Some(EXT_NULL_VALUE_TYPE) {
            r.null_value_type = e.value_code.as_deref().map(str::to_owned);
        }
    }
    let dar = o.data_absent_reason.as_ref();
    let dar_code = |system: &str| {
        dar.and_then(|d| {
            d.coding
                .iter()
                .find(|x| x.system.as_deref() == Some(system))
                .and_then(|x| x.code.as_deref())
        })
    };
    r.status = match (o.status.as_deref(), dar_code(DATA_ABSENT_SYSTEM)) {
        (_, Some("not-performed")) => ResultStatus::NotPerformed,
        (_, Some(_)) => ResultStatus::NotMeasurable {
            null_flavor: dar_code(NULL_FLAVOR_SYSTEM).unwrap_or("NI").to_owned(),
        },
        (Some("cancelled"), None) => ResultStatus::NotPerformed,
        _ => ResultStatus::Final,
    };
    for (i, cc) in o.interpretation.iter().enumerate() {
        for x in &cc.coding {
            match x.code.as_deref() {
                Some("LX") => r.range_flag = Some(RangeFlag::AtOrBelow),
                Some("HX") => r.range_flag = Some(RangeFlag::AtOrAbove),
                Some(c) => r.interpretation.push(c.to_owned()),
                None => {
                    return Err(invalid(
                        place,
                        &format!("/interpretation/{i}"),
                        "interpretation without code",
                    ))
                }
            }
        }
    }
    if r.status == ResultStatus::Final {
        r.value = Some(value(o, item, place)?);
    }
    r.method = o
        .method
        .as_ref()
        .and_then(|m| m.coding.iter().find_map(|x| x.code.as_deref()))
        .map(str::to_owned);
    if let Some(rr) = o.reference_range.first() {
        let bound = |q: &Option<m::Quantity<'_>>, key: &str| -> Result<Option<Decimal>, Error> {
            match q.as_ref().and_then(|q| q.value) {
                Some(v) => decimal(v).map(Some).ok_or_else(|| {
                    invalid(
                        place,
                        &format!("/referenceRange/0/{key}/value"),
                        "not a decimal",
                    )
                }),
                None => Ok(None),
            }
        };
        r.reference_range = Some(ReferenceRange {
            low: bound(&rr.low, "low")?,
            high: bound(&rr.high, "high")?,
            unit: rr
                .low
                .as_ref()
                .or(rr.high.as_ref())
                .and_then(|q| xml_unit(q, item)),
        });
    }
    r.author_name = o
        .performer
        .iter()
        .find(|p| p.reference.is_none())
        .and_then(|p| p.display.as_deref())
        .map(str::to_owned);
    Ok(r)
}

fn value(
    o: &m::Observation<'_>,
    item: Option<&terminology::ItemInfo>,
    place: &ResourcePlace,
) -> Result<CheckupValue, Error> {
    if let Some(q) = &o.value_quantity {
        let v = q.value.and_then(decimal).ok_or_else(|| {
            invalid(
                place,
                "/valueQuantity/value",
                "quantity without a decimal value",
            )
        })?;
        return Ok(CheckupValue::Quantity {
            value: v,
            unit: xml_unit(q, item),
        });
    }
    if let Some(cc) = &o.value_codeable_concept {
        let c = cc
            .coding
            .first()
            .ok_or_else(|| invalid(place, "/valueCodeableConcept/coding", "no coding"))?;
        let a = CodedAnswer {
            code: c
                .code
                .as_deref()
                .ok_or_else(|| {
                    invalid(place, "/valueCodeableConcept/coding/0/code", "missing code")
                })?
                .to_owned(),
            system: strip_oid(c.system.as_deref().unwrap_or("")),
            display: c.display.as_deref().map(str::to_owned),
        };
        let ordinal = c
            .extension
            .iter()
            .any(|e| e.url.as_deref() == Some(EXT_ORDINAL));
        return Ok(if ordinal {
            CheckupValue::Ordinal(a)
        } else {
            CheckupValue::Coded(a)
        });
    }
    if let Some(s) = &o.value_string {
        return Ok(CheckupValue::Text(s.to_string()));
    }
    if let Some(d) = &o.value_date_time {
        return date10(d)
            .map(CheckupValue::Date)
            .ok_or_else(|| invalid(place, "/valueDateTime", "not a date"));
    }
    Err(invalid(
        place,
        "/value[x]",
        "final 特定健診 observation without a value",
    ))
}
