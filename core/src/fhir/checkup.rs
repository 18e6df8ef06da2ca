//! [`CheckupReport`] → eCheckup (健診結果報告書) FHIR resources (`jp-fhir.md` §8–9, §11).
//!
//! One report becomes: a Composition (first; category = 報告区分, event = program and 健診実施日, sections
//! 01011 / 01012 / 01990 …), the Patient (via [`Encoder::patient`]), Organizations (実施機関 / 報告作成機関 /
//! 管理責任機関 / insurer), an Encounter, a Coverage for the 受診券, group Observations (一連検査グループ) and
//! one Observation per result item (code under `urn:oid:1.2.392.200119.6.1005`).
//!
//! Lossless by design, so [`super::from_fhir`] can rebuild the same report: source displays go to
//! `coding.display` only when the source had one (the regenerated table display goes to `.text`), the
//! 付属2 XML unit is recoverable from the UCUM code through the item table (or kept in `unit` when it is
//! not the table's), and the few CDA details FHIR has no element for (`author/time`, the `xsi:type` of a
//! null value, a non-`NI` nullFlavor) travel in phrkit extensions.

use chrono::NaiveDate;

use super::codes::{JP_CATEGORY, UCUM};
use super::json_out::JsonOut;
use super::to_fhir::{assemble, Encoder, ResourceId, ResourceOptions};
use crate::record::{
    CheckupOrganization, CheckupReport, CheckupResult, CheckupValue, GroupRelation, ResultStatus,
    SECTION_OPTIONAL, SECTION_RESULTS,
};
use crate::terminology::{self, ItemCategory};

/// Prefix of MHLW OIDs as FHIR systems.
pub const URN_OID: &str = "urn:oid:";
/// 特定健診 item code system.
pub const ITEM_SYSTEM: &str = "urn:oid:1.2.392.200119.6.1005";
/// Method code system.
pub const METHOD_SYSTEM: &str = "urn:oid:1.2.392.200119.6.1007";
/// 報告区分 as the IG validates it (`jp-fhir.md` §8.7).
pub const REPORT_CATEGORY_SYSTEM: &str = "urn:oid:2.16.840.1.113883.2.2.1.6.1001";
/// 報告区分 aliases accepted on read (F9).
pub const REPORT_CATEGORY_ALIASES: &[&str] = &[
    "urn:oid:1.2.392.200119.6.1001",
    "http://jpfhir.jp/fhir/eCheckup/CodeSystem/checkup-report-category",
];
/// 健診プログラムサービスコード.
pub const PROGRAM_SYSTEM: &str = "urn:oid:1.2.392.200119.6.1002";
/// Program aliases accepted on read (F10).
pub const PROGRAM_ALIASES: &[&str] =
    &["http://jpfhir.jp/fhir/eCheckup/CodeSystem/checkup-programService-code"];
/// Composition type system and code (検診・健診報告書).
pub const DOC_TYPE_SYSTEM: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes";
/// Composition type code.
pub const DOC_TYPE_CODE: &str = "53576-5";
/// Section codes.
pub const SECTION_SYSTEM: &str = "http://jpfhir.jp/fhir/eCheckup/CodeSystem/section-code";
/// Group codes.
pub const GROUP_SYSTEM: &str = "http://jpfhir.jp/fhir/eCheckup/CodeSystem/observationGroup-codes";
/// Group code system alias seen in one example (F15).
pub const GROUP_SYSTEM_ALIAS: &str =
    "http://jpfhir.jp/fhir/eCheckup/CodeSystem/ObservationGroupCode";
/// Group-member relationship extension (sic, "observatio").
pub const EXT_GROUP_RELATIONSHIP: &str =
    "http://jpfhir.jp/fhir/Common/Extension/StructureDefinition/observatioGroupRelationship";
/// FHIR ordinal-value extension (CO answers).
pub const EXT_ORDINAL: &str = "http://hl7.org/fhir/StructureDefinition/ordinalValue";
/// HL7 interpretation codes.
pub const INTERPRETATION_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
/// data-absent-reason.
pub const DATA_ABSENT_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
/// HL7 v3 NullFlavor (keeps a CDA nullFlavor other than `NI`).
pub const NULL_FLAVOR_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";
/// 健診機関 number identifier system.
pub const PROVIDER_ID_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no";
/// Insurer number identifier system (eCheckup uses the OID form).
pub const INSURER_ID_SYSTEM: &str = "urn:oid:1.2.392.100495.20.3.61";
/// Organization role codes (exec-org / doc-org / admin-org).
pub const ORG_ROLE_SYSTEM: &str =
    "http://jpfhir.jp/fhir/eCheckup/CodeSystem/report-organization-code";
/// HL7 organization type (`prov`, `ins`).
pub const ORG_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/organization-type";
/// Encounter class.
pub const ENCOUNTER_CLASS_SYSTEM: &str =
    "http://jpfhir.jp/fhir/eCheckup/CodeSystem/encounter-category";
/// 券面種別 (Coverage type of the 受診券).
pub const TICKET_TYPE_SYSTEM: &str = "urn:oid:1.2.392.200119.6.208";
/// phrkit extension: the CDA `author/time/@value` of the document.
pub const EXT_AUTHOR_TIME: &str = "http://phrkit.dev/fhir/StructureDefinition/cda-author-time";
/// phrkit extension: the `xsi:type` of a not-measurable CDA value.
pub const EXT_NULL_VALUE_TYPE: &str =
    "http://phrkit.dev/fhir/StructureDefinition/cda-null-value-type";
/// phrkit identifier system prefix for a real CDA document id: `urn:oid:<root>` is used as is.
const ECHECKUP_SD: &str = "http://jpfhir.jp/fhir/eCheckup/StructureDefinition/";

/// One encoded resource of a report.
#[derive(Debug)]
pub struct EncodedResource {
    /// FHIR resource type.
    pub resource_type: &'static str,
    /// Content-derived id.
    pub id: ResourceId,
    /// The resource JSON.
    pub json: Vec<u8>,
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
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

fn concept(j: &mut JsonOut<'_>, key: &str, system: &str, code: &str, display: Option<&str>) {
    j.key_object(key);
    j.key_array("coding");
    coding(j, system, code, display);
    j.end_array();
    j.end_object();
}

fn reference(j: &mut JsonOut<'_>, key: &str, r: &str) {
    j.key_object(key);
    j.field_str("reference", r);
    j.end_object();
}

fn profile_head(profile: &str) -> Vec<u8> {
    let mut head = Vec::new();
    let mut j = JsonOut::new(&mut head);
    j.begin_object();
    j.key_object("meta");
    j.key_array("profile");
    j.string(profile);
    j.end_array();
    j.end_object();
    j.end_object();
    head
}

fn finish(
    resource_type: &'static str,
    head: &[u8],
    body: &[u8],
    extra: &[(&str, &str)],
    opts: &ResourceOptions,
) -> EncodedResource {
    let mut json = Vec::with_capacity(head.len() + body.len() + 128);
    let id = assemble(&mut json, resource_type, head, body, extra, opts);
    EncodedResource {
        resource_type,
        id,
        json,
    }
}

/// Organisation roles.
#[derive(Clone, Copy)]
enum Role {
    Exec,
    Doc,
    Admin,
}

impl Role {
    fn code(self) -> &'static str {
        match self {
            Role::Exec => "exec-org",
            Role::Doc => "doc-org",
            Role::Admin => "admin-org",
        }
    }
}

fn organization(o: &CheckupOrganization, role: Role, opts: &ResourceOptions) -> EncodedResource {
    let head = profile_head(&format!("{ECHECKUP_SD}JP_Organization_eCheckupGeneral"));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    j.key_array("type");
    j.begin_object();
    j.key_array("coding");
    coding(&mut j, ORG_TYPE_SYSTEM, "prov", None);
    j.end_array();
    j.end_object();
    j.begin_object();
    j.key_array("coding");
    coding(&mut j, ORG_ROLE_SYSTEM, role.code(), None);
    j.end_array();
    j.end_object();
    j.end_array();
    if let Some(n) = &o.name {
        j.field_str("name", n);
    }
    if let Some(t) = &o.telecom {
        j.key_array("telecom");
        j.begin_object();
        j.field_str("system", "phone");
        j.field_str("value", t);
        j.end_object();
        j.end_array();
    }
    if o.address.is_some() || o.postal_code.is_some() {
        j.key_array("address");
        j.begin_object();
        if let Some(t) = &o.address {
            j.field_str("text", t);
        }
        if let Some(p) = &o.postal_code {
            j.field_str("postalCode", p);
        }
        j.field_str("country", "JP");
        j.end_object();
        j.end_array();
    }
    j.end_object();
    let extra: Vec<(&str, &str)> = o
        .number
        .as_deref()
        .map(|n| (PROVIDER_ID_SYSTEM, n))
        .into_iter()
        .collect();
    finish("Organization", &head, &body, &extra, opts)
}

fn insurer_organization(insurer: &str, opts: &ResourceOptions) -> EncodedResource {
    let head = profile_head(&format!(
        "{ECHECKUP_SD}JP_OrganizationInsurer_eCheckupGeneral"
    ));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    j.key_array("type");
    j.begin_object();
    j.key_array("coding");
    coding(&mut j, ORG_TYPE_SYSTEM, "ins", None);
    j.end_array();
    j.end_object();
    j.end_array();
    j.end_object();
    finish(
        "Organization",
        &head,
        &body,
        &[(INSURER_ID_SYSTEM, insurer)],
        opts,
    )
}

/// The eCheckup category of an item (sample assignments of §8.5).
fn category_code(r: &CheckupResult) -> &'static str {
    let Some(i) = r.item() else {
        return "exam";
    };
    match i.category {
        ItemCategory::Questionnaire
        | ItemCategory::FunctionalQuestionnaire
        | ItemCategory::LateElderlyQuestionnaire => "social-history",
        ItemCategory::Judgement => {
            if matches!(i.code, "9N501000000000011" | "9N506000000000011") {
                "survey"
            } else {
                "exam"
            }
        }
        ItemCategory::Examination => {
            let c = i.code;
            if c.starts_with("9N001")
                || c.starts_with("9N006")
                || c.starts_with("9N011")
                || c.starts_with("9N016")
            {
                "body-measurement"
            } else if c.starts_with("9A75") || c.starts_with("9A76") {
                "vital-signs"
            } else if c
                .as_bytes()
                .first()
                .is_some_and(|b| (b'1'..=b'8').contains(b))
                || c.starts_with("9N141")
            {
                "laboratory"
            } else {
                "exam"
            }
        }
    }
}

/// The FHIR section code of a result (§8.8 practical rule).
pub fn fhir_section(r: &CheckupResult) -> String {
    if r.section == SECTION_RESULTS {
        let q = r
            .item()
            .is_some_and(|i| i.category == ItemCategory::Questionnaire);
        return if q { "01012" } else { "01011" }.to_owned();
    }
    r.section.clone()
}

/// Inverse of [`fhir_section`]: the CDA section of a FHIR section code.
pub fn cda_section(fhir: &str) -> String {
    match fhir {
        "01011" | "01012" | "01010" => SECTION_RESULTS.to_owned(),
        "01990" => SECTION_OPTIONAL.to_owned(),
        other => other.to_owned(),
    }
}

/// Writes `value`, `unit`, and UCUM `system`/`code` for a 付属2 XML unit (rule R23): the table's UCUM
/// code when the unit is the item's own XML unit, otherwise the unit string alone.
fn quantity_fields(
    j: &mut JsonOut<'_>,
    value: &rust_decimal::Decimal,
    xml_unit: Option<&str>,
    r: &CheckupResult,
    comparator: Option<&str>,
) {
    j.field_raw("value", &value.to_string());
    if let Some(c) = comparator {
        j.field_str("comparator", c);
    }
    let item = r.item();
    match item {
        Some(i) if i.unit_xml == xml_unit => {
            if let Some(d) = i.unit_display.or(xml_unit) {
                j.field_str("unit", d);
            }
            if let Some(u) = i.ucum {
                j.field_str("system", UCUM);
                j.field_str("code", u);
            }
        }
        _ => {
            if let Some(u) = xml_unit {
                j.field_str("unit", u);
            }
        }
    }
}

fn item_observation(
    r: &CheckupResult,
    exam_date: &str,
    patient: &str,
    opts: &ResourceOptions,
) -> EncodedResource {
    let head = profile_head(&format!("{ECHECKUP_SD}JP_Observation_eCheckupGeneral"));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    if let Some(t) = &r.null_value_type {
        j.key_array("extension");
        j.begin_object();
        j.field_str("url", EXT_NULL_VALUE_TYPE);
        j.field_str("valueCode", t);
        j.end_object();
        j.end_array();
    }
    let final_ = r.status == ResultStatus::Final;
    j.field_str("status", if final_ { "final" } else { "cancelled" });
    j.key_array("category");
    j.begin_object();
    j.key_array("coding");
    coding(&mut j, JP_CATEGORY, category_code(r), None);
    j.end_array();
    j.end_object();
    j.end_array();
    j.key_object("code");
    j.key_array("coding");
    coding(
        &mut j,
        &format!("{URN_OID}{}", r.code_system),
        &r.code,
        r.display.as_deref(),
    );
    j.end_array();
    if let Some(i) = r.item() {
        j.field_str("text", i.name);
    }
    j.end_object();
    reference(&mut j, "subject", patient);
    j.field_str("effectiveDateTime", exam_date);
    if let Some(name) = &r.author_name {
        j.key_array("performer");
        j.begin_object();
        j.field_str("display", name);
        j.end_object();
        j.end_array();
    }
    match (&r.status, &r.value) {
        (ResultStatus::Final, Some(v)) => value(&mut j, r, v),
        (ResultStatus::NotPerformed, _) => {
            j.key_object("dataAbsentReason");
            j.key_array("coding");
            coding(&mut j, DATA_ABSENT_SYSTEM, "not-performed", None);
            j.end_array();
            j.field_str("text", "未実施");
            j.end_object();
        }
        (ResultStatus::NotMeasurable { null_flavor }, _) => {
            j.key_object("dataAbsentReason");
            j.key_array("coding");
            coding(&mut j, DATA_ABSENT_SYSTEM, "error", None);
            if null_flavor != "NI" {
                coding(&mut j, NULL_FLAVOR_SYSTEM, null_flavor, None);
            }
            j.end_array();
            j.field_str("text", "測定不能");
            j.end_object();
        }
        (ResultStatus::Final, None) => {}
    }
    if !r.interpretation.is_empty() || r.range_flag.is_some() {
        j.key_array("interpretation");
        for code in r
            .interpretation
            .iter()
            .map(String::as_str)
            .chain(r.range_flag.map(|f| f.fhir_code()))
        {
            j.begin_object();
            j.key_array("coding");
            coding(&mut j, INTERPRETATION_SYSTEM, code, None);
            j.end_array();
            j.end_object();
        }
        j.end_array();
    }
    if let Some(m) = &r.method {
        concept(&mut j, "method", METHOD_SYSTEM, m, terminology::method(m));
    }
    if let Some(rr) = &r.reference_range {
        j.key_array("referenceRange");
        j.begin_object();
        for (key, v) in [("low", rr.low), ("high", rr.high)] {
            if let Some(v) = v {
                j.key_object(key);
                quantity_fields(&mut j, &v, rr.unit.as_deref(), r, None);
                j.end_object();
            }
        }
        j.end_object();
        j.end_array();
    }
    j.end_object();
    finish("Observation", &head, &body, &[], opts)
}

fn value(j: &mut JsonOut<'_>, r: &CheckupResult, v: &CheckupValue) {
    match v {
        CheckupValue::Quantity { value, unit } => {
            j.key_object("valueQuantity");
            let cmp = r.range_flag.map(|f| f.comparator());
            quantity_fields(j, value, unit.as_deref(), r, cmp);
            j.end_object();
        }
        CheckupValue::Coded(a) | CheckupValue::Ordinal(a) => {
            j.key_object("valueCodeableConcept");
            j.key_array("coding");
            j.begin_object();
            if matches!(v, CheckupValue::Ordinal(_)) {
                j.key_array("extension");
                j.begin_object();
                j.field_str("url", EXT_ORDINAL);
                match a.code.parse::<rust_decimal::Decimal>() {
                    Ok(d) => j.field_raw("valueDecimal", &d.to_string()),
                    // A non-numeric ordinal code still marks the value as ordinal.
                    Err(_) => j.field_raw("valueDecimal", "0"),
                }
                j.end_object();
                j.end_array();
            }
            j.field_str("system", &format!("{URN_OID}{}", a.system));
            j.field_str("code", &a.code);
            if let Some(d) = &a.display {
                j.field_str("display", d);
            }
            j.end_object();
            j.end_array();
            if let Some(d) = terminology::answer_display(&a.system, &a.code) {
                j.field_str("text", d);
            }
            j.end_object();
        }
        CheckupValue::Text(t) => j.field_str("valueString", t),
        CheckupValue::Date(d) => j.field_str("valueDateTime", &date(*d)),
    }
}

fn group_observation(
    code: &str,
    members: &[(GroupRelation, String)],
    exam_date: &str,
    patient: &str,
    opts: &ResourceOptions,
) -> EncodedResource {
    let head = profile_head(&format!("{ECHECKUP_SD}JP_ObservationGroup_eCheckupGeneral"));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    j.field_str("status", "final");
    concept(&mut j, "code", GROUP_SYSTEM, code, None);
    reference(&mut j, "subject", patient);
    j.field_str("effectiveDateTime", exam_date);
    j.key_array("hasMember");
    for (rel, r) in members {
        j.begin_object();
        j.key_array("extension");
        j.begin_object();
        j.field_str("url", EXT_GROUP_RELATIONSHIP);
        j.field_str("valueCode", rel.code());
        j.end_object();
        j.end_array();
        j.field_str("reference", r);
        j.end_object();
    }
    j.end_array();
    j.end_object();
    finish("Observation", &head, &body, &[], opts)
}

fn encounter(
    exam_date: &str,
    patient: &str,
    provider: Option<&str>,
    opts: &ResourceOptions,
) -> EncodedResource {
    let head = profile_head(&format!("{ECHECKUP_SD}JP_Encounter_eCheckupGeneral"));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    j.field_str("status", "finished");
    j.key_object("class");
    j.field_str("system", ENCOUNTER_CLASS_SYSTEM);
    j.field_str("code", "checkup");
    j.field_str("display", "健診");
    j.end_object();
    reference(&mut j, "subject", patient);
    j.key_object("period");
    j.field_str("start", exam_date);
    j.field_str("end", exam_date);
    j.end_object();
    if let Some(p) = provider {
        reference(&mut j, "serviceProvider", p);
    }
    j.end_object();
    finish("Encounter", &head, &body, &[], opts)
}

fn coverage(
    t: &crate::record::CheckupTicket,
    patient: &str,
    payor: Option<&Payor>,
    opts: &ResourceOptions,
) -> EncodedResource {
    let head = profile_head(&format!("{ECHECKUP_SD}JP_CoverageService_eCheckupGeneral"));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    j.field_str("status", "active");
    concept(&mut j, "type", TICKET_TYPE_SYSTEM, &t.kind, None);
    if let Some(n) = &t.number {
        j.field_str("subscriberId", n);
    }
    reference(&mut j, "beneficiary", patient);
    if let Some(e) = t.expiry {
        j.key_object("period");
        j.field_str("end", &date(e));
        j.end_object();
    }
    if let Some(p) = payor {
        j.key_array("payor");
        j.begin_object();
        match p {
            Payor::Reference(r) => j.field_str("reference", r),
            Payor::Insurer(number) => {
                j.key_object("identifier");
                j.field_str("system", INSURER_ID_SYSTEM);
                j.field_str("value", number);
                j.end_object();
            }
        }
        j.end_object();
        j.end_array();
    }
    j.end_object();
    finish("Coverage", &head, &body, &[], opts)
}

/// Who pays under a 受診券 Coverage: a reference to an insurer Organization, or only the insurer number.
enum Payor {
    Reference(String),
    Insurer(String),
}

/// A battery group being assembled: group number, FHIR section, members (relation, reference).
type GroupDraft = (u16, String, Vec<(GroupRelation, String)>);

/// Encodes one report as eCheckup resources; the Composition comes first.
pub fn encode_report(
    r: &CheckupReport,
    encoder: &mut Encoder,
    opts: &ResourceOptions,
) -> Vec<EncodedResource> {
    let reference_of = |e: &EncodedResource| e.id.reference(e.resource_type, opts.references);
    let exam = date(r.exam_date);
    let mut out: Vec<EncodedResource> = Vec::new();
    let mut patient_json = Vec::new();
    let pid = encoder.patient(&mut patient_json, &r.subject, opts);
    let patient = pid.reference("Patient", opts.references);
    out.push(EncodedResource {
        resource_type: "Patient",
        id: pid,
        json: patient_json,
    });
    let org_ref = |o: Option<&CheckupOrganization>, role: Role, out: &mut Vec<EncodedResource>| {
        o.map(|o| {
            let e = organization(o, role, opts);
            let rf = reference_of(&e);
            out.push(e);
            rf
        })
    };
    let exec = org_ref(r.performer.as_ref(), Role::Exec, &mut out);
    let doc = org_ref(r.author.as_ref(), Role::Doc, &mut out);
    let admin = org_ref(r.custodian.as_ref(), Role::Admin, &mut out);
    let insurer = r.insurer().map(|i| {
        let e = insurer_organization(i, opts);
        let rf = reference_of(&e);
        out.push(e);
        rf
    });
    let enc = encounter(&exam, &patient, exec.as_deref(), opts);
    let encounter_ref = reference_of(&enc);
    out.push(enc);
    if let Some(t) = &r.ticket {
        // The ticket's insurer: the report's insurer Organization when they agree; an Organization of its
        // own when they differ; only its identifier when the report has no insurer — an Organization
        // would then be read back as the report's insurer.
        let payor = match (&t.insurer, r.insurer()) {
            (Some(ti), Some(ri)) if ti == ri => insurer.clone().map(Payor::Reference),
            (Some(ti), Some(_)) => {
                let e = insurer_organization(ti, opts);
                let rf = reference_of(&e);
                out.push(e);
                Some(Payor::Reference(rf))
            }
            (Some(ti), None) => Some(Payor::Insurer(ti.clone())),
            (None, _) => None,
        };
        out.push(coverage(t, &patient, payor.as_ref(), opts));
    }
    // Items, then groups over them, collecting section membership.
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut add_to_section =
        |code: String, rf: String| match sections.iter_mut().find(|(c, _)| *c == code) {
            Some((_, v)) => v.push(rf),
            None => sections.push((code, vec![rf])),
        };
    let mut items = Vec::with_capacity(r.results.len());
    let mut groups: Vec<GroupDraft> = Vec::new();
    for res in &r.results {
        let e = item_observation(res, &exam, &patient, opts);
        let rf = reference_of(&e);
        if let Some(g) = res.group {
            match groups.iter_mut().find(|(n, _, _)| *n == g.group) {
                Some((_, _, m)) => m.push((g.relation, rf.clone())),
                None => groups.push((g.group, fhir_section(res), vec![(g.relation, rf.clone())])),
            }
        }
        add_to_section(fhir_section(res), rf);
        items.push(e);
    }
    groups.sort_by_key(|(n, _, _)| *n);
    for (n, section, members) in &groups {
        let code = r
            .results
            .iter()
            .find(|x| x.group.map(|g| g.group) == Some(*n))
            .and_then(|x| terminology::battery_of(&x.code))
            .map_or("other", |b| b.fhir_code);
        let e = group_observation(code, members, &exam, &patient, opts);
        add_to_section(section.clone(), reference_of(&e));
        out.push(e);
    }
    out.extend(items);
    let composition = composition(
        r,
        &patient,
        &encounter_ref,
        doc.as_deref().or(exec.as_deref()),
        admin.as_deref(),
        &sections,
        opts,
    );
    out.insert(0, composition);
    out
}

fn section_title(code: &str) -> &'static str {
    match code {
        "01011" => "特定健診 検査結果",
        "01012" => "特定健診 問診結果",
        "01990" => "任意追加項目",
        _ => "健診結果",
    }
}

fn composition(
    r: &CheckupReport,
    patient: &str,
    encounter: &str,
    author: Option<&str>,
    custodian: Option<&str>,
    sections: &[(String, Vec<String>)],
    opts: &ResourceOptions,
) -> EncodedResource {
    let head = profile_head(&format!("{ECHECKUP_SD}JP_Composition_eCheckupGeneral"));
    let mut body = Vec::new();
    let mut j = JsonOut::new(&mut body);
    j.begin_object();
    j.key_array("extension");
    j.begin_object();
    j.field_str(
        "url",
        "http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber",
    );
    j.field_str("valueString", "1.0");
    j.end_object();
    if let Some(t) = &r.author_time {
        j.begin_object();
        j.field_str("url", EXT_AUTHOR_TIME);
        j.field_str("valueString", t);
        j.end_object();
    }
    j.end_array();
    j.field_str("status", "final");
    concept(
        &mut j,
        "type",
        DOC_TYPE_SYSTEM,
        DOC_TYPE_CODE,
        Some("検診・健診報告書"),
    );
    j.key_array("category");
    j.begin_object();
    j.key_array("coding");
    coding(&mut j, REPORT_CATEGORY_SYSTEM, &r.report_category, None);
    j.end_array();
    j.end_object();
    j.end_array();
    reference(&mut j, "subject", patient);
    reference(&mut j, "encounter", encounter);
    j.field_str("date", &date(r.created.unwrap_or(r.exam_date)));
    j.key_array("author");
    j.begin_object();
    match author {
        Some(a) => j.field_str("reference", a),
        None => j.field_str("display", "不明"),
    }
    j.end_object();
    j.end_array();
    j.field_str("title", "特定健診結果報告書");
    if let Some(c) = custodian {
        reference(&mut j, "custodian", c);
    }
    j.key_array("event");
    j.begin_object();
    j.key_array("code");
    j.begin_object();
    j.key_array("coding");
    coding(&mut j, PROGRAM_SYSTEM, &r.program, None);
    j.end_array();
    j.end_object();
    j.end_array();
    j.key_object("period");
    j.field_str("start", &date(r.exam_date));
    j.field_str("end", &date(r.exam_date));
    j.end_object();
    j.end_object();
    j.end_array();
    j.key_array("section");
    for (code, refs) in sections {
        j.begin_object();
        j.field_str("title", section_title(code));
        concept(&mut j, "code", SECTION_SYSTEM, code, None);
        j.key_array("entry");
        for rf in refs {
            j.begin_object();
            j.field_str("reference", rf);
            j.end_object();
        }
        j.end_array();
        j.end_object();
    }
    j.end_array();
    j.end_object();
    // A real CDA document id travels as an identifier `urn:oid:<root>` | extension; one without an
    // extension has no FHIR value to carry and is dropped (writers put nullFlavor there anyway).
    let doc_id: Vec<(String, String)> = r
        .document_id
        .iter()
        .filter_map(|d| Some((format!("{URN_OID}{}", d.root), d.extension.clone()?)))
        .collect();
    let extra: Vec<(&str, &str)> = doc_id
        .iter()
        .map(|(s, v)| (s.as_str(), v.as_str()))
        .collect();
    finish("Composition", &head, &body, &extra, opts)
}

/// eCheckup Bundle profile (Ver1.5.0, shared with the national EHR-sharing service).
pub const BUNDLE_PROFILE: &str =
    "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eCheckupGeneral";
/// Bundle identifier system (Ver1.5.0).
pub const BUNDLE_ID_SYSTEM: &str = "http://jpfhir.jp/fhir/clins/bundle-identifier";

/// Whether a 10-digit number fits the IG's institution pattern `^[0-4][0-9][1-3][0-9]{7}$` (rule R2152).
fn is_bundle_institution(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() == 10
        && b.iter().all(u8::is_ascii_digit)
        && (b'0'..=b'4').contains(&b[0])
        && (b'1'..=b'3').contains(&b[2])
}

/// One report as an eCheckup **document** Bundle (`type=document`, Composition first, `urn:uuid:`
/// fullUrls, `jp-fhir.md` §8.2).
///
/// Deterministic: ids derive from content and `timestamp` is the file-creation date (or the checkup
/// date) at `00:00:00.000+09:00`, because the CDA carries no time of day. `identifier` is
/// `<institution10>^<year>^<Composition id>` when the performing (or authoring) institution's number
/// fits the IG pattern; otherwise it is left out rather than invented.
pub fn document_bundle(r: &CheckupReport) -> Vec<u8> {
    let opts = ResourceOptions {
        references: super::to_fhir::ReferenceStyle::UrnUuid,
        ..ResourceOptions::default()
    };
    let mut encoder = Encoder::new();
    let resources = encode_report(r, &mut encoder, &opts);
    let day = r.created.unwrap_or(r.exam_date);
    let mut out = Vec::with_capacity(resources.iter().map(|e| e.json.len() + 64).sum());
    out.extend_from_slice(b"{\"resourceType\":\"Bundle\",\"meta\":{\"profile\":[\"");
    out.extend_from_slice(BUNDLE_PROFILE.as_bytes());
    out.extend_from_slice(b"\"]}");
    let institution = [r.performer.as_ref(), r.author.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|o| o.number.as_deref().filter(|n| is_bundle_institution(n)));
    if let (Some(n), Some(comp)) = (institution, resources.first()) {
        out.extend_from_slice(b",\"identifier\":{\"system\":\"");
        out.extend_from_slice(BUNDLE_ID_SYSTEM.as_bytes());
        out.extend_from_slice(b"\",\"value\":");
        let value = format!("{n}^{}^{}", day.format("%Y"), comp.id.0);
        super::json_out::write_escaped(&mut out, &value);
        out.push(b'}');
    }
    out.extend_from_slice(b",\"type\":\"document\",\"timestamp\":\"");
    out.extend_from_slice(
        day.format("%Y-%m-%dT00:00:00.000+09:00")
            .to_string()
            .as_bytes(),
    );
    out.extend_from_slice(b"\",\"entry\":[");
    for (i, e) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n{\"fullUrl\":\"urn:uuid:");
        out.extend_from_slice(e.id.0.as_bytes());
        out.extend_from_slice(b"\",\"resource\":");
        out.extend_from_slice(&e.json);
        out.push(b'}');
    }
    out.extend_from_slice(b"\n]}\n");
    out
}
