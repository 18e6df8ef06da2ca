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

/// Formats a timestamp as FHIR `dateTime`/`instant`: seconds always, fractions only when present (3, 6 or 9
/// digits), and the offset as written (`Z` only for a zero offset).
pub fn format_timestamp(t: &Timestamp) -> String {
    let mut buf = Vec::with_capacity(32);
    write_timestamp(&mut buf, t);
    String::from_utf8(buf).unwrap_or_default()
}

/// Appends the FHIR form of `t` to `buf` without allocating: the FHIR writer calls this for every
/// timestamp, so it avoids chrono's general-purpose formatter.
pub fn write_timestamp(buf: &mut Vec<u8>, t: &Timestamp) {
    use chrono::{Datelike, Timelike};
    let n = t.naive_local();
    let nanos = n.nanosecond();
    let year = n.year();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // Outside FHIR's 4-digit years, or a leap second: let chrono spell it.
        buf.extend_from_slice(
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                .as_bytes(),
        );
        return;
    }
    let two = |buf: &mut Vec<u8>, v: u32| {
        buf.push(b'0' + (v / 10) as u8);
        buf.push(b'0' + (v % 10) as u8);
    };
    let y = year as u32;
    two(buf, y / 100);
    two(buf, y % 100);
    buf.push(b'-');
    two(buf, n.month());
    buf.push(b'-');
    two(buf, n.day());
    buf.push(b'T');
    two(buf, n.hour());
    buf.push(b':');
    two(buf, n.minute());
    buf.push(b':');
    two(buf, n.second());
    if nanos != 0 {
        let (digits, mut v) = if nanos % 1_000_000 == 0 {
            (3, nanos / 1_000_000)
        } else if nanos % 1000 == 0 {
            (6, nanos / 1000)
        } else {
            (9, nanos)
        };
        buf.push(b'.');
        let start = buf.len();
        buf.resize(start + digits, b'0');
        for i in (0..digits).rev() {
            buf[start + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    let off = t.offset().local_minus_utc();
    if off == 0 {
        buf.push(b'Z');
        return;
    }
    buf.push(if off < 0 { b'-' } else { b'+' });
    let off = off.unsigned_abs() / 60;
    two(buf, off / 60);
    buf.push(b':');
    two(buf, off % 60);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_formatter_matches_chrono_rfc3339() {
        for s in [
            "2025-02-28T07:01:00+09:00",
            "2025-02-28T07:01:00Z",
            "1999-12-31T23:59:59.5-05:30",
            "2025-02-28T07:01:00.123456+09:00",
            "2025-02-28T07:01:00.000000001+00:15",
        ] {
            let t = chrono::DateTime::parse_from_rfc3339(s).unwrap();
            assert_eq!(
                format_timestamp(&t),
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                "{s}"
            );
        }
    }
}
