//! One measurement flattened to the columns of the tidy table; shared by the Arrow table and the
//! `Measurement` attributes so both always agree.

use std::borrow::Cow;

use chrono::NaiveDate;
use phrkit::record::{Decimal, Effective, MeasurementValue, Source, Timestamp};
use phrkit::Measurement;
use rust_decimal::prelude::ToPrimitive;

/// The flat view of a measurement.
pub(crate) struct Row<'a> {
    pub kind: Cow<'static, str>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub date: NaiveDate,
    pub value: Option<Decimal>,
    pub value_text: Option<&'a str>,
    pub unit: Option<&'static str>,
    pub systolic: Option<Decimal>,
    pub diastolic: Option<Decimal>,
    pub source: Option<&'a Source>,
}

/// Effective-time shape name (`instant`, `period`, `date`).
pub(crate) fn effective_type(e: &Effective) -> &'static str {
    match e {
        Effective::Instant(_) => "instant",
        Effective::Period(_) => "period",
        Effective::Date(_) => "date",
    }
}

/// Flattens a measurement. Sleep sessions give minutes asleep (the core's count) in `min`; workouts give
/// their activity as `value_text` and their stated duration as the value.
pub(crate) fn row(m: &Measurement) -> Row<'_> {
    let e = m.effective();
    let mut row = Row {
        kind: m.kind().name(),
        start: e.start().copied(),
        end: e.end().copied(),
        date: e.date(),
        value: None,
        value_text: None,
        unit: None,
        systolic: None,
        diastolic: None,
        source: m.source().map(|s| &**s),
    };
    match m.value() {
        MeasurementValue::Quantity(q) => {
            row.value = Some(q.value);
            row.unit = Some(q.unit.ucum());
        }
        MeasurementValue::BloodPressure {
            systolic,
            diastolic,
        } => {
            row.systolic = Some(*systolic);
            row.diastolic = Some(*diastolic);
            row.unit = Some("mm[Hg]");
        }
        MeasurementValue::Sleep(s) => {
            row.value = Some(Decimal::from(s.asleep_minutes()));
            row.unit = Some("min");
        }
        MeasurementValue::Workout(w) => {
            row.value_text = Some(&w.activity);
            if let Some(d) = &w.duration {
                row.value = Some(d.value);
                row.unit = Some(d.unit.ucum());
            }
        }
        MeasurementValue::Text(t) => row.value_text = Some(t),
        // Value shapes added to the core later: every value column stays null until bound here.
        _ => {}
    }
    row
}

/// A decimal as float64 (tables and `.value`); exact values stay available as `Decimal`.
pub(crate) fn f64_of(d: Option<Decimal>) -> Option<f64> {
    d.and_then(|d| d.to_f64())
}
