//! The sweeper: returns the units of expired holds on resources nobody touches.
//!
//! Every hold schedules its resource in `af:due` at its expiry (`ZADD LT`). Each origin
//! polls that set, leases the due resources (so several origins split the work), drops the
//! lease, reclaims, and schedules the resource again at its next expiry. Dropping the lease
//! before reclaiming closes the race with a hold taken meanwhile: that hold's own `ZADD LT`
//! lands after the drop, and the reclaim sees every hold taken before it.

use std::time::Duration;

use fred::prelude::*;
use fred::types::sorted_sets::Ordering;
use tokio::sync::watch;

use super::client::{function_name, Store};
use super::compactor::{CompactConfig, Compactor};
use super::error::StoreError;
use super::keys::{ResourceKeys, DUE};

/// Sweeper settings.
#[derive(Debug, Clone, Copy)]
pub struct SweeperConfig {
    /// Time between polls.
    pub interval: Duration,
    /// Lease on a due resource.
    pub lease: Duration,
    /// Resources per poll.
    pub batch: usize,
    /// The compaction of old dates, run from this loop (none: off).
    pub compact: Option<CompactConfig>,
}

impl Default for SweeperConfig {
    fn default() -> Self {
        SweeperConfig { interval: Duration::from_millis(250), lease: Duration::from_secs(5), batch: 200, compact: None }
    }
}

/// Runs until `stop` turns true.
pub async fn run(store: Store, cfg: SweeperConfig, mut stop: watch::Receiver<bool>) {
    let mut compactor = cfg.compact.map(Compactor::new);
    let mut tick = tokio::time::interval(cfg.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        if let Err(e) = pass(&store, cfg).await {
            tracing::warn!(error = %e, "sweeper pass failed");
        }
        if let Some(c) = compactor.as_mut() {
            if let Err(e) = c.tick(&store).await {
                tracing::warn!(error = %e, "compaction step failed");
            }
        }
    }
}

/// One pass: returns how many holds were reclaimed.
pub async fn pass(store: &Store, cfg: SweeperConfig) -> Result<u64, StoreError> {
    let (lease, lag_ms, ids) = store.due_claim(cfg.lease, cfg.batch).await?;
    store.metrics().sweeper_lag.set(lag_ms as f64 / 1000.0);
    let mut reclaimed = 0;
    for id in ids {
        store.due_done(&id, lease).await?;
        let (n, next) = store.sweep(&id).await?;
        reclaimed += n;
        if let Some(at) = next {
            store.schedule_sweep(&id, at).await?;
        }
        if n > 0 {
            tracing::debug!(resource = %id, reclaimed = n, "sweeper returned expired holds");
        }
    }
    Ok(reclaimed)
}

impl Store {
    /// Schedules the sweeper to look at a resource no later than `at_ms`.
    pub async fn schedule_sweep(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        self.guarded("zadd", self.pool.next().zadd::<i64, _, _>(DUE, None, Some(Ordering::LessThan), false, false, (at_ms as f64, id)))
            .await?;
        Ok(())
    }

    /// Leases due resources: `(lease, lag_ms, ids)`, where the lag is how long the oldest
    /// entry has been due (0 when none is).
    pub async fn due_claim(&self, lease: Duration, limit: usize) -> Result<(i64, i64, Vec<String>), StoreError> {
        let out = self.fcall("aforo_due_claim", vec![DUE.to_string()], vec![lease.as_millis().to_string(), limit.to_string()]).await?;
        let lease: i64 = out.parsed(0, "lease")?;
        let now: i64 = out.parsed(1, "now")?;
        let oldest = out.text(2, "oldest")?.parse::<f64>().ok().map_or(now, |f| f as i64);
        Ok((lease, (now - oldest).max(0), out.rest(3).to_vec()))
    }

    /// Drops a lease unless a hold moved the entry meanwhile.
    pub async fn due_done(&self, id: &str, lease: i64) -> Result<(), StoreError> {
        self.guarded(
            "aforo_due_done",
            self.pool.next().fcall::<Value, _, _, _>(
                function_name("aforo_due_done"),
                vec![DUE.to_string()],
                vec![id.to_string(), lease.to_string()],
            ),
        )
        .await?;
        Ok(())
    }

    /// Reclaims a resource's expired holds: `(reclaimed, next expiry ms)`.
    pub async fn sweep(&self, id: &str) -> Result<(u64, Option<i64>), StoreError> {
        let out = self.fcall_reclaiming("aforo_sweep", id, vec![ResourceKeys::new(id).meta()], vec![]).await?;
        Ok((out.parsed(0, "reclaimed")?, out.text(1, "next")?.parse::<f64>().ok().map(|f| f as i64)))
    }
}
