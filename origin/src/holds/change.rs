//! Changing a booking (no HTTP): other dates, slots, parties or areas, on its resources or on
//! others, under the same id, status and guest. The core plans the new items as a fresh
//! hold's; on each resource the booking keeps, the store swaps the new units for the old in
//! one atomic step (`aforo_change`), so a refusal leaves it untouched.
//!
//! Across resources it is a saga whose commit point is the home part (the first item's
//! resource, which a change keeps): the parts on new resources are taken first as `pending`
//! (they lapse by themselves if nothing follows), then the home is changed, naming its new
//! parts and the ones it had (`changed_from`), then the new parts are made what the booking
//! is (held or paid) and the parts it left are let go. A refusal before the commit voids
//! what it took; a crash anywhere converges when the change is retried with its key: the
//! home, once changed, says what is left to do.

use aforo_core::{HoldRequest, ItemView};
use serde_json::{json, Value};

use super::after::vacate;
use super::change_part::{change_part, new_part, refused, PartChange};
use super::plan::{group, plan_group, Planned, ATTEMPTS};
use super::settle::Found;
use super::view::hold_view;
use crate::app::App;
use crate::error::ApiError;
use crate::store::{Actor, HoldRecord, HoldReply, HoldStatus};

/// The price of items, minor units.
pub(super) fn price_of(items: &[ItemView]) -> i64 {
    items.iter().filter_map(|it| Some(it.price.as_ref()?.unit_minor as i64 * i64::from(it.qty))).sum()
}

/// The hold as its home shows it now, with the price difference of the change.
async fn answer(app: &App, f: &Found, before: i64) -> Result<Value, ApiError> {
    let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    let mut v = hold_view(&f.id, &rec, app.now().timestamp_millis());
    let after = rec.body.as_ref().and_then(|b| serde_json::from_value::<Vec<ItemView>>(b.clone()).ok()).unwrap_or(rec.items.clone());
    v["price_change_minor"] = json!(price_of(&after) - before);
    Ok(v)
}

/// The whole hold's items as its home keeps them.
fn all_items(rec: &HoldRecord) -> Vec<ItemView> {
    rec.body.as_ref().and_then(|b| serde_json::from_value(b.clone()).ok()).unwrap_or_else(|| rec.items.clone())
}

/// Changes booking `f` (held or paid) to the items `request` asks, by `actor`, under
/// `Idempotency-Key` `key`.
pub async fn change(app: &App, actor: &Actor, f: &Found, key: &str, request: &HoldRequest) -> Result<Value, ApiError> {
    if request.items[0].resource_id != f.home {
        return Err(ApiError::InvalidRequest(format!(
            "items[0].resource_id: a change keeps the booking's first resource ({}) first; cancel it and hold again to move it wholly",
            f.home
        )));
    }
    if request.guest.is_some() {
        return Err(ApiError::InvalidRequest("guest: a change keeps the guest; replace it with PATCH /v1/holds/{id}/guest".into()));
    }
    let hash = super::plan::hash_of(&(key, &request.items));
    let groups = group(&request.items);
    let multi = request.items.len() > 1;
    let home = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    let before = price_of(&all_items(&home));
    if home.change_hash.as_deref() != Some(hash.as_str()) {
        let now = app.now();
        let status = home.shown_status(now.timestamp_millis());
        if !matches!(status, HoldStatus::Held | HoldStatus::Pending | HoldStatus::Consumed) {
            return Err(ApiError::HoldNotActive(format!("hold {} is {status}: only a held or booked hold is changed", f.id)));
        }
        let old: Vec<String> = f.resources();
        // Other resources the booking keeps stay as they are: one of them changed with the
        // home could not be undone if the home were then refused.
        for g in &groups[1..] {
            if old.contains(&g.resource) {
                let part = app.store.hold_record(&g.resource, &f.id).await?.map(|r| r.items).unwrap_or_default();
                let asked: Vec<(Option<String>, Option<String>, u32)> =
                    g.items.iter().map(|(_, it)| (it.date.clone(), it.slot.clone(), it.qty as u32)).collect();
                let has: Vec<(Option<String>, Option<String>, u32)> =
                    part.iter().map(|it| (it.date.map(|d| d.to_string()), it.slot.clone(), it.qty)).collect();
                if asked != has {
                    return Err(ApiError::InvalidRequest(format!(
                        "items: {} keeps its items in this change; change one other resource at a time besides {}",
                        g.resource, f.home
                    )));
                }
            }
        }
        let mut done = false;
        for _ in 0..ATTEMPTS {
            let mut planned: Vec<Planned> = Vec::new();
            for g in &groups {
                planned.push(plan_group(app, g, multi).await?);
            }
            let body: Vec<ItemView> = {
                let mut v: Vec<(usize, ItemView)> =
                    planned.iter().flat_map(|pl| pl.plans.iter().map(|(i, p)| (*i, p.view(&pl.snap)))).collect();
                v.sort_by_key(|(i, _)| *i);
                v.into_iter().map(|(_, it)| it).collect()
            };
            // New resources first, pending.
            let mut taken: Vec<&str> = Vec::new();
            let mut refusal = None;
            for (g, pl) in groups.iter().zip(&planned).skip(1).filter(|(g, _)| !old.contains(&g.resource)) {
                match new_part(app, f, &g.resource, pl, &hash).await? {
                    HoldReply::Taken { .. } | HoldReply::Replay { .. } => taken.push(&g.resource),
                    reply => {
                        refusal = Some(refused(app, f, g, pl, reply, &request.items).await);
                        break;
                    }
                }
            }
            let outcome = match refusal {
                Some(e) => Err(e),
                None => {
                    let parts: Vec<String> = groups[1..].iter().map(|g| g.resource.clone()).collect();
                    let fields = if parts.is_empty() && old.len() == 1 {
                        Vec::new()
                    } else {
                        vec![("parts".to_string(), parts.join(",")), ("changed_from".to_string(), old[1..].join(","))]
                    };
                    let pc = PartChange { body: (groups.len() > 1 || old.len() > 1).then_some(&body[..]), fields, hash: &hash };
                    change_part(app, f, &groups[0], &planned[0], &pc, &request.items).await
                }
            };
            match outcome {
                Ok(true) => {
                    done = true;
                    break;
                }
                Ok(false) => {
                    void(app, f, &taken).await;
                }
                Err(e) => {
                    void(app, f, &taken).await;
                    return Err(e);
                }
            }
        }
        if !done {
            return Err(ApiError::StoreUnavailable(format!("hold {} kept changing while it was changed; retry", f.id)));
        }
    }
    settle_parts(app, f).await?;
    let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    tracing::info!(hold = %f.id, caller = %actor.sub, "booking changed");
    let to: Vec<Value> =
        all_items(&rec).iter().map(|it| json!({"resource_id": it.resource_id, "date": it.date, "slot": it.slot, "qty": it.qty})).collect();
    app.audit_by(actor, "hold.changed", |e| e.resource(&f.home).hold(&f.id).detail(json!({"to": to})));
    answer(app, f, before).await
}

/// After the home committed a change: its new parts made what the booking is, the parts it
/// left let go. Idempotent: a retry finds each part where the last attempt left it.
async fn settle_parts(app: &App, f: &Found) -> Result<(), ApiError> {
    let home = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    let paid = home.status.is_paid();
    for r in &home.parts {
        match app.store.hold_record(r, &f.id).await?.map(|p| p.status) {
            Some(HoldStatus::Pending) if paid => {
                app.store.consume(r, &f.id).await?;
            }
            Some(HoldStatus::Pending) => {
                app.store.finish(r, &f.id).await?;
            }
            _ => {}
        }
    }
    for r in home.changed_from.iter().filter(|r| !home.parts.contains(r)) {
        vacate(app, &f.id, r).await?;
    }
    Ok(())
}

/// Voids the pending parts an attempt took.
async fn void(app: &App, f: &Found, taken: &[&str]) {
    for r in taken {
        if let Err(e) = app.store.release(r, &f.id, true).await {
            tracing::error!(error = %e, hold = %f.id, resource = r, "could not void a change's new part; it lapses at its expiry");
        }
    }
}
