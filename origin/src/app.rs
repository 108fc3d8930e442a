//! Shared state of the origin: the store, the token verifier, a cache of compiled documents
//! keyed by version, and the offset to Redis's clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use aforo_core::{buckets_for, Bucket, Counters, Resource, Snapshot, State};
use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::Verifier;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::obs::alerts::Alerts;
use crate::obs::signals::Signals;
use crate::obs::slo::Slo;
use crate::store::audit_log::Trail;
use crate::store::{Actor, Audit, AuditEvent, Coalescer, Meta, Mode, Store};

/// A compiled document at one version.
#[derive(Debug)]
pub struct Loaded {
    /// Its worst case per date (what a read of it costs).
    pub costs: aforo_core::Costs,
    /// The resource id.
    pub id: String,
    /// Owner.
    pub owner: String,
    /// Compiled document.
    pub resource: Resource,
    /// Version, stock, pause.
    pub state: State,
    /// When it was archived (Redis ms); an archived resource answers 404 to all but its
    /// bookings and the operators' checks.
    pub archived_at: Option<i64>,
    /// Counters the seller knowingly left past their limit (`crate::capacity`).
    pub overcommitted: Option<String>,
}

impl Loaded {
    /// A snapshot of this document with `counters` read at `as_of` (covering `covers`).
    pub fn snapshot(&self, covers: Option<(NaiveDate, NaiveDate)>, counters: Counters, as_of: DateTime<Utc>) -> Snapshot {
        Snapshot {
            resource_id: self.id.clone(),
            owner: self.owner.clone(),
            resource: self.resource.clone(),
            state: self.state.clone(),
            covers,
            counters,
            as_of,
        }
    }
}

/// Application state, shared by every request.
#[derive(Debug)]
pub struct App {
    /// Settings.
    pub cfg: Config,
    /// Redis.
    pub store: Store,
    /// Hold parts, grouped per resource while a call on it is in flight (group commit).
    pub holds: Coalescer,
    /// JWT verifier.
    pub verifier: Verifier,
    /// Makes and reads the opaque hold ids.
    pub ids: crate::store::HoldIds,
    docs: RwLock<HashMap<String, Arc<Loaded>>>,
    clock_offset_ms: AtomicI64,
    /// Per resource, the sweep time this origin last put in `af:due`.
    scheduled: RwLock<HashMap<String, i64>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The audit trail.
    pub audit: Audit,
    /// SLO windows.
    pub slo: Slo,
    /// Alert rules and state.
    pub alerts: Alerts,
    /// Recent warnings and errors.
    pub signals: Arc<Signals>,
    read_only: AtomicBool,
    /// The deployment's default enforcement is shadow (`crate::enforcement`).
    pub shadow_default: AtomicBool,
    limiter: Option<governor::DefaultKeyedRateLimiter<String>>,
    /// Per resource, (drifted, oversold) buckets at its last check.
    findings: Mutex<HashMap<String, [usize; 4]>>,
    /// What each caller or client address gets: anonymous rate, denied audits, heavy-read
    /// shares, event streams.
    pub admission: crate::admission::Admission,
    /// Figures last read per resource, for degraded answers.
    pub last_known: crate::lastknown::LastKnown,
    /// Degraded answers given (validate-stock), over the last hour.
    pub degraded: crate::obs::recent::Recent,
    /// Stale answers edges reported (`Aforo-Edge-Stale` on their requests).
    pub edge_stale: crate::obs::recent::Recent,
    pub outbound: crate::obs::outbound::Outbound,
}

/// Work (counters a read names, or evaluation steps of its dates: `aforo_core::limits`) from
/// which a read is heavy: it takes a permit and computes on the blocking pool. About 5–10 ms
/// of CPU in release (a one-year calendar of an ordinary restaurant); below it the hand-off
/// costs more than it saves.
pub const HEAVY_WORK: usize = 200_000;

/// What the origin observes itself with, made before the store (which counts into it).
#[derive(Debug, Clone)]
pub struct Observability {
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Audit handle.
    pub audit: Audit,
    /// Signals buffer (filled by the logging layer).
    pub signals: Arc<Signals>,
}

/// How many times a read or hold retries after finding a newer document version.
const VERSION_RETRIES: usize = 3;

impl App {
    /// New state; errs when the alert rules file cannot be used.
    pub fn new(cfg: Config, store: Store, obs: Observability) -> Result<Self, String> {
        let verifier = Verifier::from_config(&cfg)?;
        let ids = crate::store::HoldIds::new(cfg.hold_id_secret());
        let rules = match &cfg.alerts_file {
            Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
            None => crate::obs::alerts::BUILTIN.to_string(),
        };
        let alerts = Alerts::new(crate::obs::alerts::parse(&rules).map_err(|e| e.to_string())?);
        let slo = Slo::new(cfg.slo_targets());
        let limiter = std::num::NonZeroU32::new(cfg.rate_limit_rps).map(|rps| {
            let burst = cfg
                .rate_limit_burst
                .and_then(std::num::NonZeroU32::new)
                .unwrap_or(rps.saturating_mul(std::num::NonZeroU32::MIN.saturating_add(1)));
            governor::RateLimiter::keyed(governor::Quota::per_second(rps).allow_burst(burst))
        });
        Ok(App {
            holds: Coalescer::new(store.clone(), usize::try_from(cfg.batch_max).unwrap_or(1)),
            store,
            ids,
            verifier,
            docs: RwLock::new(HashMap::new()),
            clock_offset_ms: AtomicI64::new(0),
            scheduled: RwLock::new(HashMap::new()),
            metrics: obs.metrics,
            audit: obs.audit,
            slo,
            alerts,
            signals: obs.signals,
            read_only: AtomicBool::new(false),
            shadow_default: AtomicBool::new(false),
            limiter,
            findings: Mutex::new(HashMap::new()),
            last_known: Default::default(),
            degraded: Default::default(),
            edge_stale: Default::default(),
            outbound: Default::default(),
            admission: crate::admission::Admission::new(&cfg)?,
            cfg,
        })
    }

    /// Counts one request of `caller` against its rate; 429 over it.
    pub fn rate_limit(&self, caller: &str) -> Result<(), ApiError> {
        let Some(l) = &self.limiter else { return Ok(()) };
        l.check_key(&caller.to_string()).map_err(|not_until| {
            use governor::clock::Clock;
            ApiError::RateLimited(not_until.wait_time_from(governor::clock::DefaultClock::default().now()))
        })
    }

    /// Drops rate-limit state of callers (and client addresses) quiet long enough to be back
    /// at full burst.
    pub fn forget_quiet_callers(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
        self.admission.forget_quiet();
    }

    /// Audits the refused requests of the windows closed by now (of all of them when `all`,
    /// at shutdown): one `auth.denied` entry each, with its count.
    pub fn flush_denied(&self, all: bool) {
        for ev in self.admission.denied.take(self.now().timestamp_millis(), all) {
            self.audit.record(ev);
        }
    }

    /// Errs with 503 READ_ONLY while ops have switched writes off.
    pub fn writable(&self) -> Result<(), ApiError> {
        if self.read_only.load(Ordering::Relaxed) {
            return Err(ApiError::ReadOnly);
        }
        Ok(())
    }

    fn apply_mode(&self, m: &Mode) {
        let was = self.read_only.swap(m.read_only, Ordering::Relaxed);
        self.metrics.read_only.set(i64::from(m.read_only));
        if was != m.read_only {
            tracing::warn!(read_only = m.read_only, by = ?m.by, reason = ?m.reason, "write mode changed");
        }
    }

    /// Re-reads the shared switch from Redis.
    pub async fn refresh_mode(&self) -> Result<Mode, ApiError> {
        let m = self.store.mode().await?;
        self.apply_mode(&m);
        Ok(m)
    }

    /// Sets the shared switch (every origin on this Redis follows within its refresh period).
    pub async fn set_mode(&self, m: Mode) -> Result<Mode, ApiError> {
        self.store.set_mode(&m).await?;
        self.apply_mode(&m);
        Ok(m)
    }

    /// Records one resource's check results and refreshes the gauges.
    pub fn note_findings(&self, id: &str, drift: usize, oversold: usize, overcommitted: usize, shadow: usize) {
        let mut f = self.findings.lock().unwrap_or_else(|p| p.into_inner());
        if drift == 0 && oversold == 0 && overcommitted == 0 && shadow == 0 {
            f.remove(id);
        } else {
            f.insert(id.to_string(), [drift, oversold, overcommitted, shadow]);
        }
        self.publish_findings(&f);
    }

    fn publish_findings(&self, f: &HashMap<String, [usize; 4]>) {
        let sum = |i: usize| f.values().map(|v| v[i] as i64).sum();
        self.metrics.drift_buckets.set(sum(0));
        self.metrics.oversold_buckets.set(sum(1));
        self.metrics.overcommitted_buckets.set(sum(2));
        self.metrics.shadow_over_buckets.set(sum(3));
    }

    /// After a full check: forget findings of resources no longer present.
    pub fn note_full_check(&self, ids: &[String]) {
        let mut f = self.findings.lock().unwrap_or_else(|p| p.into_inner());
        f.retain(|k, _| ids.binary_search(k).is_ok());
        self.publish_findings(&f);
    }

    /// Where the audit trail is kept.
    pub fn trail(&self) -> Trail {
        Trail { shards: self.cfg.audit_shards as usize, retention: self.cfg.audit_retention() }
    }

    /// Queues an audit event stamped now.
    pub fn audit(&self, kind: &str, actor: &str, role: &str, f: impl FnOnce(AuditEvent) -> AuditEvent) {
        self.audit.record(f(AuditEvent::new(kind, actor, role, self.now())));
    }

    /// Queues an audit event of `kind` by `actor` stamped now; `f` adds the rest.
    pub fn audit_by(&self, actor: &Actor, kind: &str, f: impl FnOnce(AuditEvent) -> AuditEvent) {
        self.audit.record(f(AuditEvent::by(actor, kind, self.now())));
    }

    /// Re-reads Redis TIME and keeps the offset to the local clock, so that rules are judged
    /// on Redis's clock without a round trip per request.
    pub async fn sync_clock(&self) -> Result<(), ApiError> {
        let before = Utc::now().timestamp_millis();
        let redis = self.store.time_ms().await?;
        let after = Utc::now().timestamp_millis();
        self.clock_offset_ms.store(redis - (before + after) / 2, Ordering::Relaxed);
        Ok(())
    }

    /// Now, on Redis's clock.
    pub fn now(&self) -> DateTime<Utc> {
        let ms = Utc::now().timestamp_millis() + self.clock_offset_ms.load(Ordering::Relaxed);
        DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now)
    }

    fn compile(id: &str, meta: Meta) -> Result<Loaded, ApiError> {
        // An archived resource keeps a summary in place of its document (crate::archived).
        let resource = match meta.archived_at {
            Some(_) => crate::archived::compile(&meta.doc),
            None => Resource::from_json(meta.doc.as_bytes()).map_err(|e| e.to_string()),
        }
        .map_err(|e| ApiError::Internal(format!("stored document of {id} is invalid: {e}")))?;
        let pause = match meta.pause {
            Some(p) => Some(serde_json::from_str(&p).map_err(|e| ApiError::Internal(format!("stored pause of {id}: {e}")))?),
            None => None,
        };
        Ok(Loaded {
            id: id.to_string(),
            owner: meta.owner,
            costs: aforo_core::costs(&resource),
            resource,
            state: State { version: meta.version, on_hand: meta.on_hand, pause },
            archived_at: meta.archived_at,
            overcommitted: meta.overcommitted,
        })
    }

    /// The resource's compiled document; from cache unless `at_least` is newer. An archived
    /// resource is not found.
    pub async fn load(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        let l = self.load_any(id, at_least).await?;
        if l.archived_at.is_some() {
            return Err(ApiError::ResourceNotFound(id.to_string()));
        }
        Ok(l)
    }

    /// As [`App::load`], archived resources included (their bookings, the drift check).
    pub async fn load_any(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        if let Some(l) = self.docs.read().map_err(|_| ApiError::Internal("doc cache poisoned".into()))?.get(id) {
            if at_least.is_none_or(|v| l.state.version >= v) {
                return Ok(l.clone());
            }
        }
        let meta = self.store.meta(id).await?.ok_or_else(|| ApiError::ResourceNotFound(id.to_string()))?;
        let loaded = Arc::new(Self::compile(id, meta)?);
        let mut docs = self.docs.write().map_err(|_| ApiError::Internal("doc cache poisoned".into()))?;
        let keep = docs.get(id).is_some_and(|c| c.state.version > loaded.state.version);
        if !keep {
            docs.insert(id.to_string(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Makes sure the sweeper looks at `id` by `at_ms`. The `ZADD LT` is skipped when this
    /// origin already scheduled an earlier sweep that is still in the future: the sweeper
    /// only removes entries once they are due, so that entry is still there.
    pub async fn schedule_sweep(&self, id: &str, at_ms: i64) -> Result<(), ApiError> {
        let now = self.now().timestamp_millis();
        let known = self.scheduled.read().ok().and_then(|m| m.get(id).copied());
        if known.is_some_and(|t| t <= at_ms && t > now + 1000) {
            return Ok(());
        }
        self.store.schedule_sweep(id, at_ms).await?;
        if let Ok(mut m) = self.scheduled.write() {
            if m.len() > 100_000 {
                m.retain(|_, t| *t > now);
            }
            let e = m.entry(id.to_string()).or_insert(at_ms);
            if *e <= now || at_ms < *e {
                *e = at_ms;
            }
        }
        Ok(())
    }

    /// Forgets a cached document (after this origin changed it).
    pub fn forget(&self, id: &str) {
        if let Ok(mut d) = self.docs.write() {
            d.remove(id);
        }
    }

    /// Admits a read of about `work` units for `key` (a caller, or a client address): a heavy
    /// one waits for one of the `AFORO_HEAVY_READS` permits and keeps it until it has answered
    /// (or its request timed out), so that heavy reads run a few at a time, each to its end,
    /// rather than all interleaved and all late; each key has at most its share of them
    /// waiting or running (`crate::admission::shares`: 429 beyond its own queue unless
    /// `patient`); a light one needs none.
    pub async fn admit(&self, work: usize, (key, patient): (String, bool)) -> Result<Option<crate::admission::shares::Permit>, ApiError> {
        if work < HEAVY_WORK {
            return Ok(None);
        }
        let permit = self.admission.heavy.acquire(&key, patient).await;
        if permit.is_err() {
            self.metrics.admission_refused.get_or_create(&crate::metrics::ReasonLabels { reason: "heavy_share".into() }).inc();
        }
        permit.map(Some)
    }

    /// Runs CPU work of about `work` units: heavy work on the blocking pool, so that the async
    /// workers keep answering everyone else. Work that has started runs to its end even when
    /// its request times out; the document limits bound it (docs/limits.md).
    pub async fn compute<T: Send + 'static>(&self, work: usize, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        if work < HEAVY_WORK {
            return Ok(f());
        }
        tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("a computation failed: {e}")))
    }

    /// A snapshot of `from..=to` (ignored for stock-only), reclaiming expired holds first and
    /// retrying when the document changed under it.
    pub async fn snapshot(&self, id: &str, range: Option<(NaiveDate, NaiveDate)>) -> Result<Snapshot, ApiError> {
        self.snapshot_of(id, |l| {
            let covers = range.filter(|_| l.resource.is_dated());
            let days = covers.map_or(1, |(f, t)| usize::try_from((t - f).num_days() + 1).unwrap_or(1));
            let doc = l.clone();
            let buckets = move || {
                let (f, t) = covers.unwrap_or((NaiveDate::MIN, NaiveDate::MIN));
                buckets_for(&doc.resource, f, t)
            };
            (buckets, covers, days.saturating_mul(l.costs.day_buckets as usize))
        })
        .await
    }

    /// A snapshot of the counters `pick` names for the document it is given (and the dates it
    /// says they cover), read in one step with the version, reclaiming expired holds first.
    pub async fn snapshot_with(
        &self,
        id: &str,
        pick: impl Fn(&Loaded) -> (Vec<Bucket>, Option<(NaiveDate, NaiveDate)>),
    ) -> Result<Snapshot, ApiError> {
        self.snapshot_of(id, |l| {
            let (buckets, covers) = pick(l);
            let work = buckets.len();
            (move || buckets, covers, work)
        })
        .await
    }

    /// The snapshot `pick` describes for the document at its version: the counters to read
    /// (named by a computation of about `work` units), the dates they cover; read again at the
    /// newer version when the document changed under it.
    async fn snapshot_of<B>(
        &self,
        id: &str,
        pick: impl Fn(&Arc<Loaded>) -> (B, Option<(NaiveDate, NaiveDate)>, usize),
    ) -> Result<Snapshot, ApiError>
    where
        B: FnOnce() -> Vec<Bucket> + Send + 'static,
    {
        let mut at_least = None;
        for _ in 0..VERSION_RETRIES {
            let l = self.load(id, at_least).await?;
            let (buckets, covers, work) = pick(&l);
            let (buckets, names) = self
                .compute(work, move || {
                    let buckets = buckets();
                    let names: Vec<String> = buckets.iter().map(ToString::to_string).collect();
                    (buckets, names)
                })
                .await?;
            let (now_ms, version, vals) = self.store.read(&l.id, names).await?.ok_or_else(|| ApiError::ResourceNotFound(l.id.clone()))?;
            if version != l.state.version {
                at_least = Some(version);
                continue;
            }
            let counters = self.compute(work, move || Counters(buckets.into_iter().zip(vals).filter(|(_, v)| *v > 0).collect())).await?;
            return Ok(l.snapshot(covers, counters, DateTime::from_timestamp_millis(now_ms).unwrap_or_else(Utc::now)));
        }
        Err(ApiError::StoreUnavailable(format!("resource {id} kept changing while it was read; retry")))
    }
}

/// Shared handle.
pub type AppRef = Arc<App>;
