//! The worst-case work a document may cause on any of its dates, computed from the document
//! alone, in local minutes, with an hour of slack for a DST change inside a seating: the
//! bounds hold on every date, whatever the season or zone.

use crate::limits::*;
use crate::resource::{DayHours, Resource, SlotRules, Week};

/// The worst case of a document, on any of its dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Costs {
    /// Slots on the busiest date.
    pub slots_per_day: u32,
    /// Grid instants one seating spans at most (concurrent occupancy and tables).
    pub seating_instants: u32,
    /// Pacing windows one start falls in at most.
    pub pacing_instants: u32,
    /// Counters one hold takes for its covers.
    pub hold_buckets: u32,
    /// Table counters one hold may check over every table and join that seats its party.
    pub table_buckets: u32,
    /// Counters of one date.
    pub day_buckets: u32,
    /// Evaluation steps of one date.
    pub day_steps: u32,
}

/// Slack for a seating that spans a DST change: an hour more of wall time.
const DST_SLACK_MIN: u32 = 60;
const DAY_MIN: u32 = 1440;

/// Slot starts of one day's hours, in local minutes, sorted and unique (as `slots_of` makes
/// them, before DST gaps drop some).
fn starts(hours: &DayHours, rules: &SlotRules) -> Vec<u32> {
    let mut out = Vec::new();
    for &(a, b) in hours {
        let mut m = u32::from(a);
        while m + rules.duration_min <= u32::from(b) && m < DAY_MIN {
            out.push(m);
            m += rules.interval_min;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Every distinct day of hours a document can have: each weekday of the base hours (all day
/// when there are none) and of every season's hours.
fn day_patterns(res: &Resource) -> Vec<DayHours> {
    let all_day = Week(std::array::from_fn(|_| vec![(0, 1440)]));
    let base = res.hours.as_ref().unwrap_or(&all_day);
    let mut out: Vec<DayHours> = Vec::new();
    for w in std::iter::once(base).chain(res.seasons.iter().filter_map(|s| s.hours.as_ref())) {
        for d in &w.0 {
            if !out.contains(d) {
                out.push(d.clone());
            }
        }
    }
    out
}

/// Most starts of any pattern in a window of `len` minutes that lies inside one day.
fn in_day(p: &[u32], len: u32) -> u32 {
    let (mut best, mut lo) = (0, 0);
    for hi in 0..p.len() {
        while p[hi] - p[lo] >= len {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best as u32
}

/// An upper bound of the grid instants in any window of `len` minutes, over every date.
fn window_bound(patterns: &[Vec<u32>], len: u32) -> u32 {
    let len = len + DST_SLACK_MIN;
    let most = patterns.iter().map(|p| p.len() as u32).max().unwrap_or(0);
    if len >= DAY_MIN {
        // A window over a day long crosses at most len/1440 + 2 dates.
        return most * (len / DAY_MIN + 2);
    }
    let inside = patterns.iter().map(|p| in_day(p, len)).max().unwrap_or(0);
    let tail = patterns.iter().map(|p| p.iter().filter(|m| **m + len > DAY_MIN).count() as u32).max().unwrap_or(0);
    let head = patterns.iter().map(|p| p.iter().filter(|m| **m < len).count() as u32).max().unwrap_or(0);
    inside.max(tail + head)
}

/// The most table counters a hold may check: over every party size, the tables and joins that
/// seat it, each taking one counter per table type it uses per seating instant.
fn table_bound(rules: &SlotRules, seating: u32) -> u32 {
    let sizes = rules.tables.iter().map(|t| t.min).chain(rules.joins.iter().map(|j| j.min));
    sizes
        .map(|q| {
            let singles = rules.tables.iter().filter(|t| t.min <= q && q <= t.max).count() as u32;
            let joins: u32 = rules.joins.iter().filter(|j| j.min <= q && q <= j.max).map(|j| j.uses.len() as u32).sum();
            (singles + joins).saturating_mul(seating)
        })
        .max()
        .unwrap_or(0)
}

/// The worst case of a compiled document.
pub fn costs(res: &Resource) -> Costs {
    let dated = u32::from(res.daily.is_some()) + u32::from(res.has_stock);
    let Some(rules) = res.slots.as_ref() else {
        return Costs { hold_buckets: dated, day_buckets: dated, day_steps: dated, ..Costs::default() };
    };
    let patterns: Vec<Vec<u32>> = day_patterns(res).iter().map(|h| starts(h, rules)).collect();
    let slots_per_day = patterns.iter().map(|p| p.len() as u32).max().unwrap_or(0);
    let occupies = rules.concurrent.is_some() || !rules.tables.is_empty();
    let seating_instants = if occupies { window_bound(&patterns, rules.duration_min) } else { 0 };
    let pacing_instants = rules.pacing.map_or(0, |(w, _)| window_bound(&patterns, w));
    let concurrent = u32::from(rules.concurrent.is_some());
    let types = rules.tables.len() as u32;
    let hold_buckets = dated + 1 + concurrent * seating_instants + pacing_instants;
    // A date's counters: its slots, and the instants its seatings and pacing windows reach,
    // which run into the next (and previous) date's starts.
    let seated = slots_per_day.saturating_add(seating_instants).saturating_mul(concurrent + types);
    let paced = if rules.pacing.is_some() { slots_per_day.saturating_add(pacing_instants) } else { 0 };
    let scans = seating_instants.saturating_mul(concurrent + types).saturating_add(pacing_instants);
    Costs {
        slots_per_day,
        seating_instants,
        pacing_instants,
        hold_buckets,
        table_buckets: table_bound(rules, seating_instants),
        day_buckets: dated + slots_per_day + seated + paced,
        day_steps: slots_per_day.saturating_mul(dated + 1 + scans),
    }
}

/// The limits a document's worst case passes: `(path, message)` for each.
pub fn over_limits(res: &Resource) -> Vec<(&'static str, String)> {
    let c = costs(res);
    let p = "dimensions.slots";
    let checks = [
        (c.slots_per_day, MAX_SLOTS_PER_DAY, "slots on one date (hours ÷ interval_min)"),
        (c.hold_buckets, MAX_HOLD_BUCKETS, "counters one hold takes (duration_min and pacing.window_min ÷ interval_min)"),
        (c.table_buckets, MAX_TABLE_BUCKETS, "table counters one hold may check (tables and joins × instants of a seating)"),
        (c.day_buckets, MAX_DAY_BUCKETS, "counters of one date (slots × concurrent, pacing and table types)"),
        (c.day_steps, MAX_DAY_STEPS, "evaluation steps of one date (slots × instants each one scans)"),
    ];
    checks
        .into_iter()
        .filter(|(have, max, _)| have > max)
        .map(|(have, max, what)| (p, format!("too costly: {have} {what}, the limit is {max} (docs/limits.md)")))
        .collect()
}
