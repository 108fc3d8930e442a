//! What a handler gets: the shared state, the path's `{id}`, the query, the request's id and
//! route, and the caller the route table's checks authenticated.

use hyper::body::Incoming;
use hyper::Request;

use crate::app::AppRef;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::store::{Actor, AuditEvent};

/// What a handler gets.
#[derive(Debug)]
pub struct Ctx {
    /// Shared state.
    pub app: AppRef,
    /// The `{id}` of the path.
    pub id: String,
    /// The raw query string.
    pub query: String,
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// `METHOD /route/{template}`, as audit events name it.
    pub route: String,
    /// The caller, once the route's access check authenticated one.
    pub caller: Option<Caller>,
    /// The route writes: refused in read-only mode (for owner routes, once the owner is known).
    pub writes: bool,
    /// The client address (the TCP peer, or behind a trusted proxy the address it forwarded
    /// for: `crate::admission::client`).
    pub client: std::net::IpAddr,
    /// The caller the request's token names when it is valid, on any route (routes open to
    /// anyone too); not checked for roles nor counted against its rate.
    pub token: Option<Caller>,
}

/// How audit events and logs name a route: `POST /v1/holds/{id}/consume`.
pub fn route_label(method: &str, template: &str) -> String {
    format!("{method} {template}")
}

/// The one `Authorization` header of a request (`None` without one); 401 when there are several.
pub fn single_authorization(headers: &hyper::HeaderMap) -> Result<Option<&hyper::header::HeaderValue>, ApiError> {
    let mut all = headers.get_all(hyper::header::AUTHORIZATION).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(ApiError::Unauthenticated("send one Authorization header, not several".into()));
    }
    Ok(first)
}

impl Ctx {
    /// The authenticated caller of a request, counted against its rate. Two `Authorization`
    /// headers are refused: which one a proxy or a library would pick differs, so neither is
    /// trusted.
    pub async fn authenticate(&self, req: &Request<Incoming>) -> Result<Caller, ApiError> {
        let caller = match &self.token {
            // Verified once already, at the door.
            Some(c) => c.clone(),
            None => {
                let h = single_authorization(req.headers())?.map(|v| v.to_str().unwrap_or(""));
                self.app.verifier.caller(h).await?
            }
        };
        self.app.rate_limit(&caller.sub)?;
        Ok(caller)
    }

    /// Who a request's share of the origin is counted for: its token's caller (role and
    /// `sub`), or without a valid token its client address; and whether it may wait however
    /// many of its reads are queued (the edge, whose one token serves every visitor of a
    /// snapshot, and ops) rather than be answered 429.
    pub fn share_key(&self) -> (String, bool) {
        match &self.token {
            Some(c) => (format!("{}:{}", c.role_name(), c.sub), matches!(c.role, crate::auth::Role::Edge | crate::auth::Role::Ops)),
            None => (format!("addr:{}", crate::admission::client::limit_key(self.client)), false),
        }
    }

    /// The caller the route table authenticated (a route open to anyone has none: asking is
    /// a bug in the table).
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller.as_ref().ok_or_else(|| ApiError::Internal(format!("{} asked for a caller but is open to anyone", self.route)))
    }

    /// The caller, who must be `owner` with role `role`, or ops (403); then, if the route
    /// writes, the read-only switch (503). Owner routes call this once they know the owner.
    pub fn owner(&self, role: Role, owner: &str) -> Result<&Caller, ApiError> {
        let c = self.caller()?;
        c.require_owner(role, owner)?;
        if self.writes {
            self.app.writable()?;
        }
        Ok(c)
    }

    /// The caller as the audit trail names them, with this request.
    pub fn actor(&self) -> Result<Actor, ApiError> {
        let c = self.caller()?;
        Ok(Actor {
            sub: c.sub.clone(),
            role: c.role_name().into(),
            request_id: Some(self.request_id.clone()),
            route: Some(self.route.clone()),
        })
    }

    /// Queues an audit event of `kind` by the caller for this request (its id and route filled
    /// in); `f` adds the rest.
    pub fn audit(&self, kind: &str, f: impl FnOnce(AuditEvent) -> AuditEvent) {
        match self.actor() {
            Ok(a) => self.app.audit_by(&a, kind, f),
            Err(e) => tracing::error!(error = %e, kind, "audit event without a caller"),
        }
    }
}

/// The request's `Idempotency-Key`, if it sent one: visible ASCII, 1-255 characters (400
/// otherwise).
pub fn idempotency_key(req: &Request<Incoming>) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else { return Ok(None) };
    let s = v.to_str().map_err(|_| ApiError::InvalidRequest("Idempotency-Key: must be visible ASCII".into()))?;
    if s.is_empty() || s.len() > 255 {
        return Err(ApiError::InvalidRequest("Idempotency-Key: must be 1-255 characters".into()));
    }
    Ok(Some(s.to_string()))
}
