//! Holds over HTTP: create (one item or a cart), get, consume, release. The steps themselves
//! are the domain's (`crate::holds`); these parse the request, check the owner and answer.

use aforo_core::HoldRequest;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::ctx::idempotency_key;
use super::Ctx;
use crate::error::ApiError;
use crate::holds;
use crate::http::{json, read_body, Body};
use crate::metrics::ReasonLabels;

/// `POST /v1/holds`: 201 with the hold, 200 with the same body for an idempotent replay.
pub async fn create(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let r = create_as(&ctx, req).await;
    if let Err(e) = &r {
        if e.status().is_client_error() {
            ctx.app.metrics.holds_refused.get_or_create(&ReasonLabels { reason: e.code().to_lowercase() }).inc();
        }
    }
    r
}

async fn create_as(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let key = idempotency_key(&req)?.ok_or(ApiError::IdempotencyKeyRequired)?;
    let body = read_body(req, &ctx.app.cfg).await?;
    let request = HoldRequest::from_json(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let made = holds::create(&ctx.app, &ctx.actor()?, &key, &request).await?;
    Ok(json(if made.fresh { StatusCode::CREATED } else { StatusCode::OK }, made.view.to_string()))
}

/// `GET /v1/holds/{id}`.
pub async fn get(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = holds::find(&ctx.app, &ctx.id).await?;
    ctx.owner(f.owner_role(), f.owner())?;
    Ok(json(StatusCode::OK, f.view(&ctx.app).to_string()))
}

/// `POST /v1/holds/{id}/consume`: after payment; idempotent. An expired hold is consumed
/// if its units are still free (taken again), else 410.
pub async fn consume(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = holds::find(&ctx.app, &ctx.id).await?;
    ctx.owner(f.owner_role(), f.owner())?;
    let view = holds::consume(&ctx.app, &ctx.actor()?, &f).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

/// `POST /v1/holds/{id}/release`: give the units back; idempotent.
pub async fn release(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = holds::find(&ctx.app, &ctx.id).await?;
    ctx.owner(f.owner_role(), f.owner())?;
    let view = holds::release(&ctx.app, &ctx.actor()?, &f).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}
