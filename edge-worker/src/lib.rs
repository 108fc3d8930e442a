//! # aforo-edge
//!
//! The Cloudflare Worker: routing, snapshot cache, origin client, CORS. Every rule and the
//! answer's JSON come from aforo-core, so the edge and the origin answer byte for byte the
//! same from the same snapshot.

pub mod about;
pub mod cache;
pub mod cors;
pub mod origin;
pub mod page;
pub mod problem;
pub mod settings;
pub mod snapshot;

use aforo_core::{availability, calendar, to_json, AvailabilityQuery, CalendarQuery, Code, QueryError};
use chrono::Utc;
use worker::{event, Context, Env, Headers, Method, Request, Response};

use crate::problem::Problem;
use crate::settings::Settings;

#[event(start)]
fn start() {
    // A panic is logged with its message instead of a bare "unreachable" trap.
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let rid = request_id(&req);
    // A bad setting is refused on every request (and logged), never replaced by a default.
    let s = match Settings::from_env(&env) {
        Ok(s) => s,
        Err(bad) => return Ok(Problem::misconfigured(&bad).response(&rid)),
    };
    let origin = cors::allowed(&req, &s);
    if req.method() == Method::Options {
        return Ok(cors::preflight(&req, &s, &rid));
    }
    let resp = match route(req, &s, &rid).await {
        Ok(r) => r,
        Err(p) => p.response(&rid),
    };
    // Nothing this Worker answers is to be sniffed into another type (a JSON detail as HTML).
    let _ = resp.headers().set("x-content-type-options", "nosniff");
    Ok(cors::decorate(resp, origin.as_deref()))
}

/// The request's id: the caller's `X-Request-Id` when it is a sane one (the origin's rule:
/// 1-128 visible ASCII characters), else a new random one. Problems carry it, the log
/// line of a 500 too, and the origin gets it with a passed-through hold.
fn request_id(req: &Request) -> String {
    match req.headers().get("x-request-id").ok().flatten() {
        Some(v) if !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()) => v,
        _ => {
            // Two 32-bit draws: an id to find a log line by, not a secret.
            let draw = || (worker::js_sys::Math::random() * 4_294_967_296.0) as u64;
            format!("edge-{:016x}", (draw() << 32) | draw())
        }
    }
}

fn query_err(e: QueryError) -> Problem {
    match e {
        QueryError::Invalid(s) => Problem::invalid(s),
        QueryError::NoSuchSlot(s) => Problem::new(Code::NoSuchSlot, s),
        QueryError::NotCovered { .. } => Problem::internal(e.to_string()),
    }
}

fn json_response(body: String, cache_s: i64) -> Result<Response, Problem> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", &format!("public, max-age={}", cache_s.max(0)))?;
    Ok(Response::ok(body)?.with_headers(headers))
}

/// A read's answer: fresh, cached for the TTL; or stale, not cached, with `Aforo-Stale: <age
/// in s>` and counted (see [`origin`]).
fn read_response(body: String, got: &snapshot::Got, s: &Settings, what: &str) -> Result<Response, Problem> {
    if !got.stale {
        return json_response(body, s.snapshot_ttl_s);
    }
    let age_s = (Utc::now() - got.snap.as_of).num_seconds().max(0);
    origin::served_stale(what, age_s);
    let r = json_response(body, 0)?;
    r.headers().set("aforo-stale", &age_s.to_string())?;
    Ok(r)
}

async fn route(mut req: Request, s: &Settings, rid: &str) -> Result<Response, Problem> {
    let path = req.path();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method(), parts.as_slice()) {
        (Method::Get, [""]) => page(&req, s),
        (Method::Get, ["page.js" | "page.css" | "page-i18n.mjs" | "page-logic.mjs"]) => asset(&path),
        (Method::Get, ["healthz"]) => json_response(r#"{"status":"ok"}"#.into(), 0),
        (Method::Get, ["v1", "resources", id, "availability"]) => {
            let q = AvailabilityQuery::parse(&query_of(&req)).map_err(query_err)?;
            let (from, to) = snapshot::window(q.needs());
            let got = snapshot::get(s, &valid_id(id)?, from, to).await?;
            let a = availability(&got.snap, &q, Utc::now(), got.stale).map_err(query_err)?;
            read_response(to_json(&a), &got, s, "availability")
        }
        (Method::Get, ["v1", "resources", id, "calendar"]) => {
            let q = CalendarQuery::parse(&query_of(&req)).map_err(query_err)?;
            let (from, to) = snapshot::window(Some(q.needs()));
            let got = snapshot::get(s, &valid_id(id)?, from, to).await?;
            let c = calendar(&got.snap, &q, Utc::now(), got.stale).map_err(query_err)?;
            read_response(to_json(&c), &got, s, "calendar")
        }
        (Method::Get, ["v1", "resources", id, "about"]) => {
            let got = snapshot::get(s, &valid_id(id)?, snapshot::window(None).0, snapshot::window(None).1).await?;
            read_response(about::about(&got.snap), &got, s, "about")
        }
        (_, ["v1", "holds", ..]) => pass_through(&mut req, s, rid).await,
        (_, ["v1", ..]) | (_, [""]) => Err(Problem::new(Code::MethodNotAllowed, "method not allowed here")),
        _ => Err(Problem::new(Code::RouteNotFound, format!("no route {path}"))),
    }
}

fn valid_id(id: &str) -> Result<String, Problem> {
    if aforo_core::valid_resource_id(id) {
        Ok(id.to_string())
    } else {
        Err(Problem::invalid("resource id: must be 1-64 characters of A-Z a-z 0-9 - _ ."))
    }
}

fn query_of(req: &Request) -> String {
    req.url().ok().and_then(|u| u.query().map(String::from)).unwrap_or_default()
}

/// The buyer page, under the page's security headers; the demo token only in a local demo
/// asked for on loopback (see [`page::demo_token`]).
fn page(req: &Request, s: &Settings) -> Result<Response, Problem> {
    let host = req.url().ok().and_then(|u| u.host_str().map(String::from));
    let token = page::demo_token(s.local_demo, host.as_deref(), s.demo_buyer_token.as_deref());
    let lang = page::lang(req.headers().get("accept-language").ok().flatten().as_deref());
    page_response("text/html; charset=utf-8", "no-store", page::html(&token, lang, s.checkout_url.as_deref()))
}

fn asset(path: &str) -> Result<Response, Problem> {
    let (ctype, body) = page::asset(path).ok_or_else(|| Problem::new(Code::RouteNotFound, format!("no route {path}")))?;
    page_response(ctype, "no-cache", body.to_string())
}

fn page_response(ctype: &str, cache: &str, body: String) -> Result<Response, Problem> {
    let headers = Headers::new();
    headers.set("content-type", ctype)?;
    headers.set("cache-control", cache)?;
    for (k, v) in page::SECURITY_HEADERS {
        headers.set(k, v)?;
    }
    Ok(Response::ok(body)?.with_headers(headers))
}

/// `/v1/holds...` go to the origin untouched, so that a browser needs one host; no answer
/// within the budget is a 503 `ORIGIN_UNAVAILABLE` with `Retry-After`.
async fn pass_through(req: &mut Request, s: &Settings, rid: &str) -> Result<Response, Problem> {
    let url = req.url()?;
    let target = match url.query() {
        Some(q) => format!("{}{}?{q}", s.origin_url, url.path()),
        None => format!("{}{}", s.origin_url, url.path()),
    };
    let headers = Headers::new();
    for name in ["authorization", "content-type", "idempotency-key"] {
        if let Some(v) = req.headers().get(name)? {
            headers.set(name, &v)?;
        }
    }
    // The caller's id when it gave a sane one, else the edge's: the origin logs under it.
    headers.set("x-request-id", rid)?;
    let body = if matches!(req.method(), Method::Get | Method::Head) {
        None
    } else {
        let body = req.bytes().await?;
        if body.len() > 1 << 20 {
            return Err(Problem::new(Code::PayloadTooLarge, "request body over 1048576 bytes"));
        }
        Some(body)
    };
    // Within ORIGIN_TIMEOUT_MS; a read retried, a hold sent once (origin::call).
    let mut r = origin::call(s, req.method(), &target, &headers, body.as_deref()).await?;
    let status = r.status_code();
    let ctype = r.headers().get("content-type")?.unwrap_or_else(|| "application/json".into());
    let retry = r.headers().get("retry-after")?;
    let body = r.bytes().await?;
    let h = Headers::new();
    h.set("content-type", &ctype)?;
    if let Some(v) = retry {
        h.set("retry-after", &v)?;
    }
    Ok(Response::from_bytes(body)?.with_status(status).with_headers(h))
}
