//! CSV exports of home devices (blood-pressure monitors, body-composition scales), by declarative presets.
//!
//! Each maker writes its own columns, in English or Japanese, in UTF-8 (with or without BOM) or
//! Shift_JIS. A [`Preset`] says which header names (any of several spellings) hold the date, the time and
//! each value, and what each value is; the reader picks the preset whose required headers are all present
//! (by content, never by file name) and turns every row into measurements.
//!
//! * Dates are naive local times (spec `lifelog.md` §6.1): they are given the offset in
//!   [`DeviceCsvOptions::offset`] (default +09:00, Japan).
//! * Each data row is one item; it yields one measurement per filled value column (systolic + diastolic
//!   make one blood-pressure reading). A row with no value is skipped `empty-row`; a row whose date or a
//!   value cannot be read is skipped `invalid-row` (or fails in strict mode). Unmapped columns are counted
//!   in `ignored_elements` once per file.
//! * `-` and empty cells mean "not measured".

mod presets;

use std::collections::VecDeque;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset};
use rust_decimal::Decimal;

use crate::error::{Error, Location, Result};
use crate::read::{Format, ReadOptions, RecordReader};
use crate::record::{fold_width, Effective, Kind, Measurement, Record, Source, Unit};
use crate::report::Report;

pub use presets::PRESETS;

const FORMAT: &str = "device CSV";

/// What a value column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Systolic pressure in mmHg (paired with [`Target::Diastolic`] in one reading).
    Systolic,
    /// Diastolic pressure in mmHg.
    Diastolic,
    /// A quantity of a kind, in a unit.
    Quantity(KindId, Unit),
}

/// The kinds a device CSV can carry (a `Copy` stand-in for [`Kind`], so presets can be `const`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindId {
    /// Pulse / heart rate.
    HeartRate,
    /// Body weight.
    BodyWeight,
    /// Body-fat percentage.
    BodyFat,
    /// Body-mass index.
    Bmi,
}

impl KindId {
    fn kind(self) -> Kind {
        match self {
            KindId::HeartRate => Kind::HeartRate,
            KindId::BodyWeight => Kind::BodyWeight,
            KindId::BodyFat => Kind::BodyFatPercentage,
            KindId::Bmi => Kind::BodyMassIndex,
        }
    }
}

/// One mapped column: any of `headers` (compared after trimming and full-width folding) holds `target`.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Accepted header spellings.
    pub headers: &'static [&'static str],
    /// What the column holds.
    pub target: Target,
}

/// Where the time of a row is.
#[derive(Clone, Copy, Debug)]
pub enum When {
    /// One column with date and time, parsed with a chrono format.
    DateTime {
        /// Header spellings.
        headers: &'static [&'static str],
        /// chrono format, e.g. `%Y/%m/%d %H:%M`.
        format: &'static str,
    },
    /// A date column and a time column.
    DateAndTime {
        /// Date header spellings.
        date: &'static [&'static str],
        /// chrono format of the date, e.g. `%b %d %Y`.
        date_format: &'static str,
        /// Time header spellings.
        time: &'static [&'static str],
        /// chrono format of the time, e.g. `%H:%M`.
        time_format: &'static str,
    },
}

/// A declarative column mapping for one maker's CSV layout.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Name, kept as the measurements' source name (`OMRON connect (CSV)`).
    pub name: &'static str,
    /// Where the time is.
    pub when: When,
    /// Value columns; the preset matches when the time columns and at least one of these are present.
    pub columns: &'static [Column],
}

/// Options of the device CSV reader.
#[derive(Clone, Debug)]
pub struct DeviceCsvOptions {
    /// Offset given to the naive local times of the file.
    pub offset: FixedOffset,
}

impl Default for DeviceCsvOptions {
    fn default() -> Self {
        // Japan (no daylight saving): the product default for Japanese users (spec §6.1).
        DeviceCsvOptions {
            offset: FixedOffset::east_opt(9 * 3600).unwrap_or(chrono::Utc.fix()),
        }
    }
}

/// Decodes the file: UTF-8 (a BOM is removed) when valid, else Shift_JIS (Japanese Windows exports).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(bytes).0.into_owned(),
    }
}

fn norm(h: &str) -> String {
    fold_width(h.trim()).replace(' ', "").to_lowercase()
}

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    let wanted: Vec<String> = names.iter().map(|n| norm(n)).collect();
    headers.iter().position(|h| wanted.contains(h))
}

/// A preset resolved against one header row.
struct Resolved {
    preset: &'static Preset,
    when: (usize, Option<usize>),
    columns: Vec<(usize, Target)>,
}

fn resolve(headers: &[String]) -> Option<Resolved> {
    PRESETS.iter().find_map(|p| {
        let when = match p.when {
            When::DateTime { headers: h, .. } => (find(headers, h)?, None),
            When::DateAndTime { date, time, .. } => {
                (find(headers, date)?, Some(find(headers, time)?))
            }
        };
        let columns: Vec<(usize, Target)> = p
            .columns
            .iter()
            .filter_map(|c| find(headers, c.headers).map(|i| (i, c.target)))
            .collect();
        (!columns.is_empty()).then_some(Resolved {
            preset: p,
            when,
            columns,
        })
    })
}

/// Whether the first line of `head` is the header of a known device CSV (used by format detection).
pub fn looks_like_device_csv(head: &[u8]) -> bool {
    let text = decode(head);
    let first = text.lines().next().unwrap_or("");
    let headers: Vec<String> = first
        .split(',')
        .map(|h| norm(h.trim_matches('"')))
        .collect();
    resolve(&headers).is_some()
}

/// Reads a whole device CSV (these files are small; the caller bounds the size).
pub struct DeviceCsvReader {
    out: VecDeque<Record>,
    report: Report,
}

fn cell_value(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && s != "-").then_some(s)
}

impl DeviceCsvReader {
    /// Parses `bytes` completely.
    pub fn new(
        bytes: &[u8],
        opts: &ReadOptions,
        csv_opts: &DeviceCsvOptions,
    ) -> Result<DeviceCsvReader> {
        let text = decode(bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|_| {
                Error::format(
                    FORMAT,
                    Location::CsvRow {
                        row: 1,
                        field: None,
                    },
                    "unreadable header row",
                )
            })?
            .iter()
            .map(norm)
            .collect();
        let Some(res) = resolve(&headers) else {
            return Err(crate::read::unknown_format(
                "CSV header matches no device preset",
            ));
        };
        let mut reader = DeviceCsvReader {
            out: VecDeque::new(),
            report: Report::default(),
        };
        let used: Vec<usize> = res
            .columns
            .iter()
            .map(|c| c.0)
            .chain([res.when.0])
            .chain(res.when.1)
            .collect();
        for (i, h) in headers.iter().enumerate() {
            if !used.contains(&i) && !h.is_empty() {
                reader.report.ignore_element(&format!("column:{h}"));
            }
        }
        let source = std::sync::Arc::new(Source {
            name: Some(res.preset.name.to_owned()),
            ..Source::default()
        });
        for (n, row) in rdr.records().enumerate() {
            let row_no = n as u64 + 2;
            reader.report.items_read += 1;
            let result = row
                .map_err(|_| {
                    Error::format(
                        FORMAT,
                        Location::CsvRow {
                            row: row_no,
                            field: None,
                        },
                        "unreadable row",
                    )
                })
                .and_then(|r| reader.row(&res, &r, row_no, csv_opts, &source));
            match result {
                Ok(0) => reader.report.skip(
                    "empty-row",
                    Location::CsvRow {
                        row: row_no,
                        field: None,
                    },
                    "row without values",
                ),
                Ok(_) => reader.report.converted("row"),
                Err(e) if opts.strict => return Err(e),
                Err(e) => {
                    let loc = e.location().cloned().unwrap_or(Location::None);
                    reader.report.skip("invalid-row", loc, e.to_string());
                }
            }
        }
        Ok(reader)
    }

    fn when(
        &self,
        res: &Resolved,
        row: &csv::StringRecord,
        row_no: u64,
        csv_opts: &DeviceCsvOptions,
    ) -> Result<Effective> {
        let bad = |field: &str| {
            Error::format(
                FORMAT,
                Location::CsvRow {
                    row: row_no,
                    field: Some(field.to_owned()),
                },
                "unreadable date or time",
            )
        };
        let cell = |i: usize| row.get(i).map(|s| fold_width(s.trim())).unwrap_or_default();
        let naive = match (res.preset.when, res.when) {
            (When::DateTime { format, .. }, (i, _)) => {
                NaiveDateTime::parse_from_str(&cell(i), format).map_err(|_| bad("date"))?
            }
            (
                When::DateAndTime {
                    date_format,
                    time_format,
                    ..
                },
                (d, Some(t)),
            ) => {
                let date =
                    NaiveDate::parse_from_str(&cell(d), date_format).map_err(|_| bad("date"))?;
                let time =
                    NaiveTime::parse_from_str(&cell(t), time_format).map_err(|_| bad("time"))?;
                date.and_time(time)
            }
            _ => return Err(bad("date")),
        };
        let t = naive
            .and_local_timezone(csv_opts.offset)
            .single()
            .ok_or_else(|| bad("date"))?;
        Ok(Effective::Instant(t))
    }

    /// Emits the row's measurements; returns how many.
    fn row(
        &mut self,
        res: &Resolved,
        row: &csv::StringRecord,
        row_no: u64,
        csv_opts: &DeviceCsvOptions,
        source: &std::sync::Arc<Source>,
    ) -> Result<usize> {
        let loc = |field: &str| Location::CsvRow {
            row: row_no,
            field: Some(field.to_owned()),
        };
        let mut systolic = None;
        let mut diastolic = None;
        let mut quantities = Vec::new();
        for &(i, target) in &res.columns {
            let Some(raw) = row.get(i).and_then(cell_value) else {
                continue;
            };
            let v: Decimal = fold_width(raw)
                .parse()
                .map_err(|_| Error::format(FORMAT, loc("value"), "not a number"))?;
            match target {
                Target::Systolic => systolic = Some(v),
                Target::Diastolic => diastolic = Some(v),
                Target::Quantity(k, u) => quantities.push((k, v, u)),
            }
        }
        if systolic.is_none() && diastolic.is_none() && quantities.is_empty() {
            return Ok(0);
        }
        let effective = self.when(res, row, row_no, csv_opts)?;
        let mut made = Vec::new();
        match (systolic, diastolic) {
            (Some(s), Some(d)) => made.push(
                Measurement::blood_pressure(effective.clone(), s, d)
                    .map_err(|e| Error::invalid_record(loc("blood pressure"), e))?,
            ),
            (None, None) => {}
            _ => {
                return Err(Error::format(
                    FORMAT,
                    loc("blood pressure"),
                    "systolic without diastolic or the reverse",
                ))
            }
        }
        for (k, v, u) in quantities {
            made.push(
                Measurement::quantity(k.kind(), effective.clone(), v, u)
                    .map_err(|e| Error::invalid_record(loc("value"), e))?,
            );
        }
        let n = made.len();
        for m in made {
            self.out.push_back(Record::Measurement(
                m.with_source(std::sync::Arc::clone(source)),
            ));
        }
        Ok(n)
    }
}

impl RecordReader for DeviceCsvReader {
    fn next_record(&mut self) -> Result<Option<Record>> {
        Ok(self.out.pop_front())
    }
    fn report(&self) -> &Report {
        &self.report
    }
    fn format(&self) -> Format {
        Format::DeviceCsv
    }
}
