//! The router built from the route table, and dispatch: the checks every route's row asks
//! for, in one order — the `{id}` (400/404), the method (405), the token (401, 429), the role
//! (403), the read-only switch (503) — then the handler.

use hyper::body::Incoming;
use hyper::{Request, Response};

use super::ctx::Ctx;
use super::table::{Access, IdKind, Row, ROUTES};
use crate::error::ApiError;
use crate::http::Body;

/// The compiled router: each template to its rows (one per method).
#[derive(Debug)]
pub struct Router(matchit::Router<Vec<&'static Row>>);

/// A path matched: the rows of its template and its `{id}`.
#[derive(Debug, Clone)]
pub struct Matched<'a> {
    /// The template's rows (at least one).
    pub rows: &'a [&'static Row],
    /// The `{id}` of the path.
    pub id: Option<String>,
}

impl Matched<'_> {
    /// The route's template.
    pub fn template(&self) -> &'static str {
        self.rows[0].template
    }

    /// What its `{id}` names.
    pub fn id_kind(&self) -> IdKind {
        self.rows[0].id
    }
}

impl Router {
    /// Builds the router from [`ROUTES`]; errs on a table whose rows of one template disagree
    /// on its `{id}`, or whose templates conflict.
    pub fn new() -> Result<Self, String> {
        let mut by_template: Vec<(&'static str, Vec<&'static Row>)> = Vec::new();
        for row in &ROUTES {
            match by_template.iter_mut().find(|(t, _)| *t == row.template) {
                Some((_, rows)) if rows.iter().any(|r| r.id != row.id || r.method == row.method) => {
                    return Err(format!("route table: {} {} disagrees with its other rows", row.method, row.template));
                }
                Some((_, rows)) => rows.push(row),
                None => by_template.push((row.template, vec![row])),
            }
        }
        let mut r = matchit::Router::new();
        for (template, rows) in by_template {
            r.insert(template, rows).map_err(|e| e.to_string())?;
        }
        Ok(Router(r))
    }

    /// Finds the route of a path and its `{id}`.
    pub fn find<'a>(&'a self, path: &'a str) -> Option<Matched<'a>> {
        let m = self.0.at(path).ok()?;
        Some(Matched { rows: m.value.as_slice(), id: m.params.get("id").map(ToString::to_string) })
    }
}

/// Checks what the path's `{id}` must be.
fn check_id(ids: &crate::store::HoldIds, kind: IdKind, id: &str) -> Result<(), ApiError> {
    match kind {
        IdKind::Resource if !aforo_core::valid_resource_id(id) => {
            Err(ApiError::InvalidRequest("resource id: must be 1-64 characters of A-Z a-z 0-9 - _ . (not . or ..)".into()))
        }
        IdKind::Hold if ids.home_of(id).is_none() => Err(ApiError::HoldNotFound(crate::text::clip(id, 100))),
        IdKind::Entry if ids.entry_home(id).is_none() => Err(ApiError::EntryNotFound(crate::text::clip(id, 100))),
        _ => Ok(()),
    }
}

/// Runs the handler of a matched route once its row's checks pass.
pub async fn dispatch(matched: Matched<'_>, mut ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    check_id(&ctx.app.ids, matched.id_kind(), &ctx.id)?;
    let row = matched.rows.iter().find(|r| r.method == req.method()).ok_or(ApiError::MethodNotAllowed)?;
    ctx.writes = row.writes;
    match row.access {
        Access::Anyone => {}
        Access::Roles(roles) | Access::Owner(roles) => {
            let caller = ctx.authenticate(&req).await?;
            caller.require(roles)?;
            ctx.caller = Some(caller);
        }
    }
    if row.writes && !matches!(row.access, Access::Owner(_)) {
        ctx.app.writable()?;
    }
    (row.handler)(ctx, req).await
}
