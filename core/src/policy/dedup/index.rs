//! The interval index: per person segment, per kind, per source, the time covered by that source's records.
//!
//! Times are epoch milliseconds (sub-millisecond differences are ignored). A record's span is an instant
//! or a half-open period `[start, end)`; a period of zero length is an instant. Two spans overlap when
//! two periods share positive time, an instant lies in a period (`start <= t < end`), or two instants are
//! equal. Bare dates have no span and take no part.
//!
//! Memory: while building, 16 bytes per period and 8 bytes per instant of every indexed record; a source's
//! periods are sorted and merged into their union (touching periods join) whenever they have doubled
//! since the last merge, so contiguous series (a watch writing back-to-back step intervals) shrink to a
//! few entries. With `keep_raw` (duplicate counting without a second pass) nothing is merged away.

use std::collections::HashMap;
use std::sync::Arc;

use super::bucket::Buckets;
use crate::record::{Effective, Kind, Measurement, Record, Source};

/// A record's extent in epoch milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// A point in time.
    Instant(i64),
    /// `[start, end)`, `start < end`.
    Period(i64, i64),
}

impl Span {
    /// The span of an effective time; `None` for a bare date.
    pub(crate) fn of(e: &Effective) -> Option<Span> {
        match e {
            Effective::Instant(t) => Some(Span::Instant(t.timestamp_millis())),
            Effective::Period(p) => {
                let (s, e) = (p.start().timestamp_millis(), p.end().timestamp_millis());
                Some(if s < e {
                    Span::Period(s, e)
                } else {
                    Span::Instant(s)
                })
            }
            Effective::Date(_) => None,
        }
    }
}

/// Below this many periods a set is never merged during building.
const MIN_COMPACT: usize = 4096;

/// The spans of one source for one kind.
#[derive(Debug, Default)]
struct IntervalSet {
    /// Periods as added (building, or kept raw for counting).
    periods: Vec<(i64, i64)>,
    /// Instants as added; sorted after `finish`.
    instants: Vec<i64>,
    /// Sorted, disjoint, non-touching union of `periods` (after `finish`).
    union: Vec<(i64, i64)>,
    /// `periods.len()` after the last merge.
    compacted: usize,
}

fn merge(periods: &mut [(i64, i64)]) -> Vec<(i64, i64)> {
    periods.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(periods.len().min(1024));
    for &(s, e) in periods.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

impl IntervalSet {
    fn add(&mut self, span: Span, keep_raw: bool) {
        match span {
            Span::Instant(t) => self.instants.push(t),
            Span::Period(s, e) => self.periods.push((s, e)),
        }
        if keep_raw {
            return;
        }
        if self.periods.len() >= MIN_COMPACT.max(2 * self.compacted) {
            self.periods = merge(&mut self.periods);
            self.compacted = self.periods.len();
        }
        if self.instants.len() >= MIN_COMPACT && self.instants.len() == self.instants.capacity() {
            self.instants.sort_unstable();
            self.instants.dedup();
        }
    }

    fn finish(&mut self, keep_raw: bool) {
        self.union = merge(&mut self.periods);
        self.instants.sort_unstable();
        if !keep_raw {
            self.periods = Vec::new();
            self.instants.dedup();
            self.instants.shrink_to_fit();
        }
        self.union.shrink_to_fit();
    }

    /// Whether `span` overlaps any span of this set (after `finish`).
    fn overlaps(&self, span: Span) -> bool {
        match span {
            Span::Instant(t) => {
                let i = self.union.partition_point(|&(_, e)| e <= t);
                self.union.get(i).is_some_and(|&(s, _)| s <= t)
                    || self.instants.binary_search(&t).is_ok()
            }
            Span::Period(a, b) => {
                let i = self.union.partition_point(|&(_, e)| e <= a);
                let j = self.instants.partition_point(|&t| t < a);
                self.union.get(i).is_some_and(|&(s, _)| s < b)
                    || self.instants.get(j).is_some_and(|&t| t < b)
            }
        }
    }
}

/// One source's spans for one kind, with the source's rank for that kind (0 = highest priority).
#[derive(Debug)]
struct Entry {
    source: u32,
    set: IntervalSet,
    rank: u32,
}

/// What the index says about one record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Another source wrote an overlapping record of the same kind.
    pub(crate) duplicate: bool,
    /// A source of higher priority (lower rank) wrote an overlapping record of the same kind, or (max
    /// per bucket) another source won the record's bucket.
    pub(crate) outranked: bool,
}

/// Counts person segments: a [`Record::Subject`] starts a new one, so two persons' records in one
/// stream are never compared.
#[derive(Debug, Default)]
pub(crate) struct Segments(usize);

impl Segments {
    /// The segment of `r` (a subject opens the next segment).
    pub(crate) fn observe(&mut self, r: &Record) -> usize {
        if matches!(r, Record::Subject(_)) {
            self.0 += 1;
        }
        self.0
    }
}

/// The identity of a measurement's source for deduplication: its name (Apple `sourceName`, the Health
/// Connect package), else its device name, else "" (unknown source). The version is left out on purpose:
/// an app or OS update does not make a new source.
fn source_key(m: &Measurement) -> &str {
    match m.source() {
        Some(s) => s
            .name
            .as_deref()
            .or_else(|| s.device.as_ref().and_then(|d| d.name.as_deref()))
            .unwrap_or(""),
        None => "",
    }
}

/// The interval index of a whole input (see the module doc).
#[derive(Debug, Default)]
pub struct DedupIndex {
    names: HashMap<String, u32>,
    /// The name key of each id (for order-independent ties).
    keys: Vec<String>,
    /// One representative source per id (patterns match its name and device).
    sources: Vec<Arc<Source>>,
    segments: Vec<HashMap<Kind, Vec<Entry>>>,
    keep_raw: bool,
    /// Per-bucket totals, for the max-per-bucket strategy.
    buckets: Option<Buckets>,
}

impl DedupIndex {
    /// An empty index; `keep_raw` keeps every span so duplicates can be counted from the index alone.
    pub(crate) fn new(keep_raw: bool) -> DedupIndex {
        DedupIndex {
            keep_raw,
            ..DedupIndex::default()
        }
    }

    /// An index that also keeps per-bucket totals of cumulative kinds (max per bucket).
    pub(crate) fn with_buckets(mut self, minutes: u32) -> DedupIndex {
        self.buckets = Some(Buckets::new(minutes));
        self
    }

    fn source_id(&mut self, m: &Measurement) -> u32 {
        let key = source_key(m);
        if let Some(id) = self.names.get(key) {
            return *id;
        }
        let id = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
        self.names.insert(key.to_owned(), id);
        self.keys.push(key.to_owned());
        self.sources.push(m.source().cloned().unwrap_or_default());
        id
    }

    /// Adds a measurement of person segment `segment`.
    pub(crate) fn add(&mut self, segment: usize, m: &Measurement) {
        let Some(span) = Span::of(m.effective()) else {
            return;
        };
        let source = self.source_id(m);
        if let Some(b) = &mut self.buckets {
            b.add(segment, source, m);
        }
        while self.segments.len() <= segment {
            self.segments.push(HashMap::new());
        }
        let keep_raw = self.keep_raw;
        let Some(kinds) = self.segments.get_mut(segment) else {
            return;
        };
        let entries = match kinds.get_mut(m.kind()) {
            Some(e) => e,
            None => kinds.entry(m.kind().clone()).or_default(),
        };
        match entries.iter_mut().find(|e| e.source == source) {
            Some(e) => e.set.add(span, keep_raw),
            None => {
                let mut set = IntervalSet::default();
                set.add(span, keep_raw);
                entries.push(Entry {
                    source,
                    set,
                    rank: 0,
                });
            }
        }
    }

    /// Ends building: merges every set and ranks each source per kind with `rank`.
    pub(crate) fn finish(&mut self, rank: &dyn Fn(&Kind, &Source) -> u32) {
        if let Some(b) = &mut self.buckets {
            let keys = &self.keys;
            b.finish(&|id| keys.get(id as usize).cloned().unwrap_or_default());
        }
        let keep_raw = self.keep_raw;
        for kinds in &mut self.segments {
            for (kind, entries) in kinds.iter_mut() {
                for e in entries.iter_mut() {
                    e.set.finish(keep_raw);
                    let source = self.sources.get(e.source as usize);
                    e.rank = source.map_or(u32::MAX, |s| rank(kind, s));
                }
            }
        }
    }

    /// Whether `m` (of segment `segment`) overlaps another source's record, and one of higher priority.
    pub(crate) fn classify(&self, segment: usize, m: &Measurement) -> Verdict {
        let mut v = Verdict::default();
        let Some(span) = Span::of(m.effective()) else {
            return v;
        };
        let Some(entries) = self.segments.get(segment).and_then(|k| k.get(m.kind())) else {
            return v;
        };
        let Some(id) = self.names.get(source_key(m)) else {
            return v;
        };
        if let Some(b) = &self.buckets {
            v.outranked = b.loses(segment, *id, m);
        }
        let own = entries
            .iter()
            .find(|e| e.source == *id)
            .map_or(u32::MAX, |e| e.rank);
        for e in entries.iter().filter(|e| e.source != *id) {
            if e.set.overlaps(span) {
                v.duplicate = true;
                if e.rank < own {
                    v.outranked = true;
                }
                if v.outranked {
                    break;
                }
            }
        }
        v
    }

    /// Records per kind name that overlap another source's record (needs `keep_raw`, after `finish`).
    pub(crate) fn duplicate_counts(&self) -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        for kinds in &self.segments {
            for (kind, entries) in kinds {
                let mut n = 0u64;
                for e in entries {
                    let others = || entries.iter().filter(|o| o.source != e.source);
                    let hit = |span: Span| others().any(|o| o.set.overlaps(span));
                    n += e
                        .set
                        .periods
                        .iter()
                        .filter(|&&(s, t)| hit(Span::Period(s, t)))
                        .count() as u64;
                    n += e
                        .set
                        .instants
                        .iter()
                        .filter(|&&t| hit(Span::Instant(t)))
                        .count() as u64;
                }
                if n > 0 {
                    *out.entry(kind.name().into_owned()).or_insert(0) += n;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(periods: &[(i64, i64)], instants: &[i64]) -> IntervalSet {
        let mut s = IntervalSet::default();
        for &(a, b) in periods {
            s.add(Span::Period(a, b), false);
        }
        for &t in instants {
            s.add(Span::Instant(t), false);
        }
        s.finish(false);
        s
    }

    #[test]
    fn touching_periods_do_not_overlap_but_shared_time_does() {
        let s = set(&[(10, 20), (20, 30), (50, 60)], &[]);
        assert_eq!(s.union, vec![(10, 30), (50, 60)]);
        assert!(!s.overlaps(Span::Period(30, 50)));
        assert!(!s.overlaps(Span::Period(0, 10)));
        assert!(s.overlaps(Span::Period(29, 31)));
        assert!(s.overlaps(Span::Period(0, 100)));
        assert!(s.overlaps(Span::Instant(10)));
        assert!(!s.overlaps(Span::Instant(30)));
        assert!(!s.overlaps(Span::Instant(45)));
    }

    #[test]
    fn instants_match_equal_instants_and_lie_in_periods() {
        let s = set(&[], &[100, 200]);
        assert!(s.overlaps(Span::Instant(100)));
        assert!(!s.overlaps(Span::Instant(101)));
        assert!(s.overlaps(Span::Period(150, 201)));
        assert!(!s.overlaps(Span::Period(150, 200)));
        assert!(s.overlaps(Span::Period(100, 101)));
    }
}
