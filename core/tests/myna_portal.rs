//! マイナポータル downloads and the care records (medication, immunization, medical expense): records ↔
//! FHIR round trips, the 医療費通知 CSV reader, and the declarative mapping layer. Fixtures are handwritten
//! and synthetic (fixtures/myna_portal/README.md).

use chrono::NaiveDate;
use phrkit::fhir::CodeSystemStyle;
use phrkit::read::{read_slice, Format, ReadOptions};
use phrkit::record::{
    CareCategory, CareDate, CodedText, Coding, DispenseFields, Drug, DrugAmount, DrugCodeSystem,
    ExpenseAmounts, ExpenseFields, Immunization, ImmunizationFields, Institution, MedicalExpense,
    MedicationDispense, MetadataEntry, RpPosition, YearMonth,
};
use phrkit::write::{to_vec, OutputFormat, WriteOptions};
use phrkit::Record;
use rust_decimal::Decimal;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dispense(code: Option<(DrugCodeSystem, &str)>, rp: Option<RpPosition>) -> MedicationDispense {
    let mut f = DispenseFields::new(Drug::new(code, Some("ムコダイン錠２５０ｍｇ")).unwrap());
    f.prescribed = Some(date("2025-03-01"));
    f.dispensed = Some(date("2025-03-02"));
    f.quantity = Some(DrugAmount::new(Decimal::new(210, 1), "錠", Some("TAB")).unwrap());
    f.dose = Some(DrugAmount::new(Decimal::new(1, 0), "錠", None).unwrap());
    f.usage = Some(
        CodedText::new(
            Some(Coding::new(
                "http://jami.jp/CodeSystem/MedicationUsage",
                "1013044400000000",
            )),
            Some("内服・経口・１日３回朝昼夕食後"),
            "usage",
        )
        .unwrap(),
    );
    f.route = Some(
        CodedText::new(
            Some(Coding::new(
                "http://jpfhir.jp/fhir/core/CodeSystem/route-codes",
                "PO",
            )),
            Some("口"),
            "route",
        )
        .unwrap(),
    );
    f.days_supplied = Some(7);
    f.pharmacy = Some(Institution::new(Some("1341234567"), Some("サンプル薬局")).unwrap());
    f.prescriber =
        Some(Institution::new(Some("1311234567"), Some("サンプル内科クリニック")).unwrap());
    f.rp = rp;
    f.extra = vec![MetadataEntry {
        key: "後発品".into(),
        value: "あり".into(),
    }];
    MedicationDispense::new(f).unwrap()
}

fn immunization(dose: Option<u32>) -> Immunization {
    let vaccine = Drug::new(
        Some((DrugCodeSystem::Yj, "6311400A1010")),
        Some("肺炎球菌ワクチン"),
    )
    .unwrap();
    let mut f = ImmunizationFields::new(CareDate::Date(date("2025-10-01")), vaccine);
    f.lot = Some("AB1234".into());
    f.dose_number = dose;
    f.target_disease = Some(
        CodedText::new(
            Some(Coding::new(
                "http://medis.or.jp/CodeSystem/master-disease-exCode",
                "VQH3",
            )),
            Some("肺炎球菌感染症"),
            "target disease",
        )
        .unwrap(),
    );
    f.performer = Some(Institution::new(None, Some("サンプル診療所")).unwrap());
    f.next_due = Some(date("2030-10-01"));
    Immunization::new(f).unwrap()
}

fn expense(category: &str, notice: Option<&str>) -> MedicalExpense {
    MedicalExpense::new(ExpenseFields {
        month: YearMonth::new(2025, 3).unwrap(),
        category: CareCategory::from_label(category),
        days: Some(2),
        institution: Institution::new(None, Some("サンプル内科クリニック")).unwrap(),
        amounts: ExpenseAmounts {
            total: 4120,
            insurer: 2884,
            public: 0,
            patient: 1236,
        },
        insurer_name: notice.map(|_| "サンプル健康保険組合".to_owned()),
        notice_date: notice.map(date),
        extra: vec![],
    })
    .unwrap()
}

fn care_records() -> Vec<Record> {
    vec![
        dispense(Some((DrugCodeSystem::Hot9, "103835401")), None).into(),
        dispense(Some((DrugCodeSystem::Receipt, "620009101")), None).into(),
        dispense(None, Some(RpPosition { rp: 2, order: 3 })).into(),
        immunization(Some(1)).into(),
        immunization(None).into(),
        Record::Immunization({
            let mut f = immunization(None).into_fields();
            f.occurred = CareDate::Instant(
                chrono::DateTime::parse_from_rfc3339("2025-10-01T10:30:00+09:00").unwrap(),
            );
            f.target_disease = None;
            f.performer = None;
            Immunization::new(f).unwrap()
        }),
        expense("医科外来", Some("2026-01-20")).into(),
        expense("柔道整復", None).into(),
    ]
}

#[test]
fn care_records_round_trip_through_fhir_in_every_container_and_code_style() {
    let records = care_records();
    for format in [
        OutputFormat::Ndjson,
        OutputFormat::BundleCollection,
        OutputFormat::BundleTransaction,
    ] {
        for style in [CodeSystemStyle::Url, CodeSystemStyle::Oid] {
            let mut opts = WriteOptions::new(format);
            opts.code_systems = style;
            let bytes = to_vec(&records, opts).unwrap();
            let ds = read_slice(&bytes, &ReadOptions::strict()).unwrap();
            assert_eq!(ds.records, records, "{format:?} {style:?}");
            assert!(ds.report.is_balanced());
            // 8 care resources + the placeholder Patient.
            assert_eq!(ds.report.items_read, 9);
            assert_eq!(ds.report.by_type["medicationDispense"], 3);
            assert_eq!(ds.report.by_type["immunization"], 3);
            assert_eq!(ds.report.by_type["medicalExpense"], 2);
            assert!(
                ds.report.ignored_elements.is_empty(),
                "{:?}",
                ds.report.ignored_elements
            );
        }
    }
}

#[test]
fn dispense_fhir_uses_jp_core_systems_and_flags_synthetic_rp_numbers() {
    let records = care_records();
    let bytes = to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
    let lines: Vec<serde_json::Value> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 9);
    let d0 = &lines[1];
    assert_eq!(d0["resourceType"], "MedicationDispense");
    assert_eq!(
        d0["medicationCodeableConcept"]["coding"][0]["system"],
        "http://medis.or.jp/CodeSystem/master-HOT9"
    );
    let ids = d0["identifier"].as_array().unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids[1]["system"],
        "http://jpfhir.jp/fhir/core/mhlw/IdSystem/Medication-RPGroupNumber"
    );
    assert_eq!(ids[1]["value"], "1");
    assert_eq!(ids[1]["extension"][0]["valueBoolean"], true);
    // Second line of the same dispense event (same date and pharmacy): order 2.
    assert_eq!(lines[2]["identifier"][2]["value"], "2");
    assert_eq!(
        lines[2]["medicationCodeableConcept"]["coding"][0]["system"],
        "urn:oid:1.2.392.100495.20.1.71"
    );
    // Source RP numbers are written as given, without the synthetic flag.
    assert_eq!(lines[3]["identifier"][1]["value"], "2");
    assert!(lines[3]["identifier"][1].get("extension").is_none());
    assert_eq!(d0["daysSupply"]["code"], "d");
    assert_eq!(d0["quantity"]["value"], serde_json::json!(21.0));
    assert_eq!(d0["whenHandedOver"], "2025-03-02");
    let imm = &lines[4];
    assert_eq!(
        imm["extension"][0]["url"],
        "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Immunization_DueDateOfNextDose"
    );
    assert_eq!(imm["protocolApplied"][0]["doseNumberPositiveInt"], 1);
    let eob = &lines[7];
    assert_eq!(eob["resourceType"], "ExplanationOfBenefit");
    assert_eq!(eob["type"]["coding"][0]["code"], "professional");
    assert_eq!(eob["billablePeriod"]["end"], "2025-03-31");
    assert_eq!(eob["total"][0]["amount"]["value"], 4120);
    assert_eq!(eob["total"][3]["category"]["coding"][0]["code"], "copay");
    assert_eq!(lines[8]["_created"]["extension"][0]["valueCode"], "unknown");
    // Deterministic bytes.
    assert_eq!(
        bytes,
        to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap()
    );
}

#[test]
fn fhir_reader_accepts_oid_aliases_for_drug_codes() {
    let line = r#"{"resourceType":"MedicationDispense","status":"completed","medicationCodeableConcept":{"coding":[{"system":"urn:oid:1.2.392.100495.20.1.73","code":"6311400A1010"}],"text":"X"},"whenHandedOver":"2025-03-02T10:00:00+09:00"}"#;
    let mut opts = ReadOptions::strict();
    opts.format = Some(Format::FhirNdjson);
    let ds = read_slice(line.as_bytes(), &opts).unwrap();
    let Record::Medication(d) = &ds.records[0] else {
        panic!()
    };
    assert_eq!(d.drug.code(), Some((&DrugCodeSystem::Yj, "6311400A1010")));
    assert_eq!(d.dispensed, Some(date("2025-03-02")));
}
