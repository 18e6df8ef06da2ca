//! Blood-pressure correlation duplicates, matched in bounded memory (spec §1.10).
//!
//! Every `Record` inside a blood-pressure `Correlation` is repeated as a top-level `Record`. The reading is
//! built once, from the correlation; the top-level copies (same type, source name, start, end and value)
//! are counted as skipped `duplicate-of-correlation`. Exports do not promise an order — a correlation may
//! come before or after its copies — so both directions are handled:
//!
//! * a correlation seen first leaves its children's keys in `seen`, and a later top-level copy is skipped;
//! * a top-level systolic/diastolic record seen first is **held back** in `pending`; a later correlation
//!   removes (skips) it; at the end of input whatever is still held is released as a raw record
//!   (`Kind::Other` with the HealthKit code), since it belonged to no correlation and must not be lost.
//!
//! Both tables are FIFO-bounded by [`MAX_ENTRIES`]: the oldest held record is released early, the oldest
//! remembered key forgotten (a copy arriving after that is then kept as a raw record — never dropped).

use std::collections::{BTreeMap, HashMap, VecDeque};

use rust_decimal::Decimal;

use crate::error::Location;
use crate::record::Measurement;

/// Entries per table.
pub const MAX_ENTRIES: usize = 16_384;

/// What identifies one systolic or diastolic value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) systolic: bool,
    pub(crate) source_name: Option<String>,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) value: Decimal,
}

impl Key {
    pub(crate) fn new(
        systolic: bool,
        source_name: Option<String>,
        start: i64,
        end: i64,
        value: Decimal,
    ) -> Key {
        Key {
            systolic,
            source_name,
            start,
            end,
            value: value.normalize(),
        }
    }
}

/// A top-level component held back until its correlation shows up (or the input ends).
pub(crate) struct Held {
    pub(crate) key: Key,
    pub(crate) record: Measurement,
    pub(crate) location: Location,
}

/// The two bounded tables.
#[derive(Default)]
pub(crate) struct BpDedup {
    seen: HashMap<Key, u32>,
    seen_order: VecDeque<Key>,
    pending: BTreeMap<u64, Held>,
    index: HashMap<Key, VecDeque<u64>>,
    seq: u64,
}

/// What happened to a top-level component.
pub(crate) enum TopLevel {
    /// A correlation already gave this value: skip it.
    Duplicate,
    /// Held back; the returned record (if any) was released to make room.
    Held(Option<Box<Held>>),
}

impl BpDedup {
    /// A top-level systolic/diastolic record.
    pub(crate) fn top_level(&mut self, held: Held) -> TopLevel {
        if let Some(n) = self.seen.get_mut(&held.key) {
            *n -= 1;
            if *n == 0 {
                self.seen.remove(&held.key);
            }
            return TopLevel::Duplicate;
        }
        self.seq += 1;
        self.index
            .entry(held.key.clone())
            .or_default()
            .push_back(self.seq);
        self.pending.insert(self.seq, held);
        let released = if self.pending.len() > MAX_ENTRIES {
            self.release_oldest().map(Box::new)
        } else {
            None
        };
        TopLevel::Held(released)
    }

    fn release_oldest(&mut self) -> Option<Held> {
        let (seq, held) = self.pending.pop_first()?;
        if let Some(q) = self.index.get_mut(&held.key) {
            q.retain(|s| *s != seq);
            if q.is_empty() {
                self.index.remove(&held.key);
            }
        }
        Some(held)
    }

    /// A child of a valid blood-pressure correlation; returns the held top-level copy it duplicates, if
    /// one was already read.
    pub(crate) fn correlation_child(&mut self, key: Key) -> Option<Held> {
        if let Some(q) = self.index.get_mut(&key) {
            let seq = q.pop_front();
            if q.is_empty() {
                self.index.remove(&key);
            }
            if let Some(held) = seq.and_then(|s| self.pending.remove(&s)) {
                return Some(held);
            }
        }
        *self.seen.entry(key.clone()).or_insert(0) += 1;
        self.seen_order.push_back(key);
        while self.seen_order.len() > MAX_ENTRIES {
            if let Some(old) = self.seen_order.pop_front() {
                if let Some(n) = self.seen.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        self.seen.remove(&old);
                    }
                }
            }
        }
        None
    }

    /// Everything still held, oldest first (end of input).
    pub(crate) fn finish(&mut self) -> Vec<Held> {
        self.index.clear();
        std::mem::take(&mut self.pending).into_values().collect()
    }
}
