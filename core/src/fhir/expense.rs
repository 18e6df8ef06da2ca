//! [`MedicalExpense`] record ↔ FHIR `ExplanationOfBenefit`.
//!
//! Why ExplanationOfBenefit and not Claim: a 医療費通知 is the insurer's account *to the insured person* of
//! care that was billed and adjudicated — who paid how much. That is exactly EOB's definition ("claim
//! details; adjudication details from the processing of a Claim … provided to patients"). `Claim` is the
//! provider's request for payment: it cannot carry the insurer's and the public funds' shares, which are
//! the point of the notice. No Japanese IG defines this mapping (`mynaportal.md` §3.3, unverified), so the
//! codes for the care category and the public-subsidy share are phrkit's own.
//!
//! Written elements (every record field is kept):
//! - `extension`: source-metadata (unknown CSV keys);
//! - `status` active, `use` claim, `outcome` complete;
//! - `type`: HL7 claim-type (professional / institutional / oral / pharmacy) from 診療区分 (text only for
//!   unknown categories); `subType`: phrkit care-category code + the Japanese label as text (verbatim);
//! - `patient`; `billablePeriod` = first..last day of 診療年月;
//! - `created` = 作成日, or `_created` with data-absent-reason `unknown` (R4 requires it);
//! - `insurer` = {display: 保険者の名称} or data-absent; `provider` = the institution (logical reference);
//! - `insurance` = one focal entry with a display-only coverage (required by R4; the notice has no policy);
//! - `supportingInfo` days (UCUM `d`, phrkit category `days`);
//! - `total`: `submitted` = 総額, `benefit` = 保険者負担, phrkit `public-subsidy` = 公費, `copay` = 窓口負担,
//!   in JPY.

use rust_decimal::prelude::ToPrimitive;

use super::care_common::*;
use super::care_model as cm;
use super::codes::{EXT_SOURCE_METADATA, UCUM};
use super::jp_systems::{
    ADJUDICATION, CARE_CATEGORY, CLAIM_TYPE, EXPENSE_INFO, EXT_DATA_ABSENT, PHRKIT_ADJUDICATION,
};
use super::json_out::JsonOut;
use super::to_fhir::{ResourceId, ResourceOptions};
use super::ResourcePlace;
use crate::error::Error;
use crate::record::{CareCategory, ExpenseAmounts, ExpenseFields, MedicalExpense, YearMonth};
use crate::report::Report;

/// The four totals: (system, code, display).
const TOTALS: [(&str, &str, &str); 4] = [
    (ADJUDICATION, "submitted", "医療費の総額"),
    (ADJUDICATION, "benefit", "保険者の負担額"),
    (
        PHRKIT_ADJUDICATION,
        "public-subsidy",
        "その他の公費の負担額",
    ),
    (ADJUDICATION, "copay", "窓口相当負担額"),
];

fn claim_type(c: &CareCategory) -> Option<&'static str> {
    Some(match c {
        CareCategory::MedicalOutpatient | CareCategory::VisitingNursing => "professional",
        CareCategory::MedicalInpatient => "institutional",
        CareCategory::DentalOutpatient | CareCategory::DentalInpatient => "oral",
        CareCategory::Pharmacy => "pharmacy",
        _ => return None,
    })
}

fn data_absent(j: &mut JsonOut<'_>) {
    j.key_array("extension");
    j.begin_object();
    j.field_str("url", EXT_DATA_ABSENT);
    j.field_str("valueCode", "unknown");
    j.end_object();
    j.end_array();
}

fn coding_cc(j: &mut JsonOut<'_>, key: &str, system: &str, code: &str, display: Option<&str>) {
    j.key_object(key);
    j.key_array("coding");
    j.begin_object();
    j.field_str("system", system);
    j.field_str("code", code);
    if let Some(d) = display {
        j.field_str("display", d);
    }
    j.end_object();
    j.end_array();
    j.end_object();
}

impl CareEncoder {
    /// Appends one ExplanationOfBenefit for `e` to `out` and returns its id.
    pub fn explanation_of_benefit(
        &mut self,
        out: &mut Vec<u8>,
        e: &MedicalExpense,
        patient: &str,
        opts: &ResourceOptions,
    ) -> ResourceId {
        self.clear();
        {
            let mut j = JsonOut::new(&mut self.head);
            j.begin_object();
            if !e.extra.is_empty() {
                j.key_array("extension");
                extras(&mut j, &e.extra);
                j.end_array();
            }
            j.end_object();
        }
        write_body(&mut self.body, e, patient, opts);
        assemble(
            out,
            "ExplanationOfBenefit",
            &self.head,
            &self.body,
            &[],
            opts,
        )
    }
}

fn write_body(buf: &mut Vec<u8>, e: &MedicalExpense, patient: &str, opts: &ResourceOptions) {
    let mut j = JsonOut::new(buf);
    j.begin_object();
    j.field_str("status", "active");
    match claim_type(&e.category) {
        Some(t) => coding_cc(&mut j, "type", CLAIM_TYPE, t, None),
        None => {
            j.key_object("type");
            j.field_str("text", e.category.label());
            j.end_object();
        }
    }
    j.key_object("subType");
    if let Some(code) = e.category.code() {
        j.key_array("coding");
        j.begin_object();
        j.field_str("system", CARE_CATEGORY);
        j.field_str("code", code);
        j.field_str("display", e.category.label());
        j.end_object();
        j.end_array();
    }
    j.field_str("text", e.category.label());
    j.end_object();
    j.field_str("use", "claim");
    j.key_object("patient");
    j.field_str("reference", patient);
    j.end_object();
    j.key_object("billablePeriod");
    j.field_str("start", &date_str(e.month.first_day()));
    j.field_str("end", &date_str(e.month.last_day()));
    j.end_object();
    match e.notice_date {
        Some(d) => j.field_str("created", &date_str(d)),
        None => {
            j.key_object("_created");
            data_absent(&mut j);
            j.end_object();
        }
    }
    j.key_object("insurer");
    match &e.insurer_name {
        Some(n) => j.field_str("display", n),
        None => data_absent(&mut j),
    }
    j.end_object();
    j.key_object("provider");
    institution_members(&mut j, &e.institution, opts);
    j.end_object();
    j.field_str("outcome", "complete");
    j.key_array("insurance");
    j.begin_object();
    j.field_raw("focal", "true");
    j.key_object("coverage");
    j.field_str("display", "医療保険");
    j.end_object();
    j.end_object();
    j.end_array();
    if let Some(days) = e.days {
        j.key_array("supportingInfo");
        j.begin_object();
        j.field_raw("sequence", "1");
        coding_cc(&mut j, "category", EXPENSE_INFO, "days", Some("日数"));
        j.key_object("valueQuantity");
        j.field_raw("value", &days.to_string());
        j.field_str("unit", "日");
        j.field_str("system", UCUM);
        j.field_str("code", "d");
        j.end_object();
        j.end_object();
        j.end_array();
    }
    let a = e.amounts;
    j.key_array("total");
    for ((system, code, display), amount) in
        TOTALS.iter().zip([a.total, a.insurer, a.public, a.patient])
    {
        j.begin_object();
        coding_cc(&mut j, "category", system, code, Some(display));
        j.key_object("amount");
        j.field_raw("value", &amount.to_string());
        j.field_str("currency", "JPY");
        j.end_object();
        j.end_object();
    }
    j.end_array();
    j.end_object();
}

// ---------------------------------------------------------------- reading

fn category(r: &cm::ExplanationOfBenefit<'_>) -> Option<CareCategory> {
    let sub = r.sub_type.as_ref();
    let coded = sub.and_then(|s| {
        s.coding
            .iter()
            .find(|c| c.system.as_deref() == Some(CARE_CATEGORY))
            .and_then(|c| c.code.as_deref())
            .and_then(CareCategory::from_code)
    });
    coded.or_else(|| {
        sub.and_then(|s| s.text.as_deref())
            .or_else(|| r.type_.as_ref().and_then(|t| t.text.as_deref()))
            .map(CareCategory::from_label)
    })
}

fn month(r: &cm::ExplanationOfBenefit<'_>, place: &ResourcePlace) -> Result<YearMonth, Error> {
    let start = r
        .billable_period
        .as_ref()
        .and_then(|p| p.start.as_deref())
        .ok_or_else(|| {
            invalid(
                place,
                "/billablePeriod/start",
                "billablePeriod.start is required",
            )
        })?;
    YearMonth::parse_iso(start.get(..7).unwrap_or(""))
        .ok_or_else(|| invalid(place, "/billablePeriod/start", "expected a date YYYY-MM-DD"))
}

fn yen(t: &cm::Total<'_>, place: &ResourcePlace, pointer: &str) -> Result<u64, Error> {
    let money = t.amount.as_ref();
    if money
        .and_then(|m| m.currency.as_deref())
        .is_some_and(|c| c != "JPY")
    {
        return Err(invalid(place, pointer, "only JPY amounts are modelled"));
    }
    money
        .and_then(|m| m.value)
        .and_then(decimal)
        .filter(|d| d.fract().is_zero())
        .and_then(|d| d.to_u64())
        .ok_or_else(|| {
            invalid(
                place,
                pointer,
                "amount must be a non-negative whole number of yen",
            )
        })
}

fn amounts(
    r: &cm::ExplanationOfBenefit<'_>,
    report: &mut Report,
    place: &ResourcePlace,
) -> Result<ExpenseAmounts, Error> {
    let mut found: [Option<u64>; 4] = [None; 4];
    for (i, t) in r.total.iter().enumerate() {
        let slot = t.category.as_ref().and_then(|cc| {
            cc.coding.iter().find_map(|c| {
                TOTALS.iter().position(|(s, k, _)| {
                    c.system.as_deref() == Some(s) && c.code.as_deref() == Some(k)
                })
            })
        });
        match slot {
            Some(k) => found[k] = Some(yen(t, place, &format!("/total/{i}/amount"))?),
            None => report.ignore_element("ExplanationOfBenefit.total"),
        }
    }
    let [Some(total), insurer, public, patient] = found else {
        return Err(invalid(
            place,
            "/total",
            "the submitted (total cost) amount is required",
        ));
    };
    Ok(ExpenseAmounts {
        total,
        insurer: insurer.unwrap_or(0),
        public: public.unwrap_or(0),
        patient: patient.unwrap_or(0),
    })
}

fn insurer_name(r: &cm::ExplanationOfBenefit<'_>, report: &mut Report) -> Option<String> {
    let insurer = r.insurer.as_ref()?;
    if insurer.reference.is_some() || insurer.identifier.is_some() {
        // Only the insurer's name is modelled (the notice names it; it carries no insurer number).
        report.ignore_element("ExplanationOfBenefit.insurer");
    }
    insurer.display.as_deref().map(str::to_owned)
}

/// Decodes an ExplanationOfBenefit into a record.
pub(crate) fn decode(
    r: &cm::ExplanationOfBenefit<'_>,
    report: &mut Report,
    place: &ResourcePlace,
) -> Result<MedicalExpense, Error> {
    let category = category(r).ok_or_else(|| {
        invalid(
            place,
            "/subType",
            "care category (subType or type text) is required",
        )
    })?;
    let provider = r.provider.as_ref();
    let el = "ExplanationOfBenefit.provider";
    let institution = match provider {
        Some(p) => institution(p, el, report, place, "/provider")?,
        None => None,
    }
    .ok_or_else(|| {
        invalid(
            place,
            "/provider",
            "provider needs an identifier or display",
        )
    })?;
    let mut extra = Vec::new();
    for (i, e) in r.extension.iter().enumerate() {
        match e.url.as_deref() {
            Some(EXT_SOURCE_METADATA) => {
                extra.push(extra_entry(e, place, &format!("/extension/{i}"))?)
            }
            _ => report.ignore_element("ExplanationOfBenefit.extension"),
        }
    }
    let mut days = None;
    for (i, s) in r.supporting_info.iter().enumerate() {
        let is_days = s.category.as_ref().is_some_and(|cc| {
            cc.coding.iter().any(|c| {
                c.system.as_deref() == Some(EXPENSE_INFO) && c.code.as_deref() == Some("days")
            })
        });
        if !is_days {
            report.ignore_element("ExplanationOfBenefit.supportingInfo");
            continue;
        }
        let v = s
            .value_quantity
            .as_ref()
            .and_then(|q| q.value)
            .and_then(decimal);
        days = Some(
            v.filter(|d| d.fract().is_zero())
                .and_then(|d| d.to_u32())
                .ok_or_else(|| {
                    invalid(
                        place,
                        &format!("/supportingInfo/{i}/valueQuantity"),
                        "days must be a whole number",
                    )
                })?,
        );
    }
    let notice_date = match r.created.as_deref() {
        Some(c) => Some(parse_date(c.get(..10).unwrap_or(c), place, "/created")?),
        None => None,
    };
    let f = ExpenseFields {
        month: month(r, place)?,
        category,
        days,
        institution,
        amounts: amounts(r, report, place)?,
        insurer_name: insurer_name(r, report),
        notice_date,
        extra,
    };
    for i in &r.identifier {
        if !is_content_id(i) {
            report.ignore_element("ExplanationOfBenefit.identifier");
        }
    }
    MedicalExpense::new(f).map_err(|e| record_err(place, "", e))
}
