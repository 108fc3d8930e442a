//! `POST /v1/stock/validate`: real-time stock check of a basket.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json, parse_json, read_body, Body};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    resource_id: String,
    quantity: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    items: Vec<Item>,
}

/// Checks each item's stock now (expired holds reclaimed first).
pub async fn validate(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?;
    let body: ValidateBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    if body.items.is_empty() || body.items.len() > aforo_core::MAX_ITEMS {
        return Err(ApiError::InvalidRequest(format!("items: must hold 1 to {} items", aforo_core::MAX_ITEMS)));
    }
    for (i, it) in body.items.iter().enumerate() {
        if !aforo_core::valid_resource_id(&it.resource_id) {
            return Err(ApiError::InvalidRequest(format!(
                "items[{i}].resource_id: must be 1-64 characters of A-Z a-z 0-9 - _ . (not . or ..)"
            )));
        }
        if !(1..=aforo_core::MAX_UNITS).contains(&it.quantity) {
            return Err(ApiError::InvalidRequest(format!("items[{i}].quantity: must be >= 1")));
        }
    }
    let mut out = Vec::with_capacity(body.items.len());
    for (i, it) in body.items.iter().enumerate() {
        let loaded = ctx.app.load(&it.resource_id, None).await?;
        if !loaded.resource.has_stock {
            return Err(ApiError::InvalidRequest(format!("items[{i}].resource_id: {} has no stock dimension", it.resource_id)));
        }
        let snap = ctx.app.snapshot(&it.resource_id, None).await?;
        let aforo_core::StockLevel { current, available } = aforo_core::stock_level(&snap, it.quantity as u32);
        tracing::info!(resource = %it.resource_id, quantity = it.quantity, current, caller = %caller.sub, "stock validated");
        ctx.audit("stock.validated", |e| {
            e.resource(&it.resource_id).detail(json!({"quantity": it.quantity, "current_stock": current, "available": available}))
        });
        out.push(json!({"resource_id": it.resource_id, "available": available, "current_stock": current}));
    }
    Ok(json(StatusCode::OK, json!({"items": out}).to_string()))
}
