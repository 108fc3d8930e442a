//! Warnings about a valid document: limits that can never bind, so that a seller does not
//! believe in a figure another one always overrides (the restaurant whose slot capacity of
//! 16 silently overrode its pacing of 20 per 15 minutes). A warning refuses nothing.
//!
//! "Binds" is [`crate::explain`]'s: the rule leaving the fewest units, ties to the narrowest.
//! Each check is a proof over every date and every state of the counters, so a warning is
//! never wrong (a DST night, when local starts crowd into fewer real minutes, apart):
//!
//! - **pacing** `max` per `window_min` can never bind when `max ≥ k × c`, `k` the most slot
//!   starts in any `window_min` minutes and `c` the largest slot capacity: the window never
//!   holds more than the starts in it can take.
//! - **slot capacity** `c` can never bind when `c` is above the pacing `max`, `concurrent`,
//!   the largest daily capacity, or the seats of all the tables together: each of those
//!   counts a slot's own units too, and leaves fewer.
//! - **concurrent** can never bind when it is at least `k × c` (`k` the most starts whose
//!   seatings overlap one instant) or above the seats of all the tables.
//! - **daily** capacity can never bind when it is at least the most starts of a day × `c`.
//! - **qty.max** above the largest table or combination: such a party is never seated.

use crate::error::FieldError;
use crate::resource::{DayHours, Resource, SlotRules};
use crate::rules::ALL_DAY;
use crate::slots::each_start;

/// The warnings of a valid document, each at the path of the figure that can never bind.
pub fn warnings(res: &Resource) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut warn = |path: String, message: String| out.push(FieldError { path, message });
    if let Some(rules) = &res.slots {
        let days = start_days(res, rules);
        let caps: Vec<(String, u32)> = std::iter::once(("dimensions.slots.capacity".to_string(), rules.capacity))
            .chain(
                res.seasons
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| Some((format!("seasons[{i}].overrides.slot_capacity"), s.slot_capacity?))),
            )
            .collect();
        let cap = caps.iter().map(|c| c.1).max().unwrap_or(rules.capacity);
        let dailies: Vec<(String, u32)> = res
            .daily
            .map(|d| ("dimensions.daily.capacity".to_string(), d))
            .into_iter()
            .chain(
                res.seasons
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| Some((format!("seasons[{i}].overrides.daily_capacity"), s.daily_capacity?))),
            )
            .collect();
        let seats: Option<u32> =
            (!rules.tables.is_empty()).then(|| rules.tables.iter().map(|t| t.count.saturating_mul(t.max)).fold(0, u32::saturating_add));
        let per = |k: u32| if k == 1 { "1 start".to_string() } else { format!("{k} starts") };
        if let Some((w, max)) = rules.pacing {
            let k = most_in(&days, w);
            if u64::from(max) >= u64::from(k) * u64::from(cap) {
                let why = format!(
                    "pacing of {max} per {w} minutes can never bind: {w} minutes hold at most {} of at most {cap} each (slot capacity), so slot capacity always decides first",
                    per(k)
                );
                warn("dimensions.slots.pacing.max".into(), why);
            }
        }
        if let Some(c) = rules.concurrent {
            let k = most_in(&days, rules.duration_min);
            if u64::from(c) >= u64::from(k) * u64::from(cap) {
                let why = format!(
                    "concurrent {c} can never bind: at most {} of {} minutes overlap, of at most {cap} each (slot capacity)",
                    per(k),
                    rules.duration_min
                );
                warn("dimensions.slots.concurrent".into(), why);
            } else if let Some(s) = seats.filter(|s| c > *s) {
                warn("dimensions.slots.concurrent".into(), format!("concurrent {c} can never bind: the tables seat {s} at once"));
            }
        }
        let n = days.iter().map(|d| d.len() as u32).max().unwrap_or(0);
        for (path, d) in &dailies {
            if u64::from(*d) >= u64::from(n) * u64::from(cap) {
                warn(
                    path.clone(),
                    format!("daily capacity {d} can never bind: a day has at most {} of at most {cap} each (slot capacity)", per(n)),
                );
            }
        }
        let daily_max = dailies.iter().map(|d| d.1).max();
        let lower = [
            rules.pacing.map(|(w, max)| (max, format!("pacing lets at most {max} start in {w} minutes"))),
            rules.concurrent.map(|c| (c, format!("concurrent lets at most {c} be in at once"))),
            daily_max.map(|d| (d, format!("the daily capacity is at most {d}"))),
            seats.map(|s| (s, format!("the tables seat {s} at once"))),
        ];
        if let Some((limit, why)) = lower.into_iter().flatten().min_by_key(|l| l.0) {
            for (path, c) in caps.iter().filter(|c| c.1 > limit) {
                warn(path.clone(), format!("slot capacity {c} can never bind: {why}"));
            }
        }
        let largest = rules.tables.iter().map(|t| t.max).chain(rules.joins.iter().map(|j| j.max)).max();
        if let (Some(q), Some(l)) = (res.qty_max, largest.filter(|l| res.qty_max.is_some_and(|q| q > *l))) {
            warn("qty.max".into(), format!("parties of {} to {q} can never be seated: the largest table or combination seats {l}", l + 1));
        }
    }
    out
}

/// The start minutes of every distinct day the hours (base and seasons') can give.
fn start_days(res: &Resource, rules: &SlotRules) -> Vec<Vec<u16>> {
    let all_day: DayHours = vec![ALL_DAY];
    let mut hours: Vec<&DayHours> = match &res.hours {
        Some(w) => w.0.iter().collect(),
        None => vec![&all_day],
    };
    hours.extend(res.seasons.iter().filter_map(|s| s.hours.as_ref()).flat_map(|w| w.0.iter()));
    let mut days: Vec<Vec<u16>> = hours
        .into_iter()
        .map(|h| {
            let mut starts = Vec::new();
            each_start(rules, h, |m| starts.push(m));
            starts.sort_unstable();
            starts.dedup();
            starts
        })
        .collect();
    days.sort();
    days.dedup();
    days
}

/// At least the most starts in any `window` minutes: the most within one day, or, for a
/// window crossing midnight, the most in a day's last `window` minutes and the next day's
/// first (an upper bound, so a warning built on it is never wrong).
fn most_in(days: &[Vec<u16>], window: u32) -> u32 {
    let within = |d: &Vec<u16>| {
        let (mut lo, mut most) = (0, 0);
        for (hi, s) in d.iter().enumerate() {
            while u32::from(d[lo]) + window <= u32::from(*s) {
                lo += 1;
            }
            most = most.max(hi + 1 - lo);
        }
        most as u32
    };
    let most = days.iter().map(within).max().unwrap_or(0);
    let tail = days.iter().map(|d| d.iter().filter(|m| u32::from(**m) + window > 1440).count() as u32).max().unwrap_or(0);
    let head = days.iter().map(|d| d.iter().filter(|m| u32::from(**m) < window).count() as u32).max().unwrap_or(0);
    // A window of more than a day may span a whole day between two others.
    let whole = if window > 1440 { most.saturating_mul(window / 1440 + 1) } else { 0 };
    most.max(tail + head).max(whole)
}
