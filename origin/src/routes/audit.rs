//! `GET /v1/audit/events?type=&resource_id=&since=&limit=` (ops): newest first.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use super::monitoring::limit_of;
use super::Ctx;
use crate::error::ApiError;
use crate::http::{json, query_params, Body};
use crate::store::audit_log::EventId;
use crate::text::clip;

/// Entries read per page from the stream, and at most in one answer's search.
const PAGE: usize = 500;
const SCAN_MAX: usize = 20_000;

/// The events, filtered by type (exact, or a prefix such as `hold`), resource and time.
pub async fn events(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let q = query_params(&ctx.query, &["type", "resource_id", "since", "limit", "before"])?;
    let limit = limit_of(q.get("limit"), 100, 1000)?;
    let since_ms = match q.get("since") {
        None => 0,
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|e| ApiError::InvalidRequest(format!("since: {s:?} is not an RFC 3339 instant ({e})")))?
            .timestamp_millis()
            .max(0),
    };
    let kind = q.get("type").map(String::as_str);
    let resource = q.get("resource_id").map(String::as_str);
    let mut before = match q.get("before") {
        None => None,
        Some(b) => {
            Some(EventId::parse(b).ok_or_else(|| ApiError::InvalidRequest(format!("before: {:?} is not an event id", clip(b, 80))))?)
        }
    };
    let trail = ctx.app.trail();
    let matches = |e: &crate::store::AuditEvent| {
        kind.is_none_or(|k| e.kind == k || e.kind.strip_prefix(k).is_some_and(|r| r.starts_with('.')))
            && resource.is_none_or(|r| e.resource_id.as_deref() == Some(r))
    };
    let mut out = Vec::new();
    let mut scanned = 0;
    let mut truncated = false;
    loop {
        let page = ctx.app.store.audit_page(&trail, before.as_ref(), since_ms, PAGE).await?;
        let n = page.len();
        scanned += n;
        before = page.last().and_then(|e| EventId::parse(&e.id));
        out.extend(page.into_iter().filter(|e| matches(e)));
        if out.len() >= limit || n < PAGE {
            break;
        }
        if scanned >= SCAN_MAX {
            truncated = true;
            break;
        }
    }
    out.truncate(limit);
    // `next` continues the search where this answer stopped (pass it as `before`).
    let next = if out.len() == limit {
        out.last().map(|e| e.id.clone())
    } else if truncated {
        before.map(|b| b.to_string())
    } else {
        None
    };
    Ok(json(StatusCode::OK, json!({"events": out, "next": next}).to_string()))
}
