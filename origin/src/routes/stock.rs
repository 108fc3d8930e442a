//! A seller's day-to-day steps on an owned resource: stock on hand, pause and resume.
//!
//! A stock `delta` needs an `Idempotency-Key` (a retried delta would add twice); `set` takes
//! one too. Pause and resume need none: each sets a state, so repeating one changes nothing
//! more.

use aforo_core::Pause;
use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::ctx::idempotency_key;
use super::Ctx;
use crate::auth::Caller;
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::{json, parse_json, read_body, Body};
use crate::store::{IdempotencyKey, StockChange, StockReply};

/// A seller's step on an owned resource: the owner check (then, for a write, the read-only
/// switch).
async fn owned(ctx: &Ctx) -> Result<Caller, ApiError> {
    let l = ctx.app.load(&ctx.id, None).await?;
    Ok(ctx.owner(Role::Seller, &l.owner)?.clone())
}

fn audit(ctx: &Ctx, kind: &str, detail: serde_json::Value) {
    ctx.audit(kind, |e| e.resource(&ctx.id).detail(detail));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockBody {
    set: Option<i64>,
    delta: Option<i64>,
    #[serde(default)]
    force: bool,
}

/// `POST /v1/resources/{id}/stock`: `{"set":n}` or `{"delta":n}`, optional `"force":true`.
pub async fn stock(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = owned(&ctx).await?;
    let key = idempotency_key(&req)?;
    let body: StockBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    let (delta, n) = match (body.set, body.delta) {
        (Some(n), None) => (false, n),
        (None, Some(n)) => (true, n),
        _ => return Err(ApiError::InvalidRequest("exactly one of set or delta is required".into())),
    };
    if n.abs() > aforo_core::MAX_UNITS {
        return Err(ApiError::InvalidRequest(format!("stock figures must be within ±{}", aforo_core::MAX_UNITS)));
    }
    if delta && key.is_none() {
        return Err(ApiError::IdempotencyKeyRequired);
    }
    let hash = format!("{:x}", Sha256::digest(format!("{}\0{n}\0{}", if delta { "delta" } else { "set" }, body.force)));
    let key =
        key.as_deref().map(|key| IdempotencyKey { caller: &caller.sub, key, payload_hash: &hash, ttl: ctx.app.cfg.idempotency_ttl() });
    crate::waitlist::before_write(&ctx.app, &ctx.id).await?;
    let reply = ctx.app.store.stock(&ctx.id, &StockChange { delta, n, force: body.force, key }).await?;
    ctx.app.forget(&ctx.id);
    crate::waitlist::replan_resource(&ctx.app, &ctx.id).await;
    match reply {
        StockReply::Ok { on_hand, committed, version, replayed } => {
            if replayed {
                tracing::info!(resource = %ctx.id, on_hand, by = %caller.sub, "stock change replayed (same Idempotency-Key)");
            } else {
                tracing::info!(resource = %ctx.id, on_hand, committed, by = %caller.sub, "stock adjusted");
                let how = if delta { json!({"delta": n}) } else { json!({"set": n}) };
                let detail = json!({"change": how, "force": body.force, "on_hand": on_hand, "committed": committed, "version": version});
                audit(&ctx, "stock.adjusted", detail);
            }
            let body = json!({"resource_id": ctx.id, "on_hand": on_hand, "committed": committed,
                "available": on_hand.saturating_sub(committed), "version": version});
            Ok(json(StatusCode::OK, body.to_string()))
        }
        StockReply::Reused => Err(ApiError::IdempotencyKeyReused),
        StockReply::NotFound => Err(ApiError::ResourceNotFound(ctx.id.clone())),
        StockReply::NoStock => Err(ApiError::InvalidRequest(format!("resource {} has no stock dimension", ctx.id))),
        StockReply::Negative => Err(ApiError::InvalidRequest("stock on hand cannot be negative".into())),
        StockReply::OutOfRange { would_be } => Err(ApiError::StockOutOfRange(format!(
            "on hand would be {would_be}, over the maximum of {}; nothing was changed",
            aforo_core::MAX_UNITS
        ))),
        StockReply::Below { committed } => Err(ApiError::StockBelowCommitted(format!(
            "{committed} units are held or consumed; set at least that much or pass \"force\": true"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseBody {
    until: Option<DateTime<Utc>>,
    reason: Option<String>,
}

/// `POST /v1/resources/{id}/pause`: `{"until": instant?, "reason": string?}`.
pub async fn pause(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = owned(&ctx).await?;
    let raw = read_body(req, &ctx.app.cfg).await?;
    let body: PauseBody = if raw.iter().all(u8::is_ascii_whitespace) { PauseBody { until: None, reason: None } } else { parse_json(&raw)? };
    if body.reason.as_ref().is_some_and(|r| r.len() > 500) {
        return Err(ApiError::InvalidRequest("reason: at most 500 bytes".into()));
    }
    let p = Pause { until: body.until, reason: body.reason };
    let pj = serde_json::to_string(&p).map_err(|e| ApiError::Internal(e.to_string()))?;
    crate::waitlist::before_write(&ctx.app, &ctx.id).await?;
    let version = ctx.app.store.pause(&ctx.id, Some(pj)).await?.ok_or_else(|| ApiError::ResourceNotFound(ctx.id.clone()))?;
    ctx.app.forget(&ctx.id);
    crate::waitlist::replan_resource(&ctx.app, &ctx.id).await;
    tracing::info!(resource = %ctx.id, by = %caller.sub, "sales paused");
    audit(&ctx, "resource.paused", json!({"until": p.until, "reason": p.reason, "version": version}));
    let body = json!({"resource_id": ctx.id, "paused": true, "until": p.until, "reason": p.reason, "version": version});
    Ok(json(StatusCode::OK, body.to_string()))
}

/// `POST /v1/resources/{id}/resume`.
pub async fn resume(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = owned(&ctx).await?;
    let raw = read_body(req, &ctx.app.cfg).await?;
    if !raw.iter().all(u8::is_ascii_whitespace) {
        let _: serde_json::Map<String, serde_json::Value> = parse_json(&raw)?;
    }
    crate::waitlist::before_write(&ctx.app, &ctx.id).await?;
    let version = ctx.app.store.pause(&ctx.id, None).await?.ok_or_else(|| ApiError::ResourceNotFound(ctx.id.clone()))?;
    ctx.app.forget(&ctx.id);
    crate::waitlist::replan_resource(&ctx.app, &ctx.id).await;
    tracing::info!(resource = %ctx.id, by = %caller.sub, "sales resumed");
    audit(&ctx, "resource.resumed", json!({"version": version}));
    Ok(json(StatusCode::OK, json!({"resource_id": ctx.id, "paused": false, "version": version}).to_string()))
}
