//! `POST /v1/stock/validate`: real-time stock check of a basket, within a budget; degraded
//! (last known figures, marked) when the store cannot answer.
//!
//! Every resource of the basket is read in one round trip (`Store::read_each`: one pipeline
//! on one Redis, one call per resource in parallel on a cluster). A document this origin has
//! not cached yet is loaded first, all of them together.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aforo_core::{buckets_for, Counters, Snapshot};
use chrono::{DateTime, NaiveDate, Utc};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::Ctx;
use crate::app::App;
use crate::error::ApiError;
use crate::http::{json, parse_json, read_body, Body};
use crate::metrics::ReasonLabels;
use crate::store::breaker::State;

/// Time the store is given for the whole basket: the answer, degraded or not, leaves within
/// the 3 s of the contract.
pub const BUDGET: Duration = Duration::from_millis(2500);

/// Told with every degraded answer.
const WARNING: &str = "the inventory could not be read just now: these are the last figures read (at most 30 s old, \
see as_of; null when none is known). They are not a promise: the hold decides, and it refuses while the store is down";

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

fn check(body: &ValidateBody) -> Result<(), ApiError> {
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
    Ok(())
}

/// The snapshot of every resource of the basket, read together.
async fn read_all(app: &App, body: &ValidateBody) -> Result<HashMap<String, Arc<Snapshot>>, ApiError> {
    let mut ids: Vec<&str> = body.items.iter().map(|i| i.resource_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let docs = futures::future::try_join_all(ids.iter().map(|id| app.load(id, None))).await?;
    for (i, it) in body.items.iter().enumerate() {
        if docs.iter().any(|l| l.id == it.resource_id && !l.resource.has_stock) {
            return Err(ApiError::InvalidRequest(format!("items[{i}].resource_id: {} has no stock dimension", it.resource_id)));
        }
    }
    let buckets: Vec<_> = docs.iter().map(|l| buckets_for(&l.resource, NaiveDate::MIN, NaiveDate::MIN)).collect();
    let reads: Vec<(String, Vec<String>)> =
        docs.iter().zip(&buckets).map(|(l, b)| (l.id.clone(), b.iter().map(ToString::to_string).collect())).collect();
    let got = app.store.read_each(&reads).await?;
    let mut out = HashMap::with_capacity(docs.len());
    for ((l, b), r) in docs.iter().zip(buckets).zip(got) {
        let (now_ms, version, vals) = r.ok_or_else(|| ApiError::ResourceNotFound(l.id.clone()))?;
        let snap = if version == l.state.version {
            let counters = Counters(b.into_iter().zip(vals).filter(|(_, v)| *v > 0).collect());
            l.snapshot(None, counters, DateTime::from_timestamp_millis(now_ms).unwrap_or_else(Utc::now))
        } else {
            // The document changed since it was cached: read it again on its own.
            app.snapshot(&l.id, None).await?
        };
        let snap = Arc::new(snap);
        app.last_known.put(snap.clone());
        out.insert(l.id.clone(), snap);
    }
    Ok(out)
}

fn item(it: &Item, snap: Option<&Snapshot>) -> Value {
    match snap {
        Some(s) => {
            let aforo_core::StockLevel { current, available } = aforo_core::stock_level(s, it.quantity as u32);
            json!({"resource_id": it.resource_id, "available": available, "current_stock": current,
                   "as_of": aforo_core::rfc3339(&s.as_of)})
        }
        None => json!({"resource_id": it.resource_id, "available": null, "current_stock": null, "as_of": null}),
    }
}

/// Checks each item's stock now (expired holds reclaimed first); when the store fails, times
/// out or its breaker is open, answers the last known figures, marked degraded.
pub async fn validate(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?;
    let body: ValidateBody = parse_json(&read_body(req, &ctx.app.cfg).await?)?;
    check(&body)?;
    let app = &ctx.app;
    let reason = match tokio::time::timeout(BUDGET, read_all(app, &body)).await {
        Ok(Ok(snaps)) => {
            let mut out = Vec::with_capacity(body.items.len());
            for it in &body.items {
                let v = item(it, snaps.get(&it.resource_id).map(|s| &**s));
                tracing::info!(resource = %it.resource_id, quantity = it.quantity, current = %v["current_stock"], caller = %caller.sub, "stock validated");
                ctx.audit("stock.validated", |e| {
                    e.resource(&it.resource_id)
                        .detail(json!({"quantity": it.quantity, "current_stock": v["current_stock"], "available": v["available"]}))
                });
                out.push(v);
            }
            return Ok(json(StatusCode::OK, json!({"items": out, "degraded": false}).to_string()));
        }
        Ok(Err(ApiError::StoreUnavailable(_))) if app.store.breaker_state() != State::Closed => "circuit_open",
        Ok(Err(ApiError::StoreUnavailable(_))) => "store_unavailable",
        Ok(Err(e)) => return Err(e),
        Err(_) => "timeout",
    };
    app.metrics.degraded_answers.get_or_create(&ReasonLabels { reason: reason.into() }).inc();
    app.degraded.add(app.now().timestamp_millis(), 1);
    tracing::warn!(reason, items = body.items.len(), caller = %caller.sub, "stock validated from last known figures (degraded)");
    let out: Vec<Value> = body.items.iter().map(|it| item(it, app.last_known.get(&it.resource_id).as_deref())).collect();
    for (it, v) in body.items.iter().zip(&out) {
        ctx.audit("stock.validated", |e| {
            e.resource(&it.resource_id).detail(json!({"quantity": it.quantity, "current_stock": v["current_stock"],
                "available": v["available"], "degraded": true, "as_of": v["as_of"]}))
        });
    }
    Ok(json(StatusCode::OK, json!({"items": out, "degraded": true, "reason": reason, "warning": WARNING}).to_string()))
}
