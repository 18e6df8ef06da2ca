//! [`Immunization`] record ↔ FHIR `Immunization` (JP Core `JP_Immunization`, `jp-fhir.md` §7).
//!
//! Written elements: `meta.profile`; extensions `JP_Immunization_DueDateOfNextDose` and source-metadata;
//! content identifier; `status` completed; `vaccineCode` (coding and/or text — a name-only vaccine keeps its
//! name in `text`); `patient`; `occurrenceDateTime`; `lotNumber`; `performer` (function `AP`, logical
//! reference to the institution); `protocolApplied` (target disease, dose number; an unknown dose number is
//! `_doseNumberString` with data-absent-reason `unknown`, because R4 makes `doseNumber[x]` required).

use super::care_common::*;
use super::care_model as cm;
use super::codes::{EXT_SOURCE_METADATA, JP_SD};
use super::jp_systems::{EXT_DATA_ABSENT, EXT_NEXT_DOSE, V2_0443};
use super::json_out::JsonOut;
use super::medication::{drug_concept, read_drug};
use super::to_fhir::{ResourceId, ResourceOptions};
use super::ResourcePlace;
use crate::error::Error;
use crate::record::{format_timestamp, CareDate, Immunization, ImmunizationFields};
use crate::report::Report;

impl CareEncoder {
    /// Appends one Immunization for `i` to `out` and returns its id.
    pub fn immunization(
        &mut self,
        out: &mut Vec<u8>,
        i: &Immunization,
        patient: &str,
        opts: &ResourceOptions,
    ) -> ResourceId {
        self.clear();
        {
            let mut j = JsonOut::new(&mut self.head);
            j.begin_object();
            profile(&mut j, &format!("{JP_SD}JP_Immunization"));
            if i.next_due.is_some() || !i.extra.is_empty() {
                j.key_array("extension");
                if let Some(n) = i.next_due {
                    j.begin_object();
                    j.field_str("url", EXT_NEXT_DOSE);
                    j.field_str("valueDate", &date_str(n));
                    j.end_object();
                }
                extras(&mut j, &i.extra);
                j.end_array();
            }
            j.end_object();
        }
        write_body(&mut self.body, i, patient, opts);
        assemble(out, "Immunization", &self.head, &self.body, &[], opts)
    }
}

fn write_body(buf: &mut Vec<u8>, i: &Immunization, patient: &str, opts: &ResourceOptions) {
    let mut j = JsonOut::new(buf);
    j.begin_object();
    j.field_str("status", "completed");
    drug_concept(&mut j, "vaccineCode", &i.vaccine, opts);
    j.key_object("patient");
    j.field_str("reference", patient);
    j.end_object();
    let when = match &i.occurred {
        CareDate::Date(d) => date_str(*d),
        CareDate::Instant(t) => format_timestamp(t),
    };
    j.field_str("occurrenceDateTime", &when);
    if let Some(l) = &i.lot {
        j.field_str("lotNumber", l);
    }
    if let Some(p) = &i.performer {
        j.key_array("performer");
        j.begin_object();
        j.key_object("function");
        j.key_array("coding");
        j.begin_object();
        j.field_str("system", V2_0443);
        j.field_str("code", "AP");
        j.end_object();
        j.end_array();
        j.end_object();
        j.key_object("actor");
        institution_members(&mut j, p, opts);
        j.end_object();
        j.end_object();
        j.end_array();
    }
    if i.dose_number.is_some() || i.target_disease.is_some() {
        j.key_array("protocolApplied");
        j.begin_object();
        if let Some(t) = &i.target_disease {
            j.key_array("targetDisease");
            j.begin_object();
            coded_members(&mut j, t, opts);
            j.end_object();
            j.end_array();
        }
        match i.dose_number {
            Some(n) => j.field_raw("doseNumberPositiveInt", &n.to_string()),
            None => {
                j.key_object("_doseNumberString");
                j.key_array("extension");
                j.begin_object();
                j.field_str("url", EXT_DATA_ABSENT);
                j.field_str("valueCode", "unknown");
                j.end_object();
                j.end_array();
                j.end_object();
            }
        }
        j.end_object();
        j.end_array();
    }
    j.end_object();
}

fn occurrence(s: &str, place: &ResourcePlace) -> Result<CareDate, Error> {
    if s.len() == 10 {
        return parse_date(s, place, "/occurrenceDateTime").map(CareDate::Date);
    }
    super::from_fhir::timestamp(s)
        .map(CareDate::Instant)
        .ok_or_else(|| {
            invalid(
                place,
                "/occurrenceDateTime",
                "dateTime needs a full date, or date, time and offset",
            )
        })
}

/// Decodes an Immunization resource into a record.
pub(crate) fn decode(
    r: &cm::Immunization<'_>,
    report: &mut Report,
    place: &ResourcePlace,
) -> Result<Immunization, Error> {
    let cc = r.vaccine_code.as_ref().ok_or_else(|| {
        invalid(
            place,
            "/vaccineCode",
            "missing required element vaccineCode",
        )
    })?;
    let vaccine = read_drug(
        cc,
        "Immunization.vaccineCode.coding",
        report,
        place,
        "/vaccineCode",
    )?;
    let when = r.occurrence_date_time.as_deref().ok_or_else(|| {
        invalid(
            place,
            "/occurrenceDateTime",
            "occurrence[x] must be a dateTime",
        )
    })?;
    let mut f = ImmunizationFields::new(occurrence(when, place)?, vaccine);
    f.lot = r.lot_number.as_deref().map(str::to_owned);
    for (i, e) in r.extension.iter().enumerate() {
        let p = format!("/extension/{i}");
        match e.url.as_deref() {
            Some(EXT_NEXT_DOSE) => {
                let v = e.value_date.as_deref().unwrap_or("");
                f.next_due = Some(parse_date(v, place, &format!("{p}/valueDate"))?);
            }
            Some(EXT_SOURCE_METADATA) => f.extra.push(extra_entry(e, place, &p)?),
            _ => report.ignore_element("Immunization.extension"),
        }
    }
    for (i, p) in r.performer.iter().enumerate() {
        let is_ap = |f: &super::model::CodeableConcept<'_>| {
            f.coding
                .iter()
                .all(|c| c.system.as_deref() == Some(V2_0443) && c.code.as_deref() == Some("AP"))
        };
        if p.function.as_ref().is_some_and(|f| !is_ap(f)) {
            // phrkit writes AP (administering provider) for the institution; other roles are not kept.
            report.ignore_element("Immunization.performer.function");
        }
        match (&p.actor, i) {
            (Some(a), 0) => {
                let el = "Immunization.performer.actor";
                f.performer = institution(a, el, report, place, "/performer/0/actor")?
            }
            _ => report.ignore_element("Immunization.performer"),
        }
    }
    for (i, pa) in r.protocol_applied.iter().enumerate() {
        if i > 0 {
            report.ignore_element("Immunization.protocolApplied");
            continue;
        }
        if let Some(n) = pa.dose_number_positive_int {
            f.dose_number = Some(u32::try_from(n).map_err(|_| {
                invalid(
                    place,
                    "/protocolApplied/0/doseNumberPositiveInt",
                    "dose number too large",
                )
            })?);
        } else if pa.dose_number_string.is_some() {
            report.ignore_element("Immunization.protocolApplied.doseNumberString");
        }
        for (k, t) in pa.target_disease.iter().enumerate() {
            if k > 0 {
                report.ignore_element("Immunization.protocolApplied.targetDisease");
                continue;
            }
            f.target_disease = Some(coded_text_in(
                t,
                "target disease",
                "Immunization.protocolApplied.targetDisease.coding",
                report,
                place,
                "/protocolApplied/0/targetDisease/0",
            )?);
        }
    }
    for i in &r.identifier {
        if !is_content_id(i) {
            report.ignore_element("Immunization.identifier");
        }
    }
    Immunization::new(f).map_err(|e| record_err(place, "", e))
}
