//! Hold requests and hold planning: from (snapshot, item, now) to either a rule refusal or
//! the exact buckets an atomic store operation must increment, with their limits.
//!
//! The plan is all the store needs: it checks `committed + qty <= limit` for every take and
//! adds them all, or none. The store holds no rule of its own.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bucket::{Bucket, Take};
use crate::error::{PlanError, RuleCode};
use crate::eval::{Evaluator, Price, Unit};
use crate::local::rfc3339_local;
use crate::query::ALTERNATIVE_DAYS;
use crate::resource::{parse_date, parse_hhmm, MAX_UNITS};
use crate::snapshot::{Counters, Snapshot};

/// Most items in one hold request.
pub const MAX_ITEMS: usize = 50;

/// One item of a hold request (API.md, "Hold").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldItem {
    /// The resource.
    pub resource_id: String,
    /// The date, for dated resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The slot, for slot resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// Units (or party size).
    pub qty: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Items {
    items: Vec<HoldItem>,
}

/// A hold request: one item or several, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    /// The items in request order.
    pub items: Vec<HoldItem>,
}

/// A hold request body that cannot be read (400 `INVALID_REQUEST`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RequestError {
    /// Path of the offending field (`$` for the whole body).
    pub path: String,
    /// Why.
    pub message: String,
}

fn req_err(path: impl Into<String>, message: impl Into<String>) -> RequestError {
    RequestError { path: path.into(), message: message.into() }
}

/// The rule a resource id must follow: it names Redis keys and URLs.
pub fn valid_resource_id(id: &str) -> bool {
    !matches!(id, "" | "." | "..") && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl HoldRequest {
    /// Parses a body: `{"resource_id",...}` or `{"items":[...]}`.
    pub fn from_json(body: &[u8]) -> Result<HoldRequest, RequestError> {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| req_err("$", e.to_string()))?;
        let multi = v.as_object().ok_or_else(|| req_err("$", "must be a JSON object"))?.contains_key("items");
        let items = if multi {
            let r: Result<Items, _> = serde_path_to_error::deserialize(v);
            r.map_err(|e| req_err(e.path().to_string(), e.inner().to_string()))?.items
        } else {
            let r: Result<HoldItem, _> = serde_path_to_error::deserialize(v);
            vec![r.map_err(|e| req_err(e.path().to_string(), e.inner().to_string()))?]
        };
        if items.is_empty() || items.len() > MAX_ITEMS {
            return Err(req_err("items", format!("must hold 1 to {MAX_ITEMS} items")));
        }
        for (i, it) in items.iter().enumerate() {
            let p = if multi { format!("items[{i}].") } else { String::new() };
            if !valid_resource_id(&it.resource_id) {
                return Err(req_err(format!("{p}resource_id"), "must be 1-64 characters of A-Z a-z 0-9 - _ ."));
            }
            if let Some(d) = &it.date {
                if parse_date(d).is_none() {
                    return Err(req_err(format!("{p}date"), format!("must be a date YYYY-MM-DD, got {d:?}")));
                }
            }
            if let Some(s) = &it.slot {
                if parse_hhmm(s).is_none_or(|m| m >= 1440) {
                    return Err(req_err(format!("{p}slot"), format!("must be HH:MM, got {s:?}")));
                }
            }
            if !(1..=MAX_UNITS).contains(&it.qty) {
                return Err(req_err(format!("{p}qty"), format!("must be between 1 and {MAX_UNITS}")));
            }
        }
        Ok(HoldRequest { items })
    }
}

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
    let ev = Evaluator::new(snap, now, qty, from, to);
    let unit = locate(&ev, item)?;
    if let Some((code, detail)) = unit.rule.clone() {
        return Err(PlanError::Rule { code, detail });
    }
    let choices = ev.choices(&unit);
    if res.slots.as_ref().is_some_and(|r| !r.tables.is_empty()) && choices.is_empty() {
        // No table type or join of this room seats the party, whatever is free.
        return Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("no table seats a party of {qty}")));
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
    })
}

/// Finds the evaluated unit an item asks for (the evaluator covering its date), or the rule
/// that refuses its date or slot.
pub fn locate(ev: &Evaluator<'_>, item: &HoldItem) -> Result<Unit, PlanError> {
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
    let units = ev.day(date).map_err(|(code, detail)| PlanError::Rule { code, detail })?;
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
pub fn alternatives_for(snap: &Snapshot, item: &HoldItem, now: DateTime<Utc>, qty: u32) -> Vec<crate::availability::Alternative> {
    let Some(date) = item.date.as_deref().and_then(parse_date) else { return Vec::new() };
    if snap.check_covers(date, date + Duration::days(ALTERNATIVE_DAYS)).is_err() {
        return Vec::new();
    }
    let ev = Evaluator::new(snap, now, qty, date, date + Duration::days(ALTERNATIVE_DAYS));
    let units = ev.day(date).unwrap_or_default();
    let near = item
        .slot
        .as_deref()
        .and_then(parse_hhmm)
        .and_then(|m| units.iter().find_map(|u| u.slot.filter(|s| s.minute == m)))
        .map(|s| s.start);
    crate::availability::alternatives(&ev, date, near, &units)
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

/// The store's check, stated once for tests and tools: the first take that would exceed its
/// limit, or `None` when all fit.
pub fn first_overflow(takes: &[Take], counters: &Counters) -> Option<Take> {
    takes.iter().find(|t| u64::from(counters.get(&t.bucket)) + u64::from(t.qty) > u64::from(t.limit)).cloned()
}

/// The store's whole decision, stated once for tests and tools: `None` when the takes do not
/// fit; else the index of the first choice that fits (`Some(None)` when there are none to
/// make), and then the counters hold the takes and that choice.
pub fn take(plan: &HoldPlan, counters: &mut Counters) -> Option<Option<usize>> {
    if first_overflow(&plan.takes, counters).is_some() {
        return None;
    }
    let chosen =
        if plan.choices.is_empty() { None } else { Some(plan.choices.iter().position(|c| first_overflow(c, counters).is_none())?) };
    apply(&plan.takes, counters);
    if let Some(i) = chosen {
        apply(&plan.choices[i], counters);
    }
    Some(chosen)
}

/// Applies takes to counters (what the store does when all fit).
pub fn apply(takes: &[Take], counters: &mut Counters) {
    for t in takes {
        *counters.0.entry(t.bucket.clone()).or_insert(0) += t.qty;
    }
}
