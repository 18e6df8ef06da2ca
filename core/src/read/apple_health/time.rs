//! Apple export dates, parsed by hand: `YYYY-MM-DD HH:MM:SS ±HHMM` (spec `lifelog.md` §1.5).
//!
//! Three dates per record times millions of records: a format-string parser would dominate the read, so
//! the fixed layout is decoded digit by digit. The offset is kept exactly as written (it is the exporting
//! phone's offset at export time, not the measurement's; see [`zone_offset`] for `HKTimeZone`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use crate::record::Timestamp;

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Parses a plain calendar date `YYYY-MM-DD` (`Me` birth date, `ActivitySummary/@dateComponents`).
pub(crate) fn parse_date(s: &[u8]) -> Option<NaiveDate> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(&s[0..4])?).ok()?,
        digits(&s[5..7])?,
        digits(&s[8..10])?,
    )
}

/// Parses `YYYY-MM-DD HH:MM:SS ±HHMM`; also accepts `±HH:MM` and a `T` separator, which some
/// third-party rewrites of the export produce.
#[cfg(test)]
pub(crate) fn parse_timestamp(s: &[u8]) -> Option<Timestamp> {
    parse_with(s, parse_date)
}

/// Remembers the last calendar date parsed: consecutive records almost always share it, and resolving a
/// date is the costly part of a timestamp.
#[derive(Default)]
pub(crate) struct DateCache {
    last: Option<([u8; 10], NaiveDate)>,
}

impl DateCache {
    /// [`parse_timestamp`] with the date part cached.
    pub(crate) fn parse(&mut self, s: &[u8]) -> Option<Timestamp> {
        parse_with(s, |d| {
            if let Some((raw, date)) = &self.last {
                if raw == d {
                    return Some(*date);
                }
            }
            let date = parse_date(d)?;
            let mut raw = [0u8; 10];
            raw.copy_from_slice(d);
            self.last = Some((raw, date));
            Some(date)
        })
    }
}

fn parse_with(s: &[u8], date: impl FnOnce(&[u8]) -> Option<NaiveDate>) -> Option<Timestamp> {
    if s.len() < 24 || (s[10] != b' ' && s[10] != b'T') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let date = date(&s[..10])?;
    let time = NaiveTime::from_hms_opt(
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    )?;
    // `±HHMM` after a space (Apple), or directly after the seconds (RFC 3339 style).
    let off = match s[19] {
        b' ' => &s[20..],
        b'+' | b'-' => &s[19..],
        _ => return None,
    };
    let sign = match off.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hh, mm) = match off.len() {
        5 => (digits(&off[1..3])?, digits(&off[3..5])?),
        6 if off[3] == b':' => (digits(&off[1..3])?, digits(&off[4..6])?),
        _ => return None,
    };
    if mm >= 60 {
        return None;
    }
    let seconds = sign * i32::try_from(hh * 3600 + mm * 60).ok()?;
    let offset = FixedOffset::east_opt(seconds)?;
    let local = NaiveDateTime::new(date, time);
    let utc = local.checked_sub_signed(TimeDelta::seconds(i64::from(seconds)))?;
    Some(DateTime::from_naive_utc_and_offset(utc, offset))
}

/// The UTC offset of an IANA zone named in `HKTimeZone` metadata, for zones whose offset has been fixed
/// since 1970 (no daylight saving) — an exact answer without a time-zone database.
///
/// Zones with daylight saving (`Europe/Paris`, `America/New_York`, …) return `None`: the reader then keeps
/// the offset as written and notes that the zone was not resolved. Adding `chrono-tz` would resolve them
/// all; it was left out to keep the dependency tree small (decision for the lead).
pub(crate) fn zone_offset(zone: &str) -> Option<FixedOffset> {
    // Seconds east of UTC. Tokyo has had +09:00 without DST since 1952; the others since before 1970
    // except where noted (Seoul's last DST was 1988, Shanghai's 1991: fine for lifelog data).
    let secs = match zone {
        "Asia/Tokyo" | "Japan" | "Asia/Seoul" | "ROK" | "Asia/Pyongyang" => 9 * 3600,
        "Asia/Shanghai" | "PRC" | "Asia/Hong_Kong" | "Asia/Taipei" | "Asia/Singapore"
        | "Asia/Manila" | "Asia/Kuala_Lumpur" | "Australia/Perth" => 8 * 3600,
        "Asia/Bangkok" | "Asia/Jakarta" | "Asia/Ho_Chi_Minh" => 7 * 3600,
        "Asia/Kolkata" | "Asia/Calcutta" => 5 * 3600 + 1800,
        "Asia/Dubai" => 4 * 3600,
        "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Africa/Abidjan" | "Atlantic/Reykjavik" => 0,
        "Pacific/Honolulu" | "US/Hawaii" => -10 * 3600,
        _ => return None,
    };
    FixedOffset::east_opt(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_apple_dates_keeping_the_offset() {
        let t = parse_timestamp(b"2025-02-28 08:05:02 +0900").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-02-28T08:05:02+09:00");
        let t = parse_timestamp(b"2021-01-10 23:59:59 -0530").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-01-10T23:59:59-05:30");
        assert_eq!(t.naive_utc().to_string(), "2021-01-11 05:29:59");
        let t = parse_timestamp(b"2021-01-10T23:59:59+05:30").unwrap();
        assert_eq!(t.offset().local_minus_utc(), 19800);
    }

    #[test]
    fn cached_dates_follow_date_changes() {
        let mut c = DateCache::default();
        for s in [
            &b"2025-02-28 23:59:59 +0900"[..],
            b"2025-02-28 08:00:00 +0900",
            b"2025-03-01 00:00:01 +0900",
            b"2025-02-28 00:00:00 -0800",
        ] {
            assert_eq!(c.parse(s), parse_timestamp(s));
        }
        assert_eq!(c.parse(b"2025-02-30 00:00:00 +0900"), None);
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            &b"2025-02-30 08:05:02 +0900"[..],
            b"2025-02-28 24:05:02 +0900",
            b"2025-02-28 08:05:02 0900",
            b"2025-02-28 08:05:02 +09",
            b"2025-02-28 08:05:02 +0960",
            b"2025-02-28",
            b"",
        ] {
            assert_eq!(
                parse_timestamp(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            parse_date(b"1980-04-01"),
            NaiveDate::from_ymd_opt(1980, 4, 1)
        );
        assert_eq!(parse_date(b"1980-4-01"), None);
    }
}
