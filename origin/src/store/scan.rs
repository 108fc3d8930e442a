//! Reading a whole counter hash in parts, for long reads of sparse counters.
//!
//! A year of a restaurant with numbered tables names hundreds of thousands of counters (every
//! table at every seating instant of every date), while the hash holds only those a hold ever
//! took. When the hash is much smaller than the names, scanning it (`HSCAN`, 2,000 fields a
//! call) is fewer and shorter Redis calls than looking every name up, with only the
//! counters that exist coming back.

use std::collections::HashMap;

use fred::prelude::*;
use fred::types::Value;

use super::client::Store;
use super::error::StoreError;

/// A read scans the hash instead of naming its counters when it names this many times more
/// counters than the hash holds.
pub const SCAN_FACTOR: usize = 4;

/// Fields asked of one `HSCAN` call (about a millisecond of Redis, as a part of a named read).
const SCAN_PART: i64 = 2_000;

impl Store {
    /// The number of fields of a hash.
    pub(super) async fn hash_len(&self, key: &str) -> Result<usize, StoreError> {
        self.guarded("hlen", self.pool.next().hlen::<usize, _>(key)).await
    }

    /// Every field of a hash, read with `HSCAN` in parts of about 2,000 fields. A field
    /// present throughout the scan is returned (maybe twice: the map keeps one); one written
    /// during it may be missed, as a counter changed between the parts of a named read is.
    pub(super) async fn scan_hash(&self, key: &str) -> Result<HashMap<String, String>, StoreError> {
        let mut out = HashMap::new();
        let mut cursor = "0".to_string();
        loop {
            let args: Vec<Value> = vec![key.into(), cursor.as_str().into(), "COUNT".into(), SCAN_PART.into()];
            let reply: Value = self.guarded("hscan", self.pool.next().custom(fred::cmd!("HSCAN"), args)).await?;
            let bad = |why: &str| StoreError::Reply("hscan", why.to_string());
            let Value::Array(mut parts) = reply else { return Err(bad("not an array")) };
            if parts.len() != 2 {
                return Err(bad("not [cursor, fields]"));
            }
            let fields = parts.pop().and_then(|v| v.into_array().into_iter().map(|x| x.as_string()).collect::<Option<Vec<String>>>());
            let fields = fields.ok_or_else(|| bad("fields"))?;
            for kv in fields.chunks_exact(2) {
                out.insert(kv[0].clone(), kv[1].clone());
            }
            cursor = parts.pop().and_then(|v| v.as_string()).ok_or_else(|| bad("cursor"))?;
            if cursor == "0" {
                return Ok(out);
            }
        }
    }
}
