//! Creating a hold: claim the caller's key, then the saga — plan every resource's share,
//! take each share in turn (the home first, `pending` in a cart), undo the shares taken when
//! a later one is refused, finish the home, answer.

use std::collections::HashMap;
use std::time::Duration;

use aforo_core::{alternatives_for, merge_takes};
use aforo_core::{Enforcement, HoldPlan, HoldRequest, ItemView};
use serde_json::{json, Value};

use super::claim::claimed;
use super::plan::{buyer_refusal, buyer_share, group, payload_hash, plan_group, Group, Planned, ATTEMPTS};
use super::view::{hold_view, rfc3339_ms, with_tables};
use crate::app::App;
use crate::error::ApiError;
use crate::metrics::{kind_label, KindLabels};
use crate::store::history::retain_and_starts;
use crate::store::{Actor, Choice, HoldArgs, HoldReply, HoldStatus, Home};

/// A hold made, or found made by an earlier request with the same key.
#[derive(Debug, Clone)]
pub struct Created {
    /// Units were taken by this request (201); `false` for a pure replay (200).
    pub fresh: bool,
    /// The hold as API.md shows it.
    pub view: Value,
}

/// Creates the hold `request` asks for, as `actor`, under its `Idempotency-Key` `key`.
pub async fn create(app: &App, actor: &Actor, key: &str, request: &HoldRequest) -> Result<Created, ApiError> {
    let hash = payload_hash(request);
    let groups = group(&request.items);
    // The key is the caller's across resources: the first request claims it with its payload;
    // another payload is refused there, the same one goes on (the hold function replays it).
    let (hash, groups) = (&hash, &groups);
    claimed(app, actor, key, hash, &groups[0].resource, |id| async move {
        let cart = Cart { app, actor, id, hash, groups, multi: request.items.len() > 1, guest: request.guest.as_ref() };
        cart.attempts().await
    })
    .await
}

/// One hold request on its way through the saga.
struct Cart<'a> {
    app: &'a App,
    actor: &'a Actor,
    /// The hold's id, bound to the caller's key by its claim.
    id: String,
    hash: &'a str,
    groups: &'a [Group],
    multi: bool,
    guest: Option<&'a aforo_core::Guest>,
}

/// What an attempt has done so far.
struct Progress<'a> {
    id: String,
    /// Resources taken in this attempt (undone if a later one is refused).
    taken: Vec<&'a str>,
    home_expiry: i64,
    replayed: bool,
    /// The table seated on each resource that has tables.
    tables: HashMap<String, String>,
    /// In shadow, the buckets each item (by request index) took past their limit.
    over: HashMap<usize, Vec<String>>,
}

/// Where a step leaves the saga.
enum Step {
    /// On to the next resource.
    Next,
    /// The whole hold already exists (a replay): answer it as it is.
    Whole,
    /// A document changed under the plan: plan again.
    Replan,
}

impl<'a> Cart<'a> {
    fn home(&self) -> &'a str {
        self.groups[0].resource.as_str()
    }

    async fn attempts(&self) -> Result<Created, ApiError> {
        for _ in 0..ATTEMPTS {
            if let Some(done) = self.attempt().await? {
                return Ok(done);
            }
        }
        Err(ApiError::StoreUnavailable("the resource kept changing while the hold was planned; retry".into()))
    }

    /// Plans every resource's share and takes them in turn; `None` when a document changed
    /// under the plan (nothing is left taken then).
    async fn attempt(&self) -> Result<Option<Created>, ApiError> {
        let planned = self.plan_all().await?;
        let mut body: Vec<(usize, ItemView)> = planned.iter().flat_map(|p| p.plans.iter().map(|(i, pl)| (*i, pl.view(&p.snap)))).collect();
        body.sort_by_key(|(i, _)| *i);
        let body: Vec<ItemView> = body.into_iter().map(|(_, v)| v).collect();
        let mut p = Progress {
            id: self.id.clone(),
            taken: Vec::new(),
            home_expiry: 0,
            replayed: false,
            tables: HashMap::new(),
            over: HashMap::new(),
        };
        for (gi, (g, pl)) in self.groups.iter().zip(&planned).enumerate() {
            let args = self.args(gi, pl, &p.id, &body);
            let reply = match self.app.holds.hold(args).await {
                Ok(r) => r,
                Err(e) => {
                    self.undo(&p).await;
                    return Err(e.into());
                }
            };
            match self.step(gi, g, pl, reply, &mut p).await? {
                Step::Next => {}
                Step::Whole => break,
                Step::Replan => return Ok(None),
            }
        }
        if self.groups.len() > 1 {
            self.app.store.finish(self.home(), &p.id).await?;
        }
        self.answer(&planned, &body, p).await.map(Some)
    }

    async fn plan_all(&self) -> Result<Vec<Planned>, ApiError> {
        let mut planned = Vec::with_capacity(self.groups.len());
        for g in self.groups {
            let p = plan_group(self.app, g, self.multi).await?;
            if p.plans.len() > 1 && p.plans.iter().any(|(_, pl)| !pl.choices.is_empty()) {
                return Err(ApiError::InvalidRequest(format!(
                    "{}: a hold seats one party per resource with tables; send one item per party",
                    g.resource
                )));
            }
            planned.push(p);
        }
        Ok(planned)
    }

    /// The store call of share `gi`: its takes merged, its first item's table choices.
    fn args(&self, gi: usize, pl: &Planned, id: &str, body: &[ItemView]) -> HoldArgs {
        let cfg = &self.app.cfg;
        let first = &pl.plans[0].1;
        let ttl = Duration::from_secs(u64::from(first.ttl_s));
        let items: Vec<ItemView> = pl.plans.iter().map(|(_, x)| x.view(&pl.snap)).collect();
        let (retain, starts) = retain_and_starts(pl.snap.resource.tz, &items);
        HoldArgs {
            resource: self.groups[gi].resource.clone(),
            version: pl.snap.state.version,
            hold_id: id.to_string(),
            payload_hash: self.hash.to_string(),
            ttl,
            record_ttl: cfg.record_lifetime().max(ttl),
            caller: self.actor.sub.clone(),
            status: if gi == 0 && self.groups.len() > 1 { HoldStatus::Pending } else { HoldStatus::Held },
            takes: merge_takes(pl.plans.iter().map(|(_, x)| x)),
            choices: Choice::of_plan(first),
            date_index: first.date.filter(|_| !first.choices.is_empty()),
            retain_until_ms: retain,
            retention: cfg.booking_retention(),
            starts_ms: starts,
            items,
            home: (gi == 0).then(|| Home { body: body.to_vec(), parts: self.groups[1..].iter().map(|g| g.resource.clone()).collect() }),
            shadow: self.app.enforcement_of(&pl.snap.resource) == Enforcement::Shadow,
            buyer: (self.actor.role == "buyer").then(|| buyer_share(&pl.snap, &self.actor.sub, &pl.plans)),
            role: (self.actor.role != "buyer").then(|| self.actor.role.clone()),
            guest: self.guest.cloned(),
        }
    }

    /// Follows up on one share's reply: noted when taken or replayed; on a refusal, the
    /// shares taken are undone and the refusal answered.
    async fn step(&self, gi: usize, g: &'a Group, pl: &Planned, reply: HoldReply, p: &mut Progress<'a>) -> Result<Step, ApiError> {
        match reply {
            HoldReply::Taken { id, expires_at_ms, table, over, .. } => {
                p.id = id;
                for (i, plan) in &pl.plans {
                    let mine: Vec<String> = over.iter().filter(|b| plan_names(plan).any(|n| n == **b)).cloned().collect();
                    if !mine.is_empty() {
                        p.over.insert(*i, mine);
                    }
                }
                if !table.is_empty() {
                    p.tables.insert(g.resource.clone(), table);
                }
                if gi == 0 {
                    p.home_expiry = expires_at_ms;
                }
                p.taken.push(g.resource.as_str());
                if let Err(e) = self.app.schedule_sweep(&g.resource, expires_at_ms).await {
                    tracing::warn!(error = %e, resource = %g.resource, "could not schedule the sweeper; the next operation on the resource reclaims");
                }
                Ok(Step::Next)
            }
            HoldReply::Replay { id, status, expires_at_ms } => {
                p.id = id;
                p.replayed = true;
                if gi == 0 {
                    p.home_expiry = expires_at_ms;
                    if status != HoldStatus::Pending {
                        return Ok(Step::Whole);
                    }
                }
                Ok(Step::Next)
            }
            HoldReply::Reused => {
                self.undo(p).await;
                Err(ApiError::IdempotencyKeyReused)
            }
            HoldReply::Version { .. } => {
                self.undo(p).await;
                self.app.forget(&g.resource);
                Ok(Step::Replan)
            }
            HoldReply::SoldOut { bucket, have, limit } => {
                self.undo(p).await;
                match buyer_refusal(&g.resource, &bucket, have, limit) {
                    Some(e) => Err(e),
                    None => Err(self.sold_out(g, pl, &bucket).await),
                }
            }
        }
    }

    /// The refusal of share `g`: what did not fit, and where the first item fits instead.
    async fn sold_out(&self, g: &Group, pl: &Planned, bucket: &str) -> ApiError {
        let app = self.app;
        let (i, first) = &pl.plans[0];
        let item = &g.items.iter().find(|(j, _)| j == i).map(|(_, it)| it.clone()).unwrap_or_else(|| g.items[0].1.clone());
        let span = first.date.map(|d| (d, d + chrono::Duration::days(aforo_core::ALTERNATIVE_DAYS)));
        let alternatives = match app.snapshot(&g.resource, span).await {
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
        ApiError::SoldOut { detail, alternatives, item: self.multi.then_some(*i) }
    }

    /// The answer once every share is taken (or replayed), counted and audited.
    async fn answer(&self, planned: &[Planned], body: &[ItemView], p: Progress<'a>) -> Result<Created, ApiError> {
        let app = self.app;
        let home = self.home();
        let view = if p.replayed {
            // A replay answers the hold as stored, prices and all, in its current status.
            let rec = app.store.hold_record(home, &p.id).await?.ok_or_else(|| ApiError::HoldNotFound(p.id.clone()))?;
            hold_view(&p.id, &rec, app.now().timestamp_millis())
        } else {
            let mut items = serde_json::to_value(body).map_err(|e| ApiError::Internal(e.to_string()))?;
            with_tables(&mut items, &p.tables);
            for (i, buckets) in &p.over {
                items[*i]["over_capacity"] = json!(buckets);
            }
            let mut v = json!({"id": p.id, "status": HoldStatus::Held, "expires_at": rfc3339_ms(p.home_expiry), "items": items});
            if let Some(g) = self.guest {
                v["guest"] = json!(g);
            }
            v
        };
        let fresh = !(p.replayed && p.taken.is_empty());
        tracing::info!(hold = %p.id, caller = %self.actor.sub, replay = !fresh, "hold");
        let m = &app.metrics;
        if fresh {
            m.holds_created.get_or_create(&KindLabels { kind: kind_label(planned[0].snap.resource.kind) }).inc();
            for pl in planned {
                let units: u64 = pl.plans.iter().map(|(_, x)| u64::from(x.qty)).sum();
                m.units_committed.get_or_create(&KindLabels { kind: kind_label(pl.snap.resource.kind) }).inc_by(units);
            }
            app.audit_by(self.actor, "hold.created", |e| {
                e.resource(home).hold(&p.id).detail(json!({"items": view["items"], "expires_at": view["expires_at"]}))
            });
            if !p.over.is_empty() {
                m.shadow_overflows.inc();
                tracing::warn!(hold = %p.id, over = ?p.over, "hold granted past capacity (shadow enforcement)");
                app.audit_by(self.actor, "hold.over_capacity", |e| e.resource(home).hold(&p.id).detail(json!({"over_capacity": p.over})));
            }
        } else {
            m.replays.inc();
        }
        Ok(Created { fresh, view })
    }

    /// Voids the shares taken in this attempt (units back, the key as if unused).
    async fn undo(&self, p: &Progress<'_>) {
        let (app, id) = (self.app, p.id.as_str());
        for resource in p.taken.iter().rev() {
            match app.store.release(resource, id, true).await {
                Ok(_) => app.audit("hold.voided", "system", "system", |e| {
                    e.resource(resource).hold(id).detail(json!({"why": "a later step of the cart was refused"}))
                }),
                Err(e) => tracing::error!(error = %e, hold = id, resource, "could not void a cart step; its units return at expiry"),
            }
        }
    }
}

/// The counter names a plan takes (its covers and every table choice).
fn plan_names(plan: &HoldPlan) -> impl Iterator<Item = String> + '_ {
    plan.takes.iter().chain(plan.choices.iter().flatten()).map(|t| t.bucket.to_string())
}
