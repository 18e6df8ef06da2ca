//! Medical-expense notices (医療費通知情報): what one month of care at one institution cost and who paid.
//!
//! One record per detail row of the マイナポータル 医療費通知 (`mynaportal.md` §3.3): year-month, care
//! category, days, institution, and four amounts in whole yen. Money is `u64` yen: the notice has no
//! fractions and no negative amounts (a refund would be a different document).

use std::ops::Deref;

use chrono::NaiveDate;

use super::care::{Institution, YearMonth};
use super::{MetadataEntry, RecordError};

/// The care category (診療区分). Values seen in public material are 医科外来, 歯科外来 and 調剤; the others
/// are likely but unverified (`mynaportal.md` §3.3), and unknown values are kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CareCategory {
    /// 医科外来 (medical, outpatient).
    MedicalOutpatient,
    /// 医科入院 / 入院 (medical, inpatient) — unverified spelling.
    MedicalInpatient,
    /// 歯科外来 (dental, outpatient).
    DentalOutpatient,
    /// 歯科入院 (dental, inpatient) — unverified.
    DentalInpatient,
    /// 調剤 (pharmacy dispensing).
    Pharmacy,
    /// 訪問看護 (home-visit nursing) — unverified.
    VisitingNursing,
    /// Anything else, verbatim.
    Other(String),
}

const CATEGORY_TABLE: &[(CareCategory, &str, &str)] = &[
    (
        CareCategory::MedicalOutpatient,
        "医科外来",
        "medical-outpatient",
    ),
    (
        CareCategory::MedicalInpatient,
        "医科入院",
        "medical-inpatient",
    ),
    (
        CareCategory::DentalOutpatient,
        "歯科外来",
        "dental-outpatient",
    ),
    (
        CareCategory::DentalInpatient,
        "歯科入院",
        "dental-inpatient",
    ),
    (CareCategory::Pharmacy, "調剤", "pharmacy"),
    (
        CareCategory::VisitingNursing,
        "訪問看護",
        "visiting-nursing",
    ),
];

impl CareCategory {
    /// From the Japanese label (`医科外来`); `入院` alone is read as medical inpatient (unverified label).
    pub fn from_label(label: &str) -> CareCategory {
        let label = label.trim();
        if label == "入院" {
            return CareCategory::MedicalInpatient;
        }
        CATEGORY_TABLE
            .iter()
            .find(|(_, l, _)| *l == label)
            .map(|(c, _, _)| c.clone())
            .unwrap_or_else(|| CareCategory::Other(label.to_owned()))
    }

    /// The Japanese label (`Other` gives its text).
    pub fn label(&self) -> &str {
        match self {
            CareCategory::Other(s) => s,
            c => CATEGORY_TABLE
                .iter()
                .find(|(k, _, _)| k == c)
                .map(|(_, l, _)| *l)
                .unwrap_or(""),
        }
    }

    /// phrkit's stable code (`medical-outpatient` …); `None` for `Other`.
    pub fn code(&self) -> Option<&'static str> {
        CATEGORY_TABLE
            .iter()
            .find(|(k, _, _)| k == self)
            .map(|(_, _, c)| *c)
    }

    /// Inverse of [`CareCategory::code`].
    pub fn from_code(code: &str) -> Option<CareCategory> {
        CATEGORY_TABLE
            .iter()
            .find(|(_, _, c)| *c == code)
            .map(|(k, _, _)| k.clone())
    }
}

/// The four amounts of a notice row, in yen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ExpenseAmounts {
    /// 医療費の総額 (total cost, 10割).
    pub total: u64,
    /// 保険者の負担額 (insurer share).
    pub insurer: u64,
    /// その他の公費の負担額 (public subsidy share).
    pub public: u64,
    /// 窓口相当負担額 (patient share at the counter).
    pub patient: u64,
}

impl ExpenseAmounts {
    /// Whether total = insurer + public + patient. Rounding and 高額療養費 may legitimately break the
    /// equality (unverified), so readers warn rather than reject.
    pub fn adds_up(&self) -> bool {
        self.insurer
            .checked_add(self.public)
            .and_then(|s| s.checked_add(self.patient))
            == Some(self.total)
    }
}

/// Everything on one notice row; validated by [`MedicalExpense::new`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExpenseFields {
    /// 診療年月.
    pub month: YearMonth,
    /// 診療区分.
    pub category: CareCategory,
    /// 日数 (days of care in the month).
    pub days: Option<u32>,
    /// 医療機関等名称 (and code when a source has one).
    pub institution: Institution,
    /// The amounts.
    pub amounts: ExpenseAmounts,
    /// 保険者の名称 (insurer that issued the notice), if known.
    pub insurer_name: Option<String>,
    /// 作成日 (date the notice was created), if known.
    pub notice_date: Option<NaiveDate>,
    /// Source fields phrkit does not model, kept verbatim.
    pub extra: Vec<MetadataEntry>,
}

/// One medical-expense notice row (FHIR `ExplanationOfBenefit`). Fields through `Deref`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MedicalExpense(Box<ExpenseFields>);
// Boxed: a `Record` stays small for the millions of lifelog measurements that share the enum.

impl MedicalExpense {
    /// Validates: each share at most the total (a share of a cost cannot exceed the cost — a design rule,
    /// not stated by the spec), days at most 31, notice not before the care month.
    pub fn new(f: ExpenseFields) -> Result<MedicalExpense, RecordError> {
        let a = f.amounts;
        for (share, what) in [
            (a.insurer, "insurer share"),
            (a.public, "public subsidy share"),
            (a.patient, "patient share"),
        ] {
            if share > a.total {
                return Err(RecordError::ShareExceedsTotal { share: what });
            }
        }
        if f.days.is_some_and(|d| d > 31) {
            return Err(RecordError::OutOfRange { field: "days" });
        }
        if f.notice_date.is_some_and(|n| n < f.month.first_day()) {
            return Err(RecordError::EndBeforeStart);
        }
        Ok(MedicalExpense(Box::new(f)))
    }

    /// The fields, for modification and re-validation.
    pub fn into_fields(self) -> ExpenseFields {
        *self.0
    }
}

impl Deref for MedicalExpense {
    type Target = ExpenseFields;
    fn deref(&self) -> &ExpenseFields {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(total: u64, insurer: u64, public: u64, patient: u64) -> ExpenseFields {
        ExpenseFields {
            month: YearMonth::new(2025, 3).unwrap(),
            category: CareCategory::from_label("医科外来"),
            days: Some(1),
            institution: Institution::new(None, Some("サンプル内科クリニック")).unwrap(),
            amounts: ExpenseAmounts {
                total,
                insurer,
                public,
                patient,
            },
            insurer_name: None,
            notice_date: None,
            extra: Vec::new(),
        }
    }

    #[test]
    fn shares_never_exceed_total() {
        let e = MedicalExpense::new(fields(4120, 2884, 0, 1236)).unwrap();
        assert!(e.amounts.adds_up());
        assert_eq!(e.category, CareCategory::MedicalOutpatient);
        assert_eq!(
            MedicalExpense::new(fields(100, 101, 0, 0)),
            Err(RecordError::ShareExceedsTotal {
                share: "insurer share"
            })
        );
        assert!(!ExpenseAmounts {
            total: u64::MAX,
            insurer: u64::MAX,
            public: 1,
            patient: 0
        }
        .adds_up());
    }

    #[test]
    fn categories_round_trip_and_keep_unknown_labels() {
        for (c, l, code) in CATEGORY_TABLE {
            assert_eq!(&CareCategory::from_label(l), c);
            assert_eq!(c.label(), *l);
            assert_eq!(CareCategory::from_code(code).as_ref(), Some(c));
        }
        let o = CareCategory::from_label("柔道整復");
        assert_eq!(o, CareCategory::Other("柔道整復".into()));
        assert_eq!(o.label(), "柔道整復");
        assert_eq!(o.code(), None);
    }
}
