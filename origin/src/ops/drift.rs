//! The drift check: every counter recomputed from the settled ledger and the live holds (in
//! Redis, atomically per resource), and every counter held against its limit from the
//! document (in the core). A counter above its limit is an oversell: the alert
//! `AforoOversellDetected` fires on it. `repair` sets drifted counters to what the hold
//! records say and audits the fix; it never touches a limit.

use std::collections::BTreeSet;

use aforo_core::Bucket;
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use serde_json::json;

use crate::app::App;
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
    /// Counters above their limit (after any repair).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oversold: Vec<Oversold>,
    /// Whether drift was repaired.
    pub repaired: bool,
}

impl Finding {
    fn clean(&self) -> bool {
        self.drift.is_empty() && self.stale.is_empty() && self.oversold.is_empty()
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

/// The local dates a bucket can belong to (a UTC instant may be the day before locally, or a
/// seating begun the day before).
fn dates_of(b: &Bucket, tz: chrono_tz::Tz) -> Vec<NaiveDate> {
    let at = |m: i64| {
        let d = aforo_core::local_date(tz, aforo_core::from_epoch_min(m));
        vec![d - Duration::days(1), d]
    };
    match b {
        Bucket::Stock => vec![],
        Bucket::Day(d) | Bucket::Slot(d, _) => vec![*d],
        Bucket::Moment(m) | Bucket::Pace(m) | Bucket::Table(_, m) => at(*m),
    }
}

async fn oversold(app: &App, id: &str, counters: &std::collections::BTreeMap<String, i64>) -> Result<Vec<Oversold>, ApiError> {
    let l = app.load_any(id, None).await?;
    // Limits depend on the document and the stock on hand only, not on the counters.
    let snap = l.snapshot(None, Default::default(), app.now());
    let parsed: Vec<(Bucket, &String, i64)> = counters.iter().filter_map(|(k, v)| Some((k.parse::<Bucket>().ok()?, k, *v))).collect();
    let mut dates: BTreeSet<NaiveDate> = parsed.iter().flat_map(|(b, ..)| dates_of(b, l.resource.tz)).collect();
    // Any date gives the stock limit; today's is as good as another.
    dates.insert(aforo_core::today(&l.resource, snap.as_of));
    let mut limits = std::collections::BTreeMap::new();
    for d in dates {
        limits.extend(aforo_core::limits_between(&snap, d, d));
    }
    Ok(parsed
        .into_iter()
        .filter_map(|(b, name, v)| {
            let limit = *limits.get(&b)?;
            (v > i64::from(limit)).then(|| Oversold { bucket: name.clone(), committed: v, limit })
        })
        .collect())
}

/// Lists a live resource again under its owner: the listings are written after each document
/// write, as a separate step (other cluster slots), so a crash between the two is mended here.
async fn reindex(app: &App, id: &str) -> Result<(), ApiError> {
    let l = app.load_any(id, None).await?;
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
        reindex(app, id).await?;
        let f = Finding {
            resource_id: id.clone(),
            drift: c.drift.iter().map(|(b, have, want)| Drift { bucket: b.clone(), counter: *have, expected: *want }).collect(),
            stale: c.stale.clone(),
            oversold: oversold(app, id, &c.counters).await?,
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
        app.note_findings(id, if f.repaired { 0 } else { f.drift.len() }, f.oversold.len());
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
