//! A hold after it is made: found by id, consumed after payment (taken again if it expired
//! and its units are still free), released. Both are idempotent by (hold, desired state).

use aforo_core::merge_takes;
use aforo_core::HoldItem;
use serde_json::{json, Value};

use super::plan::{buyer_refusal, buyer_share, plan_group, Group, ATTEMPTS};
use super::view::hold_view;
use crate::app::App;
use crate::auth::Role;
use crate::error::ApiError;
use crate::store::{Actor, Choice, HoldRecord, HoldStatus, PartReply, Retake};

/// A hold found by its id: its home resource and the home's record.
#[derive(Debug, Clone)]
pub struct Found {
    /// The hold id.
    pub id: String,
    /// Its home resource (the first item's).
    pub home: String,
    /// The home's record: the hold's status, buyer and answer.
    pub record: HoldRecord,
}

impl Found {
    /// The buyer who made it (its owner).
    pub fn owner(&self) -> &str {
        &self.record.caller
    }

    /// The role its owner made it with.
    pub fn owner_role(&self) -> Role {
        Role::of_record(self.record.role.as_deref())
    }

    /// Every resource the hold has items on, the home first.
    pub fn resources(&self) -> Vec<String> {
        let mut v = vec![self.home.clone()];
        v.extend(self.record.parts.iter().cloned());
        v
    }

    /// Other resources first, home last: the home's status is the hold's.
    fn parts(&self) -> Vec<String> {
        let mut v = self.record.parts.clone();
        v.push(self.home.clone());
        v
    }

    /// The hold as shown now.
    pub fn view(&self, app: &App) -> Value {
        hold_view(&self.id, &self.record, app.now().timestamp_millis())
    }
}

/// The hold `id`, or 404.
pub async fn find(app: &App, id: &str) -> Result<Found, ApiError> {
    let home = app.ids.home_of(id).ok_or_else(|| ApiError::HoldNotFound(id.to_string()))?;
    let record =
        app.store.hold_record(&home, id).await?.filter(|r| r.body.is_some()).ok_or_else(|| ApiError::HoldNotFound(id.to_string()))?;
    Ok(Found { id: id.to_string(), home, record })
}

/// The part of hold `id` on `resource`, one of its resources (404 otherwise).
pub async fn find_part(app: &App, id: &str, resource: &str) -> Result<Found, ApiError> {
    let record = app.store.hold_record(resource, id).await?.ok_or_else(|| ApiError::HoldNotFound(id.to_string()))?;
    Ok(Found { id: id.to_string(), home: resource.to_string(), record })
}

/// How a status reads in a refusal: a voided cart step is `released`.
pub(super) fn word(status: HoldStatus) -> HoldStatus {
    if status == HoldStatus::Void {
        HoldStatus::Released
    } else {
        status
    }
}

fn not_active(f: &Found, status: HoldStatus) -> ApiError {
    ApiError::HoldNotActive(format!("hold {} is {}", f.id, word(status)))
}

/// The hold as it stands after a transition, read again from its home.
async fn reread(app: &App, f: &Found) -> Result<Value, ApiError> {
    let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    Ok(hold_view(&f.id, &rec, app.now().timestamp_millis()))
}

fn transition(app: &App, actor: &Actor, f: &Found, kind: &str) {
    app.audit_by(actor, kind, |e| e.resource(&f.home).hold(&f.id).detail(json!({"was": f.record.status})));
}

/// Consumes the hold (after payment), by `actor`; idempotent. An expired hold is consumed
/// if its units are still free (taken again), else 410.
pub async fn consume(app: &App, actor: &Actor, f: &Found) -> Result<Value, ApiError> {
    for r in f.parts() {
        match app.store.consume(&r, &f.id).await? {
            PartReply::Ok(_) => {}
            PartReply::NotActive(st) => return Err(not_active(f, st)),
            PartReply::Expired => retake(app, f, &r).await?,
            PartReply::NotFound => return Err(ApiError::HoldNotFound(f.id.clone())),
            other => return Err(ApiError::Internal(format!("consume answered {other:?}"))),
        }
    }
    tracing::info!(hold = %f.id, caller = %actor.sub, "hold consumed");
    if !f.record.status.is_paid() {
        app.metrics.holds_consumed.inc();
        transition(app, actor, f, "hold.consumed");
    }
    reread(app, f).await
}

/// Takes an expired part's units (and a table) again, planned anew.
async fn retake(app: &App, f: &Found, resource: &str) -> Result<(), ApiError> {
    let rec = app.store.hold_record(resource, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    let views = rec.items.clone();
    let g = Group {
        resource: resource.to_string(),
        items: views
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let it = HoldItem {
                    resource_id: v.resource_id.clone(),
                    date: v.date.map(|d| d.to_string()),
                    slot: v.slot.clone(),
                    qty: i64::from(v.qty),
                    area: v.area.clone(),
                };
                (i, it)
            })
            .collect(),
    };
    for _ in 0..ATTEMPTS {
        let p = plan_group(app, &g, false).await.map_err(|e| {
            if e.status().is_server_error() {
                e // the store or a bug, not the hold: said as such
            } else {
                ApiError::HoldExpired(format!("hold {} expired and cannot be taken again: {}", f.id, e.detail()))
            }
        })?;
        // An expired hold is no option on its old price: taken again at today's, or not at all.
        let prices: Vec<_> = p.plans.iter().map(|(_, pl)| pl.price.clone()).collect();
        if prices.iter().zip(&views).any(|(now, then)| *now != then.price) {
            return Err(ApiError::PriceChanged {
                detail: format!("hold {} expired and its price has changed since; hold again at today's price", f.id),
                prices,
            });
        }
        let takes = merge_takes(p.plans.iter().map(|(_, pl)| pl));
        let choices = p.plans.first().map(|(_, pl)| Choice::of_plan(pl)).unwrap_or_default();
        let buyer = (rec.role.is_none()).then(|| buyer_share(&p.snap, &rec.caller, &p.plans));
        let r = Retake {
            version: p.snap.state.version,
            takes: &takes,
            choices: &choices,
            buyer: buyer.as_ref(),
            grace: app.cfg.retake_grace(),
        };
        match app.store.retake(resource, &f.id, &r).await? {
            PartReply::Ok(_) => return Ok(()),
            PartReply::SoldOut { bucket, have, limit } => {
                return Err(buyer_refusal(resource, &bucket, have, limit)
                    .unwrap_or_else(|| ApiError::HoldExpired(format!("hold {} expired and its units were taken by others", f.id))));
            }
            PartReply::Gone => {
                return Err(ApiError::HoldExpired(format!(
                    "hold {} expired more than {} s ago: its units are no longer kept for it",
                    f.id, app.cfg.retake_grace_s
                )))
            }
            PartReply::Version => app.forget(resource),
            PartReply::NotActive(st) => return Err(not_active(f, st)),
            other => return Err(ApiError::Internal(format!("retake answered {other:?}"))),
        }
    }
    Err(ApiError::StoreUnavailable("the resource kept changing while the hold was consumed; retry".into()))
}

/// Releases the hold (its units back), by `actor`; idempotent.
pub async fn release(app: &App, actor: &Actor, f: &Found) -> Result<Value, ApiError> {
    for r in f.parts() {
        match app.store.release(&r, &f.id, false).await? {
            PartReply::Ok(_) | PartReply::NotFound => {}
            PartReply::NotActive(st) => return Err(not_active(f, st)),
            other => return Err(ApiError::Internal(format!("release answered {other:?}"))),
        }
    }
    tracing::info!(hold = %f.id, caller = %actor.sub, "hold released");
    if f.record.status.is_live() {
        app.metrics.holds_released.inc();
        transition(app, actor, f, "hold.released");
    }
    reread(app, f).await
}
