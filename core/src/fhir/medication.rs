//! [`MedicationDispense`] record ↔ FHIR `MedicationDispense` (JP Core `JP_MedicationDispense`, `jp-fhir.md` §6).
//!
//! Written elements: `meta.profile`; extensions prescribed-date, prescriber-organization (phrkit, because
//! JP Core has no element for them on a dispense) and source-metadata; identifiers content-uuid, `rpNumber`,
//! `orderInRp` (synthesised and flagged when the record has none); `status`; `medicationCodeableConcept`;
//! `subject`; `performer.actor` (pharmacy, logical reference); `quantity` (MERIT-9 when known); `daysSupply`
//! (UCUM `d`); `whenHandedOver` (date); `dosageInstruction` (timing code/text, route, doseQuantity).

use super::care_common::*;
use super::care_model as cm;
use super::codes::{EXT_SOURCE_METADATA, JP_SD, UCUM};
use super::jp_systems::{
    self, EXT_PRESCRIBED_DATE, EXT_PRESCRIBER, MERIT9_UNIT, ORDER_IN_RP, RP_NUMBER,
};
use super::json_out::JsonOut;
use super::model as m;
use super::to_fhir::{ResourceId, ResourceOptions};
use super::ResourcePlace;
use crate::error::Error;
use crate::record::{DispenseFields, Drug, DrugAmount, MedicationDispense, RpPosition};
use crate::report::Report;
use rust_decimal::prelude::ToPrimitive;

fn drug_amount(j: &mut JsonOut<'_>, key: &str, a: &DrugAmount, opts: &ResourceOptions) {
    j.key_object(key);
    j.field_raw("value", &a.value().to_string());
    j.field_str("unit", a.unit());
    if let Some(code) = a.merit9() {
        j.field_str("system", MERIT9_UNIT.emit(opts.code_systems));
        j.field_str("code", code);
    }
    j.end_object();
}

pub(crate) fn drug_concept(j: &mut JsonOut<'_>, key: &str, drug: &Drug, opts: &ResourceOptions) {
    j.key_object(key);
    if let Some((system, code)) = drug.code() {
        j.key_array("coding");
        j.begin_object();
        j.field_str(
            "system",
            jp_systems::drug_system_uri(system, opts.code_systems),
        );
        j.field_str("code", code);
        if let Some(n) = drug.name() {
            j.field_str("display", n);
        }
        j.end_object();
        j.end_array();
    }
    if let Some(n) = drug.name() {
        j.field_str("text", n);
    }
    j.end_object();
}

impl CareEncoder {
    /// The RP position to write: the record's own, or the synthetic one (and whether it is synthetic).
    fn rp_position(&mut self, d: &MedicationDispense) -> (RpPosition, bool) {
        if let Some(rp) = d.rp {
            self.last_event = None;
            return (rp, false);
        }
        let key = (d.event_date(), d.pharmacy.clone());
        if self.last_event.as_ref() == Some(&key) {
            self.order_in_event += 1;
        } else {
            self.last_event = Some(key);
            self.order_in_event = 1;
        }
        (
            RpPosition {
                rp: 1,
                order: self.order_in_event,
            },
            true,
        )
    }

    /// Appends one MedicationDispense for `d` to `out` and returns its id.
    pub fn medication_dispense(
        &mut self,
        out: &mut Vec<u8>,
        d: &MedicationDispense,
        patient: &str,
        opts: &ResourceOptions,
    ) -> ResourceId {
        self.clear();
        let (rp, synthetic) = self.rp_position(d);
        write_dispense_head(&mut self.head, d, opts);
        write_dispense_body(&mut self.body, d, patient, opts);
        let ids = [
            IdOut {
                system: RP_NUMBER.emit(opts.code_systems),
                value: rp.rp.to_string(),
                synthetic,
            },
            IdOut {
                system: ORDER_IN_RP.emit(opts.code_systems),
                value: rp.order.to_string(),
                synthetic,
            },
        ];
        assemble(
            out,
            "MedicationDispense",
            &self.head,
            &self.body,
            &ids,
            opts,
        )
    }
}

fn write_dispense_head(buf: &mut Vec<u8>, d: &MedicationDispense, opts: &ResourceOptions) {
    let mut j = JsonOut::new(buf);
    j.begin_object();
    profile(&mut j, &format!("{JP_SD}JP_MedicationDispense"));
    if d.prescribed.is_some() || d.prescriber.is_some() || !d.extra.is_empty() {
        j.key_array("extension");
        if let Some(p) = d.prescribed {
            j.begin_object();
            j.field_str("url", EXT_PRESCRIBED_DATE);
            j.field_str("valueDate", &date_str(p));
            j.end_object();
        }
        if let Some(p) = &d.prescriber {
            j.begin_object();
            j.field_str("url", EXT_PRESCRIBER);
            j.key_object("valueReference");
            institution_members(&mut j, p, opts);
            j.end_object();
            j.end_object();
        }
        extras(&mut j, &d.extra);
        j.end_array();
    }
    j.end_object();
}

fn write_dispense_body(
    buf: &mut Vec<u8>,
    d: &MedicationDispense,
    patient: &str,
    opts: &ResourceOptions,
) {
    let mut j = JsonOut::new(buf);
    j.begin_object();
    // A prescription line that was never dispensed is not "completed" (処方情報 without 調剤情報).
    let status = if d.dispensed.is_some() {
        "completed"
    } else {
        "unknown"
    };
    j.field_str("status", status);
    drug_concept(&mut j, "medicationCodeableConcept", &d.drug, opts);
    j.key_object("subject");
    j.field_str("reference", patient);
    j.end_object();
    if let Some(p) = &d.pharmacy {
        j.key_array("performer");
        j.begin_object();
        j.key_object("actor");
        institution_members(&mut j, p, opts);
        j.end_object();
        j.end_object();
        j.end_array();
    }
    if let Some(q) = &d.quantity {
        drug_amount(&mut j, "quantity", q, opts);
    }
    if let Some(days) = d.days_supplied {
        j.key_object("daysSupply");
        j.field_raw("value", &days.to_string());
        j.field_str("unit", "日");
        j.field_str("system", UCUM);
        j.field_str("code", "d");
        j.end_object();
    }
    if let Some(h) = d.dispensed {
        j.field_str("whenHandedOver", &date_str(h));
    }
    if d.usage.is_some() || d.route.is_some() || d.dose.is_some() {
        j.key_array("dosageInstruction");
        j.begin_object();
        if let Some(u) = &d.usage {
            j.key_object("timing");
            coded_text(&mut j, "code", u, opts);
            j.end_object();
        }
        if let Some(r) = &d.route {
            coded_text(&mut j, "route", r, opts);
        }
        if let Some(q) = &d.dose {
            j.key_array("doseAndRate");
            j.begin_object();
            drug_amount(&mut j, "doseQuantity", q, opts);
            j.end_object();
            j.end_array();
        }
        j.end_object();
        j.end_array();
    }
    j.end_object();
}

// ---------------------------------------------------------------- reading

fn read_amount(
    q: &m::Quantity<'_>,
    place: &ResourcePlace,
    pointer: &str,
) -> Result<DrugAmount, Error> {
    let value = q.value.and_then(decimal).ok_or_else(|| {
        invalid(
            place,
            &format!("{pointer}/value"),
            "expected a decimal value",
        )
    })?;
    let merit9 = match (q.system.as_deref(), q.code.as_deref()) {
        (Some(s), Some(c)) if MERIT9_UNIT.matches(s) => Some(c),
        _ => None,
    };
    let unit = q.unit.as_deref().or(merit9).unwrap_or("");
    DrugAmount::new(value, unit, merit9).map_err(|e| record_err(place, pointer, e))
}

pub(crate) fn read_drug(
    cc: &m::CodeableConcept<'_>,
    element: &str,
    report: &mut Report,
    place: &ResourcePlace,
    pointer: &str,
) -> Result<Drug, Error> {
    let mut code = None;
    let mut display = None;
    for c in &cc.coding {
        match (c.system.as_deref(), c.code.as_deref()) {
            (Some(s), Some(k)) if code.is_none() => {
                code = Some((jp_systems::drug_system_from_uri(s), k));
                display = c.display.as_deref();
            }
            // One coding per system is the writer rule; further codings are counted, not kept.
            _ => report.ignore_element(element),
        }
    }
    let name = cc.text.as_deref().or(display);
    Drug::new(code, name).map_err(|e| record_err(place, pointer, e))
}

fn read_rp(r: &cm::MedicationDispense<'_>, report: &mut Report) -> Option<RpPosition> {
    let mut rp = None;
    let mut order = None;
    for i in &r.identifier {
        let (Some(s), Some(v)) = (i.system.as_deref(), i.value.as_deref()) else {
            report.ignore_element("MedicationDispense.identifier");
            continue;
        };
        if is_content_id(i) {
            continue;
        }
        let slot = if RP_NUMBER.matches(s) {
            &mut rp
        } else if ORDER_IN_RP.matches(s) {
            &mut order
        } else {
            report.ignore_element("MedicationDispense.identifier");
            continue;
        };
        if !is_synthetic(i) {
            *slot = v.parse::<u32>().ok();
        }
    }
    match (rp, order) {
        (Some(rp), Some(order)) => Some(RpPosition { rp, order }),
        _ => None,
    }
}

/// Decodes a MedicationDispense resource into a record.
pub(crate) fn decode(
    r: &cm::MedicationDispense<'_>,
    report: &mut Report,
    place: &ResourcePlace,
) -> Result<MedicationDispense, Error> {
    let cc = r.medication_codeable_concept.as_ref().ok_or_else(|| {
        invalid(
            place,
            "/medicationCodeableConcept",
            "medication[x] must be a CodeableConcept",
        )
    })?;
    let drug = read_drug(
        cc,
        "MedicationDispense.medicationCodeableConcept.coding",
        report,
        place,
        "/medicationCodeableConcept",
    )?;
    let mut f = DispenseFields::new(drug);
    f.rp = read_rp(r, report);
    for (i, e) in r.extension.iter().enumerate() {
        let p = format!("/extension/{i}");
        match e.url.as_deref() {
            Some(EXT_PRESCRIBED_DATE) => {
                let v = e.value_date.as_deref().unwrap_or("");
                f.prescribed = Some(parse_date(v, place, &format!("{p}/valueDate"))?);
            }
            Some(EXT_PRESCRIBER) => {
                if let Some(r) = &e.value_reference {
                    let el = "MedicationDispense.extension.valueReference";
                    f.prescriber = institution(r, el, report, place, &p)?;
                }
            }
            Some(EXT_SOURCE_METADATA) => f.extra.push(extra_entry(e, place, &p)?),
            _ => report.ignore_element("MedicationDispense.extension"),
        }
    }
    if let Some(h) = r.when_handed_over.as_deref().or(r.when_prepared.as_deref()) {
        // dateTime values keep only their date: PHR dispense sources are daily (documented loss).
        let day = h.get(..10).unwrap_or(h);
        f.dispensed = Some(parse_date(day, place, "/whenHandedOver")?);
    }
    for (i, p) in r.performer.iter().enumerate() {
        match (&p.actor, i) {
            (Some(a), 0) => {
                let el = "MedicationDispense.performer.actor";
                f.pharmacy = institution(a, el, report, place, "/performer/0/actor")?
            }
            _ => report.ignore_element("MedicationDispense.performer"),
        }
    }
    if let Some(q) = &r.quantity {
        f.quantity = Some(read_amount(q, place, "/quantity")?);
    }
    if let Some(q) = &r.days_supply {
        let v = q.value.and_then(decimal).filter(|d| d.fract().is_zero());
        let days = v.and_then(|d| d.to_u32());
        f.days_supplied = Some(days.ok_or_else(|| {
            invalid(
                place,
                "/daysSupply/value",
                "days supplied must be a whole number of days",
            )
        })?);
    }
    read_dosage(r, &mut f, report, place)?;
    MedicationDispense::new(f).map_err(|e| record_err(place, "", e))
}

fn read_dosage(
    r: &cm::MedicationDispense<'_>,
    f: &mut DispenseFields,
    report: &mut Report,
    place: &ResourcePlace,
) -> Result<(), Error> {
    for (i, d) in r.dosage_instruction.iter().enumerate() {
        if i > 0 {
            report.ignore_element("MedicationDispense.dosageInstruction");
            continue;
        }
        let p = "/dosageInstruction/0";
        if let Some(code) = d.timing.as_ref().and_then(|t| t.code.as_ref()) {
            f.usage = Some(coded_text_in(
                code,
                "usage",
                "MedicationDispense.dosageInstruction.timing.code.coding",
                report,
                place,
                &format!("{p}/timing/code"),
            )?);
        } else if let Some(t) = d.text.as_deref() {
            f.usage = Some(
                crate::record::CodedText::text_only(t, "usage")
                    .map_err(|e| record_err(place, &format!("{p}/text"), e))?,
            );
        }
        if let Some(route) = &d.route {
            f.route = Some(coded_text_in(
                route,
                "route",
                "MedicationDispense.dosageInstruction.route.coding",
                report,
                place,
                &format!("{p}/route"),
            )?);
        }
        if let Some(q) = d
            .dose_and_rate
            .first()
            .and_then(|x| x.dose_quantity.as_ref())
        {
            f.dose = Some(read_amount(
                q,
                place,
                &format!("{p}/doseAndRate/0/doseQuantity"),
            )?);
        }
    }
    Ok(())
}

/// A reason string for a dispense that is withdrawn by its source.
pub(crate) fn withdrawn(status: Option<&str>) -> bool {
    matches!(status, Some("entered-in-error" | "cancelled" | "declined"))
}
