//! `aforo-origin`: the server binary.

use clap::Parser;
use tokio::net::TcpListener;
use tokio::sync::watch;

use aforo_origin::config::Config;

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AFORO_LOG").unwrap_or_else(|_| "info".into());
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "pretty" {
        b.init();
    } else {
        b.json().flatten_event(true).with_current_span(true).init();
    }
}

async fn signal(tx: watch::Sender<bool>) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("signal received; shutting down");
    let _ = tx.send(true);
}

fn main() -> std::process::ExitCode {
    let cfg = Config::parse();
    init_logs(&cfg.log_format);
    if let Err(e) = cfg.check() {
        tracing::error!(error = %e, "invalid configuration");
        eprintln!("aforo-origin: {e}");
        return std::process::ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aforo-origin: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let listener = match TcpListener::bind(cfg.listen).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, listen = %cfg.listen, "cannot listen");
                return std::process::ExitCode::FAILURE;
            }
        };
        let (tx, rx) = watch::channel(false);
        tokio::spawn(signal(tx));
        match aforo_origin::run(cfg, listener, rx).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "aforo-origin stopped");
                std::process::ExitCode::FAILURE
            }
        }
    })
}
