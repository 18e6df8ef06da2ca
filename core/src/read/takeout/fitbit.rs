//! Fitbit legacy Takeout files (`Takeout/Fitbit/Global Export Data/*.json`): top-level arrays, one item
//! per entry.
//!
//! **Times carry no zone.** They are read as UTC, which is widely reported but unverified (spec §3), and
//! every file gets an info issue `fitbit-time-assumed-utc` saying so. Sleep logs use ISO local-looking
//! times (`2019-04-21T23:10:30.000`); the Fitbit Web API documents sleep times as the user's local time,
//! so for sleep the UTC reading is even less certain (unverified either way).
//!
//! **Weight unit** (`weight-YYYY-MM-DD.json`: `logId`, `weight`, `bmi`, optional `fat` %, `date`
//! `MM/DD/YY`, `time`, `source`): the file states no unit. One public description shows pounds for a US
//! account (single source); the Web API returns "localized" units, so the unit plausibly follows the
//! account setting (unverified). The unit is therefore inferred per entry from the BMI: the height the
//! BMI implies (`√(kg / BMI)`) must be a plausible adult height (1.3–2.3 m) for exactly one reading (kg
//! or lb); pounds are converted to kg (exact factor). Entries without a BMI, or where both or neither
//! reading is plausible, are read as kilograms and flagged (warning `fitbit-weight-unit-assumed`);
//! inferred ones give an info issue `fitbit-weight-unit-inferred`. Each record keeps the decision in
//! metadata `fitbitWeightUnit`. BMI (kg/m2) and body fat (%) become their own measurements.
//!
//! **Sleep** (`sleep-YYYY-MM-DD.json`): each log becomes one sleep session (item `sleepEpisode`) over
//! `startTime`–`endTime`, with one stage per `levels.data[]` and `levels.shortData[]` entry
//! (`dateTime` + `seconds`). Levels map onto phrkit's stage enum (spec §6.2): `deep` → deep, `light` →
//! core/light, `rem` → REM, `wake` → awake; classic logs: `asleep` → asleep (unspecified), `awake` →
//! awake, `restless` → awake (Fitbit's own `minutesAsleep` leaves restless minutes out; unverified).
//! `shortData` holds short wakes (≤ 3 min) that overlap the main stages; they are kept as awake stages
//! (overlaps are allowed, asleep time is a union). A log without stages gets one in-bed stage over the
//! whole session, like Health Connect sessions without stages.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::{bad, decimal, ptr, utc, Outcome, TakeoutReader};
use crate::error::{Error, Result};
use crate::read::ReadOptions;
use crate::record::convert::to_preferred;
use crate::record::{
    Effective, Kind, Measurement, MeasurementValue, Period, Quantity, SleepSession, SleepStage,
    SleepStageInterval, Source, Unit,
};
use crate::report::{Report, Severity};

/// Plausible adult height range, in metres, used to tell kilograms from pounds through the BMI.
const PLAUSIBLE_HEIGHT_M: std::ops::RangeInclusive<f64> = 1.3..=2.3;

/// Longest stage accepted (a stage longer than a day is a broken entry, not a night).
const MAX_STAGE_SECONDS: i64 = 24 * 3600;

/// How the weight unit of one entry was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnitChoice {
    Kilograms,
    Pounds,
    /// Not decidable from the BMI: read as kilograms.
    AssumedKilograms,
}

impl UnitChoice {
    fn label(self) -> &'static str {
        match self {
            UnitChoice::Kilograms => "kg (inferred from BMI)",
            UnitChoice::Pounds => "lb (inferred from BMI)",
            UnitChoice::AssumedKilograms => "kg (assumed)",
        }
    }
}

/// Which unit decisions a file needed, reported once per file.
#[derive(Default)]
struct UnitNotes {
    inferred: bool,
    assumed: bool,
}

impl UnitNotes {
    fn note(&mut self, c: UnitChoice) {
        match c {
            UnitChoice::AssumedKilograms => self.assumed = true,
            _ => self.inferred = true,
        }
    }

    fn report(&self, report: &mut Report) {
        if self.inferred {
            report.issue(
                Severity::Info,
                "fitbit-weight-unit-inferred",
                ptr(""),
                "Fitbit weight logs state no unit; kg or lb was chosen by the height the BMI implies",
            );
        }
        if self.assumed {
            report.issue(
                Severity::Warning,
                "fitbit-weight-unit-assumed",
                ptr(""),
                "Fitbit weight unit could not be inferred from the BMI for some logs; read as kg (unverified)",
            );
        }
    }
}

impl TakeoutReader {
    pub(super) fn fitbit(
        &mut self,
        entries: &[Value],
        opts: &ReadOptions,
        name: Option<&str>,
    ) -> Result<()> {
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
        let mut notes = UnitNotes::default();
        for (i, entry) in entries.iter().enumerate() {
            let p = format!("/{i}");
            let r = fitbit_entry(entry, &p, steps_file, &mut notes).map(|o| match o {
                Outcome::Records(t, ms) => Outcome::Records(
                    t,
                    ms.into_iter()
                        .map(|m| m.with_source(Arc::clone(&source)))
                        .collect(),
                ),
                other => other,
            });
            self.settle(r, opts.strict, &p)?;
        }
        notes.report(&mut self.report);
        Ok(())
    }
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

/// `2019-04-21T23:10:30.000`, no zone → UTC (assumed, see the module doc).
fn iso_time(v: Option<&Value>, p: &str) -> Result<DateTime<FixedOffset>> {
    let Some(Value::String(s)) = v else {
        return Err(bad(p, "missing time"));
    };
    let naive: NaiveDateTime = s
        .trim()
        .parse()
        .map_err(|_| bad(p, "time is not YYYY-MM-DDTHH:MM:SS[.fff]"))?;
    Ok(naive.and_utc().with_timezone(&utc()))
}

fn invalid(p: &str) -> impl Fn(crate::record::RecordError) -> Error + '_ {
    move |e| Error::invalid_record(ptr(p), e)
}

fn fitbit_entry(
    entry: &Value,
    p: &str,
    steps_file: bool,
    notes: &mut UnitNotes,
) -> Result<Outcome> {
    let Some(o) = entry.as_object() else {
        return Err(bad(p, "entry is not an object"));
    };
    if o.contains_key("dateOfSleep") || o.contains_key("levels") {
        return sleep_log(o, p);
    }
    if o.contains_key("logId") && o.contains_key("weight") {
        return weight_log(o, p, notes);
    }
    let vp = format!("{p}/value");
    let q = |kind, eff, v, unit| {
        Measurement::quantity(kind, eff, v, unit)
            .map(Outcome::one)
            .map_err(invalid(p))
    };
    match o.get("value") {
        Some(Value::Object(v)) if v.contains_key("bpm") => {
            let at = fitbit_time(o.get("dateTime"), &format!("{p}/dateTime"))?;
            let bpm = decimal(v.get("bpm").unwrap_or(&Value::Null), &format!("{vp}/bpm"))?;
            q(
                Kind::HeartRate,
                Effective::Instant(at),
                bpm,
                Unit::PerMinute,
            )
        }
        Some(Value::Object(v)) if v.contains_key("date") && v.contains_key("value") => {
            // Resting heart rate is a daily value: its own `date` (MM/DD/YY) is the effective date.
            let date = fitbit_date(v.get("date"), &format!("{vp}/date"))?;
            let rate = decimal(
                v.get("value").unwrap_or(&Value::Null),
                &format!("{vp}/value"),
            )?;
            q(
                Kind::RestingHeartRate,
                Effective::Date(date),
                rate,
                Unit::PerMinute,
            )
        }
        Some(v @ (Value::String(_) | Value::Number(_))) if steps_file => {
            let at = fitbit_time(o.get("dateTime"), &format!("{p}/dateTime"))?;
            let n = decimal(v, &vp)?;
            q(Kind::Steps, Effective::Instant(at), n, Unit::Steps)
        }
        Some(_) => Ok(Outcome::Unsupported),
        None => Err(bad(&vp, "entry without a value")),
    }
}

fn fitbit_date(v: Option<&Value>, p: &str) -> Result<NaiveDate> {
    match v {
        Some(Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%m/%d/%y")
            .map_err(|_| bad(p, "date is not MM/DD/YY")),
        _ => Err(bad(p, "missing date")),
    }
}

/// Kilograms or pounds, by the height the BMI implies for each reading (see the module doc).
fn choose_unit(weight: Decimal, bmi: Option<Decimal>) -> UnitChoice {
    let (Some(w), Some(b)) = (weight.to_f64(), bmi.and_then(|b| b.to_f64())) else {
        return UnitChoice::AssumedKilograms;
    };
    if !(w > 0.0 && b > 0.0) {
        return UnitChoice::AssumedKilograms;
    }
    let as_kg = (w / b).sqrt();
    let as_lb = (w * 0.453_592_37 / b).sqrt();
    match (
        PLAUSIBLE_HEIGHT_M.contains(&as_kg),
        PLAUSIBLE_HEIGHT_M.contains(&as_lb),
    ) {
        (true, false) => UnitChoice::Kilograms,
        (false, true) => UnitChoice::Pounds,
        _ => UnitChoice::AssumedKilograms,
    }
}

fn optional_decimal(o: &Map<String, Value>, key: &str, p: &str) -> Result<Option<Decimal>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decimal(v, &format!("{p}/{key}")).map(Some),
    }
}

/// A weight log → body weight (kg), plus BMI and body fat when present: one item.
fn weight_log(o: &Map<String, Value>, p: &str, notes: &mut UnitNotes) -> Result<Outcome> {
    let date = fitbit_date(o.get("date"), &format!("{p}/date"))?;
    let effective = match o.get("time") {
        None | Some(Value::Null) => Effective::Date(date),
        Some(Value::String(t)) => {
            let time = NaiveTime::parse_from_str(t.trim(), "%H:%M:%S")
                .map_err(|_| bad(&format!("{p}/time"), "time is not HH:MM:SS"))?;
            let at = date.and_time(time).and_utc().with_timezone(&utc());
            Effective::Instant(at)
        }
        Some(_) => return Err(bad(&format!("{p}/time"), "time is not a string")),
    };
    let weight = decimal(
        o.get("weight").unwrap_or(&Value::Null),
        &format!("{p}/weight"),
    )?;
    let bmi = optional_decimal(o, "bmi", p)?;
    let fat = optional_decimal(o, "fat", p)?;
    let choice = choose_unit(weight, bmi);
    notes.note(choice);
    let unit = match choice {
        UnitChoice::Pounds => Unit::Pound,
        _ => Unit::Kilogram,
    };
    let kg = to_preferred(Quantity::new(weight, unit));
    let mut out = vec![Measurement::new(
        Kind::BodyWeight,
        effective.clone(),
        MeasurementValue::Quantity(kg),
    )
    .map_err(invalid(p))?];
    out[0].push_metadata("fitbitWeightUnit", choice.label());
    if let Some(bmi) = bmi {
        out.push(
            Measurement::quantity(
                Kind::BodyMassIndex,
                effective.clone(),
                bmi,
                Unit::KilogramPerSquareMeter,
            )
            .map_err(invalid(p))?,
        );
    }
    if let Some(fat) = fat {
        out.push(
            Measurement::quantity(Kind::BodyFatPercentage, effective, fat, Unit::Percent)
                .map_err(invalid(p))?,
        );
    }
    let id = log_id(o);
    let source_name = o.get("source").and_then(Value::as_str);
    let out = out
        .into_iter()
        .map(|mut m| {
            if let Some(s) = source_name {
                m.push_metadata("fitbitSource", s);
            }
            match &id {
                Some(id) => m.with_identifier(id.clone()),
                None => m,
            }
        })
        .collect();
    Ok(Outcome::Records("fitbitWeightLog", out))
}

fn log_id(o: &Map<String, Value>) -> Option<String> {
    match o.get("logId") {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn level(name: &str) -> Option<SleepStage> {
    Some(match name {
        "deep" => SleepStage::Deep,
        "light" => SleepStage::Core,
        "rem" => SleepStage::Rem,
        "wake" | "awake" | "restless" => SleepStage::Awake,
        "asleep" => SleepStage::AsleepUnspecified,
        _ => return None,
    })
}

/// One `levels.data[]` / `levels.shortData[]` entry.
fn stage(v: &Value, p: &str) -> Result<SleepStageInterval> {
    let start = iso_time(v.get("dateTime"), &format!("{p}/dateTime"))?;
    let lp = format!("{p}/level");
    let stage = v
        .get("level")
        .and_then(Value::as_str)
        .and_then(level)
        .ok_or_else(|| bad(&lp, "not a Fitbit sleep level"))?;
    let sp = format!("{p}/seconds");
    let secs = decimal(v.get("seconds").unwrap_or(&Value::Null), &sp)?;
    let secs = secs
        .to_i64()
        .filter(|s| secs.fract().is_zero() && (0..=MAX_STAGE_SECONDS).contains(s))
        .ok_or_else(|| bad(&sp, "not a whole number of seconds within a day"))?;
    let end = start
        .checked_add_signed(TimeDelta::seconds(secs))
        .ok_or_else(|| bad(&sp, "stage ends out of range"))?;
    let period = Period::new(start, end).map_err(invalid(p))?;
    Ok(SleepStageInterval { stage, period })
}

/// A sleep log → one sleep session with its stages.
fn sleep_log(o: &Map<String, Value>, p: &str) -> Result<Outcome> {
    let start = iso_time(o.get("startTime"), &format!("{p}/startTime"))?;
    let end = iso_time(o.get("endTime"), &format!("{p}/endTime"))?;
    let session = Period::new(start, end).map_err(invalid(p))?;
    let mut stages = Vec::new();
    for key in ["data", "shortData"] {
        let kp = format!("{p}/levels/{key}");
        match o.get("levels").and_then(|l| l.get(key)) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    stages.push(stage(v, &format!("{kp}/{i}"))?);
                }
            }
            Some(_) => return Err(bad(&kp, "expected an array of stages")),
        }
    }
    if stages.is_empty() {
        stages.push(SleepStageInterval {
            stage: SleepStage::InBed,
            period: session.clone(),
        });
    }
    stages.sort_by_key(|s| *s.period.start());
    let value = MeasurementValue::Sleep(SleepSession::new(stages).map_err(invalid(p))?);
    let mut m = Measurement::new(Kind::SleepSession, Effective::Period(session), value)
        .map_err(invalid(p))?;
    for key in ["dateOfSleep", "type", "mainSleep", "minutesAsleep"] {
        match o.get(key) {
            Some(Value::String(s)) => m.push_metadata(key, s.as_str()),
            Some(v @ (Value::Bool(_) | Value::Number(_))) => m.push_metadata(key, v.to_string()),
            _ => {}
        }
    }
    if let Some(id) = log_id(o) {
        m = m.with_identifier(id);
    }
    Ok(Outcome::Records("sleepEpisode", vec![m]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn bmi_tells_kilograms_from_pounds_only_when_one_reading_is_plausible() {
        // 58.25 kg at BMI 21.4 → 1.65 m; as pounds it would be 1.11 m.
        assert_eq!(
            choose_unit(d("58.25"), Some(d("21.4"))),
            UnitChoice::Kilograms
        );
        // 165.3 at BMI 23.72 → 2.64 m as kg, 1.78 m as lb.
        assert_eq!(
            choose_unit(d("165.3"), Some(d("23.72"))),
            UnitChoice::Pounds
        );
        // 90 at BMI 22 → 2.02 m as kg, 1.36 m as lb: both plausible, so assumed.
        assert_eq!(
            choose_unit(d("90"), Some(d("22"))),
            UnitChoice::AssumedKilograms
        );
        assert_eq!(choose_unit(d("60"), None), UnitChoice::AssumedKilograms);
        assert_eq!(
            choose_unit(d("60"), Some(d("0"))),
            UnitChoice::AssumedKilograms
        );
        assert_eq!(
            choose_unit(d("0"), Some(d("20"))),
            UnitChoice::AssumedKilograms
        );
    }

    #[test]
    fn fitbit_levels_map_onto_the_unified_stages() {
        assert_eq!(level("light"), Some(SleepStage::Core));
        assert_eq!(level("restless"), Some(SleepStage::Awake));
        assert_eq!(level("asleep"), Some(SleepStage::AsleepUnspecified));
        assert_eq!(level("Deep"), None);
    }
}
