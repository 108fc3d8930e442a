//! # aforo-origin
//!
//! The authoritative side of Aforo: a hyper server that validates documents and plans holds
//! with aforo-core, and takes them atomically in Redis through fred.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod routes;
pub mod server;
pub mod store;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

/// Runs the origin until `shutdown` turns true: connects Redis, loads the library, starts
/// the sweeper and the clock sync, and serves on `listener`.
pub async fn run(
    cfg: config::Config,
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store_cfg = store::StoreConfig { url: cfg.redis_url.clone(), pool_size: cfg.redis_pool, command_timeout: cfg.redis_timeout() };
    // Redis (or a cluster still agreeing on its slots) may come up after the origin: wait for
    // it, with backoff, rather than exit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(cfg.redis_connect_timeout_s);
    let mut delay = std::time::Duration::from_millis(100);
    let store = loop {
        match store::Store::connect(&store_cfg).await {
            Ok(s) => break s,
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "Redis not ready; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = async { let mut s = shutdown.clone(); let _ = s.changed().await; } => return Ok(()),
                }
                delay = (delay * 2).min(std::time::Duration::from_secs(2));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let sweep = store::sweeper::SweeperConfig { interval: std::time::Duration::from_millis(cfg.sweep_interval_ms), ..Default::default() };
    let app = Arc::new(app::App::new(cfg, store.clone()));
    app.sync_clock().await?;
    let sweeper = tokio::spawn(store::sweeper::run(store, sweep, shutdown.clone()));
    let clock = {
        let (app, mut stop) = (app.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
                    _ = stop.changed() => return,
                }
                if let Err(e) = app.sync_clock().await {
                    tracing::warn!(error = %e, "could not read Redis TIME");
                }
            }
        })
    };
    tracing::info!(listen = %listener.local_addr()?, "aforo-origin serving");
    server::serve(listener, app, shutdown).await?;
    let _ = tokio::join!(sweeper, clock);
    Ok(())
}
