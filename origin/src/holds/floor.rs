//! The host's moves on a seated party, the domain (no HTTP): move it to other tables, finish
//! it early. The core says which takes the seating holds afterwards (`aforo_core::reseat`,
//! `aforo_core::finished`); the store swaps them atomically, compare-and-set on the takes the
//! record had, so that two hosts moving one party at once never lose a move.

use aforo_core::{finished, reseat, Bucket, Take};
use serde_json::{json, Value};

use super::plan::{plan_err, ATTEMPTS};
use super::settle::Found;
use super::view::hold_view;
use crate::app::App;
use crate::error::ApiError;
use crate::store::{decode_takes, encode_takes, Actor, HoldRecord, HoldStatus, ReseatReply, Swap, SwapKind};

/// The party of a seating: its part's units (one item per resource with tables).
fn party(rec: &HoldRecord) -> u32 {
    rec.items.iter().map(|it| it.qty).sum()
}

/// The table a counter names (`t:T3@…` → `T3`), else the counter.
fn table_of(bucket: &str) -> String {
    match bucket.parse::<Bucket>() {
        Ok(Bucket::Table(name, _)) => name,
        _ => bucket.to_string(),
    }
}

/// The hold's home record, read again (the one the swap compares against), or 404.
async fn record(app: &App, f: &Found) -> Result<HoldRecord, ApiError> {
    app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))
}

/// A record a move or finish may act on: seated (consumed), or held and not expired.
fn live(f: &Found, rec: &HoldRecord, now_ms: i64) -> Result<(), ApiError> {
    match rec.shown_status(now_ms) {
        HoldStatus::Consumed | HoldStatus::Seated | HoldStatus::Held | HoldStatus::Pending => Ok(()),
        st => Err(ApiError::HoldNotActive(format!("hold {} is {}", f.id, if st == HoldStatus::Void { HoldStatus::Released } else { st }))),
    }
}

/// What one swap attempt came to.
enum Outcome {
    Done,
    Again,
}

/// Swaps the record's takes for `takes` (planned against `version`).
async fn swap(
    app: &App,
    f: &Found,
    rec: &HoldRecord,
    version: u64,
    takes: &[Take],
    label: &str,
    kind: SwapKind,
) -> Result<Outcome, ApiError> {
    let s = Swap { resource: &f.home, hold_id: &f.id, version, expected: &rec.takes, takes, label, kind, fields: Vec::new() };
    match app.store.reseat(&s).await? {
        ReseatReply::Ok(_) => Ok(Outcome::Done),
        ReseatReply::Changed => Ok(Outcome::Again),
        ReseatReply::Version { .. } => {
            app.forget(&f.home);
            Ok(Outcome::Again)
        }
        ReseatReply::Taken { bucket, .. } => {
            let t = table_of(&bucket);
            Err(ApiError::TableTaken(format!("table {t} is not free for the whole seating of hold {} ({bucket})", f.id)))
        }
        ReseatReply::NotActive(st) => Err(ApiError::HoldNotActive(format!("hold {} is {st}", f.id))),
        ReseatReply::NotFound => Err(ApiError::HoldNotFound(f.id.clone())),
    }
}

/// The hold as it stands now.
async fn view(app: &App, f: &Found) -> Result<Value, ApiError> {
    Ok(hold_view(&f.id, &record(app, f).await?, app.now().timestamp_millis()))
}

/// Moves the seating of hold `f` to the tables `names` (one table, or the tables of one
/// combination or join), by `actor`. Moving it where it sits already answers it as it is.
pub async fn move_to(app: &App, actor: &Actor, f: &Found, names: &[String]) -> Result<Value, ApiError> {
    for _ in 0..ATTEMPTS {
        let rec = record(app, f).await?;
        live(f, &rec, app.now().timestamp_millis())?;
        let loaded = app.load(&f.home, None).await?;
        let takes = decode_takes(&rec.takes)?;
        let r = reseat(&loaded.resource, &takes, party(&rec), names).map_err(|e| plan_err(e, None))?;
        if encode_takes(&r.takes) == encode_takes(&takes) {
            return Ok(hold_view(&f.id, &rec, app.now().timestamp_millis()));
        }
        if let Outcome::Done = swap(app, f, &rec, loaded.state.version, &r.takes, &r.label, SwapKind::Moved).await? {
            tracing::info!(hold = %f.id, from = ?rec.table, to = %r.label, caller = %actor.sub, "seating moved");
            app.audit_by(actor, "hold.moved", |e| e.resource(&f.home).hold(&f.id).detail(json!({"from": rec.table, "to": r.label})));
            return view(app, f).await;
        }
    }
    Err(ApiError::StoreUnavailable("the seating kept changing while it was moved; retry".into()))
}

/// Finishes the seating of hold `f` (seated) now, by `actor`: its tables free from the current
/// moment of the floor on; its covers stay (it was served). Finishing it again answers it as
/// it is.
pub async fn finish(app: &App, actor: &Actor, f: &Found) -> Result<Value, ApiError> {
    for _ in 0..ATTEMPTS {
        let rec = record(app, f).await?;
        let now = app.now();
        match rec.shown_status(now.timestamp_millis()) {
            HoldStatus::Finished => return Ok(hold_view(&f.id, &rec, now.timestamp_millis())),
            HoldStatus::Seated => {}
            HoldStatus::Consumed => {
                return Err(ApiError::NotSeated(format!("hold {} is booked, not seated: seat the party when it arrives", f.id)))
            }
            HoldStatus::Held | HoldStatus::Pending => {
                return Err(ApiError::NotSeated(format!("hold {} is held, not seated: consume it, then seat the party", f.id)))
            }
            st => return Err(ApiError::NotSeated(format!("hold {} is {st}, not seated", f.id))),
        }
        // Nothing frees a table before its seating has started: a booking ahead is cancelled,
        // not finished, or its table would be sold twice for its time.
        if let Some(start) = super::after::start_of(&rec).filter(|s| *s > now) {
            return Err(ApiError::NotSeated(format!(
                "hold {} is booked for {}: its seating has not started, so it cannot be finished",
                f.id,
                aforo_core::rfc3339(&start)
            )));
        }
        let loaded = app.load(&f.home, None).await?;
        let takes = finished(&decode_takes(&rec.takes)?, now);
        let label = rec.table.clone().unwrap_or_default();
        if let Outcome::Done = swap(app, f, &rec, loaded.state.version, &takes, &label, SwapKind::Finished).await? {
            tracing::info!(hold = %f.id, caller = %actor.sub, "seating finished");
            app.audit_by(actor, "hold.finished", |e| e.resource(&f.home).hold(&f.id).detail(json!({"tables": label})));
            return view(app, f).await;
        }
    }
    Err(ApiError::StoreUnavailable("the seating kept changing while it was finished; retry".into()))
}
