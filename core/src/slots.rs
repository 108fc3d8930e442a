//! Slot generation in local time, and the grid of start instants that concurrent occupancy
//! and pacing are counted on.

use chrono::{DateTime, NaiveDate, Utc};

use crate::local::fmt_hhmm;
use crate::local::{epoch_min, slot_instant, EpochMin};
use crate::resource::{DayHours, Resource, SlotRules};
use crate::rules::{day_settings, DaySettings};

/// One generated slot of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Local minute of the day its name stands for (`HH:MM`).
    pub minute: u16,
    /// Its start instant (first occurrence in a DST overlap).
    pub start: DateTime<Utc>,
}

impl Slot {
    /// The slot's name, its local start `HH:MM`.
    pub fn name(&self) -> String {
        fmt_hhmm(self.minute)
    }

    /// Its start in epoch minutes.
    pub fn start_min(&self) -> EpochMin {
        epoch_min(self.start)
    }
}

/// The slots of a date under its settings, ordered by local start, each local name once.
/// Starts run from each interval's start every `interval_min` while start + duration fits;
/// starts that do not exist locally (DST gap) are skipped.
pub(crate) fn slots_of(res: &Resource, rules: &SlotRules, s: &DaySettings) -> Vec<Slot> {
    let mut out: Vec<Slot> = Vec::new();
    each_start(rules, &s.hours, |minute| {
        if let Some(start) = slot_instant(res.tz, s.date, minute) {
            out.push(Slot { minute, start });
        }
    });
    out.sort_by_key(|x| x.minute);
    out.dedup_by_key(|x| x.minute);
    out
}

/// Calls `f` with each local start minute of a day's hours, interval by interval (unsorted,
/// possibly repeated where intervals overlap): from each interval's start every
/// `interval_min` while start + duration fits.
pub(crate) fn each_start(rules: &SlotRules, hours: &DayHours, mut f: impl FnMut(u16)) {
    for &(a, b) in hours {
        let mut m = u32::from(a);
        while m + rules.duration_min <= u32::from(b) && m < 1440 {
            f(m as u16);
            m += rules.interval_min;
        }
    }
}

/// Every slot of a date under its hours, seasons and closures, sellable or not (lead time,
/// cutoff and pauses are not applied): the host's floor plan of the date. Empty for a
/// resource without slots.
pub fn slots_on(res: &Resource, date: NaiveDate) -> Vec<Slot> {
    res.slots.as_ref().map(|rules| slots_of(res, rules, &day_settings(res, date))).unwrap_or_default()
}

/// Every slot start instant of a span of dates, sorted and unique: the moments at which
/// occupancy can rise, so the only ones that need a counter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grid {
    starts: Vec<EpochMin>,
}

impl Grid {
    /// The grid of the dates `from - 1 ..= to + 1`, wide enough for any seating of up to a
    /// day and any pacing window of up to a day around the dates asked.
    pub(crate) fn around(res: &Resource, from: NaiveDate, to: NaiveDate) -> Grid {
        let Some(rules) = res.slots.as_ref() else { return Grid::default() };
        let mut starts = Vec::new();
        // Saturating at chrono's date range: no input date may panic here.
        let mut d = from.pred_opt().unwrap_or(from);
        let end = to.succ_opt().unwrap_or(to);
        while d <= end {
            starts.extend(slots_of(res, rules, &day_settings(res, d)).iter().map(Slot::start_min));
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        starts.sort_unstable();
        starts.dedup();
        Grid { starts }
    }

    /// The indexes of the grid instants in the half-open range `[a, b)`.
    pub(crate) fn span(&self, a: EpochMin, b: EpochMin) -> std::ops::Range<usize> {
        let lo = self.starts.partition_point(|x| *x < a);
        let hi = self.starts.partition_point(|x| *x < b);
        lo..hi.max(lo)
    }

    /// Every instant of the grid, sorted.
    pub(crate) fn instants(&self) -> &[EpochMin] {
        &self.starts
    }
}
