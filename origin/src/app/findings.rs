//! The drift check's findings, per resource, summed into gauges.
//!
//! Why its own type: the check runs one resource at a time (and a full pass now and then), but
//! alerts read totals; keeping each resource's last counts lets a clean resource drop out of
//! the totals and a deleted one be forgotten after a full pass.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::metrics::Metrics;

/// Per resource, its (drifted, oversold, overcommitted, shadow-over) buckets at its last check.
#[derive(Debug)]
pub struct Findings {
    by_resource: Mutex<HashMap<String, [usize; 4]>>,
    metrics: Arc<Metrics>,
}

impl Findings {
    /// No findings yet; the sums go to `metrics`' gauges.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Findings { by_resource: Mutex::new(HashMap::new()), metrics }
    }

    /// Records one resource's check results and refreshes the gauges.
    pub fn note(&self, id: &str, drift: usize, oversold: usize, overcommitted: usize, shadow: usize) {
        let mut f = self.by_resource.lock().unwrap_or_else(|p| p.into_inner());
        if drift == 0 && oversold == 0 && overcommitted == 0 && shadow == 0 {
            f.remove(id);
        } else {
            f.insert(id.to_string(), [drift, oversold, overcommitted, shadow]);
        }
        self.publish(&f);
    }

    /// After a full check: forget findings of resources no longer present (`ids` sorted).
    pub fn note_full_check(&self, ids: &[String]) {
        let mut f = self.by_resource.lock().unwrap_or_else(|p| p.into_inner());
        f.retain(|k, _| ids.binary_search(k).is_ok());
        self.publish(&f);
    }

    fn publish(&self, f: &HashMap<String, [usize; 4]>) {
        let sum = |i: usize| f.values().map(|v| v[i] as i64).sum();
        self.metrics.drift_buckets.set(sum(0));
        self.metrics.oversold_buckets.set(sum(1));
        self.metrics.overcommitted_buckets.set(sum(2));
        self.metrics.shadow_over_buckets.set(sum(3));
    }
}
