//! Operations' routes: metrics, SLO health, alerts, signals, the read-only switch, the drift
//! check.

use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json, parse_json, query_params, read_body, Body};
use crate::obs::signals::SERVICES;
use crate::store::Mode;

/// `GET /metrics`: Prometheus text.
pub async fn metrics(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let mut r = Response::new(Body::from(ctx.app.metrics.encode()));
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(r)
}

/// `GET /v1/monitoring/health`: the SLO report, with the store's state.
pub async fn health(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    query_params(&ctx.query, &[])?;
    let app = &ctx.app;
    let now = app.now();
    let mut body = app.slo.report(now.timestamp_millis());
    let breaker = app.store.breaker_state();
    body["generated_at"] = json!(aforo_core::rfc3339(&now));
    body["store"] = json!({
        "breaker": breaker.as_str(),
        "read_only": app.writable().is_err(),
        "sweeper_lag_s": app.metrics.sweeper_lag.get(),
        "oversold_buckets": app.metrics.oversold_buckets.get(),
        "drift_buckets": app.metrics.drift_buckets.get(),
        "shadow_over_buckets": app.metrics.shadow_over_buckets.get(),
        "memory": memory(app),
    });
    body["identity"] = app.verifier.report();
    body["alerts_firing"] = json!(app.alerts.report()["active"].as_array().map_or(0, Vec::len));
    body["durability"] = crate::store::promise::reported(&app.store).await;
    body["outbound"] = app.outbound.report(now.timestamp_millis());
    Ok(json(StatusCode::OK, body.to_string()))
}

/// `GET /v1/monitoring/slo-report?month=YYYY-MM`: the month's SLO record from the hourly
/// roll-ups (missing hours stated).
pub async fn slo_report(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let q = query_params(&ctx.query, &["month"])?;
    let month = q.get("month").ok_or_else(|| ApiError::InvalidRequest("month: required (YYYY-MM)".into()))?;
    let app = &ctx.app;
    match crate::ops::rollup::month_report(&app.store, month, app.slo.targets, app.now().timestamp_millis()).await {
        Ok(r) => Ok(json(StatusCode::OK, r.to_string())),
        Err(Ok(why)) => Err(ApiError::InvalidRequest(why)),
        Err(Err(e)) => Err(e.into()),
    }
}

/// The store's memory as last polled: used and maximum bytes, their ratio (`null` without a
/// ceiling), and whether non-booking writes are shed.
pub fn memory(app: &crate::app::App) -> serde_json::Value {
    let m = &app.metrics;
    let max = m.store_memory_max.get();
    json!({
        "used_bytes": m.store_memory_used.get(),
        "max_bytes": max,
        "ratio": (max > 0).then(|| (m.store_memory_ratio.get() * 1000.0).round() / 1000.0),
        "shedding": m.shedding(),
    })
}

/// `GET /v1/monitoring/alerts`.
pub async fn alerts(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    query_params(&ctx.query, &[])?;
    Ok(json(StatusCode::OK, ctx.app.alerts.report().to_string()))
}

/// `GET /v1/monitoring/signals?service=&level=&limit=`.
pub async fn signals(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let q = query_params(&ctx.query, &["service", "level", "limit"])?;
    let service = q.get("service").map(String::as_str);
    if let Some(s) = service.filter(|s| !SERVICES.contains(s)) {
        return Err(ApiError::InvalidRequest(format!("service: {s:?} is not one of {}", SERVICES.join(", "))));
    }
    let level = q.get("level").map(String::as_str);
    if let Some(l) = level.filter(|l| !matches!(*l, "warn" | "error")) {
        return Err(ApiError::InvalidRequest(format!("level: {l:?} must be warn or error")));
    }
    let limit = limit_of(q.get("limit"), 100, 1000)?;
    let items = ctx.app.signals.recent(service, level, limit);
    Ok(json(StatusCode::OK, json!({"signals": items}).to_string()))
}

/// A `limit` parameter: default `dflt`, 1..=`max`.
pub fn limit_of(v: Option<&String>, dflt: usize, max: usize) -> Result<usize, ApiError> {
    match v {
        None => Ok(dflt),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError::InvalidRequest(format!("limit: must be an integer from 1 to {max}"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    read_only: bool,
    reason: Option<String>,
}

/// `GET /v1/monitoring/mode`.
pub async fn get_mode(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let m = ctx.app.refresh_mode().await?;
    Ok(json(StatusCode::OK, serde_json::to_string(&m).map_err(|e| ApiError::Internal(e.to_string()))?))
}

/// `PUT /v1/monitoring/mode`: `{"read_only": bool, "reason"?: string}`, for every origin on
/// this Redis.
pub async fn put_mode(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let body: ModeBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    if body.reason.as_ref().is_some_and(|r| r.len() > 500) {
        return Err(ApiError::InvalidRequest("reason: at most 500 bytes".into()));
    }
    let now = ctx.app.now();
    let m = Mode { read_only: body.read_only, reason: body.reason, by: Some(caller.sub.clone()), since: Some(aforo_core::rfc3339(&now)) };
    let m = ctx.app.set_mode(m).await?;
    ctx.audit("mode.changed", |e| e.detail(json!({"read_only": m.read_only, "reason": m.reason})));
    Ok(json(StatusCode::OK, serde_json::to_string(&m).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnforcementBody {
    default: aforo_core::Enforcement,
}

/// `GET /v1/monitoring/enforcement`: the default for documents that name none.
pub async fn get_enforcement(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let e = ctx.app.refresh_enforcement().await?;
    Ok(json(StatusCode::OK, json!({"default": e}).to_string()))
}

/// `PUT /v1/monitoring/enforcement`: `{"default": "enforce" | "shadow"}`, for every origin on
/// this Redis (each follows within its mode refresh period).
pub async fn put_enforcement(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let body: EnforcementBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    ctx.app.set_default_enforcement(body.default).await?;
    ctx.audit("enforcement.changed", |e| e.detail(json!({"default": body.default})));
    Ok(json(StatusCode::OK, json!({"default": body.default}).to_string()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    #[serde(default)]
    repair: bool,
    resource_id: Option<String>,
}

/// `POST /v1/monitoring/check`: `{"repair"?: bool, "resource_id"?: string}` — the drift
/// check, as `aforo-origin check` does it.
pub async fn check(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let raw = read_body(req, &ctx.app.cfg).await?;
    let body: CheckBody = if raw.iter().all(u8::is_ascii_whitespace) { CheckBody::default() } else { parse_json(&raw)? };
    if let Some(id) = body.resource_id.as_deref().filter(|id| !aforo_core::valid_resource_id(id)) {
        let id = crate::text::clip(id, 80);
        return Err(ApiError::InvalidRequest(format!("resource_id: {id:?} must be 1-64 characters of A-Z a-z 0-9 - _ . (not . or ..)")));
    }
    let report = crate::ops::drift::run(&ctx.app, body.resource_id.as_deref(), body.repair, (&caller.sub, "ops")).await?;
    Ok(json(StatusCode::OK, serde_json::to_string(&report).map_err(|e| ApiError::Internal(e.to_string()))?))
}
