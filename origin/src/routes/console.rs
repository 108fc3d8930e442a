//! `GET /console/...`: the web console's page and assets (crate::console), with its
//! Content-Security-Policy. No token: the page holds none until its user types one.

use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};

use serde_json::json;

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
pub async fn serve(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let name = req.uri().path().strip_prefix("/console/").unwrap_or("");
    let (ctype, bytes) = asset(name).ok_or_else(|| ApiError::RouteNotFound(crate::text::clip(req.uri().path(), 128)))?;
    let status = if name.is_empty() && !built() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    let mut b = Response::builder().status(status).header(header::CONTENT_TYPE, ctype);
    let token_origin = crate::config::web_origin(&ctx.app.cfg.oidc_token_url);
    for (k, v) in SECURITY_HEADERS {
        b = match k {
            "content-security-policy" => b.header(k, crate::console::csp_connecting(token_origin.as_deref())),
            _ => b.header(k, v),
        };
    }
    b.body(Body::from(bytes::Bytes::from_static(bytes))).map_err(|e| ApiError::Internal(e.to_string()))
}

/// `GET /console/config`: how the console's page signs in. `oidc` (null without a provider):
/// where to send the browser, where to exchange its code, the client id, scopes, the redirect
/// URI (null: the page's own address) and which token to send as bearer; `role_claim`: the
/// claim of a provider's token that names the role (HS256 tokens keep `role`).
pub async fn config(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let c = &ctx.app.cfg;
    let oidc = (!c.oidc_client_id.is_empty()).then(|| {
        json!({
            "authorization_url": c.oidc_authorization_url,
            "token_url": c.oidc_token_url,
            "client_id": c.oidc_client_id,
            "scope": c.oidc_scope,
            "redirect_uri": (!c.oidc_redirect_uri.is_empty()).then_some(&c.oidc_redirect_uri),
            "bearer": c.oidc_bearer,
        })
    });
    let role_claim = if c.jwks_url.is_empty() { "role" } else { c.jwt_role_claim.as_str() };
    let body = json!({"oidc": oidc, "role_claim": role_claim});
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-content-type-options", "nosniff")
        .body(Body::from(body.to_string()))
        .map_err(|e| ApiError::Internal(e.to_string()))
}
