//! The drift check's store side: recompute a resource's counters from its settled ledger and
//! live holds (in one atomic step), and list every resource.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::Deserialize;

use super::client::Store;
use super::error::StoreError;
use super::keys::{resource_of_meta, ResourceKeys, META_PATTERN};

/// What the library found on one resource.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Checked {
    /// `(bucket, counter, expected)` where they differ (before repair).
    #[serde(default)]
    pub drift: Vec<(String, i64, i64)>,
    /// Expiry entries with no live hold behind them.
    #[serde(default)]
    pub stale: Vec<String>,
    /// Non-zero counters after the check (and the repair, if any).
    #[serde(default)]
    pub counters: BTreeMap<String, i64>,
}

impl Store {
    /// Checks (and with `repair`, fixes) one resource; `None` when it does not exist.
    pub async fn check(&self, id: &str, repair: bool) -> Result<Option<Checked>, StoreError> {
        let k = ResourceKeys::new(id);
        let keys = vec![k.meta(), k.counters(), k.expiry(), k.settled()];
        let out = self.fcall_reclaiming("aforo_check", id, keys, vec![if repair { "1" } else { "0" }.into()]).await?;
        match out.tag() {
            Some("ok") => {
                let raw = out.text(1, "report")?;
                serde_json::from_str(raw).map(Some).map_err(|e| StoreError::Reply("aforo_check", format!("{e}: {raw}")))
            }
            Some("not_found") => Ok(None),
            _ => Err(out.unexpected()),
        }
    }

    /// Every resource id, on a single Redis or across a cluster's primaries.
    pub async fn resource_ids(&self) -> Result<Vec<String>, StoreError> {
        let client = self.pool.next().clone();
        let keys: Vec<Result<fred::types::Key, fred::error::Error>> = if self.clustered {
            client.scan_cluster_buffered(META_PATTERN, Some(500), None).collect().await
        } else {
            client.scan_buffered(META_PATTERN, Some(500), None).collect().await
        };
        let mut ids = Vec::with_capacity(keys.len());
        for k in keys {
            let k = k?;
            if let Some(id) = k.as_str().and_then(resource_of_meta) {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}
