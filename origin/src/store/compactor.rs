//! The compaction of old dates, driven from the sweeper's loop: a round every `every` (one
//! origin at a time, under a lease) walks every resource, first bringing records made before
//! the bookings index up to date (once), then dropping what is older than the retention, a
//! few bounded steps per sweeper tick so that expiry reclaim is never held up.

use std::time::{Duration, Instant};

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::keys::COMPACT_LEASE;

/// Compaction settings.
#[derive(Debug, Clone, Copy)]
pub struct CompactConfig {
    /// Time between rounds.
    pub every: Duration,
    /// Days a booking is kept after its date (and what older dates are dropped after).
    pub retention_d: u32,
    /// Moves Redis's clock forward for compaction only (tests and benchmarks).
    pub offset_ms: i64,
    /// Fields, members or entries one step looks at, at most.
    pub budget: usize,
    /// Steps per sweeper tick, at most.
    pub steps_per_tick: usize,
}

impl CompactConfig {
    /// How long a consumed booking is kept after the end of its date.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.retention_d) * 86_400)
    }
}

/// Where the current round stands.
#[derive(Debug)]
pub struct Compactor {
    cfg: CompactConfig,
    queue: Vec<String>,
    next_round: Instant,
}

impl Compactor {
    /// A compactor whose first round starts at once.
    pub fn new(cfg: CompactConfig) -> Self {
        Compactor { cfg, queue: Vec::new(), next_round: Instant::now() }
    }

    /// A few bounded steps: starts a round when one is due (and the lease is ours), then
    /// goes on with the resource at the head of the round. Answers what was dropped.
    pub async fn tick(&mut self, store: &Store) -> Result<u64, StoreError> {
        if self.queue.is_empty() {
            if Instant::now() < self.next_round {
                return Ok(0);
            }
            self.next_round = Instant::now() + self.cfg.every;
            let lease_ms = self.cfg.every.as_millis().max(1).to_string();
            let args = vec![COMPACT_LEASE.to_string(), ulid::Ulid::new().to_string(), "NX".into(), "PX".into(), lease_ms];
            let got: Value = store.guarded("set", store.pool.next().custom(fred::cmd!("SET"), args)).await?;
            if got.is_null() {
                return Ok(0);
            }
            self.queue = store.resource_ids().await?;
            self.queue.reverse();
        }
        let mut dropped = 0;
        for _ in 0..self.cfg.steps_per_tick {
            let Some(id) = self.queue.last().cloned() else { break };
            if !store.upgrade_step(&id, self.cfg.retention(), 200).await? {
                continue;
            }
            let c = store.compact_step(&id, self.cfg.retention_d, self.cfg.budget, self.cfg.offset_ms).await?;
            dropped += c.dropped;
            if c.done {
                self.queue.pop();
            }
        }
        if dropped > 0 {
            tracing::debug!(dropped, "compaction dropped old dates");
        }
        Ok(dropped)
    }
}
