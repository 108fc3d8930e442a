//! # aforo-origin
//!
//! The authoritative side of Aforo: a hyper server that validates documents and plans holds
//! with aforo-core, and takes them atomically in Redis through fred.

pub mod admission;
pub mod app;
pub mod archived;
pub mod auth;
pub mod body;
pub mod capacity;
pub mod config;
pub mod console;
pub mod enforcement;
pub mod error;
pub mod holds;
pub mod http;
pub mod lastknown;
pub mod metrics;
pub mod obs;
pub mod ops;
pub mod periodic;
pub mod quota;
pub mod routes;
pub mod server;
pub mod store;
pub mod text;
pub mod tls;
pub mod waitlist;
pub mod webhook_settings;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long `run` takes at most to return once shutdown is asked for: open requests get
/// `server::GRACE`, background tasks the rest; within the 10 s an orchestrator gives after
/// SIGTERM, whether or not Redis answers.
pub const SHUTDOWN_BUDGET: Duration = Duration::from_secs(7);

/// What `run` can fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects Redis, waiting for it (with backoff) up to the configured time: Redis, or a
/// cluster still agreeing on its slots, may come up after the origin.
async fn connect(
    cfg: &config::Config,
    obs: &app::Observability,
    shutdown: &watch::Receiver<bool>,
) -> Result<Option<store::Store>, BoxError> {
    let mut store_cfg = store::StoreConfig::new(&cfg.redis_url, cfg.redis_pool, cfg.redis_timeout());
    store_cfg.breaker_open_for = Duration::from_millis(cfg.breaker_open_ms);
    store_cfg.metrics = obs.metrics.clone();
    store_cfg.audit = Some(obs.audit.clone());
    store_cfg.durability = cfg.durability();
    let deadline = std::time::Instant::now() + Duration::from_secs(cfg.redis_connect_timeout_s);
    let mut delay = Duration::from_millis(100);
    loop {
        match store::Store::connect(&store_cfg).await {
            Ok(s) => return Ok(Some(s)),
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "Redis not ready; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = async { let mut s = shutdown.clone(); let _ = s.changed().await; } => return Ok(None),
                }
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Builds the shared state: store, audit writer (which drains and ends once `audit_stop`
/// turns true), app.
async fn start(
    cfg: config::Config,
    signals: Arc<obs::signals::Signals>,
    shutdown: &watch::Receiver<bool>,
    audit_stop: watch::Receiver<bool>,
) -> Result<Option<(app::AppRef, tokio::task::JoinHandle<()>)>, BoxError> {
    let metrics = Arc::new(metrics::Metrics::new());
    let (audit, audit_rx) = store::Audit::channel(metrics.clone());
    let obs = app::Observability { metrics, audit, signals };
    let Some(store) = connect(&cfg, &obs, shutdown).await? else { return Ok(None) };
    store::promise::log_promise(&store).await;
    let trail = store::audit_log::Trail { shards: cfg.audit_shards as usize, retention: cfg.audit_retention() };
    let writer = tokio::spawn(store::audit_log::run(store.clone(), audit_rx, trail, audit_stop));
    let app = Arc::new(app::App::new(cfg, store, obs)?);
    app.sync_clock().await?;
    app.refresh_mode().await?;
    Ok(Some((app, writer)))
}

/// Runs the origin until `shutdown` turns true: connects Redis, loads the library, starts
/// the sweeper, the clock sync, the audit writer and the operations loops, and serves on
/// `listener`. `signals` is the buffer the logging layer fills.
pub async fn run(
    cfg: config::Config,
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
    signals: Arc<obs::signals::Signals>,
) -> Result<(), BoxError> {
    tls::install();
    let compact = (cfg.compact_interval_ms > 0).then(|| store::compactor::CompactConfig {
        every: Duration::from_millis(cfg.compact_interval_ms),
        retention_d: cfg.booking_retention_d,
        offset_ms: cfg.test_compact_offset_d.saturating_mul(86_400_000),
        budget: 1000,
        steps_per_tick: 4,
    });
    let sweep = store::sweeper::SweeperConfig { interval: Duration::from_millis(cfg.sweep_interval_ms), compact, ..Default::default() };
    let (audit_stop, audit_stopped) = watch::channel(false);
    let Some((app, writer)) = start(cfg, signals, &shutdown, audit_stopped).await? else { return Ok(()) };
    let sweeper = tokio::spawn(store::sweeper::run(app.store.clone(), sweep, shutdown.clone()));
    let clock = {
        let (app, mut stop) = (app.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                    _ = stop.changed() => return,
                }
                if let Err(e) = app.sync_clock().await {
                    tracing::warn!(error = %e, "could not read Redis TIME");
                }
            }
        })
    };
    let mut ops_tasks = ops::loops::spawn(app.clone(), shutdown.clone());
    ops_tasks.extend(webhooks::run::spawn(app.clone(), shutdown.clone()));
    app.verifier.start(shutdown.clone());
    tracing::info!(listen = %listener.local_addr()?, "aforo-origin serving");
    let served = server::serve(listener, app.clone(), shutdown.clone()).await;
    // The refused requests counted so far, then the audit writer drains its queue.
    app.flush_denied(true);
    let _ = audit_stop.send(true);
    // Background work waiting on an unreachable store must not keep the process from
    // exiting: what is not done by the end of the shutdown budget is abandoned.
    let budget = SHUTDOWN_BUDGET.saturating_sub(server::GRACE);
    let all = async {
        let _ = tokio::join!(sweeper, clock, writer);
        for t in ops_tasks {
            let _ = t.await;
        }
    };
    if tokio::time::timeout(budget, all).await.is_err() {
        tracing::warn!("shutdown: background tasks still busy (store unreachable?); exiting without them");
    }
    served?;
    Ok(())
}

/// `aforo-origin check`: the drift check from the command line. Prints the report as JSON;
/// `Ok(true)` when everything is consistent (or was repaired).
pub async fn check(cfg: config::Config, resource: Option<String>, repair: bool) -> Result<bool, BoxError> {
    let (_tx, rx) = watch::channel(false);
    let Some((app, _writer)) = start(cfg, obs::signals::Signals::new(), &rx, rx.clone()).await? else { return Ok(false) };
    let report = ops::drift::run(&app, resource.as_deref(), repair, ("cli", "ops")).await.map_err(|e| e.to_string())?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    // Let the audit writer store the repair events before exiting.
    let _ = _tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(3), _writer).await;
    Ok(report.findings.iter().all(|f| f.oversold.is_empty() && (repair || (f.drift.is_empty() && f.stale.is_empty()))))
}

/// `aforo-origin slo-report --month YYYY-MM`: the month's SLO record, judged at Redis's time.
pub async fn slo_report(cfg: &config::Config, month: &str) -> Result<serde_json::Value, BoxError> {
    let store = store::Store::connect(&store::StoreConfig::new(&cfg.redis_url, 1, cfg.redis_timeout())).await?;
    let now = store.time_ms().await?;
    match ops::rollup::month_report(&store, month, cfg.slo_targets(), now).await {
        Ok(r) => Ok(r),
        Err(Ok(why)) => Err(why.into()),
        Err(Err(e)) => Err(e.into()),
    }
}
