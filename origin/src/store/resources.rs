//! A resource's document and counters: its meta hash, the counters a read names, document
//! writes, stock adjustments, pauses.

use std::collections::HashMap;

use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::keys::{owned_by, ResourceKeys, RESOURCES};
use super::records::Meta;
use super::reply::{ArchiveReply, PutReply, StockReply};
use super::scan::SCAN_FACTOR;

/// A document write.
#[derive(Debug, Clone)]
pub struct DocWrite<'a> {
    /// The document as stored (canonical JSON).
    pub doc: &'a str,
    /// Who writes it (the owner of a new resource).
    pub caller: &'a str,
    /// Operators may replace another seller's document.
    pub is_ops: bool,
    /// Base stock on hand, for a document with stock.
    pub on_hand: Option<u32>,
    /// `If-Match`: the version the writer read, or `*` for any stored version.
    pub if_match: Option<&'a str>,
    /// The committed counters with the limits of the new document, checked in the write.
    pub checks: Vec<(String, u32)>,
    /// Fields of the counter hash when they were read (`None`: no check).
    pub fields: Option<usize>,
    /// Counters past their new limit are accepted (and recorded as overcommitted).
    pub force: bool,
}

/// A stock change.
#[derive(Debug, Clone)]
pub struct StockChange<'a> {
    /// `delta` adds `n`; otherwise on hand is set to `n`.
    pub delta: bool,
    /// The figure.
    pub n: i64,
    /// Below what is committed is allowed.
    pub force: bool,
    /// The caller's idempotency key, if any.
    pub key: Option<IdempotencyKey<'a>>,
}

/// A caller's `Idempotency-Key` on a write, with what it covers.
#[derive(Debug, Clone)]
pub struct IdempotencyKey<'a> {
    /// The caller's `sub`: keys of two callers never meet.
    pub caller: &'a str,
    /// The key.
    pub key: &'a str,
    /// Hash of the payload: the same key with another payload is refused.
    pub payload_hash: &'a str,
    /// How long the answer is kept for retries.
    pub ttl: std::time::Duration,
}

/// Most counters one read call fetches (about a millisecond of Redis).
pub const READ_PART: usize = 2_000;

/// Counters read by the library's `read` itself (Lua copies each value twice: kept small).
pub const READ_FIRST: usize = 256;

/// The field of the counter hash that holds the document version.
const VERSION_FIELD: &str = "~v";

/// Parts of one read sent at once.
const READ_PARTS_IN_FLIGHT: usize = 8;

/// Reads of every part before a read whose parts saw different versions is answered anyway.
const READ_ATTEMPTS: u32 = 3;

impl Store {
    /// The meta hash of a resource, if it exists.
    pub async fn meta(&self, id: &str) -> Result<Option<Meta>, StoreError> {
        let h: HashMap<String, String> = self.guarded("hgetall", self.pool.next().hgetall(ResourceKeys::new(id).meta())).await?;
        Meta::parse(h)
    }

    /// Reclaims expired holds and reads counters: `(redis now ms, version, values)`;
    /// `None` when the resource does not exist.
    ///
    /// The library's `read` reclaims expired holds, answers Redis's time and the version and,
    /// when the counter hash is small and has fewer fields than the read names, all of it (one
    /// short call whatever the span asked).
    /// Otherwise it answers the first [`READ_FIRST`] names and the rest are plain `HMGET`s of
    /// [`READ_PART`] names and the version, a few in flight at a time, so that a year of a
    /// large document is many short calls rather than one that stalls Redis for everyone.
    /// When the hash holds far fewer fields than the rest names (sparse counters, a long
    /// span), the whole hash is scanned instead ([`super::scan`]).
    /// Parts that saw different versions (a document change between them) are read again; the
    /// answer carries the time of the first part.
    pub async fn read(&self, id: &str, buckets: Vec<String>) -> Result<Option<(i64, u64, Vec<u32>)>, StoreError> {
        let k = ResourceKeys::new(id);
        let counters = k.counters();
        let (first, rest) = buckets.split_at(buckets.len().min(READ_FIRST));
        let parse = |v: &str| v.parse::<i64>().unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut args = Vec::with_capacity(first.len() + 1);
            args.push(buckets.len().to_string());
            args.extend(first.iter().cloned());
            let out = self.fcall_reclaiming("aforo_read", id, vec![k.meta(), counters.clone()], args).await?;
            let now: i64 = out.parsed(0, "now")?;
            let Some(version) = out.parsed_or_empty::<u64>(1, "version")? else { return Ok(None) };
            let values = out.rest(3);
            match out.text(2, "shape")? {
                "all" => {
                    let all: HashMap<&str, &str> = values.chunks_exact(2).map(|p| (p[0].as_str(), p[1].as_str())).collect();
                    let vals = buckets.iter().map(|b| all.get(b.as_str()).map_or(0, |v| parse(v))).collect();
                    return Ok(Some((now, version, vals)));
                }
                "some" => {}
                _ => return Err(out.unexpected()),
            }
            let mut vals: Vec<u32> = Vec::with_capacity(buckets.len());
            vals.extend(values.iter().map(|v| parse(v)));
            if rest.len() > READ_PART * SCAN_FACTOR && self.hash_len(&counters).await? * SCAN_FACTOR < rest.len() {
                let all = self.scan_hash(&counters).await?;
                let moved = all.get(VERSION_FIELD).and_then(|v| v.parse::<u64>().ok()) != Some(version);
                if !moved || attempt >= READ_ATTEMPTS {
                    vals.extend(rest.iter().map(|b| all.get(b.as_str()).map_or(0, |v| parse(v))));
                    return Ok(Some((now, version, vals)));
                }
                continue;
            }
            let mut moved = false;
            let parts: Vec<&[String]> = rest.chunks(READ_PART).collect();
            for batch in parts.chunks(READ_PARTS_IN_FLIGHT) {
                let calls = batch.iter().map(|part| {
                    let mut fields = Vec::with_capacity(part.len() + 1);
                    fields.push(VERSION_FIELD.to_string());
                    fields.extend(part.iter().cloned());
                    self.guarded("hmget", self.pool.next().hmget::<Vec<Option<String>>, _, _>(counters.clone(), fields))
                });
                for got in futures::future::try_join_all(calls).await? {
                    let mut got = got.into_iter();
                    moved |= got.next().flatten().and_then(|v| v.parse::<u64>().ok()) != Some(version);
                    vals.extend(got.map(|v| v.as_deref().map_or(0, parse)));
                }
            }
            if !moved || attempt >= READ_ATTEMPTS {
                return Ok(Some((now, version, vals)));
            }
        }
    }

    /// Writes a document, if the stored version is still `if_match` (`*`: any) when given.
    pub async fn put(&self, id: &str, w: &DocWrite<'_>) -> Result<PutReply, StoreError> {
        let k = ResourceKeys::new(id);
        let args = vec![
            w.doc.to_string(),
            w.caller.to_string(),
            if w.is_ops { "1" } else { "0" }.into(),
            w.on_hand.map(|n| n.to_string()).unwrap_or_default(),
            w.if_match.unwrap_or_default().to_string(),
            w.checks.iter().map(|(b, l)| format!("{b}\t{l}\n")).collect(),
            w.fields.map(|n| n.to_string()).unwrap_or_default(),
            if w.force { "1" } else { "0" }.into(),
        ];
        let reply = PutReply::parse(&self.fcall_reclaiming("aforo_put", id, vec![k.meta(), k.counters()], args).await?)?;
        if let PutReply::Created { owner, .. } | PutReply::Replaced { owner, .. } = &reply {
            self.index(id, owner).await?;
        }
        Ok(reply)
    }

    /// Every field of the counter hash with a committed unit, and how many fields it has,
    /// read in parts (`HSCAN`), for checking a new document's limits against them.
    pub async fn committed(&self, id: &str) -> Result<(Vec<(String, i64)>, usize), StoreError> {
        let key = ResourceKeys::new(id).counters();
        let (mut out, mut fields, mut cursor) = (Vec::new(), 0, "0".to_string());
        loop {
            let client = self.pool.next().clone();
            let args = vec![key.clone(), cursor.clone(), "COUNT".into(), "1000".into()];
            let v: Value = self.guarded("hscan", async move { client.custom(fred::cmd!("HSCAN"), args).await }).await?;
            let Value::Array(mut parts) = v else { return Err(StoreError::Reply("hscan", "not an array".into())) };
            let (Some(Value::Array(page)), Some(next)) = (parts.pop(), parts.pop()) else {
                return Err(StoreError::Reply("hscan", "not a cursor and a page".into()));
            };
            for pair in page.chunks(2) {
                fields += 1;
                let (Some(k), Some(n)) = (pair[0].as_str(), pair.get(1).and_then(|v| v.as_str()?.parse::<i64>().ok())) else { continue };
                if n > 0 && !k.starts_with('~') {
                    out.push((k.to_string(), n));
                }
            }
            cursor = next.as_str().map(|c| c.to_string()).unwrap_or_default();
            if cursor == "0" || cursor.is_empty() {
                return Ok((out, fields));
            }
        }
    }

    /// Lists a live resource under its owner and in the whole list. A separate step from the
    /// write (the lists are keys of other slots); repeated by every write of the document and
    /// by the drift check, so a crash between the two is mended.
    pub async fn index(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        let (all, own) = (self.pool.next().clone(), self.pool.next().clone());
        self.guarded("zadd", async move {
            let _: i64 = all.zadd(RESOURCES, None, None, false, false, (0.0, id)).await?;
            own.zadd(owned_by(owner), None, None, false, false, (0.0, id)).await
        })
        .await
        .map(|_: i64| ())
    }

    /// Resource ids after `cursor` (exclusive), by id, at most `limit`: all, or one owner's.
    pub async fn list(&self, owner: Option<&str>, cursor: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let key = owner.map_or_else(|| RESOURCES.to_string(), owned_by);
        let from = cursor.map_or_else(|| "-".to_string(), |c| format!("({c}"));
        let client = self.pool.next().clone();
        self.guarded("zrangebylex", async move { client.zrangebylex(key, from, "+", Some((0, limit as i64))).await }).await
    }

    /// Archives a resource (`force`: releasing its held holds); its document gives way to
    /// `summary`, its counters and event stream go (`aforo_archive`).
    pub async fn archive(&self, id: &str, owner: &str, force: bool, summary: &str) -> Result<ArchiveReply, StoreError> {
        let k = ResourceKeys::new(id);
        let args = vec![if force { "1" } else { "0" }.to_string(), summary.to_string()];
        let reply =
            ArchiveReply::parse(&self.fcall_reclaiming("aforo_archive", id, vec![k.meta(), k.counters(), k.expiry()], args).await?)?;
        if matches!(reply, ArchiveReply::Archived { .. }) {
            let (all, own) = (self.pool.next().clone(), self.pool.next().clone());
            let _: i64 = self
                .guarded("zrem", async move {
                    let _: i64 = all.zrem(RESOURCES, id).await?;
                    own.zrem(owned_by(owner), id).await
                })
                .await?;
        }
        Ok(reply)
    }

    /// Adjusts stock; the result must stay within 0..=`MAX_UNITS` (checked in the same atomic
    /// step, so two deltas cannot pass it together). Under an idempotency key the change is
    /// made once: a retry gets the first answer back.
    pub async fn stock(&self, id: &str, c: &StockChange<'_>) -> Result<StockReply, StoreError> {
        let k = ResourceKeys::new(id);
        let mut keys = vec![k.meta(), k.counters()];
        let mut args = vec![
            if c.delta { "delta" } else { "set" }.to_string(),
            c.n.to_string(),
            if c.force { "1" } else { "0" }.into(),
            aforo_core::MAX_UNITS.to_string(),
        ];
        if let Some(key) = &c.key {
            keys.push(k.stock_entry(key.caller, key.key));
            args.extend([key.payload_hash.to_string(), key.ttl.as_millis().to_string()]);
        }
        StockReply::parse(&self.fcall_reclaiming("aforo_stock", id, keys, args).await?)
    }

    /// Sets (`Some`) or lifts (`None`) a pause; returns the new version, `None` if no resource.
    pub async fn pause(&self, id: &str, pause_json: Option<String>) -> Result<Option<u64>, StoreError> {
        let k = ResourceKeys::new(id);
        let out = self.fcall("aforo_pause", vec![k.meta(), k.counters()], vec![pause_json.unwrap_or_default()]).await?;
        match out.tag() {
            Some("ok") => Ok(Some(out.parsed(1, "version")?)),
            Some("not_found") => Ok(None),
            _ => Err(out.unexpected()),
        }
    }
}
