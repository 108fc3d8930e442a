//! The read-only switch every origin on this Redis follows.

use std::collections::HashMap;

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::keys::MODE;
use super::records::Mode;

impl Store {
    /// The read-only switch.
    pub async fn mode(&self) -> Result<Mode, StoreError> {
        let h: HashMap<String, String> = self.guarded("hgetall", self.pool.next().hgetall(MODE)).await?;
        Ok(Mode::parse(h))
    }

    /// Sets the read-only switch for every origin on this Redis.
    pub async fn set_mode(&self, m: &Mode) -> Result<(), StoreError> {
        let fields = vec![
            ("read_only", if m.read_only { "1" } else { "0" }.to_string()),
            ("reason", m.reason.clone().unwrap_or_default()),
            ("by", m.by.clone().unwrap_or_default()),
            ("since", m.since.clone().unwrap_or_default()),
        ];
        self.guarded("hset", self.pool.next().hset::<(), _, _>(MODE, fields)).await
    }
}
