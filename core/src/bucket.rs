//! Buckets: the named counters a hold increments, one per dimension and date, slot, moment or
//! pacing window. Their string form is the Redis hash field and the snapshot key.
//!
//! Dated buckets use the local date; slot buckets the local date and `HH:MM`, which names one
//! slot even across DST (an overlap's repeated hour is one slot); moment and pacing buckets use
//! UTC minutes, because occupancy happens at instants, not at wall times.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::local::{fmt_hhmm, from_epoch_min, parse_date, parse_hhmm, EpochMin};

/// One counter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// Units of stock committed (`stock`).
    Stock,
    /// Units committed on a local date (`d:2026-12-05`).
    Day(NaiveDate),
    /// Units starting at a slot (`s:2026-12-05T20:15`).
    Slot(NaiveDate, u16),
    /// Units in use at an instant (`c:2026-12-05T19:15Z`).
    Moment(EpochMin),
    /// Units starting in the pacing window that opens at an instant (`p:2026-12-05T19:15Z`).
    Pace(EpochMin),
    /// Tables of a type in use at an instant (`t:4-top@2026-12-05T19:15Z`).
    Table(String, EpochMin),
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bucket::Stock => f.write_str("stock"),
            Bucket::Day(d) => write!(f, "d:{}", d.format("%Y-%m-%d")),
            Bucket::Slot(d, m) => write!(f, "s:{}T{}", d.format("%Y-%m-%d"), fmt_hhmm(*m)),
            Bucket::Moment(t) => write!(f, "c:{}", from_epoch_min(*t).format("%Y-%m-%dT%H:%MZ")),
            Bucket::Pace(t) => write!(f, "p:{}", from_epoch_min(*t).format("%Y-%m-%dT%H:%MZ")),
            Bucket::Table(kind, t) => write!(f, "t:{kind}@{}", from_epoch_min(*t).format("%Y-%m-%dT%H:%MZ")),
        }
    }
}

/// A string that is not a bucket name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a bucket name: {0:?}")]
pub struct BadBucket(pub String);

fn parse_utc_min(s: &str) -> Option<EpochMin> {
    let s = s.strip_suffix('Z')?;
    let (d, t) = s.split_once('T')?;
    let date = parse_date(d)?;
    let m = parse_hhmm(t).filter(|m| *m < 1440)?;
    let dt = date.and_hms_opt(u32::from(m / 60), u32::from(m % 60), 0)?.and_utc();
    Some(dt.timestamp() / 60)
}

impl FromStr for Bucket {
    type Err = BadBucket;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadBucket(s.to_string());
        if s == "stock" {
            return Ok(Bucket::Stock);
        }
        let (tag, rest) = s.split_once(':').ok_or_else(bad)?;
        match tag {
            "d" => parse_date(rest).map(Bucket::Day),
            "s" => rest.split_once('T').and_then(|(d, t)| Some(Bucket::Slot(parse_date(d)?, parse_hhmm(t).filter(|m| *m < 1440)?))),
            "c" => parse_utc_min(rest).map(Bucket::Moment),
            "p" => parse_utc_min(rest).map(Bucket::Pace),
            "t" => rest.split_once('@').and_then(|(kind, t)| {
                let ok = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                Some(Bucket::Table(kind.to_string(), parse_utc_min(t).filter(|_| ok)?))
            }),
            _ => None,
        }
        .ok_or_else(bad)
    }
}
