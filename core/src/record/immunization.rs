//! Immunizations (予防接種): one administered vaccine dose (JP Core `JP_Immunization`, `jp-fhir.md` §7).
//!
//! Records from 母子健康手帳, municipal registers or PMH often carry only a vaccine name; the vaccine is
//! therefore a [`Drug`] (code and/or name), like a medication.

use std::ops::Deref;

use chrono::NaiveDate;

use super::care::{CareDate, CodedText, Institution};
use super::medication::Drug;
use super::{MetadataEntry, RecordError};

/// Everything known about one vaccination; validated by [`Immunization::new`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImmunizationFields {
    /// When the dose was given.
    pub occurred: CareDate,
    /// The vaccine (HOT9/HOT13/YJ code and/or name).
    pub vaccine: Drug,
    /// Lot number.
    pub lot: Option<String>,
    /// Dose number in the series (1回目, 2回目 …), from 1.
    pub dose_number: Option<u32>,
    /// Target disease (MEDIS 病名交換用コード and/or text).
    pub target_disease: Option<CodedText>,
    /// Who gave it (institution).
    pub performer: Option<Institution>,
    /// 次回接種予定日 (next due date).
    pub next_due: Option<NaiveDate>,
    /// Source fields phrkit does not model, kept verbatim.
    pub extra: Vec<MetadataEntry>,
}

impl ImmunizationFields {
    /// Fields with the two required parts; set the rest, then build with [`Immunization::new`].
    pub fn new(occurred: CareDate, vaccine: Drug) -> ImmunizationFields {
        ImmunizationFields {
            occurred,
            vaccine,
            lot: None,
            dose_number: None,
            target_disease: None,
            performer: None,
            next_due: None,
            extra: Vec::new(),
        }
    }
}

/// One vaccination (FHIR `Immunization`). Fields through `Deref` to [`ImmunizationFields`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Immunization(Box<ImmunizationFields>);
// Boxed: a `Record` stays small for the millions of lifelog measurements that share the enum.

impl Immunization {
    /// Validates: dose number from 1 and at most 99 (no series is longer), next due date not before the
    /// dose, lot non-empty when present.
    pub fn new(mut f: ImmunizationFields) -> Result<Immunization, RecordError> {
        if f.dose_number.is_some_and(|n| n == 0 || n > 99) {
            return Err(RecordError::OutOfRange {
                field: "dose number",
            });
        }
        if f.next_due.is_some_and(|n| n < f.occurred.date()) {
            return Err(RecordError::EndBeforeStart);
        }
        f.lot = f.lot.map(|l| l.trim().to_owned());
        if f.lot.as_deref() == Some("") {
            return Err(RecordError::Empty {
                field: "lot number",
            });
        }
        Ok(Immunization(Box::new(f)))
    }

    /// The fields, for modification and re-validation.
    pub fn into_fields(self) -> ImmunizationFields {
        *self.0
    }
}

impl Deref for Immunization {
    type Target = ImmunizationFields;
    fn deref(&self) -> &ImmunizationFields {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immunization_rules() {
        let date = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        let vaccine = Drug::new(None, Some("インフルエンザHAワクチン")).unwrap();
        let mut f = ImmunizationFields::new(CareDate::Date(date), vaccine);
        f.dose_number = Some(0);
        assert!(Immunization::new(f.clone()).is_err());
        f.dose_number = Some(2);
        f.next_due = date.pred_opt();
        assert_eq!(
            Immunization::new(f.clone()),
            Err(RecordError::EndBeforeStart)
        );
        f.next_due = NaiveDate::from_ymd_opt(2026, 10, 1);
        f.lot = Some(" ".into());
        assert!(Immunization::new(f.clone()).is_err());
        f.lot = Some(" AB12 ".into());
        assert_eq!(Immunization::new(f).unwrap().lot.as_deref(), Some("AB12"));
    }
}
