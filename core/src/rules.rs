//! Calendar rules: what applies on a date (seasons), and whether a date or a start may sell.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::RuleCode;
use crate::explain::{Refusal, Rule};
use crate::local::{boundary_instant, start_of_local_date};
use crate::resource::{CutoffRule, DayHours, Resource, MULT_SCALE};

/// A seller's pause: no sales until `until` (or until resumed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    /// When the pause lifts by itself; `None` lasts until resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Why, for the seller and ops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Pause {
    /// Whether the pause is in force at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|u| now < u)
    }
}

/// The settings in force on one date after seasons are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct DaySettings {
    /// The date.
    pub date: NaiveDate,
    /// Opening intervals; empty means closed by hours.
    pub hours: DayHours,
    /// Daily capacity, if the resource has the daily dimension.
    pub daily_capacity: Option<u32>,
    /// Slot capacity, if the resource has slots.
    pub slot_capacity: Option<u32>,
    /// Lead time in minutes.
    pub lead_time_min: u32,
    /// Cutoff.
    pub cutoff: Option<CutoffRule>,
    /// Season price multiplier, millionths.
    pub price_mult: u64,
}

/// The hours of a resource without `hours`: open all day.
pub(crate) const ALL_DAY: (u16, u16) = (0, 1440);

/// The settings of `date`: base settings, each field overridden by the highest-priority
/// season covering the date that sets it (ties: the earlier season in the document).
pub fn day_settings(res: &Resource, date: NaiveDate) -> DaySettings {
    let mut covering: Vec<_> = res.seasons.iter().filter(|s| s.from <= date && date <= s.to).collect();
    // Stable sort keeps document order among equal priorities.
    covering.sort_by_key(|s| std::cmp::Reverse(s.priority));
    let pick = |f: &dyn Fn(&crate::resource::SeasonRule) -> bool| covering.iter().find(|s| f(s)).copied();
    let week = pick(&|s| s.hours.is_some()).and_then(|s| s.hours.as_ref()).or(res.hours.as_ref());
    let hours = match week {
        Some(w) => w.day(date.weekday()).clone(),
        None => vec![ALL_DAY],
    };
    DaySettings {
        date,
        hours,
        daily_capacity: res.daily.map(|base| pick(&|s| s.daily_capacity.is_some()).and_then(|s| s.daily_capacity).unwrap_or(base)),
        slot_capacity: res
            .slots
            .as_ref()
            .map(|sl| pick(&|s| s.slot_capacity.is_some()).and_then(|s| s.slot_capacity).unwrap_or(sl.capacity)),
        lead_time_min: pick(&|s| s.lead_time_min.is_some()).and_then(|s| s.lead_time_min).unwrap_or(res.lead_time_min),
        cutoff: pick(&|s| s.cutoff.is_some()).and_then(|s| s.cutoff).or(res.cutoff),
        price_mult: pick(&|s| s.price_mult.is_some()).and_then(|s| s.price_mult).unwrap_or(MULT_SCALE),
    }
}

/// The local "today" of the resource at `now`.
pub fn today(res: &Resource, now: DateTime<Utc>) -> NaiveDate {
    crate::local::local_date(res.tz, now)
}

/// The date-level gate: refuses a whole date, in the order beyond horizon, past, closed,
/// paused, cutoff. `Ok` gives the date's settings; slot-level lead time is checked apart.
pub(crate) fn gate_day(res: &Resource, pause: Option<&Pause>, date: NaiveDate, now: DateTime<Utc>) -> Result<DaySettings, Refusal> {
    let today = today(res, now);
    let horizon = Duration::days(i64::from(res.horizon_days));
    if date > today + horizon {
        // It enters the horizon at the start of the local date `horizon_days` before it.
        let opens = Some(start_of_local_date(res.tz, date - horizon));
        let why = format!("{date} is more than {} days ahead", res.horizon_days);
        return Err(Refusal::new(RuleCode::BeyondHorizon, why, Rule::Horizon, opens));
    }
    if date < today {
        return Err(Refusal::new(RuleCode::TooLate, format!("{date} is in the past"), Rule::LeadTime, None));
    }
    if let Some((f, t)) = res.closures.iter().find(|(f, t)| *f <= date && date <= *t) {
        return Err(Refusal::new(RuleCode::Closed, format!("closed from {f} to {t}"), Rule::Closed, None));
    }
    let s = day_settings(res, date);
    if s.hours.is_empty() {
        return Err(Refusal::new(RuleCode::Closed, format!("closed on {date}"), Rule::Closed, None));
    }
    if let Some(p) = pause.filter(|p| p.active(now)) {
        let why = p.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
        return Err(Refusal::new(RuleCode::Paused, format!("sales are paused{why}"), Rule::Paused, p.until));
    }
    if let Some(c) = s.cutoff {
        let day = date - Duration::days(i64::from(c.days_before));
        let at = boundary_instant(res.tz, day, c.at_min);
        if now >= at {
            let why = format!("sales for {date} closed at {} on {day}", crate::local::fmt_hhmm(c.at_min));
            return Err(Refusal::new(RuleCode::TooLate, why, Rule::Cutoff, Some(at)));
        }
    }
    Ok(s)
}

/// The instant sales of a start at `start` stop under the day's lead time.
pub(crate) fn sells_until(s: &DaySettings, start: DateTime<Utc>) -> DateTime<Utc> {
    start - Duration::minutes(i64::from(s.lead_time_min))
}

/// Whether a start at `start` may still be sold at `now` under the day's lead time.
pub(crate) fn lead_time_ok(s: &DaySettings, start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now + Duration::minutes(i64::from(s.lead_time_min)) <= start
}

/// The first opening of the day, the start a daily (slot-less) sale is judged against.
pub(crate) fn first_opening(res: &Resource, s: &DaySettings) -> DateTime<Utc> {
    let first = s.hours.first().map_or(0, |h| h.0);
    boundary_instant(res.tz, s.date, first)
}
