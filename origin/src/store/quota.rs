//! Seller quotas, store side: each seller's footprint (live documents, stored document bytes)
//! in a hash of its own slot ([`super::keys::seller_quota`]), reserved before a document write
//! in one atomic step (`aforo_quota`) and settled after it with the write's exact figures.

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::keys::{seller_quota, ResourceKeys, QUOTAS_COUNTED};

/// What a resource's meta hash says of its footprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// Its owner.
    pub owner: String,
    /// Whether it is archived.
    pub archived: bool,
    /// Bytes of the stored document (an archived resource: of its summary).
    pub bytes: u64,
}

/// One seller's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Live (not archived) resources.
    pub resources: i64,
    /// Bytes of stored documents and archived summaries.
    pub bytes: i64,
}

/// A reservation refused: which quota, what is used, the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Over {
    /// `resources` or `document_bytes`.
    pub quota: &'static str,
    /// Used before this write.
    pub used: u64,
    /// The limit.
    pub limit: u64,
}

impl Store {
    /// The owner, archived flag and document bytes of a resource; `None` when there is none.
    pub async fn footprint(&self, id: &str) -> Result<Option<Footprint>, StoreError> {
        let meta = ResourceKeys::new(id).meta();
        let c = self.pool.next();
        let f: Vec<Option<String>> = self.guarded("hmget", c.hmget(&meta, vec!["owner", "archived"])).await?;
        let Some(owner) = f.first().cloned().flatten() else { return Ok(None) };
        let bytes: u64 = self.guarded("hstrlen", c.hstrlen(&meta, "doc")).await?;
        Ok(Some(Footprint { owner, archived: f.get(1).is_some_and(Option::is_some), bytes }))
    }

    /// Adds `delta` to `owner`'s figures in one atomic step. With `limits` (resources, bytes),
    /// a delta that grows a figure past its limit is refused whole (`Err(Over)`); figures
    /// never go below 0. Answers the figures after it.
    pub async fn quota(&self, owner: &str, delta: Usage, limits: Option<(u64, u64)>) -> Result<Result<Usage, Over>, StoreError> {
        let (r, b) = limits.map_or((String::new(), String::new()), |(r, b)| (r.to_string(), b.to_string()));
        let args = vec![delta.resources.to_string(), delta.bytes.to_string(), r, b];
        let out = self.fcall("aforo_quota", vec![seller_quota(owner)], args).await?;
        match out.tag() {
            Some("ok") => Ok(Ok(Usage { resources: out.parsed(1, "resources")?, bytes: out.parsed(2, "bytes")? })),
            Some("over") => {
                let quota = if out.text(1, "quota")? == "resources" { "resources" } else { "document_bytes" };
                Ok(Err(Over { quota, used: out.parsed(2, "used")?, limit: out.parsed(3, "limit")? }))
            }
            _ => Err(out.unexpected()),
        }
    }

    /// `owner`'s figures as stored.
    pub async fn usage(&self, owner: &str) -> Result<Usage, StoreError> {
        let f: Vec<Option<i64>> = self.guarded("hmget", self.pool.next().hmget(seller_quota(owner), vec!["resources", "bytes"])).await?;
        let at = |i: usize| f.get(i).copied().flatten().unwrap_or(0);
        Ok(Usage { resources: at(0), bytes: at(1) })
    }

    /// Whether every seller's figures were counted once on this Redis.
    pub async fn quotas_counted(&self) -> Result<bool, StoreError> {
        self.guarded("exists", self.pool.next().exists::<i64, _>(QUOTAS_COUNTED)).await.map(|n| n > 0)
    }

    /// Records that every seller's figures were counted.
    pub async fn mark_quotas_counted(&self) -> Result<(), StoreError> {
        self.guarded("set", self.pool.next().set::<(), _, _>(QUOTAS_COUNTED, "1", None, None, false)).await
    }

    /// Brings a resource archived before summaries to what an archive keeps now: its document
    /// gives way to `summary`; its counters (but the version), settled ledger and event stream
    /// go. Nothing else writes an archived resource, so these are plain commands.
    pub async fn trim_archived(&self, id: &str, summary: &str) -> Result<(), StoreError> {
        let k = ResourceKeys::new(id);
        let c = self.pool.next();
        let version: Option<String> = self.guarded("hget", c.hget(k.meta(), "version")).await?;
        let _: () = self.guarded("hset", c.hset(k.meta(), [("doc", summary)])).await?;
        let _: i64 = self.guarded("hdel", c.hdel(k.meta(), vec!["on_hand", "pause", "overcommitted"])).await?;
        let _: i64 = self.guarded("unlink", c.unlink(vec![k.counters(), k.settled(), k.events()])).await?;
        if let Some(v) = version {
            let _: () = self.guarded("hset", c.hset(k.counters(), [("~v", v)])).await?;
        }
        Ok(())
    }

    /// Sets `owner`'s figures (a recount by the drift check's repair).
    pub async fn set_usage(&self, owner: &str, u: Usage) -> Result<(), StoreError> {
        let c = self.pool.next();
        let pairs = [("resources", u.resources.to_string()), ("bytes", u.bytes.to_string())];
        self.guarded("hset", c.hset::<(), _, _>(seller_quota(owner), pairs.to_vec())).await
    }
}
