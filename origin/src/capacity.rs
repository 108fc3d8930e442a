//! Capacity against what is committed: which counters are past the limits a document gives
//! them. The drift check calls a counter past its limit an oversell unless the seller lowered
//! the limit knowingly (a forced `PUT`, which records the counters it left overcommitted);
//! a `PUT` that would leave counters past the new limits is refused unless forced.

use std::collections::{BTreeMap, BTreeSet};

use aforo_core::{Bucket, Counters, Resource, Snapshot, State};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

/// A counter past its limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Over {
    /// The counter.
    pub bucket: String,
    /// Its local date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Its local time (`HH:MM`): the slot, or the moment a seating or pacing window counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Units committed (held + consumed).
    pub committed: i64,
    /// The limit the document gives it.
    pub limit: u32,
}

/// The local dates a bucket can belong to (a UTC instant may be the day before locally, or a
/// seating begun the day before).
fn dates_of(b: &Bucket, tz: chrono_tz::Tz) -> Vec<NaiveDate> {
    let at = |m: i64| {
        let d = aforo_core::local_date(tz, aforo_core::from_epoch_min(m));
        vec![d - Duration::days(1), d]
    };
    match b {
        Bucket::Stock => vec![],
        Bucket::Day(d) | Bucket::Slot(d, _) => vec![*d],
        Bucket::Moment(m) | Bucket::Pace(m) | Bucket::Table(_, m) => at(*m),
    }
}

/// Where a bucket is, in the resource's local time.
fn place(b: &Bucket, tz: chrono_tz::Tz) -> (Option<NaiveDate>, Option<String>) {
    let local = |m: i64| {
        let t = aforo_core::from_epoch_min(m).with_timezone(&tz);
        (Some(t.date_naive()), Some(t.format("%H:%M").to_string()))
    };
    match b {
        Bucket::Stock => (None, None),
        Bucket::Day(d) => (Some(*d), None),
        Bucket::Slot(d, m) => (Some(*d), Some(format!("{:02}:{:02}", m / 60, m % 60))),
        Bucket::Moment(m) | Bucket::Pace(m) | Bucket::Table(_, m) => local(*m),
    }
}

/// Each counter (name, committed) with the limit `res` (with `state`) gives it; counters the
/// document gives no limit (a past date, a slot no longer sold) are left out.
pub fn limits_of(res: &Resource, state: &State, counters: &[(String, i64)], now: DateTime<Utc>) -> Vec<(String, Bucket, i64, u32)> {
    let snap = Snapshot {
        resource_id: String::new(),
        owner: String::new(),
        resource: res.clone(),
        state: state.clone(),
        covers: None,
        counters: Counters::default(),
        as_of: now,
    };
    let parsed: Vec<(Bucket, &String, i64)> = counters.iter().filter_map(|(k, v)| Some((k.parse::<Bucket>().ok()?, k, *v))).collect();
    let mut dates: BTreeSet<NaiveDate> = parsed.iter().flat_map(|(b, ..)| dates_of(b, res.tz)).collect();
    // Any date gives the stock limit; today's is as good as another.
    dates.insert(aforo_core::today(res, now));
    let mut limits = BTreeMap::new();
    for d in dates {
        limits.extend(aforo_core::limits_between(&snap, d, d));
    }
    parsed.into_iter().filter_map(|(b, name, v)| Some((name.clone(), b.clone(), v, *limits.get(&b)?))).collect()
}

/// The counters past the limits `res` gives them.
pub fn over_limits(res: &Resource, state: &State, counters: &[(String, i64)], now: DateTime<Utc>) -> Vec<Over> {
    limits_of(res, state, counters, now)
        .into_iter()
        .filter(|(_, _, v, limit)| *v > i64::from(*limit))
        .map(|(bucket, b, committed, limit)| {
            let (date, at) = place(&b, res.tz);
            Over { bucket, date, at, committed, limit }
        })
        .collect()
}

/// What a new document must be checked against in its write: every committed counter of a
/// date from yesterday on (the live window; stock has its own check) with the limit the new
/// document gives it.
pub fn checks(res: &Resource, state: &State, counters: &[(String, i64)], now: DateTime<Utc>) -> Vec<(String, u32)> {
    let yesterday = aforo_core::today(res, now) - Duration::days(1);
    limits_of(res, state, counters, now)
        .into_iter()
        .filter(|(_, b, ..)| *b != Bucket::Stock && dates_of(b, res.tz).iter().any(|d| *d >= yesterday))
        .map(|(name, _, _, limit)| (name, limit))
        .collect()
}

/// The overcommitted counters the store recorded (`bucket\tcommitted\tlimit` lines), placed
/// in the resource's local time.
pub fn parse_recorded(res: &Resource, recorded: Option<&str>) -> Vec<Over> {
    recorded
        .unwrap_or("")
        .lines()
        .filter_map(|l| {
            let mut p = l.split('\t');
            let (bucket, committed, limit) = (p.next()?, p.next()?.parse().ok()?, p.next()?.parse().ok()?);
            let (date, at) = bucket.parse::<Bucket>().map(|b| place(&b, res.tz)).unwrap_or((None, None));
            Some(Over { bucket: bucket.to_string(), date, at, committed, limit })
        })
        .collect()
}

/// Parses the overcommitted counters a forced `PUT` recorded (`bucket\tcommitted\tlimit`
/// lines): the buckets the seller knowingly left past their limit.
pub fn acknowledged(recorded: Option<&str>) -> BTreeSet<String> {
    recorded.unwrap_or("").lines().filter_map(|l| l.split('\t').next()).filter(|b| !b.is_empty()).map(String::from).collect()
}
