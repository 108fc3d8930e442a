//! Small helpers for requests and responses.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};

use crate::config::Config;
use crate::error::ApiError;

/// Response body type (whole, or a stream of Server-Sent Events).
pub use crate::body::Body;

/// A JSON response.
pub fn json(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Body::new(Bytes::new())))
}

/// 204: done, nothing to say.
pub fn no_content() -> Response<Body> {
    let mut r = Response::new(Body::new(Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// A serialisable value as a JSON response.
pub fn json_of<T: serde::Serialize>(status: StatusCode, v: &T) -> Response<Body> {
    json(status, aforo_core::to_json(v))
}

/// Reads a body up to `AFORO_MAX_BODY_BYTES` (413 above), which must arrive whole within
/// `AFORO_BODY_TIMEOUT_MS` (408 after: a client that sends its headers and stalls holds a
/// connection and a worker, and is the client's fault, not the store's).
pub async fn read_body(req: Request<Incoming>, cfg: &Config) -> Result<Bytes, ApiError> {
    let limit = cfg.max_body_bytes;
    if let Some(len) = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()) {
        if len > limit as u64 {
            return Err(ApiError::PayloadTooLarge(limit));
        }
    }
    let collected = tokio::time::timeout(cfg.body_timeout(), Limited::new(req.into_body(), limit).collect())
        .await
        .map_err(|_| ApiError::RequestTimeout(cfg.body_timeout_ms))?;
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(ApiError::PayloadTooLarge(limit)),
        Err(e) => {
            tracing::debug!(error = %e, "body read failed");
            Err(ApiError::InvalidRequest("the request body could not be read (cut short or malformed framing)".into()))
        }
    }
}

/// Parses a JSON body into `T` with the path of the first error.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        let p = if p == "." { "$".to_string() } else { p };
        ApiError::InvalidRequest(format!("{p}: {}", e.inner()))
    })
}

/// The query string's parameters, percent-decoded; refuses a parameter not in `allowed` or
/// given twice, naming it.
pub fn query_params(query: &str, allowed: &[&str]) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(ApiError::InvalidRequest(format!("{k}: unknown query parameter (allowed: {})", allowed.join(", "))));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(ApiError::InvalidRequest(format!("{k}: given more than once")));
        }
    }
    Ok(out)
}

/// The problem+json response of an error, with `Retry-After` where API.md asks for it.
pub fn problem(e: &ApiError, request_id: &str) -> Response<Body> {
    if e.status().is_server_error() && !matches!(e, ApiError::ReadOnly) {
        tracing::error!(code = e.code(), error = %e, request_id, "request failed");
    }
    let mut b =
        Response::builder().status(e.status()).header(header::CONTENT_TYPE, "application/problem+json").header("x-request-id", request_id);
    match e {
        ApiError::StoreUnavailable(_) | ApiError::NotDurable(_) => b = b.header(header::RETRY_AFTER, "1"),
        ApiError::ReadOnly => b = b.header(header::RETRY_AFTER, "30"),
        ApiError::RateLimited(d) => b = b.header(header::RETRY_AFTER, d.as_secs_f64().ceil().max(1.0).to_string()),
        _ => {}
    }
    if matches!(e, ApiError::Unauthenticated(_)) {
        b = b.header(header::WWW_AUTHENTICATE, "Bearer");
    }
    if matches!(e, ApiError::RequestTimeout(_) | ApiError::PayloadTooLarge(_)) {
        // The rest of the body may still come, unread: this connection is done (RFC 9110,
        // 408 and 413), or a client that reuses it meets a connection closed under it.
        b = b.header(header::CONNECTION, "close");
    }
    b.body(Body::new(Bytes::from(e.body().to_string()))).unwrap_or_else(|_| Response::new(Body::new(Bytes::new())))
}
