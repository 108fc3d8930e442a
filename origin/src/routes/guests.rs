//! A booking's guest over HTTP: `PATCH /v1/holds/{id}/guest` replaces it (its buyer, a seller
//! on its own items, ops); `POST /v1/guests/erase` erases a person's details everywhere (ops).

use aforo_core::Guest;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use crate::auth::Role;
use crate::error::ApiError;
use crate::holds::{self, guests};
use crate::http::{json, read_body, Body};
use crate::store::Erasure;

/// `PATCH /v1/holds/{id}/guest` with the guest's details: 200 with the hold.
pub async fn replace(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let raw = read_body(req, &ctx.app.cfg).await?;
    let v: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| ApiError::InvalidRequest(format!("$: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::InvalidRequest("$: the guest, a JSON object".into()));
    }
    let guest = Guest::from_value(v, "").map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let f = holds::find(&ctx.app, &ctx.id).await?;
    let parts = match ctx.caller()?.role {
        // A seller edits the guest on its own resources' items only.
        Role::Seller => {
            let mut mine = Vec::new();
            for r in f.resources() {
                if ctx.app.load_any(&r, None).await?.owner == ctx.caller()?.sub {
                    mine.push(r);
                }
            }
            let Some(first) = mine.first() else { return Err(ApiError::Forbidden("only the owner or ops may do this".into())) };
            let owner = ctx.app.load_any(first, None).await?.owner.clone();
            ctx.owner(Role::Seller, &owner)?;
            mine
        }
        _ => {
            ctx.owner(f.owner_role(), f.owner())?;
            f.resources()
        }
    };
    let view = guests::set(&ctx.app, &ctx.actor()?, &f, &parts, &guest).await?;
    Ok(json(StatusCode::OK, view.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    buyer: Option<String>,
}

/// `POST /v1/guests/erase` `{"email"?, "phone"?, "buyer"?}` (ops): 200 `{"erased": n}`.
pub async fn erase(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let b: EraseBody = crate::http::parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    let field = |v: Option<String>, name: &str, max: usize| -> Result<String, ApiError> {
        let v = v.unwrap_or_default().trim().to_string();
        if v.len() > max {
            return Err(ApiError::InvalidRequest(format!("{name}: at most {max} bytes")));
        }
        Ok(v)
    };
    let phone: String = field(b.phone, "phone", aforo_core::MAX_GUEST_PHONE)?.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    let who = Erasure { email: field(b.email, "email", aforo_core::MAX_GUEST_EMAIL)?, phone, buyer: field(b.buyer, "buyer", 256)? };
    if who.email.is_empty() && who.phone.len() < 4 && who.buyer.is_empty() {
        return Err(ApiError::InvalidRequest("$: name the person by email, phone (4 digits at least) or buyer".into()));
    }
    ctx.owner(Role::Ops, "")?;
    let n = guests::erase(&ctx.app, &ctx.actor()?, &who).await?;
    Ok(json(StatusCode::OK, json!({"erased": n}).to_string()))
}
