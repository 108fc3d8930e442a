//! The steps of a change on one resource: the part the booking keeps changed in place
//! (`aforo_change`), a part on a new resource taken `pending`, and a refusal said with where
//! the items fit instead.

use std::time::Duration;

use aforo_core::{alternatives_for, merge_takes, Enforcement, HoldItem};

use super::plan::{buyer_refusal, buyer_share, Group, Planned};
use super::settle::Found;
use crate::app::App;
use crate::error::ApiError;
use crate::store::history::retain_and_starts;
use crate::store::{ChangeArgs, ChangeReply, Choice, HoldArgs, HoldRecord, HoldReply, HoldStatus, ReseatReply};

/// What the home's change carries besides its own items.
#[derive(Debug)]
pub struct PartChange<'a> {
    /// The whole hold's new items, for a cart (`None`: a one-resource hold).
    pub body: Option<&'a [aforo_core::ItemView]>,
    /// Field/value pairs for its record (`parts`, `changed_from`).
    pub fields: Vec<(String, String)>,
    /// The change's hash.
    pub hash: &'a str,
}

/// The date of a part's first dated item.
fn date_of(rec: &HoldRecord) -> Option<chrono::NaiveDate> {
    rec.items.iter().find_map(|it| it.date)
}

/// Changes the part of `f` on `g.resource` in place: `Ok(true)` done (or done before),
/// `Ok(false)` to plan again (the record or the document moved), or the refusal.
pub async fn change_part(app: &App, f: &Found, g: &Group, pl: &Planned, pc: &PartChange<'_>, asked: &[HoldItem]) -> Result<bool, ApiError> {
    let rec = app.store.hold_record(&g.resource, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    let takes = takes_of(pl);
    let first = &pl.plans[0].1;
    let choices = Choice::of_plan(first);
    let share = rec.role.is_none().then(|| buyer_share(&pl.snap, &rec.caller, &pl.plans));
    let items: Vec<_> = pl.plans.iter().map(|(_, p)| p.view(&pl.snap)).collect();
    let tz = pl.snap.resource.tz;
    let (_, old_starts) = retain_and_starts(tz, &rec.items);
    let (retain, new_starts) = retain_and_starts(tz, &items);
    let tabled = !first.choices.is_empty();
    let a = ChangeArgs {
        resource: &g.resource,
        hold_id: &f.id,
        version: pl.snap.state.version,
        expected: &rec.takes,
        takes: &takes,
        buyer: share.as_ref(),
        choices: &choices,
        items: pc.body.map(|_| &items[..]),
        body: Some(pc.body.unwrap_or(&items[..])),
        fields: pc.fields.clone(),
        dates: (date_of(&rec).filter(|_| tabled || rec.table.is_some()), first.date.filter(|_| tabled)),
        starts: (&old_starts, &new_starts),
        keep_until_ms: retain.unwrap_or(rec.created_at_ms) + app.cfg.booking_retention().as_millis() as i64,
        hash: pc.hash,
    };
    match app.store.change(&a).await? {
        ChangeReply::Ok(_) | ChangeReply::Replay => Ok(true),
        ChangeReply::Other(ReseatReply::Changed) => Ok(false),
        ChangeReply::Other(ReseatReply::Version { .. }) => {
            app.forget(&g.resource);
            Ok(false)
        }
        ChangeReply::Other(ReseatReply::NotActive(st)) => Err(ApiError::HoldNotActive(format!("hold {} is {st}", f.id))),
        ChangeReply::Other(ReseatReply::NotFound) => Err(ApiError::HoldNotFound(f.id.clone())),
        ChangeReply::Other(ReseatReply::Taken { bucket, have, limit }) => {
            Err(refused(app, f, g, pl, HoldReply::SoldOut { bucket, have, limit }, asked).await)
        }
        ChangeReply::Other(ReseatReply::Ok(_)) => Err(ApiError::Internal("aforo_change answered a reseat's ok".into())),
    }
}

/// Takes the part of `f` on a resource it has no part on yet, `pending` (it lapses at its
/// expiry unless the change commits), under the change's hash.
pub async fn new_part(app: &App, f: &Found, resource: &str, pl: &Planned, hash: &str) -> Result<HoldReply, ApiError> {
    let cfg = &app.cfg;
    let first = &pl.plans[0].1;
    let ttl = Duration::from_secs(u64::from(first.ttl_s));
    let items: Vec<_> = pl.plans.iter().map(|(_, p)| p.view(&pl.snap)).collect();
    let (retain, starts) = retain_and_starts(pl.snap.resource.tz, &items);
    let rec = &f.record;
    let a = HoldArgs {
        resource: resource.to_string(),
        version: pl.snap.state.version,
        hold_id: f.id.clone(),
        payload_hash: hash.to_string(),
        ttl,
        record_ttl: cfg.record_lifetime().max(ttl),
        caller: rec.caller.clone(),
        status: HoldStatus::Pending,
        takes: takes_of(pl),
        choices: Choice::of_plan(first),
        date_index: first.date.filter(|_| !first.choices.is_empty()),
        retain_until_ms: retain,
        retention: cfg.booking_retention(),
        starts_ms: starts,
        items,
        home: None,
        shadow: app.enforcement_of(&pl.snap.resource) == Enforcement::Shadow,
        buyer: rec.role.is_none().then(|| buyer_share(&pl.snap, &rec.caller, &pl.plans)),
        role: rec.role.clone(),
        guest: rec.guest.clone(),
    };
    Ok(app.store.hold_part(&a).await?)
}

/// The refusal a store reply is, for the items asked of `g.resource`.
pub async fn refused(app: &App, f: &Found, g: &Group, pl: &Planned, reply: HoldReply, asked: &[HoldItem]) -> ApiError {
    let (bucket, have, limit) = match reply {
        HoldReply::SoldOut { bucket, have, limit } => (bucket, have, limit),
        HoldReply::Reused => {
            return ApiError::InvalidRequest(format!(
                "items: hold {} was on {} before; a change cannot bring it back there",
                f.id, g.resource
            ))
        }
        HoldReply::Version { .. } => {
            return ApiError::StoreUnavailable(format!("{} changed while the booking was changed; retry", g.resource))
        }
        other => return ApiError::Internal(format!("a change's part answered {other:?}")),
    };
    if let Some(e) = buyer_refusal(&g.resource, &bucket, have, limit) {
        return e;
    }
    let (i, first) = &pl.plans[0];
    let item = asked.get(*i).cloned().unwrap_or_else(|| g.items[0].1.clone());
    let span = first.date.map(|d| (d, d + chrono::Duration::days(aforo_core::ALTERNATIVE_DAYS)));
    let alternatives = match app.snapshot(&g.resource, span).await {
        Ok(s) => alternatives_for(&s, &item, app.now(), first.qty),
        Err(_) => Vec::new(),
    };
    let what = if bucket == "no_table" { "no table is free for it".to_string() } else { format!("not enough left ({bucket})") };
    ApiError::SoldOut {
        detail: format!("hold {} cannot change to what was asked of {}: {what}; the booking is unchanged", f.id, g.resource),
        alternatives,
        item: (asked.len() > 1).then_some(*i),
    }
}

/// The takes of a plan group, merged.
fn takes_of(pl: &Planned) -> Vec<aforo_core::Take> {
    merge_takes(pl.plans.iter().map(|(_, p)| p))
}
