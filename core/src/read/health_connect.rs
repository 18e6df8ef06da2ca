//! Android Health Connect scheduled export (spec lifelog §2.4): `Health Connect.zip` holding an unencrypted
//! SQLite database `health_connect_export.db`.
//!
//! The schema is documented only by a third party (single source, unverified), so everything is read
//! defensively: tables and columns are looked up before use, a missing column skips the row with a reason,
//! and tables phrkit does not map are counted in `ignored_elements` as `table:<name>`.
//! Assumed (unverified): record times are epoch milliseconds in `time` / `start_time` / `end_time`; the
//! offset is `zone_offset` (or `start_zone_offset` / `end_zone_offset`) in seconds; parents are joined to
//! child tables through `row_id` ↔ `parent_key`.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use super::{Buffered, Format, ReadOptions};
use crate::error::{Error, Location, Result};
use crate::policy::dedup::{HcCategory, HealthConnectPriorities};
use crate::record::{
    Coding, Effective, Kind, Measurement, MeasurementValue, Period, Record, SleepSession,
    SleepStage, SleepStageInterval, Source, Timestamp, Unit, Workout,
};
use crate::report::Report;

const FORMAT: &str = "Health Connect export";

/// The database entry's file name inside the export zip.
pub const DB_ENTRY: &str = "health_connect_export.db";

/// The user's app priority per data category (read by [`read_priorities_path`] for the dedup stage;
/// the record reader leaves it to that stage and reports it as an ignored table).
const PRIORITY_TABLE: &str = "health_data_category_priority_table";

/// Tables read as children of mapped parents, or metadata: not reported as ignored.
const SUPPORT_TABLES: [&str; 3] = [
    "application_info_table",
    "heart_rate_record_series_table",
    "sleep_stages_table",
];

/// How a plain one-value table maps: stored column, kind, stored → canonical factor, unit.
struct QuantityTable {
    table: &'static str,
    column: &'static str,
    kind: fn() -> Kind,
    factor: (i64, i64),
    unit: Unit,
}

fn total_calories_kind() -> Kind {
    // No built-in kind for total (active + basal) energy: LOINC 41981-2 "Calories burned".
    Kind::Other(Box::new(Coding::new("http://loinc.org", "41981-2")))
}

const QUANTITY_TABLES: [QuantityTable; 10] = [
    QuantityTable {
        table: "steps_record_table",
        column: "count",
        kind: || Kind::Steps,
        factor: (1, 1),
        unit: Unit::Steps,
    },
    QuantityTable {
        table: "distance_record_table",
        column: "distance",
        kind: || Kind::WalkingRunningDistance,
        factor: (1, 1),
        unit: Unit::Meter,
    },
    QuantityTable {
        table: "total_calories_burned_record_table",
        column: "energy",
        kind: total_calories_kind,
        factor: (1, 1000),
        unit: Unit::Kilocalorie,
    },
    QuantityTable {
        table: "active_calories_burned_record_table",
        column: "energy",
        kind: || Kind::ActiveEnergyBurned,
        factor: (1, 1000),
        unit: Unit::Kilocalorie,
    },
    QuantityTable {
        table: "weight_record_table",
        column: "weight",
        kind: || Kind::BodyWeight,
        factor: (1, 1000),
        unit: Unit::Kilogram,
    },
    QuantityTable {
        table: "height_record_table",
        column: "height",
        kind: || Kind::BodyHeight,
        factor: (100, 1),
        unit: Unit::Centimeter,
    },
    QuantityTable {
        table: "body_fat_record_table",
        column: "percentage",
        kind: || Kind::BodyFatPercentage,
        factor: (1, 1),
        unit: Unit::Percent,
    },
    // 1 W = 86,400 J/d ÷ 4,184 J/kcal.
    QuantityTable {
        table: "basal_metabolic_rate_record_table",
        column: "basal_metabolic_rate",
        kind: || Kind::BasalEnergyBurned,
        factor: (86_400, 4_184),
        unit: Unit::KilocaloriePerDay,
    },
    QuantityTable {
        table: "resting_heart_rate_record_table",
        column: "beats_per_minute",
        kind: || Kind::RestingHeartRate,
        factor: (1, 1),
        unit: Unit::PerMinute,
    },
    QuantityTable {
        table: "oxygen_saturation_record_table",
        column: "percentage",
        kind: || Kind::OxygenSaturation,
        factor: (1, 1),
        unit: Unit::Percent,
    },
];

/// Reads a Health Connect export database file.
pub(crate) fn read_db_path(path: &Path, opts: &ReadOptions) -> Result<Buffered> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|_| db_error("cannot open database"))?;
    let mut report = Report::default();
    let records = Db::new(&conn, opts, &mut report)?.read_all()?;
    Ok(Buffered {
        records,
        report,
        format: Format::HealthConnectZip,
    })
}

/// Reads `Health Connect.zip`: the database entry is found by name (checked against the archive limits
/// and path rules), extracted to a temporary file (SQLite needs a file) that is deleted afterwards.
pub(crate) fn open_zip<R: Read + Seek, S: Read + Seek>(
    reader: R,
    second: S,
    opts: &ReadOptions,
) -> Result<Buffered> {
    let (tmp, mut report, name) = extract_db(reader, second, opts)?;
    let mut out = read_db_path(tmp.path(), opts).map_err(|e| e.in_zip_entry(&name))?;
    report.merge(std::mem::take(&mut out.report));
    out.report = report;
    Ok(out)
}

/// Extracts the database entry of the zip to a temporary file; returns it with the archive report and
/// the entry name.
fn extract_db<R: Read + Seek, S: Read + Seek>(
    reader: R,
    second: S,
    opts: &ReadOptions,
) -> Result<(tempfile::NamedTempFile, Report, String)> {
    let mut report = Report::default();
    let limits = opts.limits.archive;
    let entry = super::container::find_named_entry(reader, &limits, &mut report, |n| {
        n.rsplit('/').next() == Some(DB_ENTRY)
    })?
    .ok_or_else(|| db_error("zip holds no health_connect_export.db"))?;
    let mut tmp = tempfile::NamedTempFile::new()?;
    let mut stream = super::container::open_entry(second, &entry, &limits)?;
    std::io::copy(&mut stream, tmp.as_file_mut()).map_err(|e| {
        super::container::map_io_error(&e)
            .unwrap_or_else(|| Error::from(e))
            .in_zip_entry(&entry.name)
    })?;
    Ok((tmp, report, entry.name))
}

/// Reads the user's per-category app priority (`health_data_category_priority_table`, app ids resolved
/// through `application_info_table`) from a Health Connect export: the bare database or the zip.
///
/// The table's schema is single-source (unverified): the category column is `health_data_category` (or
/// `category`), the order column `app_id_priority_order`, a comma-separated list of
/// `application_info_table` row ids, highest priority first. An absent table gives empty lists with
/// `table_found == false`; rows that cannot be read are left out, undefined categories and unknown app
/// ids are counted in the result (the dedup stage reports them).
pub fn read_priorities_path(path: &Path, opts: &ReadOptions) -> Result<HealthConnectPriorities> {
    let mut head = [0u8; 16];
    let n = std::io::Read::read(&mut std::fs::File::open(path)?, &mut head)?;
    if super::is_sqlite(&head[..n]) {
        return priorities_of_db(path);
    }
    let first = std::io::BufReader::new(std::fs::File::open(path)?);
    let (tmp, _, name) = extract_db(first, std::fs::File::open(path)?, opts)?;
    priorities_of_db(tmp.path()).map_err(|e| e.in_zip_entry(&name))
}

/// [`read_priorities_path`] over bytes in memory (copied to a temporary file: SQLite reads files).
pub fn read_priorities_slice(bytes: &[u8], opts: &ReadOptions) -> Result<HealthConnectPriorities> {
    let mut tmp = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(tmp.as_file_mut(), bytes)?;
    read_priorities_path(tmp.path(), opts)
}

fn priorities_of_db(path: &Path) -> Result<HealthConnectPriorities> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|_| db_error("cannot open database"))?;
    let mut report = Report::default();
    let mut db = Db::new(&conn, &ReadOptions::default(), &mut report)?;
    db.read_sources()?;
    db.priorities()
}

fn db_error(reason: &str) -> Error {
    Error::format(FORMAT, Location::None, reason)
}

fn sql_error(_: rusqlite::Error) -> Error {
    db_error("database could not be read (corrupt or not a Health Connect export)")
}

struct Db<'c> {
    conn: &'c Connection,
    strict: bool,
    report: &'c mut Report,
    tables: BTreeSet<String>,
    sources: HashMap<i64, Arc<Source>>,
    out: VecDeque<Record>,
}

/// One row read by column name.
type Row = HashMap<String, Value>;

impl<'c> Db<'c> {
    fn new(conn: &'c Connection, opts: &ReadOptions, report: &'c mut Report) -> Result<Db<'c>> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .map_err(sql_error)?;
        let tables = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql_error)?
            .collect::<std::result::Result<BTreeSet<_>, _>>()
            .map_err(sql_error)?;
        Ok(Db {
            conn,
            strict: opts.strict,
            report,
            tables,
            sources: HashMap::new(),
            out: VecDeque::new(),
        })
    }

    fn read_all(mut self) -> Result<VecDeque<Record>> {
        self.read_sources()?;
        for t in &QUANTITY_TABLES {
            self.read_quantities(t)?;
        }
        self.read_blood_pressure()?;
        self.read_heart_rate()?;
        self.read_sleep()?;
        self.read_exercise()?;
        let known: Vec<&str> = QUANTITY_TABLES.iter().map(|t| t.table).collect();
        for t in &self.tables {
            let mapped = known.contains(&t.as_str())
                || SUPPORT_TABLES.contains(&t.as_str())
                || [
                    "blood_pressure_record_table",
                    "heart_rate_record_table",
                    "sleep_session_record_table",
                    "exercise_session_record_table",
                ]
                .contains(&t.as_str());
            if !mapped && !t.starts_with("sqlite_") {
                self.report.ignore_element(&format!("table:{t}"));
            }
        }
        Ok(self.out)
    }

    fn rows(&self, table: &str) -> Result<Vec<Row>> {
        if !self.tables.contains(table) {
            return Ok(Vec::new());
        }
        // Table names come from the fixed lists above, never from the input.
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .map_err(sql_error)?;
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let rows = stmt
            .query_map([], |r| {
                let mut row = Row::new();
                for (i, n) in names.iter().enumerate() {
                    row.insert(n.clone(), r.get::<_, Value>(i)?);
                }
                Ok(row)
            })
            .map_err(sql_error)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(sql_error)
    }

    fn read_sources(&mut self) -> Result<()> {
        for row in self.rows("application_info_table")? {
            let (Some(id), Some(Value::Text(pkg))) =
                (int(&row, &["row_id", "id"]), row.get("package_name"))
            else {
                continue;
            };
            self.sources.insert(
                id,
                Arc::new(Source {
                    name: Some(pkg.clone()),
                    ..Source::default()
                }),
            );
        }
        Ok(())
    }

    /// The priority table as package lists per category (see [`read_priorities_path`]).
    fn priorities(&self) -> Result<HealthConnectPriorities> {
        let mut out = HealthConnectPriorities {
            table_found: self.tables.contains(PRIORITY_TABLE),
            ..HealthConnectPriorities::default()
        };
        for row in self.rows(PRIORITY_TABLE)? {
            let Some(code) = int(&row, &["health_data_category", "category"]) else {
                continue;
            };
            let Some(category) = HcCategory::from_code(code) else {
                out.unknown_categories.push(code);
                continue;
            };
            let Some(Value::Text(order)) = row.get("app_id_priority_order") else {
                continue;
            };
            let mut list = Vec::new();
            for id in order
                .split(',')
                .filter_map(|t| t.trim().parse::<i64>().ok())
            {
                match self.sources.get(&id).and_then(|s| s.name.clone()) {
                    Some(pkg) if !list.contains(&pkg) => list.push(pkg),
                    Some(_) => {}
                    None => out.unknown_app_ids += 1,
                }
            }
            out.by_category.insert(category, list);
        }
        Ok(out)
    }

    fn skip(&mut self, table: &str, index: usize, reason: &str, why: &str) -> Result<()> {
        if self.strict {
            return Err(Error::format(
                FORMAT,
                Location::None,
                format!("{table} row {index}: {why}"),
            ));
        }
        self.report.skip(
            reason,
            Location::None,
            format!("{table} row {index}: {why}"),
        );
        Ok(())
    }

    fn push(&mut self, m: Measurement, row: &Row) {
        let m = match int(row, &["app_info_id"]).and_then(|id| self.sources.get(&id)) {
            Some(s) => m.with_source(Arc::clone(s)),
            None => m,
        };
        let rec = Record::Measurement(m);
        self.report.converted(&rec.type_name());
        self.out.push_back(rec);
    }

    fn read_quantities(&mut self, t: &QuantityTable) -> Result<()> {
        for (i, row) in self.rows(t.table)?.into_iter().enumerate() {
            self.report.items_read += 1;
            let Some(eff) = effective(&row) else {
                self.skip(t.table, i, "hc-time", "missing or invalid time")?;
                continue;
            };
            let Some(v) = decimal(row.get(t.column)).and_then(|v| scale(v, t.factor)) else {
                self.skip(t.table, i, "hc-value", "missing or non-numeric value")?;
                continue;
            };
            match Measurement::quantity((t.kind)(), eff, v, t.unit) {
                Ok(m) => self.push(m, &row),
                Err(_) => self.skip(t.table, i, "invalid-record", "value out of range")?,
            }
        }
        Ok(())
    }

    fn read_blood_pressure(&mut self) -> Result<()> {
        let table = "blood_pressure_record_table";
        for (i, row) in self.rows(table)?.into_iter().enumerate() {
            self.report.items_read += 1;
            let sys = decimal(row.get("systolic"));
            let dia = decimal(row.get("diastolic"));
            let (Some(eff), Some(sys), Some(dia)) = (effective(&row), sys, dia) else {
                self.skip(table, i, "hc-value", "missing time, systolic or diastolic")?;
                continue;
            };
            match Measurement::blood_pressure(eff, sys, dia) {
                Ok(m) => self.push(m, &row),
                Err(_) => self.skip(table, i, "invalid-record", "blood pressure out of range")?,
            }
        }
        Ok(())
    }

    /// Parent rows by `row_id`, with their offset and source row.
    fn parents(&self, table: &str) -> Result<HashMap<i64, Row>> {
        Ok(self
            .rows(table)?
            .into_iter()
            .filter_map(|r| int(&r, &["row_id", "id"]).map(|k| (k, r)))
            .collect())
    }

    /// One measurement per heart-rate sample; the parent series row carries offset and source.
    fn read_heart_rate(&mut self) -> Result<()> {
        let parents = self.parents("heart_rate_record_table")?;
        let table = "heart_rate_record_series_table";
        for (i, row) in self.rows(table)?.into_iter().enumerate() {
            self.report.items_read += 1;
            let parent = int(&row, &["parent_key"]).and_then(|k| parents.get(&k));
            let Some(parent) = parent else {
                self.skip(table, i, "hc-orphan", "sample without its series row")?;
                continue;
            };
            let time = int(&row, &["epoch_millis"])
                .and_then(|ms| at(ms, offset(parent, &["start_zone_offset", "zone_offset"])));
            let (Some(t), Some(bpm)) = (time, decimal(row.get("beats_per_minute"))) else {
                self.skip(table, i, "hc-value", "missing time or beats per minute")?;
                continue;
            };
            match Measurement::quantity(
                Kind::HeartRate,
                Effective::Instant(t),
                bpm,
                Unit::PerMinute,
            ) {
                Ok(m) => self.push(m, parent),
                Err(_) => self.skip(table, i, "invalid-record", "heart rate out of range")?,
            }
        }
        Ok(())
    }

    fn read_sleep(&mut self) -> Result<()> {
        let table = "sleep_session_record_table";
        let mut stages: HashMap<i64, Vec<Row>> = HashMap::new();
        for r in self.rows("sleep_stages_table")? {
            if let Some(k) = int(&r, &["parent_key"]) {
                stages.entry(k).or_default().push(r);
            }
        }
        for (i, row) in self.rows(table)?.into_iter().enumerate() {
            self.report.items_read += 1;
            let off = offset(&row, &["start_zone_offset", "zone_offset"]);
            let key = int(&row, &["row_id", "id"]);
            let intervals: Option<Vec<SleepStageInterval>> = key
                .and_then(|k| stages.get(&k))
                .map(|v| v.iter().map(|s| stage(s, off)).collect::<Option<Vec<_>>>())
                .unwrap_or(Some(Vec::new()));
            let (Some(eff), Some(mut intervals)) = (effective(&row), intervals) else {
                self.skip(
                    table,
                    i,
                    "hc-value",
                    "missing session time or invalid stage",
                )?;
                continue;
            };
            if intervals.is_empty() {
                // A session without stages: the whole session, stage unknown.
                let (Some(s), Some(e)) = (eff.start(), eff.end()) else {
                    self.skip(table, i, "hc-value", "session without an interval")?;
                    continue;
                };
                if let Ok(p) = Period::new(*s, *e) {
                    intervals.push(SleepStageInterval {
                        stage: SleepStage::InBed,
                        period: p,
                    });
                }
            }
            intervals.sort_by_key(|s| *s.period.start());
            let m = SleepSession::new(intervals).and_then(|s| {
                Measurement::new(Kind::SleepSession, eff, MeasurementValue::Sleep(s))
            });
            match m {
                Ok(m) => self.push(m, &row),
                Err(_) => self.skip(table, i, "invalid-record", "invalid sleep session")?,
            }
        }
        Ok(())
    }

    fn read_exercise(&mut self) -> Result<()> {
        let table = "exercise_session_record_table";
        for (i, row) in self.rows(table)?.into_iter().enumerate() {
            self.report.items_read += 1;
            let Some(eff) = effective(&row) else {
                self.skip(table, i, "hc-time", "missing or invalid time")?;
                continue;
            };
            let activity = match int(&row, &["exercise_type"]) {
                Some(t) => format!("health-connect:{t}"),
                None => "health-connect:unknown".to_owned(),
            };
            let duration = match &eff {
                Effective::Period(p) => Some(crate::record::Quantity::new(
                    Decimal::from(p.duration().num_seconds()) / Decimal::from(60),
                    Unit::Minute,
                )),
                _ => None,
            };
            let w = Workout {
                activity,
                duration,
                energy: None,
                distance: None,
            };
            match Measurement::new(Kind::Workout, eff, MeasurementValue::Workout(w)) {
                Ok(m) => self.push(m, &row),
                Err(_) => self.skip(table, i, "invalid-record", "invalid exercise session")?,
            }
        }
        Ok(())
    }
}

/// The stage enum of spec §2.2; unknown (0) and unlisted values become "in bed" (inside the session, stage
/// not known) rather than guessed as sleep.
fn stage_of(code: i64) -> SleepStage {
    match code {
        1 | 7 => SleepStage::Awake,
        2 => SleepStage::AsleepUnspecified,
        3 => SleepStage::OutOfBed,
        4 => SleepStage::Core,
        5 => SleepStage::Deep,
        6 => SleepStage::Rem,
        _ => SleepStage::InBed,
    }
}

fn stage(row: &Row, off: i32) -> Option<SleepStageInterval> {
    let s = at(int(row, &["stage_start_time"])?, off)?;
    let e = at(int(row, &["stage_end_time"])?, off)?;
    Some(SleepStageInterval {
        stage: stage_of(int(row, &["stage_type"]).unwrap_or(0)),
        period: Period::new(s, e).ok()?,
    })
}

fn int(row: &Row, names: &[&str]) -> Option<i64> {
    names.iter().find_map(|n| match row.get(*n) {
        Some(Value::Integer(i)) => Some(*i),
        _ => None,
    })
}

fn decimal(v: Option<&Value>) -> Option<Decimal> {
    match v? {
        Value::Integer(i) => Some(Decimal::from(*i)),
        Value::Real(f) => Decimal::from_f64(*f).map(|d| d.normalize()),
        _ => None,
    }
}

fn scale(v: Decimal, (num, den): (i64, i64)) -> Option<Decimal> {
    let r = v
        .checked_mul(Decimal::from(num))?
        .checked_div(Decimal::from(den))?;
    Some(
        r.round_dp(crate::record::convert::DIVISION_DECIMALS)
            .normalize(),
    )
}

/// Offset in seconds from the first present column; 0 (UTC) when absent, out of range → UTC as well.
fn offset(row: &Row, names: &[&str]) -> i32 {
    int(row, names)
        .and_then(|s| i32::try_from(s).ok())
        .filter(|s| s.abs() < 86_400)
        .unwrap_or(0)
}

fn at(millis: i64, off: i32) -> Option<Timestamp> {
    let utc = DateTime::from_timestamp_millis(millis)?;
    Some(utc.with_timezone(&FixedOffset::east_opt(off)?))
}

/// Instant rows (`time`) or interval rows (`start_time`, `end_time`), each end with its own offset.
fn effective(row: &Row) -> Option<Effective> {
    if let Some(t) = int(row, &["time"]) {
        return Some(Effective::Instant(at(t, offset(row, &["zone_offset"]))?));
    }
    let s = at(
        int(row, &["start_time"])?,
        offset(row, &["start_zone_offset", "zone_offset"]),
    )?;
    let e = at(
        int(row, &["end_time"])?,
        offset(row, &["end_zone_offset", "zone_offset"]),
    )?;
    Effective::from_bounds(s, e).ok()
}
