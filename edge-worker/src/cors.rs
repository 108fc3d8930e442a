//! CORS for the configured browser origins.

use worker::{Headers, Request, Response};

use aforo_core::Code;

use crate::problem::Problem;
use crate::settings::Settings;

const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, x-request-id";
const ALLOW_METHODS: &str = "GET, POST, OPTIONS";

/// The `Origin` of a request if it is allowed.
pub fn allowed(req: &Request, s: &Settings) -> Option<String> {
    let origin = req.headers().get("origin").ok().flatten()?;
    let o = origin.trim_end_matches('/');
    s.allowed_origins.iter().any(|a| a == "*" || a == o).then_some(origin)
}

/// Adds CORS headers to an answer for an allowed origin.
pub fn decorate(resp: Response, origin: Option<&str>) -> Response {
    let Some(o) = origin else { return resp };
    let headers = Headers::new();
    for (k, v) in resp.headers().entries() {
        let _ = headers.append(&k, &v);
    }
    let _ = headers.set("access-control-allow-origin", o);
    let _ = headers.set("access-control-expose-headers", "retry-after, x-request-id");
    let _ = headers.append("vary", "Origin");
    resp.with_headers(headers)
}

/// The answer to a preflight: 204 with the allowed methods and headers, or 403 when the
/// origin is not allowed.
pub fn preflight(req: &Request, s: &Settings, request_id: &str) -> Response {
    let Some(o) = allowed(req, s) else {
        return Problem::new(Code::Forbidden, "this origin is not allowed").response(request_id);
    };
    let headers = Headers::new();
    let _ = headers.set("access-control-allow-origin", &o);
    let _ = headers.set("access-control-allow-methods", ALLOW_METHODS);
    let _ = headers.set("access-control-allow-headers", ALLOW_HEADERS);
    let _ = headers.set("access-control-max-age", "600");
    let _ = headers.set("vary", "Origin");
    Response::empty().map(|r| r.with_status(204).with_headers(headers)).unwrap_or_else(|e| Problem::from(e).response(request_id))
}
