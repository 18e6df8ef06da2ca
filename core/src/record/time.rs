//! Time as sources record it: an instant with its UTC offset kept, an interval, or a calendar date.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::RecordError;

/// An instant with the UTC offset it was written with (`2025-02-28T07:01:00+09:00`).
///
/// Two timestamps are equal only if both the instant and the offset are equal, so round trips keep the
/// offset exactly as written.
pub type Timestamp = DateTime<FixedOffset>;

/// When a measurement applies (FHIR `effective[x]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Effective {
    /// A point in time (`effectiveDateTime`).
    Instant(Timestamp),
    /// An interval (`effectivePeriod`); `start <= end` is checked at construction.
    Period(Period),
    /// A calendar date without time or zone (Apple `ActivitySummary`, date-only FHIR input).
    Date(NaiveDate),
}

/// A closed interval whose end is never before its start.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    start: Timestamp,
    end: Timestamp,
}

impl Period {
    /// Builds an interval; rejects an end before the start.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Period, RecordError> {
        if end < start {
            return Err(RecordError::EndBeforeStart);
        }
        Ok(Period { start, end })
    }

    /// Start of the interval.
    pub fn start(&self) -> &Timestamp {
        &self.start
    }

    /// End of the interval.
    pub fn end(&self) -> &Timestamp {
        &self.end
    }

    /// Length of the interval.
    pub fn duration(&self) -> chrono::Duration {
        self.end.signed_duration_since(self.start)
    }
}

impl Effective {
    /// An interval, or an instant when start equals end (the PGHD IG rule, `fhir-mapping.md` §4).
    pub fn from_bounds(start: Timestamp, end: Timestamp) -> Result<Effective, RecordError> {
        if start == end && start.offset() == end.offset() {
            Ok(Effective::Instant(start))
        } else {
            Period::new(start, end).map(Effective::Period)
        }
    }

    /// The start (or the instant); `None` for a bare date.
    pub fn start(&self) -> Option<&Timestamp> {
        match self {
            Effective::Instant(t) => Some(t),
            Effective::Period(p) => Some(p.start()),
            Effective::Date(_) => None,
        }
    }

    /// The end (or the instant); `None` for a bare date.
    pub fn end(&self) -> Option<&Timestamp> {
        match self {
            Effective::Instant(t) => Some(t),
            Effective::Period(p) => Some(p.end()),
            Effective::Date(_) => None,
        }
    }

    /// The calendar date at the start, in the offset it was written with.
    pub fn date(&self) -> NaiveDate {
        match self {
            Effective::Instant(t) => t.date_naive(),
            Effective::Period(p) => p.start().date_naive(),
            Effective::Date(d) => *d,
        }
    }
}

/// Formats a timestamp as FHIR `dateTime`/`instant`: seconds always, fractions only when present, and the
/// offset as written (`Z` only for a zero offset).
pub fn format_timestamp(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
