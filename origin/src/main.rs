//! `aforo-origin`: the server binary, and `aforo-origin check` (the drift check).

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing_subscriber::prelude::*;

use aforo_origin::config::Config;
use aforo_origin::obs::signals::Signals;

#[derive(Debug, Parser)]
#[command(name = "aforo-origin", version, about = "Aforo origin: authoritative holds in Redis")]
struct Cli {
    #[command(flatten)]
    cfg: Config,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Recomputes every counter from the hold records and reports drift and oversells
    /// (exit 0 consistent, 1 findings, 2 error).
    Check {
        /// Fix drifted counters (audited).
        #[arg(long)]
        repair: bool,
        /// Only this resource.
        #[arg(long)]
        resource: Option<String>,
    },
    /// Prints the monthly SLO record of `--month` (YYYY-MM, UTC) as JSON, from the hourly
    /// roll-ups every origin keeps in Redis for 400 days: per SLO its target, what was
    /// achieved, the error budget used, and the hours with data and those missing
    /// (exit 0; 2 on error).
    SloReport {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
    },
    /// Prints the Redis library this release loads (for benchmarks and ops), or with
    /// `--version` only its version (the suffix of its name and of every function's).
    Library {
        /// Only the version.
        #[arg(long)]
        version: bool,
    },
}

fn init_logs(format: &str, signals: &std::sync::Arc<Signals>) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AFORO_LOG").unwrap_or_else(|_| "info".into());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    // Each layer has its own level filter, so that the registry's level hint stays at the
    // highest of them: events below it (fred's and hyper's debug logs) are never built.
    let registry = tracing_subscriber::registry().with(signals.layer().with_filter(tracing_subscriber::filter::LevelFilter::WARN));
    if format == "pretty" {
        registry.with(fmt.with_filter(filter)).init();
    } else {
        registry.with(fmt.json().flatten_event(true).with_current_span(true).with_filter(filter)).init();
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
    let cli = Cli::parse();
    if let Some(Cmd::Library { version }) = cli.cmd {
        print!("{}", if version { aforo_origin::store::LIBRARY_VERSION } else { aforo_origin::store::LIBRARY });
        return std::process::ExitCode::SUCCESS;
    }
    let cfg = cli.cfg;
    let signals = Signals::new();
    init_logs(&cfg.log_format, &signals);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aforo-origin: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(Cmd::Check { repair, resource }) = cli.cmd {
        return match rt.block_on(aforo_origin::check(cfg, resource, repair)) {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::from(1),
            Err(e) => {
                eprintln!("aforo-origin check: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    if let Some(Cmd::SloReport { month }) = &cli.cmd {
        return match rt.block_on(aforo_origin::slo_report(&cfg, month)) {
            Ok(report) => {
                println!("{report:#}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("aforo-origin slo-report: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    if let Err(e) = cfg.check() {
        tracing::error!(error = %e, "invalid configuration");
        eprintln!("aforo-origin: {e}");
        return std::process::ExitCode::from(2);
    }
    let code = rt.block_on(async move {
        let listener = match TcpListener::bind(cfg.listen).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, listen = %cfg.listen, "cannot listen");
                return std::process::ExitCode::FAILURE;
            }
        };
        let (tx, rx) = watch::channel(false);
        tokio::spawn(signal(tx));
        match aforo_origin::run(cfg, listener, rx, signals).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "aforo-origin stopped");
                std::process::ExitCode::FAILURE
            }
        }
    });
    // Blocking work still running (a computation, a connect) is not waited for.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}
