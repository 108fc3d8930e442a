//! The drift check: every counter recomputed from the settled ledger and the live holds (in
//! Redis, atomically per resource), and every counter held against its limit from the
//! document (in the core). A counter above its limit is an oversell: the alert
//! `AforoOversellDetected` fires on it, unless the resource is in shadow enforcement, whose
//! overflows are granted on purpose (`aforo_shadow_over_buckets`). `repair` sets drifted counters to what the hold
//! records say and audits the fix; it never touches a limit.

use serde::Serialize;
use serde_json::json;

use aforo_core::Enforcement;

use crate::app::{App, Loaded};
use crate::capacity;
use crate::error::ApiError;
use crate::quota::QuotaDrift;
use crate::store::AuditEvent;

/// A counter that differed from its hold records.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// Bucket name.
    pub bucket: String,
    /// What the counter said.
    pub counter: i64,
    /// What the hold records say.
    pub expected: i64,
}

/// A counter above its limit.
#[derive(Debug, Clone, Serialize)]
pub struct Oversold {
    /// Bucket name.
    pub bucket: String,
    /// Units committed.
    pub committed: i64,
    /// The limit the document gives it.
    pub limit: u32,
}

/// One resource's findings.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Resource.
    pub resource_id: String,
    /// Counters that differed (before any repair).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
    /// Expiry entries without a live hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<String>,
    /// Counters above their limit (after any repair) that no one decided: oversells.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oversold: Vec<Oversold>,
    /// Counters above a limit the seller lowered knowingly (a forced write): not oversells.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overcommitted: Vec<Oversold>,
    /// Counters above their limit on a resource in shadow enforcement: overflows shadow
    /// granted on purpose (`aforo_shadow_over_buckets`), not oversells.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shadow: Vec<Oversold>,
    /// Whether drift was repaired.
    pub repaired: bool,
}

impl Finding {
    fn clean(&self) -> bool {
        self.drift.is_empty()
            && self.stale.is_empty()
            && self.oversold.is_empty()
            && self.overcommitted.is_empty()
            && self.shadow.is_empty()
    }
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Resources checked.
    pub checked: usize,
    /// Drifted counters found.
    pub drift_buckets: usize,
    /// Counters over their limit.
    pub oversold_buckets: usize,
    /// Whether repair was asked.
    pub repair: bool,
    /// The resources with findings.
    pub findings: Vec<Finding>,
    /// Sellers whose quota figures differ from a count of their resources (a full check
    /// only; set to the count on repair): not counted in `clean`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quota_drift: Vec<QuotaDrift>,
}

impl Report {
    /// No drift, nothing stale, nothing oversold.
    pub fn clean(&self) -> bool {
        self.findings.iter().all(Finding::clean)
    }
}

/// The counters past their limit, as (overcommitted, oversold, shadow): those the seller left
/// so knowingly, those shadow enforcement granted on purpose (every counter past its limit
/// while the resource is in shadow), and the rest: oversells. An archived resource has no
/// limits left (nothing can be taken on it).
fn past_limits(app: &App, l: &Loaded, counters: &std::collections::BTreeMap<String, i64>) -> [Vec<Oversold>; 3] {
    if l.archived_at.is_some() {
        return Default::default();
    }
    let pairs: Vec<(String, i64)> = counters.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let known = capacity::acknowledged(l.overcommitted.as_deref());
    let all = capacity::over_limits(&l.resource, &l.state, &pairs, app.now());
    let (over, rest): (Vec<_>, Vec<_>) = all
        .into_iter()
        .map(|o| Oversold { bucket: o.bucket, committed: o.committed, limit: o.limit })
        .partition(|o| known.contains(&o.bucket));
    if app.enforcement_of(&l.resource) == Enforcement::Shadow {
        [over, Vec::new(), rest]
    } else {
        [over, rest, Vec::new()]
    }
}

/// Lists a live resource again under its owner: the listings are written after each document
/// write, as a separate step (other cluster slots), so a crash between the two is mended here.
async fn reindex(app: &App, id: &str, l: &Loaded) -> Result<(), ApiError> {
    if l.archived_at.is_none() {
        app.store.index(id, &l.owner).await?;
    }
    Ok(())
}

/// Checks one resource (`only`) or all, repairing drift when asked; `actor` is audited with
/// the repair. Updates the drift and oversell gauges.
pub async fn run(app: &App, only: Option<&str>, repair: bool, actor: (&str, &str)) -> Result<Report, ApiError> {
    let ids = match only {
        Some(id) => vec![id.to_string()],
        None => app.store.resource_ids().await?,
    };
    let mut findings = Vec::new();
    for id in &ids {
        let Some(c) = app.store.check(id, repair).await? else {
            if only.is_some() {
                return Err(ApiError::ResourceNotFound(id.clone()));
            }
            continue;
        };
        let l = app.load_any(id, None).await?;
        reindex(app, id, &l).await?;
        let [overcommitted, oversold, shadow] = past_limits(app, &l, &c.counters);
        let f = Finding {
            resource_id: id.clone(),
            drift: c.drift.iter().map(|(b, have, want)| Drift { bucket: b.clone(), counter: *have, expected: *want }).collect(),
            stale: c.stale.clone(),
            oversold,
            overcommitted,
            shadow,
            repaired: repair && !(c.drift.is_empty() && c.stale.is_empty()),
        };
        if f.repaired {
            tracing::warn!(resource = %id, drifted = f.drift.len(), stale = f.stale.len(), "drift repaired");
            app.audit.record(
                AuditEvent::new("drift.repaired", actor.0, actor.1, app.now())
                    .resource(id)
                    .detail(json!({"drift": f.drift, "stale": f.stale})),
            );
        }
        if !f.oversold.is_empty() {
            tracing::error!(resource = %id, buckets = ?f.oversold.iter().map(|o| &o.bucket).collect::<Vec<_>>(), "oversell detected");
        }
        app.note_findings(id, if f.repaired { 0 } else { f.drift.len() }, f.oversold.len(), f.overcommitted.len(), f.shadow.len());
        if !f.clean() {
            findings.push(f);
        }
    }
    let mut quota_drift = Vec::new();
    if only.is_none() {
        app.note_full_check(&ids);
        quota_drift = app.recount_quotas(&ids, repair).await?;
        if !quota_drift.is_empty() {
            tracing::warn!(sellers = quota_drift.len(), repaired = repair, "seller quota figures differ from a count of their resources");
        }
    }
    Ok(Report {
        checked: ids.len(),
        drift_buckets: findings.iter().map(|f| f.drift.len()).sum(),
        oversold_buckets: findings.iter().map(|f| f.oversold.len()).sum(),
        repair,
        findings,
        quota_drift,
    })
}
