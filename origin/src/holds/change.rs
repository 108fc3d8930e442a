//! Changing a booking (no HTTP): another date, slot, party or area of its resource, under the
//! same id, status and guest. The core plans the new items as a fresh hold's; the store swaps
//! the new units for the old in one atomic step (`aforo_change`), so the booking holds the
//! old or the new at every moment, and a refusal leaves it untouched. A retry of the same
//! change (its key and payload) answers the booking as it is.

use aforo_core::{alternatives_for, merge_takes, HoldRequest};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::plan::{buyer_refusal, buyer_share, group, plan_group, ATTEMPTS};
use super::settle::Found;
use super::view::hold_view;
use crate::app::App;
use crate::error::ApiError;
use crate::store::history::retain_and_starts;
use crate::store::{Actor, ChangeArgs, ChangeReply, Choice, HoldRecord, HoldStatus, ReseatReply};

/// The price of a part's items, minor units.
fn price_of(items: &[aforo_core::ItemView]) -> i64 {
    items.iter().filter_map(|it| Some(it.price.as_ref()?.unit_minor as i64 * i64::from(it.qty))).sum()
}

/// The hold as its home shows it now, with the price difference of the change.
async fn answer(app: &App, f: &Found, before: i64) -> Result<Value, ApiError> {
    let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    let mut v = hold_view(&f.id, &rec, app.now().timestamp_millis());
    v["price_change_minor"] = json!(price_of(&rec.items) - before);
    Ok(v)
}

/// Changes booking `f` (held or paid, on one resource) to the items `request` asks, by
/// `actor`, under `Idempotency-Key` `key`.
pub async fn change(app: &App, actor: &Actor, f: &Found, key: &str, request: &HoldRequest) -> Result<Value, ApiError> {
    if f.resources().len() > 1 || request.items.iter().any(|it| it.resource_id != f.home) {
        return Err(ApiError::InvalidRequest(format!(
            "items: a change keeps the booking on its resource {}; to move a booking elsewhere, cancel it and hold again",
            f.home
        )));
    }
    if request.guest.is_some() {
        return Err(ApiError::InvalidRequest("guest: a change keeps the guest; replace it with PATCH /v1/holds/{id}/guest".into()));
    }
    let canonical = serde_json::to_vec(&(key, &request.items)).unwrap_or_default();
    let hash: String = Sha256::digest(&canonical).iter().take(16).map(|b| format!("{b:02x}")).collect();
    let groups = group(&request.items);
    for _ in 0..ATTEMPTS {
        let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
        let before = price_of(&rec.items);
        if rec.change_hash.as_deref() == Some(hash.as_str()) {
            return answer(app, f, before).await;
        }
        let now = app.now();
        match rec.shown_status(now.timestamp_millis()) {
            HoldStatus::Held | HoldStatus::Consumed => {}
            st => return Err(ApiError::HoldNotActive(format!("hold {} is {st}: only a held or booked hold is changed", f.id))),
        }
        let pl = plan_group(app, &groups[0], request.items.len() > 1).await?;
        let takes = merge_takes(pl.plans.iter().map(|(_, p)| p));
        let first = &pl.plans[0].1;
        let choices = Choice::of_plan(first);
        let share = rec.role.is_none().then(|| buyer_share(&pl.snap, &rec.caller, &pl.plans));
        let items: Vec<_> = pl.plans.iter().map(|(_, p)| p.view(&pl.snap)).collect();
        let tz = pl.snap.resource.tz;
        let (_, old_starts) = retain_and_starts(tz, &rec.items);
        let (retain, new_starts) = retain_and_starts(tz, &items);
        let tabled = !first.choices.is_empty();
        let a = ChangeArgs {
            resource: &f.home,
            hold_id: &f.id,
            version: pl.snap.state.version,
            expected: &rec.takes,
            takes: &takes,
            buyer: share.as_ref(),
            choices: &choices,
            items: &items,
            dates: (date_of(&rec).filter(|_| tabled || rec.table.is_some()), first.date.filter(|_| tabled)),
            starts: (&old_starts, &new_starts),
            keep_until_ms: retain.unwrap_or(rec.created_at_ms) + app.cfg.booking_retention().as_millis() as i64,
            hash: &hash,
        };
        match app.store.change(&a).await? {
            ChangeReply::Ok(table) => {
                tracing::info!(hold = %f.id, caller = %actor.sub, %table, "booking changed");
                let from: Vec<Value> = rec.items.iter().map(|it| json!({"date": it.date, "slot": it.slot, "qty": it.qty})).collect();
                let to: Vec<Value> = items.iter().map(|it| json!({"date": it.date, "slot": it.slot, "qty": it.qty})).collect();
                app.audit_by(actor, "hold.changed", |e| {
                    e.resource(&f.home).hold(&f.id).detail(json!({"from": from, "to": to, "tables": table}))
                });
                return answer(app, f, before).await;
            }
            ChangeReply::Replay => return answer(app, f, before).await,
            ChangeReply::Other(ReseatReply::Changed) => {}
            ChangeReply::Other(ReseatReply::Version { .. }) => app.forget(&f.home),
            ChangeReply::Other(ReseatReply::NotActive(st)) => return Err(ApiError::HoldNotActive(format!("hold {} is {st}", f.id))),
            ChangeReply::Other(ReseatReply::NotFound) => return Err(ApiError::HoldNotFound(f.id.clone())),
            ChangeReply::Other(ReseatReply::Taken { bucket, have, limit }) => {
                if let Some(e) = buyer_refusal(&f.home, &bucket, have, limit) {
                    return Err(e);
                }
                let item = &request.items[0];
                let span = first.date.map(|d| (d, d + chrono::Duration::days(aforo_core::ALTERNATIVE_DAYS)));
                let alternatives = match app.snapshot(&f.home, span).await {
                    Ok(s) => alternatives_for(&s, item, now, first.qty),
                    Err(_) => Vec::new(),
                };
                let what = if bucket == "no_table" { "no table is free for it".to_string() } else { format!("not enough left ({bucket})") };
                return Err(ApiError::SoldOut {
                    detail: format!("hold {} cannot change to what was asked: {what}; the booking is unchanged", f.id),
                    alternatives,
                    item: None,
                });
            }
            ChangeReply::Other(ReseatReply::Ok(_)) => return Err(ApiError::Internal("aforo_change answered a reseat's ok".into())),
        }
    }
    Err(ApiError::StoreUnavailable(format!("hold {} kept changing while it was changed; retry", f.id)))
}

/// The date of a part's first dated item.
fn date_of(rec: &HoldRecord) -> Option<chrono::NaiveDate> {
    rec.items.iter().find_map(|it| it.date)
}
