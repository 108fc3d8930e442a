//! Planning a hold with the core: the items grouped by resource, each group planned against
//! a snapshot of its resource (counters read only when the price depends on them).

use aforo_core::plan_hold;
use aforo_core::{HoldItem, HoldPlan, HoldRequest, PlanError, Snapshot};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::error::ApiError;
use crate::store::BuyerShare;

/// Plans made against a document that kept changing are given up after this many.
pub const ATTEMPTS: usize = 3;

/// The problem a refused plan is, naming the cart item (`item`) when there are several.
pub fn plan_err(e: PlanError, item: Option<usize>) -> ApiError {
    match e {
        PlanError::Rule { code, detail } => ApiError::Rule { code, detail, item },
        PlanError::InvalidItem(s) => ApiError::InvalidRequest(match item {
            Some(i) => format!("items[{i}].{s}"),
            None => s,
        }),
    }
}

/// One resource's share of a request.
#[derive(Debug, Clone)]
pub struct Group {
    /// The resource.
    pub resource: String,
    /// (index in the request, item)
    pub items: Vec<(usize, HoldItem)>,
}

/// The items grouped by resource, in the order each resource first appears.
pub fn group(items: &[HoldItem]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match out.iter_mut().find(|g| g.resource == it.resource_id) {
            Some(g) => g.items.push((i, it.clone())),
            None => out.push(Group { resource: it.resource_id.clone(), items: vec![(i, it.clone())] }),
        }
    }
    out
}

/// The hash of a request's items (the idempotency check).
pub fn payload_hash(req: &HoldRequest) -> String {
    // The guest counts when there is one: the same key with other details is another request.
    match &req.guest {
        None => hash_of(&req.items),
        Some(g) => hash_of(&(&req.items, g)),
    }
}

/// The idempotency hash of a payload: 16 bytes of the SHA-256 of its JSON, in hex.
pub fn hash_of<T: serde::Serialize + ?Sized>(v: &T) -> String {
    let canonical = serde_json::to_vec(v).unwrap_or_default();
    Sha256::digest(&canonical).iter().take(16).map(|b| format!("{b:02x}")).collect()
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

/// A group planned: the snapshot it was planned on and each item's plan.
#[derive(Debug)]
pub struct Planned {
    /// The snapshot (its version is the one the store must still have).
    pub snap: Snapshot,
    /// (index in the request, plan)
    pub plans: Vec<(usize, HoldPlan)>,
}

/// Plans every item of a group; `multi` names the refused item in the problem.
pub async fn plan_group(app: &App, g: &Group, multi: bool) -> Result<Planned, ApiError> {
    let snap = plan_snapshot(app, g).await?;
    let now = app.now();
    let mut plans = Vec::with_capacity(g.items.len());
    for (i, it) in &g.items {
        let p = plan_hold(&snap, it, now).map_err(|e| plan_err(e, multi.then_some(*i)))?;
        plans.push((*i, p));
    }
    let total: u64 = plans.iter().map(|(_, p)| u64::from(p.qty)).sum();
    aforo_core::check_total_qty(&snap.resource, total).map_err(|e| plan_err(e, None))?;
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

/// What the plans of one resource add to buyer `buyer`'s counters (`per_buyer`).
pub fn buyer_share(snap: &Snapshot, buyer: &str, plans: &[(usize, HoldPlan)]) -> BuyerShare {
    let limits = snap.resource.per_buyer;
    let mut dates: Vec<(String, u32)> = Vec::new();
    if limits.max_units_per_date.is_some() {
        for (_, p) in plans {
            let d = p.date.map_or_else(|| "all".to_string(), |d| d.to_string());
            match dates.iter_mut().find(|(x, _)| *x == d) {
                Some((_, n)) => *n = n.saturating_add(p.qty),
                None => dates.push((d, p.qty)),
            }
        }
    }
    BuyerShare {
        buyer: buyer.to_string(),
        units: plans.iter().map(|(_, p)| p.qty).fold(0, u32::saturating_add),
        max_held: limits.max_held_units,
        dates,
        max_per_date: limits.max_units_per_date.unwrap_or(u32::MAX),
    }
}

/// The refusal of a take on a buyer's own counter (`~h:`, `~u:`), if `bucket` is one.
pub fn buyer_refusal(resource: &str, bucket: &str, have: u64, limit: u64) -> Option<ApiError> {
    let (limit_name, what) = match bucket.get(..3)? {
        "~h:" => ("max_held_units", "held at once".to_string()),
        "~u:" => {
            let date = bucket[3..].split(':').next().unwrap_or_default();
            ("max_units_per_date", if date == "all" { "in all".to_string() } else { format!("on {date}") })
        }
        _ => return None,
    };
    Some(ApiError::BuyerLimit {
        detail: format!("one buyer may have at most {limit} units of {resource} {what} (per_buyer.{limit_name}); you have {have}"),
        limit_name,
        used: have,
        limit,
    })
}
