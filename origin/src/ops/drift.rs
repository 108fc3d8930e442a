//! The drift check: every counter recomputed from the settled ledger and the live holds (in
//! Redis, atomically per resource), and every counter held against its limit from the
//! document (in the core). A counter above its limit is an oversell: the alert
//! `AforoOversellDetected` fires on it. `repair` sets drifted counters to what the hold
//! records say and audits the fix; it never touches a limit.

use serde::Serialize;
use serde_json::json;

use crate::app::{App, Loaded};
use crate::capacity;
use crate::error::ApiError;
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
    /// Whether drift was repaired.
    pub repaired: bool,
}

impl Finding {
    fn clean(&self) -> bool {
        self.drift.is_empty() && self.stale.is_empty() && self.oversold.is_empty() && self.overcommitted.is_empty()
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
}

impl Report {
    /// No drift, nothing stale, nothing oversold.
    pub fn clean(&self) -> bool {
        self.findings.iter().all(Finding::clean)
    }
}

/// The counters past their limit: those the seller left so knowingly (overcommitted), and
/// the rest (oversold).
fn past_limits(app: &App, l: &Loaded, counters: &std::collections::BTreeMap<String, i64>) -> (Vec<Oversold>, Vec<Oversold>) {
    let pairs: Vec<(String, i64)> = counters.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let known = capacity::acknowledged(l.overcommitted.as_deref());
    let all = capacity::over_limits(&l.resource, &l.state, &pairs, app.now());
    let (over, sold): (Vec<_>, Vec<_>) = all
        .into_iter()
        .map(|o| Oversold { bucket: o.bucket, committed: o.committed, limit: o.limit })
        .partition(|o| known.contains(&o.bucket));
    (over, sold)
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
        let (overcommitted, oversold) = past_limits(app, &l, &c.counters);
        let f = Finding {
            resource_id: id.clone(),
            drift: c.drift.iter().map(|(b, have, want)| Drift { bucket: b.clone(), counter: *have, expected: *want }).collect(),
            stale: c.stale.clone(),
            oversold,
            overcommitted,
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
        app.note_findings(id, if f.repaired { 0 } else { f.drift.len() }, f.oversold.len(), f.overcommitted.len());
        if !f.clean() {
            findings.push(f);
        }
    }
    if only.is_none() {
        app.note_full_check(&ids);
    }
    Ok(Report {
        checked: ids.len(),
        drift_buckets: findings.iter().map(|f| f.drift.len()).sum(),
        oversold_buckets: findings.iter().map(|f| f.oversold.len()).sum(),
        repair,
        findings,
    })
}
