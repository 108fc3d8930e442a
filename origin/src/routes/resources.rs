//! Sellers' routes: documents, stock, pause and resume.

use aforo_core::{Pause, Resource};
use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use crate::app::Loaded;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::http::{json, parse_json, read_body, Body};
use crate::store::{PutReply, StockReply};

fn view(l: &Loaded) -> serde_json::Value {
    let mut doc = serde_json::to_value(&l.resource.doc).unwrap_or_default();
    if let (Some(n), Some(stock)) = (l.state.on_hand, doc.pointer_mut("/dimensions/stock")) {
        stock["on_hand"] = json!(n);
    }
    json!({
        "id": l.id,
        "version": l.state.version,
        "kind": l.resource.kind,
        "owner": l.owner,
        "document": doc,
        "pause": l.state.pause,
    })
}

/// `PUT /v1/resources/{id}`: create (201) or replace (200) a document.
pub async fn put(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let body = read_body(req, &ctx.app.cfg).await?;
    serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| ApiError::InvalidRequest(format!("$: {e}")))?;
    let res = Resource::from_json(&body).map_err(ApiError::InvalidConfig)?;
    // Stored as re-serialised from the typed document: canonical, and free of unknown fields.
    let doc = serde_json::to_string(&res.doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let reply = ctx.app.store.put(&ctx.id, &doc, &caller.sub, caller.role == Role::Ops, res.initial_on_hand()).await?;
    ctx.app.forget(&ctx.id);
    let status = match reply {
        PutReply::Created { .. } => StatusCode::CREATED,
        PutReply::Replaced { .. } => StatusCode::OK,
        PutReply::Forbidden => return Err(ApiError::Forbidden(format!("resource {} belongs to another seller", ctx.id))),
        PutReply::Below { committed } => {
            return Err(ApiError::StockBelowCommitted(format!("on_hand is below the {committed} units held or consumed")));
        }
    };
    let l = ctx.app.load(&ctx.id, None).await?;
    tracing::info!(resource = %ctx.id, version = l.state.version, by = %caller.sub, "document stored");
    let kind = if status == StatusCode::CREATED { "resource.created" } else { "resource.replaced" };
    ctx.audit(kind, |e| e.resource(&ctx.id).detail(json!({"version": l.state.version, "kind": l.resource.kind, "owner": l.owner})));
    Ok(json(status, view(&l).to_string()))
}

/// A seller's step on an owned resource: the owner check (then, for a write, the read-only
/// switch).
async fn owned(ctx: &Ctx) -> Result<Caller, ApiError> {
    let l = ctx.app.load(&ctx.id, None).await?;
    Ok(ctx.owner(&l.owner)?.clone())
}

fn audit(ctx: &Ctx, kind: &str, detail: serde_json::Value) {
    ctx.audit(kind, |e| e.resource(&ctx.id).detail(detail));
}

/// `GET /v1/resources/{id}`.
pub async fn get(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    // Always fresh from Redis: the owner must see their last write.
    let meta_version = ctx.app.store.meta(&ctx.id).await?.ok_or_else(|| ApiError::ResourceNotFound(ctx.id.clone()))?.version;
    let l = ctx.app.load(&ctx.id, Some(meta_version)).await?;
    ctx.owner(&l.owner)?;
    Ok(json(StatusCode::OK, view(&l).to_string()))
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
    let body: StockBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    let (delta, n) = match (body.set, body.delta) {
        (Some(n), None) => (false, n),
        (None, Some(n)) => (true, n),
        _ => return Err(ApiError::InvalidRequest("exactly one of set or delta is required".into())),
    };
    if n.abs() > aforo_core::MAX_UNITS {
        return Err(ApiError::InvalidRequest(format!("stock figures must be within ±{}", aforo_core::MAX_UNITS)));
    }
    let reply = ctx.app.store.stock(&ctx.id, delta, n, body.force).await?;
    ctx.app.forget(&ctx.id);
    match reply {
        StockReply::Ok { on_hand, committed, version } => {
            tracing::info!(resource = %ctx.id, on_hand, committed, by = %caller.sub, "stock adjusted");
            let how = if delta { json!({"delta": n}) } else { json!({"set": n}) };
            let detail = json!({"change": how, "force": body.force, "on_hand": on_hand, "committed": committed, "version": version});
            audit(&ctx, "stock.adjusted", detail);
            let body = json!({"resource_id": ctx.id, "on_hand": on_hand, "committed": committed,
                "available": on_hand.saturating_sub(committed), "version": version});
            Ok(json(StatusCode::OK, body.to_string()))
        }
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
    let version = ctx.app.store.pause(&ctx.id, Some(pj)).await?.ok_or_else(|| ApiError::ResourceNotFound(ctx.id.clone()))?;
    ctx.app.forget(&ctx.id);
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
    let version = ctx.app.store.pause(&ctx.id, None).await?.ok_or_else(|| ApiError::ResourceNotFound(ctx.id.clone()))?;
    ctx.app.forget(&ctx.id);
    tracing::info!(resource = %ctx.id, by = %caller.sub, "sales resumed");
    audit(&ctx, "resource.resumed", json!({"version": version}));
    Ok(json(StatusCode::OK, json!({"resource_id": ctx.id, "paused": false, "version": version}).to_string()))
}
