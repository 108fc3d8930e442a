//! The connection: a fred pool behind the circuit breaker, the function library loaded into
//! Redis, and the plain calls (PING, TIME) every other room of the store builds on.
//!
//! The library is loaded as Redis Functions rather than EVALSHA scripts: functions persist
//! with the data (RDB/AOF) and replicate, so a restarted Redis still has them and there is no
//! NOSCRIPT reload stampede. If they are missing anyway (a `FUNCTION FLUSH`, a fresh server
//! without persistence), one caller reloads them while the others wait on the same lock, then
//! all retry once.
//!
//! The library and each of its functions carry the library's version (a hash of its source,
//! from build.rs): an origin loads its own version beside the others and never replaces or
//! deletes another's, so that during a rolling deploy every origin calls its own code.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::prelude::*;
use fred::types::Builder;

use super::audit::{Audit, AuditEvent};
use super::breaker;
use super::durability::{self, Durability, Waited};
use super::error::StoreError;
use super::reply::Reply;
use crate::metrics::Metrics;

/// The library's source, joined from src/store/lua/ by build.rs.
pub const LIBRARY: &str = include_str!(concat!(env!("OUT_DIR"), "/aforo.lua"));

/// The library's version: a hash of its source.
pub const LIBRARY_VERSION: &str = env!("AFORO_LUA_VERSION");

/// The library's name in Redis.
pub const LIBRARY_NAME: &str = concat!("aforo_", env!("AFORO_LUA_VERSION"));

/// The name in Redis of library function `name` (`aforo_hold` → `aforo_hold_<version>`).
pub fn function_name(name: &str) -> String {
    format!("{name}_{LIBRARY_VERSION}")
}

/// Whether a load failed because this version is there already (loaded by another origin of
/// the same release meanwhile): the same name is the same code.
fn already_loaded(e: &fred::error::Error) -> bool {
    e.details().contains("already exists")
}

/// Whether a Redis error means Redis is unreachable or too slow (what the breaker counts), as
/// opposed to an error reply from a Redis that works.
pub(super) fn is_outage(e: &fred::error::Error) -> bool {
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
    /// What a write waits for before it is answered (`async`: nothing).
    pub durability: Durability,
}

impl StoreConfig {
    /// Settings with a fresh metrics registry, a 1 s breaker and no audit.
    pub fn new(url: &str, pool_size: usize, command_timeout: Duration) -> Self {
        StoreConfig {
            url: url.to_string(),
            pool_size,
            command_timeout,
            breaker_open_for: Duration::from_millis(500),
            metrics: Arc::new(Metrics::new()),
            audit: None,
            durability: Durability::Async,
        }
    }
}

/// The store: a fred pool and the loaded library.
#[derive(Clone)]
pub struct Store {
    pub(super) pool: Pool,
    /// The connections writes and their WAIT go on in `replicated` mode (a blocked WAIT
    /// then delays no read); the same pool as `pool` in `async`.
    writes: Pool,
    durability: Durability,
    pub(super) clustered: bool,
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

pub(super) fn strings(v: Vec<Value>) -> Vec<String> {
    v.into_iter().map(|x| x.convert::<Option<String>>().ok().flatten().unwrap_or_default()).collect()
}

impl Store {
    /// Connects and loads the library.
    pub async fn connect(cfg: &StoreConfig) -> Result<Store, StoreError> {
        let config = Config::from_url(&cfg.url)?;
        let clustered = config.server.is_clustered();
        if clustered && cfg.durability != Durability::Async {
            // WAIT answers for one node's replicas: it would have to follow each call to its
            // slot's primary, which this origin does not do yet.
            return Err(StoreError::Reply(
                "config",
                "AFORO_DURABILITY=replicated needs redis:// or redis-sentinel://, not a cluster".into(),
            ));
        }
        let pool = build_pool(&config, cfg, cfg.command_timeout).await?;
        let writes = match cfg.durability {
            Durability::Async => pool.clone(),
            // Room for the WAIT on top of the call itself.
            Durability::Replicated { timeout, .. } => build_pool(&config, cfg, cfg.command_timeout + timeout).await?,
        };
        let breaker = Arc::new(breaker::Breaker::new(cfg.breaker_open_for));
        // Connection errors open the breaker before any request has to wait for a timeout.
        let dedicated = if cfg.durability == Durability::Async { Vec::new() } else { writes.clients().to_vec() };
        for client in pool.clients().iter().chain(dedicated.iter()) {
            let (b, m) = (breaker.clone(), cfg.metrics.clone());
            client.on_error(move |(e, _server)| {
                record_failure(&b, &m, "connection", &e);
                async { Ok(()) }
            });
        }
        let store = Store {
            pool,
            writes,
            durability: cfg.durability,
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
    pub(super) async fn guarded<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, StoreError> {
        self.guarded_counting(op, call, true).await
    }

    /// [`Self::guarded`]; a timeout counts against the breaker only if `timeouts` (a write
    /// queued behind WAITs for a lost replica times out on a Redis that answers: that must
    /// not shut reads out).
    async fn guarded_counting<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, fred::error::Error>>,
        timeouts: bool,
    ) -> Result<T, StoreError> {
        if let Err(wait) = self.breaker.allow() {
            self.metrics.breaker_rejected.inc();
            return Err(StoreError::CircuitOpen(wait));
        }
        let start = Instant::now();
        let r = call.await;
        self.metrics.redis_call(op, start.elapsed(), r.is_ok());
        match &r {
            Err(e) if !timeouts && e.kind() == &fred::error::ErrorKind::Timeout => {}
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
    pub(super) fn expired(&self, resource: &str, out: &mut Vec<String>) {
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
        let loaded = if self.clustered {
            client.function_load_cluster::<(), _>(false, LIBRARY).await
        } else {
            client.function_load::<String, _>(false, LIBRARY).await.map(|_| ())
        };
        match loaded {
            Err(e) if !already_loaded(&e) => return Err(e.into()),
            _ => {}
        }
        self.reloads.fetch_add(1, AtomicOrdering::SeqCst);
        Ok(())
    }

    /// Times the library was loaded by this process.
    pub fn library_loads(&self) -> u64 {
        self.reloads.load(AtomicOrdering::SeqCst)
    }

    /// Calls library function `name`, reloading the library once if Redis lost it.
    /// In `replicated` mode a call that writes is answered only once WAIT confirms it
    /// ([`durability`]); fewer replicas in time: [`StoreError::NotDurable`].
    pub(super) async fn fcall(&self, name: &'static str, keys: Vec<String>, args: Vec<String>) -> Result<Reply, StoreError> {
        let mut out = self.fcall_reloading(name, keys, args).await?.into_inner();
        self.offers_made(&mut out).await;
        Ok(Reply::new(name, out))
    }

    async fn fcall_reloading(&self, name: &'static str, keys: Vec<String>, args: Vec<String>) -> Result<Reply, StoreError> {
        let seen = self.reloads.load(AtomicOrdering::SeqCst);
        match self.fcall_once(name, keys.clone(), args.clone()).await {
            Err(StoreError::Redis(e)) if e.details().contains("Function not found") => {
                // Single flight: whoever gets the lock first reloads; the rest see the count move.
                let _guard = self.reload.lock().await;
                if self.reloads.load(AtomicOrdering::SeqCst) == seen {
                    tracing::warn!(function = name, "function library missing in Redis; reloading");
                    self.load_library().await?;
                }
                self.fcall_once(name, keys, args).await
            }
            other => other,
        }
    }

    /// One library call, waited for as the mode says.
    async fn fcall_once(&self, name: &'static str, keys: Vec<String>, args: Vec<String>) -> Result<Reply, StoreError> {
        let Durability::Replicated { replicas, timeout } = self.durability else {
            let out = self.guarded(name, self.pool.next().fcall::<Vec<Value>, _, _, _>(function_name(name), keys, args)).await?;
            return Ok(Reply::new(name, strings(out)));
        };
        if !durability::waits(self.durability, name) {
            let out = self.guarded(name, self.pool.next().fcall::<Vec<Value>, _, _, _>(function_name(name), keys, args)).await?;
            return Ok(Reply::new(name, strings(out)));
        }
        let started = Instant::now();
        let client = self.writes.next();
        let call = durability::fcall_waited(client, name, function_name(name), keys, args, replicas, timeout);
        match self.guarded_counting(name, call, false).await? {
            Waited::Done(reply) => {
                self.metrics.redis_call("wait", started.elapsed(), true);
                Ok(reply)
            }
            Waited::Failed(e) => Err(e.into()),
            Waited::TooFew(acked) => {
                self.metrics.redis_call("wait", started.elapsed(), false);
                tracing::warn!(function = name, acked, wanted = replicas, "write not confirmed by enough replicas in time");
                Err(StoreError::NotDurable { acked, wanted: replicas })
            }
        }
    }

    /// The durability mode.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// A library call whose reply ends with the holds it expired (audited and counted here).
    pub(super) async fn fcall_reclaiming(
        &self,
        name: &'static str,
        resource: &str,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<Reply, StoreError> {
        let mut out = self.fcall(name, keys, args).await?.into_inner();
        self.expired(resource, &mut out);
        Ok(Reply::new(name, out))
    }

    /// PING: Redis reachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.guarded("ping", self.pool.next().ping::<String>(None)).await?;
        Ok(())
    }

    /// Whether the library is present (readiness).
    pub async fn library_present(&self) -> Result<bool, StoreError> {
        let v: Value = self
            .guarded("function_list", self.pool.next().custom(fred::cmd!("FUNCTION"), vec!["LIST", "LIBRARYNAME", LIBRARY_NAME]))
            .await?;
        Ok(matches!(v, Value::Array(a) if !a.is_empty()))
    }

    /// Redis TIME in milliseconds.
    pub async fn time_ms(&self) -> Result<i64, StoreError> {
        let t: Vec<String> = self.guarded("time", self.pool.next().custom(fred::cmd!("TIME"), Vec::<String>::new())).await?;
        let t = Reply::new("TIME", t);
        let s: i64 = t.parsed(0, "seconds")?;
        let us: i64 = t.parsed(1, "microseconds")?;
        Ok(s * 1000 + us / 1000)
    }

    /// What the store promises against the mode: `CONFIG GET` (refused by some managed
    /// Redis: `unknown`) and `INFO replication`.
    pub async fn promise(&self) -> Result<durability::Promise, StoreError> {
        let c = self.pool.next();
        let info: String = self.guarded("info", c.custom(fred::cmd!("INFO"), vec!["replication"])).await?;
        let field = |k: &str| info.lines().find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix(':'))).map(|v| v.trim().to_string());
        let connected = field("connected_slaves").and_then(|v| v.parse().ok());
        let conf = |k: &'static str| async move {
            let v: Result<Vec<String>, _> = c.custom(fred::cmd!("CONFIG"), vec!["GET", k]).await;
            v.ok().and_then(|v| v.get(1).cloned())
        };
        let appendonly = conf("appendonly").await.unwrap_or_else(|| "unknown".into());
        let appendfsync = conf("appendfsync").await.unwrap_or_else(|| "unknown".into());
        let min = conf("min-replicas-to-write").await.and_then(|v| v.parse().ok());
        let lag = conf("min-replicas-max-lag").await.and_then(|v| v.parse().ok());
        Ok(durability::Promise::judge(self.durability, appendonly, appendfsync, connected, min, lag))
    }

    /// The underlying pool, for tools and benchmarks that call the library directly.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// The longest wait between two attempts to reconnect, in ms: with the breaker's 500 ms
/// probe, holds answer again within about half a second of Redis (BENCHMARKS.md,
/// "Recovery"); a dead Redis costs a pool a handful of connects a second.
const RECONNECT_MAX_MS: u32 = 250;

/// A pool on `config` with the store's settings and command timeout `timeout`.
async fn build_pool(config: &Config, cfg: &StoreConfig, timeout: Duration) -> Result<Pool, StoreError> {
    let pool = Builder::from_config(config.clone())
        .with_performance_config(|p| p.default_command_timeout = timeout)
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(2);
            c.internal_command_timeout = timeout;
            c.max_command_attempts = 2;
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 50, RECONNECT_MAX_MS, 2))
        .build_pool(cfg.pool_size.max(1))?;
    pool.init().await?;
    Ok(pool)
}
