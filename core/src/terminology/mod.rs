//! Code tables: the 4th-period 特定健診 item codes, method codes, answer lists and battery groups.
//!
//! The item, method and answer tables are generated from `shared/spec/kenshin-cda.md` by
//! `gen_kenshin_items.py` into `kenshin_items.rs` (committed, so builds never need the specification).
//!
//! Lookup is a binary search over arrays sorted by code: at most 9 comparisons of 17-byte strings for 322
//! items, no hashing, no extra dependency (a perfect-hash crate would buy nothing measurable here), and the
//! table stays a plain array that tests and the FHIR writer can iterate. A test checks the sort order.

mod kenshin_items;

pub use kenshin_items::{ANSWER_LISTS, ITEMS, ITEM_COUNT, METHODS};

use crate::record::ValueType;

/// Broad grouping of items, used to pick FHIR categories and eCheckup sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemCategory {
    /// Measurements, laboratory tests, imaging and the doctor's examination.
    Examination,
    /// Judgements, doctors' diagnoses and opinions, guidance-related items.
    Judgement,
    /// 標準的な質問票 (服薬 … 特定保健指導の受診歴; eCheckup section 01012).
    Questionnaire,
    /// 生活機能問診 1–25 (the long-term-care checklist).
    FunctionalQuestionnaire,
    /// 後期高齢者の質問票 (items ending in （後期）).
    LateElderlyQuestionnaire,
}

/// One row of the 4th-period item table (Appendix A of the specification).
#[derive(Debug)]
pub struct ItemInfo {
    /// Row number in the official order (1–322).
    pub row: u16,
    /// 17-character item code.
    pub code: &'static str,
    /// 名称 as in the official table (mixed-width brackets kept; never match on it, rule R8).
    pub name: &'static str,
    /// Value data type.
    pub value_type: ValueType,
    /// Display unit (`mg/dl`, `mmHg`), if the item has a unit.
    pub unit_display: Option<&'static str>,
    /// XML unit written in `@unit` (`mg/dL`, `mm[Hg]`).
    pub unit_xml: Option<&'static str>,
    /// UCUM code for FHIR (rule R23); `1` for unit-less quantities.
    pub ucum: Option<&'static str>,
    /// Bare OID of the answer list for coded items.
    pub result_oid: Option<&'static str>,
    /// Method codes tied to this item code.
    pub methods: &'static [&'static str],
    /// Broad grouping.
    pub category: ItemCategory,
    /// 数値形式 (`NNN.N`). Not in the specification (it must be loaded from the official Excel), so
    /// `None` for every row today; [`clamp_to_format`] applies it when present.
    pub numeric_format: Option<&'static str>,
}

/// What a code is, as far as the 4th-period table knows.
#[derive(Clone, Copy, Debug)]
pub enum ItemClass {
    /// A current (4th-period) item.
    Current(&'static ItemInfo),
    /// HbA1c in JDS units (`3D045…`, before FY2013): a different scale from NGSP, never stored as NGSP
    /// silently (rule R5). The exact legacy codes are not in the specification, so the prefix decides.
    LegacyHba1cJds,
    /// Not in the table: kept raw with a warning, never remapped (rule R20).
    Unknown,
}

/// The table row of a 4th-period item code.
pub fn item(code: &str) -> Option<&'static ItemInfo> {
    ITEMS
        .binary_search_by(|i| i.code.cmp(code))
        .ok()
        .map(|i| &ITEMS[i])
}

/// Classifies an item code.
pub fn classify(code: &str) -> ItemClass {
    match item(code) {
        Some(i) => ItemClass::Current(i),
        None if code.starts_with("3D045") => ItemClass::LegacyHba1cJds,
        None => ItemClass::Unknown,
    }
}

/// NGSP (%) from a JDS HbA1c (%): `1.02 × JDS + 0.25` (rule R5), rounded to one decimal as HbA1c is
/// reported. A derived value: callers must flag it as converted.
pub fn hba1c_jds_to_ngsp(jds: rust_decimal::Decimal) -> rust_decimal::Decimal {
    use rust_decimal::Decimal;
    (jds * Decimal::new(102, 2) + Decimal::new(25, 2))
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The meaning of a method code (付属2 検査方法 column).
pub fn method(code: &str) -> Option<&'static str> {
    // Rule R13: JAMI's placeholder 3A01510001 is in the list itself.
    METHODS
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| METHODS[i].1)
}

/// The answer list of a bare result OID.
pub fn answers(oid: &str) -> Option<&'static [(&'static str, &'static str)]> {
    ANSWER_LISTS
        .binary_search_by(|(o, _)| (*o).cmp(oid))
        .ok()
        .map(|i| ANSWER_LISTS[i].1)
}

/// The current display of an answer code (regenerated from the table, rule R9).
pub fn answer_display(oid: &str, code: &str) -> Option<&'static str> {
    answers(oid)?
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
}

/// A battery group (一連検査グループ, spec §6.2): its identifier item, its eCheckup group code, members.
#[derive(Debug)]
pub struct BatteryGroup {
    /// The group identifier (an item code used only to gather members; not written to XML).
    pub id: &'static str,
    /// The eCheckup FHIR group code (`jp-fhir.md` §8.6).
    pub fhir_code: &'static str,
    /// Name.
    pub name: &'static str,
    /// Component members.
    pub comp: &'static [&'static str],
    /// Reason members.
    pub rson: &'static [&'static str],
}

/// Battery groups of 付属2 (spec §6.2, single-source transcription audited equal).
pub static BATTERY_GROUPS: &[BatteryGroup] = &[
    BatteryGroup {
        id: "3C015161002399949",
        fhir_code: "3C015",
        name: "血清クレアチニン",
        comp: &[
            "3C015000002327101",
            "3C015000002399901",
            "8A065000002391901",
        ],
        rson: &["3C015161602399911", "3C015161002399949"],
    },
    BatteryGroup {
        id: "2A020161001930149",
        fhir_code: "2A020",
        name: "貧血検査",
        comp: &[
            "2A040000001930102",
            "2A030000001930101",
            "2A020000001930101",
            "2A060000001930101",
            "2A070000001930101",
            "2A080000001930101",
            "2A010000001930101",
            "2A050000001930101",
        ],
        rson: &["2A020161001930149"],
    },
    BatteryGroup {
        id: "9A110161000000049",
        fhir_code: "9A110",
        name: "心電図",
        comp: &["9A110160700000011", "9A110160800000049"],
        rson: &["9A110161600000011", "9A110161000000049"],
    },
    BatteryGroup {
        id: "9N211161100000049",
        fhir_code: "9N206",
        name: "胸部X線 直接撮影",
        comp: &[
            "9N201000000000011",
            "9N206160700000011",
            "9N206160800000049",
            "9N211161100000049",
            "9N211161200000049",
        ],
        rson: &[],
    },
    BatteryGroup {
        id: "9N226161100000049",
        fhir_code: "9N221",
        name: "胸部X線 間接撮影",
        comp: &[
            "9N216000000000011",
            "9N221160700000011",
            "9N221160800000049",
            "9N226161100000049",
            "9N226161200000049",
        ],
        rson: &[],
    },
    BatteryGroup {
        id: "9N251161100000049",
        fhir_code: "9N251",
        name: "胸部CT",
        comp: &[
            "9N251000000000011",
            "9N251160700000011",
            "9N251160800000049",
            "9N251161100000049",
            "9N251161200000049",
        ],
        rson: &[],
    },
    BatteryGroup {
        id: "9N256161100000049",
        fhir_code: "9N256",
        name: "上部消化管X線 直接",
        comp: &[
            "9N256160700000011",
            "9N256160800000049",
            "9N256161100000049",
            "9N256161200000049",
        ],
        rson: &[],
    },
    BatteryGroup {
        id: "9N261161100000049",
        fhir_code: "9N256",
        name: "上部消化管X線 間接",
        comp: &[
            "9N261160700000011",
            "9N261160800000049",
            "9N261161100000049",
            "9N261161200000049",
        ],
        rson: &[],
    },
    BatteryGroup {
        id: "9E100161000000049",
        fhir_code: "9E100",
        name: "眼底検査",
        comp: &[
            "9E100166000000011",
            "9E100166100000011",
            "9E100166200000011",
            "9E100166300000011",
            "9E100166600000011",
            "9E100166500000011",
            "9E100160900000049",
        ],
        rson: &["9E100161600000011", "9E100161000000049"],
    },
    BatteryGroup {
        id: "9N556000000000011",
        fhir_code: "9N556",
        name: "生活機能評価",
        comp: &[
            "9N556000000000011",
            "9N561000000000011",
            "9N566000000000049",
        ],
        rson: &[],
    },
];

/// The battery group an item code belongs to (first match; an item is in at most one group).
pub fn battery_of(code: &str) -> Option<&'static BatteryGroup> {
    BATTERY_GROUPS
        .iter()
        .find(|g| g.comp.contains(&code) || g.rson.contains(&code))
}

/// Judgement / opinion items and the item code of the doctor's name that belongs to them (spec §5.4; the
/// individual pairs are inferred from the code table — unverified). The official form carries the name as
/// the judgement's `author`; legacy files carry the name code as an observation of its own (rule R16).
pub static DOCTOR_NAME_PAIRS: &[(&[&str], &str)] = &[
    (&["9N511000000000049"], "9N516000000000049"),
    (&["9N521000000000049"], "9N526000000000049"),
    (&["9N531000000000049"], "9N536000000000049"),
    (&["9N541000000000049"], "9N546000000000049"),
    (&["9N571000000000049"], "9N576000000000049"),
    (
        &["9N581161300000011", "9N581161400000049"],
        "9N586000000000049",
    ),
    (
        &["9N591161300000011", "9N591161400000049"],
        "9N596000000000049",
    ),
    (
        &["9N601161300000011", "9N601161400000049"],
        "9N606000000000049",
    ),
    (
        &["9N611161300000011", "9N611161400000049"],
        "9N616000000000049",
    ),
    (
        &["9N621161300000011", "9N621161400000049"],
        "9N626000000000049",
    ),
    (
        &["9N631161300000011", "9N631161400000049"],
        "9N636000000000049",
    ),
    (&["9N641000000000049"], "9N646000000000049"),
];

/// Clamps `value` to the range of a 数値形式 such as `NNN.N` (3 integer digits, 1 decimal): returns the
/// clamped value and whether it was clamped (`Some(true)` above the upper limit, `Some(false)` below the
/// lower limit, the standard's `H` / `L`). Negative values clamp to 0 because the formats have no sign
/// (unverified: the formats seen are all unsigned).
pub fn clamp_to_format(
    value: rust_decimal::Decimal,
    format: &str,
) -> (rust_decimal::Decimal, Option<bool>) {
    use rust_decimal::Decimal;
    let (int_digits, frac_digits) = match format.split_once('.') {
        Some((i, f)) => (i.len() as u32, f.len() as u32),
        None => (format.len() as u32, 0),
    };
    let max = Decimal::from(10u64.saturating_pow(int_digits)) - Decimal::new(1, frac_digits);
    if value > max {
        (max, Some(true))
    } else if value < Decimal::ZERO {
        (Decimal::new(0, frac_digits), Some(false))
    } else {
        (value, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_specifications_322_items_sorted_and_unique() {
        assert_eq!(ITEMS.len(), 322);
        assert_eq!(ITEM_COUNT, 322);
        assert!(ITEMS.windows(2).all(|w| w[0].code < w[1].code));
        let mut rows: Vec<u16> = ITEMS.iter().map(|i| i.row).collect();
        rows.sort_unstable();
        assert_eq!(rows, (1..=322).collect::<Vec<u16>>());
        assert!(METHODS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ANSWER_LISTS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(METHODS.len(), 85);
    }

    #[test]
    fn type_counts_match_the_specification() {
        let count = |t| ITEMS.iter().filter(|i| i.value_type == t).count();
        assert_eq!(count(ValueType::Pq), 103);
        assert_eq!(count(ValueType::Cd), 121);
        assert_eq!(count(ValueType::Co), 21);
        assert_eq!(count(ValueType::St), 72);
        assert_eq!(count(ValueType::Date), 5);
    }

    #[test]
    fn lookup_finds_rows_with_units_methods_and_answers() {
        let tg = item("3F015000002327101").unwrap();
        assert_eq!(tg.name, "空腹時中性脂肪(トリグリセリド)");
        assert_eq!(tg.unit_display, Some("mg/dl"));
        assert_eq!(tg.unit_xml, Some("mg/dL"));
        assert_eq!(tg.methods, &["3F01510000"]);
        let hr = item("9N121000000000001").unwrap();
        assert_eq!(hr.unit_xml, Some("{h`b}/min"));
        assert_eq!(hr.ucum, Some("/min"));
        assert_eq!(
            item("8A065000002391901").unwrap().ucum,
            Some("mL/min/{1.73_m2}")
        );
        let smoke = item("9N736000000000011").unwrap();
        assert_eq!(smoke.result_oid, Some("1.2.392.200119.6.24060"));
        assert_eq!(smoke.category, ItemCategory::Questionnaire);
        assert_eq!(
            answer_display("1.2.392.200119.6.24060", "3"),
            Some("いいえ")
        );
        assert_eq!(answer_display("1.2.392.200119.6.2131", "11"), Some("10号"));
        assert_eq!(
            answer_display("1.2.392.200119.6.18120", "0"),
            Some("詳細健診以外で実施")
        );
        assert_eq!(method("3A01510001").map(|m| m.contains("TIA")), Some(true));
        assert!(
            item("9N016000000000001").is_none(),
            "R20 wrong code must not resolve"
        );
    }

    #[test]
    fn every_coded_item_has_its_answer_list_and_every_method_exists() {
        for i in ITEMS.iter() {
            if let Some(o) = i.result_oid {
                assert!(answers(o).is_some(), "{}", i.code);
            }
            for m in i.methods {
                assert!(method(m).is_some(), "{m}");
            }
        }
    }

    #[test]
    fn legacy_hba1c_is_recognised_and_converted() {
        assert!(matches!(
            classify("3D045000001906202"),
            ItemClass::LegacyHba1cJds
        ));
        assert!(matches!(classify("XXXXXXXXXXXXXXXXX"), ItemClass::Unknown));
        use rust_decimal::Decimal;
        assert_eq!(hba1c_jds_to_ngsp(Decimal::new(50, 1)), Decimal::new(54, 1));
        assert_eq!(hba1c_jds_to_ngsp(Decimal::new(62, 1)), Decimal::new(66, 1));
    }

    #[test]
    fn clamps_to_numeric_format() {
        use rust_decimal::Decimal;
        assert_eq!(
            clamp_to_format(Decimal::new(12345, 1), "NNN.N"),
            (Decimal::new(9999, 1), Some(true))
        );
        assert_eq!(
            clamp_to_format(Decimal::new(-1, 0), "NNN"),
            (Decimal::ZERO, Some(false))
        );
        assert_eq!(
            clamp_to_format(Decimal::new(985, 1), "NNN.N"),
            (Decimal::new(985, 1), None)
        );
    }
}
