//! A booking's guest in Redis (`aforo_guest`): set on each part of a hold, or erased where it
//! matches a request for erasure, never writing to a record that is gone.

use aforo_core::Guest;
use fred::prelude::*;
use futures::TryStreamExt;

use super::client::Store;
use super::error::StoreError;
use super::holds::to_json;
use super::keys::ResourceKeys;

/// Who a request for erasure names: any of them matches (empty fields match nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    /// An email, any case.
    pub email: String,
    /// A phone, its digits and `+` only.
    pub phone: String,
    /// A buyer's `sub`: every guest of its bookings.
    pub buyer: String,
}

impl Erasure {
    fn wire(&self) -> String {
        format!("{}\n{}\n{}", self.email.to_lowercase(), self.phone, self.buyer)
    }
}

impl Store {
    /// Replaces the guest of hold `hold_id`'s part on `resource` (`None` erases it); `false`
    /// when there is no such part.
    pub async fn set_guest(&self, resource: &str, hold_id: &str, guest: Option<&Guest>) -> Result<bool, StoreError> {
        let key = ResourceKeys::new(resource).hold(hold_id);
        let args = match guest {
            Some(g) => vec![to_json(g)?, g.search_text(), String::new(), String::new()],
            None => vec![String::new(); 4],
        };
        Ok(self.fcall("aforo_guest", vec![key], args).await?.parsed::<i64>(0, "changed")? == 1)
    }

    /// Erases every guest `who` matches, on every hold record of the store (a `SCAN` of the
    /// whole keyspace, a page at a time: an operator's step, not a request path). Answers how
    /// many records changed.
    pub async fn erase_guests(&self, who: &Erasure) -> Result<u64, StoreError> {
        let c = self.pool.next();
        let pattern = "af:{r:*}:h:*";
        let keys: Vec<Key> = if c.is_clustered() {
            c.scan_cluster_buffered(pattern, Some(1000), None).try_collect().await?
        } else {
            c.scan_buffered(pattern, Some(1000), None).try_collect().await?
        };
        let mut n = 0;
        for k in keys {
            let Some(key) = k.as_str().map(String::from) else { continue };
            let args = vec![String::new(), String::new(), "if".to_string(), who.wire()];
            n += self.fcall("aforo_guest", vec![key], args).await?.parsed::<u64>(0, "changed")?;
        }
        Ok(n)
    }
}
