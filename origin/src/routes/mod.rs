//! The routing table and dispatch: one function per route, grouped by resource.

pub mod audit;
pub mod health;
pub mod holds;
pub mod monitoring;
pub mod reads;
pub mod resources;
pub mod tables;
pub mod validate;

use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use crate::app::AppRef;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::Body;
use crate::store::AuditEvent;

/// Every route of the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/v1/resources/{id}`
    Resource,
    /// `/v1/resources/{id}/stock`
    Stock,
    /// `/v1/resources/{id}/pause`
    Pause,
    /// `/v1/resources/{id}/resume`
    Resume,
    /// `/v1/resources/{id}/availability`
    Availability,
    /// `/v1/resources/{id}/calendar`
    Calendar,
    /// `/v1/resources/{id}/snapshot`
    Snapshot,
    /// `/v1/resources/{id}/tables`
    Tables,
    /// `/v1/holds`
    Holds,
    /// `/v1/holds/{id}`
    Hold,
    /// `/v1/holds/{id}/consume`
    Consume,
    /// `/v1/holds/{id}/release`
    Release,
    /// `/v1/stock/validate`
    StockValidate,
    /// `/healthz`
    Healthz,
    /// `/readyz`
    Readyz,
    /// `/metrics`
    Metrics,
    /// `/v1/monitoring/health`
    Health,
    /// `/v1/monitoring/alerts`
    Alerts,
    /// `/v1/monitoring/signals`
    Signals,
    /// `/v1/monitoring/mode`
    Mode,
    /// `/v1/monitoring/check`
    Check,
    /// `/v1/audit/events`
    AuditEvents,
}

impl Route {
    /// The route's template, for logs and metrics.
    pub fn template(self) -> &'static str {
        match self {
            Route::Resource => "/v1/resources/{id}",
            Route::Stock => "/v1/resources/{id}/stock",
            Route::Pause => "/v1/resources/{id}/pause",
            Route::Resume => "/v1/resources/{id}/resume",
            Route::Availability => "/v1/resources/{id}/availability",
            Route::Calendar => "/v1/resources/{id}/calendar",
            Route::Snapshot => "/v1/resources/{id}/snapshot",
            Route::Tables => "/v1/resources/{id}/tables",
            Route::Holds => "/v1/holds",
            Route::Hold => "/v1/holds/{id}",
            Route::Consume => "/v1/holds/{id}/consume",
            Route::Release => "/v1/holds/{id}/release",
            Route::StockValidate => "/v1/stock/validate",
            Route::Healthz => "/healthz",
            Route::Readyz => "/readyz",
            Route::Metrics => "/metrics",
            Route::Health => "/v1/monitoring/health",
            Route::Alerts => "/v1/monitoring/alerts",
            Route::Signals => "/v1/monitoring/signals",
            Route::Mode => "/v1/monitoring/mode",
            Route::Check => "/v1/monitoring/check",
            Route::AuditEvents => "/v1/audit/events",
        }
    }

    const ALL: [Route; 22] = [
        Route::Metrics,
        Route::Health,
        Route::Alerts,
        Route::Signals,
        Route::Mode,
        Route::Check,
        Route::AuditEvents,
        Route::Tables,
        Route::Resource,
        Route::Stock,
        Route::Pause,
        Route::Resume,
        Route::Availability,
        Route::Calendar,
        Route::Snapshot,
        Route::Holds,
        Route::Hold,
        Route::Consume,
        Route::Release,
        Route::StockValidate,
        Route::Healthz,
        Route::Readyz,
    ];
}

/// The compiled router.
#[derive(Debug)]
pub struct Router(matchit::Router<Route>);

impl Router {
    /// Builds the router.
    pub fn new() -> Result<Self, matchit::InsertError> {
        let mut r = matchit::Router::new();
        for route in Route::ALL {
            r.insert(route.template(), route)?;
        }
        Ok(Router(r))
    }

    /// Finds the route and its `{id}` parameter.
    pub fn find<'a>(&'a self, path: &'a str) -> Option<(Route, Option<String>)> {
        let m = self.0.at(path).ok()?;
        Some((*m.value, m.params.get("id").map(ToString::to_string)))
    }
}

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
}

/// How audit events and logs name a route: `POST /v1/holds/{id}/consume`.
pub fn route_label(method: &str, template: &str) -> String {
    format!("{method} {template}")
}

impl Ctx {
    /// Queues an audit event of `kind` by `caller` for this request (its id and route filled
    /// in); `f` adds the rest.
    pub fn audit(&self, caller: &Caller, kind: &str, f: impl FnOnce(AuditEvent) -> AuditEvent) {
        self.app.audit(kind, &caller.sub, caller.role_name(), |e| f(e.request(Some(&self.request_id), Some(self.route.clone()))));
    }

    /// The authenticated caller of a request. Two `Authorization` headers are refused: which
    /// one a proxy or a library would pick differs, so neither is trusted.
    pub fn caller(&self, req: &Request<Incoming>) -> Result<Caller, ApiError> {
        let h = single_authorization(req.headers())?.map(|v| v.to_str().unwrap_or(""));
        let caller = self.app.verifier.caller(h)?;
        self.app.rate_limit(&caller.sub)?;
        Ok(caller)
    }
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

/// The longest `{id}` a path may carry into a handler: a hold id is
/// `h_<26>_<resource id of at most 64>`; resource ids are checked by the core's rule.
pub const MAX_HOLD_ID: usize = 2 + 26 + 1 + 64;

/// Runs the handler of a matched route.
pub async fn dispatch(route: Route, ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let m = req.method().clone();
    // Ids no valid resource or hold can have are refused here, before a token is read, a
    // store call is made or anything is audited: a path must not carry arbitrary bytes into
    // Redis (the audit trail names the hold or resource of a refused request).
    if matches!(
        route,
        Route::Resource
            | Route::Stock
            | Route::Pause
            | Route::Resume
            | Route::Availability
            | Route::Calendar
            | Route::Snapshot
            | Route::Tables
    ) && !aforo_core::valid_resource_id(&ctx.id)
    {
        return Err(ApiError::InvalidRequest("resource id: must be 1-64 characters of A-Z a-z 0-9 - _ . (not . or ..)".into()));
    }
    if matches!(route, Route::Hold | Route::Consume | Route::Release)
        && (ctx.id.len() > MAX_HOLD_ID || crate::store::home_of(&ctx.id).is_none())
    {
        return Err(ApiError::HoldNotFound(crate::error::clip(&ctx.id, 100)));
    }
    match (route, m) {
        (Route::Resource, Method::PUT) => resources::put(ctx, req).await,
        (Route::Resource, Method::GET) => resources::get(ctx, req).await,
        (Route::Stock, Method::POST) => resources::stock(ctx, req).await,
        (Route::Pause, Method::POST) => resources::pause(ctx, req).await,
        (Route::Resume, Method::POST) => resources::resume(ctx, req).await,
        (Route::Availability, Method::GET) => reads::availability(ctx).await,
        (Route::Calendar, Method::GET) => reads::calendar(ctx).await,
        (Route::Snapshot, Method::GET) => reads::snapshot(ctx, req).await,
        (Route::Tables, Method::GET) => tables::floor(ctx, req).await,
        (Route::Holds, Method::POST) => holds::create(ctx, req).await,
        (Route::Hold, Method::GET) => holds::get(ctx, req).await,
        (Route::Consume, Method::POST) => holds::consume(ctx, req).await,
        (Route::Release, Method::POST) => holds::release(ctx, req).await,
        (Route::StockValidate, Method::POST) => validate::validate(ctx, req).await,
        (Route::Healthz, Method::GET) => Ok(health::healthz()),
        (Route::Readyz, Method::GET) => health::readyz(ctx).await,
        (Route::Metrics, Method::GET) => Ok(monitoring::metrics(&ctx)),
        (Route::Health, Method::GET) => monitoring::health(ctx, req).await,
        (Route::Alerts, Method::GET) => monitoring::alerts(ctx, req).await,
        (Route::Signals, Method::GET) => monitoring::signals(ctx, req).await,
        (Route::Mode, Method::GET) => monitoring::get_mode(ctx, req).await,
        (Route::Mode, Method::PUT) => monitoring::put_mode(ctx, req).await,
        (Route::Check, Method::POST) => monitoring::check(ctx, req).await,
        (Route::AuditEvents, Method::GET) => audit::events(ctx, req).await,
        _ => Err(ApiError::MethodNotAllowed),
    }
}
