//! Redis keys and steps of outbound webhooks (docs/webhooks.md). An endpoint's keys share
//! the hash tag `{wh:<id>}`: its record (hash), its queue (a stream of events waiting, in
//! order), its attempts log (a list), its delivery lease. A resource's webhook keys share
//! `{r:<id>}` with its event stream: the consumer group `wh` on that stream, the dates
//! waiting for an `availability.changed` and the gate that spaces them a second apart.

use std::collections::HashMap;

use fred::prelude::*;
use fred::types::scripts::Script;
use sha2::{Digest, Sha256};

use super::audit_log::stream_entries;
use super::events::StreamEntry;
use super::{ResourceKeys, Store, StoreError};

/// Every endpoint id (a set).
pub const ENDPOINTS: &str = "af:wh:all";
/// Bumped by every endpoint created or deleted, so origins reload their list at once.
pub const VERSION: &str = "af:wh:ver";
/// The consumer group of the origins on every resource stream.
pub const GROUP: &str = "wh";

/// Key `part` of endpoint `id` (`h` record, `q` queue, `log`, `lease`).
pub(super) fn ep(id: &str, part: &str) -> String {
    format!("af:wh:{{wh:{id}}}:{part}")
}

/// One owner's endpoint ids (a set).
pub fn owned_endpoints(owner: &str) -> String {
    let d = Sha256::digest(owner.as_bytes());
    format!("af:wh:owner:{}", d[..16].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The lease of fan-out shard `n` (which origin reads that share of the resources' streams).
pub fn shard_lease(n: u32) -> String {
    format!("af:wh:fan:{n}")
}

fn av_dates(resource: &str) -> String {
    format!("af:{{r:{resource}}}:wd")
}

fn av_gate(resource: &str) -> String {
    format!("af:{{r:{resource}}}:wg")
}

/// An endpoint as stored (its secret included: only the delivery reads it).
#[derive(Debug, Clone, Default)]
pub struct EndpointRecord {
    /// `we_…`.
    pub id: String,
    /// Its owner's `sub`.
    pub owner: String,
    /// `seller` or `ops`.
    pub role: String,
    /// Where events go.
    pub url: String,
    /// `whsec_…`.
    pub secret: String,
    /// Event types.
    pub events: Vec<String>,
    /// Resources it is limited to (empty: all its owner may see).
    pub resources: Vec<String>,
    /// `enabled` or `disabled`.
    pub status: String,
    /// Every other field as stored (counters, failure state, last attempt).
    pub fields: HashMap<String, String>,
    /// Events waiting.
    pub backlog: u64,
}

impl EndpointRecord {
    /// A stored number field (0 when absent).
    pub fn num(&self, f: &str) -> i64 {
        self.fields.get(f).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

fn split(s: Option<&String>) -> Vec<String> {
    s.map(|s| s.split(',').filter(|p| !p.is_empty()).map(String::from).collect()).unwrap_or_default()
}

// Appends events to an endpoint's queue, in order; past the cap the oldest are dropped
// first and counted. KEYS: record, queue. ARGV: cap, then per event id, type, resource,
// at_ms, body. Returns the number dropped, or -1 when the endpoint is gone or disabled.
const ENQUEUE: &str = r"
if redis.call('HGET', KEYS[1], 'status') ~= 'enabled' then return -1 end
local cap = tonumber(ARGV[1])
local dropped = 0
for i = 2, #ARGV, 5 do
  if redis.call('XLEN', KEYS[2]) >= cap then
    dropped = dropped + redis.call('XTRIM', KEYS[2], 'MAXLEN', '=', cap - 1)
  end
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[i], 'type', ARGV[i + 1], 'resource', ARGV[i + 2], 'at', ARGV[i + 3], 'body', ARGV[i + 4])
end
if dropped > 0 then redis.call('HINCRBY', KEYS[1], 'dropped', dropped) end
return dropped
";

// The next entries of a resource stream for this origin: its own pending ones, else those
// another consumer left pending past the lease, else (when nothing is pending elsewhere,
// so that order holds) new ones. Creates the group from `start` on first use (only on a
// stream that exists). KEYS: stream. ARGV: group, consumer, lease ms, count, start id.
const NEXT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local ok, mine = pcall(redis.call, 'XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '0')
if not ok then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[5])
  return {}
end
if mine and mine[1] and #mine[1][2] > 0 then return mine[1][2] end
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', ARGV[4])
if #claimed[2] > 0 then return claimed[2] end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
if pending[1] > 0 then return {} end
local new = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
if new and new[1] then return new[1][2] end
return {}
";

// Adds dates touched on a resource; when its gate is open (no availability.changed in the
// last `gap` ms), closes it and takes every date waiting. KEYS: dates, gate. ARGV: gap ms,
// dates… Returns the dates taken, {} when none wait, {'wait'} when some wait behind the gate.
const DATES: &str = r"
if #ARGV > 1 then redis.call('SADD', KEYS[1], unpack(ARGV, 2)) end
if redis.call('SCARD', KEYS[1]) == 0 then return {} end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return {'wait'} end
local d = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return d
";

// Records a delivery attempt. KEYS: record, queue, log. ARGV: the entry delivered ('' when
// it failed), the log line, then field, value pairs to set on the record.
const ATTEMPTED: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then
  redis.call('XDEL', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'delivered', 1)
else
  redis.call('HINCRBY', KEYS[1], 'failed', 1)
end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], 0, 99)
redis.call('PEXPIRE', KEYS[3], 2592000000)
return 1
";

// Takes or renews a lease held by ARGV[1] for ARGV[2] ms. KEYS: lease. Returns 1 if held.
const LEASE: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
";

// Takes an endpoint's delivery lease for ARGV[1] (ARGV[2] ms) when events wait in its
// queue. KEYS: lease, queue, record. Returns 1 if taken.
const CLAIM: &str = r"
if redis.call('XLEN', KEYS[2]) == 0 then return 0 end
if redis.call('HGET', KEYS[3], 'status') ~= 'enabled' then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
";

// Gives a lease back if ARGV[1] holds it. KEYS: lease.
const UNLEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
";

impl Store {
    pub(super) async fn script<R: FromValue>(
        &self,
        op: &'static str,
        lua: &'static str,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<R, StoreError> {
        let s = Script::from_lua(lua);
        let c = self.pool.next().clone();
        self.guarded(op, async move { s.evalsha_with_reload(&c, keys, args).await }).await
    }

    /// Stores a new endpoint; `false` when its owner already has `max` of them.
    pub async fn wh_create(&self, rec: &EndpointRecord, now_ms: i64, max: u64) -> Result<bool, StoreError> {
        let c = self.pool.next().clone();
        let own = owned_endpoints(&rec.owner);
        let n: u64 = self.guarded("scard", c.scard(&own)).await?;
        if n >= max {
            return Ok(false);
        }
        let fields: Vec<(&str, String)> = vec![
            ("owner", rec.owner.clone()),
            ("role", rec.role.clone()),
            ("url", rec.url.clone()),
            ("secret", rec.secret.clone()),
            ("events", rec.events.join(",")),
            ("resources", rec.resources.join(",")),
            ("status", "enabled".into()),
            ("created_ms", now_ms.to_string()),
        ];
        let (key, id) = (ep(&rec.id, "h"), rec.id.clone());
        self.guarded("wh_create", async move {
            let _: () = c.hset(key, fields).await?;
            let _: i64 = c.sadd(own, id.as_str()).await?;
            let _: i64 = c.sadd(ENDPOINTS, id.as_str()).await?;
            c.incr(VERSION).await
        })
        .await
        .map(|_: i64| true)
    }

    /// One endpoint, with its backlog.
    pub async fn wh_get(&self, id: &str) -> Result<Option<EndpointRecord>, StoreError> {
        let c = self.pool.next().clone();
        let (h, q) = (ep(id, "h"), ep(id, "q"));
        let (mut f, backlog): (HashMap<String, String>, u64) = self
            .guarded("wh_get", async move {
                let f: HashMap<String, String> = c.hgetall(h).await?;
                let n: u64 = c.xlen(q).await?;
                Ok((f, n))
            })
            .await?;
        if f.is_empty() {
            return Ok(None);
        }
        let take = |f: &mut HashMap<String, String>, k: &str| f.remove(k).unwrap_or_default();
        Ok(Some(EndpointRecord {
            id: id.to_string(),
            owner: take(&mut f, "owner"),
            role: take(&mut f, "role"),
            url: take(&mut f, "url"),
            secret: take(&mut f, "secret"),
            events: split(f.get("events")),
            resources: split(f.get("resources")),
            status: take(&mut f, "status"),
            fields: f,
            backlog,
        }))
    }

    /// The endpoints' version (see [`VERSION`]).
    pub async fn wh_version(&self) -> Result<i64, StoreError> {
        let c = self.pool.next().clone();
        let v: Option<i64> = self.guarded("get", async move { c.get(VERSION).await }).await?;
        Ok(v.unwrap_or(0))
    }

    /// Endpoint ids: every one, or one owner's.
    pub async fn wh_ids(&self, owner: Option<&str>) -> Result<Vec<String>, StoreError> {
        let key = owner.map_or_else(|| ENDPOINTS.to_string(), owned_endpoints);
        let c = self.pool.next().clone();
        let mut ids: Vec<String> = self.guarded("smembers", async move { c.smembers(key).await }).await?;
        ids.sort();
        Ok(ids)
    }

    /// Deletes an endpoint and everything of it.
    pub async fn wh_delete(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        let c = self.pool.next().clone();
        let keys = vec![ep(id, "h"), ep(id, "q"), ep(id, "log"), ep(id, "lease")];
        let (own, id) = (owned_endpoints(owner), id.to_string());
        self.guarded("wh_delete", async move {
            let _: i64 = c.srem(ENDPOINTS, id.as_str()).await?;
            let _: i64 = c.srem(own, id.as_str()).await?;
            let _: i64 = c.del(keys).await?;
            c.incr(VERSION).await
        })
        .await
        .map(|_: i64| ())
    }

    /// Queues events for an endpoint, in order: how many old ones the cap dropped (`None`:
    /// the endpoint is gone or disabled). Each event: its id, type, resource, time (ms), body.
    pub async fn wh_enqueue(&self, id: &str, cap: u64, events: Vec<[String; 5]>) -> Result<Option<u64>, StoreError> {
        let mut args = vec![cap.to_string()];
        args.extend(events.into_iter().flatten());
        let n: i64 = self.script("wh_enqueue", ENQUEUE, vec![ep(id, "h"), ep(id, "q")], args).await?;
        Ok(u64::try_from(n).ok())
    }

    /// The oldest `n` events waiting for an endpoint, oldest first.
    pub async fn wh_head(&self, id: &str, n: usize) -> Result<Vec<StreamEntry>, StoreError> {
        let c = self.pool.next().clone();
        let args = vec![ep(id, "q"), "-".into(), "+".into(), "COUNT".into(), n.to_string()];
        let v: Value = self.guarded("xrange", async move { c.custom(fred::cmd!("XRANGE"), args).await }).await?;
        Ok(stream_entries(v))
    }

    /// Takes or renews the delivery lease of an endpoint (`endpoint`) or a fan-out shard.
    pub async fn wh_lease(&self, key: &str, me: &str, ms: u64) -> Result<bool, StoreError> {
        let n: i64 = self.script("wh_lease", LEASE, vec![key.to_string()], vec![me.to_string(), ms.to_string()]).await?;
        Ok(n == 1)
    }

    /// Takes an endpoint's delivery lease if events wait for it and no origin holds it.
    pub async fn wh_claim(&self, id: &str, me: &str, ms: u64) -> Result<bool, StoreError> {
        let keys = vec![ep(id, "lease"), ep(id, "q"), ep(id, "h")];
        let n: i64 = self.script("wh_claim", CLAIM, keys, vec![me.to_string(), ms.to_string()]).await?;
        Ok(n == 1)
    }

    /// Gives a lease back.
    pub async fn wh_unlease(&self, key: &str, me: &str) -> Result<(), StoreError> {
        let _: i64 = self.script("wh_unlease", UNLEASE, vec![key.to_string()], vec![me.to_string()]).await?;
        Ok(())
    }

    /// The key of an endpoint's delivery lease.
    pub fn wh_lease_key(id: &str) -> String {
        ep(id, "lease")
    }

    /// Records an attempt: `fields` set on the record, `log` pushed on its log (the last 100
    /// kept), and on success the delivered entry removed from the queue. Nothing for an
    /// endpoint deleted meanwhile.
    pub async fn wh_attempted(
        &self,
        id: &str,
        delivered: Option<&str>,
        fields: Vec<(String, String)>,
        log: String,
    ) -> Result<(), StoreError> {
        let mut args = vec![delivered.unwrap_or("").to_string(), log];
        for (k, v) in fields {
            args.push(k);
            args.push(v);
        }
        let _: i64 = self.script("wh_attempted", ATTEMPTED, vec![ep(id, "h"), ep(id, "q"), ep(id, "log")], args).await?;
        Ok(())
    }

    /// The last `limit` attempts, newest first (JSON each).
    pub async fn wh_log(&self, id: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        let c = self.pool.next().clone();
        let l = ep(id, "log");
        self.guarded("lrange", async move { c.lrange(l, 0, limit - 1).await }).await
    }

    /// Whether an endpoint's record exists (a delivery for a deleted endpoint stops).
    pub async fn wh_exists(&self, id: &str) -> Result<bool, StoreError> {
        let c = self.pool.next().clone();
        let h = ep(id, "h");
        self.guarded("exists", async move { c.exists(h).await }).await.map(|n: i64| n == 1)
    }

    /// The next stream entries of `resource` this origin (`me`) is to fan out.
    pub async fn wh_next(
        &self,
        resource: &str,
        me: &str,
        lease_ms: u64,
        count: usize,
        start: &str,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        let key = ResourceKeys::new(resource).events();
        let args = vec![GROUP.to_string(), me.to_string(), lease_ms.to_string(), count.to_string(), start.to_string()];
        let v: Value = self.script("wh_next", NEXT, vec![key], args).await?;
        Ok(stream_entries(v))
    }

    /// Acknowledges fanned-out entries of `resource`.
    pub async fn wh_ack(&self, resource: &str, ids: Vec<String>) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let c = self.pool.next().clone();
        let key = ResourceKeys::new(resource).events();
        self.guarded("xack", async move { c.xack(key, GROUP, ids).await }).await.map(|_: i64| ())
    }

    /// Entries of `resource`'s stream from `since_ms` on, at most `count` (for replays).
    pub async fn wh_since(&self, resource: &str, since_ms: i64, count: usize) -> Result<Vec<StreamEntry>, StoreError> {
        let c = self.pool.next().clone();
        let args = vec![ResourceKeys::new(resource).events(), format!("{since_ms}-0"), "+".into(), "COUNT".into(), count.to_string()];
        let v: Value = self.guarded("xrange", async move { c.custom(fred::cmd!("XRANGE"), args).await }).await?;
        Ok(stream_entries(v))
    }

    /// Adds dates touched on `resource` and takes every date waiting when an
    /// `availability.changed` may be sent now (at most one per `gap_ms`): `Ok(None)` when
    /// dates wait behind the gate.
    pub async fn wh_dates(&self, resource: &str, dates: Vec<String>, gap_ms: u64) -> Result<Option<Vec<String>>, StoreError> {
        let mut args = vec![gap_ms.to_string()];
        args.extend(dates);
        let mut d: Vec<String> = self.script("wh_dates", DATES, vec![av_dates(resource), av_gate(resource)], args).await?;
        if d.len() == 1 && d[0] == "wait" {
            return Ok(None);
        }
        d.sort();
        Ok(Some(d))
    }
}
