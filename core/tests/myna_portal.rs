//! マイナポータル downloads and the care records (medication, immunization, medical expense): records ↔
//! FHIR round trips, the 医療費通知 CSV reader, and the declarative mapping layer. Fixtures are handwritten
//! and synthetic (fixtures/myna_portal/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
    // A new subject restarts the numbering even for the same day and pharmacy.
    let two_people = vec![
        Record::from(phrkit::Subject::default()),
        dispense(None, None).into(),
        Record::from(phrkit::Subject {
            birth_date: Some(date("1990-01-01")),
            ..phrkit::Subject::default()
        }),
        dispense(None, None).into(),
    ];
    let out = to_vec(&two_people, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
    let orders: Vec<String> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap())
        .filter(|v| v["resourceType"] == "MedicationDispense")
        .map(|v| v["identifier"][2]["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(orders, ["1", "1"]);
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

// ------------------------------------------------------------------ 医療費通知 CSV

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../fixtures/myna_portal/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn sjis(bytes: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let (out, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    out.into_owned()
}

fn assert_expense_fixture(ds: &phrkit::read::Dataset) {
    assert!(ds.report.is_balanced(), "{:?}", ds.report);
    assert_eq!(ds.report.items_read, 4);
    assert_eq!(ds.report.converted, 4);
    assert_eq!(ds.report.by_type["subject"], 1);
    assert_eq!(ds.report.by_type["medicalExpense"], 3);
    assert!(ds.report.skipped.is_empty());
    // The summary agrees with the details: no warnings at all.
    assert!(ds.report.issues.is_empty(), "{:?}", ds.report.issues);
    assert_eq!(ds.report.ignored_elements["医療費通知CSV/資格情報/年齢"], 1);
    assert_eq!(
        ds.report.ignored_elements["医療費通知CSV/年間の合計/医療費の総額(円)"],
        1
    );
    let Record::Subject(s) = &ds.records[0] else {
        panic!("first record is the subject")
    };
    // The CSV writes symbol and number in full-width digits; JP Core allows an element all half-width or
    // all full-width, so it is kept as written (jp-fhir.md §5).
    assert_eq!(
        s.insured_id.as_ref().unwrap().to_jp_core(),
        "01234567:１２３:４５６７:01"
    );
    assert_eq!(s.name_kana.as_ref().unwrap().text, "ケンシン ハナコ");
    assert_eq!(
        s.name_kana.as_ref().unwrap().family.as_deref(),
        Some("ケンシン")
    );
    assert_eq!(s.name_kanji.as_ref().unwrap().text, "健診 花子");
    assert_eq!(
        s.name_kanji.as_ref().unwrap().given.as_deref(),
        Some("花子")
    );
    assert_eq!(s.birth_date, Some(date("1980-04-01")));
    assert_eq!(s.sex, Some(phrkit::record::Sex::Female));
    let expenses: Vec<&MedicalExpense> = ds
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Expense(e) => Some(e),
            _ => None,
        })
        .collect();
    let e = expenses[0];
    assert_eq!((e.month.year(), e.month.month()), (2025, 3));
    assert_eq!(e.category, CareCategory::MedicalOutpatient);
    assert_eq!(e.days, Some(1));
    assert_eq!(e.institution.name(), Some("サンプル内科クリニック"));
    assert_eq!(
        e.amounts,
        ExpenseAmounts {
            total: 4120,
            insurer: 2884,
            public: 0,
            patient: 1236
        }
    );
    assert_eq!(e.insurer_name.as_deref(), Some("サンプル健康保険組合"));
    assert_eq!(e.notice_date, Some(date("2026-01-20")));
    assert!(expenses.iter().all(|e| e.extra.is_empty()));
    assert_eq!(expenses[1].category, CareCategory::Pharmacy);
    assert_eq!(expenses[1].amounts.patient, 705);
    assert_eq!(expenses[2].category, CareCategory::DentalOutpatient);
    assert_eq!((expenses[2].month.month(), expenses[2].days), (11, Some(2)));
    let total: u64 = expenses.iter().map(|e| e.amounts.total).sum();
    assert_eq!(total, 12_340);
}

#[test]
fn expense_csv_reads_in_utf8_bom_and_shift_jis_with_detection() {
    let utf8 = fixture("expense.csv");
    let variants = [
        ("utf8", utf8.clone()),
        ("bom", fixture("expense_bom.csv")),
        ("sjis", sjis(&utf8)),
    ];
    for (name, bytes) in variants {
        assert_eq!(
            phrkit::read::detect_format(None, &bytes).unwrap(),
            Format::MynaExpenseCsv,
            "{name}"
        );
        let ds = read_slice(&bytes, &ReadOptions::strict()).unwrap();
        assert_expense_fixture(&ds);
    }
    let path = format!(
        "{}/../fixtures/myna_portal/expense.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let ds = phrkit::read_path(&path, &ReadOptions::default()).unwrap();
    assert_expense_fixture(&ds);
}

#[test]
fn expense_csv_to_fhir_and_back_keeps_every_record() {
    let ds = read_slice(&fixture("expense.csv"), &ReadOptions::strict()).unwrap();
    let bytes = to_vec(
        &ds.records,
        WriteOptions::new(OutputFormat::BundleCollection),
    )
    .unwrap();
    let back = read_slice(&bytes, &ReadOptions::strict()).unwrap();
    assert_eq!(back.records, ds.records);
}

fn csv_with_details(details: &str) -> Vec<u8> {
    format!("\"わたしの情報\"\n\"医療費通知情報\"\n\n\"項目名\",\"内容\"\n\"医療費情報明細\"\n{details}").into_bytes()
}

const GOOD_DETAIL: &str = "\"診療年月\",\"2025年3月\"\n\"診療区分\",\"医科外来\"\n\"日数\",\"1\"\n\"医療機関等名称\",\"A\"\n\"医療費の総額（円）\",\"1,000\"\n\"保険者の負担額（円）\",\"700\"\n\"その他の公費の負担額（円）\",\"0\"\n\"窓口相当負担額（円）\",\"300\"\n";

fn csv_row_of(e: &phrkit::Error) -> (u64, Option<String>) {
    match e.location() {
        Some(phrkit::Location::CsvRow { row, field }) => (*row, field.clone()),
        other => panic!("expected a CSV row location, got {other:?}"),
    }
}

#[test]
fn expense_csv_bad_values_are_located_and_counted() {
    let bad_date = GOOD_DETAIL.replace("2025年3月", "2025年13月");
    let overflow = GOOD_DETAIL.replace("\"1,000\"", "\"99,999,999,999,999,999,999\"");
    let share = GOOD_DETAIL.replace("\"700\"", "\"7,000\"");
    let negative = GOOD_DETAIL.replace("\"300\"", "\"-300\"");
    let cases = [
        (bad_date, 6, "診療年月", "invalid-value"),
        (overflow, 10, "医療費の総額(円)", "invalid-value"),
        (share, 6, "医療費の総額(円)", "invalid-record"),
        (negative, 13, "窓口相当負担額(円)", "invalid-value"),
    ];
    for (detail, row, field, reason) in cases {
        let input = csv_with_details(&format!("{GOOD_DETAIL}{detail}{GOOD_DETAIL}"));
        let e = read_slice(&input, &ReadOptions::strict()).unwrap_err();
        assert_eq!(
            csv_row_of(&e),
            (row + 8, Some(field.to_owned())),
            "{reason}"
        );
        // The message names the rule, never the value.
        assert!(!e.to_string().contains("13月") && !e.to_string().contains("7,000"));
        let ds = read_slice(&input, &ReadOptions::default()).unwrap();
        assert!(ds.report.is_balanced());
        assert_eq!(ds.report.items_read, 3);
        assert_eq!(ds.report.converted, 2);
        assert_eq!(ds.report.skipped[reason], 1);
    }
}

#[test]
fn expense_csv_keeps_unknown_keys_and_warns_on_sums() {
    let extra = GOOD_DETAIL.replace(
        "\"日数\",\"1\"\n",
        "\"日数\",\"1\"\n\"備考\",\"任意の注記\"\n",
    );
    let mismatch = GOOD_DETAIL.replace("\"300\"", "\"299\"");
    let input = csv_with_details(&format!(
        "{extra}{mismatch}\"未知の見出し\"\n\"鍵\",\"値\"\n\"保険者情報\"\n\"医療費情報明細の範囲\",\"2025年3月\"\n"
    ));
    let ds = read_slice(&input, &ReadOptions::strict()).unwrap();
    assert_eq!(ds.records.len(), 2);
    let Record::Expense(e) = &ds.records[0] else {
        panic!()
    };
    let entry = |k: &str, v: &str| MetadataEntry {
        key: k.into(),
        value: v.into(),
    };
    assert_eq!(
        e.extra,
        vec![entry("備考", "任意の注記"), entry("未知の見出し/鍵", "値")]
    );
    let Record::Expense(e2) = &ds.records[1] else {
        panic!()
    };
    assert_eq!(e2.extra, vec![entry("未知の見出し/鍵", "値")]);
    let codes: Vec<&str> = ds.report.issues.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["amounts-do-not-add-up"]);
    assert_eq!(ds.report.ignored_elements["医療費通知CSV/未知の見出し"], 1);
    assert_eq!(
        ds.report.ignored_elements["医療費通知CSV/保険者情報/医療費情報明細の範囲"],
        1
    );
    // Kept through FHIR too.
    let bytes = to_vec(&ds.records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
    assert_eq!(
        read_slice(&bytes, &ReadOptions::strict()).unwrap().records,
        ds.records
    );
}

#[test]
fn expense_csv_incomplete_records_are_skipped_not_lost() {
    let truncated: String = GOOD_DETAIL
        .lines()
        .take(5)
        .map(|l| format!("{l}\n"))
        .collect();
    let input = csv_with_details(&format!(
        "{truncated}{GOOD_DETAIL}{truncated}\"保険者情報\"\n"
    ));
    let ds = read_slice(&input, &ReadOptions::default()).unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!((ds.report.items_read, ds.report.converted), (3, 1));
    assert_eq!(ds.report.skipped["incomplete-record"], 2);
    let e = read_slice(&input, &ReadOptions::strict()).unwrap_err();
    assert_eq!(csv_row_of(&e), (6, Some("保険者の負担額(円)".to_owned())));
}

#[test]
fn expense_csv_hostile_inputs_fail_cleanly() {
    // Empty and whitespace-only input: nothing to detect.
    assert!(read_slice(b"", &ReadOptions::default()).is_err());
    assert!(read_slice(b"  \n", &ReadOptions::default()).is_err());
    let mut forced = ReadOptions::default();
    forced.format = Some(Format::MynaExpenseCsv);
    // Forced format on a different CSV: refused, not an empty success.
    let e = read_slice(b"\"a\",\"b\"\n\"1\",\"2\"\n", &forced).unwrap_err();
    assert!(e.to_string().contains("not a 医療費通知 CSV"), "{e}");
    // FHIR JSON forced as the CSV: also refused.
    assert!(read_slice(br#"{"resourceType":"Patient"}"#, &forced).is_err());
    // Invalid in both UTF-8 and Shift_JIS.
    let mut bad = csv_with_details(GOOD_DETAIL);
    bad.extend_from_slice(b"\"\x82\xFF\"\n");
    let e = read_slice(&bad, &forced).unwrap_err();
    assert!(
        matches!(e.location(), Some(phrkit::Location::Byte(_))),
        "{e}"
    );
    // A BOM followed by Shift_JIS bytes: the BOM wins, so it is invalid UTF-8 (no silent mojibake).
    let mut confused = b"\xEF\xBB\xBF".to_vec();
    confused.extend(sjis(&fixture("expense.csv")));
    assert!(read_slice(&confused, &forced).is_err());
    // Unbalanced quotes.
    let e = read_slice(&csv_with_details("\"診療年月\",\"2025年3月\n"), &forced);
    assert!(e.is_err() || e.unwrap().report.is_balanced());
    // Over the size limit: a typed limit error before any decoding.
    let mut small = ReadOptions::default();
    small.limits.max_document_bytes = 1024;
    let big = csv_with_details(&GOOD_DETAIL.repeat(20));
    assert_eq!(
        phrkit::read::detect_format(None, &big).unwrap(),
        Format::MynaExpenseCsv
    );
    let e = read_slice(&big, &small).unwrap_err();
    assert!(
        matches!(e.kind(), phrkit::ErrorKind::LimitExceeded { max: 1024, .. }),
        "{e}"
    );
    // A detail heading with no records yields nothing, balanced.
    let ds = read_slice(&csv_with_details(""), &forced).unwrap();
    assert_eq!((ds.records.len(), ds.report.items_read), (0, 0));
}

// ------------------------------------------------------------------ mapping layer

use phrkit::read::mapping::Mapping;

fn mapping(name: &str) -> Mapping {
    Mapping::from_json(&fixture(name)).unwrap()
}

#[test]
fn mapping_reads_the_worked_medication_example() {
    let m = mapping("medication_mapping.json");
    assert_eq!(m.adapter().id, "example.medication-json");
    let ds = m
        .read_slice(&fixture("medication_payload.json"), &ReadOptions::strict())
        .unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!((ds.report.items_read, ds.report.converted), (4, 4));
    assert_eq!(ds.report.by_type["medicationDispense"], 3);
    let Record::Subject(s) = &ds.records[0] else {
        panic!()
    };
    assert_eq!(
        s.insured_id.as_ref().unwrap().to_jp_core(),
        "06139463:あいう:187:05"
    );
    assert_eq!(s.name_kana.as_ref().unwrap().text, "ケンシン ハナコ");
    assert_eq!(s.birth_date, Some(date("1980-04-01")));
    assert_eq!(s.sex, Some(phrkit::record::Sex::Female));
    let meds: Vec<&MedicationDispense> = ds
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Medication(m) => Some(m),
            _ => None,
        })
        .collect();
    let a = meds[0];
    assert_eq!(a.drug.code(), Some((&DrugCodeSystem::Hot9, "103835401")));
    assert_eq!(a.drug.name(), Some("ムコダイン錠２５０ｍｇ"));
    assert_eq!(
        (a.prescribed, a.dispensed),
        (Some(date("2025-03-01")), Some(date("2025-03-02")))
    );
    assert_eq!(a.quantity.as_ref().unwrap().value(), Decimal::new(21, 0));
    assert_eq!(a.quantity.as_ref().unwrap().unit(), "錠");
    assert_eq!(a.dose.as_ref().unwrap().value(), Decimal::ONE);
    assert_eq!(a.usage.as_ref().unwrap().text(), Some("１日３回朝昼夕食後"));
    assert_eq!(a.days_supplied, Some(7));
    assert_eq!(a.pharmacy.as_ref().unwrap().code(), Some("1341234567"));
    assert_eq!(
        a.prescriber.as_ref().unwrap().name(),
        Some("サンプル内科クリニック")
    );
    // The unmapped member is kept, not dropped.
    assert_eq!(
        a.extra,
        vec![MetadataEntry {
            key: "generic".into(),
            value: "後発品".into()
        }]
    );
    let b = meds[1];
    assert_eq!(b.drug.code(), Some((&DrugCodeSystem::Receipt, "620009101")));
    assert_eq!(b.dispensed, Some(date("2025-03-02")));
    assert_eq!(b.quantity.as_ref().unwrap().value().to_string(), "1.5");
    let c = meds[2];
    assert_eq!(
        (c.drug.code(), c.drug.name()),
        (None, Some("サンプル点眼液"))
    );
    assert_eq!(c.dispensed, Some(date("2025-04-10")));
    assert_eq!(c.pharmacy.as_ref().unwrap().code(), None);
    // And on to FHIR and back.
    let bytes = to_vec(&ds.records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
    assert_eq!(
        read_slice(&bytes, &ReadOptions::strict()).unwrap().records,
        ds.records
    );
}

#[test]
fn mapping_reads_an_immunization_csv() {
    let ds = mapping("immunization_mapping.json")
        .read_slice(&fixture("immunization.csv"), &ReadOptions::strict())
        .unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!((ds.report.items_read, ds.report.converted), (2, 2));
    let imms: Vec<&Immunization> = ds
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Immunization(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(imms[0].occurred, CareDate::Date(date("2025-10-01")));
    assert_eq!(imms[0].vaccine.name(), Some("インフルエンザHAワクチン"));
    assert_eq!(imms[0].lot.as_deref(), Some("AB1234"));
    assert_eq!(imms[0].dose_number, Some(1));
    assert_eq!(imms[0].next_due, None);
    assert!(imms[0].extra.is_empty());
    assert_eq!(imms[1].dose_number, Some(1));
    assert_eq!(imms[1].next_due, Some(date("2029-06-15")));
    assert_eq!(
        imms[1].target_disease.as_ref().unwrap().text(),
        Some("肺炎球菌感染症")
    );
    assert_eq!(
        imms[1].performer.as_ref().unwrap().name(),
        Some("サンプル内科クリニック")
    );
    assert_eq!(
        imms[1].extra,
        vec![MetadataEntry {
            key: "備考".into(),
            value: "自費".into()
        }]
    );
    // From a file: same records.
    let path = format!(
        "{}/../fixtures/myna_portal/immunization.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let from_file = mapping("immunization_mapping.json")
        .read_path(&path, &ReadOptions::strict())
        .unwrap();
    assert_eq!(from_file.records, ds.records);
    // Shift_JIS CSV: same records.
    let sj = mapping("immunization_mapping.json")
        .read_slice(&sjis(&fixture("immunization.csv")), &ReadOptions::strict())
        .unwrap();
    assert_eq!(sj.records, ds.records);
}

#[test]
fn mapping_reads_the_indicative_dummy_environment_shape() {
    let ds = mapping("dummy_env_mapping.json")
        .read_slice(&fixture("dummy_env_payload.json"), &ReadOptions::strict())
        .unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!(ds.records.len(), 1);
    let Record::Medication(m) = &ds.records[0] else {
        panic!()
    };
    assert_eq!(m.drug.code(), Some((&DrugCodeSystem::Receipt, "620009101")));
    assert_eq!(m.days_supplied, Some(14));
    assert!(m.extra.is_empty());
    assert_eq!(ds.report.ignored_elements["mapped/medication/備考"], 1);
}

#[test]
fn mapping_bad_items_are_skipped_with_their_json_pointer() {
    let m = mapping("medication_mapping.json");
    let payload = r#"{"medications":[
        {"date":"2025-02-30","name":"A"},
        {"date":"2025-03-01","name":"B","qty":"1e999999","unit":"錠"},
        {"date":"2025-03-01","name":"C","code_type":"XYZ","code":"1"},
        {"date":"2025-03-01","name":"D","code_type":"HOT9","code":"12"},
        {"date":"2025-03-01","name":"E","days":"400"},
        "not an object",
        {"date":"2025-03-01","name":{"nested":true}},
        {"date":"2025-03-01","name":"ok"}
    ]}"#;
    let ds = m
        .read_slice(payload.as_bytes(), &ReadOptions::default())
        .unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!(ds.report.items_read, 8);
    assert_eq!(ds.report.converted, 1);
    assert_eq!(ds.report.skipped["invalid-value"], 5);
    assert_eq!(ds.report.skipped["invalid-record"], 2);
    let locations: Vec<String> = ds
        .report
        .issues
        .iter()
        .map(|i| i.location.to_string())
        .collect();
    assert_eq!(
        locations,
        [
            "#/patient",
            "#/medications/0/date",
            "#/medications/1/qty",
            "#/medications/2/code_type",
            "#/medications/3",
            "#/medications/4",
            "#/medications/5",
            "#/medications/6/name",
        ]
    );
    let e = m
        .read_slice(payload.as_bytes(), &ReadOptions::strict())
        .unwrap_err();
    assert_eq!(e.location().unwrap().to_string(), "#/patient");
    let with_patient = payload.replacen('{', r#"{"patient":{},"#, 1);
    let e = m
        .read_slice(with_patient.as_bytes(), &ReadOptions::strict())
        .unwrap_err();
    assert_eq!(e.location().unwrap().to_string(), "#/medications/0/date");
}

fn config_error(json: &str) -> (String, String) {
    match Mapping::from_json(json.as_bytes()).unwrap_err().into_kind() {
        phrkit::ErrorKind::Config { location, reason } => (location.to_string(), reason),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn mapping_files_are_validated_with_the_key_and_the_reason() {
    let head = r#""phrkit_mapping":1,"adapter":{"id":"t","version":"1"},"input":{"kind":"json"}"#;
    let rule = |r: &str| format!("{{{head},\"records\":[{r}]}}");
    let cases = [
        (
            rule(r#"{"type":"vitals","fields":{}}"#),
            "#/records/0/type",
            "unknown record type",
        ),
        (
            rule(r#"{"type":"medication","fields":{"drug_nam":"x","dispensed":"d"}}"#),
            "#/records/0/fields/drug_nam",
            "drug_nam is not a field of medication",
        ),
        (
            rule(r#"{"type":"medication","fields":{"drug_name":"x"}}"#),
            "#/records/0/fields",
            "medication records need one of: prescribed, dispensed",
        ),
        (
            rule(r#"{"type":"medication","fields":{"drug_code":"c","dispensed":"d"}}"#),
            "#/records/0/fields/drug_code",
            "drug_code needs drug_system",
        ),
        (
            rule(r#"{"type":"medication","fields":{"drug_name":{"key":"a","const":"b"},"dispensed":"d"}}"#),
            "#/records/0/fields/drug_name",
            "exactly one of key, pointer or const",
        ),
        (
            rule(r#"{"type":"expense","fields":{"month":"m"},"extra":1}"#),
            "#/records/0/extra",
            "unknown field `extra`",
        ),
        (
            rule(r#"{"type":"expense","items":"a/b","fields":{"month":"m","category":"c","institution_name":"i","total":"t"}}"#),
            "#/records/0/items",
            "JSON pointer",
        ),
        (
            format!(r#"{{{head},"records":[]}}"#),
            "#/records",
            "at least one record rule",
        ),
        (
            r#"{"phrkit_mapping":2,"adapter":{"id":"t","version":"1"},"input":{"kind":"json"},"records":[]}"#.to_owned(),
            "#/phrkit_mapping",
            "unsupported mapping language version",
        ),
        (
            r#"{"phrkit_mapping":1,"adapter":{"id":"t","version":"1"},"input":{"kind":"xml"},"records":[]}"#.to_owned(),
            "#/input/kind",
            "unknown variant `xml`",
        ),
        ("{".to_owned(), "#", "unexpected end of JSON"),
    ];
    for (json, at, why) in cases {
        let (loc, reason) = config_error(&json);
        assert_eq!(loc, at, "{json}");
        assert!(reason.contains(why), "{reason} should contain {why}");
    }
    let csv_pointer = r#"{"phrkit_mapping":1,"adapter":{"id":"t","version":"1"},"input":{"kind":"csv"},"records":[{"type":"immunization","fields":{"date":{"pointer":"/a"},"vaccine_name":"v"}}]}"#;
    assert_eq!(config_error(csv_pointer).0, "#/records/0/fields/date");
}

#[test]
fn mapping_hostile_payloads() {
    let m = mapping("medication_mapping.json");
    // Empty and non-JSON payloads.
    assert!(m.read_slice(b"", &ReadOptions::default()).is_err());
    assert!(m
        .read_slice(b"\"a\",\"b\"", &ReadOptions::default())
        .is_err());
    // Deeply nested: refused by the scan limit before parsing.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = m
        .read_slice(deep.as_bytes(), &ReadOptions::default())
        .unwrap_err();
    assert!(
        matches!(e.kind(), phrkit::ErrorKind::LimitExceeded { .. }),
        "{e}"
    );
    // Over the document limit.
    let mut small = ReadOptions::default();
    small.limits.max_document_bytes = 100;
    let e = m
        .read_slice(&fixture("medication_payload.json"), &small)
        .unwrap_err();
    assert!(matches!(
        e.kind(),
        phrkit::ErrorKind::LimitExceeded { max: 100, .. }
    ));
    // Missing items paths: a warning each in lenient mode, an error in strict mode.
    let ds = m.read_slice(b"{}", &ReadOptions::default()).unwrap();
    assert_eq!(ds.records.len(), 0);
    assert_eq!(ds.report.issues.len(), 2);
    assert!(m.read_slice(b"{}", &ReadOptions::strict()).is_err());
    // A huge mapping file is refused.
    let big = vec![b' '; 2 * 1024 * 1024];
    assert!(Mapping::from_json(&big).is_err());
}

#[test]
fn docs_show_the_fixture_files_verbatim() {
    let doc = std::fs::read_to_string(format!("{}/../docs/mapping.md", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    for name in ["medication_mapping.json", "medication_payload.json"] {
        let text = String::from_utf8(fixture(name)).unwrap();
        assert!(
            doc.contains(text.trim()),
            "docs/mapping.md must quote {name} verbatim"
        );
    }
}

// ------------------------------------------------------------------ property: records → FHIR → records

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Japanese, ASCII, quotes, backslashes and control characters: whatever JSON must escape.
        "[a-zA-Z0-9あ-んア-ン漢字\"\\\\\u{1}\n ]{1,12}"
            .prop_filter("non-blank", |s| !s.trim().is_empty())
    }

    fn institution() -> impl Strategy<Value = Institution> {
        (
            prop::option::of(prop_oneof!["[0-9]{7}", "[0-9]{10}"]),
            prop::option::of(text()),
        )
            .prop_filter_map("code or name", |(c, n)| {
                Institution::new(c.as_deref(), n.as_deref()).ok()
            })
    }

    fn drug() -> impl Strategy<Value = Drug> {
        let code = prop_oneof![
            "[0-9]{9}".prop_map(|c| (DrugCodeSystem::Hot9, c)),
            "[0-9]{9}".prop_map(|c| (DrugCodeSystem::Receipt, c)),
            "[0-9]{13}".prop_map(|c| (DrugCodeSystem::Hot13, c)),
            "[0-9A-Z]{12}".prop_map(|c| (DrugCodeSystem::Yj, c)),
            "[0-9A-Z]{12}".prop_map(|c| (DrugCodeSystem::GeneralName, c)),
            "[0-9]{4}".prop_map(|c| (DrugCodeSystem::Other("http://example.org/drug".into()), c)),
        ];
        (prop::option::of(code), prop::option::of(text())).prop_filter_map(
            "code or name",
            |(c, n)| {
                Drug::new(
                    c.as_ref().map(|(s, c)| (s.clone(), c.as_str())),
                    n.as_deref(),
                )
                .ok()
            },
        )
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (2000i32..2030, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn extra() -> impl Strategy<Value = Vec<MetadataEntry>> {
        prop::collection::vec(
            (text(), text()).prop_map(|(key, value)| MetadataEntry { key, value }),
            0..3,
        )
    }

    fn expense() -> impl Strategy<Value = MedicalExpense> {
        (
            (2000i32..2030, 1u32..13),
            prop_oneof![
                Just("医科外来".to_owned()),
                Just("調剤".to_owned()),
                Just("歯科入院".to_owned()),
                text()
            ],
            prop::option::of(0u32..32),
            institution(),
            (0u64..u64::MAX / 2, 0u64..1000, 0u64..1000, 0u64..1000),
            prop::option::of(text()),
            prop::option::of(0i64..400),
            extra(),
        )
            .prop_filter_map(
                "valid",
                |((y, m), c, days, inst, (t, a, b, p), ins, notice, extra)| {
                    let month = YearMonth::new(y, m).unwrap();
                    MedicalExpense::new(ExpenseFields {
                        month,
                        category: CareCategory::from_label(&c),
                        days,
                        institution: inst,
                        amounts: ExpenseAmounts {
                            total: t,
                            insurer: a.min(t),
                            public: b.min(t),
                            patient: p.min(t),
                        },
                        insurer_name: ins,
                        notice_date: notice.map(|n| month.first_day() + chrono::Duration::days(n)),
                        extra,
                    })
                    .ok()
                },
            )
    }

    fn dispense() -> impl Strategy<Value = MedicationDispense> {
        (
            drug(),
            (prop::option::of(day()), prop::option::of(0i64..30)),
            prop::option::of((
                (0i64..100_000, 0u32..4),
                text(),
                prop::option::of("[A-Z]{2,4}"),
            )),
            prop::option::of(0u32..367),
            (
                prop::option::of(institution()),
                prop::option::of(institution()),
            ),
            prop::option::of((1u32..9, 1u32..9)),
            extra(),
        )
            .prop_filter_map(
                "valid",
                |(drug, (p, gap), qty, days, (ph, pr), rp, extra)| {
                    let mut f = DispenseFields::new(drug);
                    f.prescribed = p;
                    f.dispensed = match (p, gap) {
                        (Some(p), Some(g)) => Some(p + chrono::Duration::days(g)),
                        (None, _) => Some(date("2025-01-01")),
                        _ => None,
                    };
                    f.quantity = qty.and_then(|((v, s), u, m)| {
                        DrugAmount::new(Decimal::new(v, s), &u, m.as_deref()).ok()
                    });
                    f.days_supplied = days;
                    f.pharmacy = ph;
                    f.prescriber = pr;
                    f.rp = rp.map(|(rp, order)| RpPosition { rp, order });
                    f.extra = extra;
                    MedicationDispense::new(f).ok()
                },
            )
    }

    fn immunization() -> impl Strategy<Value = Immunization> {
        (
            drug(),
            day(),
            prop::option::of("[A-Z0-9]{1,8}"),
            prop::option::of(1u32..10),
            prop::option::of(text()),
            prop::option::of(0i64..4000),
            extra(),
        )
            .prop_filter_map("valid", |(v, d, lot, n, disease, due, extra)| {
                let mut f = ImmunizationFields::new(CareDate::Date(d), v);
                f.lot = lot;
                f.dose_number = n;
                f.target_disease =
                    disease.and_then(|t| CodedText::text_only(&t, "target disease").ok());
                f.next_due = due.map(|x| d + chrono::Duration::days(x));
                f.extra = extra;
                Immunization::new(f).ok()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_care_records_round_trip(
            e in prop::collection::vec(expense(), 0..4),
            d in prop::collection::vec(dispense(), 0..4),
            i in prop::collection::vec(immunization(), 0..4),
            oid in any::<bool>(),
        ) {
            let records: Vec<Record> = e.into_iter().map(Record::from)
                .chain(d.into_iter().map(Record::from))
                .chain(i.into_iter().map(Record::from))
                .collect();
            let mut opts = WriteOptions::new(OutputFormat::BundleCollection);
            if oid { opts.code_systems = CodeSystemStyle::Oid; }
            let bytes = to_vec(&records, opts).unwrap();
            let ds = read_slice(&bytes, &ReadOptions::strict()).unwrap();
            prop_assert_eq!(ds.records, records);
            prop_assert!(ds.report.ignored_elements.is_empty());
        }
    }
}

#[test]
fn jp_core_shaped_resources_decode_and_count_what_is_not_kept() {
    // Handwritten after the JP Core examples described in jp-fhir.md §6/§7 (OID forms, 1.1.2 style).
    let dispense = r#"{"resourceType":"MedicationDispense","meta":{"profile":["http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationDispense"]},
      "identifier":[{"system":"urn:oid:1.2.392.100495.20.3.81","value":"1"},{"system":"urn:oid:1.2.392.100495.20.3.82","value":"1"}],
      "status":"completed",
      "medicationCodeableConcept":{"coding":[{"system":"urn:oid:1.2.392.200119.4.403.1","code":"103835401","display":"ムコダイン錠２５０ｍｇ"}]},
      "subject":{"reference":"Patient/p1"},
      "performer":[{"actor":{"reference":"Practitioner/x"}}],
      "quantity":{"value":9,"unit":"錠","system":"urn:oid:1.2.392.100495.20.2.101","code":"TAB"},
      "daysSupply":{"value":3,"unit":"日","system":"http://unitsofmeasure.org","code":"d"},
      "whenHandedOver":"2025-03-02T10:00:00+09:00",
      "dosageInstruction":[{"timing":{"code":{"coding":[{"system":"urn:oid:1.2.392.200250.2.2.20.20","code":"1013044400000000","display":"内服・経口・１日３回朝昼夕食後"}]}},
        "route":{"coding":[{"system":"urn:oid:1.2.392.100495.20.2.34","code":"PO","display":"口"}]},
        "method":{"coding":[{"system":"urn:oid:1.2.392.200250.2.2.20.40","code":"10","display":"経口"}]},
        "doseAndRate":[{"doseQuantity":{"value":1,"unit":"錠","system":"urn:oid:1.2.392.100495.20.2.101","code":"TAB"}}]}]}"#;
    let immunization = r#"{"resourceType":"Immunization","status":"completed",
      "vaccineCode":{"coding":[{"system":"http://capstandard.jp/iyaku.info/CodeSystem/YJ-code","code":"6311400A1010","display":"肺炎球菌ワクチン"}]},
      "patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2025-10-01T10:30:00+09:00","lotNumber":"L1",
      "doseQuantity":{"value":0.5,"unit":"mL"},
      "performer":[{"function":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0443","code":"OP"}]},"actor":{"reference":"Practitioner/x"}}],
      "protocolApplied":[{"targetDisease":[{"coding":[{"system":"urn:oid:1.2.392.200119.4.101.6","code":"VQH3","display":"肺炎球菌感染症"}]}],"doseNumberPositiveInt":1}]}"#;
    let ndjson = format!(
        "{}\n{}\n",
        dispense.replace('\n', ""),
        immunization.replace('\n', "")
    );
    let ds = read_slice(ndjson.as_bytes(), &ReadOptions::strict()).unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!(ds.records.len(), 2);
    let Record::Medication(d) = &ds.records[0] else {
        panic!()
    };
    assert_eq!(d.drug.code(), Some((&DrugCodeSystem::Hot9, "103835401")));
    assert_eq!(d.drug.name(), Some("ムコダイン錠２５０ｍｇ"));
    assert_eq!(d.rp, Some(RpPosition { rp: 1, order: 1 }));
    assert_eq!(d.quantity.as_ref().unwrap().merit9(), Some("TAB"));
    assert_eq!(d.days_supplied, Some(3));
    assert_eq!(d.dispensed, Some(date("2025-03-02")));
    let usage = d.usage.as_ref().unwrap().coding().unwrap();
    assert_eq!(
        (usage.system.as_str(), usage.code.as_str()),
        (
            "http://jami.jp/CodeSystem/MedicationUsage",
            "1013044400000000"
        )
    );
    assert_eq!(d.route.as_ref().unwrap().coding().unwrap().code, "PO");
    assert_eq!(d.pharmacy, None);
    let Record::Immunization(i) = &ds.records[1] else {
        panic!()
    };
    assert_eq!(i.dose_number, Some(1));
    assert_eq!(
        i.target_disease.as_ref().unwrap().coding().unwrap().system,
        "http://medis.or.jp/CodeSystem/master-disease-exCode"
    );
    let ignored = &ds.report.ignored_elements;
    for path in [
        "MedicationDispense.performer.actor.reference",
        "MedicationDispense.dosageInstruction.method",
        "Immunization.doseQuantity",
        "Immunization.performer.function",
        "Immunization.performer.actor.reference",
    ] {
        assert_eq!(ignored.get(path), Some(&1), "{path}: {ignored:?}");
    }
}

#[test]
fn mapping_reads_simple_measurements() {
    let mapping = r#"{"phrkit_mapping":1,"adapter":{"id":"t.vitals","version":"1"},"input":{"kind":"csv"},
      "records":[{"type":"measurement","fields":{"kind":"種類","time":"日時","value":"値","unit":"単位","systolic":"上","diastolic":"下"}}]}"#;
    let csv = "種類,日時,値,単位,上,下,機器\n\
               bodyMass,2025-03-01T07:00:00+09:00,60.5,kg,,,体重計A\n\
               bloodPressure,2025-03-01T07:05:00+09:00,,,128,82,\n\
               bodyMass,2025-03-02,61.0,kg,,,\n\
               bloodPressure,2025-03-02,,,128,,\n\
               heartRate,2025-03-02,abc,/min,,,\n";
    let m = Mapping::from_json(mapping.as_bytes()).unwrap();
    let ds = m
        .read_slice(csv.as_bytes(), &ReadOptions::default())
        .unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!(
        (ds.report.items_read, ds.report.converted),
        (5, 3),
        "{:?}",
        ds.report.issues
    );
    assert_eq!(ds.report.skipped["invalid-value"], 2);
    let Record::Measurement(w) = &ds.records[0] else {
        panic!()
    };
    assert_eq!(w.kind(), &phrkit::Kind::BodyWeight);
    assert_eq!(
        w.value(),
        &phrkit::record::MeasurementValue::Quantity(phrkit::record::Quantity::new(
            Decimal::new(605, 1),
            phrkit::record::Unit::Kilogram
        ))
    );
    assert_eq!(
        w.metadata(),
        &[MetadataEntry {
            key: "機器".into(),
            value: "体重計A".into()
        }]
    );
    let Record::Measurement(bp) = &ds.records[1] else {
        panic!()
    };
    assert_eq!(bp.kind(), &phrkit::Kind::BloodPressure);
    let Record::Measurement(w2) = &ds.records[2] else {
        panic!()
    };
    assert_eq!(
        w2.effective(),
        &phrkit::record::Effective::Date(date("2025-03-02"))
    );
    let locations: Vec<String> = ds
        .report
        .issues
        .iter()
        .map(|i| i.location.to_string())
        .collect();
    assert_eq!(locations, ["row 5, field 上", "row 6, field 値"]);
}

#[test]
fn conformance_check_passes_the_examples_and_flags_a_misfit_payload() {
    for (m, p) in [
        ("medication_mapping.json", "medication_payload.json"),
        ("immunization_mapping.json", "immunization.csv"),
        ("dummy_env_mapping.json", "dummy_env_payload.json"),
    ] {
        let c = mapping(m).check_conformance(&fixture(p)).unwrap();
        assert!(c.passed(), "{m}: {c:?}");
    }
    let misfit = br#"{"patient":{},"medications":[{"date":"yesterday","name":"x"}]}"#;
    let c = mapping("medication_mapping.json")
        .check_conformance(misfit)
        .unwrap();
    assert!(c.balanced && c.fhir_round_trip);
    assert!(!c.nothing_skipped && !c.passed());
}
