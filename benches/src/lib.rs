//! Shared input generators for phrkit's criterion benches. Deterministic: the same seed gives the same
//! records, so numbers in BENCHMARKS.md are reproducible. All data is synthetic.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration};
use phrkit::record::{
    Decimal, Effective, Kind, Measurement, Period, Record, Source, SourceDevice, Subject, Unit,
};

/// `n` vital-sign and activity measurements (heart rate, blood pressure, SpO2, weight, steps) for one
/// synthetic person, from two sources.
pub fn vital_sign_records(n: usize) -> Vec<Record> {
    let watch = Arc::new(Source {
        name: Some("Synthetic Watch".into()),
        version: Some("10.2".into()),
        device: Some(SourceDevice {
            manufacturer: Some("Apple Inc.".into()),
            model: Some("Watch".into()),
            ..SourceDevice::default()
        }),
    });
    let cuff = Arc::new(Source {
        name: Some("Synthetic BP cuff".into()),
        version: Some("5.2".into()),
        device: None,
    });
    let start = DateTime::parse_from_rfc3339("2025-01-01T07:00:00+09:00")
        .unwrap_or_else(|_| unreachable!());
    let mut out = Vec::with_capacity(n + 1);
    out.push(Record::from(Subject {
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 4, 1),
        ..Subject::default()
    }));
    for i in 0..n {
        let t = start + Duration::minutes(i as i64 * 7);
        let inst = Effective::Instant(t);
        let m = match i % 5 {
            0 => Measurement::quantity(
                Kind::HeartRate,
                inst,
                Decimal::from(55 + (i % 40) as i64),
                Unit::PerMinute,
            ),
            1 => Measurement::blood_pressure(
                inst,
                Decimal::from(110 + (i % 30) as i64),
                Decimal::from(70 + (i % 15) as i64),
            ),
            2 => Measurement::quantity(
                Kind::OxygenSaturation,
                inst,
                Decimal::from(94 + (i % 6) as i64),
                Unit::Percent,
            ),
            3 => Measurement::quantity(
                Kind::BodyWeight,
                inst,
                Decimal::new(5000 + (i % 500) as i64, 2),
                Unit::Kilogram,
            ),
            _ => {
                let p = Period::new(t, t + Duration::minutes(5)).unwrap_or_else(|_| unreachable!());
                Measurement::quantity(
                    Kind::Steps,
                    Effective::Period(p),
                    Decimal::from((i % 900) as i64),
                    Unit::Steps,
                )
            }
        };
        let Ok(m) = m else { unreachable!() };
        let src = if i % 5 == 1 {
            cuff.clone()
        } else {
            watch.clone()
        };
        out.push(Record::Measurement(m.with_source(src)));
    }
    out
}

/// Parses a decimal for bench setup code.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// The synthetic Apple Health export generator (also the `gen_apple` binary).
pub mod cpu_time;
pub mod gen_apple;
