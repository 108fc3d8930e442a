//! The store's memory as Redis reports it (`INFO memory`): what the memory loop polls, the
//! health report shows and the shedding of non-booking writes is decided on.

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;

/// Redis's memory figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// `used_memory`, bytes.
    pub used: u64,
    /// `maxmemory`, bytes (0: no ceiling set).
    pub max: u64,
}

impl Memory {
    /// `used / max`; 0 without a ceiling.
    pub fn ratio(&self) -> f64 {
        if self.max == 0 {
            0.0
        } else {
            self.used as f64 / self.max as f64
        }
    }

    /// Reads the figures out of an `INFO memory` text.
    pub fn parse(info: &str) -> Option<Memory> {
        let field = |name: &str| {
            info.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')).and_then(|v| v.trim().parse::<u64>().ok()))
        };
        Some(Memory { used: field("used_memory")?, max: field("maxmemory")? })
    }
}

impl Store {
    /// `INFO memory` of the node the pool's next connection talks to (on a cluster, one
    /// node: every node has its own ceiling).
    pub async fn memory(&self) -> Result<Memory, StoreError> {
        let v: Value = self.guarded("info", self.pool.next().custom(fred::cmd!("INFO"), vec!["memory"])).await?;
        let text = v.as_string().unwrap_or_default();
        Memory::parse(&text).ok_or_else(|| StoreError::Reply("info", "no used_memory or maxmemory in INFO memory".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_memory_parses_and_a_missing_ceiling_is_ratio_zero() {
        let m = Memory::parse("# Memory\r\nused_memory:900\r\nused_memory_human:900B\r\nmaxmemory:1000\r\nmaxmemory_human:1000B\r\n");
        assert_eq!(m, Some(Memory { used: 900, max: 1000 }));
        assert!((m.map(|m| m.ratio()).unwrap_or_default() - 0.9).abs() < 1e-9);
        assert_eq!(Memory { used: 5, max: 0 }.ratio(), 0.0);
        assert_eq!(Memory::parse("used_memory_rss:1\r\n"), None);
    }
}
