//! `GET /console/...`: the web console's page and assets (crate::console), with its
//! Content-Security-Policy. No token: the page holds none until its user types one.

use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};

use super::Ctx;
use crate::console::{asset, built, SECURITY_HEADERS};
use crate::error::ApiError;
use crate::http::Body;

/// `GET /console`: to `/console/`, where relative links work.
pub async fn redirect(_ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    Response::builder()
        .status(StatusCode::PERMANENT_REDIRECT)
        .header(header::LOCATION, "/console/")
        .body(Body::default())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `GET /console/` and `GET /console/{*asset}`.
pub async fn serve(_ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let name = req.uri().path().strip_prefix("/console/").unwrap_or("");
    let (ctype, bytes) = asset(name).ok_or_else(|| ApiError::RouteNotFound(crate::text::clip(req.uri().path(), 128)))?;
    let status = if name.is_empty() && !built() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    let mut b = Response::builder().status(status).header(header::CONTENT_TYPE, ctype);
    for (k, v) in SECURITY_HEADERS {
        b = b.header(k, v);
    }
    b.body(Body::from(bytes::Bytes::from_static(bytes))).map_err(|e| ApiError::Internal(e.to_string()))
}
