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
    let store = store::Store::connect(&store::StoreConfig {
        url: cfg.redis_url.clone(),
        pool_size: cfg.redis_pool,
        command_timeout: cfg.redis_timeout(),
    })
    .await?;
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
