//! A booking after its sale, the domain (no HTTP): cancel it under its resource's policy,
//! seat its party, mark it a no-show, extend a held one. The core says what each keeps
//! (`aforo_core::vacated`, `aforo_core::refund`, the windows); the store moves each part's
//! takes and status in one atomic step, compare-and-set on the takes its record had, so that
//! a retry or a concurrent host never returns a unit twice. Each step is idempotent by its
//! target status.

use super::settle::word;
use aforo_core::{check_no_show, check_seat, extended, refund, vacated, AfterSaleError, Canceller, Refund, Take};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::plan::ATTEMPTS;
use super::settle::Found;
use super::view::hold_view;
use crate::app::App;
use crate::error::ApiError;
use crate::store::{decode_takes, Actor, ExtendReply, HoldRecord, HoldStatus, ReseatReply, Swap, SwapKind};

/// The longest cancellation reason, in bytes.
pub const MAX_REASON: usize = 500;

/// The 409 a core refusal is.
pub fn after_err(e: AfterSaleError, id: &str) -> ApiError {
    let at = |t: DateTime<Utc>| aforo_core::rfc3339(&t);
    match e {
        AfterSaleError::BookingStarted(s) => {
            ApiError::BookingStarted(format!("hold {id} started at {}: ask the seller to cancel it", at(s)))
        }
        AfterSaleError::NotStarted(from) => ApiError::NotStarted(format!("hold {id}: not before {}", at(from))),
        AfterSaleError::HoldLimit(latest) => {
            ApiError::HoldLimit(format!("hold {id} cannot be held past {} (hold_max_s after its creation)", at(latest)))
        }
    }
}

/// When a part's seating starts: its earliest item's start (`None` for undated items).
pub fn start_of(rec: &HoldRecord) -> Option<DateTime<Utc>> {
    rec.items.iter().filter_map(|it| DateTime::parse_from_rfc3339(it.start.as_deref()?).ok()).map(|t| t.to_utc()).min()
}

/// One step of part `resource` of hold `id` to `kind`'s status: its takes afterwards are
/// `keep(takes now)`, with `fields` on the record. Answers the status it came from, or the
/// target itself when it was there already.
async fn step(
    app: &App,
    id: &str,
    resource: &str,
    kind: SwapKind,
    keep: impl Fn(&[Take]) -> Vec<Take>,
    fields: &[(String, String)],
) -> Result<HoldStatus, ApiError> {
    for _ in 0..ATTEMPTS {
        let Some(rec) = app.store.hold_record(resource, id).await? else { return Err(ApiError::HoldNotFound(id.to_string())) };
        if kind.status() == Some(rec.status) {
            return Ok(rec.status);
        }
        let version = app.load(resource, None).await?.state.version;
        let takes = keep(&decode_takes(&rec.takes)?);
        let label = rec.table.clone().unwrap_or_default();
        let s = Swap { resource, hold_id: id, version, expected: &rec.takes, takes: &takes, label: &label, kind, fields: fields.to_vec() };
        match app.store.reseat(&s).await? {
            ReseatReply::Ok(was) => return Ok(was),
            ReseatReply::Changed => {}
            ReseatReply::Version { .. } => app.forget(resource),
            ReseatReply::NotActive(st) => return Err(ApiError::HoldNotActive(format!("hold {id} is {}", word(st)))),
            ReseatReply::NotFound => return Err(ApiError::HoldNotFound(id.to_string())),
            ReseatReply::Taken { bucket, .. } => {
                return Err(ApiError::Internal(format!("{} of hold {id} would take {bucket}", kind.as_str())))
            }
        }
    }
    Err(ApiError::StoreUnavailable(format!("hold {id} kept changing during its {}; retry", kind.as_str())))
}

/// The hold's home part as it stands, shown.
async fn reread(app: &App, f: &Found) -> Result<Value, ApiError> {
    let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    Ok(hold_view(&f.id, &rec, app.now().timestamp_millis()))
}

/// The price of a part's items, minor units (`None` when none is priced).
fn price_of(rec: &HoldRecord) -> Option<u64> {
    rec.items.iter().any(|it| it.price.is_some()).then(|| super::change::price_of(&rec.items).max(0) as u64)
}

/// Cancels hold `f` (held or paid) by `actor`, as `by`: every part's units from now on come
/// back, the other resources first and the home last (the home's status is the hold's, so a
/// crash between parts leaves it shown as it was, and a retry finishes). The refund is the
/// resources' policies' (a buyer's) or whole (seller, ops); a buyer cannot cancel once the
/// booking has started. Cancelling a cancelled hold answers it as it is.
pub async fn cancel(app: &App, actor: &Actor, f: &Found, by: Canceller, reason: Option<&str>) -> Result<Value, ApiError> {
    let now = app.now();
    let status = f.record.shown_status(now.timestamp_millis());
    if status == HoldStatus::Cancelled {
        return Ok(hold_view(&f.id, &f.record, now.timestamp_millis()));
    }
    if !(status.is_live() || status == HoldStatus::Consumed) {
        return Err(ApiError::HoldNotActive(format!("hold {} is {}: only a held or paid booking is cancelled", f.id, word(status))));
    }
    let paid = status == HoldStatus::Consumed;
    let mut parts = Vec::new();
    let (mut fee, mut price) = (0u64, 0u64);
    for r in f.resources() {
        let rec = if r == f.home { f.record.clone() } else { app.store.hold_record(&r, &f.id).await?.unwrap_or_else(|| f.record.clone()) };
        let rules = app.load(&r, None).await?.resource.after;
        let start = f
            .record
            .items
            .iter()
            .chain(rec.items.iter())
            .filter(|it| it.resource_id == r)
            .filter_map(|it| DateTime::parse_from_rfc3339(it.start.as_deref()?).ok().map(|t| t.to_utc()));
        let start = start.min();
        let p = price_of(&rec);
        let Refund { fee_minor, .. } = refund(&rules, by, paid, p, start, now).map_err(|e| after_err(e, &f.id))?;
        fee += fee_minor;
        price += p.unwrap_or(0);
        parts.push(r);
    }
    let percent = if price == 0 { 100 } else { 100 - ((fee * 100).div_ceil(price)).min(100) as u8 };
    let refund = Refund { percent, fee_minor: fee };
    let mut fields = vec![
        ("cancelled_by".to_string(), format!("{}:{}", actor.role, actor.sub)),
        ("refund_percent".to_string(), refund.percent.to_string()),
        ("fee_minor".to_string(), refund.fee_minor.to_string()),
    ];
    if let Some(r) = reason.filter(|r| !r.is_empty()) {
        fields.push(("cancel_reason".to_string(), r.to_string()));
    }
    // Others first, home last.
    parts.rotate_left(1);
    for r in &parts {
        step(app, &f.id, r, SwapKind::Cancelled, |takes| vacated(takes, now), &fields).await?;
    }
    tracing::info!(hold = %f.id, caller = %actor.sub, was = %status, "hold cancelled");
    app.audit_by(actor, "hold.cancelled", |e| {
        e.resource(&f.home).hold(&f.id).detail(json!({"was": status, "refund": refund, "reason": reason}))
    });
    reread(app, f).await
}

/// Lets the part of hold `id` on `resource` go after a change moved the booking off it: every
/// unit back, the part `cancelled` (by the change); idempotent.
pub async fn vacate(app: &App, id: &str, resource: &str) -> Result<(), ApiError> {
    let fields = [("cancelled_by".to_string(), "change".to_string())];
    match step(app, id, resource, SwapKind::Cancelled, |_| Vec::new(), &fields).await {
        Ok(_) | Err(ApiError::HoldNotFound(_)) => Ok(()),
        // Released or expired meanwhile: nothing of it is held.
        Err(ApiError::HoldNotActive(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Seats the party of part `f` (consumed) now, by `actor`, from `early_seat_min` before its
/// start. Seating it again answers it as it is.
pub async fn seat(app: &App, actor: &Actor, f: &Found) -> Result<Value, ApiError> {
    let now = app.now();
    match f.record.status {
        HoldStatus::Seated => return reread(app, f).await,
        HoldStatus::Consumed => {}
        HoldStatus::Held | HoldStatus::Pending if f.record.shown_status(now.timestamp_millis()).is_live() => {
            return Err(ApiError::HoldNotActive(format!("hold {} is held, not paid: consume it before seating its party", f.id)))
        }
        st => {
            return Err(ApiError::HoldNotActive(format!(
                "hold {} is {}",
                f.id,
                word(st.shown(f.record.expires_at_ms, now.timestamp_millis()))
            )))
        }
    }
    let rules = app.load(&f.home, None).await?.resource.after;
    check_seat(&rules, start_of(&f.record), now).map_err(|e| after_err(e, &f.id))?;
    step(app, &f.id, &f.home, SwapKind::Seated, <[Take]>::to_vec, &[]).await?;
    tracing::info!(hold = %f.id, caller = %actor.sub, "party seated");
    app.audit_by(actor, "hold.seated", |e| e.resource(&f.home).hold(&f.id));
    reread(app, f).await
}

/// Marks the party of part `f` (consumed) a no-show, by `actor`, from `no_show_after_min`
/// after its start: its tables and covers are free from the current moment on.
pub async fn no_show(app: &App, actor: &Actor, f: &Found) -> Result<Value, ApiError> {
    let now = app.now();
    match f.record.status {
        HoldStatus::NoShow => return reread(app, f).await,
        HoldStatus::Consumed => {}
        st => {
            let st = word(st.shown(f.record.expires_at_ms, now.timestamp_millis()));
            return Err(ApiError::HoldNotActive(format!(
                "hold {} is {st}: only a paid booking whose party has not come is a no-show",
                f.id
            )));
        }
    }
    let rules = app.load(&f.home, None).await?.resource.after;
    check_no_show(&rules, start_of(&f.record), now).map_err(|e| after_err(e, &f.id))?;
    step(app, &f.id, &f.home, SwapKind::NoShow, |takes| vacated(takes, now), &[]).await?;
    tracing::info!(hold = %f.id, caller = %actor.sub, "no-show");
    app.audit_by(actor, "hold.no_show", |e| e.resource(&f.home).hold(&f.id));
    reread(app, f).await
}

/// Extends held hold `f` to expire `seconds` from now, by `actor`: never past `hold_max_s`
/// after its creation (its home resource's), every part alike.
pub async fn extend(app: &App, actor: &Actor, f: &Found, seconds: u32) -> Result<Value, ApiError> {
    let now = app.now();
    let status = f.record.shown_status(now.timestamp_millis());
    if !status.is_live() {
        return Err(ApiError::HoldNotActive(format!("hold {} is {}: only a held hold is extended", f.id, word(status))));
    }
    let rules = app.load(&f.home, None).await?.resource.after;
    let created = DateTime::from_timestamp_millis(f.record.created_at_ms).unwrap_or(now);
    let until = extended(&rules, created, now, seconds).map_err(|e| after_err(e, &f.id))?;
    for r in f.resources() {
        match app.store.extend(&r, &f.id, until.timestamp_millis()).await? {
            ExtendReply::Ok(_) => {}
            ExtendReply::NotFound => return Err(ApiError::HoldNotFound(f.id.clone())),
            ExtendReply::NotActive(st) => return Err(ApiError::HoldNotActive(format!("hold {} is {}", f.id, word(st)))),
        }
    }
    tracing::info!(hold = %f.id, caller = %actor.sub, seconds, "hold extended");
    app.audit_by(actor, "hold.extended", |e| e.resource(&f.home).hold(&f.id).detail(json!({"expires_at": aforo_core::rfc3339(&until)})));
    reread(app, f).await
}
