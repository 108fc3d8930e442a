//! Webhook endpoints (docs/webhooks.md): register (the secret shown once), list, read,
//! delete, the attempts log, replay, enable again. The delivery itself is `crate::webhooks`.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::monitoring::limit_of;
use super::Ctx;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::http::{json, no_content, parse_json, query_params, read_body, Body};
use crate::store::webhooks::EndpointRecord;
use crate::webhooks::{fanout, guard, new_identity, parse_registration, valid_endpoint_id, WebhookError};

fn at(ms: i64) -> Value {
    match ms {
        0 => Value::Null,
        ms => json!(chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))),
    }
}

fn view(r: &EndpointRecord) -> Value {
    let failing = r.num("first_fail_ms") > 0 && r.status == "enabled";
    json!({
        "id": r.id,
        "url": r.url,
        "events": r.events,
        "resource_ids": r.resources,
        "status": r.status,
        "created_at": at(r.num("created_ms")),
        "backlog": r.backlog,
        "dropped": r.num("dropped"),
        "delivered": r.num("delivered"),
        "failed": r.num("failed"),
        "breaker": if failing { "open" } else { "closed" },
        "failing_since": at(if failing { r.num("first_fail_ms") } else { 0 }),
        "next_retry_at": at(if failing { r.num("next_at") } else { 0 }),
        "disabled_at": at(r.num("disabled_at")),
        "last_attempt": match r.num("last_at") {
            0 => Value::Null,
            t => json!({
                "at": at(t),
                "status": r.fields.get("last_status").and_then(|s| s.parse::<u16>().ok()),
                "error": r.fields.get("last_error").filter(|e| !e.is_empty()),
            }),
        },
    })
}

fn problem(e: WebhookError) -> ApiError {
    match e {
        WebhookError::Invalid(s) => ApiError::InvalidRequest(s),
        WebhookError::Refused(s) => ApiError::WebhookUrlRefused(s),
    }
}

/// Who owns an endpoint, as `Ctx::owner` compares it: a seller's `sub`, or for an endpoint
/// of ops a name no seller has.
fn owner_of(r: &EndpointRecord) -> String {
    if r.role == "seller" {
        r.owner.clone()
    } else {
        format!("{}:{}", r.role, r.owner)
    }
}

/// The endpoint of the path, if the caller may see it (404, then 403).
async fn endpoint(ctx: &Ctx) -> Result<EndpointRecord, ApiError> {
    if !valid_endpoint_id(&ctx.id) {
        return Err(ApiError::WebhookNotFound(crate::text::clip(&ctx.id, 40)));
    }
    let r = ctx.app.store.wh_get(&ctx.id).await?.ok_or_else(|| ApiError::WebhookNotFound(ctx.id.clone()))?;
    ctx.owner(Role::Seller, &owner_of(&r))?;
    Ok(r)
}

async fn check_resources(ctx: &Ctx, caller: &Caller, ids: &[String]) -> Result<(), ApiError> {
    for id in ids {
        let meta =
            ctx.app.store.meta(id).await?.filter(|m| m.archived_at.is_none()).ok_or_else(|| ApiError::ResourceNotFound(id.clone()))?;
        if caller.role != Role::Ops && meta.owner != caller.sub {
            return Err(ApiError::Forbidden(format!("resource {id} belongs to another seller")));
        }
    }
    Ok(())
}

/// `POST /v1/webhooks`: 201 with the secret, shown this once.
pub async fn create(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let body = read_body(req, &ctx.app.cfg).await?;
    let reg = parse_registration(&body).map_err(problem)?;
    let s = &ctx.app.cfg.webhooks;
    guard::check_host(&reg.host, s.webhook_allow_private).await.map_err(|why| problem(WebhookError::Refused(format!("url: {why}"))))?;
    check_resources(&ctx, &caller, &reg.resources).await?;
    let (id, secret) = new_identity();
    let rec = EndpointRecord {
        id: id.clone(),
        owner: caller.sub.clone(),
        role: caller.role_name().to_string(),
        url: reg.url.clone(),
        secret: secret.clone(),
        events: reg.events.clone(),
        resources: reg.resources.clone(),
        ..Default::default()
    };
    // Redis's own clock, as the stream ids that decide which events are the endpoint's
    // (the origin's estimate of it can be a few ms off under load).
    let now = ctx.app.store.time_ms().await?;
    let max = if caller.role == Role::Ops { s.webhook_max_per_owner.saturating_mul(10) } else { s.webhook_max_per_owner };
    if !ctx.app.store.wh_create(&rec, now, max).await? {
        return Err(ApiError::QuotaExceeded {
            detail: format!("at most {max} webhook endpoints per owner; delete one first"),
            quota: "webhooks",
            used: max,
            limit: max,
            requested: 1,
        });
    }
    ctx.audit("webhook.created", |e| {
        e.detail(json!({"endpoint": id, "url": reg.url, "events": reg.events, "resource_ids": reg.resources}))
    });
    let stored = ctx.app.store.wh_get(&id).await?.ok_or_else(|| ApiError::Internal(format!("webhook {id} gone after its creation")))?;
    let mut v = view(&stored);
    v["secret"] = json!(secret);
    Ok(json(StatusCode::CREATED, v.to_string()))
}

/// `GET /v1/webhooks`: the caller's endpoints (every one for ops).
pub async fn list(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let is_ops = caller.role == Role::Ops;
    let mut out = Vec::new();
    for id in ctx.app.store.wh_ids((!is_ops).then_some(caller.sub.as_str())).await? {
        if let Some(r) = ctx.app.store.wh_get(&id).await? {
            if is_ops || (r.role == caller.role_name() && r.owner == caller.sub) {
                out.push(view(&r));
            }
        }
    }
    Ok(json(StatusCode::OK, json!({"webhooks": out}).to_string()))
}

/// `GET /v1/webhooks/{id}`.
pub async fn get(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let r = endpoint(&ctx).await?;
    Ok(json(StatusCode::OK, view(&r).to_string()))
}

/// `DELETE /v1/webhooks/{id}`: the endpoint, its backlog and its log go.
pub async fn delete(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let r = endpoint(&ctx).await?;
    ctx.app.store.wh_delete(&r.id, &r.owner).await?;
    ctx.audit("webhook.deleted", |e| e.detail(json!({"endpoint": r.id, "url": r.url, "backlog": r.backlog})));
    Ok(no_content())
}

/// `GET /v1/webhooks/{id}/deliveries?limit=`: the last attempts, newest first.
pub async fn deliveries(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let q = query_params(&ctx.query, &["limit"])?;
    let limit = limit_of(q.get("limit"), 20, 100)?;
    let r = endpoint(&ctx).await?;
    let lines = ctx.app.store.wh_log(&r.id, limit as i64).await?;
    let items: Vec<Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    Ok(json(StatusCode::OK, json!({"deliveries": items}).to_string()))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    since: String,
}

/// `POST /v1/webhooks/{id}/replay {"since"}`: 202 with how many events were queued again.
pub async fn replay(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let r = endpoint(&ctx).await?;
    let body = read_body(req, &ctx.app.cfg).await?;
    let Replay { since } = parse_json(&body)?;
    let since = chrono::DateTime::parse_from_rfc3339(&since)
        .map_err(|_| ApiError::InvalidRequest("since: an RFC 3339 instant, such as 2026-12-05T10:00:00Z".into()))?
        .timestamp_millis();
    let now = ctx.app.now().timestamp_millis();
    if since > now {
        return Err(ApiError::InvalidRequest("since: in the future".into()));
    }
    if r.status != "enabled" {
        return Err(ApiError::InvalidRequest(format!("the endpoint is {}; enable it first (POST /v1/webhooks/{}/enable)", r.status, r.id)));
    }
    if ctx.app.metrics.shedding() {
        ctx.app.metrics.shed("webhook_replay");
        return Err(ApiError::StoreUnavailable("the store is near its memory ceiling: replays wait until it is not; retry later".into()));
    }
    let queued = fanout::replay(&ctx.app, &r, since).await?;
    ctx.audit("webhook.replayed", |e| e.detail(json!({"endpoint": r.id, "since": at(since), "queued": queued})));
    Ok(json(StatusCode::ACCEPTED, json!({"queued": queued}).to_string()))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Enable {
    #[serde(default)]
    backlog: Option<String>,
}

/// `POST /v1/webhooks/{id}/enable {"backlog"?: "keep" | "drop"}`: a disabled endpoint enabled
/// again, resuming where it stopped (`keep`, the default) or from now (`drop`); 200 with the
/// endpoint. An enabled endpoint is left as it is.
pub async fn enable(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let r = endpoint(&ctx).await?;
    let body = read_body(req, &ctx.app.cfg).await?;
    let Enable { backlog } = if body.iter().all(u8::is_ascii_whitespace) {
        Enable { backlog: None }
    } else {
        match parse_json::<Value>(&body)? {
            v @ Value::Object(_) => serde_json::from_value(v).map_err(|e| ApiError::InvalidRequest(e.to_string()))?,
            _ => return Err(ApiError::InvalidRequest("a JSON object, such as {\"backlog\": \"keep\"}".into())),
        }
    };
    let keep = match backlog.as_deref() {
        None | Some("keep") => true,
        Some("drop") => false,
        Some(_) => return Err(ApiError::InvalidRequest("backlog: \"keep\" (resume where it stopped) or \"drop\" (from now)".into())),
    };
    let done = crate::webhooks::enable::enable(&ctx.app, &r, keep).await?.ok_or_else(|| ApiError::WebhookNotFound(r.id.clone()))?;
    if done.changed {
        tracing::info!(endpoint = %r.id, keep, queued = done.queued, dropped = done.dropped, "webhook endpoint enabled again");
        let policy = if keep { "keep" } else { "drop" };
        ctx.audit("webhook.enabled", |e| {
            e.detail(json!({"endpoint": r.id, "backlog": policy, "disabled_at": at(done.disabled_at), "gap_queued": done.queued, "dropped": done.dropped}))
        });
    }
    let now = ctx.app.store.wh_get(&r.id).await?.ok_or_else(|| ApiError::WebhookNotFound(r.id.clone()))?;
    let mut v = view(&now);
    v["enabled"] =
        json!({"changed": done.changed, "backlog": if keep { "keep" } else { "drop" }, "gap_queued": done.queued, "dropped": done.dropped});
    Ok(json(StatusCode::OK, v.to_string()))
}
