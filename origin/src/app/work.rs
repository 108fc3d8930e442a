//! Heavy work: which reads are heavy, the permits they wait for, and where they run.
//!
//! Why its own file: a read's CPU cost decides both whether it queues for a permit (per caller
//! or client address, `crate::admission::shares`) and whether it leaves the async workers for
//! the blocking pool; both follow the one threshold kept here.

use crate::admission::shares::Permit;
use crate::admission::Admission;
use crate::error::ApiError;
use crate::metrics::{Metrics, ReasonLabels};

/// Work (counters a read names, or evaluation steps of its dates: `aforo_core::limits`) from
/// which a read is heavy: it takes a permit and computes on the blocking pool. About 5–10 ms
/// of CPU in release (a one-year calendar of an ordinary restaurant); below it the hand-off
/// costs more than it saves.
pub const HEAVY_WORK: usize = 200_000;

/// Admits a read of about `work` units for `key` (a caller, or a client address): a heavy
/// one waits for one of the `AFORO_HEAVY_READS` permits and keeps it until it has answered
/// (or its request timed out), so that heavy reads run a few at a time, each to its end,
/// rather than all interleaved and all late; each key has at most its share of them
/// waiting or running (`crate::admission::shares`: 429 beyond its own queue unless
/// `patient`); a light one needs none.
pub async fn admit(
    admission: &Admission,
    metrics: &Metrics,
    work: usize,
    (key, patient): (String, bool),
) -> Result<Option<Permit>, ApiError> {
    if work < HEAVY_WORK {
        return Ok(None);
    }
    let permit = admission.heavy.acquire(&key, patient).await;
    if permit.is_err() {
        metrics.admission_refused.get_or_create(&ReasonLabels { reason: "heavy_share".into() }).inc();
    }
    permit.map(Some)
}

/// Runs CPU work of about `work` units: heavy work on the blocking pool, so that the async
/// workers keep answering everyone else. Work that has started runs to its end even when
/// its request times out; the document limits bound it (docs/limits.md).
pub async fn compute<T: Send + 'static>(work: usize, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    if work < HEAVY_WORK {
        return Ok(f());
    }
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("a computation failed: {e}")))
}
