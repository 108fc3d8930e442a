//! Hold planning: from (snapshot, item, now) to either a rule refusal or
//! the exact buckets an atomic store operation must increment, with their limits.
//!
//! The plan is all the store needs: it checks `committed + qty <= limit` for every take and
//! adds them all, or none. The store holds no rule of its own.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::alternatives::{alternatives, Alternative};
use crate::bucket::Bucket;
use crate::error::{PlanError, RuleCode};
use crate::eval::{Evaluator, Unit};
use crate::ledger::{decide, Counters, Take};
use crate::local::{parse_date, parse_hhmm, rfc3339_local};
use crate::measure::Price;
use crate::query::ALTERNATIVE_DAYS;
use crate::request::HoldItem;
use crate::resource::MAX_UNITS;
use crate::snapshot::Snapshot;

/// What one item of a hold will take and at what price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldPlan {
    /// The resource.
    pub resource_id: String,
    /// The config version planned against; the store refuses a plan of another version.
    pub version: u64,
    /// The date.
    pub date: Option<NaiveDate>,
    /// The slot name.
    pub slot: Option<String>,
    /// The slot's start instant.
    pub start: Option<DateTime<Utc>>,
    /// Units.
    pub qty: u32,
    /// Buckets to add to, every one of which must stay within its limit.
    pub takes: Vec<Take>,
    /// Alternative groups of takes, of which the store takes the first that fits (table
    /// assignment, best fit first); empty when there is no choice to make.
    pub choices: Vec<Vec<Take>>,
    /// The label of each choice (table type or join), in the same order.
    pub choice_labels: Vec<String>,
    /// The unit price locked for the hold.
    pub price: Option<Price>,
    /// How long the hold lasts.
    pub ttl_s: u32,
    /// The area asked for the party's table.
    pub area: Option<String>,
}

/// An item as the hold answer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    /// Resource id.
    pub resource_id: String,
    /// Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// Slot start with local offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Units.
    pub qty: u32,
    /// The locked price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// The area the party asked to sit in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

impl HoldPlan {
    /// The item as shown in the hold answer.
    pub fn view(&self, snap: &Snapshot) -> ItemView {
        ItemView {
            resource_id: self.resource_id.clone(),
            date: self.date,
            slot: self.slot.clone(),
            start: self.start.map(|s| rfc3339_local(snap.resource.tz, s)),
            qty: self.qty,
            price: self.price.clone(),
            area: self.area.clone(),
        }
    }
}

/// Plans a hold of one item against a snapshot at `now`. The snapshot's counters price the
/// hold (utilization before it); the store alone decides whether the units are free.
pub fn plan_hold(snap: &Snapshot, item: &HoldItem, now: DateTime<Utc>) -> Result<HoldPlan, PlanError> {
    let res = &snap.resource;
    let qty = u32::try_from(item.qty)
        .ok()
        .filter(|q| *q >= 1 && i64::from(*q) <= MAX_UNITS)
        .ok_or_else(|| PlanError::InvalidItem("qty: must be >= 1".into()))?;
    if qty < res.qty_min || res.qty_max.is_some_and(|m| qty > m) {
        let max = res.qty_max.map_or("unbounded".to_string(), |m| m.to_string());
        return Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("qty {qty} is outside {}..{max}", res.qty_min)));
    }
    let (from, to) = match item.date.as_deref().and_then(parse_date) {
        Some(d) if res.is_dated() => (d, d),
        _ => (NaiveDate::MIN, NaiveDate::MIN),
    };
    let area = asked_area(res, item)?;
    let ev = Evaluator::new(snap, now, qty, from, to).in_area(area);
    let unit = locate(&ev, item)?;
    if let Some((code, detail)) = unit.rule.clone() {
        return Err(PlanError::Rule { code, detail });
    }
    let choices = ev.choices(&unit);
    if res.slots.as_ref().is_some_and(|r| !r.tables.is_empty()) && choices.is_empty() {
        // No table, pool or combination (of the area) seats the party, whatever is free.
        let within = area.map(|a| format!(" in area {a}")).unwrap_or_default();
        return Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("no table{within} seats a party of {qty}")));
    }
    Ok(HoldPlan {
        resource_id: snap.resource_id.clone(),
        version: snap.state.version,
        date: unit.date,
        slot: unit.slot.map(|s| s.name()),
        start: unit.slot.map(|s| s.start),
        qty,
        takes: ev.takes(&unit, qty),
        choice_labels: choices.iter().map(|c| c.label.clone()).collect(),
        choices: choices.into_iter().map(|c| c.takes).collect(),
        price: unit.price,
        ttl_s: res.hold_ttl_s,
        area: area.map(str::to_string),
    })
}

/// The area an item asks for, known to the resource's tables.
fn asked_area<'a>(res: &crate::resource::Resource, item: &'a HoldItem) -> Result<Option<&'a str>, PlanError> {
    let Some(area) = item.area.as_deref() else { return Ok(None) };
    match res.has_area(area) {
        true => Ok(Some(area)),
        false => Err(PlanError::InvalidItem(format!("area: no table stands in area {area:?}"))),
    }
}

/// Finds the evaluated unit an item asks for (the evaluator covering its date), or the rule
/// that refuses its date or slot.
pub(crate) fn locate(ev: &Evaluator<'_>, item: &HoldItem) -> Result<Unit, PlanError> {
    let res = &ev.snap.resource;
    if !res.is_dated() {
        if item.date.is_some() || item.slot.is_some() {
            return Err(PlanError::InvalidItem("date: a stock-only resource takes no date or slot".into()));
        }
        return Ok(ev.stock());
    }
    let date =
        item.date.as_deref().and_then(parse_date).ok_or_else(|| PlanError::InvalidItem("date: required for this resource".into()))?;
    match (&res.slots, &item.slot) {
        (None, Some(_)) => return Err(PlanError::InvalidItem("slot: this resource has no slots".into())),
        (Some(_), None) => return Err(PlanError::rule(RuleCode::NoSuchSlot, "slot: required for this resource")),
        _ => {}
    }
    let units = ev.day(date).map_err(|r| PlanError::Rule { code: r.code, detail: r.detail })?;
    match &item.slot {
        None => Ok(units.into_iter().next().ok_or_else(|| PlanError::rule(RuleCode::Closed, format!("closed on {date}")))?),
        Some(name) => {
            let m = parse_hhmm(name);
            units
                .into_iter()
                .find(|u| u.slot.is_some_and(|s| Some(s.minute) == m))
                .ok_or_else(|| PlanError::rule(RuleCode::NoSuchSlot, format!("no slot {name} on {date}")))
        }
    }
}

/// Alternatives for an item that did not fit (SOLD_OUT), from a fresh snapshot covering
/// `date..=date+7`.
pub fn alternatives_for(snap: &Snapshot, item: &HoldItem, now: DateTime<Utc>, qty: u32) -> Vec<Alternative> {
    let Some(date) = item.date.as_deref().and_then(parse_date) else { return Vec::new() };
    if snap.check_covers(date, date + Duration::days(ALTERNATIVE_DAYS)).is_err() {
        return Vec::new();
    }
    let ev = Evaluator::new(snap, now, qty, date, date + Duration::days(ALTERNATIVE_DAYS))
        .in_area(asked_area(&snap.resource, item).ok().flatten());
    let units = ev.day(date).unwrap_or_default();
    let near = item
        .slot
        .as_deref()
        .and_then(parse_hhmm)
        .and_then(|m| units.iter().find_map(|u| u.slot.filter(|s| s.minute == m)))
        .map(|s| s.start);
    alternatives(&ev, date, near, &units)
}

/// Refuses the items of one resource in one hold whose units together pass `qty.max`: a cart
/// that repeats an item gets no more than one item may ask.
pub fn check_total_qty(res: &crate::resource::Resource, total: u64) -> Result<(), PlanError> {
    match res.qty_max {
        Some(max) if total > u64::from(max) => {
            Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("the items of one resource add up to {total} units, over qty.max {max}")))
        }
        _ => Ok(()),
    }
}

/// Sums the takes of several plans on one resource into one all-or-nothing set.
pub fn merge_takes<'a>(plans: impl IntoIterator<Item = &'a HoldPlan>) -> Vec<Take> {
    let mut m: BTreeMap<Bucket, Take> = BTreeMap::new();
    for p in plans {
        for t in &p.takes {
            m.entry(t.bucket.clone())
                .and_modify(|e| {
                    e.qty = e.qty.saturating_add(t.qty);
                    e.limit = e.limit.min(t.limit);
                })
                .or_insert_with(|| t.clone());
        }
    }
    m.into_values().collect()
}

/// The store's whole decision on a plan ([`decide`] on its takes and choices): `None` when it
/// does not fit; else the index of the table choice made, and the counters hold the plan.
pub fn take(plan: &HoldPlan, counters: &mut Counters) -> Option<Option<usize>> {
    decide(&plan.takes, &plan.choices, counters)
}
