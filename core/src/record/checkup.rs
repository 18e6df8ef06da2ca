//! 特定健診 (specific health checkup) results: one [`CheckupReport`] per person per checkup, as carried by
//! one MHLW `hc08` CDA document (`shared/spec/kenshin-cda.md` §4–7).
//!
//! The record is deliberately close to the CDA: every element a reader keeps has a field here, so
//! CDA → records → CDA → records is lossless at the record level (narrative section text and `templateId`
//! are regenerated / ignored by rule R20 and are the only things not kept). Codes stay codes: item codes,
//! answer codes and their OIDs are stored verbatim (normative), displays only as the source gave them
//! (informative, rules R8/R9). Interpretation of the codes lives in [`crate::terminology`].

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Subject;
use crate::terminology::{self, ItemClass, ItemInfo};

/// OID of the 特定健診 item code table (`observation/code/@codeSystem` default, rule R1).
pub const ITEM_CODE_SYSTEM: &str = "1.2.392.200119.6.1005";
/// OID of the 検査方法コード table (`methodCode/@codeSystem` default).
pub const METHOD_CODE_SYSTEM: &str = "1.2.392.200119.6.1007";
/// HL7 ObservationInterpretation (`interpretationCode`, out-of-range flag).
pub const INTERPRETATION_SYSTEM: &str = "2.16.840.1.113883.5.83";
/// 報告区分 code for 特定健診情報.
pub const REPORT_CATEGORY_SPECIFIC_CHECKUP: &str = "10";
/// 健診プログラム種別 code for 特定健康診査.
pub const PROGRAM_SPECIFIC_CHECKUP: &str = "010";
/// Section code 特定健診・問診結果 (basic and detailed items).
pub const SECTION_RESULTS: &str = "01010";
/// Section code 任意追加項目 (items added at the insurer's discretion).
pub const SECTION_OPTIONAL: &str = "01990";

/// The data type of an item's value as 付属2 declares it (Appendix A, column Type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Physical quantity (`xsi:type="PQ"`).
    Pq,
    /// Coded (`CD`).
    Cd,
    /// Coded ordinal (`CO`).
    Co,
    /// Free text (`ST`).
    St,
    /// `ST` carrying a `YYYYMMDD` date (付属2 "年月日").
    Date,
}

impl ValueType {
    /// The `xsi:type` written in CDA (a date item is written as `ST`).
    pub fn xsi_type(self) -> &'static str {
        match self {
            ValueType::Pq => "PQ",
            ValueType::Cd => "CD",
            ValueType::Co => "CO",
            ValueType::St | ValueType::Date => "ST",
        }
    }
}

/// One result value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckupValue {
    /// A number with the 付属2 XML unit as written in `@unit` (`mg/dL`, `` {h`b}/min ``, `mg/g*CR`; absent
    /// for unit-less items). The decimal keeps the scale it was written with.
    Quantity {
        /// The value.
        value: Decimal,
        /// The XML unit string (not necessarily UCUM; see rule R23 for the FHIR mapping).
        unit: Option<String>,
    },
    /// A code from the item's result-code OID (`xsi:type="CD"`).
    Coded(CodedAnswer),
    /// An ordinal code (`xsi:type="CO"`): urine qualitative, fundus grades, titres …
    Ordinal(CodedAnswer),
    /// Free text (`ST`).
    Text(String),
    /// A date carried by an `ST (年月日)` item (撮影年月日).
    Date(NaiveDate),
}

/// A coded answer: code plus its code system (the bare result OID, e.g. `1.2.392.200119.6.2003`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CodedAnswer {
    /// The code (`1`, `2`, …).
    pub code: String,
    /// Bare OID of the answer list. Interpret a code only with its system (rule R6).
    pub system: String,
    /// Display as the source gave it (informative only, rule R9).
    pub display: Option<String>,
}

/// Whether the result exists (spec §7, rule R14).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResultStatus {
    /// A value is present.
    Final,
    /// 未実施: `negationInd="true"`, no value. The reason, when given, is the separate item 9N512.
    NotPerformed,
    /// 測定不能: performed but no result; the value element carries a `nullFlavor` (normally `NI`).
    NotMeasurable {
        /// The nullFlavor as written (`NI`, `UNK`, …). `NI` when an observation had neither value nor
        /// negation (flagged by the reader).
        null_flavor: String,
    },
}

/// 入力範囲外: the source clamped the value to the limit of the item's numeric format and added a second
/// value `L` (以下) or `H` (以上) from HL7 ObservationInterpretation (spec §7, rule R15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeFlag {
    /// The true value is at or below the written value (`L`, 以下, FHIR `LX`, comparator `<=`).
    AtOrBelow,
    /// The true value is at or above the written value (`H`, 以上, FHIR `HX`, comparator `>=`).
    AtOrAbove,
}

impl RangeFlag {
    /// The HL7 v3 code written in CDA.
    pub fn cda_code(self) -> &'static str {
        match self {
            RangeFlag::AtOrBelow => "L",
            RangeFlag::AtOrAbove => "H",
        }
    }
    /// The display the standard writes (以下 / 以上).
    pub fn display(self) -> &'static str {
        match self {
            RangeFlag::AtOrBelow => "以下",
            RangeFlag::AtOrAbove => "以上",
        }
    }
    /// The FHIR interpretation code (`LX` / `HX`).
    pub fn fhir_code(self) -> &'static str {
        match self {
            RangeFlag::AtOrBelow => "LX",
            RangeFlag::AtOrAbove => "HX",
        }
    }
    /// The FHIR `Quantity.comparator`.
    pub fn comparator(self) -> &'static str {
        match self {
            RangeFlag::AtOrBelow => "<=",
            RangeFlag::AtOrAbove => ">=",
        }
    }
}

/// A reference range (`observationRange/value` of type `IVL_PQ`), copied from the source, never computed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ReferenceRange {
    /// Lower bound.
    pub low: Option<Decimal>,
    /// Upper bound.
    pub high: Option<Decimal>,
    /// Unit as written on the bounds (the result's XML unit).
    pub unit: Option<String>,
}

/// How a result belongs to a battery group (一連検査グループ, spec §6): `COMP` a component result, `RSON` a
/// reason (who was targeted, why it was done).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupRelation {
    /// Component.
    Comp,
    /// Reason.
    Rson,
}

impl GroupRelation {
    /// The `entryRelationship/@typeCode` / FHIR relationship code.
    pub fn code(self) -> &'static str {
        match self {
            GroupRelation::Comp => "COMP",
            GroupRelation::Rson => "RSON",
        }
    }
    /// Inverse of [`GroupRelation::code`].
    pub fn from_code(code: &str) -> Option<GroupRelation> {
        match code {
            "COMP" => Some(GroupRelation::Comp),
            "RSON" => Some(GroupRelation::Rson),
            _ => None,
        }
    }
}

/// Membership of a result in one battery-group instance of its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupMember {
    /// Which group instance in this report (0, 1, … in document order); results with the same number
    /// were children of the same `nullFlavor="NA"` parent observation.
    pub group: u16,
    /// COMP or RSON.
    pub relation: GroupRelation,
}

/// One result item (one CDA `observation` with a 17-character item code).
#[derive(Clone, PartialEq, Eq)]
pub struct CheckupResult {
    /// 17-character 特定健診項目コード (or a legacy / unknown code kept raw, rule R20).
    pub code: String,
    /// Code system of the item code (normally [`ITEM_CODE_SYSTEM`]; the default when the source omits it).
    pub code_system: String,
    /// `displayName` as the source gave it (informative only).
    pub display: Option<String>,
    /// Whether a value exists.
    pub status: ResultStatus,
    /// The value (`None` unless `status` is [`ResultStatus::Final`]).
    pub value: Option<CheckupValue>,
    /// The `xsi:type` of a not-measurable value (`PQ`, `CD` …), so the writer can repeat it.
    pub null_value_type: Option<String>,
    /// Out-of-input-range flag for clamped quantities.
    pub range_flag: Option<RangeFlag>,
    /// Interpretation codes (`N`, `H`, `L`), copied from the source.
    pub interpretation: Vec<String>,
    /// 10-character 検査方法コード (OID `1.2.392.200119.6.1007`), if given.
    pub method: Option<String>,
    /// Reference range, copied from the source.
    pub reference_range: Option<ReferenceRange>,
    /// Doctor's name on diagnosis/opinion items (`author/assignedAuthor/assignedPerson/name`, spec §5.4).
    pub author_name: Option<String>,
    /// Battery-group membership, if the result was inside a group.
    pub group: Option<GroupMember>,
    /// Section code the result appeared in (`01010`, `01990`, …).
    pub section: String,
}

impl CheckupResult {
    /// A final result in section 01010 with the default item code system.
    pub fn new(code: &str, value: CheckupValue) -> CheckupResult {
        CheckupResult {
            code: code.to_owned(),
            code_system: ITEM_CODE_SYSTEM.to_owned(),
            display: None,
            status: ResultStatus::Final,
            value: Some(value),
            null_value_type: None,
            range_flag: None,
            interpretation: Vec::new(),
            method: None,
            reference_range: None,
            author_name: None,
            group: None,
            section: SECTION_RESULTS.to_owned(),
        }
    }

    /// A not-performed result (`negationInd="true"`).
    pub fn not_performed(code: &str) -> CheckupResult {
        CheckupResult {
            status: ResultStatus::NotPerformed,
            value: None,
            ..CheckupResult::new(code, CheckupValue::Text(String::new()))
        }
    }

    /// What the 4th-period table says about this item code.
    pub fn class(&self) -> ItemClass {
        terminology::classify(&self.code)
    }

    /// The 4th-period table row, if the code is current.
    pub fn item(&self) -> Option<&'static ItemInfo> {
        terminology::item(&self.code)
    }
}

impl fmt::Debug for CheckupResult {
    // Codes are not personal, values are: show which parts are present, never the values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckupResult")
            .field("code", &self.code)
            .field("status", &self.status)
            .field("value", &self.value.as_ref().map(|_| "<masked>"))
            .field("method", &self.method)
            .field("group", &self.group)
            .field("section", &self.section)
            .finish_non_exhaustive()
    }
}

/// An organisation in the header: ファイル作成機関, 健診実施機関, 管理責任機関.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CheckupOrganization {
    /// 10-digit 特定健診機関番号 (OID `1.2.392.200119.6.102`); `None` when the id is `nullFlavor`.
    pub number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Telephone as written (`tel:…`).
    pub telecom: Option<String>,
    /// Address text.
    pub address: Option<String>,
    /// Postal code inside the address.
    pub postal_code: Option<String>,
}

/// The 受診券 / 利用券 (checkup / guidance ticket) participant.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CheckupTicket {
    /// 券面種別 (OID `1.2.392.200119.6.208`): `1` 受診券, `2` 利用券.
    pub kind: String,
    /// 11-digit 整理番号.
    pub number: Option<String>,
    /// 有効期限.
    pub expiry: Option<NaiveDate>,
    /// Insurer number (8 digits, normalised per rule R3) from the ticket's root OID suffix or its
    /// scoping organisation.
    pub insurer: Option<String>,
}

/// A document id (`ClinicalDocument/id`): writers put `nullFlavor="NI"`, readers accept a real one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DocumentId {
    /// `@root`.
    pub root: String,
    /// `@extension`.
    pub extension: Option<String>,
}

/// メタボリックシンドローム判定 (item 9N501, OID `…6.1008`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetabolicSyndrome {
    /// 1 基準該当.
    Meets,
    /// 2 予備群該当.
    Borderline,
    /// 3 非該当.
    NotApplicable,
    /// 4 判定不能.
    Undeterminable,
}

/// 保健指導レベル (item 9N506, OID `…6.3001`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GuidanceLevel {
    /// 1 積極的支援 (intensive support).
    Intensive,
    /// 2 動機付け支援 (motivational support).
    Motivational,
    /// 3 なし(情報提供) (information only).
    InformationOnly,
    /// 4 判定不能.
    Undeterminable,
}

/// One person's checkup: header plus results, as one `hc08` document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckupReport {
    /// The person: insured-person identifier (保険者番号 + 記号 + 番号 + 枝番), カナ name, sex, birth date,
    /// address. There is no kanji name in the file.
    pub subject: Subject,
    /// 8-digit insurer number (normalised, rule R3). Kept here too because a person without a card
    /// number cannot have an [`crate::record::InsuredId`].
    pub insurer_number: Option<String>,
    /// Document id, if not `nullFlavor`.
    pub document_id: Option<DocumentId>,
    /// 報告区分 (`ClinicalDocument/code/@code`), kept verbatim (rule R21); `10` for 特定健診.
    pub report_category: String,
    /// ファイル作成日 (`ClinicalDocument/effectiveTime`).
    pub created: Option<NaiveDate>,
    /// 健診プログラム種別 (`serviceEvent/code`), `010` for 特定健診.
    pub program: String,
    /// 健診実施日 (`serviceEvent/effectiveTime`).
    pub exam_date: NaiveDate,
    /// `author/time/@value` as written (date or date-time digits).
    pub author_time: Option<String>,
    /// ファイル作成機関.
    pub author: Option<CheckupOrganization>,
    /// ファイル作成管理責任機関 (custodian).
    pub custodian: Option<CheckupOrganization>,
    /// 健診実施機関 (performer).
    pub performer: Option<CheckupOrganization>,
    /// 受診券 / 利用券.
    pub ticket: Option<CheckupTicket>,
    /// The results, in document order. CDA groups results by section and a battery group's members at
    /// the group's first member, so a report whose sections interleave is written section by section:
    /// round trips are exact for reports in that order (the order every reader produces).
    pub results: Vec<CheckupResult>,
}

impl CheckupReport {
    /// An empty 特定健診 report (category `10`, program `010`) for `exam_date`.
    pub fn new(subject: Subject, exam_date: NaiveDate) -> CheckupReport {
        CheckupReport {
            insurer_number: subject.insured_id.as_ref().map(|i| i.insurer().to_owned()),
            subject,
            document_id: None,
            report_category: REPORT_CATEGORY_SPECIFIC_CHECKUP.to_owned(),
            created: None,
            program: PROGRAM_SPECIFIC_CHECKUP.to_owned(),
            exam_date,
            author_time: None,
            author: None,
            custodian: None,
            performer: None,
            ticket: None,
            results: Vec::new(),
        }
    }

    /// The insurer number: the insured-person identifier's, else [`CheckupReport::insurer_number`].
    pub fn insurer(&self) -> Option<&str> {
        self.subject
            .insured_id
            .as_ref()
            .map(|i| i.insurer())
            .or(self.insurer_number.as_deref())
    }

    /// The first result with this item code.
    pub fn result(&self, code: &str) -> Option<&CheckupResult> {
        self.results.iter().find(|r| r.code == code)
    }

    fn coded(&self, code: &str, system: &str) -> Option<&str> {
        match &self.result(code)?.value {
            Some(CheckupValue::Coded(a) | CheckupValue::Ordinal(a)) if a.system == system => {
                Some(a.code.as_str())
            }
            _ => None,
        }
    }

    /// メタボリックシンドローム判定, when present and coded in OID `…6.1008`.
    pub fn metabolic_syndrome(&self) -> Option<MetabolicSyndrome> {
        Some(
            match self.coded("9N501000000000011", "1.2.392.200119.6.1008")? {
                "1" => MetabolicSyndrome::Meets,
                "2" => MetabolicSyndrome::Borderline,
                "3" => MetabolicSyndrome::NotApplicable,
                "4" => MetabolicSyndrome::Undeterminable,
                _ => return None,
            },
        )
    }

    /// 保健指導レベル, when present and coded in OID `…6.3001`.
    pub fn guidance_level(&self) -> Option<GuidanceLevel> {
        Some(
            match self.coded("9N506000000000011", "1.2.392.200119.6.3001")? {
                "1" => GuidanceLevel::Intensive,
                "2" => GuidanceLevel::Motivational,
                "3" => GuidanceLevel::InformationOnly,
                "4" => GuidanceLevel::Undeterminable,
                _ => return None,
            },
        )
    }

    /// The 標準的な質問票 answers (服薬, 既往歴, 喫煙, 飲酒 …) and the 後期高齢者 questionnaire answers, in
    /// document order.
    pub fn questionnaire(&self) -> impl Iterator<Item = &CheckupResult> {
        self.results.iter().filter(|r| {
            r.item().is_some_and(|i| {
                matches!(
                    i.category,
                    terminology::ItemCategory::Questionnaire
                        | terminology::ItemCategory::LateElderlyQuestionnaire
                )
            })
        })
    }
}
