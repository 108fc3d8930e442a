//! A booking's guest, the domain (no HTTP): replace it on the parts a caller may touch, erase
//! it wherever a request for erasure matches. Neither step writes the guest into an event,
//! an audit entry or a log line: the audit says that it changed, by whom, and how many.

use aforo_core::Guest;
use serde_json::{json, Value};

use super::settle::Found;
use super::view::hold_view;
use crate::app::App;
use crate::error::ApiError;
use crate::store::{Actor, Erasure};

/// Replaces the guest of hold `f` on `parts` (its resources the caller may touch), by
/// `actor`. Answers the hold as its home shows it.
pub async fn set(app: &App, actor: &Actor, f: &Found, parts: &[String], guest: &Guest) -> Result<Value, ApiError> {
    for r in parts {
        app.store.set_guest(r, &f.id, Some(guest)).await?;
    }
    tracing::info!(hold = %f.id, caller = %actor.sub, parts = parts.len(), "guest replaced");
    app.audit_by(actor, "hold.guest_changed", |e| e.resource(&f.home).hold(&f.id).detail(json!({"parts": parts})));
    let rec = app.store.hold_record(&f.home, &f.id).await?.ok_or_else(|| ApiError::HoldNotFound(f.id.clone()))?;
    Ok(hold_view(&f.id, &rec, app.now().timestamp_millis()))
}

/// Erases every guest `who` matches, by `actor` (ops); how many records changed.
pub async fn erase(app: &App, actor: &Actor, who: &Erasure) -> Result<u64, ApiError> {
    let n = app.store.erase_guests(who).await?;
    tracing::info!(caller = %actor.sub, erased = n, "guests erased");
    let by: Vec<&str> = [("email", &who.email), ("phone", &who.phone), ("buyer", &who.buyer)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k)
        .collect();
    app.audit_by(actor, "guest.erased", |e| e.detail(json!({"matched_by": by, "records": n})));
    Ok(n)
}
