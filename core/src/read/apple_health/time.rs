//! Apple export dates, parsed by hand: `YYYY-MM-DD HH:MM:SS ±HHMM` (spec `lifelog.md` §1.5).
//!
//! Three dates per record times millions of records: a format-string parser would dominate the read, so
//! the fixed layout is decoded digit by digit. The offset is kept exactly as written (it is the exporting
//! phone's offset at export time, not the measurement's; see [`ZoneCache`] for `HKTimeZone`).

#[cfg(test)]
use chrono::TimeDelta;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

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
/// third-party rewrites of the export produce. The reference for [`DateCache::parse`] in tests.
#[cfg(test)]
pub(crate) fn parse_timestamp(s: &[u8]) -> Option<Timestamp> {
    let f = fields(s)?;
    let date = parse_date(f.date)?;
    let time = NaiveTime::from_hms_opt(f.hour, f.minute, f.second)?;
    let offset = parse_offset(f.offset)?;
    let local = NaiveDateTime::new(date, time);
    let utc = local.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
    Some(DateTime::from_naive_utc_and_offset(utc, offset))
}

/// The parts of a timestamp, split by position (digits checked, ranges not yet).
struct Fields<'a> {
    date: &'a [u8],
    hour: u32,
    minute: u32,
    second: u32,
    offset: &'a [u8],
}

fn fields(s: &[u8]) -> Option<Fields<'_>> {
    if s.len() < 24 || (s[10] != b' ' && s[10] != b'T') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    // `±HHMM` after a space (Apple), or directly after the seconds (RFC 3339 style).
    let offset = match s[19] {
        b' ' => &s[20..],
        b'+' | b'-' => &s[19..],
        _ => return None,
    };
    Some(Fields {
        date: &s[..10],
        hour: digits(&s[11..13])?,
        minute: digits(&s[14..16])?,
        second: digits(&s[17..19])?,
        offset,
    })
}

/// `+HHMM` or `+HH:MM` (either sign) as a fixed offset.
fn parse_offset(off: &[u8]) -> Option<FixedOffset> {
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
    FixedOffset::east_opt(sign * i32::try_from(hh * 3600 + mm * 60).ok()?)
}

/// Remembers the last calendar date and offset parsed: consecutive records almost always share them,
/// and resolving a date is the costly part of a timestamp. With both known, a timestamp is the time of
/// day shifted by the offset, moved to the day before or after when that crosses midnight — no general
/// date arithmetic per record.
#[derive(Default)]
pub(crate) struct DateCache {
    /// The date's ten bytes as a key, the date, and the days before and after (for midnight shifts).
    date: Option<((u64, u16), Days)>,
    /// The offset's bytes (5 or 6) as a key, and the offset.
    offset: Option<(u64, FixedOffset)>,
}

#[derive(Clone, Copy)]
struct Days {
    day: NaiveDate,
    before: Option<NaiveDate>,
    after: Option<NaiveDate>,
}

/// Up to seven bytes and their count in one integer: a comparison without a `memcmp` call.
fn short_key(b: &[u8]) -> Option<u64> {
    if b.len() > 7 {
        return None;
    }
    let mut k = (b.len() as u64) << 56;
    for (i, &c) in b.iter().enumerate() {
        k |= u64::from(c) << (8 * i);
    }
    Some(k)
}

fn date_key(d: &[u8]) -> Option<(u64, u16)> {
    let head: [u8; 8] = d.get(..8)?.try_into().ok()?;
    let tail: [u8; 2] = d.get(8..10)?.try_into().ok()?;
    (d.len() == 10).then_some((u64::from_le_bytes(head), u16::from_le_bytes(tail)))
}

impl DateCache {
    /// [`parse_timestamp`] with the date and offset parts cached.
    pub(crate) fn parse(&mut self, s: &[u8]) -> Option<Timestamp> {
        let f = fields(s)?;
        let days = self.date(f.date)?;
        let offset = self.offset(f.offset)?;
        // The same ranges `NaiveTime::from_hms_opt` accepts (no leap second in this format).
        if f.hour >= 24 || f.minute >= 60 || f.second >= 60 {
            return None;
        }
        let local = i64::from(f.hour * 3600 + f.minute * 60 + f.second);
        // |offset| < 1 day, so UTC is on the local day or one day either side.
        let utc = local - i64::from(offset.local_minus_utc());
        let (day, secs) = match utc {
            ..0 => (days.before?, utc + 86_400),
            86_400.. => (days.after?, utc - 86_400),
            _ => (days.day, utc),
        };
        let time = NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(secs).ok()?, 0)?;
        Some(DateTime::from_naive_utc_and_offset(
            NaiveDateTime::new(day, time),
            offset,
        ))
    }

    fn date(&mut self, d: &[u8]) -> Option<Days> {
        let key = date_key(d)?;
        if let Some((k, days)) = &self.date {
            if *k == key {
                return Some(*days);
            }
        }
        let day = parse_date(d)?;
        let days = Days {
            day,
            before: day.pred_opt(),
            after: day.succ_opt(),
        };
        self.date = Some((key, days));
        Some(days)
    }

    fn offset(&mut self, o: &[u8]) -> Option<FixedOffset> {
        let key = short_key(o);
        if let (Some((k, off)), Some(key)) = (&self.offset, key) {
            if *k == key {
                return Some(*off);
            }
        }
        let off = parse_offset(o)?;
        // `parse_offset` accepted it, so it is 5 or 6 bytes and has a key.
        if let Some(key) = key {
            self.offset = Some((key, off));
        }
        Some(off)
    }
}

/// [`zone_offset_at`] with the zone name resolved once: exports repeat the same `HKTimeZone` on
/// thousands of records, and looking a name up in the tz database costs more than the offset itself.
#[derive(Default)]
pub(crate) struct ZoneCache {
    last: Option<(Box<str>, Option<Zone>)>,
}

#[derive(Clone, Copy)]
enum Zone {
    #[cfg(feature = "tz")]
    Tz(chrono_tz::Tz),
    Fixed(FixedOffset),
}

impl ZoneCache {
    /// The offset in force at `utc` in `zone`, exactly as [`zone_offset_at`] gives it.
    pub(crate) fn offset_at(
        &mut self,
        zone: &str,
        utc: &chrono::NaiveDateTime,
    ) -> Option<FixedOffset> {
        let resolved = match &self.last {
            Some((name, z)) if &**name == zone => *z,
            _ => {
                let z = resolve(zone);
                self.last = Some((zone.into(), z));
                z
            }
        };
        offset_in(resolved?, utc)
    }
}

/// The offset in force at `utc` in a resolved zone, cut to whole minutes (see [`zone_offset_at`]).
fn offset_in(zone: Zone, utc: &chrono::NaiveDateTime) -> Option<FixedOffset> {
    match zone {
        #[cfg(feature = "tz")]
        Zone::Tz(tz) => {
            use chrono::{Offset, TimeZone};
            let secs = tz.offset_from_utc_datetime(utc).fix().local_minus_utc();
            FixedOffset::east_opt(secs - secs % 60)
        }
        Zone::Fixed(off) => {
            let _ = utc;
            Some(off)
        }
    }
}

#[cfg(feature = "tz")]
fn resolve(zone: &str) -> Option<Zone> {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => Some(Zone::Tz(tz)),
        Err(_) => fixed_zone_offset(zone).map(Zone::Fixed),
    }
}

#[cfg(not(feature = "tz"))]
fn resolve(zone: &str) -> Option<Zone> {
    fixed_zone_offset(zone).map(Zone::Fixed)
}

/// The UTC offset in force at the instant `utc` in the IANA zone named by `HKTimeZone` metadata.
///
/// With the `tz` feature (default) every zone of the tz database resolves, daylight saving included, each
/// instant on its own (a sleep session can start in winter time and end in summer time). Without it only
/// zones whose offset has been fixed since 1970 resolve ([`fixed_zone_offset`]). `None`: an unknown name
/// (or a zone with daylight saving without `tz`); the reader then keeps the offset as written and says so.
///
/// Offsets are cut to whole minutes: before standard time (Tokyo until 1888) zones had a local mean time
/// such as +09:18:59, and FHIR (like ISO 8601 profiles generally) writes offsets as ±hh:mm only — a
/// seconds part would be lost on the way through FHIR. The instant itself never changes.
///
/// Uncached; the reader goes through [`ZoneCache`], which is tested against this.
#[cfg(test)]
pub(crate) fn zone_offset_at(zone: &str, utc: &chrono::NaiveDateTime) -> Option<FixedOffset> {
    offset_in(resolve(zone)?, utc)
}

/// The UTC offset of an IANA zone whose offset has been fixed since 1970 (no daylight saving) — exact
/// without a time-zone database. Also the fallback for legacy names the tz database may not carry.
pub(crate) fn fixed_zone_offset(zone: &str) -> Option<FixedOffset> {
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
    fn the_zone_cache_answers_like_the_lookup() {
        let mut cache = ZoneCache::default();
        let instants = [
            "1880-01-01T00:00:00",
            "2020-03-08T06:59:59",
            "2020-03-08T07:00:00",
            "2025-07-01T12:00:00",
        ];
        for zone in [
            "America/New_York",
            "Asia/Tokyo",
            "Asia/Tokyo",
            "Nowhere/City",
            "Etc/GMT+3",
            "America/New_York",
        ] {
            for t in instants {
                let utc: chrono::NaiveDateTime = t.parse().unwrap();
                assert_eq!(
                    cache.offset_at(zone, &utc),
                    zone_offset_at(zone, &utc),
                    "{zone} {t}"
                );
            }
        }
    }

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
    fn cached_parse_matches_the_reference_across_midnight_and_offsets() {
        let mut c = DateCache::default();
        let dates = [
            "2024-12-31",
            "2025-01-01",
            "2024-02-28",
            "2024-02-29",
            "2025-02-29",
        ];
        let times = [
            "00:00:00", "00:29:59", "08:05:02", "14:59:59", "15:00:00", "23:59:59", "24:00:00",
            "12:60:00", "12:00:60",
        ];
        let offsets = [
            " +0900", " -0530", " +0000", "+09:00", " -2359", " +2359", " +2400", " +0960", " 0900",
        ];
        let mut checked = 0;
        for d in dates {
            for t in times {
                for o in offsets {
                    let s = format!("{d} {t}{o}");
                    assert_eq!(c.parse(s.as_bytes()), parse_timestamp(s.as_bytes()), "{s}");
                    checked += usize::from(parse_timestamp(s.as_bytes()).is_some());
                }
            }
        }
        // 4 valid dates x 6 valid times x 6 valid offsets.
        assert_eq!(checked, 4 * 6 * 6);
    }

    #[test]
    fn zones_resolve_at_each_instant() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let tokyo = zone_offset_at("Asia/Tokyo", &at("2025-07-01 00:00")).unwrap();
        assert_eq!(tokyo.local_minus_utc(), 9 * 3600);
        assert_eq!(
            zone_offset_at("Mars/Olympus_Mons", &at("2025-07-01 00:00")),
            None
        );
        if cfg!(feature = "tz") {
            let paris = |s| {
                zone_offset_at("Europe/Paris", &at(s))
                    .unwrap()
                    .local_minus_utc()
            };
            assert_eq!(paris("2025-01-15 12:00"), 3600);
            assert_eq!(paris("2025-07-15 12:00"), 7200);
            // New York springs forward at 07:00 UTC on 2024-03-10.
            let ny = |s| {
                zone_offset_at("America/New_York", &at(s))
                    .unwrap()
                    .local_minus_utc()
            };
            assert_eq!(ny("2024-03-10 06:59"), -5 * 3600);
            assert_eq!(ny("2024-03-10 07:00"), -4 * 3600);
        } else {
            assert_eq!(
                zone_offset_at("Europe/Paris", &at("2025-07-15 12:00")),
                None
            );
        }
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
