//! The last figures this origin read per resource, kept [`KEEP`], for the degraded answers of
//! validate-stock when the store cannot answer (API.md, "Adoption, degraded answers").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_core::Snapshot;

/// How long a figure may be served once the store stops answering.
pub const KEEP: Duration = Duration::from_secs(30);

/// Resources kept at most before stale entries are dropped on the next write.
const PRUNE_OVER: usize = 10_000;

/// Per resource, the last snapshot read and when (this origin's monotonic clock).
#[derive(Debug, Default)]
pub struct LastKnown {
    map: Mutex<HashMap<String, (Instant, Arc<Snapshot>)>>,
}

impl LastKnown {
    /// Keeps `snap` as its resource's last known figures.
    pub fn put(&self, snap: Arc<Snapshot>) {
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if m.len() >= PRUNE_OVER {
            m.retain(|_, (at, _)| now.duration_since(*at) < KEEP);
        }
        m.insert(snap.resource_id.clone(), (now, snap));
    }

    /// The resource's last known figures, if read less than [`KEEP`] ago.
    pub fn get(&self, id: &str) -> Option<Arc<Snapshot>> {
        let m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        m.get(id).filter(|(at, _)| at.elapsed() < KEEP).map(|(_, s)| s.clone())
    }
}
