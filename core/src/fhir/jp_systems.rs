//! Japanese code and identifier systems used by medication, immunization and expense resources, with every
//! alias a reader must accept (`jp-fhir.md` §2, §3).
//!
//! Reader rule (§3.2): every known alias — OID with or without `urn:oid:`, http form, JP Core NamingSystem
//! placeholder, the conflicting alternative OIDs of §3.4 — maps to one canonical entry before comparing.
//! Writer rule (§3.3): the http form by default, the OID form on request, the OID where no http form exists.

use super::to_fhir::CodeSystemStyle;
use crate::record::DrugCodeSystem;

/// The written forms of one system.
#[derive(Debug, PartialEq, Eq)]
pub struct SystemForms {
    /// http form (JP Core 1.1.2-url / 1.2), if one exists.
    pub url: Option<&'static str>,
    /// `urn:oid:` form (JP Core 1.1.2 / EPD), if one exists.
    pub oid: Option<&'static str>,
    /// Further spellings accepted on read only.
    pub aliases: &'static [&'static str],
}

impl SystemForms {
    /// The URI to write in `style`.
    pub fn emit(&self, style: CodeSystemStyle) -> &'static str {
        match (style, self.url, self.oid) {
            (CodeSystemStyle::Url, Some(u), _) => u,
            (CodeSystemStyle::Oid, _, Some(o)) => o,
            (_, Some(u), _) => u,
            (_, None, Some(o)) => o,
            (_, None, None) => "",
        }
    }

    /// The form records keep (the default writer form), so records compare equal whichever form was read.
    pub fn canonical(&self) -> &'static str {
        self.emit(CodeSystemStyle::Url)
    }

    /// Whether `system` is any spelling of this system.
    pub fn matches(&self, system: &str) -> bool {
        let bare = |s: &str| s.strip_prefix("urn:oid:").map(str::to_owned);
        let sys_bare = system.strip_prefix("urn:oid:").unwrap_or(system);
        self.url == Some(system)
            || self
                .oid
                .is_some_and(|o| o == system || bare(o).as_deref() == Some(sys_bare))
            || self
                .aliases
                .iter()
                .any(|a| *a == system || bare(a).as_deref() == Some(sys_bare))
    }
}

macro_rules! forms {
    ($name:ident, $doc:literal, $url:expr, $oid:expr, [$($alias:expr),*]) => {
        #[doc = $doc]
        pub const $name: SystemForms = SystemForms { url: $url, oid: $oid, aliases: &[$($alias),*] };
    };
}

forms!(
    YJ,
    "YJ code (個別医薬品コード); both OIDs of §3.4 accepted.",
    Some("http://capstandard.jp/iyaku.info/CodeSystem/YJ-code"),
    Some("urn:oid:1.2.392.100495.20.2.73"),
    [
        "urn:oid:1.2.392.100495.20.1.73",
        "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeYJ_CS"
    ]
);
forms!(
    HOT9,
    "MEDIS HOT9; both registered OIDs accepted.",
    Some("http://medis.or.jp/CodeSystem/master-HOT9"),
    Some("urn:oid:1.2.392.200119.4.403.1"),
    [
        "urn:oid:1.2.392.100495.20.2.74",
        "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeHOT9_CS"
    ]
);
forms!(
    HOT13,
    "MEDIS HOT13.",
    Some("http://medis.or.jp/CodeSystem/master-HOT13"),
    Some("urn:oid:1.2.392.200119.4.402.1"),
    []
);
forms!(
    HOT7,
    "MEDIS HOT7.",
    Some("http://medis.or.jp/CodeSystem/master-HOT7"),
    Some("urn:oid:1.2.392.200119.4.403.2"),
    []
);
forms!(RECEIPT_DRUG, "レセ電 医薬品コード: no http form; EPD's OID written, the `…20.2.71` variant accepted (single source each, §3.4).",
    None, Some("urn:oid:1.2.392.100495.20.1.71"), ["urn:oid:1.2.392.100495.20.2.71"]);
forms!(
    GENERAL_NAME,
    "一般名処方マスタ; both OIDs accepted.",
    Some("http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationGeneralOrderCode"),
    Some("urn:oid:1.2.392.100495.20.2.81"),
    ["urn:oid:1.2.392.100495.20.1.81"]
);
forms!(
    MERIT9_UNIT,
    "医薬品単位略号 MERIT-9.",
    Some("http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationUnitMERIT9Code"),
    Some("urn:oid:1.2.392.100495.20.2.101"),
    []
);
forms!(
    JAMI_USAGE,
    "JAMI 16-digit 用法 code.",
    Some("http://jami.jp/CodeSystem/MedicationUsage"),
    Some("urn:oid:1.2.392.200250.2.2.20.20"),
    []
);
forms!(
    ROUTE,
    "投与経路 (HL7 v2 table 0162).",
    Some("http://jpfhir.jp/fhir/core/CodeSystem/route-codes"),
    Some("urn:oid:1.2.392.100495.20.2.34"),
    []
);
forms!(
    DISEASE_EXCODE,
    "MEDIS 病名交換用コード (immunization target disease).",
    Some("http://medis.or.jp/CodeSystem/master-disease-exCode"),
    Some("urn:oid:1.2.392.200119.4.101.6"),
    []
);
forms!(INSTITUTION_10, "10-digit medical institution code (same URI in every JP Core version; EPD's spelling accepted).",
    Some("http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"), None,
    ["http://jpfhir.jp/fhir/Common/IdSystem/insurance-medical-institution-no"]);
forms!(
    INSTITUTION_7,
    "7-digit medical institution code.",
    Some("http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicalOrganizationID"),
    Some("urn:oid:1.2.392.100495.20.3.23"),
    []
);
forms!(
    RP_NUMBER,
    "RP番号 identifier system.",
    Some("http://jpfhir.jp/fhir/core/mhlw/IdSystem/Medication-RPGroupNumber"),
    Some("urn:oid:1.2.392.100495.20.3.81"),
    []
);
forms!(
    ORDER_IN_RP,
    "RP内順番 identifier system.",
    Some("http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicationAdministrationIndex"),
    Some("urn:oid:1.2.392.100495.20.3.82"),
    []
);

/// Code systems whose codings records keep in canonical form (usage, route, target disease, units).
const CODE_SYSTEMS: &[&SystemForms] = &[
    &YJ,
    &HOT9,
    &HOT13,
    &HOT7,
    &RECEIPT_DRUG,
    &GENERAL_NAME,
    &MERIT9_UNIT,
    &JAMI_USAGE,
    &ROUTE,
    &DISEASE_EXCODE,
];

/// The canonical spelling of a code-system URI: a known system's default form, else the URI unchanged
/// (unknown systems pass through untouched, §3.2).
pub fn canonical_system(system: &str) -> String {
    CODE_SYSTEMS
        .iter()
        .find(|f| f.matches(system))
        .map(|f| f.canonical().to_owned())
        .unwrap_or_else(|| system.to_owned())
}

/// The URI to write for a canonical code-system URI in `style` (unknown systems unchanged).
pub fn emit_system(system: &str, style: CodeSystemStyle) -> &str {
    CODE_SYSTEMS
        .iter()
        .find(|f| f.matches(system))
        .map(|f| f.emit(style))
        .unwrap_or(system)
}

/// The forms of a national drug code system.
pub fn drug_forms(system: &DrugCodeSystem) -> Option<&'static SystemForms> {
    Some(match system {
        DrugCodeSystem::Yj => &YJ,
        DrugCodeSystem::Hot9 => &HOT9,
        DrugCodeSystem::Hot13 => &HOT13,
        DrugCodeSystem::Hot7 => &HOT7,
        DrugCodeSystem::Receipt => &RECEIPT_DRUG,
        DrugCodeSystem::GeneralName => &GENERAL_NAME,
        _ => return None,
    })
}

/// The drug code system named by any alias of `uri`; unknown URIs become [`DrugCodeSystem::Other`].
pub fn drug_system_from_uri(uri: &str) -> DrugCodeSystem {
    [
        (DrugCodeSystem::Yj, &YJ),
        (DrugCodeSystem::Hot9, &HOT9),
        (DrugCodeSystem::Hot13, &HOT13),
        (DrugCodeSystem::Hot7, &HOT7),
        (DrugCodeSystem::Receipt, &RECEIPT_DRUG),
        (DrugCodeSystem::GeneralName, &GENERAL_NAME),
    ]
    .into_iter()
    .find(|(_, f)| f.matches(uri))
    .map(|(s, _)| s)
    .unwrap_or_else(|| DrugCodeSystem::Other(uri.to_owned()))
}

/// The URI to write for a drug code system.
pub fn drug_system_uri(system: &DrugCodeSystem, style: CodeSystemStyle) -> &str {
    match drug_forms(system) {
        Some(f) => f.emit(style),
        None => system.key(),
    }
}

/// phrkit extension: the prescribing date of a dispensed drug (no JP Core element carries it on
/// MedicationDispense without a separate MedicationRequest). Documented in `docs/fhir-mapping.md`.
pub const EXT_PRESCRIBED_DATE: &str = "http://phrkit.dev/fhir/StructureDefinition/prescribed-date";
/// phrkit extension: the prescribing institution (valueReference with identifier and display).
pub const EXT_PRESCRIBER: &str =
    "http://phrkit.dev/fhir/StructureDefinition/prescriber-organization";
/// phrkit extension on an Identifier: the value was synthesised by phrkit, not given by the source
/// (RP numbering for claims-derived dispenses, `jp-fhir.md` §6).
pub const EXT_SYNTHETIC: &str = "http://phrkit.dev/fhir/StructureDefinition/synthetic-identifier";
/// JP Core extension: next due date of an immunization.
pub const EXT_NEXT_DOSE: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Immunization_DueDateOfNextDose";
/// FHIR data-absent-reason extension (for required elements phrkit cannot fill).
pub const EXT_DATA_ABSENT: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
/// HL7 v2 table 0443 (provider role), for `Immunization.performer.function` = `AP`.
pub const V2_0443: &str = "http://terminology.hl7.org/CodeSystem/v2-0443";
/// HL7 claim type.
pub const CLAIM_TYPE: &str = "http://terminology.hl7.org/CodeSystem/claim-type";
/// HL7 adjudication categories (`submitted`, `benefit`, `copay`).
pub const ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
/// phrkit adjudication category for the public-subsidy share (no HL7 code exists).
pub const PHRKIT_ADJUDICATION: &str = "http://phrkit.dev/fhir/CodeSystem/adjudication-jp";
/// phrkit code system for 診療区分 (care category of an expense notice).
pub const CARE_CATEGORY: &str = "http://phrkit.dev/fhir/CodeSystem/care-category";
/// phrkit code system for expense supporting information (`days`).
pub const EXPENSE_INFO: &str = "http://phrkit.dev/fhir/CodeSystem/expense-info";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_maps_to_one_canonical_form() {
        for s in [
            "urn:oid:1.2.392.100495.20.1.73",
            "urn:oid:1.2.392.100495.20.2.73",
            "1.2.392.100495.20.2.73",
            "http://capstandard.jp/iyaku.info/CodeSystem/YJ-code",
            "http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCodeYJ_CS",
        ] {
            assert_eq!(drug_system_from_uri(s), DrugCodeSystem::Yj, "{s}");
        }
        assert_eq!(
            drug_system_from_uri("urn:oid:1.2.392.100495.20.2.74"),
            DrugCodeSystem::Hot9
        );
        assert_eq!(
            drug_system_from_uri("urn:oid:1.2.392.100495.20.2.71"),
            DrugCodeSystem::Receipt
        );
        assert_eq!(
            canonical_system("urn:oid:1.2.392.200250.2.2.20.20"),
            "http://jami.jp/CodeSystem/MedicationUsage"
        );
        assert_eq!(
            canonical_system("http://example.org/x"),
            "http://example.org/x"
        );
        assert_eq!(
            emit_system(
                "http://jami.jp/CodeSystem/MedicationUsage",
                CodeSystemStyle::Oid
            ),
            "urn:oid:1.2.392.200250.2.2.20.20"
        );
        assert_eq!(
            RECEIPT_DRUG.emit(CodeSystemStyle::Url),
            "urn:oid:1.2.392.100495.20.1.71"
        );
    }
}
