//! `GET /v1/resources/{id}/events`: the resource's availability stream (docs/events.md) as
//! Server-Sent Events, for the console's live views and any downstream consumer (seller owner,
//! ops). Each event's `id:` is its stream id; a reconnect with `Last-Event-ID` resumes after it.
//!
//! Bounded per connection and per process: a stream polls with a short, non-blocking `XRANGE`
//! (at most [`BATCH`] entries every [`POLL`], on the shared pool: no connection is held
//! blocked), sends a comment every [`HEARTBEAT`] when idle (which also finds a closed client),
//! ends after [`LIFETIME`] (the client reconnects with `Last-Event-ID`, told `retry:` 1 s), and
//! each caller holds at most `AFORO_SSE_PER_CALLER` open at once, the process
//! `AFORO_SSE_MAX` with a reserve for ops (`crate::admission::streams`; 429 `RATE_LIMITED`
//! beyond): one caller's streams never keep another out.

use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::Ctx;
use crate::admission::streams::{Place, Refused};
use crate::app::AppRef;
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::{query_params, Body};
use crate::store::events::{valid_stream_id, StreamEntry};

/// How often an open stream looks for new entries.
pub const POLL: Duration = Duration::from_millis(500);
/// Most entries read (and sent) per poll.
pub const BATCH: usize = 100;
/// An idle stream sends a comment this often.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// A stream ends after this long; the client resumes with `Last-Event-ID`.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// One entry as an SSE event: `id:` the stream id, `data:` the entry as JSON (its `changes`
/// parsed).
pub fn frame((id, f): &StreamEntry) -> String {
    let changes = f.get("changes").map_or(Value::Null, |c| serde_json::from_str(c).unwrap_or_else(|_| json!(c)));
    let data = json!({
        "id": id,
        "type": f.get("type").map_or("", String::as_str),
        "hold": f.get("hold").filter(|h| !h.is_empty()),
        "version": f.get("version").and_then(|v| v.parse::<u64>().ok()),
        "changes": changes,
    });
    format!("id: {id}\ndata: {data}\n\n")
}

struct Live {
    app: AppRef,
    resource: String,
    after: String,
    started: Instant,
    sent: Instant,
    hello: bool,
    done: bool,
    _place: Place,
}

async fn next(mut s: Live) -> Option<(Bytes, Live)> {
    if s.hello {
        s.hello = false;
        return Some((Bytes::from_static(b"retry: 1000\n: connected\n\n"), s));
    }
    loop {
        if s.done || s.started.elapsed() >= LIFETIME {
            return None;
        }
        match s.app.store.events_after(&s.resource, &s.after, BATCH).await {
            Ok(entries) if !entries.is_empty() => {
                let out: String = entries.iter().map(frame).collect();
                s.after = entries.last().map(|e| e.0.clone()).unwrap_or(s.after);
                s.sent = Instant::now();
                return Some((Bytes::from(out), s));
            }
            Ok(_) if s.sent.elapsed() >= HEARTBEAT => {
                s.sent = Instant::now();
                return Some((Bytes::from_static(b": heartbeat\n\n"), s));
            }
            Ok(_) => tokio::time::sleep(POLL).await,
            Err(e) => {
                // The client reconnects (after `retry:`) from the last id it saw.
                tracing::warn!(error = %e, resource = %s.resource, "event stream: the store did not answer");
                s.done = true;
                let data = json!({"code": "STORE_UNAVAILABLE", "detail": "the event stream stopped; reconnect with Last-Event-ID"});
                return Some((Bytes::from(format!("event: error\ndata: {data}\n\n")), s));
            }
        }
    }
}

/// Opens the stream.
pub async fn stream(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let loaded = ctx.app.load(&ctx.id, None).await?;
    ctx.owner(Role::Seller, &loaded.owner)?;
    query_params(&ctx.query, &[])?;
    let after = match req.headers().get("last-event-id") {
        Some(v) => {
            let id = v.to_str().unwrap_or("");
            if !valid_stream_id(id) {
                return Err(ApiError::InvalidRequest("Last-Event-ID: must be a stream id <ms>-<seq> this route sent".into()));
            }
            id.to_string()
        }
        None => ctx.app.store.last_event_id(&ctx.id).await?,
    };
    let caller = ctx.caller()?;
    let key = format!("{}:{}", caller.role_name(), caller.sub);
    let place = ctx.app.admission.streams.take(&key, caller.role == Role::Ops).map_err(|r| {
        let reason = match r {
            Refused::Caller => "sse_caller",
            Refused::Process => "sse_process",
        };
        ctx.app.metrics.admission_refused.get_or_create(&crate::metrics::ReasonLabels { reason: reason.into() }).inc();
        ApiError::RateLimited(Duration::from_secs(5))
    })?;
    let now = Instant::now();
    let live =
        Live { app: ctx.app.clone(), resource: ctx.id.clone(), after, started: now, sent: now, hello: true, done: false, _place: place };
    let body = Body::stream(futures::stream::unfold(live, next));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(body)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_one_event_with_its_stream_id() {
        let mut f = std::collections::BTreeMap::new();
        f.insert("type".to_string(), "held".to_string());
        f.insert("hold".to_string(), "h_1".to_string());
        f.insert("version".to_string(), "4".to_string());
        f.insert("changes".to_string(), r#"[{"bucket":"stock","delta":2,"committed":2,"remaining":8}]"#.to_string());
        let out = frame(&("17-0".to_string(), f));
        assert!(out.starts_with("id: 17-0\ndata: {") && out.ends_with("}\n\n"), "{out}");
        let data: Value = serde_json::from_str(out.lines().nth(1).unwrap().trim_start_matches("data: ")).unwrap();
        assert_eq!(
            data,
            json!({"id": "17-0", "type": "held", "hold": "h_1", "version": 4,
                                "changes": [{"bucket": "stock", "delta": 2, "committed": 2, "remaining": 8}]})
        );
    }
}
