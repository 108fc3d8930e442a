//! Shared state of the origin: a thin composition of its concerns, each its own type in
//! `app/` (the document cache and snapshots, heavy work, Redis's clock, the read-only switch,
//! the drift findings, the scheduled sweeps, the rate limit), with the store, the token
//! verifier and what the origin observes itself with. The methods here only hand a call to
//! the concern that owns it, so that handlers keep one entry (`app.load`, `app.now`, …).

mod clock;
mod documents;
mod findings;
mod mode;
mod rate;
mod sweeps;
mod work;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use aforo_core::{Bucket, Snapshot};
use chrono::{DateTime, NaiveDate, Utc};

pub use clock::Clock;
pub use documents::{Documents, Loaded};
pub use findings::Findings;
pub use mode::WriteMode;
pub use rate::RateLimit;
pub use sweeps::Sweeps;
pub use work::HEAVY_WORK;

use crate::auth::Verifier;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::obs::alerts::Alerts;
use crate::obs::signals::Signals;
use crate::obs::slo::Slo;
use crate::store::audit_log::Trail;
use crate::store::{Actor, Audit, AuditEvent, Coalescer, Mode, Store};

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
    /// Compiled documents by version, and the snapshots read against them.
    pub docs: Documents,
    /// Redis's clock.
    pub clock: Clock,
    /// The sweeps this origin scheduled.
    pub sweeps: Sweeps,
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
    /// The shared read-only switch.
    pub mode: WriteMode,
    /// The deployment's default enforcement is shadow (`crate::enforcement`).
    pub shadow_default: AtomicBool,
    /// Per-caller rate limit.
    pub rate: RateLimit,
    /// The drift check's findings, into the gauges.
    pub findings: Findings,
    /// What each caller or client address gets: anonymous rate, denied audits, heavy-read
    /// shares, event streams.
    pub admission: crate::admission::Admission,
    /// Figures last read per resource, for degraded answers.
    pub last_known: crate::lastknown::LastKnown,
    /// Degraded answers given (validate-stock), over the last hour.
    pub degraded: crate::obs::recent::Recent,
    /// Stale answers edges reported (`Aforo-Edge-Stale` on their requests).
    pub edge_stale: crate::obs::recent::Recent,
    /// The outbound (webhook) figures its alert rules read.
    pub outbound: crate::obs::outbound::Outbound,
}

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
        Ok(App {
            holds: Coalescer::new(store.clone(), usize::try_from(cfg.batch_max).unwrap_or(1)),
            docs: Documents::new(store.clone()),
            store,
            ids,
            verifier,
            clock: Clock::default(),
            sweeps: Sweeps::default(),
            mode: WriteMode::new(obs.metrics.clone()),
            findings: Findings::new(obs.metrics.clone()),
            metrics: obs.metrics,
            audit: obs.audit,
            slo: Slo::new(cfg.slo_targets()),
            alerts,
            signals: obs.signals,
            shadow_default: AtomicBool::new(false),
            rate: RateLimit::new(&cfg),
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
        self.rate.check(caller)
    }

    /// Drops rate-limit state of callers (and client addresses) quiet long enough to be back
    /// at full burst.
    pub fn forget_quiet_callers(&self) {
        self.rate.forget_quiet();
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
        self.mode.writable()
    }

    /// Re-reads the shared switch from Redis.
    pub async fn refresh_mode(&self) -> Result<Mode, ApiError> {
        self.mode.refresh(&self.store).await
    }

    /// Sets the shared switch (every origin on this Redis follows within its refresh period).
    pub async fn set_mode(&self, m: Mode) -> Result<Mode, ApiError> {
        self.mode.set(&self.store, m).await
    }

    /// Records one resource's check results and refreshes the gauges.
    pub fn note_findings(&self, id: &str, drift: usize, oversold: usize, overcommitted: usize, shadow: usize) {
        self.findings.note(id, drift, oversold, overcommitted, shadow);
    }

    /// After a full check: forget findings of resources no longer present.
    pub fn note_full_check(&self, ids: &[String]) {
        self.findings.note_full_check(ids);
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
        self.clock.sync(&self.store).await
    }

    /// Now, on Redis's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The resource's compiled document; from cache unless `at_least` is newer. An archived
    /// resource is not found.
    pub async fn load(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        self.docs.load(id, at_least).await
    }

    /// As [`App::load`], archived resources included (their bookings, the drift check).
    pub async fn load_any(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        self.docs.load_any(id, at_least).await
    }

    /// Makes sure the sweeper looks at `id` by `at_ms` ([`Sweeps::schedule`]).
    pub async fn schedule_sweep(&self, id: &str, at_ms: i64) -> Result<(), ApiError> {
        self.sweeps.schedule(&self.store, id, at_ms, self.now().timestamp_millis()).await
    }

    /// Forgets a cached document (after this origin changed it).
    pub fn forget(&self, id: &str) {
        self.docs.forget(id);
    }

    /// Admits a read of about `work` units for `key` (a caller, or a client address): a heavy
    /// one waits for a permit within the key's share (`app/work.rs`); a light one needs none.
    pub async fn admit(&self, work: usize, key: (String, bool)) -> Result<Option<crate::admission::shares::Permit>, ApiError> {
        work::admit(&self.admission, &self.metrics, work, key).await
    }

    /// Runs CPU work of about `work` units: heavy work on the blocking pool (`app/work.rs`).
    pub async fn compute<T: Send + 'static>(&self, work: usize, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        work::compute(work, f).await
    }

    /// A snapshot of `from..=to` (ignored for stock-only), reclaiming expired holds first and
    /// retrying when the document changed under it.
    pub async fn snapshot(&self, id: &str, range: Option<(NaiveDate, NaiveDate)>) -> Result<Snapshot, ApiError> {
        self.docs.snapshot(id, range).await
    }

    /// A snapshot of the counters `pick` names for the document it is given (and the dates it
    /// says they cover), read in one step with the version, reclaiming expired holds first.
    pub async fn snapshot_with(
        &self,
        id: &str,
        pick: impl Fn(&Loaded) -> (Vec<Bucket>, Option<(NaiveDate, NaiveDate)>),
    ) -> Result<Snapshot, ApiError> {
        self.docs.snapshot_with(id, pick).await
    }
}

/// Shared handle.
pub type AppRef = Arc<App>;
