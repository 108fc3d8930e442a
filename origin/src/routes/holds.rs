//! Holds: create (one item or a cart), get, consume, release.
//!
//! The hold id is derived from the caller and its `Idempotency-Key`, so a retry lands on the
//! same records: each resource's record of the hold is that resource's idempotency entry.
//! Items of one resource are taken in one atomic store call. A cart across resources is a
//! saga: the home resource (the first item's) is taken first as `pending`, then each other
//! resource, then the home turns `held`. A refused step voids the steps taken (units back,
//! the key as if unused); a retry with the same key finds the steps already taken and goes
//! on, so it converges.
//!
//! The key belongs to the caller across resources: before any hold call, the request claims
//! it (`af:{k:…}`, a key of its own) with its payload hash; a request with another payload
//! finds the claim and is refused (422), one with the same payload goes on and replays.

use std::collections::HashMap;
use std::time::Duration;

use aforo_core::{alternatives_for, merge_takes, plan_hold};
use aforo_core::{HoldItem, HoldPlan, HoldRequest, ItemView, PlanError, Snapshot, Take};
use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Ctx;
use crate::app::App;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::http::{json, read_body, Body};
use crate::metrics::{kind_label, KindLabels, ReasonLabels};
use crate::store::{home_of, idempotent_hold_id, HoldReply, PartReply, ResourceKeys};

const ATTEMPTS: usize = 3;

/// Encodes takes for the store: `bucket\tqty\tlimit\n` per take.
pub fn encode_takes(takes: &[Take]) -> String {
    let mut s = String::with_capacity(takes.len() * 32);
    for t in takes {
        s.push_str(&format!("{}\t{}\t{}\n", t.bucket, t.qty, t.limit));
    }
    s
}

/// Encodes a plan's table choices for the store: per choice its label, a newline, its take
/// lines; choices separated by the ASCII record separator.
pub fn encode_choices(plan: &HoldPlan) -> String {
    plan.choices
        .iter()
        .zip(&plan.choice_labels)
        .map(|(takes, label)| format!("{label}\n{}", encode_takes(takes)))
        .collect::<Vec<_>>()
        .join("\u{1e}")
}

fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| aforo_core::rfc3339(&t)).unwrap_or_default()
}

fn plan_err(e: PlanError, item: Option<usize>) -> ApiError {
    match e {
        PlanError::Rule { code, detail } => ApiError::Rule { code, detail, item },
        PlanError::InvalidItem(s) => ApiError::InvalidRequest(match item {
            Some(i) => format!("items[{i}].{s}"),
            None => s,
        }),
    }
}

/// One resource's share of a request.
struct Group {
    resource: String,
    /// (index in the request, item)
    items: Vec<(usize, HoldItem)>,
}

fn group(items: &[HoldItem]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match out.iter_mut().find(|g| g.resource == it.resource_id) {
            Some(g) => g.items.push((i, it.clone())),
            None => out.push(Group { resource: it.resource_id.clone(), items: vec![(i, it.clone())] }),
        }
    }
    out
}

/// A snapshot good enough to plan with: counters are read only when the price depends on
/// utilization (the store decides availability on its own), and then only the counters the
/// items draw from.
async fn plan_snapshot(app: &App, g: &Group) -> Result<Snapshot, ApiError> {
    let l = app.load(&g.resource, None).await?;
    let bare = l.snapshot(None, Default::default(), app.now());
    let priced = l.resource.pricing.as_ref().is_some_and(|p| !p.triggers.is_empty());
    if !priced {
        return Ok(bare);
    }
    let now = app.now();
    let drawn: Vec<aforo_core::Bucket> =
        g.items.iter().filter_map(|(_, it)| plan_hold(&bare, it, now).ok()).flat_map(|p| p.takes.into_iter().map(|t| t.bucket)).collect();
    let dates: Vec<_> = g.items.iter().filter_map(|(_, it)| it.date.as_deref().and_then(aforo_core::parse_date)).collect();
    let range = dates.iter().min().copied().zip(dates.iter().max().copied());
    app.snapshot_with(&g.resource, |cur| {
        if cur.state.version == bare.state.version {
            (drawn.clone(), None)
        } else {
            // The document changed since: read every counter of the dates instead.
            let r = range.unwrap_or((chrono::NaiveDate::MIN, chrono::NaiveDate::MIN));
            (aforo_core::buckets_for(&cur.resource, r.0, r.1), None)
        }
    })
    .await
}

struct Planned {
    snap: Snapshot,
    plans: Vec<(usize, HoldPlan)>,
}

async fn plan_group(app: &App, g: &Group, multi: bool) -> Result<Planned, ApiError> {
    let snap = plan_snapshot(app, g).await?;
    let now = app.now();
    let mut plans = Vec::with_capacity(g.items.len());
    for (i, it) in &g.items {
        let p = plan_hold(&snap, it, now).map_err(|e| plan_err(e, multi.then_some(*i)))?;
        plans.push((*i, p));
    }
    let counters: usize = plans.iter().map(|(_, p)| p.takes.len() + p.choices.iter().map(Vec::len).sum::<usize>()).sum();
    if counters > aforo_core::limits::MAX_CART_BUCKETS {
        return Err(ApiError::InvalidRequest(format!(
            "items: they take {counters} counters of {} in one step, at most {} (docs/limits.md)",
            g.resource,
            aforo_core::limits::MAX_CART_BUCKETS
        )));
    }
    Ok(Planned { snap, plans })
}

fn payload_hash(req: &HoldRequest) -> String {
    let canonical = serde_json::to_vec(&req.items).unwrap_or_default();
    Sha256::digest(&canonical).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn idem_key_header(req: &Request<Incoming>) -> Result<String, ApiError> {
    let v = req.headers().get("idempotency-key").ok_or(ApiError::IdempotencyKeyRequired)?;
    let s = v.to_str().map_err(|_| ApiError::InvalidRequest("Idempotency-Key: must be visible ASCII".into()))?;
    if s.is_empty() || s.len() > 255 {
        return Err(ApiError::InvalidRequest("Idempotency-Key: must be 1-255 characters".into()));
    }
    Ok(s.to_string())
}

/// Adds the table assigned on each resource to its items.
fn with_tables(items: &mut serde_json::Value, tables: &HashMap<String, String>) {
    for it in items.as_array_mut().into_iter().flatten() {
        if let Some(t) = it["resource_id"].as_str().and_then(|r| tables.get(r)) {
            it["table"] = json!(t);
        }
    }
}

/// The hold as API.md shows it, from its home record.
fn hold_view(id: &str, rec: &HashMap<String, String>, now_ms: i64) -> serde_json::Value {
    let expires: i64 = rec.get("expires_at").and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut status = rec.get("status").cloned().unwrap_or_default();
    if (status == "held" || status == "pending") && expires <= now_ms {
        status = "expired".into();
    }
    if status == "void" {
        status = "released".into();
    }
    let mut items: serde_json::Value = rec.get("body").and_then(|b| serde_json::from_str(b).ok()).unwrap_or(json!([]));
    if let (Some(t), Some(home)) = (rec.get("table").filter(|t| !t.is_empty()), home_of(id)) {
        with_tables(&mut items, &HashMap::from([(home.to_string(), t.clone())]));
    }
    json!({"id": id, "status": status, "expires_at": rfc3339_ms(expires), "items": items})
}

/// `POST /v1/holds`.
pub async fn create(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let caller = ctx.caller(&req)?;
    caller.require(&[Role::Buyer])?;
    ctx.app.writable()?;
    let r = create_as(&ctx, &caller, req).await;
    if let Err(e) = &r {
        if e.status().is_client_error() {
            ctx.app.metrics.holds_refused.get_or_create(&ReasonLabels { reason: e.code().to_lowercase() }).inc();
        }
    }
    r
}

async fn create_as(ctx: &Ctx, caller: &Caller, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let key = idem_key_header(&req)?;
    let body = read_body(req, &ctx.app.cfg).await?;
    let request = HoldRequest::from_json(&body).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let hash = payload_hash(&request);
    let groups = group(&request.items);
    let multi = request.items.len() > 1;
    // The key is the caller's across resources: the first request claims it with its payload;
    // another payload is refused here, the same one goes on (the hold function replays it).
    let app = &*ctx.app;
    let claim = format!("{hash} {} {}", groups[0].resource, ulid::Ulid::new());
    let record_ttl = app.cfg.hold_record_ttl().max(app.cfg.idempotency_ttl());
    let claimed = match app.store.claim(&caller.sub, &key, &claim, record_ttl).await? {
        None => true,
        Some(standing) if standing.split(' ').next() == Some(hash.as_str()) => false,
        Some(_) => return Err(ApiError::IdempotencyKeyReused),
    };
    let r = attempts(ctx, caller, &key, &hash, &groups, multi).await;
    // A refused request leaves its key as if unused (as its voided cart steps do), so the
    // buyer may use it for something else. After a store failure the outcome may be unknown:
    // the claim stays, and a retry with the same payload finds out.
    if claimed && r.as_ref().is_err_and(|e| e.status().is_client_error()) {
        if let Err(e) = app.store.unclaim(&caller.sub, &key, &claim).await {
            tracing::warn!(error = %e, "could not drop the claim of a refused hold; the key stays bound to its payload");
        }
    }
    r
}

async fn attempts(ctx: &Ctx, caller: &Caller, key: &str, hash: &str, groups: &[Group], multi: bool) -> Result<Response<Body>, ApiError> {
    for _ in 0..ATTEMPTS {
        match attempt(ctx, caller, key, hash, groups, multi).await? {
            Some(resp) => return Ok(resp),
            None => continue, // a document changed under the plan: plan again
        }
    }
    Err(ApiError::StoreUnavailable("the resource kept changing while the hold was planned; retry".into()))
}

async fn attempt(
    ctx: &Ctx,
    caller: &Caller,
    key: &str,
    hash: &str,
    groups: &[Group],
    multi: bool,
) -> Result<Option<Response<Body>>, ApiError> {
    let app = &*ctx.app;
    let mut planned = Vec::with_capacity(groups.len());
    for g in groups {
        let p = plan_group(app, g, multi).await?;
        if p.plans.len() > 1 && p.plans.iter().any(|(_, pl)| !pl.choices.is_empty()) {
            return Err(ApiError::InvalidRequest(format!(
                "{}: a hold seats one party per resource with tables; send one item per party",
                g.resource
            )));
        }
        planned.push(p);
    }
    let home = groups[0].resource.as_str();
    let mut views: Vec<(usize, ItemView)> = planned.iter().flat_map(|p| p.plans.iter().map(|(i, pl)| (*i, pl.view(&p.snap)))).collect();
    views.sort_by_key(|(i, _)| *i);
    let all_items =
        serde_json::to_string(&views.iter().map(|(_, v)| v).collect::<Vec<_>>()).map_err(|e| ApiError::Internal(e.to_string()))?;
    let parts: Vec<&str> = groups[1..].iter().map(|g| g.resource.as_str()).collect();
    let mut id = idempotent_hold_id(&caller.sub, key, home);
    let mut taken: Vec<&str> = Vec::new(); // resources taken in this attempt
    let mut home_expiry = 0i64;
    let mut replayed = false;
    let mut tables: HashMap<String, String> = HashMap::new();
    let cfg = &app.cfg;
    for (gi, (g, p)) in groups.iter().zip(&planned).enumerate() {
        let keys = ResourceKeys::new(&g.resource);
        let takes = merge_takes(p.plans.iter().map(|(_, pl)| pl));
        let items_json = serde_json::to_string(&p.plans.iter().map(|(_, pl)| pl.view(&p.snap)).collect::<Vec<_>>()).unwrap_or_default();
        let status = if gi == 0 && groups.len() > 1 { "pending" } else { "held" };
        let extra = if gi == 0 { vec!["body".into(), all_items.clone(), "parts".into(), parts.join(",")] } else { vec![] };
        let ttl = Duration::from_secs(u64::from(p.plans[0].1.ttl_s));
        let first = &p.plans[0].1;
        let choices = encode_choices(first);
        let date_index = first.date.filter(|_| !first.choices.is_empty()).map(|d| keys.date_index(&d.to_string()));
        let reply = app
            .store
            .hold(
                &g.resource,
                p.snap.state.version,
                &id,
                hash,
                ttl,
                cfg.hold_record_ttl().max(cfg.idempotency_ttl()).max(ttl),
                &caller.sub,
                status,
                encode_takes(&takes),
                choices,
                date_index,
                items_json,
                extra,
            )
            .await;
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                undo(app, &id, &taken).await;
                return Err(e.into());
            }
        };
        match reply {
            HoldReply::Taken { id: got, expires_at_ms, table, .. } => {
                id = got;
                if !table.is_empty() {
                    tables.insert(g.resource.clone(), table);
                }
                if gi == 0 {
                    home_expiry = expires_at_ms;
                }
                taken.push(g.resource.as_str());
                if let Err(e) = app.schedule_sweep(&g.resource, expires_at_ms).await {
                    tracing::warn!(error = %e, resource = %g.resource, "could not schedule the sweeper; the next operation on the resource reclaims");
                }
            }
            HoldReply::Replay { id: got, status, expires_at_ms } => {
                id = got;
                replayed = true;
                if gi == 0 {
                    home_expiry = expires_at_ms;
                    if status != "pending" {
                        break; // the whole hold exists: answer it as it is
                    }
                }
            }
            HoldReply::Reused => {
                undo(app, &id, &taken).await;
                return Err(ApiError::IdempotencyKeyReused);
            }
            HoldReply::Version => {
                undo(app, &id, &taken).await;
                app.forget(&g.resource);
                return Ok(None);
            }
            HoldReply::SoldOut { bucket } => {
                undo(app, &id, &taken).await;
                let (i, first) = &p.plans[0];
                let item = &g.items.iter().find(|(j, _)| j == i).map(|(_, it)| it.clone()).unwrap_or_else(|| g.items[0].1.clone());
                let alternatives = match app
                    .snapshot(&g.resource, first.date.map(|d| (d, d + chrono::Duration::days(aforo_core::ALTERNATIVE_DAYS))))
                    .await
                {
                    Ok(s) => alternatives_for(&s, item, app.now(), first.qty),
                    Err(_) => Vec::new(),
                };
                let what = match (&first.date, &first.slot) {
                    (Some(d), Some(s)) => format!(" for {d} {s}"),
                    (Some(d), None) => format!(" for {d}"),
                    _ => String::new(),
                };
                let qty: u32 = g.items.iter().map(|(_, it)| it.qty as u32).sum();
                let detail = if bucket == "no_table" {
                    format!("no table for {qty} at {}{what} (no_table)", g.resource)
                } else {
                    format!("{qty} units asked of {}{what}: not enough left ({bucket})", g.resource)
                };
                return Err(ApiError::SoldOut { detail, alternatives, item: multi.then_some(*i) });
            }
        }
    }
    if groups.len() > 1 {
        app.store.finish(home, &id).await?;
    }
    let view = if replayed {
        // A replay answers the hold as stored, prices and all, in its current status.
        hold_view(&id, &app.store.hold_record(home, &id).await?, app.now().timestamp_millis())
    } else {
        let mut items = serde_json::from_str::<serde_json::Value>(&all_items).unwrap_or(json!([]));
        with_tables(&mut items, &tables);
        json!({"id": id, "status": "held", "expires_at": rfc3339_ms(home_expiry), "items": items})
    };
    let status = if replayed && taken.is_empty() { StatusCode::OK } else { StatusCode::CREATED };
    tracing::info!(hold = %id, caller = %caller.sub, replay = replayed && taken.is_empty(), "hold");
    let m = &app.metrics;
    if status == StatusCode::CREATED {
        m.holds_created.get_or_create(&KindLabels { kind: kind_label(planned[0].snap.resource.kind) }).inc();
        for p in &planned {
            let units: u64 = p.plans.iter().map(|(_, pl)| u64::from(pl.qty)).sum();
            m.units_committed.get_or_create(&KindLabels { kind: kind_label(p.snap.resource.kind) }).inc_by(units);
        }
        ctx.audit(caller, "hold.created", |e| {
            e.resource(home).hold(&id).detail(json!({"items": view["items"], "expires_at": view["expires_at"]}))
        });
    } else {
        m.replays.inc();
    }
    Ok(Some(json(status, view.to_string())))
}

/// Voids the steps of a cart taken in this attempt (units back, the key as if unused).
async fn undo(app: &App, id: &str, taken: &[&str]) {
    for resource in taken.iter().rev() {
        match app.store.release(resource, id, true).await {
            Ok(_) => app.audit("hold.voided", "system", "system", |e| {
                e.resource(resource).hold(id).detail(json!({"why": "a later step of the cart was refused"}))
            }),
            Err(e) => tracing::error!(error = %e, hold = id, resource, "could not void a cart step; its units return at expiry"),
        }
    }
}

struct Found {
    id: String,
    home: String,
    rec: HashMap<String, String>,
    caller: Caller,
}

async fn find(ctx: &Ctx, req: &Request<Incoming>) -> Result<Found, ApiError> {
    let caller = ctx.caller(req)?;
    caller.require(&[Role::Buyer])?;
    let home = home_of(&ctx.id).ok_or_else(|| ApiError::HoldNotFound(ctx.id.clone()))?.to_string();
    let rec = ctx.app.store.hold_record(&home, &ctx.id).await?;
    if rec.is_empty() || !rec.contains_key("body") {
        return Err(ApiError::HoldNotFound(ctx.id.clone()));
    }
    caller.require_owner(rec.get("caller").map(String::as_str).unwrap_or(""))?;
    Ok(Found { id: ctx.id.clone(), home, rec, caller })
}

fn parts_of(f: &Found) -> Vec<String> {
    // Other resources first, home last: the home's status is the hold's.
    let mut v: Vec<String> =
        f.rec.get("parts").map(|p| p.split(',').filter(|s| !s.is_empty()).map(String::from).collect()).unwrap_or_default();
    v.push(f.home.clone());
    v
}

/// `GET /v1/holds/{id}`.
pub async fn get(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = find(&ctx, &req).await?;
    Ok(json(StatusCode::OK, hold_view(&f.id, &f.rec, ctx.app.now().timestamp_millis()).to_string()))
}

fn transition(ctx: &Ctx, f: &Found, kind: &str) {
    ctx.audit(&f.caller, kind, |e| e.resource(&f.home).hold(&f.id).detail(json!({"was": f.rec.get("status")})));
}

/// `POST /v1/holds/{id}/consume`: after payment; idempotent. An expired hold is consumed
/// if its units are still free (taken again), else 410.
pub async fn consume(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = find(&ctx, &req).await?;
    ctx.app.writable()?;
    for r in parts_of(&f) {
        match ctx.app.store.consume(&r, &f.id).await? {
            PartReply::Ok(_) => {}
            PartReply::NotActive(st) => return Err(ApiError::HoldNotActive(format!("hold {} is {}", f.id, shown(&st)))),
            PartReply::Expired => retake(&ctx.app, &f, &r).await?,
            PartReply::NotFound => return Err(ApiError::HoldNotFound(f.id.clone())),
            other => return Err(ApiError::Internal(format!("consume answered {other:?}"))),
        }
    }
    tracing::info!(hold = %f.id, caller = %f.caller.sub, "hold consumed");
    if f.rec.get("status").map(String::as_str) != Some("consumed") {
        ctx.app.metrics.holds_consumed.inc();
        transition(&ctx, &f, "hold.consumed");
    }
    let rec = ctx.app.store.hold_record(&f.home, &f.id).await?;
    Ok(json(StatusCode::OK, hold_view(&f.id, &rec, ctx.app.now().timestamp_millis()).to_string()))
}

fn shown(status: &str) -> &str {
    if status == "void" {
        "released"
    } else {
        status
    }
}

async fn retake(app: &App, f: &Found, resource: &str) -> Result<(), ApiError> {
    let rec = app.store.hold_record(resource, &f.id).await?;
    let views: Vec<ItemView> = rec.get("items").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let g = Group {
        resource: resource.to_string(),
        items: views
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    i,
                    HoldItem {
                        resource_id: v.resource_id.clone(),
                        date: v.date.map(|d| d.to_string()),
                        slot: v.slot.clone(),
                        qty: i64::from(v.qty),
                    },
                )
            })
            .collect(),
    };
    for _ in 0..ATTEMPTS {
        let p = plan_group(app, &g, false).await.map_err(|e| {
            if e.status().is_server_error() {
                e // the store or a bug, not the hold: said as such
            } else {
                ApiError::HoldExpired(format!("hold {} expired and cannot be taken again: {}", f.id, e.detail()))
            }
        })?;
        let takes = merge_takes(p.plans.iter().map(|(_, pl)| pl));
        let choices = p.plans.first().map(|(_, pl)| encode_choices(pl)).unwrap_or_default();
        match app.store.retake(resource, &f.id, p.snap.state.version, encode_takes(&takes), choices).await? {
            PartReply::Ok(_) => return Ok(()),
            PartReply::SoldOut => return Err(ApiError::HoldExpired(format!("hold {} expired and its units were taken by others", f.id))),
            PartReply::Version => app.forget(resource),
            PartReply::NotActive(st) => return Err(ApiError::HoldNotActive(format!("hold {} is {}", f.id, shown(&st)))),
            other => return Err(ApiError::Internal(format!("retake answered {other:?}"))),
        }
    }
    Err(ApiError::StoreUnavailable("the resource kept changing while the hold was consumed; retry".into()))
}

/// `POST /v1/holds/{id}/release`: give the units back; idempotent.
pub async fn release(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let f = find(&ctx, &req).await?;
    ctx.app.writable()?;
    for r in parts_of(&f) {
        match ctx.app.store.release(&r, &f.id, false).await? {
            PartReply::Ok(_) | PartReply::NotFound => {}
            PartReply::NotActive(st) => return Err(ApiError::HoldNotActive(format!("hold {} is {}", f.id, shown(&st)))),
            other => return Err(ApiError::Internal(format!("release answered {other:?}"))),
        }
    }
    tracing::info!(hold = %f.id, caller = %f.caller.sub, "hold released");
    if matches!(f.rec.get("status").map(String::as_str), Some("held" | "pending")) {
        ctx.app.metrics.holds_released.inc();
        transition(&ctx, &f, "hold.released");
    }
    let rec = ctx.app.store.hold_record(&f.home, &f.id).await?;
    Ok(json(StatusCode::OK, hold_view(&f.id, &rec, ctx.app.now().timestamp_millis()).to_string()))
}
