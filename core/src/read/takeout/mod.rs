//! Google Takeout JSON: Google Fit data-point files and Fitbit legacy "Global Export Data" files
//! (spec `lifelog.md` §3), one file at a time or a whole Takeout zip ([`archive`]).
//!
//! * **Google Fit** (`fit.rs`): an object with a `"Data Points"` array; each point has `dataTypeName`,
//!   `startTimeNanos` / `endTimeNanos` (epoch nanoseconds, UTC; a string or a number) and its value either
//!   as `fitValue[0].value.{intVal|fpVal}` or as `value[0].{intVal|fpVal}` (both shapes are accepted: the
//!   spec and other descriptions differ). Each point is one item. Steps, distance, heart rate, weight
//!   (kg) become measurements; `com.google.sleep.segment` points are sleep stages grouped into sessions.
//! * **Fitbit legacy** (`fitbit.rs`): a top-level array. Entries shaped `{"dateTime":"MM/DD/YY HH:MM:SS",
//!   "value":…}` are heart rate (`{"bpm","confidence"}`), resting heart rate (`{"date","value","error"}`)
//!   or, only when the file name says `steps`, steps (a `calories` file has the same shape). Weight logs
//!   (`logId`, `weight`, `bmi`, `fat`, `date`, `time`) and sleep logs (`dateOfSleep`, `startTime`,
//!   `levels.data[]`) are recognised by their keys. Each entry is one item.
//!
//! Data types phrkit does not map are counted as skipped `unsupported-type`, never dropped silently.
//! `com.google.calories.expended` is total energy (active + basal), which no [`Kind`] models, so it is
//! skipped too rather than mislabelled as active energy.
//!
//! [`Kind`]: crate::record::Kind

pub mod archive;
mod fit;
mod fitbit;

use std::collections::VecDeque;

use chrono::{FixedOffset, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{Error, Limit, Location, Result};
use crate::fhir::scan::{scan, ScanError};
use crate::read::{Format, ReadOptions, RecordReader};
use crate::record::{Measurement, Record};
use crate::report::Report;

pub use archive::TakeoutZipReader;

const FORMAT: &str = "Takeout JSON";

/// Whether the head of a document looks like a Google Fit or Fitbit Takeout JSON file (by content).
pub fn looks_like_takeout(body: &[u8]) -> bool {
    let has = |s: &[u8]| memchr::memmem::find(body, s).is_some();
    match body.first() {
        Some(b'{') => has(b"\"Data Points\"") && has(b"\"dataTypeName\""),
        Some(b'[') => {
            let rest = body[1..].trim_ascii_start();
            rest.first() == Some(&b'{')
                && (has(b"\"dateTime\"")
                    || has(b"\"dateOfSleep\"")
                    || (has(b"\"logId\"") && has(b"\"weight\"")))
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

/// What one input item became.
enum Outcome {
    /// Records, counted as one converted item of the named type.
    Records(&'static str, Vec<Measurement>),
    /// Part of a record still being assembled (a sleep stage), counted as one converted item.
    Part(&'static str),
    /// A data type phrkit does not map.
    Unsupported,
}

impl Outcome {
    fn one(m: Measurement) -> Outcome {
        Outcome::Records("Measurement", vec![m])
    }
}

impl TakeoutReader {
    /// Parses `bytes` completely; `name` (the file name, if known) tells Fitbit `steps` files from others.
    pub fn new(bytes: &[u8], opts: &ReadOptions, name: Option<&str>) -> Result<TakeoutReader> {
        let doc = parse_document(bytes, opts)?;
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
    fn settle(&mut self, r: Result<Outcome>, strict: bool, p: &str) -> Result<()> {
        self.report.items_read += 1;
        match r {
            Ok(Outcome::Records(type_name, ms)) => {
                self.report.converted(type_name);
                self.out.extend(ms.into_iter().map(Record::Measurement));
            }
            Ok(Outcome::Part(type_name)) => self.report.converted(type_name),
            Ok(Outcome::Unsupported) => {
                self.report
                    .skip("unsupported-type", ptr(p), "data type not mapped")
            }
            Err(e) if strict => return Err(e),
            Err(e) => {
                let loc = e.location().cloned().unwrap_or(Location::None);
                self.report.skip("invalid-entry", loc, e.to_string());
            }
        }
        Ok(())
    }

    /// Emits a sleep session assembled from several items: listed in `by_type` only (its stages were
    /// the items), as the Apple reader does.
    fn emit_session(&mut self, m: Measurement) {
        *self
            .report
            .by_type
            .entry("sleepEpisode".to_owned())
            .or_insert(0) += 1;
        self.out.push_back(Record::Measurement(m));
    }
}

/// Checks size, depth and string limits, then parses the document.
fn parse_document(bytes: &[u8], opts: &ReadOptions) -> Result<Value> {
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
    serde_json::from_slice(bytes).map_err(|_| bad("", "not valid JSON"))
}

/// A JSON number or numeric string as an exact decimal.
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
