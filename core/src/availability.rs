//! The availability and calendar answers of API.md, built once here so that the edge and the
//! origin serialise the same bytes from the same snapshot.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::alternatives::{alternatives, Alternative};
use crate::bucket::Bucket;
use crate::error::{QueryError, RuleCode};
use crate::eval::{Evaluator, Unit};
use crate::explain::{LimitedBy, Rule};
use crate::local::{parse_hhmm, rfc3339, rfc3339_local};
use crate::measure::{Price, Status};
use crate::query::{AvailabilityQuery, CalendarQuery, ALTERNATIVE_DAYS};
use crate::resource::{Kind, Resource};
use crate::snapshot::Snapshot;

/// One slot in an availability answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotView {
    /// Local start `HH:MM`.
    pub slot: String,
    /// Start instant with the local offset.
    pub start: String,
    /// Status for the asked qty.
    pub status: Status,
    /// Most one hold can take.
    pub remaining: u32,
    /// The rule binding `remaining` now (docs/api.md, "Which rule binds").
    pub limited_by: LimitedBy,
    /// With tables: the largest party one free table or combination seats now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_party: Option<u32>,
    /// Capacity of the tightest dimension.
    pub capacity: u32,
    /// Committed ÷ capacity of the tightest dimension.
    pub utilization: f64,
    /// Unit price now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Why it is sold out with covers left: `no_table` (no free table seats the party).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// `GET /v1/resources/{id}/availability`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Availability {
    /// Resource id.
    pub resource_id: String,
    /// Kind.
    pub kind: Kind,
    /// The date (dated resources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Timezone.
    pub timezone: String,
    /// The qty asked.
    pub qty: u32,
    /// When the counters were read.
    pub as_of: String,
    /// Whether this answer comes from a snapshot past its freshness (edge degraded mode).
    pub stale: bool,
    /// The day's (or the best slot's) status.
    pub status: Status,
    /// What one hold can take (the most of any slot).
    pub remaining: u32,
    /// The rule binding `remaining`: the refusing rule, the unit's, or the binding of the
    /// earliest slot giving the day its `remaining` (best status first).
    pub limited_by: LimitedBy,
    /// With tables: the largest party one free table or combination seats now, at the slot
    /// `limited_by` speaks of (a party larger than `remaining` cannot book anywhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_party: Option<u32>,
    /// Why the date is refused, when a rule refuses it (`CLOSED`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<RuleCode>,
    /// Capacity of the tightest dimension (day and stock answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Utilization (day and stock answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilization: Option<f64>,
    /// Price (day and stock answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Slots (slot resources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<Vec<SlotView>>,
    /// Where the qty fits instead, when it does not fit here.
    pub alternatives: Vec<Alternative>,
}

/// One day of a calendar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayView {
    /// The date.
    pub date: NaiveDate,
    /// Best status of the day.
    pub status: Status,
    /// Most one hold can take that day.
    pub remaining: u32,
    /// The rule binding `remaining`, as in [`Availability::limited_by`].
    pub limited_by: LimitedBy,
    /// With tables: as in [`Availability::max_party`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_party: Option<u32>,
    /// Lowest unit price among the places where the qty fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
}

/// `GET /v1/resources/{id}/calendar`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calendar {
    /// Resource id.
    pub resource_id: String,
    /// Kind.
    pub kind: Kind,
    /// Timezone.
    pub timezone: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The qty.
    pub qty: u32,
    /// When the counters were read.
    pub as_of: String,
    /// Whether the snapshot was stale.
    pub stale: bool,
    /// One entry per day.
    pub days: Vec<DayView>,
}

fn slot_view(res_tz: chrono_tz::Tz, u: &Unit) -> Option<SlotView> {
    let slot = u.slot?;
    Some(SlotView {
        slot: slot.name(),
        start: rfc3339_local(res_tz, slot.start),
        status: u.status,
        remaining: u.measure.remaining,
        limited_by: u.binding.view(res_tz),
        max_party: u.max_party,
        capacity: u.measure.capacity,
        utilization: u.measure.utilization_display(),
        price: u.price.clone(),
        reason: u.reason,
    })
}

/// A day's figures over its units.
struct Summary {
    /// The best status (`closed` without units).
    status: Status,
    /// The most remaining.
    remaining: u32,
    /// The binding of the earliest unit with the most remaining, best status first.
    limited_by: LimitedBy,
    /// That unit's `max_party` (resources with tables).
    max_party: Option<u32>,
}

fn summarize(res: &Resource, units: &[Unit]) -> Summary {
    let status = units.iter().map(|u| u.status).min().unwrap_or(Status::Closed);
    let remaining = units.iter().map(|u| u.measure.remaining).max().unwrap_or(0);
    // `min_by_key` keeps the first of equals: the earliest slot.
    let best = units.iter().min_by_key(|u| (std::cmp::Reverse(u.measure.remaining), u.status));
    let limited_by = best.map_or(LimitedBy { rule: Rule::Closed, used: None, limit: None, at: None }, |u| u.binding.view(res.tz));
    // The same slot's, so that a day bound by `tables` leaves its `max_party`.
    let max_party = best.and_then(|u| u.max_party).or_else(|| has_tables(res).then_some(0));
    Summary { status, remaining, limited_by, max_party }
}

fn has_tables(res: &Resource) -> bool {
    res.slots.as_ref().is_some_and(|r| !r.tables.is_empty())
}

/// `max_party` where a rule refuses the whole date.
fn refused_party(res: &Resource) -> Option<u32> {
    has_tables(res).then_some(0)
}

/// The availability answer for a query, at `now`. The snapshot must cover the date; the
/// alternatives look as far as it covers, up to [`AvailabilityQuery::needs`]: a reader that
/// read only the date re-reads the wider span when [`Availability::wants_alternatives`].
pub fn availability(snap: &Snapshot, q: &AvailabilityQuery, now: DateTime<Utc>, stale: bool) -> Result<Availability, QueryError> {
    let res = &snap.resource;
    let mut a = Availability {
        resource_id: snap.resource_id.clone(),
        kind: res.kind,
        date: q.date,
        timezone: res.doc.timezone.clone(),
        qty: q.qty,
        as_of: rfc3339(&snap.as_of),
        stale,
        status: Status::Closed,
        remaining: 0,
        limited_by: LimitedBy { rule: Rule::Closed, used: None, limit: None, at: None },
        max_party: None,
        reason: None,
        capacity: None,
        utilization: None,
        price: None,
        slots: None,
        alternatives: Vec::new(),
    };
    if !res.is_dated() {
        if q.date.is_some() || q.slot.is_some() {
            return Err(QueryError::Invalid("date: a stock-only resource has no dates".into()));
        }
        let u = Evaluator::new(snap, now, q.qty, NaiveDate::MIN, NaiveDate::MIN).stock();
        fill_unit(&mut a, res, &u);
        return Ok(a);
    }
    let date = q.date.ok_or_else(|| QueryError::Invalid("date: required".into()))?;
    snap.check_covers(date, date)?;
    let to = snap.covers.map_or(date, |c| c.1).min(date + Duration::days(ALTERNATIVE_DAYS));
    let ev = Evaluator::new(snap, now, q.qty, date, to).in_area(known_area(res, q.area.as_deref())?);
    let units = match ev.day(date) {
        Ok(units) => units,
        Err(refusal) => {
            a.status = Status::from_rule(refusal.code);
            a.reason = Some(refusal.code);
            a.limited_by = refusal.binding.view(res.tz);
            a.max_party = refused_party(res);
            if res.slots.is_some() {
                a.slots = Some(Vec::new());
            }
            a.alternatives = alternatives(&ev, date, None, &[]);
            return Ok(a);
        }
    };
    if res.slots.is_none() {
        let u = &units[0];
        fill_unit(&mut a, res, u);
        if !u.status.fits() {
            a.alternatives = alternatives(&ev, date, None, &[]);
        }
        return Ok(a);
    }
    let chosen: Vec<&Unit> = match &q.slot {
        Some(name) => {
            let m = parse_hhmm(name).ok_or_else(|| QueryError::Invalid(format!("slot: must be HH:MM, got {name:?}")))?;
            let u = units.iter().find(|u| u.slot.is_some_and(|s| s.minute == m));
            vec![u.ok_or_else(|| QueryError::NoSuchSlot(format!("no slot {name} on {date}")))?]
        }
        None => units.iter().collect(),
    };
    let owned: Vec<Unit> = chosen.iter().map(|u| (*u).clone()).collect();
    let Summary { status, remaining, limited_by, max_party } = summarize(res, &owned);
    a.status = status;
    a.remaining = remaining;
    a.limited_by = limited_by;
    a.max_party = max_party;
    a.slots = Some(owned.iter().filter_map(|u| slot_view(res.tz, u)).collect());
    if !status.fits() {
        let near = q.slot.as_ref().and(owned.first()).and_then(|u| u.slot.map(|s| s.start));
        a.alternatives = alternatives(&ev, date, near, &units);
    }
    Ok(a)
}

impl Availability {
    /// Whether the asked qty does not fit, so that the answer carries alternatives (and a
    /// snapshot of the date alone is not enough to compute it).
    pub fn wants_alternatives(&self) -> bool {
        self.date.is_some() && !self.status.fits()
    }
}

/// An asked area, which some table of the resource must stand in.
fn known_area<'a>(res: &Resource, area: Option<&'a str>) -> Result<Option<&'a str>, QueryError> {
    let Some(area) = area else { return Ok(None) };
    match res.has_area(area) {
        true => Ok(Some(area)),
        false => Err(QueryError::Invalid(format!("area: no table stands in area {area:?}"))),
    }
}

fn fill_unit(a: &mut Availability, res: &Resource, u: &Unit) {
    a.status = u.status;
    a.remaining = u.measure.remaining;
    a.limited_by = u.binding.view(res.tz);
    a.max_party = u.max_party;
    a.reason = u.rule.as_ref().map(|r| r.0);
    a.capacity = Some(u.measure.capacity);
    a.utilization = Some(u.measure.utilization_display());
    a.price = u.price.clone();
}

/// The calendar answer, one entry per day. The snapshot must cover `from..=to`.
pub fn calendar(snap: &Snapshot, q: &CalendarQuery, now: DateTime<Utc>, stale: bool) -> Result<Calendar, QueryError> {
    let res = &snap.resource;
    if !res.is_dated() {
        return Err(QueryError::Invalid("a stock-only resource has no calendar".into()));
    }
    snap.check_covers(q.from, q.to)?;
    let ev = Evaluator::new(snap, now, q.qty, q.from, q.to).in_area(known_area(res, q.area.as_deref())?);
    let mut days = Vec::with_capacity((q.to - q.from).num_days() as usize + 1);
    let mut d = q.from;
    while d <= q.to {
        let view = match ev.day(d) {
            Ok(units) => {
                let Summary { status, remaining, limited_by, max_party } = summarize(res, &units);
                let price = units.iter().filter(|u| u.status.fits()).filter_map(|u| u.price.clone()).min_by_key(|p| p.unit_minor);
                DayView { date: d, status, remaining, limited_by, max_party, price }
            }
            Err(r) => DayView {
                date: d,
                status: Status::from_rule(r.code),
                remaining: 0,
                limited_by: r.binding.view(res.tz),
                max_party: refused_party(res),
                price: None,
            },
        };
        days.push(view);
        d += Duration::days(1);
    }
    Ok(Calendar {
        resource_id: snap.resource_id.clone(),
        kind: res.kind,
        timezone: res.doc.timezone.clone(),
        from: q.from,
        to: q.to,
        qty: q.qty,
        as_of: rfc3339(&snap.as_of),
        stale,
        days,
    })
}

/// A stock figure checked for a quantity now (`POST /v1/stock/validate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StockLevel {
    /// Units on hand and not held or sold.
    pub current: u32,
    /// Whether `qty` can be held now: enough units and no rule against selling (a pause).
    pub available: bool,
}

/// The stock level of a resource with stock, for `qty`, at the snapshot's instant.
pub fn stock_level(snap: &Snapshot, qty: u32) -> StockLevel {
    let unit = Evaluator::new(snap, snap.as_of, qty, NaiveDate::MIN, NaiveDate::MIN).stock();
    let current = snap.on_hand().saturating_sub(snap.counters.get(&Bucket::Stock));
    StockLevel { current, available: current >= qty && unit.rule.is_none() }
}
