//! Holds over HTTP: create (one item or a cart), get, consume, release, cancel, extend. The
//! steps themselves are the domain's (`crate::holds`); these parse the request, check the
//! owner and answer.

use aforo_core::{Canceller, HoldRequest};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;

use super::ctx::idempotency_key;
use super::Ctx;
use crate::auth::Role;
use crate::error::ApiError;
use crate::holds::{self, after::MAX_REASON};
use crate::http::{json, parse_json, read_body, Body};
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/holds/{id}/cancel` (`{"reason"?}`): by its buyer (under the resources' policy),
/// by a seller owning every resource it has items on, or by ops (a full refund). 200 with the
/// hold, `cancelled_at`, `cancelled_by` and `refund`; idempotent.
pub async fn cancel(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let raw = read_body(req, &ctx.app.cfg).await?;
    let body: CancelBody = if raw.iter().all(u8::is_ascii_whitespace) { CancelBody::default() } else { parse_json(&raw)? };
    if body.reason.as_ref().is_some_and(|r| r.len() > MAX_REASON) {
        return Err(ApiError::InvalidRequest(format!("reason: at most {MAX_REASON} bytes")));
    }
    let f = holds::find(&ctx.app, &ctx.id).await?;
    let by = match ctx.caller()?.role {
        Role::Seller => {
            // A seller cancels what is wholly its own: a cart with another seller's items is
            // its buyer's or ops' to cancel.
            for r in f.resources() {
                let owner = ctx.app.load(&r, None).await?.owner.clone();
                ctx.owner(Role::Seller, &owner).map_err(|_| {
                    ApiError::Forbidden(format!("hold {} has items on {r}, which is not yours: its buyer or ops cancel it", f.id))
                })?;
            }
            Canceller::Seller
        }
        Role::Ops => {
            ctx.owner(Role::Ops, "")?;
            Canceller::Seller
        }
        _ => {
            ctx.owner(f.owner_role(), f.owner())?;
            Canceller::Buyer
        }
    };
    let view = holds::cancel(&ctx.app, &ctx.actor()?, &f, by, body.reason.as_deref()).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendBody {
    seconds: u32,
}

/// `POST /v1/holds/{id}/extend` `{"seconds": n}`: a held hold expires `n` s from now, never
/// past `hold_max_s` after its creation (409 `HOLD_LIMIT`).
pub async fn extend(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let body: ExtendBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    if !(1..=aforo_core::MAX_HOLD_TTL_S).contains(&body.seconds) {
        return Err(ApiError::InvalidRequest(format!("seconds: must be 1 to {}", aforo_core::MAX_HOLD_TTL_S)));
    }
    let f = holds::find(&ctx.app, &ctx.id).await?;
    ctx.owner(f.owner_role(), f.owner())?;
    let view = holds::extend(&ctx.app, &ctx.actor()?, &f, body.seconds).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

/// `POST /v1/holds/{id}/change` with a hold request (`Idempotency-Key` required): the booking
/// moved to the items asked on its resource, same id, status and guest; 409 with
/// `alternatives` when they do not fit (the booking unchanged). Its buyer, a seller owning its
/// resource, or ops.
pub async fn change(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let key = idempotency_key(&req)?.ok_or(ApiError::IdempotencyKeyRequired)?;
    let body = read_body(req, &ctx.app.cfg).await?;
    let request = HoldRequest::from_json(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let f = holds::find(&ctx.app, &ctx.id).await?;
    if ctx.caller()?.role == Role::Seller {
        let owner = ctx.app.load(&f.home, None).await?.owner.clone();
        ctx.owner(Role::Seller, &owner)?;
    } else {
        ctx.owner(f.owner_role(), f.owner())?;
    }
    let view = holds::change(&ctx.app, &ctx.actor()?, &f, &key, &request).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}
