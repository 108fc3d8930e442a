//! Fan-out: the resources' streams read through the consumer group `wh` and each entry's
//! webhook events queued for the endpoints that want them.
//!
//! The resources are split into [`SHARDS`] shares, each read by the one origin holding its
//! lease (renewed every poll; a dead origin's shares pass to another after
//! `AFORO_WEBHOOK_LEASE_MS`). One reader per stream at a time keeps each resource's events in
//! order; the group keeps what was read but not yet queued pending, and the next reader
//! claims it (`XAUTOCLAIM`) before reading anything new, so nothing is lost when an origin
//! dies between reading and queueing (an entry may then be queued twice: delivery is at
//! least once, and the event's id is the same both times).

use std::collections::{BTreeSet, HashMap, HashSet};

use futures::StreamExt;

use crate::app::AppRef;
use crate::store::webhooks::{shard_lease, EndpointRecord};
use crate::store::StoreError;

use super::events::{availability, entry_ms, from_entry, Outgoing};
use super::hub::Hub;

/// Shares of the resources that origins take in turn.
pub const SHARDS: u32 = 8;
/// Resources read at once.
const PARALLEL: usize = 16;
/// Entries read from one stream per poll.
const BATCH: usize = 200;
/// Most resources looked at per listing of all (or one owner's) resources.
const LIST_MAX: usize = 100_000;
/// At most one `availability.changed` per resource in this many ms.
pub const AVAILABILITY_GAP_MS: u64 = 1000;

/// The share a resource belongs to (FNV-1a of its id).
pub fn shard_of(resource: &str) -> u32 {
    let h = resource.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (h % u64::from(SHARDS)) as u32
}

async fn list_all(app: &AppRef, owner: Option<&str>) -> Result<Vec<String>, StoreError> {
    let mut out: Vec<String> = Vec::new();
    loop {
        let page = app.store.list(owner, out.last().map(String::as_str), 1000).await?;
        let n = page.len();
        out.extend(page);
        if n < 1000 || out.len() >= LIST_MAX {
            return Ok(out);
        }
    }
}

/// Which endpoints (indexes into `eps`) cover which resource.
async fn coverage(app: &AppRef, eps: &[EndpointRecord]) -> Result<HashMap<String, Vec<usize>>, StoreError> {
    let mut cover: HashMap<String, Vec<usize>> = HashMap::new();
    let mut lists: HashMap<Option<String>, Vec<String>> = HashMap::new();
    for (i, ep) in eps.iter().enumerate() {
        let ids = if !ep.resources.is_empty() {
            ep.resources.clone()
        } else {
            let owner = (ep.role != "ops").then(|| ep.owner.clone());
            if !lists.contains_key(&owner) {
                let l = list_all(app, owner.as_deref()).await?;
                lists.insert(owner.clone(), l);
            }
            lists[&owner].clone()
        };
        for id in ids {
            cover.entry(id).or_default().push(i);
        }
    }
    Ok(cover)
}

/// Whether endpoint `ep` is to hear of `ev`: one of its types, committed since its creation
/// and, once re-enabled, since then (what came before is its backlog's and the gap's).
fn wants(ep: &EndpointRecord, ev: &Outgoing) -> bool {
    (ep.status == "enabled" || ep.status == "resuming")
        && ep.events.contains(&ev.kind)
        && ep.num("created_ms").max(ep.num("enabled_at")) <= ev.at_ms
}

/// The body of hold event `e` for a seller's own endpoint: with the booking's guest as its
/// record has it now (a guest erased meanwhile is not sent, a replay included). Guests go to
/// no other endpoint, and never through the stream.
async fn with_guest(app: &AppRef, ep: &EndpointRecord, e: &Outgoing) -> Result<String, StoreError> {
    if ep.role != "seller" || !e.kind.starts_with("hold.") {
        return Ok(e.body.clone());
    }
    let Ok(mut body) = serde_json::from_str::<serde_json::Value>(&e.body) else { return Ok(e.body.clone()) };
    let Some(id) = body["data"]["hold_id"].as_str().filter(|id| !id.contains(',')).map(String::from) else { return Ok(e.body.clone()) };
    match app.store.hold_record(&e.resource, &id).await?.and_then(|r| r.guest) {
        Some(g) => {
            body["data"]["guest"] = serde_json::json!(g);
            Ok(body.to_string())
        }
        None => Ok(e.body.clone()),
    }
}

/// `events` as an endpoint's queue takes them: id, type, resource, at ms, body (with the
/// guest for a seller's own endpoint).
pub async fn wire(app: &AppRef, ep: &EndpointRecord, events: &[&Outgoing]) -> Result<Vec<[String; 5]>, StoreError> {
    let mut evs = Vec::with_capacity(events.len());
    for e in events {
        let body = with_guest(app, ep, e).await?;
        evs.push([e.id.clone(), e.kind.clone(), e.resource.clone(), e.at_ms.to_string(), body]);
    }
    Ok(evs)
}

/// The most events an endpoint's queue holds now: `AFORO_WEBHOOK_BACKLOG_MAX`, and near
/// Redis's memory ceiling (the non-booking writes shed) `AFORO_WEBHOOK_SHED_BACKLOG`.
pub fn backlog_cap(app: &AppRef) -> (u64, bool) {
    let s = &app.cfg.webhooks;
    if app.metrics.shedding() {
        (s.webhook_backlog_max.min(s.webhook_shed_backlog), true)
    } else {
        (s.webhook_backlog_max, false)
    }
}

/// Counts `n` events dropped from an endpoint's backlog by its cap (`shed`: near the
/// memory ceiling).
pub fn count_dropped(app: &AppRef, id: &str, n: u64, shed: bool) {
    if n == 0 {
        return;
    }
    app.metrics.webhook_dropped.inc_by(n);
    app.outbound.dropped.add(app.now().timestamp_millis(), n);
    if shed {
        app.metrics.writes_shed.get_or_create(&crate::metrics::WhatLabels { what: "webhook" }).inc_by(n);
        tracing::warn!(endpoint = %id, dropped = n, "Redis near its memory ceiling: oldest webhook events of a long backlog dropped");
    } else {
        tracing::warn!(endpoint = %id, dropped = n, "webhook backlog full: oldest events dropped");
    }
}

/// Queues `events` for endpoint `ep` in order (a call per 100), counting what its cap dropped.
pub async fn enqueue(app: &AppRef, ep: &EndpointRecord, events: &[&Outgoing]) -> Result<(), StoreError> {
    for chunk in events.chunks(100) {
        let evs = wire(app, ep, chunk).await?;
        let (cap, shed) = backlog_cap(app);
        if let Some(dropped) = app.store.wh_enqueue(&ep.id, cap, evs).await? {
            count_dropped(app, &ep.id, dropped, shed);
        }
    }
    Ok(())
}

/// Queues each endpoint's events (endpoints side by side, each one's in order).
async fn enqueue_all(app: &AppRef, eps: &[&EndpointRecord], per: &[Vec<&Outgoing>]) -> Result<(), StoreError> {
    let calls = eps.iter().zip(per).filter(|(_, evs)| !evs.is_empty()).map(|(ep, evs)| enqueue(app, ep, evs));
    futures::future::try_join_all(calls).await.map(|_| ())
}

/// One poll: renews or takes the shares' leases, then reads the streams of the resources of
/// the shares held that some endpoint covers.
pub async fn poll(hub: &Hub) -> Result<(), StoreError> {
    let app = &hub.app;
    let (version, eps) = hub.endpoints_at().await?;
    if eps.is_empty() {
        return Ok(());
    }
    let lease_ms = app.cfg.webhooks.webhook_lease_ms;
    let mut held = HashSet::new();
    for n in 0..SHARDS {
        if app.store.wh_lease(&shard_lease(n), &hub.me, lease_ms).await? {
            held.insert(n);
        }
    }
    let newly: Vec<u32> = {
        let mut owned = hub.shards.lock().unwrap_or_else(|p| p.into_inner());
        let newly = held.difference(&owned).copied().collect();
        *owned = held.clone();
        newly
    };
    let cover = coverage(app, &eps).await?;
    let mut steps = Vec::new();
    for (resource, idx) in &cover {
        let shard = shard_of(resource);
        if !held.contains(&shard) {
            continue;
        }
        if newly.contains(&shard) {
            // Dates another origin left waiting for their availability.changed.
            hub.note_dates(resource, true);
        }
        let mine: Vec<&EndpointRecord> = idx.iter().map(|i| &eps[*i]).collect();
        steps.push(async move { resource_step(hub, version, resource, &mine).await });
    }
    // Resources side by side (each one's entries in order, by one step).
    let mut runs = futures::stream::iter(steps).buffer_unordered(PARALLEL);
    let mut first_error = None;
    while let Some(r) = runs.next().await {
        if let Err(e) = r {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Fans out the next entries of `resource` to `eps`, the endpoints covering it as of
/// endpoint `version`.
async fn resource_step(hub: &Hub, version: i64, resource: &str, eps: &[&EndpointRecord]) -> Result<(), StoreError> {
    let app = &hub.app;
    // The group starts just before the oldest endpoint's creation instant (an entry of that
    // very millisecond included; `wants` sorts out the rest).
    let start = eps.iter().map(|e| e.num("created_ms")).min().unwrap_or(0).saturating_sub(1).max(0);
    let entries = app.store.wh_next(resource, &hub.me, app.cfg.webhooks.webhook_lease_ms, BATCH, &format!("{start}-0")).await?;
    if entries.is_empty() {
        return flush_dates(hub, resource, eps, BTreeSet::new(), 0).await;
    }
    // The endpoints were read before these entries: one created (or re-enabled) since then
    // may want some of them, committed after its creation answered. Read through the same
    // version or not at all: the entries stay pending for this origin, which reads them
    // again first at its next poll, with the endpoints reloaded.
    if app.store.wh_version().await? != version {
        return Ok(());
    }
    let mut dates = BTreeSet::new();
    let mut last_ms = 0;
    let mut acked = Vec::with_capacity(entries.len());
    let mut outs = Vec::new();
    for (id, fields) in &entries {
        let (evs, touched) = from_entry(resource, id, fields);
        outs.extend(evs);
        if eps.iter().any(|ep| ep.num("created_ms") <= entry_ms(id)) {
            dates.extend(touched);
        }
        last_ms = last_ms.max(entry_ms(id));
        acked.push(id.clone());
    }
    let per: Vec<Vec<&Outgoing>> = eps.iter().map(|ep| outs.iter().filter(|ev| wants(ep, ev)).collect()).collect();
    enqueue_all(app, eps, &per).await?;
    flush_dates(hub, resource, eps, dates, last_ms).await?;
    app.store.wh_ack(resource, acked).await
}

/// Adds `dates` to those waiting for `resource`'s `availability.changed` and queues it when
/// its gate is open. Its instant is now, and never before `last_ms` (the newest entry whose
/// dates it carries: the origin's estimate of Redis's clock may lag it by a few ms, and an
/// endpoint created in between must not be passed over).
async fn flush_dates(hub: &Hub, resource: &str, eps: &[&EndpointRecord], dates: BTreeSet<String>, last_ms: i64) -> Result<(), StoreError> {
    let app = &hub.app;
    if !dates.is_empty() || hub.dates_waiting(resource) {
        let wanted = eps.iter().any(|ep| ep.events.iter().any(|t| t == "availability.changed"));
        let dates: Vec<String> = if wanted { dates.into_iter().collect() } else { Vec::new() };
        match app.store.wh_dates(resource, dates, AVAILABILITY_GAP_MS).await? {
            None => hub.note_dates(resource, true),
            Some(taken) => {
                hub.note_dates(resource, false);
                if !taken.is_empty() {
                    let ev = availability(resource, &taken, app.now().timestamp_millis().max(last_ms));
                    let per: Vec<Vec<&Outgoing>> = eps.iter().map(|ep| if wants(ep, &ev) { vec![&ev] } else { vec![] }).collect();
                    enqueue_all(app, eps, &per).await?;
                }
            }
        }
    }
    Ok(())
}

/// The resources an endpoint hears of now: those it names, else every one of its owner (all
/// of them for ops).
pub async fn resources_of(app: &AppRef, ep: &EndpointRecord) -> Result<Vec<String>, StoreError> {
    if !ep.resources.is_empty() {
        return Ok(ep.resources.clone());
    }
    list_all(app, (ep.role != "ops").then_some(ep.owner.as_str())).await
}

/// The events of `ep`'s resources and types from `since_ms` on that the streams still hold
/// (at most the backlog cap per resource), with their ids of the first time, each
/// resource's in order; `availability.changed` is not among them (it is a summary of the
/// others).
pub async fn since(app: &AppRef, ep: &EndpointRecord, since_ms: i64) -> Result<Vec<Outgoing>, StoreError> {
    let cap = usize::try_from(app.cfg.webhooks.webhook_backlog_max).unwrap_or(usize::MAX);
    let mut evs = Vec::new();
    for resource in resources_of(app, ep).await? {
        for (id, fields) in app.store.wh_since(&resource, since_ms, cap).await? {
            evs.extend(from_entry(&resource, &id, &fields).0.into_iter().filter(|ev| ep.events.contains(&ev.kind)));
        }
    }
    Ok(evs)
}

/// Queues again, for one endpoint, the events [`since`] `since_ms`. How many.
pub async fn replay(app: &AppRef, ep: &EndpointRecord, since_ms: i64) -> Result<u64, StoreError> {
    let evs = since(app, ep, since_ms).await?;
    enqueue(app, ep, &evs.iter().collect::<Vec<_>>()).await?;
    Ok(evs.len() as u64)
}
