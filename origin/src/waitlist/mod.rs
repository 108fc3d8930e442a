//! The waiting list, the domain: a party joins a sold-out date, and the store offers it the
//! units the step that frees them gives back (lua/waitlist.lua). Nothing here knows HTTP.
//!
//! An entry's id is derived, as a hold's is, from its buyer and `Idempotency-Key`, and carries
//! its resource encrypted (`wk_…`, `HoldIds::entry_home`); its offer's hold id is derived from the
//! same key, so that an offer is found as any hold is and consumed as any hold is.

mod plan;
mod view;

use aforo_core::{alternatives_for, WaitRequest};
use serde_json::{json, Value};

use crate::app::App;
use crate::error::ApiError;
use crate::holds::plan::{hash_of, ATTEMPTS};
use crate::store::{Actor, JoinArgs, JoinReply, WaitEntry};

pub use plan::{before_write, replan_marked, replan_resource, Kept};
pub use view::entry_view;

/// An entry made, or found made by an earlier request with the same key.
#[derive(Debug, Clone)]
pub struct Joined {
    /// Stored by this request (201); `false` for a replay (200).
    pub fresh: bool,
    /// The entry as API.md shows it.
    pub view: Value,
}

/// The entry `id`, with its resource (404 when there is none).
pub async fn find(app: &App, id: &str) -> Result<(String, WaitEntry), ApiError> {
    let home = app.ids.entry_home(id).ok_or_else(|| ApiError::EntryNotFound(id.to_string()))?;
    let e = app.store.wait_entry(&home, id).await?.ok_or_else(|| ApiError::EntryNotFound(id.to_string()))?;
    Ok((home, e))
}

/// `actor` joins the list `req` asks for under its key `key`.
pub async fn join(app: &App, actor: &Actor, key: &str, req: &WaitRequest) -> Result<Joined, ApiError> {
    let resource = req.resource_id.as_str();
    let entry_id = app.ids.make_entry(&actor.sub, key, resource);
    let offer_id = app.ids.make(&actor.sub, &format!("\u{1}waitlist\u{1}{key}"), resource);
    let hash = hash_of(req);
    let kept = plan::Kept { request: req.clone(), offer: offer_id.clone(), role: actor.role.clone(), hash: hash.clone() };
    let request = serde_json::to_string(&kept).map_err(|e| ApiError::Internal(e.to_string()))?;
    for _ in 0..ATTEMPTS {
        let l = app.load(resource, None).await?;
        let snap = l.snapshot(None, Default::default(), app.now());
        let planned = plan::candidates(app, actor, &snap, req, &offer_id, &hash)?;
        let (retain, _) = crate::store::history::retain_and_starts(snap.resource.tz, &[planned[0].hold.items[0].clone()]);
        let now = app.now().timestamp_millis();
        let life = retain.map_or(app.cfg.record_lifetime(), |r| {
            std::time::Duration::from_millis(u64::try_from(r - now).unwrap_or(0)) + app.cfg.booking_retention()
        });
        let date = req.date_key();
        let args = JoinArgs {
            resource,
            entry_id: &entry_id,
            hash: &hash,
            caller: &actor.sub,
            date: &date,
            max_entries: snap.resource.after.waitlist.max_entries,
            life,
            request: &request,
            version: snap.state.version,
            candidates: &planned,
        };
        match app.store.wait_join(&args).await? {
            JoinReply::Joined(position) => {
                app.audit_by(actor, "waitlist.joined", |e| {
                    e.resource(resource).detail(json!({"entry": entry_id, "date": date, "qty": req.qty}))
                });
                tracing::info!(entry = %entry_id, resource, position, "waitlist joined");
                let e = app.store.wait_entry(resource, &entry_id).await?.ok_or_else(|| ApiError::EntryNotFound(entry_id.clone()))?;
                return Ok(Joined { fresh: true, view: entry_view(&e, true) });
            }
            JoinReply::Replay(_) => {
                let e = app.store.wait_entry(resource, &entry_id).await?.ok_or_else(|| ApiError::EntryNotFound(entry_id.clone()))?;
                return Ok(Joined { fresh: false, view: entry_view(&e, true) });
            }
            JoinReply::Reused => return Err(ApiError::IdempotencyKeyReused),
            JoinReply::Version => app.forget(resource),
            JoinReply::Duplicate(live) => {
                return Err(ApiError::AlreadyWaiting(format!("you already wait on {resource} for {date}: entry {live}")));
            }
            JoinReply::Full => {
                let max = snap.resource.after.waitlist.max_entries;
                return Err(ApiError::WaitlistFull(format!("{max} parties already wait on {resource} for {date} (waitlist.max_entries)")));
            }
            JoinReply::Available(i) => return Err(available_now(app, &planned[i.min(planned.len() - 1)].hold.items[0], req).await),
        }
    }
    Err(ApiError::StoreUnavailable("the resource kept changing while the entry was planned; retry".into()))
}

/// The refusal of a join while a start fits: where the party fits now.
async fn available_now(app: &App, item: &aforo_core::ItemView, req: &WaitRequest) -> ApiError {
    let what = match (&item.date, &item.slot) {
        (Some(d), Some(s)) => format!(" on {d} at {s}"),
        (Some(d), None) => format!(" on {d}"),
        _ => String::new(),
    };
    let hold = aforo_core::HoldItem {
        resource_id: req.resource_id.clone(),
        date: req.date.clone(),
        slot: item.slot.clone(),
        qty: req.qty,
        area: req.area.clone(),
    };
    let span = item.date.map(|d| (d, d + chrono::Duration::days(aforo_core::ALTERNATIVE_DAYS)));
    let alternatives = match app.snapshot(&req.resource_id, span).await {
        Ok(s) => alternatives_for(&s, &hold, app.now(), req.qty as u32),
        Err(_) => Vec::new(),
    };
    ApiError::AvailableNow {
        detail: format!("a party of {} fits {}{what} now: hold it instead of waiting", req.qty, req.resource_id),
        alternatives,
    }
}

/// The entry leaves the list (an offered one declines its offer); the entry after it.
pub async fn leave(app: &App, actor: &Actor, home: &str, e: &WaitEntry) -> Result<Value, ApiError> {
    let status = app.store.wait_leave(home, &e.id).await?.ok_or_else(|| ApiError::EntryNotFound(e.id.clone()))?;
    if status != e.state.status {
        app.audit_by(actor, "waitlist.left", |a| a.resource(home).detail(json!({"entry": e.id, "was": e.state.status})));
    }
    let after = app.store.wait_entry(home, &e.id).await?.ok_or_else(|| ApiError::EntryNotFound(e.id.clone()))?;
    Ok(entry_view(&after, true))
}

/// The entries of a date of `resource`, in arrival order, with their guests.
pub async fn list(app: &App, resource: &str, date: &str) -> Result<Value, ApiError> {
    let max = app.load(resource, None).await?.resource.after.waitlist.max_entries as usize;
    let entries = app.store.wait_list(resource, date, 4 * max).await?;
    let views: Vec<Value> = entries.iter().map(|e| entry_view(e, true)).collect();
    let waiting = entries.iter().filter(|e| e.state.status == "waiting").count();
    Ok(json!({"resource_id": resource, "date": date, "waiting": waiting, "entries": views}))
}
