//! Field values of one item → a record: parsing each value with the Japanese-aware parsers and calling
//! the record constructors, with errors located at the item's key or column.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::apply::Item;
use crate::error::{Error, Result};
use crate::fhir::jp_systems;
use crate::read::myna_portal::jp_text::{self, fold};
use crate::record::{
    CareCategory, CareDate, CodedText, Coding, DispenseFields, Drug, DrugAmount, DrugCodeSystem,
    ExpenseAmounts, ExpenseFields, Immunization, ImmunizationFields, Institution, InsuredId,
    MedicalExpense, MedicationDispense, MetadataEntry, PersonName, Record, RpPosition, Sex,
    Subject,
};

const FORMAT: &str = super::apply::FORMAT;

/// The field values of one item, with where each came from.
pub(super) struct Values<'a> {
    pub(super) item: &'a Item<'a>,
    pub(super) values: BTreeMap<&'static str, (String, Option<String>)>,
}

impl Values<'_> {
    fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(v, _)| v.as_str())
    }

    fn err(&self, name: &str, reason: &str) -> Error {
        let field = self.values.get(name).and_then(|(_, f)| f.as_deref());
        Error::format(
            FORMAT,
            self.item.location(field),
            format!("{name}: {reason}"),
        )
    }

    fn parse<T>(
        &self,
        name: &str,
        f: impl Fn(&str) -> Option<T>,
        reason: &str,
    ) -> Result<Option<T>> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => f(v).map(Some).ok_or_else(|| self.err(name, reason)),
        }
    }

    fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>> {
        self.parse(name, jp_text::parse_date, "not a date")
    }

    fn count(&self, name: &str) -> Result<Option<u32>> {
        self.parse(name, jp_text::parse_count, "not a whole number")
    }

    fn yen(&self, name: &str) -> Result<Option<u64>> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => jp_text::parse_yen(v)
                .map(Some)
                .map_err(|e| self.err(name, e.message())),
        }
    }

    fn decimal(&self, name: &str) -> Result<Option<Decimal>> {
        self.parse(
            name,
            |v| Decimal::from_str(&fold(v).replace(',', "")).ok(),
            "not a decimal number",
        )
    }

    fn drug_system(&self, name: &str) -> Option<DrugCodeSystem> {
        self.text(name).map(|v| {
            DrugCodeSystem::from_key(v).unwrap_or_else(|| jp_systems::drug_system_from_uri(v))
        })
    }

    fn institution(&self, code: &str, name: &str) -> Result<Option<Institution>> {
        let (c, n) = (self.text(code), self.text(name));
        if c.is_none() && n.is_none() {
            return Ok(None);
        }
        Institution::new(c, n)
            .map(Some)
            .map_err(|e| Error::invalid_record(self.item.location(self.field_of(code)), e))
    }

    fn field_of(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(|(_, f)| f.as_deref())
    }

    fn coded(
        &self,
        code: &str,
        system: &str,
        text: &str,
        what: &'static str,
    ) -> Result<Option<CodedText>> {
        let coding = self.text(code).map(|c| Coding::new(system, c));
        let t = self.text(text);
        if coding.is_none() && t.is_none() {
            return Ok(None);
        }
        CodedText::new(coding, t, what)
            .map(Some)
            .map_err(|e| Error::invalid_record(self.item.location(self.field_of(code)), e))
    }

    fn amount(&self, value: &str, unit: &str, merit9: &str) -> Result<Option<DrugAmount>> {
        let Some(v) = self.decimal(value)? else {
            return Ok(None);
        };
        DrugAmount::new(v, self.text(unit).unwrap_or(""), self.text(merit9))
            .map(Some)
            .map_err(|e| Error::invalid_record(self.item.location(self.field_of(value)), e))
    }
}

fn invalid(item: &Item<'_>, e: crate::record::RecordError) -> Error {
    Error::invalid_record(item.location(None), e)
}

pub(super) fn medication(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    let code = match (v.text("drug_code"), v.drug_system("drug_system")) {
        (Some(c), Some(s)) => Some((s, c)),
        _ => None,
    };
    let drug = Drug::new(code, v.text("drug_name")).map_err(|e| invalid(v.item, e))?;
    let mut f = DispenseFields::new(drug);
    f.prescribed = v.date("prescribed")?;
    f.dispensed = v.date("dispensed")?;
    f.quantity = v.amount("quantity", "quantity_unit", "quantity_unit_merit9")?;
    f.dose = v.amount("dose", "dose_unit", "dose_unit_merit9")?;
    f.usage = v.coded(
        "usage_code",
        jp_systems::JAMI_USAGE.canonical(),
        "usage_text",
        "usage",
    )?;
    f.route = v.coded(
        "route_code",
        jp_systems::ROUTE.canonical(),
        "route_text",
        "route",
    )?;
    f.days_supplied = v.count("days_supplied")?;
    f.pharmacy = v.institution("pharmacy_code", "pharmacy_name")?;
    f.prescriber = v.institution("prescriber_code", "prescriber_name")?;
    if let (Some(rp), Some(order)) = (v.count("rp_number")?, v.count("order_in_rp")?) {
        f.rp = Some(RpPosition { rp, order });
    }
    f.extra = extra;
    MedicationDispense::new(f)
        .map(Record::Medication)
        .map_err(|e| invalid(v.item, e))
}

pub(super) fn immunization(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    let when = v.parse("date", care_date, "not a date or a date-time with offset")?;
    let when =
        when.ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "date" }))?;
    let code = match (v.text("vaccine_code"), v.drug_system("vaccine_system")) {
        (Some(c), Some(s)) => Some((s, c)),
        _ => None,
    };
    let vaccine = Drug::new(code, v.text("vaccine_name")).map_err(|e| invalid(v.item, e))?;
    let mut f = ImmunizationFields::new(when, vaccine);
    f.lot = v.text("lot").map(str::to_owned);
    f.dose_number = v.count("dose_number")?;
    f.target_disease = v.coded(
        "target_disease_code",
        jp_systems::DISEASE_EXCODE.canonical(),
        "target_disease_name",
        "target disease",
    )?;
    f.performer = v.institution("performer_code", "performer_name")?;
    f.next_due = v.date("next_due")?;
    f.extra = extra;
    Immunization::new(f)
        .map(Record::Immunization)
        .map_err(|e| invalid(v.item, e))
}

pub(super) fn expense(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    let month = v
        .parse("month", jp_text::parse_year_month, "not a year-month")?
        .ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "month" }))?;
    let category = v.text("category").ok_or_else(|| {
        invalid(
            v.item,
            crate::record::RecordError::Empty { field: "category" },
        )
    })?;
    let institution = v
        .institution("institution_code", "institution_name")?
        .ok_or_else(|| {
            invalid(
                v.item,
                crate::record::RecordError::Empty {
                    field: "institution",
                },
            )
        })?;
    let total = v
        .yen("total")?
        .ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "total" }))?;
    let amounts = ExpenseAmounts {
        total,
        insurer: v.yen("insurer_share")?.unwrap_or(0),
        public: v.yen("public_share")?.unwrap_or(0),
        patient: v.yen("patient_share")?.unwrap_or(0),
    };
    MedicalExpense::new(ExpenseFields {
        month,
        category: CareCategory::from_label(category),
        days: v.count("days")?,
        institution,
        amounts,
        insurer_name: v.text("insurer_name").map(str::to_owned),
        notice_date: v.date("notice_date")?,
        extra,
    })
    .map(Record::Expense)
    .map_err(|e| invalid(v.item, e))
}

fn care_date(s: &str) -> Option<CareDate> {
    crate::fhir::from_fhir::timestamp(s)
        .map(CareDate::Instant)
        .or_else(|| jp_text::parse_date(s).map(CareDate::Date))
}

pub(super) fn measurement(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    use crate::record::{Effective, Kind, Measurement, Unit};
    // A PGHD code (`bodyMass`) or phrkit's kind name as reports show it.
    let by_code = |c: &str| {
        Kind::from_pghd(c).or_else(|| {
            crate::record::KIND_TABLE
                .iter()
                .find(|r| r.kind.name() == c)
                .map(|r| r.kind.clone())
        })
    };
    let kind = v.parse("kind", by_code, "not a PGHD code or kind name phrkit knows")?;
    let kind =
        kind.ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "kind" }))?;
    let when = |name: &str| v.parse(name, care_date, "not a date or a date-time with offset");
    let effective = match (when("time")?, when("end")?) {
        (Some(CareDate::Date(d)), None) => Effective::Date(d),
        (Some(CareDate::Instant(t)), None) => Effective::Instant(t),
        (Some(CareDate::Instant(s)), Some(CareDate::Instant(e))) => {
            Effective::from_bounds(s, e).map_err(|e| invalid(v.item, e))?
        }
        (Some(_), Some(_)) => return Err(v.err("end", "a period needs date-times with offsets")),
        (None, _) => {
            return Err(invalid(
                v.item,
                crate::record::RecordError::Empty { field: "time" },
            ))
        }
    };
    let m = match (
        v.decimal("value")?,
        v.decimal("systolic")?,
        v.decimal("diastolic")?,
    ) {
        (_, Some(s), Some(d)) if kind == Kind::BloodPressure => {
            Measurement::blood_pressure(effective, s, d)
        }
        (_, _, _) if kind == Kind::BloodPressure => {
            return Err(v.err("systolic", "blood pressure needs systolic and diastolic"))
        }
        (Some(value), _, _) => {
            let unit = v.parse(
                "unit",
                |u| Unit::from_ucum(u).or_else(|| Unit::from_source_spelling(u)),
                "not a unit phrkit knows (UCUM or a known spelling)",
            )?;
            let unit = unit.ok_or_else(|| v.err("unit", "missing unit"))?;
            Measurement::quantity(kind, effective, value, unit)
        }
        _ => return Err(v.err("value", "missing value")),
    }
    .map_err(|e| invalid(v.item, e))?;
    Ok(Record::Measurement(if extra.is_empty() {
        m
    } else {
        m.with_metadata(extra)
    }))
}

fn person_name(s: &str) -> PersonName {
    let s = s.replace('\u{3000}', " ");
    match s.split_once(' ') {
        Some((f, g)) if !f.is_empty() && !g.trim().is_empty() => {
            PersonName::from_parts(f, g.trim())
        }
        _ => PersonName::whole(&s),
    }
}

pub(super) fn subject(v: &Values<'_>) -> Result<Record> {
    let mut s = Subject::default();
    if let (Some(insurer), Some(number)) = (v.text("insurer_number"), v.text("insured_number")) {
        let id = InsuredId::new(
            insurer,
            v.text("insured_symbol").unwrap_or(""),
            number,
            v.text("insured_branch"),
        )
        .map_err(|e| Error::invalid_record(v.item.location(v.field_of("insurer_number")), e))?;
        s.insured_id = Some(id);
    }
    s.name_kanji = v.text("name").map(person_name);
    s.name_kana = v
        .text("name_kana")
        .map(|k| person_name(&jp_text::kana_to_full_width(k)));
    s.birth_date = v.date("birth_date")?;
    s.sex = v.parse(
        "sex",
        Sex::from_code,
        "not male, female, other or unknown (use map)",
    )?;
    Ok(Record::from(s))
}
