//! Sellers' documents: create or replace (with `If-Match`), read (with `ETag`), list,
//! archive.

use aforo_core::Resource;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ETAG, IF_MATCH};
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use super::monitoring::limit_of;
use super::Ctx;
use crate::app::Loaded;
use crate::archived::Summary;
use crate::auth::Role;
use crate::capacity;
use crate::error::ApiError;
use crate::http::{json, no_content, query_params, read_body, Body};
use crate::store::{ArchiveReply, DocWrite, PutReply};
use crate::text::clip;

fn view(l: &Loaded) -> serde_json::Value {
    let mut doc = serde_json::to_value(&l.resource.doc).unwrap_or_default();
    if let (Some(n), Some(stock)) = (l.state.on_hand, doc.pointer_mut("/dimensions/stock")) {
        stock["on_hand"] = json!(n);
    }
    json!({
        "id": l.id,
        "version": l.state.version,
        "kind": l.resource.kind,
        "owner": l.owner,
        "document": doc,
        "pause": l.state.pause,
        "overcommitted": capacity::parse_recorded(&l.resource, l.overcommitted.as_deref()),
        // Limits that can never bind: saved all the same, said so the seller knows.
        "warnings": aforo_core::warnings(&l.resource),
    })
}

/// Writes a document after checking its limits against what is committed, in the same atomic
/// step as the write; read again when a counter appeared meanwhile.
async fn write_checked(ctx: &Ctx, res: &Resource, w: DocWrite<'_>) -> Result<PutReply, ApiError> {
    for _ in 0..3 {
        let current = ctx.app.store.meta(&ctx.id).await?;
        let (checks, fields) = match current {
            Some(meta) if meta.archived_at.is_none() => {
                let (committed, fields) = ctx.app.store.committed(&ctx.id).await?;
                let state = aforo_core::State { version: meta.version, on_hand: meta.on_hand, pause: None };
                (capacity::checks(res, &state, &committed, ctx.app.now()), Some(fields))
            }
            _ => (Vec::new(), None),
        };
        match ctx.app.store.put(&ctx.id, &DocWrite { checks, fields, ..w.clone() }).await? {
            PutReply::Moved => continue,
            reply => return Ok(reply),
        }
    }
    Err(ApiError::StoreUnavailable("holds keep changing the counters this document is checked against; retry".into()))
}

/// `PUT /v1/resources/{id}`: create (201) or replace (200) a document.
pub async fn put(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let if_match = if_match(&req)?;
    let if_match = if_match.as_deref();
    let body = read_body(req, &ctx.app.cfg).await?;
    serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| ApiError::InvalidRequest(format!("$: {e}")))?;
    let res = Resource::from_json(&body).map_err(ApiError::InvalidConfig)?;
    // Stored as re-serialised from the typed document: canonical, and free of unknown fields.
    let doc = serde_json::to_string(&res.doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let force = force_of(&ctx)?;
    let is_ops = caller.role == Role::Ops;
    let write =
        DocWrite { doc: &doc, caller: &caller.sub, is_ops, on_hand: res.initial_on_hand(), if_match, checks: vec![], fields: None, force };
    let reserved = ctx.app.reserve_document(&ctx.id, &caller, doc.len()).await?;
    crate::waitlist::before_write(&ctx.app, &ctx.id).await?;
    let reply = write_checked(&ctx, &res, write).await;
    ctx.app.settle_document(reserved, reply.as_ref().ok()).await;
    let reply = reply?;
    ctx.app.forget(&ctx.id);
    crate::waitlist::replan_resource(&ctx.app, &ctx.id).await;
    let status = match reply {
        PutReply::Created { .. } => StatusCode::CREATED,
        PutReply::Replaced { .. } => StatusCode::OK,
        PutReply::Forbidden => return Err(ApiError::Forbidden(format!("resource {} belongs to another seller", ctx.id))),
        PutReply::Archived => return Err(ApiError::ResourceNotFound(ctx.id.clone())),
        PutReply::Precondition { current: Some(v) } => {
            return Err(ApiError::VersionConflict(format!("resource {} is at version {v}; read it again and retry", ctx.id)));
        }
        PutReply::Precondition { current: None } => {
            return Err(ApiError::VersionConflict(format!("resource {} does not exist; If-Match needs a stored version", ctx.id)));
        }
        PutReply::Below { committed } => {
            return Err(ApiError::StockBelowCommitted(format!("on_hand is below the {committed} units held or consumed")));
        }
        PutReply::Over { lines } => {
            let overcommitted = capacity::parse_recorded(&res, Some(&lines));
            return Err(ApiError::CapacityBelowCommitted {
                detail: format!(
                    "{} counter(s) would be past the new limits (listed in overcommitted); keep the limits, or pass ?force=true to accept it",
                    overcommitted.len()
                ),
                overcommitted,
            });
        }
        PutReply::Moved => return Err(ApiError::Internal("a moved reply after the retries".into())),
    };
    let l = ctx.app.load(&ctx.id, None).await?;
    tracing::info!(resource = %ctx.id, version = l.state.version, by = %caller.sub, "document stored");
    let kind = if status == StatusCode::CREATED { "resource.created" } else { "resource.replaced" };
    let over = capacity::parse_recorded(&l.resource, l.overcommitted.as_deref());
    ctx.audit(kind, |e| {
        e.resource(&ctx.id)
            .detail(json!({"version": l.state.version, "kind": l.resource.kind, "owner": l.owner, "force": force, "overcommitted": over}))
    });
    Ok(tagged(json(status, view(&l).to_string()), l.state.version))
}

/// `GET /v1/resources/{id}`.
pub async fn get(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    // Always fresh from Redis: the owner must see their last write.
    let meta_version = ctx.app.store.meta(&ctx.id).await?.ok_or_else(|| ApiError::ResourceNotFound(ctx.id.clone()))?.version;
    let l = ctx.app.load(&ctx.id, Some(meta_version)).await?;
    ctx.owner(Role::Seller, &l.owner)?;
    Ok(tagged(json(StatusCode::OK, view(&l).to_string()), l.state.version))
}

/// `?force=true|false` (the only query parameter of a `PUT` or `DELETE` of a resource).
fn force_of(ctx: &Ctx) -> Result<bool, ApiError> {
    match query_params(&ctx.query, &["force"])?.get("force").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(ApiError::InvalidRequest(format!("force: must be true or false, got {:?}", clip(v, 20)))),
    }
}

/// An answer carrying the document's version as its entity tag.
fn tagged(mut r: Response<Body>, version: u64) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(ETAG, v);
    }
    r
}

/// `If-Match`: `*` or one entity tag `"<version>"` (weak or strong: a version is exact
/// either way).
fn if_match(req: &Request<Incoming>) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(Some("*".into()));
    }
    let tag = s.strip_prefix("W/").unwrap_or(s);
    match tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|t| t.parse::<u64>().ok()) {
        Some(v) => Ok(Some(v.to_string())),
        None => Err(ApiError::InvalidRequest(format!(
            "If-Match: must be * or one ETag of this resource (\"<version>\"), got {:?}",
            clip(s, 80)
        ))),
    }
}

/// `GET /v1/resources?limit=&cursor=`: a seller's own resources, or every one for ops, by
/// id; `next` is the cursor of the following page.
pub async fn list(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller()?.clone();
    let q = query_params(&ctx.query, &["limit", "cursor"])?;
    let limit = limit_of(q.get("limit"), 50, 200)?;
    let cursor = q.get("cursor").map(String::as_str);
    if let Some(c) = cursor.filter(|c| !aforo_core::valid_resource_id(c)) {
        return Err(ApiError::InvalidRequest(format!("cursor: {:?} is not a cursor of this list", clip(c, 80))));
    }
    let owner = (caller.role != Role::Ops).then_some(caller.sub.as_str());
    let ids = ctx.app.store.list(owner, cursor, limit + 1).await?;
    let now = ctx.app.now();
    let mut items = Vec::with_capacity(limit);
    for id in ids.iter().take(limit) {
        // Listed but gone (archived or removed between the list and this read): skipped.
        let l = match ctx.app.load(id, None).await {
            Ok(l) => l,
            Err(ApiError::ResourceNotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        items.push(json!({"id": l.id, "name": l.resource.doc.name, "kind": l.resource.kind, "version": l.state.version,
            "owner": l.owner, "paused": l.state.pause.as_ref().is_some_and(|p| p.active(now))}));
    }
    let next = (ids.len() > limit).then(|| ids[limit - 1].clone());
    Ok(json(StatusCode::OK, json!({"items": items, "next": next}).to_string()))
}

/// `DELETE /v1/resources/{id}?force=`: archives the resource (204). Refused with 409 while
/// holds are held, unless `force=true`, which releases them (each audited).
pub async fn archive(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let l = ctx.app.load(&ctx.id, None).await?;
    let caller = ctx.owner(Role::Seller, &l.owner)?.clone();
    let force = force_of(&ctx)?;
    let summary = Summary::of(&l.resource).to_json();
    let reply = ctx.app.store.archive(&ctx.id, &l.owner, force, &summary).await?;
    ctx.app.forget(&ctx.id);
    match reply {
        ArchiveReply::Archived { version, released, bytes } => {
            ctx.app.archived_quota(&l.owner, bytes, summary.len()).await;
            for hold in &released {
                ctx.audit("hold.released", |e| e.resource(&ctx.id).hold(hold).detail(json!({"by": "archive", "force": true})));
            }
            tracing::info!(resource = %ctx.id, version, released = released.len(), by = %caller.sub, "resource archived");
            ctx.audit("resource.archived", |e| {
                e.resource(&ctx.id).detail(json!({"version": version, "force": force, "released": released}))
            });
            Ok(no_content())
        }
        ArchiveReply::InUse { held } => Err(ApiError::ResourceInUse(format!(
            "{held} hold(s) are held on resource {}; release them, wait for them to end, or archive with ?force=true",
            ctx.id
        ))),
        ArchiveReply::NotFound => Err(ApiError::ResourceNotFound(ctx.id.clone())),
    }
}
