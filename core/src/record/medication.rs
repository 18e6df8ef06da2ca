//! Medication dispenses (薬剤情報: 処方・調剤): one drug line of a prescription or dispensing event.
//!
//! The shape follows JP Core `JP_MedicationDispense` (`jp-fhir.md` §6) minus what PHR sources lack: claims
//! and マイナポータル 薬剤情報 carry a drug code, quantity, days, usage and the pharmacy, but usually no RP
//! numbering, so `rp` is optional and the FHIR writer synthesises it (flagged as synthetic).

use std::ops::Deref;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::care::{CodedText, Institution};
use super::{MetadataEntry, RecordError};

/// The code system of a drug code. Which one a マイナポータル payload uses is not public
/// (`mynaportal.md` §2), so every national system is accepted and unknown ones are kept by URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DrugCodeSystem {
    /// YJ code (個別医薬品コード), 12 characters.
    Yj,
    /// MEDIS HOT9, 9 digits.
    Hot9,
    /// MEDIS HOT13, 13 digits.
    Hot13,
    /// MEDIS HOT7, 7 digits.
    Hot7,
    /// レセプト電算処理システム 医薬品コード, 9 digits (claims).
    Receipt,
    /// 一般名処方マスタ code (generic-name order code).
    GeneralName,
    /// Any other system, by URI as received.
    Other(String),
}

impl DrugCodeSystem {
    /// A short stable key (`yj`, `hot9`, …) used by the mapping language; `Other` gives its URI.
    pub fn key(&self) -> &str {
        match self {
            DrugCodeSystem::Yj => "yj",
            DrugCodeSystem::Hot9 => "hot9",
            DrugCodeSystem::Hot13 => "hot13",
            DrugCodeSystem::Hot7 => "hot7",
            DrugCodeSystem::Receipt => "receipt",
            DrugCodeSystem::GeneralName => "general-name",
            DrugCodeSystem::Other(uri) => uri,
        }
    }

    /// Inverse of [`DrugCodeSystem::key`] for the national systems.
    pub fn from_key(key: &str) -> Option<DrugCodeSystem> {
        Some(match key {
            "yj" => DrugCodeSystem::Yj,
            "hot9" => DrugCodeSystem::Hot9,
            "hot13" => DrugCodeSystem::Hot13,
            "hot7" => DrugCodeSystem::Hot7,
            "receipt" => DrugCodeSystem::Receipt,
            "general-name" => DrugCodeSystem::GeneralName,
            _ => return None,
        })
    }

    /// Checks the code's shape where the system fixes it (lengths from `jp-fhir.md` §3 / `mynaportal.md` §2).
    fn check(&self, code: &str) -> Result<(), RecordError> {
        let digits = |n: usize| code.len() == n && code.bytes().all(|b| b.is_ascii_digit());
        let ok = match self {
            DrugCodeSystem::Yj => {
                code.len() == 12 && code.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            DrugCodeSystem::Hot9 | DrugCodeSystem::Receipt => digits(9),
            DrugCodeSystem::Hot13 => digits(13),
            DrugCodeSystem::Hot7 => digits(7),
            DrugCodeSystem::GeneralName | DrugCodeSystem::Other(_) => {
                return super::care::check_code(self.key(), code, "drug code")
            }
        };
        if ok {
            Ok(())
        } else {
            Err(RecordError::MalformedIdentifier { what: "drug code" })
        }
    }
}

/// A drug: its code (with system) and/or its name. Sources that carry only a name keep the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Drug {
    code: Option<(DrugCodeSystem, String)>,
    name: Option<String>,
}

impl Drug {
    /// A drug from an optional code and name; at least one, and the code must fit its system.
    pub fn new(
        code: Option<(DrugCodeSystem, &str)>,
        name: Option<&str>,
    ) -> Result<Drug, RecordError> {
        let code = match code {
            Some((system, c)) => {
                let c = super::fold_width(c.trim());
                system.check(&c)?;
                Some((system, c))
            }
            None => None,
        };
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if code.is_none() && name.is_none() {
            return Err(RecordError::Empty {
                field: "drug code or name",
            });
        }
        Ok(Drug { code, name })
    }

    /// The code and its system.
    pub fn code(&self) -> Option<(&DrugCodeSystem, &str)> {
        self.code.as_ref().map(|(s, c)| (s, c.as_str()))
    }

    /// The name as written.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// An amount of a drug with its unit as the source writes it (`錠`, `mL`, `g`), and the MERIT-9 unit code
/// when the source gives one. No unit table is guessed: MERIT-9 codes are kept only when supplied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DrugAmount {
    value: Decimal,
    unit: String,
    merit9: Option<String>,
}

impl DrugAmount {
    /// A non-negative amount with a non-empty unit.
    pub fn new(
        value: Decimal,
        unit: &str,
        merit9: Option<&str>,
    ) -> Result<DrugAmount, RecordError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(RecordError::Negative {
                kind: "drug amount".into(),
            });
        }
        let unit = unit.trim();
        if unit.is_empty() {
            return Err(RecordError::Empty { field: "drug unit" });
        }
        let merit9 = merit9
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        Ok(DrugAmount {
            value,
            unit: unit.to_owned(),
            merit9,
        })
    }

    /// The amount, with its written precision.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// The unit as written.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The MERIT-9 unit code, if the source gave one.
    pub fn merit9(&self) -> Option<&str> {
        self.merit9.as_deref()
    }
}

/// Position in a prescription: RP number and order within the RP (JP Core `rpNumber` / `orderInRp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RpPosition {
    /// RP番号, from 1.
    pub rp: u32,
    /// RP内順番, from 1.
    pub order: u32,
}

/// Everything known about one dispensed or prescribed drug line; validated by [`MedicationDispense::new`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DispenseFields {
    /// Date of prescribing (処方日), if known.
    pub prescribed: Option<NaiveDate>,
    /// Date of dispensing / handing over (調剤日), if known.
    pub dispensed: Option<NaiveDate>,
    /// The drug.
    pub drug: Drug,
    /// Total quantity dispensed.
    pub quantity: Option<DrugAmount>,
    /// Amount per dose (1回量).
    pub dose: Option<DrugAmount>,
    /// Usage / timing (用法): JAMI 16-digit usage code and/or text (`１日３回毎食後`).
    pub usage: Option<CodedText>,
    /// Days supplied (調剤数量 for 内服, 日分).
    pub days_supplied: Option<u32>,
    /// Route (投与経路), HL7 table 0162 code and/or text.
    pub route: Option<CodedText>,
    /// The dispensing pharmacy.
    pub pharmacy: Option<Institution>,
    /// The prescribing institution.
    pub prescriber: Option<Institution>,
    /// RP position when the source numbers its prescription lines; `None` otherwise.
    pub rp: Option<RpPosition>,
    /// Source fields phrkit does not model, kept verbatim ("nothing lost").
    pub extra: Vec<MetadataEntry>,
}

impl DispenseFields {
    /// Fields with only a drug; set the rest, then build with [`MedicationDispense::new`].
    pub fn new(drug: Drug) -> DispenseFields {
        DispenseFields {
            prescribed: None,
            dispensed: None,
            drug,
            quantity: None,
            dose: None,
            usage: None,
            days_supplied: None,
            route: None,
            pharmacy: None,
            prescriber: None,
            rp: None,
            extra: Vec::new(),
        }
    }
}

/// One drug line of a prescription or dispensing (FHIR `MedicationDispense`). Read-only after
/// construction; fields are reached through `Deref` to [`DispenseFields`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MedicationDispense(Box<DispenseFields>);
// Boxed: a `Record` stays small for the millions of lifelog measurements that share the enum.

impl MedicationDispense {
    /// Validates: a prescribing or dispensing date is present, dispensing is not before prescribing,
    /// days supplied at most 366 (a year's supply; beyond is a data error), RP numbers from 1.
    pub fn new(f: DispenseFields) -> Result<MedicationDispense, RecordError> {
        match (f.prescribed, f.dispensed) {
            (None, None) => {
                return Err(RecordError::Empty {
                    field: "prescribing or dispensing date",
                })
            }
            (Some(p), Some(d)) if d < p => return Err(RecordError::EndBeforeStart),
            _ => {}
        }
        if f.days_supplied.is_some_and(|d| d > 366) {
            return Err(RecordError::OutOfRange {
                field: "days supplied",
            });
        }
        if f.rp.is_some_and(|r| r.rp == 0 || r.order == 0) {
            return Err(RecordError::OutOfRange { field: "RP number" });
        }
        Ok(MedicationDispense(Box::new(f)))
    }

    /// The fields, for modification and re-validation.
    pub fn into_fields(self) -> DispenseFields {
        *self.0
    }

    /// The date used for ordering and synthetic RP grouping: dispensing, else prescribing.
    pub fn event_date(&self) -> NaiveDate {
        self.0
            .dispensed
            .or(self.0.prescribed)
            .unwrap_or(NaiveDate::MIN)
    }
}

impl Deref for MedicationDispense {
    type Target = DispenseFields;
    fn deref(&self) -> &DispenseFields {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn drug_codes_are_checked_per_system() {
        assert!(Drug::new(Some((DrugCodeSystem::Hot9, "103835401")), None).is_ok());
        assert!(Drug::new(Some((DrugCodeSystem::Yj, "6311400A1010")), None).is_ok());
        assert!(Drug::new(Some((DrugCodeSystem::Receipt, "６２０００９１０１")), None).is_ok());
        assert!(Drug::new(Some((DrugCodeSystem::Hot9, "10383540")), None).is_err());
        assert!(Drug::new(Some((DrugCodeSystem::Yj, "6311400A101")), None).is_err());
        assert!(Drug::new(None, Some(" ")).is_err());
    }

    #[test]
    fn dispense_needs_a_date_in_order() {
        let drug = Drug::new(None, Some("ムコダイン錠２５０ｍｇ")).unwrap();
        let f = DispenseFields::new(drug.clone());
        assert!(MedicationDispense::new(f.clone()).is_err());
        let mut g = f.clone();
        g.prescribed = Some(d("2025-03-02"));
        g.dispensed = Some(d("2025-03-01"));
        assert_eq!(
            MedicationDispense::new(g.clone()),
            Err(RecordError::EndBeforeStart)
        );
        g.dispensed = Some(d("2025-03-02"));
        g.days_supplied = Some(367);
        assert!(MedicationDispense::new(g.clone()).is_err());
        g.days_supplied = Some(7);
        let m = MedicationDispense::new(g).unwrap();
        assert_eq!(m.days_supplied, Some(7));
        assert!(DrugAmount::new(Decimal::new(-1, 0), "錠", None).is_err());
    }
}
