//! What the policy stages need to know about a record, in one place.
//!
//! Consent evaluation asks "which resource type, which codes, which data time"; adding a record type
//! (checkups, medications, …) means adding one arm here and nothing in the decision logic.

use std::borrow::Cow;

use chrono::{NaiveTime, TimeZone};

use crate::fhir::codes::{LOINC, PGHD};
use crate::record::{Coding, Effective, Kind, Record, Timestamp};

use super::consent::jst;

/// The facts about one record that consent provisions test.
#[derive(Clone, Debug)]
pub struct RecordFacts {
    /// The FHIR resource type the record becomes (`Patient`, `Observation`).
    pub resource_type: &'static str,
    /// phrkit's record type name (`subject`, `stepCount`).
    pub type_name: Cow<'static, str>,
    /// Every coding of the resource's code.
    pub codes: Vec<Coding>,
    /// The data time as an inclusive interval, when the record has one.
    pub data_time: Option<(Timestamp, Timestamp)>,
    /// Security labels the record carries (none yet: records have no labels before policy stages run).
    pub security: Vec<Coding>,
}

/// The facts of a record.
pub fn record_facts(record: &Record) -> RecordFacts {
    match record {
        Record::Subject(_) => RecordFacts {
            resource_type: "Patient",
            type_name: record.type_name(),
            codes: Vec::new(),
            data_time: None,
            security: Vec::new(),
        },
        Record::Measurement(m) => RecordFacts {
            resource_type: "Observation",
            type_name: record.type_name(),
            codes: kind_codes(m.kind()),
            data_time: effective_interval(m.effective()),
            security: Vec::new(),
        },
        Record::Checkup(c) => RecordFacts {
            resource_type: "Observation",
            type_name: record.type_name(),
            codes: c
                .results
                .iter()
                .map(|r| {
                    Coding::new(
                        format!("urn:oid:{}", r.code_system.trim_start_matches("urn:oid:")),
                        r.code.clone(),
                    )
                })
                .collect(),
            data_time: effective_interval(&Effective::Date(c.exam_date)),
            security: Vec::new(),
        },
        Record::Medication(m) => RecordFacts {
            resource_type: "MedicationDispense",
            type_name: record.type_name(),
            codes: Vec::new(),
            data_time: effective_interval(&Effective::Date(m.event_date())),
            security: Vec::new(),
        },
        Record::Immunization(i) => RecordFacts {
            resource_type: "Immunization",
            type_name: record.type_name(),
            codes: Vec::new(),
            data_time: effective_interval(&Effective::Date(i.occurred.date())),
            security: Vec::new(),
        },
        Record::Expense(e) => RecordFacts {
            resource_type: "ExplanationOfBenefit",
            type_name: record.type_name(),
            codes: Vec::new(),
            data_time: effective_interval(&Effective::Date(e.month.first_day())),
            security: Vec::new(),
        },
    }
}

/// The codings phrkit writes for a kind (PGHD, LOINC; the sleep duration LOINC for sleep sessions).
fn kind_codes(kind: &Kind) -> Vec<Coding> {
    match kind {
        Kind::Other(c) => vec![(**c).clone()],
        k => {
            let mut v = Vec::new();
            if let Some(info) = k.info() {
                v.push(Coding::new(PGHD, info.pghd));
                v.extend(info.loinc.iter().map(|(c, _)| Coding::new(LOINC, *c)));
                if let Some((c, _)) = info.medis {
                    let system = if info.family == crate::record::Family::BodyMeasurement {
                        crate::fhir::codes::JP_BODY_CODE
                    } else {
                        crate::fhir::codes::MEDIS_VITALS_URL
                    };
                    v.push(Coding::new(system, c.to_string()));
                }
            }
            if *k == Kind::SleepSession {
                v.push(Coding::new(LOINC, "93832-4"));
            }
            v
        }
    }
}

/// The effective time as an interval; a bare date covers its whole day in JST.
pub fn effective_interval(e: &Effective) -> Option<(Timestamp, Timestamp)> {
    match e {
        Effective::Instant(t) => Some((*t, *t)),
        Effective::Period(p) => Some((*p.start(), *p.end())),
        Effective::Date(d) => {
            let start = jst()
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single()?;
            let end_t = NaiveTime::from_hms_milli_opt(23, 59, 59, 999)?;
            let end = jst().from_local_datetime(&d.and_time(end_t)).single()?;
            Some((start, end))
        }
    }
}
