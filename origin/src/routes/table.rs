//! The route table: one row per route and method — its template, the kind of `{id}` it
//! carries, who may call it, whether it writes, its handler. Dispatch, the 404/405 answers,
//! the early id checks, authentication and roles, the read-only refusal and the metrics'
//! route label all come from here; adding a route is one row.

use std::future::Future;
use std::pin::Pin;

use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use super::ctx::Ctx;
use super::{
    audit, bookings, console, events, floor, guests, health, holds, monitoring, reads, resources, stock, tables, validate, waitlist,
    webhooks,
};
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::Body;

/// What the path's `{id}` names; checked before anything else (a token is read, a store call
/// made or anything audited), so that a path never carries arbitrary bytes into Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// No `{id}`.
    None,
    /// A resource id (the core's rule; 400 otherwise).
    Resource,
    /// A hold id (well formed, naming its home; 404 otherwise).
    Hold,
    /// A waiting-list entry id (the same, `wk_`; 404 otherwise).
    Entry,
}

/// Who may call a route (ops always may, where a token is asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token.
    Anyone,
    /// A token with one of these roles (401, then 403); a route that writes is then refused
    /// in read-only mode.
    Roles(&'static [Role]),
    /// As `Roles`, and the handler proves ownership with [`Ctx::owner`], which refuses a
    /// write in read-only mode only after it (a stranger learns nothing of the mode).
    Owner(&'static [Role]),
}

/// What a handler answers.
pub type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send>>;

/// A handler.
pub type Handler = fn(Ctx, Request<Incoming>) -> Answer;

/// One route and method.
#[derive(Debug)]
pub struct Row {
    /// The path template, as matched and as metrics and logs name the route.
    pub template: &'static str,
    /// The method.
    pub method: Method,
    /// What its `{id}` names.
    pub id: IdKind,
    /// Who may call it.
    pub access: Access,
    /// Whether it writes (refused in read-only mode).
    pub writes: bool,
    /// What answers it.
    pub handler: Handler,
}

const fn row(template: &'static str, method: Method, id: IdKind, access: Access, writes: bool, handler: Handler) -> Row {
    Row { template, method, id, access, writes, handler }
}

macro_rules! h {
    ($f:path) => {
        |ctx, req| -> Answer { Box::pin($f(ctx, req)) }
    };
}

use Access::{Anyone, Owner, Roles};
use IdKind::{Entry, Hold, None as NoId, Resource as Res};

const SELLER: &[Role] = &[Role::Seller];
const BUYER: &[Role] = &[Role::Buyer];
const BUYER_SELLER: &[Role] = &[Role::Buyer, Role::Seller];
const EDGE: &[Role] = &[Role::Edge];
const OPS: &[Role] = &[Role::Ops];
const WRITES: bool = true;
const READS: bool = false;

/// Every route of the origin.
#[rustfmt::skip]
pub static ROUTES: [Row; 56] = [
    row("/v1/resources/{id}",              Method::PUT,  Res,  Roles(SELLER), WRITES, h!(resources::put)),
    row("/v1/resources/{id}",              Method::GET,  Res,  Owner(SELLER), READS,  h!(resources::get)),
    row("/v1/resources/{id}",              Method::DELETE, Res, Owner(SELLER), WRITES, h!(resources::archive)),
    row("/v1/resources",                   Method::GET,  NoId, Roles(SELLER), READS,  h!(resources::list)),
    row("/v1/resources/{id}/stock",        Method::POST, Res,  Owner(SELLER), WRITES, h!(stock::stock)),
    row("/v1/resources/{id}/pause",        Method::POST, Res,  Owner(SELLER), WRITES, h!(stock::pause)),
    row("/v1/resources/{id}/resume",       Method::POST, Res,  Owner(SELLER), WRITES, h!(stock::resume)),
    row("/v1/resources/{id}/availability", Method::GET,  Res,  Anyone,        READS,  h!(reads::availability)),
    row("/v1/resources/{id}/calendar",     Method::GET,  Res,  Anyone,        READS,  h!(reads::calendar)),
    row("/v1/resources/{id}/snapshot",     Method::GET,  Res,  Roles(EDGE),   READS,  h!(reads::snapshot)),
    row("/v1/resources/{id}/tables",       Method::GET,  Res,  Owner(SELLER), READS,  h!(tables::floor)),
    row("/v1/resources/{id}/bookings",     Method::GET,  Res,  Owner(SELLER), READS,  h!(bookings::list)),
    row("/v1/resources/{id}/events",       Method::GET,  Res,  Owner(SELLER), READS,  h!(events::stream)),
    row("/v1/resources/{id}/walk-ins",     Method::POST, Res,  Owner(SELLER), WRITES, h!(floor::walk_in)),
    row("/v1/holds",                       Method::POST, NoId, Roles(BUYER),  WRITES, h!(holds::create)),
    row("/v1/holds/{id}",                  Method::GET,  Hold, Owner(BUYER),  READS,  h!(holds::get)),
    row("/v1/holds/{id}/consume",          Method::POST, Hold, Owner(BUYER),  WRITES, h!(holds::consume)),
    row("/v1/holds/{id}/release",          Method::POST, Hold, Owner(BUYER),  WRITES, h!(holds::release)),
    row("/v1/holds/{id}/tables",           Method::POST, Hold, Owner(SELLER), WRITES, h!(floor::move_to)),
    row("/v1/holds/{id}/finish",           Method::POST, Hold, Owner(SELLER), WRITES, h!(floor::finish)),
    row("/v1/holds/{id}/seat",             Method::POST, Hold, Owner(SELLER), WRITES, h!(floor::seat)),
    row("/v1/holds/{id}/no-show",          Method::POST, Hold, Owner(SELLER), WRITES, h!(floor::no_show)),
    row("/v1/holds/{id}/cancel",           Method::POST, Hold, Owner(BUYER_SELLER), WRITES, h!(holds::cancel)),
    row("/v1/holds/{id}/change",           Method::POST, Hold, Owner(BUYER_SELLER), WRITES, h!(holds::change)),
    row("/v1/holds/{id}/extend",           Method::POST, Hold, Owner(BUYER),  WRITES, h!(holds::extend)),
    row("/v1/holds/{id}/guest",            Method::PATCH, Hold, Owner(BUYER_SELLER), WRITES, h!(guests::replace)),
    row("/v1/waitlist",                    Method::POST, NoId, Roles(BUYER),  WRITES, h!(waitlist::join)),
    row("/v1/waitlist/{id}",               Method::GET,  Entry, Owner(BUYER_SELLER), READS, h!(waitlist::get)),
    row("/v1/waitlist/{id}",               Method::DELETE, Entry, Owner(BUYER), WRITES, h!(waitlist::leave)),
    row("/v1/resources/{id}/waitlist",     Method::GET,  Res,  Owner(SELLER), READS,  h!(waitlist::list)),
    row("/v1/guests/erase",                Method::POST, NoId, Roles(OPS),    WRITES, h!(guests::erase)),
    row("/v1/stock/validate",              Method::POST, NoId, Roles(BUYER),  READS,  h!(validate::validate)),
    row("/healthz",                        Method::GET,  NoId, Anyone,        READS,  h!(health::healthz)),
    row("/readyz",                         Method::GET,  NoId, Anyone,        READS,  h!(health::readyz)),
    row("/metrics",                        Method::GET,  NoId, Anyone,        READS,  h!(monitoring::metrics)),
    row("/v1/monitoring/health",           Method::GET,  NoId, Roles(OPS),    READS,  h!(monitoring::health)),
    row("/v1/monitoring/alerts",           Method::GET,  NoId, Roles(OPS),    READS,  h!(monitoring::alerts)),
    row("/v1/monitoring/signals",          Method::GET,  NoId, Roles(OPS),    READS,  h!(monitoring::signals)),
    row("/v1/monitoring/mode",             Method::GET,  NoId, Roles(OPS),    READS,  h!(monitoring::get_mode)),
    row("/v1/monitoring/mode",             Method::PUT,  NoId, Roles(OPS),    READS,  h!(monitoring::put_mode)),
    row("/v1/monitoring/enforcement",      Method::GET,  NoId, Roles(OPS),    READS,  h!(monitoring::get_enforcement)),
    row("/v1/monitoring/enforcement",      Method::PUT,  NoId, Roles(OPS),    READS,  h!(monitoring::put_enforcement)),
    row("/v1/monitoring/check",            Method::POST, NoId, Roles(OPS),    READS,  h!(monitoring::check)),
    row("/v1/monitoring/slo-report",       Method::GET,  NoId, Roles(OPS),    READS,  h!(monitoring::slo_report)),
    row("/v1/audit/events",                Method::GET,  NoId, Roles(OPS),    READS,  h!(audit::events)),
    row("/v1/webhooks",                    Method::POST, NoId, Roles(SELLER), WRITES, h!(webhooks::create)),
    row("/v1/webhooks",                    Method::GET,  NoId, Roles(SELLER), READS,  h!(webhooks::list)),
    row("/v1/webhooks/{id}",               Method::GET,  NoId, Owner(SELLER), READS,  h!(webhooks::get)),
    row("/v1/webhooks/{id}",               Method::DELETE, NoId, Owner(SELLER), WRITES, h!(webhooks::delete)),
    row("/v1/webhooks/{id}/deliveries",    Method::GET,  NoId, Owner(SELLER), READS,  h!(webhooks::deliveries)),
    row("/v1/webhooks/{id}/replay",        Method::POST, NoId, Owner(SELLER), WRITES, h!(webhooks::replay)),
    row("/v1/webhooks/{id}/enable",        Method::POST, NoId, Owner(SELLER), WRITES, h!(webhooks::enable)),
    row("/console",                        Method::GET,  NoId, Anyone,        READS,  h!(console::redirect)),
    row("/console/",                       Method::GET,  NoId, Anyone,        READS,  h!(console::serve)),
    row("/console/config",                 Method::GET,  NoId, Anyone,        READS,  h!(console::config)),
    row("/console/{*asset}",               Method::GET,  NoId, Anyone,        READS,  h!(console::serve)),
];
