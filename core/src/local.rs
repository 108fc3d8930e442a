//! Local time in the resource's timezone (the DST rules of API.md in one place) and the text
//! forms of dates and times every document and query uses.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Minutes since the Unix epoch: the unit of every instant-keyed bucket.
pub type EpochMin = i64;

/// Converts an instant to whole epoch minutes (flooring).
pub fn epoch_min(t: DateTime<Utc>) -> EpochMin {
    t.timestamp().div_euclid(60)
}

/// The instant of an epoch minute.
pub fn from_epoch_min(m: EpochMin) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(m * 60, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn naive(date: NaiveDate, minute: u16) -> Option<chrono::NaiveDateTime> {
    if minute >= 1440 {
        let next = date.succ_opt()?;
        return Some(next.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute) - 1440));
    }
    let t = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
    Some(date.and_time(t))
}

/// The instant of a local wall time that names a slot: `None` in a DST gap, the first
/// occurrence in a DST overlap (API.md).
pub(crate) fn slot_instant(tz: Tz, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive(date, minute)?) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The instant of a local wall time used as a boundary (opening, cutoff): in a DST gap it is
/// the first wall time after the gap, so a boundary never vanishes.
pub(crate) fn boundary_instant(tz: Tz, date: NaiveDate, minute: u16) -> DateTime<Utc> {
    // Gaps are at most a few hours; walking forward by minutes finds the end of any of them.
    for step in 0..=24 * 60 {
        if let Some(t) = naive(date, minute).map(|n| n + Duration::minutes(step)) {
            match tz.from_local_datetime(&t) {
                LocalResult::Single(x) => return x.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
                LocalResult::None => {}
            }
        }
    }
    DateTime::<Utc>::MAX_UTC
}

/// The local date of an instant.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The first instant of a local date (its midnight, or the first wall time after a DST gap
/// that swallows it).
pub fn start_of_local_date(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    boundary_instant(tz, date, 0)
}

/// The end of a local date: the first instant of the next one. A booking is kept until the
/// end of its last date plus a retention.
pub fn end_of_local_date(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    date.succ_opt().map_or(DateTime::<Utc>::MAX_UTC, |next| boundary_instant(tz, next, 0))
}

/// RFC 3339 with seconds and a numeric offset, as every instant in the API.
pub fn rfc3339<T: TimeZone>(t: &DateTime<T>) -> String
where
    T::Offset: std::fmt::Display,
{
    t.fixed_offset().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The instant in the resource's local offset, RFC 3339.
pub fn rfc3339_local(tz: Tz, t: DateTime<Utc>) -> String {
    rfc3339(&t.with_timezone(&tz))
}

/// Parses `HH:MM` (00:00..=24:00) into minutes since midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
        return None;
    }
    let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Formats minutes since midnight as `HH:MM`.
pub(crate) fn fmt_hhmm(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// Parses a `YYYY-MM-DD` date strictly.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}
