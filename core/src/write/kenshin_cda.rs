//! EDGE OUT: [`CheckupReport`] → 特定健診 `hc08` CDA XML, and whole delivery archives (ZIP with root
//! folder, `ix08_V08.xml` index and `DATA/h…xml` person files named per `kenshin-cda.md` §2).
//!
//! The writer is strict (spec §12): UTF-8 with a declaration and no BOM; `@codeSystem` always written on
//! item and method codes; insurer numbers 8 digits zero-padded everywhere (also in the 受診券 root);
//! not performed → `negationInd="true"` and nothing else; not measurable → typed value with `nullFlavor`;
//! out of range → clamped PQ plus CD `L`/`H`; interpretation codes and reference ranges only as supplied.
//!
//! Not done (the data is not in the specification): formatting to each item's 数値形式 and cutting text at
//! 最大バイト長 — both need the official 付属2 Excel. When a table row carries a 数値形式 the value is
//! clamped ([`crate::terminology::clamp_to_format`]); today no row does, so decimals are written with the
//! scale they were read with. Text is written as recorded (no width conversion), which keeps round trips
//! exact. XSD validation (rule 8) needs the V08 schema set, which is not bundled.

use std::fmt::Write as _;
use std::io::{Seek, Write};

use chrono::NaiveDate;

use crate::error::{Error, Location, Result};
use crate::read::kenshin_cda::{normalise_insurer, INDEX_NS_V08};
use crate::record::{
    CheckupOrganization, CheckupReport, CheckupResult, CheckupValue, RecordError, ResultStatus,
    INTERPRETATION_SYSTEM, METHOD_CODE_SYSTEM,
};
use crate::terminology;

const OID_INSURER: &str = "1.2.392.200119.6.101";
const OID_PROVIDER: &str = "1.2.392.200119.6.102";

/// Escapes text or an attribute value. Returns false if `s` holds a character XML 1.0 cannot carry
/// (C0 controls other than tab, LF, CR); the caller refuses the document rather than alter the text.
fn esc(out: &mut String, s: &str) -> bool {
    let mut ok = true;
    for c in s.chars() {
        match c {
            '\u{0}'..='\u{8}'
            | '\u{b}'
            | '\u{c}'
            | '\u{e}'..='\u{1f}'
            | '\u{fffe}'
            | '\u{ffff}' => ok = false,
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    ok
}

/// A tiny XML emitter: `el` writes `<name a="v" …` and either `/>` or `>`; attributes with `None` values
/// are skipped.
struct Xml {
    s: String,
    /// Set when a value held a character XML cannot carry.
    bad_char: bool,
}

impl Xml {
    fn new(capacity: usize) -> Xml {
        Xml {
            s: String::with_capacity(capacity),
            bad_char: false,
        }
    }
    fn text(&mut self, t: &str) {
        if !esc(&mut self.s, t) {
            self.bad_char = true;
        }
    }
    fn open(&mut self, name: &str, attrs: &[(&str, Option<&str>)], empty: bool) {
        self.s.push('<');
        self.s.push_str(name);
        for (k, v) in attrs {
            if let Some(v) = v {
                let _ = write!(self.s, " {k}=\"");
                self.text(v);
                self.s.push('"');
            }
        }
        self.s.push_str(if empty { "/>" } else { ">" });
    }
    fn empty(&mut self, name: &str, attrs: &[(&str, Option<&str>)]) {
        self.open(name, attrs, true);
    }
    fn start(&mut self, name: &str, attrs: &[(&str, Option<&str>)]) {
        self.open(name, attrs, false);
    }
    fn end(&mut self, name: &str) {
        let _ = write!(self.s, "</{name}>");
    }
    fn text_el(&mut self, name: &str, attrs: &[(&str, Option<&str>)], text: &str) {
        self.start(name, attrs);
        self.text(text);
        self.end(name);
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn invalid(what: &'static str) -> Error {
    Error::invalid_record(Location::None, RecordError::MalformedIdentifier { what })
}

/// Writes one report as an `hc08` CDA document (UTF-8 bytes, no BOM).
pub fn document_to_vec(r: &CheckupReport) -> Result<Vec<u8>> {
    let mut x = Xml::new(8 * 1024);
    x.s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.start(
        "ClinicalDocument",
        &[
            ("xmlns", Some("urn:hl7-org:v3")),
            (
                "xmlns:xsi",
                Some("http://www.w3.org/2001/XMLSchema-instance"),
            ),
            (
                "xsi:schemaLocation",
                Some("urn:hl7-org:v3 ../XSD/hc08_V08.xsd"),
            ),
        ],
    );
    header(&mut x, r)?;
    body(&mut x, r);
    x.end("ClinicalDocument");
    x.s.push('\n');
    if x.bad_char {
        return Err(Error::invalid_record(
            Location::None,
            RecordError::UnwritableCharacter {
                format: "特定健診 CDA XML",
            },
        ));
    }
    Ok(x.s.into_bytes())
}

fn header(x: &mut Xml, r: &CheckupReport) -> Result<()> {
    x.empty(
        "typeId",
        &[
            ("root", Some("2.16.840.1.113883.1.3")),
            ("extension", Some("POCD_HD000040")),
        ],
    );
    match &r.document_id {
        Some(id) => x.empty(
            "id",
            &[
                ("root", Some(&id.root)),
                ("extension", id.extension.as_deref()),
            ],
        ),
        None => x.empty("id", &[("nullFlavor", Some("NI"))]),
    }
    x.empty(
        "code",
        &[
            ("code", Some(&r.report_category)),
            ("codeSystem", Some("1.2.392.200119.6.1001")),
        ],
    );
    let created = ymd(r.created.unwrap_or(r.exam_date));
    x.empty("effectiveTime", &[("value", Some(&created))]);
    x.empty(
        "confidentialityCode",
        &[
            ("code", Some("N")),
            ("codeSystem", Some("2.16.840.1.113883.5.25")),
        ],
    );
    record_target(x, r)?;
    x.start("author", &[]);
    x.empty(
        "time",
        &[("value", Some(r.author_time.as_deref().unwrap_or(&created)))],
    );
    x.start("assignedAuthor", &[]);
    x.empty("id", &[("nullFlavor", Some("NI"))]);
    organization(x, "representedOrganization", r.author.as_ref())?;
    x.end("assignedAuthor");
    x.end("author");
    x.start("custodian", &[]);
    x.start("assignedCustodian", &[]);
    organization(
        x,
        "representedCustodianOrganization",
        r.custodian.as_ref().or(r.author.as_ref()),
    )?;
    x.end("assignedCustodian");
    x.end("custodian");
    if let Some(t) = &r.ticket {
        let insurer = match t.insurer.as_deref().or(r.insurer()) {
            Some(i) => Some(normalise_insurer(i).ok_or_else(|| invalid("insurer number"))?),
            None => None,
        };
        let base = if t.kind == "2" {
            "1.2.392.200119.6.210.1"
        } else {
            "1.2.392.200119.6.209.1"
        };
        x.start("participant", &[("typeCode", Some("HLD"))]);
        x.empty(
            "functionCode",
            &[
                ("code", Some(&t.kind)),
                ("codeSystem", Some("1.2.392.200119.6.208")),
            ],
        );
        if let Some(e) = t.expiry {
            x.start("time", &[]);
            x.empty("high", &[("value", Some(&ymd(e)))]);
            x.end("time");
        }
        x.start("associatedEntity", &[("classCode", Some("IDENT"))]);
        let root = format!("{base}{}", insurer.as_deref().unwrap_or(""));
        x.empty(
            "id",
            &[("root", Some(&root)), ("extension", t.number.as_deref())],
        );
        if let Some(i) = &insurer {
            x.start("scopingOrganization", &[]);
            x.empty("id", &[("root", Some(OID_INSURER)), ("extension", Some(i))]);
            x.end("scopingOrganization");
        }
        x.end("associatedEntity");
        x.end("participant");
    }
    x.start("documentationOf", &[]);
    x.start("serviceEvent", &[]);
    x.empty(
        "code",
        &[
            ("code", Some(&r.program)),
            ("codeSystem", Some("1.2.392.200119.6.1002")),
        ],
    );
    x.empty("effectiveTime", &[("value", Some(&ymd(r.exam_date)))]);
    if r.performer.is_some() {
        x.start("performer", &[("typeCode", Some("PRF"))]);
        x.start("assignedEntity", &[]);
        x.empty("id", &[("nullFlavor", Some("NI"))]);
        organization(x, "representedOrganization", r.performer.as_ref())?;
        x.end("assignedEntity");
        x.end("performer");
    }
    x.end("serviceEvent");
    x.end("documentationOf");
    Ok(())
}

fn record_target(x: &mut Xml, r: &CheckupReport) -> Result<()> {
    let s = &r.subject;
    x.start("recordTarget", &[]);
    x.start("patientRole", &[]);
    if let Some(i) = r.insurer() {
        let i = normalise_insurer(i).ok_or_else(|| invalid("insurer number"))?;
        x.empty(
            "id",
            &[("root", Some(OID_INSURER)), ("extension", Some(&i))],
        );
    }
    if let Some(id) = &s.insured_id {
        if !id.symbol().is_empty() {
            x.empty(
                "id",
                &[
                    ("root", Some("1.2.392.200119.6.204")),
                    ("extension", Some(id.symbol())),
                ],
            );
        }
        x.empty(
            "id",
            &[
                ("root", Some("1.2.392.200119.6.205")),
                ("extension", Some(id.number())),
            ],
        );
        if let Some(b) = id.branch() {
            x.empty(
                "id",
                &[
                    ("root", Some("1.2.392.200119.6.211")),
                    ("extension", Some(b)),
                ],
            );
        }
    }
    if let Some(a) = &s.address {
        x.start("addr", &[]);
        if let Some(t) = &a.text {
            x.text(t);
        }
        if let Some(p) = &a.postal_code {
            x.text_el("postalCode", &[], p);
        }
        x.end("addr");
    }
    x.start("patient", &[]);
    if let Some(n) = &s.name_kana {
        x.text_el("name", &[], &n.text);
    }
    if let Some(sex) = s.sex {
        let code = match sex {
            crate::record::Sex::Male => "1",
            crate::record::Sex::Female => "2",
            // The MHLW sex code has only 1 and 2 (OID …6.1104).
            _ => return Err(invalid("sex (only male/female are codable in hc08)")),
        };
        x.empty(
            "administrativeGenderCode",
            &[
                ("code", Some(code)),
                ("codeSystem", Some("1.2.392.200119.6.1104")),
            ],
        );
    }
    if let Some(b) = s.birth_date {
        x.empty("birthTime", &[("value", Some(&ymd(b)))]);
    }
    x.end("patient");
    x.end("patientRole");
    x.end("recordTarget");
    Ok(())
}

fn organization(x: &mut Xml, element: &str, o: Option<&CheckupOrganization>) -> Result<()> {
    x.start(element, &[]);
    let o = o.cloned().unwrap_or_default();
    match &o.number {
        Some(n) => {
            if n.len() != 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("provider number (10 digits)"));
            }
            x.empty(
                "id",
                &[("root", Some(OID_PROVIDER)), ("extension", Some(n))],
            );
        }
        None => x.empty("id", &[("nullFlavor", Some("NI"))]),
    }
    if let Some(n) = &o.name {
        x.text_el("name", &[], n);
    }
    if let Some(t) = &o.telecom {
        x.empty("telecom", &[("value", Some(t))]);
    }
    if o.address.is_some() || o.postal_code.is_some() {
        x.start("addr", &[]);
        if let Some(t) = &o.address {
            x.text(t);
        }
        if let Some(p) = &o.postal_code {
            x.text_el("postalCode", &[], p);
        }
        x.end("addr");
    }
    x.end(element);
    Ok(())
}

fn section_title(code: &str) -> &'static str {
    match code {
        "01010" => "特定健診・問診結果",
        "01020" => "広域連合の保健事業",
        "01030" => "労働安全衛生法",
        "01040" => "学校保健安全法",
        "01060" => "がん検診",
        "01090" => "肝炎検診",
        "01990" => "任意追加項目",
        _ => "健診結果",
    }
}

fn body(x: &mut Xml, r: &CheckupReport) {
    x.start("component", &[]);
    x.start("structuredBody", &[]);
    let mut sections: Vec<&str> = Vec::new();
    for res in &r.results {
        if !sections.contains(&res.section.as_str()) {
            sections.push(&res.section);
        }
    }
    for code in sections {
        x.start("component", &[]);
        x.start("section", &[]);
        x.empty(
            "code",
            &[
                ("code", Some(code)),
                ("codeSystem", Some("1.2.392.200119.6.1010")),
            ],
        );
        x.text_el("title", &[], section_title(code));
        let in_section: Vec<&CheckupResult> =
            r.results.iter().filter(|x| x.section == code).collect();
        let mut done_groups: Vec<u16> = Vec::new();
        for res in &in_section {
            match res.group {
                None => {
                    x.start("entry", &[]);
                    observation(x, res);
                    x.end("entry");
                }
                Some(g) if done_groups.contains(&g.group) => {}
                Some(g) => {
                    done_groups.push(g.group);
                    x.start("entry", &[]);
                    x.start(
                        "observation",
                        &[("classCode", Some("OBS")), ("moodCode", Some("EVN"))],
                    );
                    x.empty("code", &[("nullFlavor", Some("NA"))]);
                    for m in in_section
                        .iter()
                        .filter(|m| m.group.map(|mg| mg.group) == Some(g.group))
                    {
                        let rel = m.group.map(|mg| mg.relation.code()).unwrap_or("COMP");
                        x.start("entryRelationship", &[("typeCode", Some(rel))]);
                        observation(x, m);
                        x.end("entryRelationship");
                    }
                    x.end("observation");
                    x.end("entry");
                }
            }
        }
        x.end("section");
        x.end("component");
    }
    x.end("structuredBody");
    x.end("component");
}

fn observation(x: &mut Xml, r: &CheckupResult) {
    let negated = r.status == ResultStatus::NotPerformed;
    x.start(
        "observation",
        &[
            ("classCode", Some("OBS")),
            ("moodCode", Some("EVN")),
            ("negationInd", negated.then_some("true")),
        ],
    );
    x.empty(
        "code",
        &[
            ("code", Some(&r.code)),
            ("codeSystem", Some(&r.code_system)),
            ("displayName", r.display.as_deref()),
        ],
    );
    if negated {
        // Spec §7: not performed carries nothing else.
        x.end("observation");
        return;
    }
    let item = terminology::item(&r.code);
    let mut range_flag = r.range_flag;
    match (&r.status, &r.value) {
        (ResultStatus::NotMeasurable { null_flavor }, _) => {
            let ty = r
                .null_value_type
                .as_deref()
                .or(item.map(|i| i.value_type.xsi_type()))
                .unwrap_or("ST");
            x.empty(
                "value",
                &[("xsi:type", Some(ty)), ("nullFlavor", Some(null_flavor))],
            );
        }
        (_, Some(v)) => {
            if let (CheckupValue::Quantity { value, .. }, Some(fmt)) =
                (v, item.and_then(|i| i.numeric_format))
            {
                let (clamped, flag) = terminology::clamp_to_format(*value, fmt);
                if let Some(above) = flag {
                    range_flag = range_flag.or(Some(if above {
                        crate::record::RangeFlag::AtOrAbove
                    } else {
                        crate::record::RangeFlag::AtOrBelow
                    }));
                    value_element(
                        x,
                        &CheckupValue::Quantity {
                            value: clamped,
                            unit: quantity_unit(v),
                        },
                    );
                } else {
                    value_element(x, v);
                }
            } else {
                value_element(x, v);
            }
        }
        (_, None) => {}
    }
    if let Some(f) = range_flag {
        x.empty(
            "value",
            &[
                ("xsi:type", Some("CD")),
                ("code", Some(f.cda_code())),
                ("codeSystem", Some(INTERPRETATION_SYSTEM)),
                ("displayName", Some(f.display())),
            ],
        );
    }
    for i in &r.interpretation {
        x.empty(
            "interpretationCode",
            &[
                ("code", Some(i)),
                ("codeSystem", Some(INTERPRETATION_SYSTEM)),
            ],
        );
    }
    if let Some(m) = &r.method {
        x.empty(
            "methodCode",
            &[("code", Some(m)), ("codeSystem", Some(METHOD_CODE_SYSTEM))],
        );
    }
    if let Some(name) = &r.author_name {
        x.start("author", &[]);
        x.empty("time", &[("nullFlavor", Some("NI"))]);
        x.start("assignedAuthor", &[]);
        x.empty("id", &[("nullFlavor", Some("NI"))]);
        x.start("assignedPerson", &[]);
        x.text_el("name", &[], name);
        x.end("assignedPerson");
        x.end("assignedAuthor");
        x.end("author");
    }
    if let Some(rr) = &r.reference_range {
        x.start("referenceRange", &[]);
        x.start(
            "observationRange",
            &[("classCode", Some("OBS")), ("moodCode", Some("EVN.CRT"))],
        );
        x.start("value", &[("xsi:type", Some("IVL_PQ"))]);
        if let Some(l) = rr.low {
            x.empty(
                "low",
                &[
                    ("value", Some(&l.to_string())),
                    ("unit", rr.unit.as_deref()),
                ],
            );
        }
        if let Some(h) = rr.high {
            x.empty(
                "high",
                &[
                    ("value", Some(&h.to_string())),
                    ("unit", rr.unit.as_deref()),
                ],
            );
        }
        x.end("value");
        x.end("observationRange");
        x.end("referenceRange");
    }
    x.end("observation");
}

fn quantity_unit(v: &CheckupValue) -> Option<String> {
    match v {
        CheckupValue::Quantity { unit, .. } => unit.clone(),
        _ => None,
    }
}

fn value_element(x: &mut Xml, v: &CheckupValue) {
    match v {
        CheckupValue::Quantity { value, unit } => x.empty(
            "value",
            &[
                ("xsi:type", Some("PQ")),
                ("value", Some(&value.to_string())),
                ("unit", unit.as_deref()),
            ],
        ),
        CheckupValue::Coded(a) | CheckupValue::Ordinal(a) => {
            let ty = if matches!(v, CheckupValue::Ordinal(_)) {
                "CO"
            } else {
                "CD"
            };
            x.empty(
                "value",
                &[
                    ("xsi:type", Some(ty)),
                    ("code", Some(&a.code)),
                    ("codeSystem", Some(&a.system)),
                    ("displayName", a.display.as_deref()),
                ],
            );
        }
        CheckupValue::Text(t) => x.text_el("value", &[("xsi:type", Some("ST"))], t),
        CheckupValue::Date(d) => x.text_el("value", &[("xsi:type", Some("ST"))], &ymd(*d)),
    }
}

/// What identifies one delivery archive (spec §2.2–2.3, §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveSpec {
    /// 送付元機関番号: 10-digit 健診機関番号 (also the 機関番号 in person-file names).
    pub sender: String,
    /// 送付先番号: insurer number (normalised to 8 digits, rule R3).
    pub receiver: String,
    /// 提出年月日 / 作成年月日.
    pub date: NaiveDate,
    /// 同日分割送信回数 `0`–`9`.
    pub split: u8,
    /// 実施区分 (`1` 特定健診情報).
    pub service_event_type: String,
    /// 種別コード for the index (`6` 健診機関 → 保険者).
    pub interaction_type: String,
}

impl ArchiveSpec {
    /// A 特定健診 results delivery from a 健診機関 to an insurer (実施区分 1, 種別 6).
    pub fn checkup(sender: &str, receiver: &str, date: NaiveDate) -> ArchiveSpec {
        ArchiveSpec {
            sender: sender.to_owned(),
            receiver: receiver.to_owned(),
            date,
            split: 0,
            service_event_type: "1".to_owned(),
            interaction_type: "6".to_owned(),
        }
    }

    fn check(&self) -> Result<String> {
        if self.sender.len() != 10 || !self.sender.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("sender (10-digit provider number)"));
        }
        if self.split > 9 {
            return Err(invalid("same-day split counter (0-9)"));
        }
        if self.service_event_type.len() != 1
            || !self.service_event_type.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid("実施区分 (one digit)"));
        }
        normalise_insurer(&self.receiver).ok_or_else(|| invalid("receiver insurer number"))
    }

    /// ZIP / root-folder name without `.zip`: `<sender>_<receiver8>_<YYYYMMDD><N>_<実施区分>`.
    pub fn root_name(&self) -> Result<String> {
        let receiver = self.check()?;
        Ok(format!(
            "{}_{}_{}{}_{}",
            self.sender,
            receiver,
            ymd(self.date),
            self.split,
            self.service_event_type
        ))
    }

    /// Person-file name for running number `serial` (1-based): `h<機関10><YYYYMMDD><N><種別><連番6>.xml`.
    pub fn data_file_name(&self, serial: u32) -> Result<String> {
        self.check()?;
        if serial == 0 || serial > 999_999 {
            return Err(invalid("running number (1-999999)"));
        }
        Ok(format!(
            "h{}{}{}{}{:06}.xml",
            self.sender,
            ymd(self.date),
            self.split,
            self.service_event_type,
            serial
        ))
    }
}

/// The index file for `count` person files.
pub fn index_to_vec(spec: &ArchiveSpec, count: u64) -> Result<Vec<u8>> {
    let receiver = spec.check()?;
    let mut x = Xml::new(512);
    x.s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.start("index", &[("xmlns", Some(INDEX_NS_V08))]);
    x.empty("interactionType", &[("code", Some(&spec.interaction_type))]);
    x.empty("creationTime", &[("value", Some(&ymd(spec.date)))]);
    x.start("sender", &[]);
    x.empty(
        "id",
        &[
            ("root", Some(OID_PROVIDER)),
            ("extension", Some(&spec.sender)),
        ],
    );
    x.end("sender");
    x.start("receiver", &[]);
    x.empty(
        "id",
        &[("root", Some(OID_INSURER)), ("extension", Some(&receiver))],
    );
    x.end("receiver");
    x.empty(
        "serviceEventType",
        &[("code", Some(&spec.service_event_type))],
    );
    x.empty("totalRecordCount", &[("value", Some(&count.to_string()))]);
    x.end("index");
    x.s.push('\n');
    Ok(x.s.into_bytes())
}

/// What [`write_archive`] produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// The ZIP file name (`<root>.zip`).
    pub zip_name: String,
    /// Member names in the ZIP, in order.
    pub entries: Vec<String>,
}

/// Writes a complete delivery archive: `<root>/ix08_V08.xml` and one `<root>/DATA/h…xml` per report.
///
/// Every document is generated before anything is written, so a report that cannot be written produces
/// no archive at all (spec §12 rule 8). Output is deterministic (fixed timestamps, fixed order).
pub fn write_archive<W: Write + Seek>(
    reports: &[CheckupReport],
    spec: &ArchiveSpec,
    out: W,
) -> Result<ArchiveSummary> {
    let root = spec.root_name()?;
    let mut files = Vec::with_capacity(reports.len() + 1);
    files.push((
        format!("{root}/ix08_V08.xml"),
        index_to_vec(spec, reports.len() as u64)?,
    ));
    for (i, r) in reports.iter().enumerate() {
        let name = spec.data_file_name(i as u32 + 1)?;
        files.push((format!("{root}/DATA/{name}"), document_to_vec(r)?));
    }
    let mut zip = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let io = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(e) => Error::from(e),
        _ => Error::from(std::io::Error::other("ZIP writer failed")),
    };
    zip.add_directory(format!("{root}/"), opts).map_err(io)?;
    zip.add_directory(format!("{root}/DATA/"), opts)
        .map_err(io)?;
    let mut entries = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        zip.start_file(name.as_str(), opts).map_err(io)?;
        zip.write_all(&bytes)?;
        entries.push(name);
    }
    zip.finish().map_err(io)?;
    Ok(ArchiveSummary {
        zip_name: format!("{root}.zip"),
        entries,
    })
}
