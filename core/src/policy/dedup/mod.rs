//! DEDUPLICATION: a stage between readers and writers that finds records several sources wrote for the
//! same time, and — only when asked — keeps one source's (spec `lifelog.md` §1.10, §2.4, §8 item 7).
//!
//! Readers emit every record (the iPhone's steps *and* the Watch's steps *and* a third-party app's); this
//! stage is where duplicates are detected, counted and, by strategy, dropped. It lives in `policy/` because
//! like consent it is a format-free decision over records between reading and writing: it sees only
//! [`Record`]s and the [`RecordReader`] trait, never a reader format. (The Health Connect reader fills
//! [`HealthConnectPriorities`] from the export; the type lives here because only this stage uses it.)
//!
//! **What is a duplicate.** A measurement is a duplicate when another *source* wrote a measurement of the
//! same [`Kind`] for the same person whose time overlaps: periods sharing time, an instant inside a period,
//! or two equal instants (details in [`index`]). A source is identified by its name (Apple `sourceName`,
//! Health Connect package), else its device name — not by version, so an app update is the same source.
//! Bare dates (Apple activity summaries) take no part. Records of the same source never duplicate each
//! other. A [`Record::Subject`] starts a new person: persons are never compared.
//!
//! **Strategies** ([`DedupStrategy`]): every strategy counts duplicates per type in
//! [`Report::duplicates`]; [`DedupStrategy::KeepAll`] (the default) drops nothing.
//! [`DedupStrategy::SourcePriority`] and [`DedupStrategy::HealthConnectPriority`] rank sources; a record
//! overlapping a record of a strictly higher-ranked source is dropped and counted under `skipped`
//! [`REASON_LOWER_PRIORITY`] (one `converted` moves to `skipped`, so `is_balanced()` still holds; for Apple
//! sleep sessions built from several stage items this is one count per session). Sources of equal rank
//! (two unlisted apps) never drop each other. The comparison is against the *input*, not the kept
//! output, so the result does not depend on record order. [`DedupStrategy::MaxPerBucket`] instead keeps,
//! per time bucket, the source with the largest total of a cumulative kind (`policy/dedup/bucket.rs`) and
//! drops the other sources' records of that bucket under [`REASON_NOT_MAX_IN_BUCKET`] — even ones that do
//! not overlap the winner's, since the bucket is the unit compared (so there, unlike the priority
//! strategies, a dropped record is not necessarily counted in `duplicates`).
//!
//! **Memory and passes.** Exports are not in time order, so a record cannot be judged until every record
//! that may overlap it has been seen. The streaming form therefore reads the input twice: pass 1
//! ([`build_index`]) keeps only an interval index — 8 bytes per instant and 16 per period while building,
//! shrinking as a source's back-to-back periods merge into their union (see [`index`]); pass 2
//! ([`DedupReader`]) streams the input again and judges each record against the index. Worst case (no
//! merging) 16 bytes per measurement plus `Vec` growth slack — measured about 22 bytes per record on a
//! generated 233,641-record export (`docs/robustness.md`), so ~160 MB for the 7.4 M-record export of spec
//! §1.11, on top of the readers' few MB; records themselves are never held. Pass 2 costs a second parse
//! (measured +50 % wall time for `convert`). [`dedup_dataset`] does the same over records
//! already in memory (bindings). [`DuplicateCounter`] counts duplicates in one pass (for `inspect`),
//! keeping every span (no merging).

mod bucket;
pub mod index;
mod priority;

use std::collections::BTreeMap;
use std::path::Path;

pub use index::DedupIndex;
use index::Segments;
pub use priority::{pattern_matches, pattern_rank, HcCategory, HealthConnectPriorities};

use crate::error::{Location, Result};
use crate::read::{Dataset, Format, ReadOptions, RecordReader};
use crate::record::{Kind, Record, Source};
use crate::report::{Report, Severity};

/// The `skipped` reason of a record dropped because a higher-priority source covers its time.
pub const REASON_LOWER_PRIORITY: &str = "duplicate-lower-priority-source";

/// The `skipped` reason of a record dropped because another source wrote more in its time bucket.
pub const REASON_NOT_MAX_IN_BUCKET: &str = "duplicate-not-max-in-bucket";

/// How duplicates are resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DedupStrategy {
    /// Keep every record; only count duplicates (the default: nothing is lost unless asked).
    #[default]
    KeepAll,
    /// Rank sources by an ordered list of patterns (first = highest; see [`pattern_matches`]); unlisted
    /// sources rank below every listed one.
    SourcePriority(Vec<String>),
    /// Health Connect's own per-category app priority, read from the export
    /// (`read::health_connect::read_priorities_path`). Kinds without a category drop nothing.
    HealthConnectPriority(HealthConnectPriorities),
    /// For cumulative kinds (steps, distance, energy, flights), per time bucket of `minutes` keep only the
    /// records of the source with the largest total in it (spec §1.10 (b)); other kinds drop nothing.
    MaxPerBucket {
        /// Bucket width in minutes (buckets start at the Unix epoch, so hours and UTC days line up).
        minutes: u32,
    },
}

impl DedupStrategy {
    /// Whether the strategy ever drops records.
    pub fn drops(&self) -> bool {
        !matches!(self, DedupStrategy::KeepAll)
    }

    /// The rank of `source` for `kind` (0 = highest priority).
    fn rank(&self, kind: &Kind, source: &Source) -> u32 {
        match self {
            DedupStrategy::KeepAll | DedupStrategy::MaxPerBucket { .. } => 0,
            DedupStrategy::SourcePriority(p) => pattern_rank(p, source),
            DedupStrategy::HealthConnectPriority(p) => p.rank(kind, source),
        }
    }

    /// The `skipped` reason of the records this strategy drops.
    pub fn reason(&self) -> &'static str {
        match self {
            DedupStrategy::MaxPerBucket { .. } => REASON_NOT_MAX_IN_BUCKET,
            _ => REASON_LOWER_PRIORITY,
        }
    }

    /// An empty index fit for the strategy.
    fn index(&self) -> DedupIndex {
        match self {
            DedupStrategy::MaxPerBucket { minutes } => {
                DedupIndex::new(false).with_buckets(*minutes)
            }
            _ => DedupIndex::new(false),
        }
    }

    /// Issues about the strategy itself (a missing Health Connect priority table …).
    fn notes(&self, report: &mut Report) {
        let DedupStrategy::HealthConnectPriority(p) = self else {
            return;
        };
        if !p.table_found {
            report.issue(
                Severity::Warning,
                "hc-priority-table-absent",
                Location::None,
                "the export holds no health_data_category_priority_table: no source outranks another",
            );
        }
        for c in &p.unknown_categories {
            report.issue(
                Severity::Warning,
                "hc-priority-unknown-category",
                Location::None,
                format!("priority row for undefined category {c} ignored"),
            );
        }
        if p.unknown_app_ids > 0 {
            report.issue(
                Severity::Warning,
                "hc-priority-unknown-app",
                Location::None,
                format!(
                    "{} app ids in priority lists have no application_info_table row",
                    p.unknown_app_ids
                ),
            );
        }
    }
}

/// Pass 1: reads `reader` to its end keeping only the interval index (records are not held).
pub fn build_index(reader: &mut dyn RecordReader, strategy: &DedupStrategy) -> Result<DedupIndex> {
    let mut index = strategy.index();
    let mut segments = Segments::default();
    while let Some(r) = reader.next_record()? {
        let seg = segments.observe(&r);
        if let Record::Measurement(m) = &r {
            index.add(seg, m);
        }
    }
    index.finish(&|k, s| strategy.rank(k, s));
    Ok(index)
}

/// What the stage did, by record type; applied to a reader's report.
#[derive(Clone, Debug, Default)]
struct Tally {
    duplicates: BTreeMap<String, u64>,
    dropped: BTreeMap<String, u64>,
}

impl Tally {
    /// Judges one record; `false` when it is dropped.
    fn keep(&mut self, index: &DedupIndex, seg: usize, r: &Record, drops: bool) -> bool {
        let Record::Measurement(m) = r else {
            return true;
        };
        let v = index.classify(seg, m);
        if v.duplicate {
            *self
                .duplicates
                .entry(r.type_name().into_owned())
                .or_insert(0) += 1;
        }
        if drops && v.outranked {
            *self.dropped.entry(r.type_name().into_owned()).or_insert(0) += 1;
            return false;
        }
        true
    }

    /// Adds the stage's counts to a reader's report: duplicates, and each dropped record moved from
    /// `converted` / `by_type` to `skipped`, with one issue per type saying why.
    fn apply(&self, strategy: &DedupStrategy, report: &mut Report) {
        for (t, n) in &self.duplicates {
            *report.duplicates.entry(t.clone()).or_insert(0) += n;
        }
        for (t, n) in &self.dropped {
            report.converted = report.converted.saturating_sub(*n);
            if let Some(c) = report.by_type.get_mut(t) {
                *c = c.saturating_sub(*n);
                if *c == 0 {
                    report.by_type.remove(t);
                }
            }
            let reason = strategy.reason();
            *report.skipped.entry(reason.to_owned()).or_insert(0) += n;
            let why = match strategy {
                DedupStrategy::MaxPerBucket { .. } => {
                    "another source wrote more in each one's time bucket"
                }
                _ => "each overlaps a record of a higher-priority source",
            };
            report.issue(
                Severity::Info,
                reason,
                Location::None,
                format!("{n} {t} records dropped: {why}"),
            );
        }
        strategy.notes(report);
    }
}

/// Records between mid-stream refreshes of [`DedupReader::report`].
const REFRESH_EVERY: u32 = 4096;

/// Pass 2: streams a reader, dropping (by strategy) and counting duplicates found in the index of pass 1.
///
/// `report()` is the inner reader's report with the stage's counts applied; mid-stream it may lag by up to
/// 4,096 records, at the end it is exact.
pub struct DedupReader<'a> {
    inner: Box<dyn RecordReader + 'a>,
    index: DedupIndex,
    strategy: DedupStrategy,
    segments: Segments,
    tally: Tally,
    report: Report,
    since_refresh: u32,
}

impl<'a> DedupReader<'a> {
    /// Wraps `inner` (a fresh reader over the same input that built `index`).
    pub fn new(
        inner: Box<dyn RecordReader + 'a>,
        index: DedupIndex,
        strategy: DedupStrategy,
    ) -> DedupReader<'a> {
        let report = inner.report().clone();
        DedupReader {
            inner,
            index,
            strategy,
            segments: Segments::default(),
            tally: Tally::default(),
            report,
            since_refresh: 0,
        }
    }

    fn refresh(&mut self) {
        let mut r = self.inner.report().clone();
        self.tally.apply(&self.strategy, &mut r);
        self.report = r;
        self.since_refresh = 0;
    }
}

impl RecordReader for DedupReader<'_> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        let drops = self.strategy.drops();
        loop {
            self.since_refresh += 1;
            if self.since_refresh >= REFRESH_EVERY {
                self.refresh();
            }
            let Some(r) = self.inner.next_record()? else {
                self.refresh();
                return Ok(None);
            };
            let seg = self.segments.observe(&r);
            if self.tally.keep(&self.index, seg, &r, drops) {
                return Ok(Some(r));
            }
        }
    }
    fn report(&self) -> &Report {
        &self.report
    }
    fn format(&self) -> Format {
        self.inner.format()
    }
}

/// Both passes over a file: opens it twice with `crate::read::open_path`.
pub fn open_path(
    path: &Path,
    opts: &ReadOptions,
    strategy: DedupStrategy,
) -> Result<DedupReader<'static>> {
    let index = build_index(crate::read::open_path(path, opts)?.as_mut(), &strategy)?;
    Ok(DedupReader::new(
        crate::read::open_path(path, opts)?,
        index,
        strategy,
    ))
}

/// The stage over records in memory (bindings, `read_path` results): drops by strategy, in order, and
/// applies the counts to `report`.
pub fn dedup_records(
    records: Vec<Record>,
    report: &mut Report,
    strategy: &DedupStrategy,
) -> Vec<Record> {
    let mut index = strategy.index();
    let mut segments = Segments::default();
    for r in &records {
        let seg = segments.observe(r);
        if let Record::Measurement(m) = r {
            index.add(seg, m);
        }
    }
    index.finish(&|k, s| strategy.rank(k, s));
    let mut tally = Tally::default();
    let mut segments = Segments::default();
    let drops = strategy.drops();
    let kept = records
        .into_iter()
        .filter(|r| {
            let seg = segments.observe(r);
            tally.keep(&index, seg, r, drops)
        })
        .collect();
    tally.apply(strategy, report);
    kept
}

/// [`dedup_records`] on a [`Dataset`].
pub fn dedup_dataset(dataset: Dataset, strategy: &DedupStrategy) -> Dataset {
    let Dataset {
        records,
        mut report,
    } = dataset;
    let records = dedup_records(records, &mut report, strategy);
    Dataset { records, report }
}

/// Counts duplicates per type in a single pass (records are observed, not held): for `inspect`.
///
/// Memory: every span is kept (16 bytes per period, 8 per instant) because nothing can be merged away
/// when each record must be counted.
#[derive(Debug)]
pub struct DuplicateCounter {
    index: DedupIndex,
    segments: Segments,
}

impl Default for DuplicateCounter {
    fn default() -> Self {
        DuplicateCounter {
            index: DedupIndex::new(true),
            segments: Segments::default(),
        }
    }
}

impl DuplicateCounter {
    /// Observes one record of the stream, in order.
    pub fn observe(&mut self, r: &Record) {
        let seg = self.segments.observe(r);
        if let Record::Measurement(m) = r {
            self.index.add(seg, m);
        }
    }

    /// Records per type that overlap a record of the same kind from another source.
    pub fn finish(mut self) -> BTreeMap<String, u64> {
        self.index.finish(&|_, _| 0);
        self.index.duplicate_counts()
    }
}
