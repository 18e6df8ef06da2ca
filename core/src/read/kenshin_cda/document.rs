//! One `hc08` CDA element tree → [`CheckupReport`], applying the tolerance rules of `kenshin-cda.md` §11.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::xml::Node;
use super::FORMAT_CDA;
use crate::error::{Error, Location, Result};
use crate::record::{
    Address, CheckupOrganization, CheckupReport, CheckupResult, CheckupTicket, CheckupValue,
    CodedAnswer, DocumentId, GroupMember, GroupRelation, InsuredId, PersonName, RangeFlag,
    ReferenceRange, ResultStatus, Sex, Subject, ValueType, INTERPRETATION_SYSTEM, ITEM_CODE_SYSTEM,
    METHOD_CODE_SYSTEM, SECTION_RESULTS,
};
use crate::report::{Report, Severity};
use crate::terminology::{self, ItemClass};

pub(crate) const OID_INSURER: &str = "1.2.392.200119.6.101";

pub(crate) const OID_SYMBOL: &str = "1.2.392.200119.6.204";
pub(crate) const OID_NUMBER: &str = "1.2.392.200119.6.205";
pub(crate) const OID_BRANCH: &str = "1.2.392.200119.6.211";
pub(crate) const OID_TICKET: &str = "1.2.392.200119.6.209.1";
pub(crate) const OID_GUIDANCE_TICKET: &str = "1.2.392.200119.6.210.1";

fn at(path: &str, node: &Node) -> Location {
    Location::XmlPath {
        path: path.to_owned(),
        line: Some(node.line),
    }
}

/// ISO OID syntax: arcs of digits without leading zeros, separated by dots, the first arc 0, 1 or 2.
fn is_oid(s: &str) -> bool {
    let mut arcs = s.split('.');
    let first_ok = matches!(arcs.next(), Some("0" | "1" | "2"));
    let rest_ok = arcs.all(|a| {
        !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) && (a == "0" || !a.starts_with('0'))
    });
    first_ok && rest_ok && s.contains('.')
}

fn err(path: &str, node: &Node, reason: &str) -> Error {
    Error::format(FORMAT_CDA, at(path, node), reason)
}

/// `YYYYMMDD…` → date (longer TS values keep only the date part).
pub(crate) fn parse_ts_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if v.len() < 8 || !v.is_char_boundary(8) {
        return None;
    }
    NaiveDate::parse_from_str(&v[..8], "%Y%m%d").ok()
}

/// Rule R3: strip spaces, keep digits, left-pad with `0` to 8.
pub(crate) fn normalise_insurer(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{digits:0>8}"))
}

fn date_attr(node: &Node, path: &str, required: bool) -> Result<Option<NaiveDate>> {
    match node.attr("value") {
        Some(v) => parse_ts_date(v)
            .map(Some)
            .ok_or_else(|| err(path, node, "date is not YYYYMMDD")),
        None if required => Err(err(path, node, "missing @value")),
        None => Ok(None),
    }
}

/// Maps a `ClinicalDocument` tree to a report; tolerance notes and unknown codes go to `report`.
pub(crate) fn map_document(root: &Node, report: &mut Report) -> Result<CheckupReport> {
    if root.name != "ClinicalDocument" {
        return Err(err(
            &format!("/{}", root.name),
            root,
            "root element is not ClinicalDocument (not an hc08 document)",
        ));
    }
    let base = "/ClinicalDocument";
    let code = root
        .child("code")
        .ok_or_else(|| err(base, root, "missing code (報告区分)"))?;
    // Rule R20/R21: the code is 報告区分 whatever @codeSystem says; kept verbatim.
    let report_category = code
        .attr("code")
        .ok_or_else(|| err(&format!("{base}/code"), code, "missing code/@code"))?
        .trim()
        .to_owned();
    let created = match root.child("effectiveTime") {
        Some(n) => date_attr(n, &format!("{base}/effectiveTime"), false)?,
        None => None,
    };
    let document_id = root.child("id").and_then(|n| {
        if n.attr("nullFlavor").is_some() {
            return None;
        }
        n.attr("root").map(|r| DocumentId {
            root: r.to_owned(),
            extension: n.attr("extension").map(str::to_owned),
        })
    });
    let se_path = format!("{base}/documentationOf/serviceEvent");
    let service_event = root.path("documentationOf/serviceEvent").ok_or_else(|| {
        err(
            base,
            root,
            "missing documentationOf/serviceEvent (健診実施日)",
        )
    })?;
    let program = service_event
        .child("code")
        .and_then(|c| c.attr("code"))
        .unwrap_or("")
        .trim()
        .to_owned();
    let et = service_event.child("effectiveTime").ok_or_else(|| {
        err(
            &se_path,
            service_event,
            "missing effectiveTime (健診実施日)",
        )
    })?;
    let et_path = format!("{se_path}/effectiveTime");
    let exam_date = match (et.attr("value"), et.child("low")) {
        (Some(_), _) => date_attr(et, &et_path, true)?,
        (None, Some(low)) => date_attr(low, &format!("{et_path}/low"), true)?,
        (None, None) => return Err(err(&et_path, et, "missing @value")),
    }
    .ok_or_else(|| err(&et_path, et, "missing @value"))?;
    let performer = service_event
        .path("performer/assignedEntity/representedOrganization")
        .map(organization);
    let (subject, insurer_number) = subject(root, report)?;
    let author = root.child("author");
    let mut r = CheckupReport::new(subject, exam_date);
    r.insurer_number = insurer_number;
    r.document_id = document_id;
    r.report_category = report_category;
    // ClinicalDocument.effectiveTime is required; without it the document date is the checkup date, as
    // every writer (FHIR Composition.date, the CDA writer) would render it anyway — read it so here, so a
    // round trip through FHIR gives back the same record.
    if created.is_none() {
        report.issue(
            Severity::Info,
            "document-date-missing",
            Location::None,
            "document effectiveTime missing or empty; the checkup date is used",
        );
    }
    r.created = created.or(Some(exam_date));
    r.program = program;
    r.author_time = author
        .and_then(|a| a.child("time"))
        .and_then(|t| t.attr("value"))
        .map(str::to_owned);
    r.author = author
        .and_then(|a| a.path("assignedAuthor/representedOrganization"))
        .map(organization);
    r.custodian = root
        .path("custodian/assignedCustodian/representedCustodianOrganization")
        .map(organization);
    r.performer = performer;
    r.ticket = root
        .children("participant")
        .find(|p| p.attr("typeCode").is_none_or(|t| t == "HLD"))
        .map(ticket);
    let body_path = format!("{base}/component/structuredBody");
    if let Some(body) = root.path("component/structuredBody") {
        let mut groups = 0u16;
        for (si, comp) in body.children("component").enumerate() {
            let Some(section) = comp.child("section") else {
                continue;
            };
            let spath = format!("{body_path}/component[{}]/section", si + 1);
            section_results(section, &spath, &mut groups, &mut r.results, report)?;
        }
        merge_legacy_doctor_names(&mut r.results, report);
    } else {
        report.issue(
            Severity::Warning,
            "no-structured-body",
            at(base, root),
            "document has no structuredBody: no results",
        );
    }
    Ok(r)
}

fn organization(n: &Node) -> CheckupOrganization {
    let number = n
        .children("id")
        .find(|i| i.attr("nullFlavor").is_none())
        .and_then(|i| i.attr("extension"))
        .map(|e| e.trim().to_owned());
    let addr = n.child("addr");
    CheckupOrganization {
        number,
        name: n.child("name").and_then(Node::text_opt).map(str::to_owned),
        telecom: n
            .child("telecom")
            .and_then(|t| t.attr("value"))
            .map(str::to_owned),
        address: addr.and_then(Node::text_opt).map(str::to_owned),
        postal_code: addr
            .and_then(|a| a.child("postalCode"))
            .and_then(Node::text_opt)
            .map(str::to_owned),
    }
}

fn ticket(p: &Node) -> CheckupTicket {
    let entity = p.child("associatedEntity");
    let id = entity.and_then(|e| e.child("id"));
    let mut insurer = id.and_then(|i| i.attr("root")).and_then(|root| {
        let root = root.trim();
        [OID_TICKET, OID_GUIDANCE_TICKET]
            .iter()
            .find_map(|p| root.strip_prefix(p))
            .and_then(normalise_insurer)
    });
    if insurer.is_none() {
        insurer = entity
            .and_then(|e| e.path("scopingOrganization/id"))
            .and_then(|i| i.attr("extension"))
            .and_then(normalise_insurer);
    }
    CheckupTicket {
        kind: p
            .child("functionCode")
            .and_then(|f| f.attr("code"))
            .unwrap_or("1")
            .to_owned(),
        number: id
            .and_then(|i| i.attr("extension"))
            .map(|s| s.trim().to_owned()),
        expiry: p
            .path("time/high")
            .and_then(|h| h.attr("value"))
            .and_then(parse_ts_date),
        insurer,
    }
}

fn subject(root: &Node, report: &mut Report) -> Result<(Subject, Option<String>)> {
    let path = "/ClinicalDocument/recordTarget/patientRole";
    let Some(role) = root.path("recordTarget/patientRole") else {
        report.issue(
            Severity::Warning,
            "no-record-target",
            at("/ClinicalDocument", root),
            "document has no recordTarget/patientRole",
        );
        return Ok((Subject::default(), None));
    };
    let id_of = |oid: &str| {
        role.children("id")
            .find(|i| i.attr("root").map(str::trim) == Some(oid))
            .and_then(|i| i.attr("extension"))
    };
    let insurer = match id_of(OID_INSURER) {
        Some(raw) => Some(normalise_insurer(raw).ok_or_else(|| {
            err(
                &format!("{path}/id"),
                role,
                "insurer number is not 1–8 digits",
            )
        })?),
        None => None,
    };
    let mut s = Subject::default();
    if let (Some(ins), Some(number)) = (&insurer, id_of(OID_NUMBER)) {
        s.insured_id = Some(
            InsuredId::new(
                ins,
                id_of(OID_SYMBOL).unwrap_or(""),
                number,
                id_of(OID_BRANCH),
            )
            .map_err(|e| Error::invalid_record(at(&format!("{path}/id"), role), e))?,
        );
    }
    if let Some(addr) = role.child("addr") {
        s.address = Some(Address {
            postal_code: addr
                .child("postalCode")
                .and_then(Node::text_opt)
                .map(str::to_owned),
            prefecture: None,
            text: addr.text_opt().map(str::to_owned),
        });
    }
    if let Some(p) = role.child("patient") {
        s.name_kana = p
            .child("name")
            .and_then(Node::text_opt)
            .map(PersonName::whole);
        s.sex = match p
            .child("administrativeGenderCode")
            .and_then(|g| g.attr("code"))
        {
            Some("1") => Some(Sex::Male),
            Some("2") => Some(Sex::Female),
            Some(_) => {
                return Err(err(
                    &format!("{path}/patient/administrativeGenderCode"),
                    p,
                    "sex code is not 1 or 2 (OID 1.2.392.200119.6.1104)",
                ))
            }
            None => None,
        };
        if let Some(b) = p.child("birthTime") {
            s.birth_date = date_attr(b, &format!("{path}/patient/birthTime"), false)?;
        }
    }
    Ok((s, insurer))
}

fn section_results(
    section: &Node,
    spath: &str,
    groups: &mut u16,
    out: &mut Vec<CheckupResult>,
    report: &mut Report,
) -> Result<()> {
    let code = section
        .child("code")
        .and_then(|c| c.attr("code"))
        .unwrap_or(SECTION_RESULTS)
        .to_owned();
    if section.child("text").is_some() {
        report.ignore_element("section.text (narrative, regenerated)");
    }
    for (ei, entry) in section.children("entry").enumerate() {
        let epath = format!("{spath}/entry[{}]", ei + 1);
        let Some(obs) = entry.child("observation") else {
            report.ignore_element("entry without observation");
            continue;
        };
        let opath = format!("{epath}/observation");
        let is_group = obs.child("code").is_none_or(|c| c.attr("code").is_none())
            && obs.child("entryRelationship").is_some();
        if is_group {
            let g = *groups;
            *groups = groups.saturating_add(1);
            for (ri, rel) in obs.children("entryRelationship").enumerate() {
                let rpath = format!("{opath}/entryRelationship[{}]", ri + 1);
                let Some(member) = rel.child("observation") else {
                    report.ignore_element("entryRelationship without observation");
                    continue;
                };
                let relation = rel
                    .attr("typeCode")
                    .and_then(GroupRelation::from_code)
                    .ok_or_else(|| {
                        err(
                            &rpath,
                            rel,
                            "entryRelationship/@typeCode is not COMP or RSON",
                        )
                    })?;
                let mpath = format!("{rpath}/observation");
                if let Some(mut r) = observation(member, &mpath, &code, report)? {
                    r.group = Some(GroupMember { group: g, relation });
                    out.push(r);
                }
            }
        } else if let Some(r) = observation(obs, &opath, &code, report)? {
            out.push(r);
        }
    }
    // Rule R19: items are identified by code wherever they are, including nested sections.
    for (ci, comp) in section.children("component").enumerate() {
        if let Some(sub) = comp.child("section") {
            let sub_path = format!("{spath}/component[{}]/section", ci + 1);
            section_results(sub, &sub_path, groups, out, report)?;
        }
    }
    Ok(())
}

fn xsi_type(v: &Node) -> Option<&str> {
    // Rule R17: resolve the QName's local part.
    v.attr("type").map(|t| t.rsplit(':').next().unwrap_or(t))
}

fn observation(
    obs: &Node,
    path: &str,
    section: &str,
    report: &mut Report,
) -> Result<Option<CheckupResult>> {
    let Some(code_node) = obs.child("code") else {
        report.ignore_element("observation without code");
        report.issue(
            Severity::Warning,
            "observation-without-code",
            at(path, obs),
            "observation has no code; ignored",
        );
        return Ok(None);
    };
    let Some(code) = code_node.attr("code").map(str::trim) else {
        report.ignore_element("observation without code");
        report.issue(
            Severity::Warning,
            "observation-without-code",
            at(path, obs),
            "observation code has no @code; ignored",
        );
        return Ok(None);
    };
    let mut r = CheckupResult::new(code, CheckupValue::Text(String::new()));
    r.value = None;
    r.section = section.to_owned();
    // Rule R1: the schema default when @codeSystem is absent. A present one must be an OID: it becomes a
    // `urn:oid:` system in FHIR, which allows nothing else.
    let code_system = code_node.attr("codeSystem").unwrap_or(ITEM_CODE_SYSTEM);
    if !is_oid(code_system) {
        return Err(err(path, code_node, "@codeSystem is not an OID"));
    }
    r.code_system = code_system.to_owned();
    r.display = code_node.attr("displayName").map(str::to_owned);
    let item = match terminology::classify(code) {
        ItemClass::Current(i) => Some(i),
        ItemClass::LegacyHba1cJds => {
            report.issue(
                Severity::Warning,
                "legacy-item-code",
                at(path, code_node),
                "legacy HbA1c (JDS) item code: JDS scale, not NGSP (rule R5); kept as is",
            );
            None
        }
        ItemClass::Unknown => {
            report.issue(
                Severity::Warning,
                "unknown-item-code",
                at(path, code_node),
                "item code is not in the 4th-period table; kept raw (rule R20)",
            );
            None
        }
    };
    let negated = obs.attr("negationInd") == Some("true");
    let values: Vec<&Node> = obs.children("value").collect();
    let has_pq = values.iter().any(|v| xsi_type(v) == Some("PQ"));
    for (vi, v) in values.iter().enumerate() {
        let vpath = format!("{path}/value[{}]", vi + 1);
        let ty = xsi_type(v).unwrap_or("");
        let system = v.attr("codeSystem").unwrap_or("");
        if (ty == "CD" || ty == "CO")
            && system == INTERPRETATION_SYSTEM
            && has_pq
            && values.len() > 1
        {
            // Rule R15: the out-of-range flag next to a clamped quantity.
            r.range_flag = match v.attr("code") {
                Some("L") => Some(RangeFlag::AtOrBelow),
                Some("H") => Some(RangeFlag::AtOrAbove),
                _ => return Err(err(&vpath, v, "out-of-range flag is not L or H")),
            };
            continue;
        }
        if r.value.is_some() || matches!(r.status, ResultStatus::NotMeasurable { .. }) {
            report.ignore_element("observation.value (second value)");
            continue;
        }
        if let Some(nf) = v.attr("nullFlavor") {
            r.status = ResultStatus::NotMeasurable {
                null_flavor: nf.to_owned(),
            };
            r.null_value_type = xsi_type(v).map(str::to_owned);
            continue;
        }
        r.value = Some(value(
            v,
            ty,
            &vpath,
            item.map(|i| i.value_type),
            obs,
            report,
        )?);
    }
    if negated {
        r.status = ResultStatus::NotPerformed;
        if r.value.take().is_some() {
            report.ignore_element("observation.value (negated observation)");
        }
    } else if r.value.is_none() && r.status == ResultStatus::Final {
        // Rule R14: neither value nor negation ⇒ not measurable, flagged.
        r.status = ResultStatus::NotMeasurable {
            null_flavor: "NI".to_owned(),
        };
        report.issue(
            Severity::Warning,
            "no-value-no-negation",
            at(path, obs),
            "observation has neither value nor negationInd; read as not measurable (rule R14)",
        );
    }
    if let (Some(i), Some(CheckupValue::Coded(a) | CheckupValue::Ordinal(a))) = (item, &r.value) {
        if i.result_oid.is_some_and(|o| o != a.system) {
            report.issue(
                Severity::Warning,
                "unexpected-answer-system",
                at(path, obs),
                "answer code system differs from the item's result OID; kept raw (rule R6)",
            );
        }
    }
    r.interpretation = obs
        .children("interpretationCode")
        .filter_map(|c| c.attr("code"))
        .map(str::to_owned)
        .collect();
    let mut methods = obs.children("methodCode");
    if let Some(m) = methods.next() {
        if m.attr("codeSystem")
            .is_some_and(|s| s != METHOD_CODE_SYSTEM)
        {
            report.ignore_element("methodCode/@codeSystem (non-default)");
        }
        r.method = m.attr("code").map(str::to_owned);
    }
    if methods.next().is_some() {
        report.ignore_element("observation.methodCode (second)");
    }
    if let Some(range) = obs.path("referenceRange/observationRange/value") {
        let rpath = format!("{path}/referenceRange/observationRange/value");
        r.reference_range = Some(reference_range(range, &rpath)?);
    }
    r.author_name = obs
        .path("author/assignedAuthor/assignedPerson/name")
        .and_then(Node::text_opt)
        .map(str::to_owned);
    Ok(Some(r))
}

fn decimal(v: &Node, path: &str) -> Result<Decimal> {
    let raw = v
        .attr("value")
        .ok_or_else(|| err(path, v, "quantity without @value"))?;
    Decimal::from_str(raw.trim()).map_err(|_| err(path, v, "@value is not a decimal number"))
}

fn value(
    v: &Node,
    ty: &str,
    path: &str,
    expected: Option<ValueType>,
    obs: &Node,
    report: &mut Report,
) -> Result<CheckupValue> {
    let coded = || -> Result<CodedAnswer> {
        Ok(CodedAnswer {
            code: v
                .attr("code")
                .ok_or_else(|| err(path, v, "coded value without @code"))?
                .trim()
                .to_owned(),
            system: v.attr("codeSystem").unwrap_or("").to_owned(),
            display: v.attr("displayName").map(str::to_owned),
        })
    };
    Ok(match ty {
        "PQ" => CheckupValue::Quantity {
            value: decimal(v, path)?,
            unit: v.attr("unit").map(str::to_owned),
        },
        "CD" => CheckupValue::Coded(coded()?),
        "CO" => CheckupValue::Ordinal(coded()?),
        "ST" | "" if expected == Some(ValueType::Date) => {
            // Rule R18: first non-empty of text, @value, effectiveTime (@value, low, high).
            let et = obs.child("effectiveTime");
            let candidates = [
                v.text_opt(),
                v.attr("value"),
                et.and_then(|e| e.attr("value")),
                et.and_then(|e| e.child("low"))
                    .and_then(|e| e.attr("value")),
                et.and_then(|e| e.child("high"))
                    .and_then(|e| e.attr("value")),
            ];
            let raw = candidates
                .into_iter()
                .flatten()
                .find(|s| !s.trim().is_empty());
            match raw.and_then(parse_ts_date) {
                Some(d) => CheckupValue::Date(d),
                None => {
                    report.issue(
                        Severity::Warning,
                        "date-item-not-a-date",
                        at(path, v),
                        "date item is not YYYYMMDD; kept as text",
                    );
                    CheckupValue::Text(raw.unwrap_or("").to_owned())
                }
            }
        }
        "ST" => CheckupValue::Text(v.text.trim().to_owned()),
        _ => return Err(err(path, v, "value xsi:type is not PQ, CD, CO or ST")),
    })
}

fn reference_range(v: &Node, path: &str) -> Result<ReferenceRange> {
    let low = v.child("low");
    let high = v.child("high");
    Ok(ReferenceRange {
        low: low
            .map(|n| decimal(n, &format!("{path}/low")))
            .transpose()?,
        high: high
            .map(|n| decimal(n, &format!("{path}/high")))
            .transpose()?,
        unit: low.or(high).and_then(|n| n.attr("unit")).map(str::to_owned),
    })
}

/// Rule R16: a legacy independent observation carrying a doctor's name (9N516 …) becomes the `author` of
/// its judgement item(s) when they have none or the same one, and is then dropped as a duplicate. A name
/// that contradicts the judgement's author, or one without a judgement, stays an observation.
fn merge_legacy_doctor_names(results: &mut Vec<CheckupResult>, report: &mut Report) {
    let mut drop = Vec::new();
    for (judgements, name_code) in terminology::DOCTOR_NAME_PAIRS {
        let Some(ni) = results.iter().position(|r| r.code == *name_code) else {
            continue;
        };
        let Some(CheckupValue::Text(name)) = results[ni].value.clone() else {
            continue;
        };
        let targets: Vec<usize> = (0..results.len())
            .filter(|&i| judgements.contains(&results[i].code.as_str()))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let conflict = targets
            .iter()
            .any(|&i| results[i].author_name.as_ref().is_some_and(|a| *a != name));
        if conflict {
            report.issue(
                Severity::Warning,
                "doctor-name-conflict",
                Location::None,
                "legacy doctor-name observation differs from the judgement's author; both kept",
            );
            continue;
        }
        for &i in &targets {
            results[i].author_name = Some(name.clone());
        }
        report.issue(
            Severity::Info,
            "legacy-doctor-name",
            Location::None,
            "legacy doctor-name observation merged into the judgement's author (rule R16)",
        );
        drop.push(ni);
    }
    drop.sort_unstable();
    for i in drop.into_iter().rev() {
        results.remove(i);
    }
}

#[cfg(test)]
mod oid_tests {
    use super::is_oid;

    #[test]
    fn oids_are_recognised_by_their_syntax() {
        for ok in ["1.2.392.200119.6.1005", "2.16.840.1.113883.5.25", "0.0"] {
            assert!(is_oid(ok), "{ok}");
        }
        for bad in [
            "",
            "1",
            "3.1",
            "1.2.392.200119.6.)005",
            "1..2",
            "1.02",
            "1.2.",
            "urn:oid:1.2",
        ] {
            assert!(!is_oid(bad), "{bad}");
        }
    }
}
