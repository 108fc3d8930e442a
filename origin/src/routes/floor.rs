//! The host's steps over HTTP (seller owner, ops): move a seating to other tables, finish it
//! early, seat a walk-in now. The steps are the domain's (`crate::holds::{floor, walkin}`);
//! these parse the body, check that the caller owns the resource and answer.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;

use super::ctx::idempotency_key;
use super::Ctx;
use crate::error::ApiError;
use crate::holds::{self, Found, WalkIn};
use crate::http::{json, parse_json, read_body, Body};

/// The most tables one request names (a combination's members).
const MAX_TABLES: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    tables: Vec<String>,
}

/// The names of `tables` (the field at `path`), checked: 1 to [`MAX_TABLES`] non-empty ids.
fn check_tables(path: &str, tables: &[String]) -> Result<(), ApiError> {
    if tables.is_empty() || tables.len() > MAX_TABLES {
        return Err(ApiError::InvalidRequest(format!("{path}: name 1 to {MAX_TABLES} tables")));
    }
    if let Some(i) = tables.iter().position(|t| t.is_empty() || t.len() > 64) {
        return Err(ApiError::InvalidRequest(format!("{path}[{i}]: a table id of 1 to 64 characters")));
    }
    Ok(())
}

/// The hold of the path, once the caller is shown to own its home resource (or is ops).
async fn owned_hold(ctx: &Ctx) -> Result<Found, ApiError> {
    let f = holds::find(&ctx.app, &ctx.id).await?;
    let l = ctx.app.load(&f.home, None).await?;
    ctx.owner(&l.owner)?;
    Ok(f)
}

/// `POST /v1/holds/{id}/tables` `{"tables":["T3"]}`: 200 with the hold, 409 `TABLE_TAKEN`.
pub async fn move_to(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = owned_hold(&ctx).await?;
    let body: MoveBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    check_tables("tables", &body.tables)?;
    let view = holds::move_to(&ctx.app, &ctx.actor()?, &f, &body.tables).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

/// `POST /v1/holds/{id}/finish`: 200 with the hold and its `finished_at`; idempotent.
pub async fn finish(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = owned_hold(&ctx).await?;
    let view = holds::finish(&ctx.app, &ctx.actor()?, &f).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

/// `POST /v1/resources/{id}/walk-ins` `{"party":3,"area"?:"hall","tables"?:["T3"]}`: 201 with
/// the hold (consumed), 200 for a replay of the same `Idempotency-Key`.
pub async fn walk_in(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let l = ctx.app.load(&ctx.id, None).await?;
    ctx.owner(&l.owner)?;
    let key = idempotency_key(&req)?.ok_or(ApiError::IdempotencyKeyRequired)?;
    let w: WalkIn = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    if w.party == 0 || w.party > aforo_core::MAX_UNITS as u32 {
        return Err(ApiError::InvalidRequest(format!("party: must be 1 to {}", aforo_core::MAX_UNITS)));
    }
    if w.area.as_deref().is_some_and(|a| a.is_empty() || a.len() > 64) {
        return Err(ApiError::InvalidRequest("area: an area of 1 to 64 characters".into()));
    }
    if let Some(t) = &w.tables {
        check_tables("tables", t)?;
    }
    let made = holds::walk_in(&ctx.app, &ctx.actor()?, &ctx.id, &key, &w).await?;
    Ok(json(if made.fresh { StatusCode::CREATED } else { StatusCode::OK }, made.view.to_string()))
}
