//! Code-system, identifier-system, profile and extension URIs (one place, so a URI change is one line).
//!
//! Sources: `shared/spec/fhir-mapping.md` and `shared/spec/jp-fhir.md`. Where JP Core moved from OID to http
//! forms, both are listed: the reader accepts every alias, the writer emits the http form unless asked for
//! the JP Core 1.1.2 (OID) form.

/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// UCUM.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// HL7 PHR IG (PGHD) observation codes.
pub const PGHD: &str = "http://hl7.org/fhir/uv/phr/CodeSystem/observation-pghd-codes";
/// Draft Japanese PGHD IG system for the same codes (accepted on read).
pub const PGHD_DRAFT: &str = "http://fhir/pghd/CodeSystem/observation-pghd-codes";
/// PHR IG sleep-analysis codes (stage values). URL form as in the PHR IG FSH (unverified exact canonical).
pub const PGHD_SLEEP_STAGE: &str = "http://hl7.org/fhir/uv/phr/CodeSystem/sleep-analysis-codes";
/// HealthKit identifiers as a code system (HealthKitOnFHIR's choice).
pub const HEALTHKIT: &str = "http://developer.apple.com/documentation/healthkit";
/// MEDIS nursing-observation (vital-sign) codes, http form (JP Core 1.1.2-url and later).
pub const MEDIS_VITALS_URL: &str = "http://medis.or.jp/CodeSystem/master-nursingObservationKeyCode";
/// The same, OID form (JP Core 1.1.2).
pub const MEDIS_VITALS_OID: &str = "urn:oid:1.2.392.200119.4.804";
/// The same, JP Core NamingSystem alias (accepted on read only).
pub const MEDIS_VITALS_ALIAS: &str =
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationVitalSignsCode_CS";
/// JP Core body-measurement codes (same URI in every version).
pub const JP_BODY_CODE: &str =
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationBodyMeasurementCode_CS";
/// HL7 observation category.
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// JP Core simple observation category.
pub const JP_CATEGORY: &str =
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS";
/// ISO 21090 name representation extension (IDE / SYL / ABC).
pub const EN_REPRESENTATION: &str =
    "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";
/// Insured-person identifier system (被保険者個人識別子), as written.
pub const INSURED_ID: &str = "http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID";
/// Misspelt insured-person identifier systems found in published artefacts (accepted on read).
pub const INSURED_ID_ALIASES: &[&str] = &[
    "http://jpfhir.jp/fhir/eCS/Idsysmem/JP_Insurance_memberID",
    "http://jpfhir.jp/fhir/clins/Idsysmem/JP_Insurance_member",
];
/// RFC 3986 identifier system used for the deterministic `urn:uuid:` business identifiers.
pub const RFC3986: &str = "urn:ietf:rfc:3986";

/// phrkit's own namespace for the few things no standard names. Documented in `docs/fhir-mapping.md`.
pub const PHRKIT_BASE: &str = "http://phrkit.dev/fhir";
/// Identifier system for the source's own sample id (Health Connect uuid, `HKExternalUUID`).
pub const SOURCE_RECORD_ID: &str = "http://phrkit.dev/fhir/sid/source-record-id";
/// Extension keeping source metadata key/value pairs.
pub const EXT_SOURCE_METADATA: &str = "http://phrkit.dev/fhir/StructureDefinition/source-metadata";
/// Extension carrying the age band of an anonymised Patient (valueRange, UCUM `a`).
pub const EXT_AGE_BAND: &str = "http://phrkit.dev/fhir/StructureDefinition/age-band";
/// Code system for workout activity types that are not HealthKit identifiers.
pub const ACTIVITY_TYPE: &str = "http://phrkit.dev/fhir/CodeSystem/activity-type";

/// JP Core profile base.
pub const JP_SD: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/";
/// HL7 R4 core profile base.
pub const R4_SD: &str = "http://hl7.org/fhir/StructureDefinition/";

/// Whether `system` names the MEDIS vital-sign code system under any of its aliases.
pub fn is_medis_vitals(system: &str) -> bool {
    matches!(
        system,
        MEDIS_VITALS_URL | MEDIS_VITALS_OID | MEDIS_VITALS_ALIAS | "1.2.392.200119.4.804"
    )
}

/// Whether `system` names the PGHD code system under any of its aliases.
pub fn is_pghd(system: &str) -> bool {
    matches!(system, PGHD | PGHD_DRAFT)
}

/// Whether `system` names the insured-person identifier system under any spelling.
pub fn is_insured_id(system: &str) -> bool {
    system == INSURED_ID || INSURED_ID_ALIASES.contains(&system)
}
