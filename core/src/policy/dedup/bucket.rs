//! Max per bucket (spec `lifelog.md` §1.10 strategy (b)): for cumulative kinds (steps, distance, energy,
//! flights, food energy), time is cut into fixed buckets; in a bucket several sources wrote, the source
//! with the largest total wins and the other sources' records of that bucket are dropped.
//!
//! A record belongs to the bucket of its start. Values are summed in the kind's canonical unit (a record
//! whose unit cannot be converted exactly takes no part and is kept). Ties go to the source whose name
//! sorts first, so the result does not depend on record order. Other kinds are not bucketed (only
//! duplicates are counted for them).
//!
//! Memory: one entry per (person, kind, bucket) with one running total per source that wrote in it — for
//! hourly buckets about 8,760 entries per cumulative kind and year, independent of the record count.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::record::convert::convert;
use crate::record::{Kind, Measurement, MeasurementValue};

/// Kinds whose values add up over time, so "the source with the most in this hour" is meaningful.
fn is_cumulative(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Steps
            | Kind::WalkingRunningDistance
            | Kind::ActiveEnergyBurned
            | Kind::BasalEnergyBurned
            | Kind::FlightsClimbed
            | Kind::DietaryEnergyConsumed
    )
}

/// The record's value in its kind's canonical unit, if it is a convertible quantity.
fn canonical_value(m: &Measurement) -> Option<Decimal> {
    let MeasurementValue::Quantity(q) = m.value() else {
        return None;
    };
    let canonical = *m.kind().info()?.units.first()?;
    if q.unit == canonical {
        return Some(q.value);
    }
    convert(q, canonical).map(|c| c.value)
}

type Key = (usize, Kind, i64);

/// Running totals per bucket and source, then the winner per bucket.
#[derive(Debug)]
pub(crate) struct Buckets {
    width_ms: i64,
    totals: HashMap<Key, Vec<(u32, Decimal)>>,
    winners: HashMap<Key, u32>,
}

impl Buckets {
    /// Buckets of `minutes` (at least 1).
    pub(crate) fn new(minutes: u32) -> Buckets {
        Buckets {
            width_ms: i64::from(minutes.max(1)) * 60_000,
            totals: HashMap::new(),
            winners: HashMap::new(),
        }
    }

    fn key(&self, segment: usize, m: &Measurement) -> Option<Key> {
        if !is_cumulative(m.kind()) {
            return None;
        }
        let start = m.effective().start()?.timestamp_millis();
        Some((segment, m.kind().clone(), start.div_euclid(self.width_ms)))
    }

    /// Adds a record of `source` (pass 1).
    pub(crate) fn add(&mut self, segment: usize, source: u32, m: &Measurement) {
        let (Some(key), Some(v)) = (self.key(segment, m), canonical_value(m)) else {
            return;
        };
        let sums = self.totals.entry(key).or_default();
        match sums.iter_mut().find(|(s, _)| *s == source) {
            Some((_, total)) => *total = total.saturating_add(v),
            None => sums.push((source, v)),
        }
    }

    /// Picks each contested bucket's winner; `name` gives a source's name for ties.
    pub(crate) fn finish(&mut self, name: &dyn Fn(u32) -> String) {
        for (key, sums) in self.totals.drain() {
            if sums.len() < 2 {
                continue;
            }
            let best = sums
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| name(b.0).cmp(&name(a.0))));
            if let Some(&(source, _)) = best {
                self.winners.insert(key, source);
            }
        }
        self.winners.shrink_to_fit();
    }

    /// Whether a record of `source` loses its bucket (pass 2).
    pub(crate) fn loses(&self, segment: usize, source: u32, m: &Measurement) -> bool {
        if canonical_value(m).is_none() {
            return false;
        }
        self.key(segment, m)
            .and_then(|k| self.winners.get(&k))
            .is_some_and(|w| *w != source)
    }
}
