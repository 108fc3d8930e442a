//! Evaluation of one sellable unit (a slot, a day, or stock): which buckets it draws from,
//! what is left, its status and its price. Availability, calendars, alternatives and hold
//! plans are all built from this one function so that they can never disagree.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::bucket::{Bucket, Take};
use crate::error::RuleCode;
use crate::resource::SlotRules;
use crate::resource::{Resource, MULT_SCALE};
use crate::rules::{day_settings, first_opening, gate_day, lead_time_ok, DaySettings};
use crate::slots::{slots_of, Grid, Slot};
use crate::snapshot::{Counters, Snapshot};

/// Status of a day or slot (API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fits the qty.
    Available,
    /// Fits the qty, with 20 % or less of some dimension's capacity left.
    Limited,
    /// Does not fit the qty.
    SoldOut,
    /// Lead time or cutoff passed, or in the past.
    TooLate,
    /// The seller paused sales.
    Paused,
    /// Closed (closure or no hours).
    Closed,
    /// After the horizon.
    BeyondHorizon,
}

impl Status {
    /// Whether a hold of the asked qty fits here.
    pub fn fits(self) -> bool {
        matches!(self, Status::Available | Status::Limited)
    }

    /// The status a rule refusal shows as.
    pub fn from_rule(code: RuleCode) -> Status {
        match code {
            RuleCode::Closed => Status::Closed,
            RuleCode::Paused => Status::Paused,
            RuleCode::BeyondHorizon => Status::BeyondHorizon,
            RuleCode::TooLate | RuleCode::NoSuchSlot | RuleCode::QtyOutOfRange => Status::TooLate,
        }
    }
}

/// A quoted unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Unit price in minor units.
    pub unit_minor: u64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The tier reached (`standard` below every trigger).
    pub tier: String,
}

/// The tier name when no trigger is reached.
pub const BASE_TIER: &str = "standard";

/// What is left of a set of limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// The most one hold can take: the minimum over the limits.
    pub remaining: u32,
    /// The limit of the tightest dimension (highest committed ÷ limit).
    pub capacity: u32,
    /// Units committed in that tightest dimension.
    pub committed: u32,
    /// Whether some dimension has 20 % or less of its own limit left.
    pub scarce: bool,
}

impl Measure {
    /// committed ÷ capacity of the tightest dimension, between 0 and 1.
    pub fn utilization(&self) -> f64 {
        if self.capacity == 0 {
            return 1.0;
        }
        (f64::from(self.committed) / f64::from(self.capacity)).min(1.0)
    }

    /// Utilization rounded to 3 decimals for display.
    pub fn utilization_display(&self) -> f64 {
        (self.utilization() * 1000.0).round() / 1000.0
    }
}

/// Measures limits against counters.
pub fn measure(limits: &[(Bucket, u32)], counters: &Counters) -> Measure {
    let mut m = Measure { remaining: u32::MAX, capacity: 0, committed: 0, scarce: false };
    let mut tight: Option<(u32, u32)> = None;
    for (b, limit) in limits {
        let c = counters.get(b);
        let left = limit.saturating_sub(c);
        m.remaining = m.remaining.min(left);
        m.scarce |= u64::from(left) * 5 <= u64::from(*limit);
        // c/l > tc/tl, compared exactly; a zero limit is full.
        let tighter = match tight {
            None => true,
            Some((tc, tl)) => {
                let lhs = u64::from(c.max(u32::from(*limit == 0))) * u64::from(tl.max(1));
                let rhs = u64::from(tc.max(u32::from(tl == 0))) * u64::from((*limit).max(1));
                lhs > rhs || (lhs == rhs && *limit < tl)
            }
        };
        if tighter {
            tight = Some((c, *limit));
        }
    }
    if let Some((c, l)) = tight {
        m.capacity = l;
        m.committed = c.min(l);
    } else {
        m.remaining = 0;
    }
    m
}

/// The price of a unit at a utilization, rounded half-up to a minor unit.
pub fn price(res: &Resource, season_mult: u64, utilization: f64) -> Option<Price> {
    let p = res.pricing.as_ref()?;
    let trig = p.triggers.iter().rev().find(|t| utilization >= t.utilization_gte);
    let tm = trig.map_or(MULT_SCALE, |t| t.mult);
    let scale = u128::from(MULT_SCALE) * u128::from(MULT_SCALE);
    let raw = u128::from(p.base_minor) * u128::from(season_mult) * u128::from(tm);
    let unit = (raw + scale / 2) / scale;
    Some(Price {
        unit_minor: u64::try_from(unit).unwrap_or(u64::MAX),
        currency: p.currency.clone(),
        tier: trig.map_or(BASE_TIER, |t| t.tier.as_str()).to_string(),
    })
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
    /// Each bucket it draws from with its limit.
    pub limits: Vec<(Bucket, u32)>,
    /// For a resource with tables: the tables (or joins) that seat the party, best fit first.
    pub choices: Vec<Choice>,
    /// Index of the first choice free now; `None` when none is (or there are no tables).
    pub table: Option<usize>,
    /// Why a slot with free covers is still sold out (`no_table`).
    pub reason: Option<&'static str>,
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

impl Unit {
    /// The takes of a hold of `qty` here.
    pub fn takes(&self, qty: u32) -> Vec<Take> {
        self.limits.iter().map(|(bucket, limit)| Take { bucket: bucket.clone(), qty, limit: *limit }).collect()
    }
}

/// The tables and joins that seat a party of `qty` for a seating over `moments`, best fit
/// first: fewest empty seats, then the smallest, tables before joins, then by name.
pub fn table_choices(rules: &crate::resource::SlotRules, qty: u32, moments: &[crate::local::EpochMin]) -> Vec<Choice> {
    let mut out: Vec<(u32, u32, bool, Choice)> = Vec::new();
    for t in rules.tables.iter().filter(|t| t.min <= qty && qty <= t.max) {
        let takes = moments.iter().map(|m| Take { bucket: Bucket::Table(t.name.clone(), *m), qty: 1, limit: t.count }).collect();
        out.push((t.max - qty, t.max, false, Choice { label: t.name.clone(), takes }));
    }
    for j in rules.joins.iter().filter(|j| j.min <= qty && qty <= j.max) {
        let takes = moments
            .iter()
            .flat_map(|m| j.uses.iter().map(move |(ix, n)| (ix, n, m)))
            .map(|(ix, n, m)| {
                let t = &rules.tables[*ix];
                Take { bucket: Bucket::Table(t.name.clone(), *m), qty: *n, limit: t.count }
            })
            .collect();
        out.push((j.max - qty, j.max, true, Choice { label: j.label.clone(), takes }));
    }
    out.sort_by(|a, b| (a.0, a.1, a.2, &a.3.label).cmp(&(b.0, b.1, b.2, &b.3.label)));
    out.into_iter().map(|x| x.3).collect()
}

/// Evaluates units of one snapshot at one instant, for one qty.
#[derive(Debug)]
pub struct Evaluator<'a> {
    /// The snapshot.
    pub snap: &'a Snapshot,
    /// The instant rules are judged at.
    pub now: DateTime<Utc>,
    /// The qty asked.
    pub qty: u32,
    grid: Grid,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for dates `from..=to`.
    pub fn new(snap: &'a Snapshot, now: DateTime<Utc>, qty: u32, from: NaiveDate, to: NaiveDate) -> Self {
        let grid = if snap.resource.slots.is_some() { Grid::around(&snap.resource, from, to) } else { Grid::default() };
        Evaluator { snap, now, qty, grid }
    }

    fn res(&self) -> &Resource {
        &self.snap.resource
    }

    fn finish(
        &self,
        date: Option<NaiveDate>,
        slot: Option<Slot>,
        limits: Vec<(Bucket, u32)>,
        s: Option<&DaySettings>,
        rule: Option<(RuleCode, String)>,
        choices: Vec<Choice>,
    ) -> Unit {
        let measure = measure(&limits, &self.snap.counters);
        let has_tables = self.res().slots.as_ref().is_some_and(|r| !r.tables.is_empty());
        let table = choices.iter().position(|c| crate::plan::first_overflow(&c.takes, &self.snap.counters).is_none());
        let no_table = has_tables && table.is_none();
        let status = match &rule {
            Some((code, _)) => Status::from_rule(*code),
            None if measure.remaining < self.qty => Status::SoldOut,
            None if no_table => Status::SoldOut,
            None if measure.scarce => Status::Limited,
            None => Status::Available,
        };
        let reason = (rule.is_none() && measure.remaining >= self.qty && no_table).then_some(NO_TABLE);
        let season = s.map_or(MULT_SCALE, |s| s.price_mult);
        let price = price(self.res(), season, measure.utilization());
        let measure = if rule.is_some() { Measure { remaining: 0, ..measure } } else { measure };
        Unit { date, slot, status, rule, measure, price, limits, choices, table, reason }
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
        let rule =
            self.snap.state.pause.as_ref().filter(|p| p.active(self.now)).map(|_| (RuleCode::Paused, "sales are paused".to_string()));
        self.finish(None, None, limits, None, rule, Vec::new())
    }

    /// The limits a slot draws from (besides tables) and the moments its seating occupies.
    fn slot_limits(
        &self,
        base: &[(Bucket, u32)],
        date: NaiveDate,
        cap: u32,
        rules: &SlotRules,
        slot: &Slot,
    ) -> (Vec<(Bucket, u32)>, &[crate::local::EpochMin]) {
        let mut limits = base.to_vec();
        limits.push((Bucket::Slot(date, slot.minute), cap));
        let st = slot.start_min();
        let moments = self.grid.within(st, st + i64::from(rules.duration_min));
        if let Some(c) = rules.concurrent {
            limits.extend(moments.iter().map(|m| (Bucket::Moment(*m), c)));
        }
        if let Some((w, max)) = rules.pacing {
            limits.extend(self.grid.within(st - i64::from(w) + 1, st + 1).iter().map(|m| (Bucket::Pace(*m), max)));
        }
        (limits, moments)
    }

    /// The units of a date: its slots, or the day itself for a slot-less dated resource.
    /// `Err` carries the date-level refusal (no units that day).
    pub fn day(&self, date: NaiveDate) -> Result<Vec<Unit>, (RuleCode, String)> {
        let s = gate_day(self.res(), self.snap.state.pause.as_ref(), date, self.now)?;
        let mut base = Vec::new();
        self.stock_limit(&mut base);
        if let Some(cap) = s.daily_capacity {
            base.push((Bucket::Day(date), cap));
        }
        let Some(rules) = self.res().slots.as_ref() else {
            let rule = (!lead_time_ok(&s, first_opening(self.res(), &s), self.now))
                .then(|| (RuleCode::TooLate, format!("{date} sells until {} minutes before opening", s.lead_time_min)));
            return Ok(vec![self.finish(Some(date), None, base, Some(&s), rule, Vec::new())]);
        };
        let cap = s.slot_capacity.unwrap_or(rules.capacity);
        Ok(slots_of(self.res(), rules, &s)
            .into_iter()
            .map(|slot| {
                let (limits, moments) = self.slot_limits(&base, date, cap, rules, &slot);
                let choices = if rules.tables.is_empty() { Vec::new() } else { table_choices(rules, self.qty, moments) };
                let rule = (!lead_time_ok(&s, slot.start, self.now)).then(|| {
                    (RuleCode::TooLate, format!("{date} {} sells until {} minutes before its start", slot.name(), s.lead_time_min))
                });
                self.finish(Some(date), Some(slot), limits, Some(&s), rule, choices)
            })
            .collect())
    }
}

/// The limit of every bucket of the local dates `from..=to` (and of stock), from the document
/// and the stock on hand alone: no calendar rule, pause or clock applies. A drift check holds
/// counters against these: a counter above its limit is an oversell. A bucket the document no
/// longer has (hours or grid changed since it was taken) is absent.
pub fn limits_between(snap: &Snapshot, from: NaiveDate, to: NaiveDate) -> std::collections::BTreeMap<Bucket, u32> {
    let mut out = std::collections::BTreeMap::new();
    let mut put = |b: Bucket, l: u32| {
        let e = out.entry(b).or_insert(l);
        *e = (*e).max(l);
    };
    let ev = Evaluator::new(snap, DateTime::<Utc>::MIN_UTC, 1, from, to);
    let mut base = Vec::new();
    ev.stock_limit(&mut base);
    for (b, l) in &base {
        put(b.clone(), *l);
    }
    if !snap.resource.is_dated() {
        return out;
    }
    let mut date = from;
    while date <= to {
        let s = day_settings(&snap.resource, date);
        let mut day = base.clone();
        if let Some(cap) = s.daily_capacity {
            put(Bucket::Day(date), cap);
            day.push((Bucket::Day(date), cap));
        }
        if let Some(rules) = snap.resource.slots.as_ref() {
            let cap = s.slot_capacity.unwrap_or(rules.capacity);
            for slot in slots_of(&snap.resource, rules, &s) {
                let (limits, moments) = ev.slot_limits(&day, date, cap, rules, &slot);
                for (b, l) in limits {
                    put(b, l);
                }
                for t in &rules.tables {
                    for m in moments {
                        put(Bucket::Table(t.name.clone(), *m), t.count);
                    }
                }
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    out
}
