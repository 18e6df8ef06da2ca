//! Google Takeout JSON: Google Fit data-point files and Fitbit legacy "Global Export Data" files
//! (spec `lifelog.md` §3).
//!
//! * **Google Fit**: an object with a `"Data Points"` array; each point has `dataTypeName`,
//!   `startTimeNanos` / `endTimeNanos` (epoch nanoseconds, UTC; a string or a number) and its value either
//!   as `fitValue[0].value.{intVal|fpVal}` or as `value[0].{intVal|fpVal}` (both shapes are accepted: the
//!   spec and other descriptions differ). Each point is one item.
//! * **Fitbit legacy**: a top-level array of `{"dateTime":"MM/DD/YY HH:MM:SS","value":…}` entries. The
//!   value shape tells heart rate (`{"bpm","confidence"}`) and resting heart rate (`{"date","value",
//!   "error"}`) apart; a plain string value is steps only when the file name says `steps` (a `calories`
//!   file has the same shape). Each entry is one item.
//!
//! Data types phrkit does not map are counted as skipped `unsupported-type`, never dropped silently.
//! `com.google.calories.expended` is total energy (active + basal), which no [`Kind`] models, so it is
//! skipped too rather than mislabelled as active energy.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{Error, Limit, Location, Result};
use crate::fhir::scan::{scan, ScanError};
use crate::read::{Format, ReadOptions, RecordReader};
use crate::record::{Effective, Kind, Measurement, Period, Record, Source, Unit};
use crate::report::{Report, Severity};

const FORMAT: &str = "Takeout JSON";

/// Whether the head of a document looks like a Google Fit or Fitbit Takeout JSON file (by content).
pub fn looks_like_takeout(body: &[u8]) -> bool {
    let has = |s: &[u8]| memchr::memmem::find(body, s).is_some();
    match body.first() {
        Some(b'{') => has(b"\"Data Points\"") && has(b"\"dataTypeName\""),
        Some(b'[') => {
            let rest = body[1..].trim_ascii_start();
            rest.first() == Some(&b'{') && has(b"\"dateTime\"")
        }
        _ => false,
    }
}

/// Reads a whole Takeout JSON file (these files are small; the caller bounds the size).
pub struct TakeoutReader {
    out: VecDeque<Record>,
    report: Report,
}

fn ptr(p: impl Into<String>) -> Location {
    Location::JsonPointer {
        line: None,
        pointer: p.into(),
    }
}

fn bad(p: &str, why: &str) -> Error {
    Error::format(FORMAT, ptr(p), why)
}

fn utc() -> FixedOffset {
    use chrono::Offset;
    Utc.fix()
}

impl TakeoutReader {
    /// Parses `bytes` completely; `name` (the file name, if known) tells Fitbit `steps` files from others.
    pub fn new(bytes: &[u8], opts: &ReadOptions, name: Option<&str>) -> Result<TakeoutReader> {
        let max = opts.limits.max_document_bytes;
        if bytes.len() as u64 > max {
            return Err(Error::limit(Limit::DocumentBytes, max, ptr("")));
        }
        let limits = &opts.limits.json;
        match scan(bytes, limits) {
            Ok(_) => {}
            Err(ScanError::TooDeep(p)) => {
                return Err(Error::limit(Limit::Depth, limits.max_depth as u64, ptr(p)))
            }
            Err(ScanError::StringTooLong(p)) => {
                return Err(Error::limit(
                    Limit::StringBytes,
                    limits.max_string_bytes as u64,
                    ptr(p),
                ))
            }
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|_| bad("", "not valid JSON"))?;
        let mut reader = TakeoutReader {
            out: VecDeque::new(),
            report: Report::default(),
        };
        match &doc {
            Value::Object(o) => match o.get("Data Points") {
                Some(Value::Array(points)) => reader.google_fit(points, opts)?,
                _ => return Err(bad("/Data Points", "expected an array of data points")),
            },
            Value::Array(entries) => reader.fitbit(entries, opts, name)?,
            _ => return Err(bad("", "expected an object or an array")),
        }
        Ok(reader)
    }

    /// Counts one item's outcome; in strict mode an error stops the read.
    fn settle(&mut self, r: Result<Option<Measurement>>, strict: bool, p: &str) -> Result<()> {
        self.report.items_read += 1;
        match r {
            Ok(Some(m)) => {
                self.report.converted("Measurement");
                self.out.push_back(Record::Measurement(m));
            }
            Ok(None) => self
                .report
                .skip("unsupported-type", ptr(p), "data type not mapped"),
            Err(e) if strict => return Err(e),
            Err(e) => {
                let loc = e.location().cloned().unwrap_or(Location::None);
                self.report.skip("invalid-entry", loc, e.to_string());
            }
        }
        Ok(())
    }

    fn google_fit(&mut self, points: &[Value], opts: &ReadOptions) -> Result<()> {
        let source = Arc::new(Source {
            name: Some("Google Fit (Takeout)".to_owned()),
            ..Source::default()
        });
        for (i, point) in points.iter().enumerate() {
            let p = format!("/Data Points/{i}");
            let r = fit_point(point, &p).map(|m| m.map(|m| m.with_source(Arc::clone(&source))));
            self.settle(r, opts.strict, &p)?;
        }
        Ok(())
    }

    fn fitbit(&mut self, entries: &[Value], opts: &ReadOptions, name: Option<&str>) -> Result<()> {
        // Fitbit legacy times carry no zone; UTC is widely reported but unverified (spec §3).
        self.report.issue(
            Severity::Info,
            "fitbit-time-assumed-utc",
            ptr(""),
            "Fitbit times carry no zone; read as UTC (widely reported, unverified)",
        );
        let source = Arc::new(Source {
            name: Some("Fitbit (Takeout)".to_owned()),
            ..Source::default()
        });
        let steps_file = name
            .and_then(|n| n.rsplit(['/', '\\']).next())
            .is_some_and(|n| n.to_ascii_lowercase().starts_with("steps"));
        for (i, entry) in entries.iter().enumerate() {
            let p = format!("/{i}");
            let r = fitbit_entry(entry, &p, steps_file)
                .map(|m| m.map(|m| m.with_source(Arc::clone(&source))));
            self.settle(r, opts.strict, &p)?;
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

fn decimal(v: &Value, p: &str) -> Result<Decimal> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return Err(bad(p, "not a number")),
    };
    s.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&s))
        .map_err(|_| bad(p, "not a number"))
}

/// The first value of a Google Fit point, from `fitValue[0].value` or `value[0]`.
fn fit_value(point: &Value, p: &str) -> Result<Decimal> {
    let (holder, vp) = if let Some(v) = point.pointer("/fitValue/0/value") {
        (v, format!("{p}/fitValue/0/value"))
    } else if let Some(v) = point.pointer("/value/0") {
        (v, format!("{p}/value/0"))
    } else {
        return Err(bad(p, "point without a value"));
    };
    if let Some(v) = holder.get("intVal") {
        decimal(v, &format!("{vp}/intVal"))
    } else if let Some(v) = holder.get("fpVal") {
        decimal(v, &format!("{vp}/fpVal"))
    } else {
        Err(bad(&vp, "value without intVal or fpVal"))
    }
}

fn fit_point(point: &Value, p: &str) -> Result<Option<Measurement>> {
    if !point.is_object() {
        return Err(bad(p, "data point is not an object"));
    }
    let type_name = match point.get("dataTypeName") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(bad(&format!("{p}/dataTypeName"), "missing data type")),
    };
    let (kind, unit, interval) = match type_name {
        "com.google.step_count.delta" => (Kind::Steps, Unit::Steps, true),
        // Fit's distance covers every activity, not only walking and running (closest kind phrkit has).
        "com.google.distance.delta" => (Kind::WalkingRunningDistance, Unit::Meter, true),
        "com.google.heart_rate.bpm" => (Kind::HeartRate, Unit::PerMinute, false),
        "com.google.weight" => (Kind::BodyWeight, Unit::Kilogram, false),
        _ => return Ok(None),
    };
    let start = nanos(point.get("startTimeNanos"), &format!("{p}/startTimeNanos"))?;
    let end = nanos(point.get("endTimeNanos"), &format!("{p}/endTimeNanos"))?;
    let value = fit_value(point, p)?;
    let effective = if interval || start != end {
        Effective::Period(Period::new(start, end).map_err(|e| Error::invalid_record(ptr(p), e))?)
    } else {
        Effective::Instant(start)
    };
    let mut m = Measurement::quantity(kind, effective, value, unit)
        .map_err(|e| Error::invalid_record(ptr(p), e))?;
    m.push_metadata("dataTypeName", type_name);
    Ok(Some(m))
}

/// `MM/DD/YY HH:MM:SS`, no zone → UTC (assumed, see the module doc).
fn fitbit_time(v: Option<&Value>, p: &str) -> Result<DateTime<FixedOffset>> {
    let Some(Value::String(s)) = v else {
        return Err(bad(p, "missing dateTime"));
    };
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%m/%d/%y %H:%M:%S")
        .map_err(|_| bad(p, "dateTime is not MM/DD/YY HH:MM:SS"))?;
    Ok(naive.and_utc().with_timezone(&utc()))
}

fn fitbit_entry(entry: &Value, p: &str, steps_file: bool) -> Result<Option<Measurement>> {
    if !entry.is_object() {
        return Err(bad(p, "entry is not an object"));
    }
    let vp = format!("{p}/value");
    let q = |kind, eff, v, unit| {
        Measurement::quantity(kind, eff, v, unit).map_err(|e| Error::invalid_record(ptr(p), e))
    };
    match entry.get("value") {
        Some(Value::Object(o)) if o.contains_key("bpm") => {
            let at = fitbit_time(entry.get("dateTime"), &format!("{p}/dateTime"))?;
            let bpm = decimal(o.get("bpm").unwrap_or(&Value::Null), &format!("{vp}/bpm"))?;
            Ok(Some(q(
                Kind::HeartRate,
                Effective::Instant(at),
                bpm,
                Unit::PerMinute,
            )?))
        }
        Some(Value::Object(o)) if o.contains_key("date") && o.contains_key("value") => {
            // Resting heart rate is a daily value: its own `date` (MM/DD/YY) is the effective date.
            let date = match o.get("date") {
                Some(Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%m/%d/%y")
                    .map_err(|_| bad(&format!("{vp}/date"), "date is not MM/DD/YY"))?,
                _ => return Err(bad(&format!("{vp}/date"), "missing date")),
            };
            let v = decimal(
                o.get("value").unwrap_or(&Value::Null),
                &format!("{vp}/value"),
            )?;
            Ok(Some(q(
                Kind::RestingHeartRate,
                Effective::Date(date),
                v,
                Unit::PerMinute,
            )?))
        }
        Some(v @ (Value::String(_) | Value::Number(_))) if steps_file => {
            let at = fitbit_time(entry.get("dateTime"), &format!("{p}/dateTime"))?;
            let n = decimal(v, &vp)?;
            Ok(Some(q(
                Kind::Steps,
                Effective::Instant(at),
                n,
                Unit::Steps,
            )?))
        }
        Some(_) => Ok(None),
        None => Err(bad(&vp, "entry without a value")),
    }
}

impl RecordReader for TakeoutReader {
    fn next_record(&mut self) -> Result<Option<Record>> {
        Ok(self.out.pop_front())
    }
    fn report(&self) -> &Report {
        &self.report
    }
    fn format(&self) -> Format {
        Format::TakeoutJson
    }
}
