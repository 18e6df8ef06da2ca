//! 特定健診 codec: reader (single document and archive), writer, round trips, FHIR, hostile inputs.
//! Fixtures: `fixtures/kenshin/` (handwritten, synthetic); archives are built here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use phrkit::record::{
    CheckupReport, CheckupValue, GroupRelation, GuidanceLevel, MetabolicSyndrome, RangeFlag,
    ResultStatus, Sex,
};
use phrkit::{read_slice, Format, ReadOptions, Record};
use rust_decimal::Decimal;

const SAMPLE: &[u8] = include_bytes!("../../fixtures/kenshin/hc08_sample.xml");

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn read_one(bytes: &[u8]) -> CheckupReport {
    let ds = read_slice(bytes, &ReadOptions::strict()).unwrap();
    assert!(ds.report.is_balanced());
    assert_eq!(ds.records.len(), 1);
    match ds.records.into_iter().next().unwrap() {
        Record::Checkup(c) => *c,
        other => panic!("expected a checkup, got {}", other.type_name()),
    }
}

#[test]
fn detects_and_reads_the_handwritten_document() {
    assert_eq!(
        phrkit::read::detect_format(Some("h.xml"), SAMPLE).unwrap(),
        Format::KenshinCdaXml
    );
    let ds = read_slice(SAMPLE, &ReadOptions::strict()).unwrap();
    assert_eq!(ds.report.items_read, 1);
    assert_eq!(ds.report.converted, 1);
    assert_eq!(ds.report.by_type.get("checkup"), Some(&1));
    let r = read_one(SAMPLE);
    // Header.
    assert_eq!(r.report_category, "10");
    assert_eq!(r.program, "010");
    assert_eq!(r.exam_date, NaiveDate::from_ymd_opt(2026, 4, 15).unwrap());
    assert_eq!(r.created, NaiveDate::from_ymd_opt(2026, 7, 30));
    // Rule R3: space-padded insurer number normalised to 8 digits.
    assert_eq!(r.insurer(), Some("00263129"));
    let id = r.subject.insured_id.as_ref().unwrap();
    assert_eq!(id.to_jp_core(), "00263129:ｱｲ:1234:01");
    assert_eq!(
        r.subject.name_kana.as_ref().unwrap().text,
        "ケンシン　タロウ"
    );
    assert_eq!(r.subject.sex, Some(Sex::Male));
    assert_eq!(r.subject.birth_date, NaiveDate::from_ymd_opt(1970, 4, 1));
    let addr = r.subject.address.as_ref().unwrap();
    assert_eq!(addr.postal_code.as_deref(), Some("100-0000"));
    assert_eq!(addr.text.as_deref(), Some("東京都千代田区霞が関９－９－９"));
    let author = r.author.as_ref().unwrap();
    assert_eq!(author.number.as_deref(), Some("0123456789"));
    assert_eq!(author.telecom.as_deref(), Some("tel:03-0000-0000"));
    assert_eq!(r.custodian.as_ref().unwrap().number, None);
    let t = r.ticket.as_ref().unwrap();
    assert_eq!(t.kind, "1");
    assert_eq!(t.number.as_deref(), Some("12345678901"));
    assert_eq!(t.insurer.as_deref(), Some("00263129"));
    assert_eq!(t.expiry, NaiveDate::from_ymd_opt(2027, 3, 31));
    // Results.
    assert_eq!(r.results.len(), 18);
    let h = r.result("9N001000000000001").unwrap();
    assert_eq!(
        h.value,
        Some(CheckupValue::Quantity {
            value: dec("170.5"),
            unit: Some("cm".into())
        })
    );
    // Rule R1: missing codeSystem defaults to the item table; the scale is kept (65.0).
    let w = r.result("9N006000000000001").unwrap();
    assert_eq!(w.code_system, "1.2.392.200119.6.1005");
    assert!(
        matches!(&w.value, Some(CheckupValue::Quantity { value, .. }) if value.to_string() == "65.0")
    );
    let bp = r.result("9A751000000000001").unwrap();
    assert_eq!(bp.method.as_deref(), Some("9A75100000"));
    let tg = r.result("3F015000002327101").unwrap();
    assert_eq!(tg.interpretation, vec!["N".to_owned()]);
    let rr = tg.reference_range.as_ref().unwrap();
    assert_eq!((rr.low, rr.high), (Some(dec("30")), Some(dec("149"))));
    assert_eq!(rr.unit.as_deref(), Some("mg/dL"));
    assert_eq!(
        r.result("3D046000001906202").unwrap().status,
        ResultStatus::NotPerformed
    );
    let hdl = r.result("3F070000002327101").unwrap();
    assert_eq!(
        hdl.status,
        ResultStatus::NotMeasurable {
            null_flavor: "NI".into()
        }
    );
    assert_eq!(hdl.null_value_type.as_deref(), Some("PQ"));
    assert_eq!(hdl.method.as_deref(), Some("3F07010000"));
    let glu = r.result("3D010000001926101").unwrap();
    assert_eq!(glu.range_flag, Some(RangeFlag::AtOrAbove));
    let urine = r.result("1A020000000191111").unwrap();
    assert!(
        matches!(&urine.value, Some(CheckupValue::Ordinal(a)) if a.code == "2" && a.system == "1.2.392.200119.6.2102")
    );
    assert_eq!(r.metabolic_syndrome(), Some(MetabolicSyndrome::Borderline));
    assert_eq!(r.guidance_level(), Some(GuidanceLevel::Motivational));
    let q: Vec<&str> = r.questionnaire().map(|x| x.code.as_str()).collect();
    assert_eq!(q, vec!["9N736000000000011"]);
    let dr = r.result("9N511000000000049").unwrap();
    assert_eq!(
        dr.value,
        Some(CheckupValue::Text("特記すべき所見なし".into()))
    );
    assert_eq!(dr.author_name.as_deref(), Some("健診　花子"));
    // Groups.
    let ecg = r.result("9A110160700000011").unwrap().group.unwrap();
    let ecg_reason = r.result("9A110161000000049").unwrap().group.unwrap();
    assert_eq!(ecg.group, ecg_reason.group);
    assert_eq!(ecg.relation, GroupRelation::Comp);
    assert_eq!(ecg_reason.relation, GroupRelation::Rson);
    let xray_date = r.result("9N211161100000049").unwrap();
    assert_eq!(
        xray_date.value,
        Some(CheckupValue::Date(
            NaiveDate::from_ymd_opt(2026, 4, 15).unwrap()
        ))
    );
    assert_eq!(xray_date.group.unwrap().group, ecg.group + 1);
    let hr = r.result("9N121000000000001").unwrap();
    assert_eq!(hr.section, "01990");
    assert!(hr.group.is_none());
}
