//! The waiting list over HTTP: join, read, leave (the buyer), and a date's list (the seller).
//! The steps are the domain's (`crate::waitlist`).

use aforo_core::{parse_date, WaitRequest};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::ctx::idempotency_key;
use super::Ctx;
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::{json, query_params, read_body, Body};
use crate::waitlist;

/// `POST /v1/waitlist` (`Idempotency-Key` required): 201 with the entry and its position, 200
/// for a replay; 409 `AVAILABLE_NOW` with `alternatives` when the party fits now.
pub async fn join(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let key = idempotency_key(&req)?.ok_or(ApiError::IdempotencyKeyRequired)?;
    let body = read_body(req, &ctx.app.cfg).await?;
    let request = WaitRequest::from_json(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let made = waitlist::join(&ctx.app, &ctx.actor()?, &key, &request).await?;
    Ok(json(if made.fresh { StatusCode::CREATED } else { StatusCode::OK }, made.view.to_string()))
}

/// `GET /v1/waitlist/{id}`: its buyer, the resource's seller, ops.
pub async fn get(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (home, e) = waitlist::find(&ctx.app, &ctx.id).await?;
    if ctx.caller()?.role == Role::Seller {
        let owner = ctx.app.load_any(&home, None).await?.owner.clone();
        ctx.owner(Role::Seller, &owner).map_err(|_| ApiError::EntryNotFound(ctx.id.clone()))?;
    } else {
        ctx.owner(Role::Buyer, &e.caller).map_err(|_| ApiError::EntryNotFound(ctx.id.clone()))?;
    }
    Ok(json(StatusCode::OK, waitlist::entry_view(&e, true).to_string()))
}

/// `DELETE /v1/waitlist/{id}`: its buyer or ops; an offered entry declines its offer.
pub async fn leave(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (home, e) = waitlist::find(&ctx.app, &ctx.id).await?;
    ctx.owner(Role::Buyer, &e.caller).map_err(|err| match err {
        ApiError::Forbidden(_) => ApiError::EntryNotFound(ctx.id.clone()),
        other => other,
    })?;
    let view = waitlist::leave(&ctx.app, &ctx.actor()?, &home, &e).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

/// `GET /v1/resources/{id}/waitlist?date=`: the date's entries in arrival order, with guests.
pub async fn list(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let loaded = ctx.app.load_any(&ctx.id, None).await?;
    ctx.owner(Role::Seller, &loaded.owner)?;
    let q = query_params(&ctx.query, &["date"])?;
    let date = match q.get("date") {
        Some(d) if parse_date(d).is_some() => d.clone(),
        Some(d) if d == "all" && !loaded.resource.is_dated() => d.clone(),
        Some(d) => return Err(ApiError::InvalidRequest(format!("date: must be a date YYYY-MM-DD, got {d:?}"))),
        None if !loaded.resource.is_dated() => "all".to_string(),
        None => return Err(ApiError::InvalidRequest("date: required for a dated resource".into())),
    };
    Ok(json(StatusCode::OK, waitlist::list(&ctx.app, &ctx.id, &date).await?.to_string()))
}
