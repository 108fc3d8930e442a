//! The host's steps over HTTP (seller owner, ops): seat a party, move it to other tables,
//! finish it, mark it a no-show, seat a walk-in now. The steps are the domain's (`crate::holds::{floor, walkin}`);
//! these parse the body, check that the caller owns the resource and answer.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;

use super::ctx::idempotency_key;
use super::Ctx;
use crate::auth::Role;
use crate::error::ApiError;
use crate::holds::{self, Found, WalkIn};
use crate::http::{json, parse_json, read_body, Body};

/// The most tables one request names (a combination's members).
const MAX_TABLES: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    tables: Vec<String>,
    /// The resource whose seating moves, for a hold with items on several.
    #[serde(default)]
    resource_id: Option<String>,
}

/// The body of a finish: empty, or the resource whose seating finishes.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SeatingBody {
    #[serde(default)]
    resource_id: Option<String>,
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

/// The seating of the path's hold on `resource_id` (or on its one resource), once the caller
/// is shown to own that resource (or is ops). A host acts on its own floor only: a cart's
/// items on another seller's resources are neither touched nor shown.
async fn owned_seating(ctx: &Ctx, resource_id: Option<String>) -> Result<Found, ApiError> {
    let whole = holds::find(&ctx.app, &ctx.id).await?;
    let resources = whole.resources();
    let target = match resource_id {
        Some(r) => r,
        None if resources.len() == 1 => whole.home.clone(),
        None => {
            return Err(ApiError::InvalidRequest(
                "resource_id: required, the hold has items on several resources; name the one whose seating this is".into(),
            ))
        }
    };
    if !aforo_core::valid_resource_id(&target) {
        return Err(ApiError::InvalidRequest("resource_id: not a resource id".into()));
    }
    let l = ctx.app.load(&target, None).await?;
    ctx.owner(Role::Seller, &l.owner)?;
    if !resources.contains(&target) {
        return Err(ApiError::HoldNotFound(format!("{} (no item on {target})", ctx.id)));
    }
    holds::find_part(&ctx.app, &ctx.id, &target).await
}

/// The answer of a host's step: the hold as the seller of `f`'s resource may see it.
fn answer(ctx: &Ctx, f: &Found, mut view: serde_json::Value) -> Response<Body> {
    if ctx.caller.as_ref().is_some_and(|c| c.role != Role::Ops) {
        holds::only_resource(&mut view, &f.home);
    }
    json(StatusCode::OK, view.to_string())
}

/// `POST /v1/holds/{id}/tables` `{"tables":["T3"], "resource_id"?}`: 200 with the hold, 409
/// `TABLE_TAKEN`.
pub async fn move_to(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let body: MoveBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    check_tables("tables", &body.tables)?;
    let f = owned_seating(&ctx, body.resource_id).await?;
    let view = holds::move_to(&ctx.app, &ctx.actor()?, &f, &body.tables).await?;
    Ok(answer(&ctx, &f, view))
}

/// `POST /v1/holds/{id}/finish` (`{"resource_id"?}`): 200 with the hold and its
/// `finished_at`; idempotent; 409 `NOT_SEATED` unless seated and its seating started.
pub async fn finish(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = seating_of(&ctx, req).await?;
    let view = holds::finish(&ctx.app, &ctx.actor()?, &f).await?;
    Ok(answer(&ctx, &f, view))
}

/// The seating a body names (empty, or `{"resource_id"}`), owned by the caller.
async fn seating_of(ctx: &Ctx, req: Request<Incoming>) -> Result<Found, ApiError> {
    let raw = read_body(req, &ctx.app.cfg).await?;
    let body: SeatingBody = if raw.iter().all(u8::is_ascii_whitespace) { SeatingBody::default() } else { parse_json(&raw)? };
    owned_seating(ctx, body.resource_id).await
}

/// `POST /v1/holds/{id}/seat` (`{"resource_id"?}`): the party checked in, from
/// `early_seat_min` before its start (409 `NOT_STARTED` earlier); idempotent.
pub async fn seat(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = seating_of(&ctx, req).await?;
    let view = holds::seat(&ctx.app, &ctx.actor()?, &f).await?;
    Ok(answer(&ctx, &f, view))
}

/// `POST /v1/holds/{id}/no-show` (`{"resource_id"?}`): the party never came, from
/// `no_show_after_min` after its start; its tables and covers free from now on; idempotent.
pub async fn no_show(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = seating_of(&ctx, req).await?;
    let view = holds::no_show(&ctx.app, &ctx.actor()?, &f).await?;
    Ok(answer(&ctx, &f, view))
}

/// `POST /v1/resources/{id}/walk-ins` `{"party":3,"area"?:"hall","tables"?:["T3"]}`: 201 with
/// the hold (seated), 200 for a replay of the same `Idempotency-Key`.
pub async fn walk_in(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let l = ctx.app.load(&ctx.id, None).await?;
    ctx.owner(Role::Seller, &l.owner)?;
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
    if let Some(g) = &w.guest {
        g.check("guest.").map_err(|(path, why)| ApiError::InvalidRequest(format!("{path}: {why}")))?;
    }
    let made = holds::walk_in(&ctx.app, &ctx.actor()?, &ctx.id, &key, &w).await?;
    Ok(json(if made.fresh { StatusCode::CREATED } else { StatusCode::OK }, made.view.to_string()))
}
