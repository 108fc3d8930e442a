//! The switches every origin on this Redis follows: read-only mode, default enforcement.

use std::collections::HashMap;

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::keys::{ENFORCEMENT, MODE};
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

    /// The deployment's default enforcement: `Some(true)` for shadow, `None` when never set.
    pub async fn shadow_default(&self) -> Result<Option<bool>, StoreError> {
        let v: Option<String> = self.guarded("get", self.pool.next().get(ENFORCEMENT)).await?;
        Ok(v.map(|v| v == "shadow"))
    }

    /// Sets the deployment's default enforcement.
    pub async fn set_shadow_default(&self, shadow: bool) -> Result<(), StoreError> {
        let v = if shadow { "shadow" } else { "enforce" };
        self.guarded("set", self.pool.next().set::<(), _, _>(ENFORCEMENT, v, None, None, false)).await
    }
}
