//! The waiting list's rules: what an entry asks, which starts it would take, and until when
//! each may still be offered. The store keeps the entries and makes the offers in the step
//! that frees units; the core only plans them, as it plans a hold.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{PlanError, RuleCode};
use crate::guest::Guest;
use crate::local::{boundary_instant, parse_date, parse_hhmm};
use crate::plan::{plan_hold, HoldPlan};
use crate::request::{HoldItem, RequestError};
use crate::resource::{valid_resource_id, Resource, MAX_UNITS};
use crate::rules::{day_settings, first_opening};
use crate::slots::slots_on;
use crate::snapshot::Snapshot;

/// The most starts one entry waits for: a day of 15-minute slots.
pub const MAX_WAIT_CANDIDATES: usize = 96;

/// An entry on the waiting list as a buyer asks for it (`POST /v1/waitlist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitRequest {
    /// The resource.
    pub resource_id: String,
    /// The date, for dated resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The earliest slot start the party takes (`HH:MM`, local), for slot resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The latest slot start the party takes (`HH:MM`, local), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Units (or party size).
    pub qty: i64,
    /// For a resource with tables: seat the party in this area only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// Who the booking is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<Guest>,
}

fn bad(path: &str, message: impl Into<String>) -> RequestError {
    RequestError { path: path.to_string(), message: message.into() }
}

impl WaitRequest {
    /// Parses and checks a body, naming the offending field.
    pub fn from_json(body: &[u8]) -> Result<WaitRequest, RequestError> {
        let mut v: serde_json::Value = serde_json::from_slice(body).map_err(|e| bad("$", e.to_string()))?;
        let obj = v.as_object_mut().ok_or_else(|| bad("$", "must be a JSON object"))?;
        let guest = match obj.remove("guest") {
            None | Some(serde_json::Value::Null) => None,
            Some(g) => Some(Guest::from_value(g, "guest.")?),
        };
        let r: Result<WaitRequest, _> = serde_path_to_error::deserialize(v);
        let mut w = r.map_err(|e| bad(&e.path().to_string(), e.inner().to_string()))?;
        w.guest = guest;
        if !valid_resource_id(&w.resource_id) {
            return Err(bad("resource_id", "must be 1-64 characters of A-Z a-z 0-9 - _ ."));
        }
        if let Some(d) = &w.date {
            if parse_date(d).is_none() {
                return Err(bad("date", format!("must be a date YYYY-MM-DD, got {d:?}")));
            }
        }
        let from = minute_of("from", w.from.as_deref())?;
        let to = minute_of("to", w.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(bad("to", "must not be before from"));
            }
        }
        if !(1..=MAX_UNITS).contains(&w.qty) {
            return Err(bad("qty", format!("must be between 1 and {MAX_UNITS}")));
        }
        Ok(w)
    }

    /// The date key the entry waits on: its date, or `all` for undated stock.
    pub fn date_key(&self) -> String {
        self.date.clone().unwrap_or_else(|| "all".to_string())
    }

    fn item(&self, slot: Option<String>) -> HoldItem {
        HoldItem { resource_id: self.resource_id.clone(), date: self.date.clone(), slot, qty: self.qty, area: self.area.clone() }
    }
}

fn minute_of(path: &str, s: Option<&str>) -> Result<Option<u16>, RequestError> {
    match s {
        None => Ok(None),
        Some(s) => match parse_hhmm(s).filter(|m| *m < 1440) {
            Some(m) => Ok(Some(m)),
            None => Err(bad(path, format!("must be HH:MM, got {s:?}"))),
        },
    }
}

/// One start an entry may be offered: the hold it would take, and the last instant it may.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The hold planned for the start (version, takes, table choices, price).
    pub plan: HoldPlan,
    /// The last instant a hold may be made for it (cutoff, lead time); `None`: no end
    /// (undated stock).
    pub until: Option<DateTime<Utc>>,
}

/// The starts `req` waits for on `snap`, earliest first, each planned at `now` (at most
/// [`MAX_WAIT_CANDIDATES`]). A start the rules refuse now (cutoff, lead time, pause) is not
/// one; when none is left, the first refusal is the answer. Capacity is not looked at: the
/// store decides that, when units are freed.
pub fn candidates(snap: &Snapshot, req: &WaitRequest, now: DateTime<Utc>) -> Result<Vec<Candidate>, PlanError> {
    let res = &snap.resource;
    let date = req.date.as_deref().and_then(parse_date);
    if res.is_dated() && date.is_none() {
        return Err(PlanError::InvalidItem("date: required for a dated resource".into()));
    }
    if res.slots.is_none() && (req.from.is_some() || req.to.is_some()) {
        return Err(PlanError::InvalidItem("from: only a resource with slots has starts to wait for".into()));
    }
    let items: Vec<HoldItem> = match (res.slots.is_some(), date) {
        (true, Some(d)) => {
            let from = req.from.as_deref().and_then(parse_hhmm).unwrap_or(0);
            let to = req.to.as_deref().and_then(parse_hhmm).unwrap_or(1439);
            slots_on(res, d).into_iter().filter(|s| (from..=to).contains(&s.minute)).map(|s| req.item(Some(s.name()))).collect()
        }
        _ => vec![req.item(None)],
    };
    let mut out = Vec::new();
    let mut first_refusal = None;
    for item in items {
        match plan_hold(snap, &item, now) {
            Ok(plan) => {
                let until = until_of(res, &plan);
                out.push(Candidate { plan, until });
                if out.len() == MAX_WAIT_CANDIDATES {
                    break;
                }
            }
            Err(e @ PlanError::InvalidItem(_)) => return Err(e),
            Err(e) => {
                first_refusal.get_or_insert(e);
            }
        }
    }
    if out.is_empty() {
        let window = match (&req.from, &req.to) {
            (None, None) => String::new(),
            (f, t) => format!(" between {} and {}", f.as_deref().unwrap_or("00:00"), t.as_deref().unwrap_or("23:59")),
        };
        let on = req.date.as_deref().unwrap_or("any date");
        return Err(first_refusal.unwrap_or_else(|| PlanError::rule(RuleCode::NoSuchSlot, format!("no start on {on}{window}"))));
    }
    Ok(out)
}

/// The last instant a hold of `plan` may be made: the earlier of the date's cutoff and the
/// start (or the day's first opening) less the lead time.
fn until_of(res: &Resource, plan: &HoldPlan) -> Option<DateTime<Utc>> {
    let date: NaiveDate = plan.date?;
    let s = day_settings(res, date);
    let start = plan.start.unwrap_or_else(|| first_opening(res, &s));
    let lead = start - Duration::minutes(i64::from(s.lead_time_min));
    let cutoff = s.cutoff.map(|c| boundary_instant(res.tz, date - Duration::days(i64::from(c.days_before)), c.at_min));
    // The cutoff is the first instant sales are closed: a hold may be made until just before it.
    Some(cutoff.map_or(lead, |c| lead.min(c - Duration::milliseconds(1))))
}
