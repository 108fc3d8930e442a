//! An entry's candidate starts as the holds they would become: planned by the core at a join,
//! and again whenever the resource's document, stock or pause moves (the store refuses
//! candidates planned on another version, so a new one is needed before it offers again).

use std::time::Duration;

use aforo_core::{merge_takes, Snapshot, WaitRequest};

use crate::app::App;
use crate::error::ApiError;
use crate::holds::plan::{buyer_share, plan_err};
use crate::store::history::retain_and_starts;
use crate::store::{Actor, Choice, HoldArgs, HoldStatus, Home, WaitCandidate};

/// What the store keeps of an entry for a later plan: the entry as asked, its offer's hold
/// id, its buyer's role and its payload hash.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    /// The entry as asked.
    pub request: WaitRequest,
    /// The id its offer's hold will have.
    pub offer: String,
    /// The role of who joined (`buyer`, or `ops` on a buyer's behalf).
    pub role: String,
    /// The join's payload hash.
    pub hash: String,
}

/// The holds `req`'s starts would be, offered to `actor` as hold `offer_id`.
pub(super) fn candidates(
    app: &App,
    actor: &Actor,
    snap: &Snapshot,
    req: &WaitRequest,
    offer_id: &str,
    hash: &str,
) -> Result<Vec<WaitCandidate>, ApiError> {
    let found = aforo_core::candidates(snap, req, app.now()).map_err(|e| plan_err(e, None))?;
    let ttl = Duration::from_secs(u64::from(snap.resource.after.waitlist.offer_ttl_s));
    let cfg = &app.cfg;
    Ok(found
        .into_iter()
        .map(|c| {
            let plan = c.plan;
            let items = vec![plan.view(snap)];
            let (retain, starts) = retain_and_starts(snap.resource.tz, &items);
            let one = [(0usize, plan.clone())];
            let hold = HoldArgs {
                resource: req.resource_id.clone(),
                version: snap.state.version,
                hold_id: offer_id.to_string(),
                payload_hash: hash.to_string(),
                ttl,
                record_ttl: cfg.record_lifetime().max(ttl),
                caller: actor.sub.clone(),
                status: HoldStatus::Held,
                takes: merge_takes(one.iter().map(|(_, p)| p)),
                choices: Choice::of_plan(&plan),
                date_index: plan.date.filter(|_| !plan.choices.is_empty()),
                retain_until_ms: retain,
                retention: cfg.booking_retention(),
                starts_ms: starts,
                items: items.clone(),
                home: Some(Home { body: items, parts: Vec::new() }),
                shadow: false,
                buyer: (actor.role == "buyer").then(|| buyer_share(snap, &actor.sub, &one)),
                role: (actor.role != "buyer").then(|| actor.role.clone()),
                guest: req.guest.clone(),
            };
            WaitCandidate { hold, until_ms: c.until.map(|t| t.timestamp_millis()) }
        })
        .collect())
}

/// Plans every waiting entry of `resource` again on its current document, in the order they
/// wait, each followed by an offer round of its date (a raised capacity reaches the list).
/// An entry whose starts the rules now refuse keeps waiting with none (it is offered nothing
/// until a later document allows one). Errors are logged: the entries stay as they were.
pub async fn replan_resource(app: &App, resource: &str) {
    match replan(app, resource).await {
        Ok(()) => {
            if let Err(e) = app.store.replan_due(resource, false).await {
                tracing::warn!(error = %e, resource, "could not drop the waiting list's replan mark; another origin plans it again");
            }
        }
        Err(e) => tracing::warn!(error = %e, resource, "could not plan the waiting list again; the origins' loop tries again"),
    }
}

/// Before a write that moves `resource`'s version: its waiting list is marked to be planned
/// again, so that if this origin dies before it does, the others' loop does
/// ([`replan_marked`]).
pub async fn before_write(app: &App, resource: &str) -> Result<(), ApiError> {
    app.store.replan_due(resource, true).await.map_err(ApiError::from)
}

/// Plans again the waiting lists still marked (every few seconds, on every origin).
pub async fn replan_marked(app: &App) {
    match app.store.replans_due().await {
        Ok(ids) => {
            for id in ids {
                replan_resource(app, &id).await;
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not read the waiting lists to plan again"),
    }
}

async fn replan(app: &App, resource: &str) -> Result<(), ApiError> {
    let ids = app.store.waiting_ids(resource).await?;
    if ids.is_empty() {
        return Ok(());
    }
    app.forget(resource);
    let l = match app.load(resource, None).await {
        // Archived meanwhile: no list to plan (its entries lapse with their keys).
        Err(ApiError::ResourceNotFound(_)) => return Ok(()),
        other => other?,
    };
    let snap = l.snapshot(None, Default::default(), app.now());
    let mut planned = 0;
    for id in ids {
        let Some(e) = app.store.wait_entry(resource, &id).await? else { continue };
        let Ok(kept) = serde_json::from_str::<Kept>(&e.request) else { continue };
        let actor = Actor { sub: e.caller.clone(), role: kept.role.clone(), request_id: None, route: None };
        let cands = candidates(app, &actor, &snap, &kept.request, &kept.offer, &kept.hash).unwrap_or_default();
        if app.store.wait_replan(resource, &id, snap.state.version, &cands).await? {
            planned += 1;
        }
    }
    tracing::info!(resource, planned, version = snap.state.version, "waiting list planned again");
    Ok(())
}
