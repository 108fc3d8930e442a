//! All Redis access: the connection pool, the function library and a typed call per step.
//!
//! The library is loaded as Redis Functions (`FUNCTION LOAD REPLACE`) rather than EVALSHA
//! scripts: functions persist with the data (RDB/AOF) and replicate, so a restarted Redis
//! still has them and there is no NOSCRIPT reload stampede. If they are missing anyway (a
//! `FUNCTION FLUSH`, a fresh server without persistence), one caller reloads them while the
//! others wait on the same lock, then all retry once.

pub mod audit;
pub mod breaker;
pub mod check;
pub mod keys;
pub mod sweeper;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::prelude::*;
use fred::types::sorted_sets::Ordering;
use fred::types::Builder;

use crate::metrics::Metrics;
pub use audit::{Audit, AuditEvent};
pub use keys::{claim, hold_id, home_of, idempotent_hold_id, ResourceKeys, AUDIT, DUE, MODE};

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

/// The library's source.
pub const LIBRARY: &str = include_str!("aforo.lua");

/// A store failure: Redis unreachable or answering something the library never answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis refused, timed out or is unreachable.
    #[error("redis: {0}")]
    Redis(#[from] fred::error::Error),
    /// A reply of an unexpected shape.
    #[error("unexpected reply from {0}: {1}")]
    Reply(&'static str, String),
    /// The circuit breaker is open: Redis failed recently; try again after the delay.
    #[error("the store is unavailable (circuit open); retry in {0:?}")]
    CircuitOpen(Duration),
}

/// Whether a Redis error means Redis is unreachable or too slow (what the breaker counts), as
/// opposed to an error reply from a Redis that works.
fn is_outage(e: &fred::error::Error) -> bool {
    use fred::error::ErrorKind;
    matches!(e.kind(), ErrorKind::IO | ErrorKind::Timeout | ErrorKind::Canceled | ErrorKind::Cluster | ErrorKind::Routing)
}

/// Counts a failure (of call `op`, or of the connection) and, when it opens the breaker,
/// says so in the gauge and the log.
fn record_failure(b: &breaker::Breaker, m: &Metrics, op: &str, e: &fred::error::Error) {
    if b.failure() == Some(breaker::State::Open) {
        m.breaker_state.set(breaker::State::Open.gauge());
        tracing::error!(error = %e, op, "Redis failing: circuit breaker open");
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `redis://` or `redis-cluster://` URL.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: usize,
    /// Timeout of every command.
    pub command_timeout: Duration,
    /// How long the breaker stays open before probing.
    pub breaker_open_for: Duration,
    /// Where calls and outcomes are counted.
    pub metrics: Arc<Metrics>,
    /// Where expirations are audited (none: not audited).
    pub audit: Option<Audit>,
}

impl StoreConfig {
    /// Settings with a fresh metrics registry, a 1 s breaker and no audit.
    pub fn new(url: &str, pool_size: usize, command_timeout: Duration) -> Self {
        StoreConfig {
            url: url.to_string(),
            pool_size,
            command_timeout,
            breaker_open_for: Duration::from_secs(1),
            metrics: Arc::new(Metrics::new()),
            audit: None,
        }
    }
}

/// The store: a fred pool and the loaded library.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    clustered: bool,
    reload: Arc<tokio::sync::Mutex<()>>,
    reloads: Arc<AtomicU64>,
    breaker: Arc<breaker::Breaker>,
    metrics: Arc<Metrics>,
    audit: Option<Audit>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("clustered", &self.clustered).finish()
    }
}

/// The meta hash of a resource.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Document JSON.
    pub doc: String,
    /// Owner (seller sub).
    pub owner: String,
    /// Config version.
    pub version: u64,
    /// Live stock.
    pub on_hand: Option<u32>,
    /// Pause JSON.
    pub pause: Option<String>,
}

/// What the hold function answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldReply {
    /// Taken: hold id, status, expires_at (ms), and the table assigned ('' without tables).
    Taken { id: String, status: String, expires_at_ms: i64, table: String },
    /// Idempotent replay: the hold this key already made.
    Replay { id: String, status: String, expires_at_ms: i64 },
    /// Same key, other payload.
    Reused,
    /// The document changed since the plan: replan.
    Version,
    /// A bucket would pass its limit.
    SoldOut { bucket: String },
}

/// Outcome of consume/release/retake on one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartReply {
    /// Done; the part's status now.
    Ok(String),
    /// The transition is not allowed from this status.
    NotActive(String),
    /// The hold expired and its units were returned.
    Expired,
    /// No such part.
    NotFound,
    /// Retake refused: units taken meanwhile.
    SoldOut,
    /// Retake planned against another version.
    Version,
}

/// Outcome of a stock adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockReply {
    /// Applied.
    Ok { on_hand: u32, committed: u32, version: u64 },
    /// The resource has no stock dimension.
    NoStock,
    /// The result would be negative.
    Negative,
    /// The result would pass the documented maximum on hand (nothing changed).
    OutOfRange { would_be: i64 },
    /// Under held + consumed without force.
    Below { committed: u32 },
}

/// The read-only switch as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mode {
    /// Writes refused.
    pub read_only: bool,
    /// Why (free text from ops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who switched it last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// Outcome of a document write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutReply {
    /// New resource, with its version and owner.
    Created { version: u64, owner: String },
    /// Replaced.
    Replaced { version: u64, owner: String },
    /// Another seller owns it.
    Forbidden,
    /// The new on_hand is below what is committed.
    Below { committed: u32 },
}

fn strings(v: Vec<Value>) -> Vec<String> {
    v.into_iter().map(|x| x.convert::<Option<String>>().ok().flatten().unwrap_or_default()).collect()
}

fn num<T: std::str::FromStr>(what: &'static str, s: Option<&String>) -> Result<T, StoreError> {
    s.and_then(|s| s.parse().ok()).ok_or_else(|| StoreError::Reply(what, format!("{s:?}")))
}

impl Store {
    /// Connects and loads the library.
    pub async fn connect(cfg: &StoreConfig) -> Result<Store, StoreError> {
        let config = Config::from_url(&cfg.url)?;
        let clustered = config.server.is_clustered();
        let timeout = cfg.command_timeout;
        let pool = Builder::from_config(config)
            .with_performance_config(|p| p.default_command_timeout = timeout)
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(2);
                c.internal_command_timeout = timeout;
                c.max_command_attempts = 2;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 1000, 2))
            .build_pool(cfg.pool_size.max(1))?;
        pool.init().await?;
        let breaker = Arc::new(breaker::Breaker::new(cfg.breaker_open_for));
        // Connection errors open the breaker before any request has to wait for a timeout.
        for client in pool.clients() {
            let (b, m) = (breaker.clone(), cfg.metrics.clone());
            client.on_error(move |(e, _server)| {
                record_failure(&b, &m, "connection", &e);
                async { Ok(()) }
            });
        }
        let store = Store {
            pool,
            clustered,
            reload: Arc::new(tokio::sync::Mutex::new(())),
            reloads: Arc::new(AtomicU64::new(0)),
            breaker,
            metrics: cfg.metrics.clone(),
            audit: cfg.audit.clone(),
        };
        store.load_library().await?;
        Ok(store)
    }

    /// The metrics this store counts into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The breaker's state.
    pub fn breaker_state(&self) -> breaker::State {
        self.breaker.state()
    }

    /// Runs one Redis call through the breaker, timing it.
    async fn guarded<T>(&self, op: &'static str, call: impl Future<Output = Result<T, fred::error::Error>>) -> Result<T, StoreError> {
        if let Err(wait) = self.breaker.allow() {
            self.metrics.breaker_rejected.inc();
            return Err(StoreError::CircuitOpen(wait));
        }
        let start = Instant::now();
        let r = call.await;
        self.metrics.redis_call(op, start.elapsed(), r.is_ok());
        match &r {
            Err(e) if is_outage(e) => record_failure(&self.breaker, &self.metrics, op, e),
            _ => self.breaker.success(),
        }
        Ok(r?)
    }

    /// When the breaker has been open long enough, probes Redis with a PING and closes or
    /// re-opens it. Called periodically by the origin.
    pub async fn probe(&self) {
        if !self.breaker.probe_due() {
            return;
        }
        self.metrics.breaker_state.set(breaker::State::HalfOpen.gauge());
        let ok = matches!(tokio::time::timeout(Duration::from_millis(500), self.pool.next().ping::<String>(None)).await, Ok(Ok(_)));
        self.breaker.probed(ok);
        let st = self.breaker.state();
        self.metrics.breaker_state.set(st.gauge());
        if ok {
            tracing::warn!("Redis answers again: circuit breaker closed");
        }
    }

    /// Audits holds the library expired, and counts them.
    fn expired(&self, resource: &str, out: &mut Vec<String>) {
        let ids = out.pop().unwrap_or_default();
        if ids.is_empty() {
            return;
        }
        let n = ids.split(',').count() as u64;
        self.metrics.holds_expired.inc_by(n);
        if let Some(a) = &self.audit {
            let now = chrono::Utc::now();
            for id in ids.split(',') {
                a.record(AuditEvent::new("hold.expired", "system", "system", now).resource(resource).hold(id));
            }
        }
    }

    /// (Re)loads the function library on every primary.
    pub async fn load_library(&self) -> Result<(), StoreError> {
        let client = self.pool.next();
        if self.clustered {
            client.function_load_cluster::<(), _>(true, LIBRARY).await?;
        } else {
            client.function_load::<String, _>(true, LIBRARY).await?;
        }
        self.reloads.fetch_add(1, AtomicOrdering::SeqCst);
        Ok(())
    }

    /// Times the library was loaded by this process.
    pub fn library_loads(&self) -> u64 {
        self.reloads.load(AtomicOrdering::SeqCst)
    }

    async fn fcall(&self, name: &'static str, keys: Vec<String>, args: Vec<String>) -> Result<Vec<String>, StoreError> {
        let seen = self.reloads.load(AtomicOrdering::SeqCst);
        match self.guarded(name, self.pool.next().fcall::<Vec<Value>, _, _, _>(name, keys.clone(), args.clone())).await {
            Ok(v) => Ok(strings(v)),
            Err(StoreError::Redis(e)) if e.details().contains("Function not found") => {
                // Single flight: whoever gets the lock first reloads; the rest see the count move.
                let _guard = self.reload.lock().await;
                if self.reloads.load(AtomicOrdering::SeqCst) == seen {
                    tracing::warn!(function = name, "function library missing in Redis; reloading");
                    self.load_library().await?;
                }
                Ok(strings(self.guarded(name, self.pool.next().fcall::<Vec<Value>, _, _, _>(name, keys, args)).await?))
            }
            Err(e) => Err(e),
        }
    }

    /// A library call whose reply ends with the holds it expired (audited and counted here).
    async fn fcall_reclaiming(
        &self,
        name: &'static str,
        resource: &str,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = self.fcall(name, keys, args).await?;
        self.expired(resource, &mut out);
        Ok(out)
    }

    /// PING: Redis reachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.guarded("ping", self.pool.next().ping::<String>(None)).await?;
        Ok(())
    }

    /// Whether the library is present (readiness).
    pub async fn library_present(&self) -> Result<bool, StoreError> {
        let v: Value =
            self.guarded("function_list", self.pool.next().custom(fred::cmd!("FUNCTION"), vec!["LIST", "LIBRARYNAME", "aforo_v1"])).await?;
        Ok(matches!(v, Value::Array(a) if !a.is_empty()))
    }

    /// Redis TIME in milliseconds.
    pub async fn time_ms(&self) -> Result<i64, StoreError> {
        let t: Vec<String> = self.guarded("time", self.pool.next().custom(fred::cmd!("TIME"), Vec::<String>::new())).await?;
        let s: i64 = num("TIME", t.first())?;
        let us: i64 = num("TIME", t.get(1))?;
        Ok(s * 1000 + us / 1000)
    }

    /// The read-only switch.
    pub async fn mode(&self) -> Result<Mode, StoreError> {
        let h: HashMap<String, String> = self.guarded("hgetall", self.pool.next().hgetall(MODE)).await?;
        Ok(Mode {
            read_only: h.get("read_only").is_some_and(|v| v == "1"),
            reason: h.get("reason").filter(|s| !s.is_empty()).cloned(),
            by: h.get("by").cloned(),
            since: h.get("since").cloned(),
        })
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

    /// The meta hash of a resource, if it exists.
    pub async fn meta(&self, id: &str) -> Result<Option<Meta>, StoreError> {
        let h: HashMap<String, String> = self.guarded("hgetall", self.pool.next().hgetall(ResourceKeys::new(id).meta())).await?;
        if h.is_empty() {
            return Ok(None);
        }
        Ok(Some(Meta {
            doc: h.get("doc").cloned().unwrap_or_default(),
            owner: h.get("owner").cloned().unwrap_or_default(),
            version: num("meta.version", h.get("version"))?,
            on_hand: h.get("on_hand").and_then(|s| s.parse().ok()),
            pause: h.get("pause").cloned(),
        }))
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
            let now: i64 = num("aforo_read", out.first())?;
            if out.get(1).is_none_or(|v| v.is_empty()) {
                return Ok(None);
            }
            let version: u64 = num("aforo_read", out.get(1))?;
            let values = out.get(3..).unwrap_or_default();
            match out.get(2).map(String::as_str) {
                Some("all") => {
                    let all: HashMap<&str, &str> = values.chunks_exact(2).map(|p| (p[0].as_str(), p[1].as_str())).collect();
                    let vals = buckets.iter().map(|b| all.get(b.as_str()).map_or(0, |v| parse(v))).collect();
                    return Ok(Some((now, version, vals)));
                }
                Some("some") => {}
                _ => return Err(StoreError::Reply("aforo_read", format!("{:?}", out.get(2)))),
            }
            let mut vals: Vec<u32> = Vec::with_capacity(buckets.len());
            vals.extend(values.iter().map(|v| parse(v)));
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

    /// Writes a document.
    pub async fn put(&self, id: &str, doc: &str, caller: &str, is_ops: bool, on_hand: Option<u32>) -> Result<PutReply, StoreError> {
        let k = ResourceKeys::new(id);
        let args = vec![
            doc.to_string(),
            caller.to_string(),
            if is_ops { "1" } else { "0" }.into(),
            on_hand.map(|n| n.to_string()).unwrap_or_default(),
        ];
        let out = self.fcall_reclaiming("aforo_put", id, vec![k.meta(), k.counters()], args).await?;
        Ok(match out.first().map(String::as_str) {
            Some("created") => PutReply::Created { version: num("aforo_put", out.get(1))?, owner: out.get(2).cloned().unwrap_or_default() },
            Some("replaced") => {
                PutReply::Replaced { version: num("aforo_put", out.get(1))?, owner: out.get(2).cloned().unwrap_or_default() }
            }
            Some("forbidden") => PutReply::Forbidden,
            Some("below") => PutReply::Below { committed: num("aforo_put", out.get(1))? },
            _ => return Err(StoreError::Reply("aforo_put", format!("{out:?}"))),
        })
    }

    /// Adjusts stock; the result must stay within 0..=`MAX_UNITS` (checked in the same atomic
    /// step, so two deltas cannot pass it together).
    pub async fn stock(&self, id: &str, delta: bool, n: i64, force: bool) -> Result<StockReply, StoreError> {
        let k = ResourceKeys::new(id);
        let args = vec![
            if delta { "delta" } else { "set" }.to_string(),
            n.to_string(),
            if force { "1" } else { "0" }.into(),
            aforo_core::MAX_UNITS.to_string(),
        ];
        let out = self.fcall_reclaiming("aforo_stock", id, vec![k.meta(), k.counters()], args).await?;
        Ok(match out.first().map(String::as_str) {
            Some("ok") => StockReply::Ok {
                on_hand: num("aforo_stock", out.get(1))?,
                committed: num("aforo_stock", out.get(2))?,
                version: num("aforo_stock", out.get(3))?,
            },
            Some("no_stock") => StockReply::NoStock,
            Some("negative") => StockReply::Negative,
            Some("out_of_range") => StockReply::OutOfRange { would_be: num("aforo_stock", out.get(1))? },
            Some("below") => StockReply::Below { committed: num("aforo_stock", out.get(1))? },
            _ => return Err(StoreError::Reply("aforo_stock", format!("{out:?}"))),
        })
    }

    /// Sets (`Some`) or lifts (`None`) a pause; returns the new version, `None` if no resource.
    pub async fn pause(&self, id: &str, pause_json: Option<String>) -> Result<Option<u64>, StoreError> {
        let k = ResourceKeys::new(id);
        let out = self.fcall("aforo_pause", vec![k.meta(), k.counters()], vec![pause_json.unwrap_or_default()]).await?;
        match out.first().map(String::as_str) {
            Some("ok") => Ok(Some(num("aforo_pause", out.get(1))?)),
            Some("not_found") => Ok(None),
            _ => Err(StoreError::Reply("aforo_pause", format!("{out:?}"))),
        }
    }

    /// Takes a part of a hold atomically (see `hold` in the library).
    #[allow(clippy::too_many_arguments)]
    pub async fn hold(
        &self,
        id: &str,
        version: u64,
        hold_id: &str,
        payload_hash: &str,
        ttl: Duration,
        record_ttl: Duration,
        caller: &str,
        status: &str,
        takes: String,
        choices: String,
        date_index: Option<String>,
        items: String,
        extra: Vec<String>,
    ) -> Result<HoldReply, StoreError> {
        let k = ResourceKeys::new(id);
        let mut keys = vec![k.meta(), k.counters(), k.expiry(), k.hold(hold_id)];
        keys.extend(date_index);
        let mut args = vec![
            version.to_string(),
            hold_id.to_string(),
            payload_hash.to_string(),
            ttl.as_millis().to_string(),
            record_ttl.as_millis().to_string(),
            caller.to_string(),
            status.to_string(),
            takes,
            choices,
            items,
        ];
        args.extend(extra);
        let out = self.fcall_reclaiming("aforo_hold", id, keys, args).await?;
        Ok(match out.first().map(String::as_str) {
            Some("ok") => HoldReply::Taken {
                id: out.get(1).cloned().unwrap_or_default(),
                status: out.get(2).cloned().unwrap_or_default(),
                expires_at_ms: num("aforo_hold", out.get(3))?,
                table: out.get(4).cloned().unwrap_or_default(),
            },
            Some("replay") => HoldReply::Replay {
                id: out.get(1).cloned().unwrap_or_default(),
                status: out.get(2).cloned().unwrap_or_default(),
                expires_at_ms: num("aforo_hold", out.get(3))?,
            },
            Some("reused") => HoldReply::Reused,
            Some("version") => HoldReply::Version,
            Some("sold_out") => HoldReply::SoldOut { bucket: out.get(1).cloned().unwrap_or_default() },
            _ => return Err(StoreError::Reply("aforo_hold", format!("{out:?}"))),
        })
    }

    /// Claims a caller's idempotency key for `value` (`<payload hash> <home> <nonce>`) for
    /// `ttl`, unless it is claimed already: `None` when this call claimed it, else the value
    /// of the claim that stands (`SET NX GET`, one round trip).
    pub async fn claim(&self, caller: &str, key: &str, value: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let args = vec![claim(caller, key), value.to_string(), "NX".into(), "PX".into(), ttl.as_millis().max(1).to_string(), "GET".into()];
        let v: Value = self.guarded("claim", self.pool.next().custom(fred::cmd!("SET"), args)).await?;
        match v {
            Value::Null => Ok(None),
            other => Ok(Some(other.convert::<String>().map_err(|e| StoreError::Reply("claim", e.to_string()))?)),
        }
    }

    /// Drops a claim this request made, if it still holds `value` (a compare-and-delete, so
    /// that another request's claim is never dropped).
    pub async fn unclaim(&self, caller: &str, key: &str, value: &str) -> Result<(), StoreError> {
        const DROP: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
        self.guarded("unclaim", self.pool.next().eval::<i64, _, _, _>(DROP, vec![claim(caller, key)], vec![value.to_string()])).await?;
        Ok(())
    }

    /// Turns a cart's pending home part into held.
    pub async fn finish(&self, id: &str, hold_id: &str) -> Result<(), StoreError> {
        self.guarded(
            "aforo_finish",
            self.pool.next().fcall::<Value, _, _, _>("aforo_finish", vec![ResourceKeys::new(id).hold(hold_id)], Vec::<String>::new()),
        )
        .await?;
        Ok(())
    }

    fn part_reply(what: &'static str, out: Vec<String>) -> Result<PartReply, StoreError> {
        Ok(match out.first().map(String::as_str) {
            Some("ok") => PartReply::Ok(out.get(1).cloned().unwrap_or_default()),
            Some("not_active") => PartReply::NotActive(out.get(1).cloned().unwrap_or_default()),
            Some("expired") => PartReply::Expired,
            Some("not_found") => PartReply::NotFound,
            Some("sold_out") => PartReply::SoldOut,
            Some("version") => PartReply::Version,
            _ => return Err(StoreError::Reply(what, format!("{out:?}"))),
        })
    }

    /// Releases a part (`void`: a cart step undone, as if its key had never been used).
    pub async fn release(&self, id: &str, hold_id: &str, void: bool) -> Result<PartReply, StoreError> {
        let k = ResourceKeys::new(id);
        let mode = if void { "void" } else { "release" };
        let keys = vec![k.counters(), k.expiry(), k.hold(hold_id)];
        Self::part_reply("aforo_release", self.fcall("aforo_release", keys, vec![mode.to_string()]).await?)
    }

    /// Consumes a part.
    pub async fn consume(&self, id: &str, hold_id: &str) -> Result<PartReply, StoreError> {
        let k = ResourceKeys::new(id);
        let keys = vec![k.counters(), k.expiry(), k.hold(hold_id), k.settled()];
        Self::part_reply("aforo_consume", self.fcall_reclaiming("aforo_consume", id, keys, vec![]).await?)
    }

    /// Consumes an expired part by taking its units again.
    pub async fn retake(&self, id: &str, hold_id: &str, version: u64, takes: String, choices: String) -> Result<PartReply, StoreError> {
        let k = ResourceKeys::new(id);
        let keys = vec![k.meta(), k.counters(), k.hold(hold_id), k.settled()];
        Self::part_reply("aforo_retake", self.fcall("aforo_retake", keys, vec![version.to_string(), takes, choices]).await?)
    }

    /// The ids of the holds of a date on a resource with tables.
    pub async fn holds_of_date(&self, id: &str, date: &str) -> Result<Vec<String>, StoreError> {
        self.guarded("smembers", self.pool.next().smembers(ResourceKeys::new(id).date_index(date))).await
    }

    /// A hold part's record.
    pub async fn hold_record(&self, id: &str, hold_id: &str) -> Result<HashMap<String, String>, StoreError> {
        self.guarded("hgetall", self.pool.next().hgetall(ResourceKeys::new(id).hold(hold_id))).await
    }

    /// Schedules the sweeper to look at a resource no later than `at_ms`.
    pub async fn schedule_sweep(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        self.guarded("zadd", self.pool.next().zadd::<i64, _, _>(DUE, None, Some(Ordering::LessThan), false, false, (at_ms as f64, id)))
            .await?;
        Ok(())
    }

    /// Leases due resources: `(lease, lag_ms, ids)`, where the lag is how long the oldest
    /// entry has been due (0 when none is).
    pub async fn due_claim(&self, lease: Duration, limit: usize) -> Result<(i64, i64, Vec<String>), StoreError> {
        let out = self.fcall("aforo_due_claim", vec![DUE.to_string()], vec![lease.as_millis().to_string(), limit.to_string()]).await?;
        let lease: i64 = num("aforo_due_claim", out.first())?;
        let now: i64 = num("aforo_due_claim", out.get(1))?;
        let oldest = out.get(2).and_then(|s| s.parse::<f64>().ok()).map_or(now, |f| f as i64);
        Ok((lease, (now - oldest).max(0), out.get(3..).map(<[String]>::to_vec).unwrap_or_default()))
    }

    /// Drops a lease unless a hold moved the entry meanwhile.
    pub async fn due_done(&self, id: &str, lease: i64) -> Result<(), StoreError> {
        self.guarded(
            "aforo_due_done",
            self.pool.next().fcall::<Value, _, _, _>("aforo_due_done", vec![DUE.to_string()], vec![id.to_string(), lease.to_string()]),
        )
        .await?;
        Ok(())
    }

    /// Reclaims a resource's expired holds: `(reclaimed, next expiry ms)`.
    pub async fn sweep(&self, id: &str) -> Result<(u64, Option<i64>), StoreError> {
        let out = self.fcall_reclaiming("aforo_sweep", id, vec![ResourceKeys::new(id).meta()], vec![]).await?;
        Ok((num("aforo_sweep", out.first())?, out.get(1).and_then(|s| s.parse::<f64>().ok()).map(|f| f as i64)))
    }

    /// The underlying pool, for tools and benchmarks that call the library directly.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}
