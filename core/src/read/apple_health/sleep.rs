//! Sleep-analysis intervals grouped into sessions (spec §1.7, §6.2).
//!
//! **Grouping rule.** Intervals are grouped per source (same shared `Arc<Source>`): an interval joins the
//! source's open session when it starts no later than [`MAX_GAP_MINUTES`] after the session's latest end
//! (overlapping and back-to-back stages, and short gaps between them, form one night). Otherwise the open
//! session is closed and a new one starts. Sources are never merged: overlapping InBed/Asleep intervals
//! of an app and of the Watch stay in separate sessions, so "time asleep" is a per-source union.
//! Memory is bounded: at most [`MAX_OPEN`] open sessions and [`MAX_STAGES`] stages per session (a longer
//! run is closed and a new session starts).

use std::sync::Arc;

use chrono::TimeDelta;

use crate::record::{
    Effective, Kind, Measurement, MeasurementValue, MetadataEntry, Period, SleepSession,
    SleepStage, SleepStageInterval, Source, Timestamp,
};

/// Largest gap between stages of one session.
pub const MAX_GAP_MINUTES: i64 = 30;
/// Open sessions kept at once (one per source).
pub const MAX_OPEN: usize = 256;
/// Stages per session before it is closed.
pub const MAX_STAGES: usize = 4096;
/// Distinct metadata entries kept per session.
const MAX_METADATA: usize = 64;

/// The stage named by an `HKCategoryValueSleepAnalysis…` value (old and new iOS names, or the integer).
pub(crate) fn stage(value: &str) -> Option<SleepStage> {
    let v = value
        .strip_prefix("HKCategoryValueSleepAnalysis")
        .unwrap_or(value);
    Some(match v {
        "InBed" | "0" => SleepStage::InBed,
        "Asleep" | "AsleepUnspecified" | "1" => SleepStage::AsleepUnspecified,
        "Awake" | "2" => SleepStage::Awake,
        "AsleepCore" | "3" => SleepStage::Core,
        "AsleepDeep" | "4" => SleepStage::Deep,
        "AsleepREM" | "5" => SleepStage::Rem,
        _ => return None,
    })
}

struct Open {
    source: Option<Arc<Source>>,
    start: Timestamp,
    end: Timestamp,
    stages: Vec<SleepStageInterval>,
    metadata: Vec<MetadataEntry>,
}

impl Open {
    fn close(self) -> Option<Measurement> {
        let effective = Effective::Period(Period::new(self.start, self.end).ok()?);
        let session = SleepSession::new(self.stages).ok()?;
        let m = Measurement::new(
            Kind::SleepSession,
            effective,
            MeasurementValue::Sleep(session),
        )
        .ok()?
        .with_metadata(self.metadata);
        Some(match self.source {
            Some(s) => m.with_source(s),
            None => m,
        })
    }
}

fn same_source(a: &Option<Arc<Source>>, b: &Option<Arc<Source>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        (None, None) => true,
        _ => false,
    }
}

/// Collects stage intervals into sessions.
#[derive(Default)]
pub(crate) struct SleepGrouper {
    open: Vec<Open>,
}

impl SleepGrouper {
    /// Adds one interval; returns a session closed by it, if any.
    pub(crate) fn add(
        &mut self,
        source: Option<Arc<Source>>,
        stage: SleepStage,
        period: Period,
        metadata: Vec<MetadataEntry>,
    ) -> Option<Measurement> {
        let mut closed = None;
        let gap = TimeDelta::minutes(MAX_GAP_MINUTES);
        if let Some(i) = self
            .open
            .iter()
            .position(|o| same_source(&o.source, &source))
        {
            let o = &self.open[i];
            let joins = *period.start() <= o.end + gap
                && *period.end() + gap >= o.start
                && o.stages.len() < MAX_STAGES;
            if !joins {
                closed = self.open.remove(i).close();
            }
        } else if self.open.len() >= MAX_OPEN {
            closed = self.open.remove(0).close();
        }
        let o = match self
            .open
            .iter()
            .position(|o| same_source(&o.source, &source))
        {
            Some(i) => &mut self.open[i],
            None => {
                self.open.push(Open {
                    source,
                    start: *period.start(),
                    end: *period.end(),
                    stages: Vec::new(),
                    metadata: Vec::new(),
                });
                let last = self.open.len() - 1;
                &mut self.open[last]
            }
        };
        if *period.start() < o.start {
            o.start = *period.start();
        }
        if *period.end() > o.end {
            o.end = *period.end();
        }
        for m in metadata {
            if o.metadata.len() < MAX_METADATA && !o.metadata.contains(&m) {
                o.metadata.push(m);
            }
        }
        o.stages.push(SleepStageInterval { stage, period });
        closed
    }

    /// Closes every open session (end of input).
    pub(crate) fn finish(&mut self) -> Vec<Measurement> {
        self.open.drain(..).filter_map(Open::close).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn p(a: &str, b: &str) -> Period {
        Period::new(
            DateTime::parse_from_rfc3339(a).unwrap(),
            DateTime::parse_from_rfc3339(b).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn reads_old_and_new_stage_names() {
        assert_eq!(
            stage("HKCategoryValueSleepAnalysisAsleep"),
            Some(SleepStage::AsleepUnspecified)
        );
        assert_eq!(
            stage("HKCategoryValueSleepAnalysisAsleepUnspecified"),
            Some(SleepStage::AsleepUnspecified)
        );
        assert_eq!(
            stage("HKCategoryValueSleepAnalysisAsleepREM"),
            Some(SleepStage::Rem)
        );
        assert_eq!(
            stage("HKCategoryValueSleepAnalysisInBed"),
            Some(SleepStage::InBed)
        );
        assert_eq!(stage("HKCategoryValueSleepAnalysisNap"), None);
    }

    #[test]
    fn groups_per_source_and_splits_on_long_gaps() {
        let watch = Some(Arc::new(Source {
            name: Some("Watch".into()),
            ..Source::default()
        }));
        let app = Some(Arc::new(Source {
            name: Some("App".into()),
            ..Source::default()
        }));
        let mut g = SleepGrouper::default();
        let t = |h: &str| format!("2025-03-01T{h}:00+09:00");
        let t2 = |h: &str| format!("2025-03-02T{h}:00+09:00");
        assert!(g
            .add(
                watch.clone(),
                SleepStage::Core,
                p(&t("23:00"), &t2("01:00")),
                vec![]
            )
            .is_none());
        assert!(g
            .add(
                app.clone(),
                SleepStage::InBed,
                p(&t("22:30"), &t2("07:00")),
                vec![]
            )
            .is_none());
        assert!(g
            .add(
                watch.clone(),
                SleepStage::Deep,
                p(&t2("01:00"), &t2("02:00")),
                vec![]
            )
            .is_none());
        // 20-minute gap: same session.
        assert!(g
            .add(
                watch.clone(),
                SleepStage::Rem,
                p(&t2("02:20"), &t2("03:00")),
                vec![]
            )
            .is_none());
        // Afternoon nap: closes the night.
        let night = g
            .add(
                watch.clone(),
                SleepStage::AsleepUnspecified,
                p(&t2("14:00"), &t2("14:30")),
                vec![],
            )
            .unwrap();
        let MeasurementValue::Sleep(s) = night.value() else {
            panic!()
        };
        assert_eq!(s.stages().len(), 3);
        assert_eq!(s.asleep_minutes(), 220);
        assert_eq!(night.effective().start().unwrap().to_rfc3339(), t("23:00"));
        let rest = g.finish();
        assert_eq!(rest.len(), 2);
    }
}
