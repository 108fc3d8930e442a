//! The shared read-only switch, as this origin last saw it.
//!
//! Why its own type: ops switch writes off for every origin on one Redis at once (a key in
//! Redis); each origin keeps the last value it read so that a write is refused without a
//! round trip, and follows a change within its refresh period.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{Mode, Store};

/// Whether writes are off, and the gauge that shows it.
#[derive(Debug)]
pub struct WriteMode {
    read_only: AtomicBool,
    metrics: Arc<Metrics>,
}

impl WriteMode {
    /// Writable until the switch is first read.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        WriteMode { read_only: AtomicBool::new(false), metrics }
    }

    /// Errs with 503 READ_ONLY while ops have switched writes off.
    pub fn writable(&self) -> Result<(), ApiError> {
        if self.read_only.load(Ordering::Relaxed) {
            return Err(ApiError::ReadOnly);
        }
        Ok(())
    }

    fn apply(&self, m: &Mode) {
        let was = self.read_only.swap(m.read_only, Ordering::Relaxed);
        self.metrics.read_only.set(i64::from(m.read_only));
        if was != m.read_only {
            tracing::warn!(read_only = m.read_only, by = ?m.by, reason = ?m.reason, "write mode changed");
        }
    }

    /// Re-reads the shared switch from Redis.
    pub async fn refresh(&self, store: &Store) -> Result<Mode, ApiError> {
        let m = store.mode().await?;
        self.apply(&m);
        Ok(m)
    }

    /// Sets the shared switch (every origin on this Redis follows within its refresh period).
    pub async fn set(&self, store: &Store, m: Mode) -> Result<Mode, ApiError> {
        store.set_mode(&m).await?;
        self.apply(&m);
        Ok(m)
    }
}
