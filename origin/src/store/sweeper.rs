//! The sweeper: returns the units of expired holds on resources nobody touches.
//!
//! Every hold schedules its resource in `af:due` at its expiry (`ZADD LT`). Each origin
//! polls that set, leases the due resources (so several origins split the work), drops the
//! lease, reclaims, and schedules the resource again at its next expiry. Dropping the lease
//! before reclaiming closes the race with a hold taken meanwhile: that hold's own `ZADD LT`
//! lands after the drop, and the reclaim sees every hold taken before it.

use std::time::Duration;

use tokio::sync::watch;

use super::Store;

/// Sweeper settings.
#[derive(Debug, Clone, Copy)]
pub struct SweeperConfig {
    /// Time between polls.
    pub interval: Duration,
    /// Lease on a due resource.
    pub lease: Duration,
    /// Resources per poll.
    pub batch: usize,
}

impl Default for SweeperConfig {
    fn default() -> Self {
        SweeperConfig { interval: Duration::from_millis(250), lease: Duration::from_secs(5), batch: 200 }
    }
}

/// Runs until `stop` turns true.
pub async fn run(store: Store, cfg: SweeperConfig, mut stop: watch::Receiver<bool>) {
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
    }
}

/// One pass: returns how many holds were reclaimed.
pub async fn pass(store: &Store, cfg: SweeperConfig) -> Result<u64, super::StoreError> {
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
