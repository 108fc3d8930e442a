//! Evaluation of one sellable unit (a slot, a day, or stock): which buckets it draws from,
//! what is left, its status and its price. Availability, calendars, alternatives and hold
//! plans are all built from this one function so that they can never disagree.

use std::ops::Range;

mod drift;
mod why;

pub use drift::limits_between;

use chrono::{DateTime, NaiveDate, Utc};

use crate::bucket::Bucket;
use crate::error::RuleCode;
use crate::explain::{Binding, Refusal, Rule};
use crate::ledger::Take;
use crate::limits::MAX_TABLES;
use crate::local::EpochMin;
use crate::measure::{measure_committed, price, Measure, Price, Status};
use crate::resource::{Resource, SlotRules, MULT_SCALE};
use crate::rules::{first_opening, gate_day, lead_time_ok, sells_until, DaySettings};
use crate::slots::{slots_of, Grid, Slot};
use crate::snapshot::Snapshot;

/// The grid instants a slot draws from, as index ranges into its evaluator's grid: a slot's
/// cost is then independent of how many per-instant counters its seating spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// The instants its seating occupies (concurrent occupancy and tables).
    pub seating: Range<usize>,
    /// The pacing windows its start falls in.
    pub pacing: Range<usize>,
}

/// One evaluated unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Its date (dated resources).
    pub date: Option<NaiveDate>,
    /// Its slot (slot resources).
    pub slot: Option<Slot>,
    /// The status for the asked qty.
    pub status: Status,
    /// Why it is refused, when a rule refuses it.
    pub rule: Option<(RuleCode, String)>,
    /// What is left.
    pub measure: Measure,
    /// Its price now.
    pub price: Option<Price>,
    /// The stock, day and slot buckets it draws from with their limits; the per-instant ones
    /// are in `span` ([`Evaluator::limits`] lists them all).
    pub limits: Vec<(Bucket, u32)>,
    /// Its seating and pacing instants.
    pub span: Span,
    /// For a resource with tables: index of the first of [`Evaluator::choices`] free now;
    /// `None` when none is (or there are no tables).
    pub table: Option<usize>,
    /// Why a slot with free covers is still sold out (`no_table`).
    pub reason: Option<&'static str>,
    /// The rule binding it now (`limited_by`; docs/api.md, "Which rule binds", says which).
    pub binding: Binding,
    /// For a resource with tables: the largest party one free table or combination seats
    /// for its whole seating (0 when a rule refuses it); `None` without tables.
    pub max_party: Option<u32>,
}

/// A table (or join) that could seat a party: the table buckets it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The table type, or the join's label (`4-top+4-top`).
    pub label: String,
    /// The table buckets, each with how many tables and the type's count.
    pub takes: Vec<Take>,
}

/// The `reason` of a slot whose covers are free but whose tables cannot seat the party.
pub const NO_TABLE: &str = "no_table";

/// A table, pool or join: its label, the tables it uses (`(index into tables, how many)`)
/// and the largest party it seats.
#[derive(Debug, Clone)]
struct TableOption {
    label: String,
    uses: Vec<(usize, u32)>,
    max: u32,
}

/// Every table, pool and join standing in `area` (any area for `None`) that seats a party of
/// `qty` (any party for `None`): for a party, best fit first (fewest empty seats, then the
/// smallest, tables before joins, then by name); for any party, the largest first.
fn table_options(rules: &SlotRules, qty: Option<u32>, area: Option<&str>) -> Vec<TableOption> {
    let seats = |min: u32, max: u32| qty.is_none_or(|q| min <= q && q <= max);
    let here = |a: &Option<String>| area.is_none_or(|want| a.as_deref() == Some(want));
    let mut out: Vec<(u32, u32, bool, TableOption)> = Vec::new();
    for (ix, t) in rules.tables.iter().enumerate().filter(|(_, t)| seats(t.min, t.max) && here(&t.area)) {
        out.push((t.max - qty.unwrap_or(0), t.max, false, TableOption { label: t.name.clone(), uses: vec![(ix, 1)], max: t.max }));
    }
    for j in rules.joins.iter().filter(|j| seats(j.min, j.max) && here(&j.area)) {
        out.push((j.max - qty.unwrap_or(0), j.max, true, TableOption { label: j.label.clone(), uses: j.uses.clone(), max: j.max }));
    }
    match qty {
        Some(_) => out.sort_by(|a, b| (a.0, a.1, a.2, &a.3.label).cmp(&(b.0, b.1, b.2, &b.3.label))),
        None => out.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(a.3.label.cmp(&b.3.label))),
    }
    out.into_iter().map(|x| x.3).collect()
}

/// The peak use of each table over one seating, scanned once.
struct Peaks([Option<u32>; MAX_TABLES]);

impl Default for Peaks {
    fn default() -> Self {
        Peaks([None; MAX_TABLES])
    }
}

/// The most committed over some grid instants (`None` for none).
fn peak(used: &[u32], r: &Range<usize>) -> Option<u32> {
    used.get(r.clone()).and_then(|s| s.iter().copied().max())
}

/// The most committed over some grid instants with the grid index of the first instant
/// holding it (`None` for none).
fn peak_at(used: &[u32], r: &Range<usize>) -> Option<(u32, usize)> {
    let s = used.get(r.clone())?;
    let mut best: Option<(u32, usize)> = None;
    for (i, v) in s.iter().enumerate() {
        if best.is_none_or(|(b, _)| *v > b) {
            best = Some((*v, r.start + i));
        }
    }
    best
}

/// A unit's per-instant peaks, each `((committed, grid index), limit)`.
struct InstantPeaks {
    concurrent: Option<((u32, usize), u32)>,
    pacing: Option<((u32, usize), u32)>,
}

/// Evaluates units of one snapshot at one instant, for one qty.
///
/// The per-instant counters (concurrent occupancy, pacing, tables) are read once per grid
/// instant when it is built, so that each slot then costs a scan of plain integers rather
/// than one counter lookup per instant of its seating.
#[derive(Debug)]
pub struct Evaluator<'a> {
    /// The snapshot.
    pub snap: &'a Snapshot,
    /// The instant rules are judged at.
    pub now: DateTime<Utc>,
    /// The qty asked.
    pub qty: u32,
    grid: Grid,
    moment_used: Vec<u32>,
    pace_used: Vec<u32>,
    table_used: Vec<Vec<u32>>,
    options: Vec<TableOption>,
    /// Every option of the area, largest first: what one party can still sit at.
    room: Vec<TableOption>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for dates `from..=to`.
    pub fn new(snap: &'a Snapshot, now: DateTime<Utc>, qty: u32, from: NaiveDate, to: NaiveDate) -> Self {
        let Some(rules) = snap.resource.slots.as_ref() else {
            let (moment_used, pace_used, table_used) = (Vec::new(), Vec::new(), Vec::new());
            let (options, room) = (Vec::new(), Vec::new());
            return Evaluator { snap, now, qty, grid: Grid::default(), moment_used, pace_used, table_used, options, room };
        };
        let grid = Grid::around(&snap.resource, from, to);
        // One ordered pass over the counters of the grid's span per kind, rather than a
        // lookup per instant: the counters of a long snapshot are a large map.
        let used = |bucket: &dyn Fn(EpochMin) -> Bucket| -> Vec<u32> {
            let instants = grid.instants();
            let mut out = vec![0; instants.len()];
            let (Some(first), Some(last)) = (instants.first(), instants.last()) else { return out };
            for (b, v) in snap.counters.0.range(bucket(*first)..=bucket(*last)) {
                let at = match b {
                    Bucket::Moment(m) | Bucket::Pace(m) | Bucket::Table(_, m) => instants.binary_search(m).ok(),
                    _ => None,
                };
                if let Some(i) = at {
                    out[i] = *v;
                }
            }
            out
        };
        let moment_used = if rules.concurrent.is_some() { used(&Bucket::Moment) } else { Vec::new() };
        let pace_used = if rules.pacing.is_some() { used(&Bucket::Pace) } else { Vec::new() };
        let table_used = rules.tables.iter().map(|t| used(&|m| Bucket::Table(t.name.clone(), m))).collect();
        let (options, room) = (table_options(rules, Some(qty), None), table_options(rules, None, None));
        Evaluator { snap, now, qty, grid, moment_used, pace_used, table_used, options, room }
    }

    /// The same evaluator seating parties in `area` only (every area for `None`).
    pub fn in_area(mut self, area: Option<&str>) -> Self {
        if let Some(rules) = self.snap.resource.slots.as_ref() {
            self.options = table_options(rules, Some(self.qty), area);
            self.room = table_options(rules, None, area);
        }
        self
    }

    fn res(&self) -> &Resource {
        &self.snap.resource
    }

    /// A unit from its limits, `used` holding the committed units of each of them in order.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        date: Option<NaiveDate>,
        slot: Option<Slot>,
        limits: Vec<(Bucket, u32)>,
        used: &[u32],
        span: Span,
        s: Option<&DaySettings>,
        refusal: Option<Refusal>,
    ) -> Unit {
        let rules = self.res().slots.as_ref();
        let peaks = InstantPeaks {
            concurrent: rules.and_then(|r| r.concurrent).and_then(|c| Some((peak_at(&self.moment_used, &span.seating)?, c))),
            pacing: rules.and_then(|r| r.pacing).and_then(|(_, max)| Some((peak_at(&self.pace_used, &span.pacing)?, max))),
        };
        let per_instant = [peaks.concurrent, peaks.pacing].map(|p| p.map(|((c, _), l)| (c, l)));
        let measure = measure_committed(used.iter().zip(&limits).map(|(c, (_, l))| (*c, *l)).chain(per_instant.into_iter().flatten()));
        let has_tables = rules.is_some_and(|r| !r.tables.is_empty());
        // One hold seats one party: no more than the largest table free for its seating.
        let (table, room) = if has_tables {
            let mut peaks = Peaks::default();
            let table = self.free_option(&self.options, &span, &mut peaks);
            (table, self.free_option(&self.room, &span, &mut peaks).map_or(0, |i| self.room[i].max))
        } else {
            (None, u32::MAX)
        };
        let no_table = has_tables && table.is_none();
        let status = match &refusal {
            Some(r) => Status::from_rule(r.code),
            None if measure.remaining < self.qty => Status::SoldOut,
            None if no_table => Status::SoldOut,
            None if measure.scarce => Status::Limited,
            None => Status::Available,
        };
        let reason = (refusal.is_none() && measure.remaining >= self.qty && no_table).then_some(NO_TABLE);
        let season = s.map_or(MULT_SCALE, |s| s.price_mult);
        let price = price(self.res(), season, measure.utilization());
        let remaining = if refusal.is_some() { 0 } else { measure.remaining.min(room) };
        let measure = Measure { remaining, ..measure };
        let max_party = has_tables.then_some(if refusal.is_some() { 0 } else { room });
        let binding = match &refusal {
            Some(r) => r.binding,
            None => self.binding(slot.as_ref(), &limits, used, &span, &peaks, has_tables.then_some(room)),
        };
        let rule = refusal.map(|r| (r.code, r.detail));
        Unit { date, slot, status, rule, measure, price, limits, span, table, reason, binding, max_party }
    }

    /// The first of `options` with its tables free at every instant of the seating.
    fn free_option(&self, options: &[TableOption], span: &Span, peaks: &mut Peaks) -> Option<usize> {
        let tables = &self.res().slots.as_ref()?.tables;
        // Each table's peak is scanned once per slot, however many options use the table.
        let mut peak_of = |ix: usize| match peaks.0.get_mut(ix) {
            Some(Some(p)) => *p,
            slot => {
                let p = peak(&self.table_used[ix], &span.seating).unwrap_or(0);
                if let Some(s) = slot {
                    *s = Some(p);
                }
                p
            }
        };
        options.iter().position(|o| o.uses.iter().all(|(ix, n)| u64::from(peak_of(*ix)) + u64::from(*n) <= u64::from(tables[*ix].count)))
    }

    fn stock_limit(&self, limits: &mut Vec<(Bucket, u32)>) {
        if self.res().has_stock {
            limits.push((Bucket::Stock, self.snap.on_hand()));
        }
    }

    /// The stock-only unit.
    pub fn stock(&self) -> Unit {
        let mut limits = Vec::new();
        self.stock_limit(&mut limits);
        let used = self.used(&limits);
        let pause = self.snap.state.pause.as_ref().filter(|p| p.active(self.now));
        let rule = pause.map(|p| Refusal::new(RuleCode::Paused, "sales are paused".to_string(), Rule::Paused, p.until));
        self.finish(None, None, limits, &used, Span::default(), None, rule)
    }

    /// The seating and pacing instants of a slot.
    fn span_of(&self, rules: &SlotRules, slot: &Slot) -> Span {
        let st = slot.start_min();
        let seating = self.grid.span(st, st + i64::from(rules.duration_min));
        let pacing = match rules.pacing {
            Some((w, _)) => self.grid.span(st - i64::from(w) + 1, st + 1),
            None => 0..0,
        };
        Span { seating, pacing }
    }

    /// Every bucket a unit draws from with its limit, per-instant ones included (tables
    /// apart: they are in [`Evaluator::choices`]).
    pub fn limits(&self, u: &Unit) -> Vec<(Bucket, u32)> {
        let mut out = u.limits.clone();
        self.instant_limits(&u.span, &mut out);
        out
    }

    /// Adds the concurrent-occupancy and pacing buckets of a span, with their limits.
    fn instant_limits(&self, span: &Span, out: &mut Vec<(Bucket, u32)>) {
        let Some(rules) = self.res().slots.as_ref() else { return };
        let instants = self.grid.instants();
        if let Some(c) = rules.concurrent {
            out.extend(instants[span.seating.clone()].iter().map(|m| (Bucket::Moment(*m), c)));
        }
        if let Some((_, max)) = rules.pacing {
            out.extend(instants[span.pacing.clone()].iter().map(|m| (Bucket::Pace(*m), max)));
        }
    }

    /// The takes of a hold of `qty` on a unit.
    pub fn takes(&self, u: &Unit, qty: u32) -> Vec<Take> {
        self.limits(u).into_iter().map(|(bucket, limit)| Take { bucket, qty, limit }).collect()
    }

    /// For a resource with tables: the tables and joins that seat the evaluator's qty for a
    /// unit's seating, best fit first, each with the table buckets it takes.
    pub fn choices(&self, u: &Unit) -> Vec<Choice> {
        self.choices_at(u.span.seating.clone())
    }

    /// The choices for a seating over the grid instants `seating`.
    pub(crate) fn choices_at(&self, seating: Range<usize>) -> Vec<Choice> {
        let Some(rules) = self.res().slots.as_ref() else { return Vec::new() };
        let moments = self.grid.instants().get(seating).unwrap_or_default();
        self.options
            .iter()
            .map(|o| Choice {
                label: o.label.clone(),
                takes: moments
                    .iter()
                    .flat_map(|m| o.uses.iter().map(move |(ix, n)| (m, ix, n)))
                    .map(|(m, ix, n)| {
                        let t = &rules.tables[*ix];
                        Take { bucket: Bucket::Table(t.name.clone(), *m), qty: *n, limit: t.count }
                    })
                    .collect(),
            })
            .collect()
    }

    /// The grid the evaluator judges seatings on.
    pub(crate) fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The concurrent-occupancy buckets of a seating over the grid instants `seating`.
    pub(crate) fn seating_limits(&self, seating: Range<usize>) -> Vec<(Bucket, u32)> {
        let mut out = Vec::new();
        let Some(c) = self.res().slots.as_ref().and_then(|r| r.concurrent) else { return out };
        out.extend(self.grid.instants().get(seating).unwrap_or_default().iter().map(|m| (Bucket::Moment(*m), c)));
        out
    }

    /// The units of a date: its slots, or the day itself for a slot-less dated resource.
    /// `Err` carries the date-level refusal (no units that day).
    pub fn day(&self, date: NaiveDate) -> Result<Vec<Unit>, Refusal> {
        let s = gate_day(self.res(), self.snap.state.pause.as_ref(), date, self.now)?;
        let base = self.day_base(&s, date);
        let mut used = self.used(&base);
        let Some(rules) = self.res().slots.as_ref() else {
            let opening = first_opening(self.res(), &s);
            let rule = (!lead_time_ok(&s, opening, self.now)).then(|| {
                let why = format!("{date} sells until {} minutes before opening", s.lead_time_min);
                Refusal::new(RuleCode::TooLate, why, Rule::LeadTime, Some(sells_until(&s, opening)))
            });
            return Ok(vec![self.finish(Some(date), None, base, &used, Span::default(), Some(&s), rule)]);
        };
        let cap = s.slot_capacity.unwrap_or(rules.capacity);
        // The date's slot counters in one ordered pass, found by minute below.
        let slot_used: Vec<(u16, u32)> = self
            .snap
            .counters
            .0
            .range(Bucket::Slot(date, 0)..=Bucket::Slot(date, u16::MAX))
            .filter_map(|(b, v)| match b {
                Bucket::Slot(_, m) => Some((*m, *v)),
                _ => None,
            })
            .collect();
        used.push(0);
        Ok(slots_of(self.res(), rules, &s)
            .into_iter()
            .map(|slot| {
                let mut limits = base.clone();
                limits.push((Bucket::Slot(date, slot.minute), cap));
                if let Some(last) = used.last_mut() {
                    *last = slot_used.binary_search_by_key(&slot.minute, |x| x.0).map_or(0, |i| slot_used[i].1);
                }
                let span = self.span_of(rules, &slot);
                let rule = (!lead_time_ok(&s, slot.start, self.now)).then(|| {
                    let why = format!("{date} {} sells until {} minutes before its start", slot.name(), s.lead_time_min);
                    Refusal::new(RuleCode::TooLate, why, Rule::LeadTime, Some(sells_until(&s, slot.start)))
                });
                self.finish(Some(date), Some(slot), limits, &used, span, Some(&s), rule)
            })
            .collect())
    }

    /// The committed units of each of some limits.
    fn used(&self, limits: &[(Bucket, u32)]) -> Vec<u32> {
        limits.iter().map(|(b, _)| self.snap.counters.get(b)).collect()
    }

    /// The stock and day limits of a date.
    fn day_base(&self, s: &DaySettings, date: NaiveDate) -> Vec<(Bucket, u32)> {
        let mut base = Vec::new();
        self.stock_limit(&mut base);
        if let Some(cap) = s.daily_capacity {
            base.push((Bucket::Day(date), cap));
        }
        base
    }
}
