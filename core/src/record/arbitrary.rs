//! proptest strategies for every record kind (feature `arbitrary`), shared by round-trip tests and fuzzing.
//!
//! Strategies produce only *valid* records (the constructors are the judges), with the normalisations the
//! constructors and FHIR imply: names and identifiers without surrounding whitespace, sources whose device
//! is either absent or has at least one field.

// Test-support code: every unwrap below follows a construction that cannot fail (ordered bounds, valid
// calendar ranges), and a failure would be a bug in the strategy, surfaced by the test that uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

/// Any timestamp between 2000 and 2040 with a quarter-hour offset, with or without milliseconds.
pub fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        946_684_800i64..2_208_988_800i64,
        -48i32..=56,
        prop::bool::ANY,
        0u32..1000,
    )
        .prop_map(|(secs, q, ms, millis)| {
            let offset = FixedOffset::east_opt(q * 900)
                .unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
            let nanos = if ms { millis * 1_000_000 } else { 0 };
            offset
                .timestamp_opt(secs, nanos)
                .single()
                .unwrap_or_else(|| offset.timestamp_opt(secs, 0).unwrap())
        })
}

fn effective() -> impl Strategy<Value = Effective> {
    prop_oneof![
        timestamp().prop_map(Effective::Instant),
        (timestamp(), 1i64..86_400).prop_map(|(s, d)| {
            let e = s + chrono::Duration::seconds(d);
            Effective::Period(Period::new(s, e).unwrap())
        }),
        (2000i32..2040, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| Effective::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())),
    ]
}

fn decimal(max_units: i64, scale: u32, whole: bool) -> impl Strategy<Value = Decimal> {
    (0i64..max_units, 0u32..=scale).prop_map(move |(n, s)| {
        if whole {
            Decimal::from(n)
        } else {
            Decimal::new(n, s)
        }
    })
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9あ-んア-ン漢字 '\"\\\\/<>&.-]{1,12}"
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn source() -> impl Strategy<Value = Option<Arc<Source>>> {
    let device = (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(name, manufacturer, model, hardware, software)| SourceDevice {
                name,
                manufacturer,
                model,
                hardware,
                software,
            },
        )
        .prop_filter("device with at least one field", |d| {
            *d != SourceDevice::default()
        });
    proptest::option::of(
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(device),
        )
            .prop_map(|(name, version, device)| {
                Arc::new(Source {
                    name,
                    version,
                    device,
                })
            }),
    )
}

fn quantity_measurement() -> impl Strategy<Value = Measurement> {
    let rows: Vec<&'static KindInfo> = KIND_TABLE
        .iter()
        .filter(|r| matches!(r.shape, Shape::Quantity { .. }))
        .collect();
    (
        prop::sample::select(rows),
        prop::num::usize::ANY,
        effective(),
        0u32..4,
    )
        .prop_flat_map(|(row, unit_pick, eff, scale)| {
            let unit = row.units[unit_pick % row.units.len()];
            let (whole, max) = match row.shape {
                Shape::Quantity { whole, max } => (whole, max),
                _ => (false, None),
            };
            let limit =
                i64::from(max.unwrap_or(100_000)) * 10i64.pow(if whole { 0 } else { scale });
            decimal(limit + 1, scale, whole).prop_filter_map("valid", move |v| {
                // SpO2 of 1 % or less is refused on read as a probable fraction.
                if row.kind == Kind::OxygenSaturation && v <= Decimal::ONE {
                    return None;
                }
                Measurement::quantity(row.kind.clone(), eff.clone(), v, unit).ok()
            })
        })
}

fn bp_measurement() -> impl Strategy<Value = Measurement> {
    (effective(), decimal(300, 1, false), decimal(300, 1, false)).prop_filter_map(
        "sys>=dia",
        |(e, a, b)| {
            let (s, d) = if a >= b { (a, b) } else { (b, a) };
            Measurement::blood_pressure(e, s, d).ok()
        },
    )
}

fn sleep_measurement() -> impl Strategy<Value = Measurement> {
    (
        timestamp(),
        prop::collection::vec(
            (
                prop::sample::select(SleepStage::ALL.to_vec()),
                0i64..7200,
                1i64..7200,
            ),
            1..6,
        ),
    )
        .prop_map(|(start, stages)| {
            let mut cursor = start;
            let mut out = Vec::new();
            for (stage, gap, len) in stages {
                let s = cursor + chrono::Duration::seconds(gap);
                let e = s + chrono::Duration::seconds(len);
                out.push(SleepStageInterval {
                    stage,
                    period: Period::new(s, e).unwrap(),
                });
                cursor = e;
            }
            let eff = Effective::Period(Period::new(start, cursor).unwrap());
            Measurement::new(
                Kind::SleepSession,
                eff,
                MeasurementValue::Sleep(SleepSession::new(out).unwrap()),
            )
            .unwrap()
        })
}

fn workout_measurement() -> impl Strategy<Value = Measurement> {
    let q = |units: Vec<Unit>| {
        proptest::option::of(
            (decimal(100_000, 2, false), prop::sample::select(units))
                .prop_map(|(v, u)| Quantity::new(v, u)),
        )
    };
    (
        timestamp(),
        1i64..20_000,
        prop_oneof![
            Just("HKWorkoutActivityTypeRunning".to_owned()),
            "[a-z_]{1,10}".prop_map(|s| s)
        ],
        q(vec![Unit::Minute, Unit::Second, Unit::Hour]),
        q(vec![Unit::Kilocalorie, Unit::Kilojoule]),
        q(vec![Unit::Meter, Unit::Kilometer]),
    )
        .prop_map(|(start, len, activity, duration, energy, distance)| {
            let eff = Effective::Period(
                Period::new(start, start + chrono::Duration::seconds(len)).unwrap(),
            );
            Measurement::new(
                Kind::Workout,
                eff,
                MeasurementValue::Workout(Workout {
                    activity,
                    duration,
                    energy,
                    distance,
                }),
            )
            .unwrap()
        })
}

fn other_measurement() -> impl Strategy<Value = Measurement> {
    let units = vec![
        Unit::Count,
        Unit::Decibel,
        Unit::Meter,
        Unit::Percent,
        Unit::One,
    ];
    (
        "HK(Quantity|Category)TypeIdentifier[A-Z][a-zA-Z]{2,12}",
        effective(),
        prop_oneof![
            (decimal(10_000, 2, false), prop::sample::select(units))
                .prop_map(|(v, u)| MeasurementValue::Quantity(Quantity::new(v, u))),
            text().prop_map(MeasurementValue::Text),
        ],
    )
        .prop_map(|(code, eff, value)| {
            let kind = Kind::Other(Box::new(Coding::new(crate::fhir::codes::HEALTHKIT, code)));
            Measurement::new(kind, eff, value).unwrap()
        })
}

/// Any valid measurement, with optional source, recorded time, identifier and metadata.
pub fn measurement() -> impl Strategy<Value = Measurement> {
    let base = prop_oneof![
        6 => quantity_measurement(),
        1 => bp_measurement(),
        1 => sleep_measurement(),
        1 => workout_measurement(),
        1 => other_measurement(),
    ];
    (
        base,
        source(),
        proptest::option::of(timestamp()),
        proptest::option::of("[a-zA-Z0-9-]{1,20}"),
        prop::collection::vec((text(), text()), 0..3),
    )
        .prop_map(|(mut m, src, rec, id, meta)| {
            m.set_source(src);
            m.set_recorded(rec);
            if let Some(id) = id {
                m = m.with_identifier(id);
            }
            for (k, v) in meta {
                m.push_metadata(k, v);
            }
            m
        })
}

fn name() -> impl Strategy<Value = PersonName> {
    prop_oneof![
        ("[一-龥]{1,3}", "[一-龥ぁ-ん]{1,3}").prop_map(|(f, g)| PersonName::from_parts(&f, &g)),
        "[ァ-ヶ]{2,8}".prop_map(|t| PersonName::whole(&t)),
    ]
}

/// Any subject with at least one field set (an empty subject is an anonymous placeholder).
pub fn subject() -> impl Strategy<Value = Subject> {
    (
        proptest::option::of((
            "[0-9]{1,8}",
            "[A-Za-z0-9あ-ん-]{0,4}",
            "[0-9A-Z]{1,6}",
            proptest::option::of("[0-9]{2}"),
        )),
        prop::collection::vec(
            (
                "urn:oid:1\\.2\\.392\\.100495\\.20\\.3\\.51\\.1[0-9]{10}",
                "[0-9]{1,10}",
            ),
            0..2,
        ),
        proptest::option::of(name()),
        proptest::option::of(name()),
        proptest::option::of((1900i32..2025, 1u32..=12, 1u32..=28)),
        proptest::option::of(prop::sample::select(vec![
            Sex::Male,
            Sex::Female,
            Sex::Other,
            Sex::Unknown,
        ])),
        proptest::option::of((
            proptest::option::of("[0-9]{3}-[0-9]{4}"),
            proptest::option::of("(東京都|大阪府|北海道)"),
            proptest::option::of(text()),
        )),
    )
        .prop_map(|(ins, ids, kanji, kana, birth, sex, addr)| Subject {
            insured_id: ins.and_then(|(i, s, n, b)| InsuredId::new(&i, &s, &n, b.as_deref()).ok()),
            identifiers: ids.into_iter().map(|(s, v)| Coding::new(s, v)).collect(),
            name_kanji: kanji,
            name_kana: kana,
            // One of: a full date, a year only (pseudonymised), or an age band (anonymised).
            birth_date: birth
                .filter(|(y, _, _)| y % 3 == 0)
                .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            birth_year: birth.filter(|(y, _, _)| y % 3 == 1).map(|(y, _, _)| y),
            age_band: birth.filter(|(y, _, _)| y % 3 == 2).map(|(y, _, _)| {
                let low = (y % 20) as u16 * 5;
                AgeBand {
                    low,
                    high: if low >= 90 { None } else { Some(low + 4) },
                }
            }),
            sex,
            address: addr.map(|(postal_code, prefecture, text)| Address {
                postal_code,
                prefecture,
                text,
            }),
        })
        .prop_filter("not empty", |s| !s.is_empty())
}

/// A record stream as readers produce it: optionally a subject, then measurements.
pub fn records() -> impl Strategy<Value = Vec<Record>> {
    (
        proptest::option::of(subject()),
        prop::collection::vec(measurement(), 0..8),
    )
        .prop_map(|(s, ms)| {
            s.map(Record::from)
                .into_iter()
                .chain(ms.into_iter().map(Record::Measurement))
                .collect()
        })
}
