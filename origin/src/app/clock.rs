//! The origin's view of Redis's clock.
//!
//! Why its own type: Redis TIME is the one clock for rules and TTLs, but a round trip per
//! request to read it would double a read's latency; the offset to the local clock, re-read
//! periodically, gives Redis's time without one.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::store::Store;

/// The offset from the local clock to Redis's, in ms.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Re-reads Redis TIME and keeps the offset to the local clock (taken at the middle of
    /// the round trip).
    pub async fn sync(&self, store: &Store) -> Result<(), ApiError> {
        let before = Utc::now().timestamp_millis();
        let redis = store.time_ms().await?;
        let after = Utc::now().timestamp_millis();
        self.offset_ms.store(redis - (before + after) / 2, Ordering::Relaxed);
        Ok(())
    }

    /// Now, on Redis's clock.
    pub fn now(&self) -> DateTime<Utc> {
        let ms = Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::Relaxed);
        DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now)
    }
}
