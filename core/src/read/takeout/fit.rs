//! Google Fit `"Data Points"` files (Takeout `Fit/All Data/*.json`).
//!
//! Sleep: `com.google.sleep.segment` points carry a stage code in `intVal`. The codes are Google Fit's
//! `SleepStages` constants (verified in the Fit reference and the "Read sleep data" guide): 1 awake
//! (during sleep), 2 sleep, 3 out of bed, 4 light, 5 deep, 6 REM — the same numbers Health Connect later
//! kept. Each point is one item (`sleepStage`); stages are grouped into sessions by the Apple reader's
//! [`SleepGrouper`] (same source, gaps of at most 30 minutes), so the sessions are the same kind of record
//! whatever the input. Any other code is an invalid item, not a guessed stage.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{bad, decimal, ptr, utc, Outcome, TakeoutReader};
use crate::error::{Error, Result};
use crate::read::apple_health::sleep::SleepGrouper;
use crate::read::ReadOptions;
use crate::record::{Effective, Kind, Measurement, Period, SleepStage, Source, Unit};

/// The data type of sleep stages.
const SLEEP_SEGMENT: &str = "com.google.sleep.segment";

impl TakeoutReader {
    pub(super) fn google_fit(&mut self, points: &[Value], opts: &ReadOptions) -> Result<()> {
        let source = Arc::new(Source {
            name: Some("Google Fit (Takeout)".to_owned()),
            ..Source::default()
        });
        let mut sleep = SleepGrouper::default();
        for (i, point) in points.iter().enumerate() {
            let p = format!("/Data Points/{i}");
            let r = if point.get("dataTypeName").and_then(Value::as_str) == Some(SLEEP_SEGMENT) {
                sleep_point(point, &p).map(|(stage, period)| {
                    let closed = sleep.add(Some(Arc::clone(&source)), stage, period, Vec::new());
                    if let Some(session) = closed {
                        self.emit_session(session);
                    }
                    Outcome::Part("sleepStage")
                })
            } else {
                fit_point(point, &p).map(|m| match m {
                    Some(m) => Outcome::one(m.with_source(Arc::clone(&source))),
                    None => Outcome::Unsupported,
                })
            };
            self.settle(r, opts.strict, &p)?;
        }
        for session in sleep.finish() {
            self.emit_session(session);
        }
        Ok(())
    }
}

/// Epoch nanoseconds (a JSON string or integer) → a UTC instant.
fn nanos(v: Option<&Value>, p: &str) -> Result<DateTime<FixedOffset>> {
    let n: i64 = match v {
        Some(Value::String(s)) => s.parse().map_err(|_| bad(p, "not epoch nanoseconds"))?,
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad(p, "not epoch nanoseconds"))?,
        _ => return Err(bad(p, "missing epoch nanoseconds")),
    };
    Ok(DateTime::from_timestamp_nanos(n).with_timezone(&utc()))
}

/// The first value of a Google Fit point, from `fitValue[0].value` or `value[0]`.
fn fit_value(point: &Value, p: &str) -> Result<(Decimal, String)> {
    let (holder, vp) = if let Some(v) = point.pointer("/fitValue/0/value") {
        (v, format!("{p}/fitValue/0/value"))
    } else if let Some(v) = point.pointer("/value/0") {
        (v, format!("{p}/value/0"))
    } else {
        return Err(bad(p, "point without a value"));
    };
    if let Some(v) = holder.get("intVal") {
        let vp = format!("{vp}/intVal");
        Ok((decimal(v, &vp)?, vp))
    } else if let Some(v) = holder.get("fpVal") {
        let vp = format!("{vp}/fpVal");
        Ok((decimal(v, &vp)?, vp))
    } else {
        Err(bad(&vp, "value without intVal or fpVal"))
    }
}

fn type_name<'a>(point: &'a Value, p: &str) -> Result<&'a str> {
    if !point.is_object() {
        return Err(bad(p, "data point is not an object"));
    }
    match point.get("dataTypeName") {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err(bad(&format!("{p}/dataTypeName"), "missing data type")),
    }
}

fn interval(point: &Value, p: &str) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let start = nanos(point.get("startTimeNanos"), &format!("{p}/startTimeNanos"))?;
    let end = nanos(point.get("endTimeNanos"), &format!("{p}/endTimeNanos"))?;
    Ok((start, end))
}

fn fit_point(point: &Value, p: &str) -> Result<Option<Measurement>> {
    let type_name = type_name(point, p)?;
    let (kind, unit, is_interval) = match type_name {
        "com.google.step_count.delta" => (Kind::Steps, Unit::Steps, true),
        // Fit's distance covers every activity, not only walking and running (closest kind phrkit has).
        "com.google.distance.delta" => (Kind::WalkingRunningDistance, Unit::Meter, true),
        "com.google.heart_rate.bpm" => (Kind::HeartRate, Unit::PerMinute, false),
        // Fit stores weight in kilograms whatever the app displays (Fit data-type reference).
        "com.google.weight" => (Kind::BodyWeight, Unit::Kilogram, false),
        _ => return Ok(None),
    };
    let (start, end) = interval(point, p)?;
    let (value, _) = fit_value(point, p)?;
    let effective = if is_interval || start != end {
        Effective::Period(Period::new(start, end).map_err(|e| Error::invalid_record(ptr(p), e))?)
    } else {
        Effective::Instant(start)
    };
    let mut m = Measurement::quantity(kind, effective, value, unit)
        .map_err(|e| Error::invalid_record(ptr(p), e))?;
    m.push_metadata("dataTypeName", type_name);
    Ok(Some(m))
}

/// A `com.google.sleep.segment` point: its stage and interval.
fn sleep_point(point: &Value, p: &str) -> Result<(SleepStage, Period)> {
    let (start, end) = interval(point, p)?;
    let (code, vp) = fit_value(point, p)?;
    let stage = match code.to_i64().filter(|_| code.fract().is_zero()) {
        Some(1) => SleepStage::Awake,
        Some(2) => SleepStage::AsleepUnspecified,
        Some(3) => SleepStage::OutOfBed,
        Some(4) => SleepStage::Core,
        Some(5) => SleepStage::Deep,
        Some(6) => SleepStage::Rem,
        _ => return Err(bad(&vp, "not a Google Fit sleep stage (1-6)")),
    };
    let period = Period::new(start, end).map_err(|e| Error::invalid_record(ptr(p), e))?;
    Ok((stage, period))
}
