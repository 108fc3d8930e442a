//! Reading a resource's availability stream (docs/events.md) for `GET /v1/resources/{id}/events`:
//! short, non-blocking `XRANGE`s on the shared pool. A blocking `XREAD` would stall every other
//! command pipelined on the same connection, so a live subscriber polls instead.

use std::collections::BTreeMap;

use fred::prelude::{ClientLike, Value};

use super::audit_log::stream_entries;
use super::{ResourceKeys, Store, StoreError};

/// A stream entry: its id (`<ms>-<seq>`) and fields.
pub type StreamEntry = (String, BTreeMap<String, String>);

/// Whether `id` is a stream id `<ms>-<seq>` (what `Last-Event-ID` may carry).
pub fn valid_stream_id(id: &str) -> bool {
    let mut parts = id.split('-');
    let num = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit()));
    num(parts.next()) && num(parts.next()) && parts.next().is_none()
}

impl Store {
    /// Up to `count` entries of the resource's stream after `after` (exclusive), oldest first.
    pub async fn events_after(&self, resource: &str, after: &str, count: usize) -> Result<Vec<StreamEntry>, StoreError> {
        let key = ResourceKeys::new(resource).events();
        let args = vec![key, format!("({after}"), "+".to_string(), "COUNT".to_string(), count.to_string()];
        let client = self.pool.next();
        let v: Value = self.guarded("xrange", client.custom(fred::cmd!("XRANGE"), args)).await?;
        Ok(stream_entries(v))
    }

    /// The id of the newest entry of the resource's stream (`0-0` when it has none): where a
    /// subscriber without `Last-Event-ID` starts.
    pub async fn last_event_id(&self, resource: &str) -> Result<String, StoreError> {
        let key = ResourceKeys::new(resource).events();
        let client = self.pool.next();
        let args = vec![key, "+".to_string(), "-".to_string(), "COUNT".to_string(), "1".to_string()];
        let v: Value = self.guarded("xrevrange", client.custom(fred::cmd!("XREVRANGE"), args)).await?;
        Ok(stream_entries(v).into_iter().next().map_or_else(|| "0-0".to_string(), |e| e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::valid_stream_id;

    #[test]
    fn stream_ids_are_two_numbers() {
        for ok in ["0-0", "1764955200123-0", "1-99"] {
            assert!(valid_stream_id(ok), "{ok}");
        }
        for bad in ["", "1", "1-", "-1", "1-2-3", "a-1", "1-b", "$", "+", "(1-0", &format!("{}-0", "9".repeat(21))] {
            assert!(!valid_stream_id(bad), "{bad}");
        }
    }
}
