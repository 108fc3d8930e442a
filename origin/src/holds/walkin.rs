//! A walk-in, the domain (no HTTP): a party the host seats now, on a free table, as a hold
//! consumed at once. Under the caller's `Idempotency-Key`, as a hold is: the hold id derives
//! from (caller, key), its record is the key's entry, a retry answers the same seating.

use std::time::Duration;

use aforo_core::{plan_walk_in, Enforcement, Snapshot};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::claim::claimed;
use super::create::Created;
use super::plan::{plan_err, ATTEMPTS};
use super::view::hold_view;
use crate::app::App;
use crate::error::ApiError;
use crate::store::history::retain_and_starts;
use crate::store::{Actor, Choice, HoldArgs, HoldReply, HoldStatus, Home};

/// What the host asks: a party, and where (an area, or exact tables).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WalkIn {
    /// How many sit.
    pub party: u32,
    /// The area asked, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// The tables asked (one table, or a combination's), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<String>>,
    /// Who sits (the host's note of a name, a phone), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<aforo_core::Guest>,
}

impl WalkIn {
    /// The hash of the request on `resource` (the idempotency check).
    fn hash(&self, resource: &str) -> String {
        super::plan::hash_of(&("walk-in", resource, self))
    }
}

/// Seats the walk-in `w` on `resource` now, by `actor`, under `key`. The key is claimed for
/// the caller as a hold's is (another payload under it is refused, on any resource); a
/// refused walk-in leaves it as if unused.
pub async fn walk_in(app: &App, actor: &Actor, resource: &str, key: &str, w: &WalkIn) -> Result<Created, ApiError> {
    let hash = w.hash(resource);
    claimed(app, actor, key, &hash, resource, |id| seat(app, actor, resource, id, w, &hash)).await
}

/// The walk-in taken, under the claimed key.
async fn seat(app: &App, actor: &Actor, resource: &str, id: String, w: &WalkIn, hash: &str) -> Result<Created, ApiError> {
    for _ in 0..ATTEMPTS {
        let now = app.now();
        let today = aforo_core::local_date(app.load(resource, None).await?.resource.tz, now);
        let snap = app.snapshot(resource, Some((today, today))).await?;
        let plan = plan_walk_in(&snap, now, w.party, w.area.as_deref(), w.tables.as_deref()).map_err(|e| plan_err(e, None))?;
        let item = plan.view(&snap);
        let (retain, starts) = retain_and_starts(snap.resource.tz, std::slice::from_ref(&item));
        let ttl = Duration::from_secs(u64::from(plan.ttl_s));
        let args = HoldArgs {
            resource: resource.to_string(),
            version: snap.state.version,
            hold_id: id.clone(),
            payload_hash: hash.to_string(),
            ttl,
            record_ttl: app.cfg.record_lifetime().max(ttl),
            caller: actor.sub.clone(),
            status: HoldStatus::Seated,
            takes: plan.takes.clone(),
            choices: Choice::of_plan(&plan),
            date_index: plan.date,
            retain_until_ms: retain,
            retention: app.cfg.booking_retention(),
            starts_ms: starts,
            items: vec![item.clone()],
            home: Some(Home { body: vec![item], parts: Vec::new() }),
            shadow: app.enforcement_of(&snap.resource) == Enforcement::Shadow,
            buyer: None,
            role: Some(actor.role.clone()),
            guest: w.guest.clone(),
        };
        match app.store.walk_in(&args).await? {
            HoldReply::Taken { table, .. } => {
                tracing::info!(hold = %id, caller = %actor.sub, %table, "walk-in seated");
                let rec = app.store.hold_record(resource, &id).await?.ok_or_else(|| ApiError::HoldNotFound(id.clone()))?;
                let view = hold_view(&id, &rec, app.now().timestamp_millis());
                app.audit_by(actor, "hold.walk_in", |e| e.resource(resource).hold(&id).detail(json!({"party": w.party, "tables": table})));
                return Ok(Created { fresh: true, view });
            }
            HoldReply::Replay { .. } => {
                let rec = app.store.hold_record(resource, &id).await?.ok_or_else(|| ApiError::HoldNotFound(id.clone()))?;
                return Ok(Created { fresh: false, view: hold_view(&id, &rec, app.now().timestamp_millis()) });
            }
            HoldReply::Reused => return Err(ApiError::IdempotencyKeyReused),
            HoldReply::Version { .. } => app.forget(resource),
            HoldReply::SoldOut { bucket, .. } if w.tables.is_some() && bucket == "no_table" => {
                let t = w.tables.as_deref().unwrap_or_default().join("+");
                return Err(ApiError::TableTaken(format!("table {t} is not free now at {resource}")));
            }
            HoldReply::SoldOut { bucket, .. } => {
                let within = w.area.as_deref().map(|a| format!(" in area {a}")).unwrap_or_default();
                let what = if bucket == "no_table" { "no table is free".to_string() } else { format!("not enough left ({bucket})") };
                let elsewhere = if w.area.is_some() { free_elsewhere(&snap, now, w.party) } else { String::new() };
                return Err(ApiError::SoldOut {
                    detail: format!("a party of {} cannot be seated now{within} at {resource}: {what}{elsewhere}", w.party),
                    alternatives: Vec::new(),
                    item: None,
                });
            }
        }
    }
    Err(ApiError::StoreUnavailable("the resource kept changing while the walk-in was seated; retry".into()))
}

/// The tables (with their areas) that seat a party of `party` now in any area and look free in
/// `snap` (a hint for the host whose area is full: the store decides), as `; free now
/// elsewhere: T3 (hall), …`, or '' when none.
fn free_elsewhere(snap: &Snapshot, now: DateTime<Utc>, party: u32) -> String {
    let Ok(plan) = plan_walk_in(snap, now, party, None, None) else { return String::new() };
    let area_of = |label: &str| {
        let rules = snap.resource.slots.as_ref();
        let table = rules.and_then(|r| r.tables.iter().find(|t| t.name == label)).and_then(|t| t.area.clone());
        table.or_else(|| rules.and_then(|r| r.joins.iter().find(|j| j.label == label)).and_then(|j| j.area.clone()))
    };
    let free: Vec<String> = plan
        .choice_labels
        .iter()
        .zip(&plan.choices)
        .filter(|(_, takes)| takes.iter().all(|t| snap.counters.get(&t.bucket) + t.qty <= t.limit))
        .take(5)
        .map(|(label, _)| match area_of(label) {
            Some(a) => format!("{label} ({a})"),
            None => label.clone(),
        })
        .collect();
    if free.is_empty() {
        String::new()
    } else {
        format!("; free now elsewhere: {}", free.join(", "))
    }
}
