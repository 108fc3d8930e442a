//! The background loops that keep the operations figures current: breaker probes, the
//! shared read-only switch, the store's memory, alert evaluation, forgetting quiet callers,
//! auditing refused requests, the periodic drift check.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppRef;

/// The figures alert conditions read, now.
pub fn signals(app: &AppRef) -> HashMap<&'static str, f64> {
    let mut s = app.slo.signals(app.now().timestamp_millis());
    let m = &app.metrics;
    s.insert("breaker_open", if app.store.breaker_state() == crate::store::breaker::State::Closed { 0.0 } else { 1.0 });
    s.insert("sweeper_lag_s", m.sweeper_lag.get());
    s.insert("oversold_buckets", m.oversold_buckets.get() as f64);
    s.insert("overcommitted_buckets", m.overcommitted_buckets.get() as f64);
    s.insert("drift_buckets", m.drift_buckets.get() as f64);
    s.insert("read_only", m.read_only.get() as f64);
    let now = app.now().timestamp_millis();
    s.insert("degraded_answers_5m", app.degraded.sum(now, 300) as f64);
    s.insert("edge_stale_5m", app.edge_stale.sum(now, 300) as f64);
    s.insert("store_memory_ratio", m.store_memory_ratio.get());
    s.extend(app.outbound.signals(now));
    s
}

fn every(
    period: Duration,
    stop: watch::Receiver<bool>,
    f: impl FnMut() -> futures::future::BoxFuture<'static, ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(crate::periodic::every(period, stop, f))
}

/// Reads Redis's memory into the gauges the health report, the alerts and the shedding of
/// non-booking writes read; logs once when shedding starts or stops.
async fn poll_memory(app: &AppRef) {
    match app.store.memory().await {
        Ok(m) => {
            let was = app.metrics.shedding();
            app.metrics.note_memory(m.used, m.max, app.cfg.memory_shed_ratio);
            match (was, app.metrics.shedding()) {
                (false, true) => {
                    tracing::error!(used = m.used, max = m.max, "Redis is near its memory ceiling: non-booking writes are shed")
                }
                (true, false) => tracing::warn!(used = m.used, max = m.max, "Redis memory is below the shedding ratio again"),
                _ => {}
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not read Redis memory"),
    }
}

/// Starts the background loops; they end when `stop` turns true.
pub fn spawn(app: AppRef, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let a = app.clone();
    tasks.push(every(Duration::from_millis(100), stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move { a.store.probe().await })
    }));
    let a = app.clone();
    tasks.push(every(Duration::from_millis(app.cfg.mode_refresh_ms.max(50)), stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move {
            if let Err(e) = a.refresh_mode().await {
                tracing::debug!(error = %e, "could not read the mode switch");
            }
            if let Err(e) = a.refresh_enforcement().await {
                tracing::debug!(error = %e, "could not read the default enforcement");
            }
        })
    }));
    let a = app.clone();
    tasks.push(every(Duration::from_millis(app.cfg.alert_interval_ms.max(50)), stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move {
            let s = signals(&a);
            a.alerts.evaluate(a.now().timestamp_millis(), &s, &a.metrics);
        })
    }));
    let a = app.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = crate::quota::count_once(&a).await {
            tracing::warn!(error = %e, "could not count the sellers' quota figures; the drift check's repair counts them");
        }
    }));
    let a = app.clone();
    tasks.push(every(Duration::from_millis(app.cfg.memory_poll_ms), stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move { poll_memory(&a).await })
    }));
    let a = app.clone();
    tasks.push(every(Duration::from_secs(60), stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move { a.forget_quiet_callers() })
    }));
    // Refused requests are audited once their window (a minute) has closed; the last ones
    // at shutdown (`crate::run`).
    let a = app.clone();
    let tick = (app.cfg.denied_window() / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    tasks.push(every(tick, stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move { a.flush_denied(false) })
    }));
    // Waiting lists whose replanning after a write did not finish (its origin died).
    let a = app.clone();
    tasks.push(every(Duration::from_secs(5), stop.clone(), move || {
        let a = a.clone();
        Box::pin(async move { crate::waitlist::replan_marked(&a).await })
    }));
    // The hourly SLO roll-ups: this origin's minutes from the one it started in.
    let a = app.clone();
    let cursor = std::sync::Arc::new(std::sync::Mutex::new(app.now().timestamp_millis().div_euclid(60_000) - 1));
    tasks.push(every(Duration::from_secs(20), stop.clone(), move || {
        let (a, c) = (a.clone(), cursor.clone());
        Box::pin(async move { super::rollup::flush(&a, &c).await })
    }));
    if app.cfg.check_interval_s > 0 {
        let a = app.clone();
        tasks.push(every(Duration::from_secs(app.cfg.check_interval_s), stop, move || {
            let a = a.clone();
            Box::pin(async move {
                if let Err(e) = super::drift::run(&a, None, false, ("system", "system")).await {
                    tracing::warn!(error = %e, "periodic drift check failed");
                }
            })
        }));
    }
    tasks
}
