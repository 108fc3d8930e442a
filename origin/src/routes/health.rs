//! Liveness and readiness.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json, Body};

/// The process is up.
pub async fn healthz(_ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    Ok(json(StatusCode::OK, json!({"status": "ok"}).to_string()))
}

/// Redis answers and the function library is loaded.
pub async fn readyz(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let store = &ctx.app.store;
    let ready = tokio::time::timeout(std::time::Duration::from_millis(800), async {
        store.ping().await?;
        store.library_present().await
    })
    .await;
    let (status, body) = match ready {
        // Near the memory ceiling still ready (holds go on up to it), with a warning.
        Ok(Ok(true)) if ctx.app.metrics.shedding() => (
            StatusCode::OK,
            json!({"status": "ready", "redis": "ok", "library": "loaded", "memory": "near_ceiling",
                   "warning": "the store is near its memory ceiling: non-booking writes are shed; holds go on"}),
        ),
        Ok(Ok(true)) => (StatusCode::OK, json!({"status": "ready", "redis": "ok", "library": "loaded", "memory": "ok"})),
        Ok(Ok(false)) => {
            // A flushed library is reloaded here so that readiness heals itself.
            let _ = store.load_library().await;
            (StatusCode::SERVICE_UNAVAILABLE, json!({"status": "not_ready", "redis": "ok", "library": "missing"}))
        }
        Ok(Err(e)) => {
            // Anyone may read this: a stable word, Redis's own text in the log.
            tracing::warn!(error = %e, "not ready: Redis did not answer");
            let why = if matches!(e, crate::store::StoreError::CircuitOpen(_)) { "circuit_open" } else { "unavailable" };
            (StatusCode::SERVICE_UNAVAILABLE, json!({"status": "not_ready", "redis": why}))
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, json!({"status": "not_ready", "redis": "timeout"})),
    };
    let mut r = json(status, body.to_string());
    if status != StatusCode::OK {
        r.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
    }
    Ok(r)
}
