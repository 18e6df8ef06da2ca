//! `Dataset.dedup`: the core's deduplication stage (`phrkit::policy::dedup`) for mobile apps.
//!
//! An app that reads HealthKit or Health Connect gets the same steps from the phone, the watch and
//! third-party apps; this call counts those duplicates (`Report.duplicates`) and, by strategy, keeps one
//! source's records. Only the strategy crosses the FFI; which record is a duplicate and which wins is
//! decided by the core, exactly as for the CLI's `--dedup` and Python's `Dataset.dedup`.

use std::sync::Arc;

use phrkit::policy::dedup::{self, DedupStrategy as CoreStrategy};
use phrkit::read::health_connect::{read_priorities_path, read_priorities_slice};
use phrkit::read::ReadOptions;

use crate::dataset::Dataset;
use crate::error::{guard, FfiResult, PhrkitError};

/// How duplicates (records several sources wrote for the same time) are resolved. Every strategy counts
/// them per type in `Report.duplicates`; dropped records move from `converted` to `skipped`, so the
/// report stays `balanced`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DedupStrategy {
    /// Keep every record; only count duplicates.
    KeepAll,
    /// Where sources overlap, keep the one ranked highest by `patterns` (highest first). A pattern names a
    /// source whose name contains it or whose device name or model equals it, ignoring case
    /// (`"Apple Watch"`, `"iPhone"`, a Health Connect package name); unlisted sources rank lowest and
    /// never drop each other.
    SourcePriority {
        /// Source patterns, highest priority first; at least one, none blank.
        patterns: Vec<String>,
    },
    /// Follow the per-category app priority the user set in Health Connect, read from the export (the
    /// `Health Connect.zip` or its bare database) held in memory.
    HealthConnectPriority {
        /// The export's bytes.
        export: Vec<u8>,
    },
    /// `HealthConnectPriority` with the export read from a file path.
    HealthConnectPriorityFile {
        /// Path of the export.
        path: String,
    },
    /// Per time bucket of `minutes` (buckets start at the Unix epoch: hours and UTC days), keep the source
    /// with the largest total of steps, distance, energy or flights; other kinds drop nothing.
    MaxPerBucket {
        /// Bucket width in minutes, at least 1.
        minutes: u32,
    },
}

/// The core strategy; a Health Connect priority table is read here (it may unpack the export).
fn core_strategy(s: &DedupStrategy) -> FfiResult<CoreStrategy> {
    Ok(match s {
        DedupStrategy::KeepAll => CoreStrategy::KeepAll,
        DedupStrategy::SourcePriority { patterns } => {
            if patterns.is_empty() {
                return Err(PhrkitError::misuse(
                    "no-source-patterns",
                    String::new(),
                    "SourcePriority needs at least one source pattern",
                ));
            }
            if let Some(i) = patterns.iter().position(|p| p.trim().is_empty()) {
                return Err(PhrkitError::misuse(
                    "blank-source-pattern",
                    format!("#/{i}"),
                    "a blank source pattern matches no source",
                ));
            }
            CoreStrategy::SourcePriority(patterns.clone())
        }
        DedupStrategy::HealthConnectPriority { export } => CoreStrategy::HealthConnectPriority(
            read_priorities_slice(export, &ReadOptions::default())?,
        ),
        DedupStrategy::HealthConnectPriorityFile { path } => CoreStrategy::HealthConnectPriority(
            read_priorities_path(path.as_ref(), &ReadOptions::default())?,
        ),
        DedupStrategy::MaxPerBucket { minutes: 0 } => {
            return Err(PhrkitError::misuse(
                "bad-bucket-minutes",
                String::new(),
                "MaxPerBucket needs a bucket of at least 1 minute",
            ))
        }
        DedupStrategy::MaxPerBucket { minutes } => CoreStrategy::MaxPerBucket { minutes: *minutes },
    })
}

#[uniffi::export]
impl Dataset {
    /// A new dataset without the duplicates `strategy` drops; its report is this one's with the stage's
    /// counts applied (`duplicates` per type, dropped records under `skipped`). This dataset is unchanged.
    pub fn dedup(&self, strategy: DedupStrategy) -> FfiResult<Arc<Dataset>> {
        guard(|| {
            let strategy = core_strategy(&strategy)?;
            let mut report = self.report.clone();
            let records = dedup::dedup_records(self.records.clone(), &mut report, &strategy);
            Ok(Arc::new(Dataset::new(records, report)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{read_file, ReadOptions as FfiReadOptions};

    const MULTI_SOURCE: &str = "../fixtures/apple_health/multi_source.xml";

    fn multi() -> Arc<Dataset> {
        read_file(MULTI_SOURCE.into(), FfiReadOptions::default()).unwrap()
    }

    #[test]
    fn source_priority_drops_what_the_core_drops_and_reports_duplicates() {
        let d = multi()
            .dedup(DedupStrategy::SourcePriority {
                patterns: vec!["Apple Watch".into(), "iPhone".into()],
            })
            .unwrap();
        let r = d.report().unwrap();
        assert_eq!(d.record_count().unwrap(), 10);
        assert_eq!(r.converted, 11);
        assert_eq!(r.skipped.get(dedup::REASON_LOWER_PRIORITY), Some(&5));
        assert_eq!(r.duplicates.get("stepCount"), Some(&6));
        assert_eq!(r.duplicates.get("heartRate"), Some(&2));
        assert_eq!(r.duplicates.get("sleepEpisode"), Some(&2));
        assert_eq!(r.duplicates.len(), 3);
        assert!(r.balanced);
        assert!(multi().report().unwrap().duplicates.is_empty());
    }

    #[test]
    fn bad_strategies_are_api_misuse_with_a_code() {
        let ds = multi();
        let code = |s: DedupStrategy| match ds.dedup(s) {
            Err(PhrkitError::ApiMisuse { code, location, .. }) => (code, location),
            other => panic!("expected ApiMisuse, got {other:?}"),
        };
        assert_eq!(
            code(DedupStrategy::SourcePriority { patterns: vec![] }),
            ("no-source-patterns".into(), String::new())
        );
        assert_eq!(
            code(DedupStrategy::SourcePriority {
                patterns: vec!["Watch".into(), "  ".into()]
            }),
            ("blank-source-pattern".into(), "#/1".into())
        );
        assert_eq!(
            code(DedupStrategy::MaxPerBucket { minutes: 0 }),
            ("bad-bucket-minutes".into(), String::new())
        );
    }

    #[test]
    fn a_health_connect_strategy_over_bytes_that_are_no_export_is_a_format_error() {
        let bytes = std::fs::read(MULTI_SOURCE).unwrap();
        let e = multi()
            .dedup(DedupStrategy::HealthConnectPriority { export: bytes })
            .unwrap_err();
        assert!(matches!(e, PhrkitError::Format { .. }), "{e:?}");
    }
}
