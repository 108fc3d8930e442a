//! The hourly SLO roll-ups (`obs::rollup`): one hash per UTC hour, added to by every origin,
//! kept [`KEEP`] after its last addition.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;

/// How long an hour's roll-up is kept after its last addition: 400 days.
pub const KEEP: Duration = Duration::from_secs(400 * 86_400);

/// The key of Unix hour `hour` (`af:slo:h:<hour>`): one per hour, each expiring.
pub fn hour_key(hour: i64) -> String {
    format!("af:slo:h:{hour}")
}

/// Adds the fields and renews the key's lifetime, all or nothing.
const ADD: &str = "for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end \
                   redis.call('EXPIRE', KEYS[1], ARGV[1]) return 1";

impl Store {
    /// Adds one hour's figures (see `obs::rollup`).
    pub async fn slo_add(&self, hour: i64, fields: &BTreeMap<String, i64>) -> Result<(), StoreError> {
        let mut args = vec![KEEP.as_secs().to_string()];
        for (k, v) in fields {
            args.push(k.clone());
            args.push(v.to_string());
        }
        self.guarded("slo_add", self.pool.next().eval::<i64, _, _, _>(ADD, vec![hour_key(hour)], args)).await?;
        Ok(())
    }

    /// The roll-ups of hours `from..to` that exist.
    pub async fn slo_hours(&self, from: i64, to: i64) -> Result<BTreeMap<i64, HashMap<String, i64>>, StoreError> {
        let client = self.pool.next().clone();
        let hours: Vec<i64> = (from..to).collect();
        let got: Vec<HashMap<String, i64>> = self
            .guarded("slo_hours", async move {
                let p = client.pipeline();
                for h in &hours {
                    let _: () = p.hgetall(hour_key(*h)).await?;
                }
                p.try_all::<Value>().await.into_iter().map(|v| v.and_then(|v| v.convert::<HashMap<String, i64>>())).collect()
            })
            .await?;
        Ok((from..to).zip(got).filter(|(_, f)| !f.is_empty()).collect())
    }
}
