//! The sweeps this origin has put in `af:due`, so that a hold skips the `ZADD` when one is
//! already due soon enough.
//!
//! Why its own type: every hold must make sure the sweeper will look at its resource by the
//! hold's expiry, but on a busy resource nearly every hold would write the same entry again;
//! remembering what was scheduled saves that write.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::error::ApiError;
use crate::store::Store;

/// Per resource, the sweep time this origin last put in `af:due`.
#[derive(Debug, Default)]
pub struct Sweeps {
    scheduled: RwLock<HashMap<String, i64>>,
}

impl Sweeps {
    /// Makes sure the sweeper looks at `id` by `at_ms` (`now` on Redis's clock). The `ZADD LT`
    /// is skipped when this origin already scheduled an earlier sweep that is still in the
    /// future: the sweeper only removes entries once they are due, so that entry is still there.
    pub async fn schedule(&self, store: &Store, id: &str, at_ms: i64, now: i64) -> Result<(), ApiError> {
        let known = self.scheduled.read().ok().and_then(|m| m.get(id).copied());
        if known.is_some_and(|t| t <= at_ms && t > now + 1000) {
            return Ok(());
        }
        store.schedule_sweep(id, at_ms).await?;
        if let Ok(mut m) = self.scheduled.write() {
            if m.len() > 100_000 {
                m.retain(|_, t| *t > now);
            }
            let e = m.entry(id.to_string()).or_insert(at_ms);
            if *e <= now || at_ms < *e {
                *e = at_ms;
            }
        }
        Ok(())
    }
}
