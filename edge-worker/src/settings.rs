//! The Worker's settings, from `[vars]` in wrangler.toml and secrets (locally `--var`s or an
//! `--env-file`, as `edge.env.example` says).

use worker::Env;

/// Settings read once per request (they are plain strings in the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Origin base URL, without a trailing slash.
    pub origin_url: String,
    /// JWT with role `edge`, for `/snapshot`.
    pub edge_token: String,
    /// Seconds a snapshot is fresh.
    pub snapshot_ttl_s: i64,
    /// Seconds a snapshot may be served, marked stale, when the origin is down.
    pub stale_limit_s: i64,
    /// Browser origins allowed by CORS (`*` for any).
    pub allowed_origins: Vec<String>,
    /// Budget of a call to the origin, retries included, in milliseconds.
    pub origin_timeout_ms: u64,
    /// Retries of a read call to the origin within its budget (`ORIGIN_RETRIES`); writes are
    /// never retried.
    pub origin_retries: u32,
    /// A buyer token the demo page pre-fills (development only; absent in production).
    pub demo_buyer_token: Option<String>,
    /// `LOCAL_DEMO=1`: this Worker is a local demo, so the page may pre-fill
    /// `demo_buyer_token` (and only when it is asked for on a loopback host).
    pub local_demo: bool,
    /// Most bytes of snapshots kept in the isolate (`SNAPSHOT_CACHE_BYTES`), least recently
    /// used evicted first.
    pub snapshot_cache_bytes: usize,
}

/// Default of `SNAPSHOT_CACHE_BYTES`: 16 MiB.
pub const DEFAULT_SNAPSHOT_CACHE_BYTES: i64 = 16 << 20;

fn text(env: &Env, name: &str) -> Option<String> {
    env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|s| s.to_string())).ok().filter(|s| !s.is_empty())
}

impl Settings {
    /// Reads the settings, with the documented defaults.
    pub fn from_env(env: &Env) -> Settings {
        let num =
            |name: &str, default: i64| text(env, name).and_then(|s| s.trim().parse().ok()).filter(|n: &i64| *n >= 0).unwrap_or(default);
        Settings {
            origin_url: text(env, "ORIGIN_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into()).trim_end_matches('/').to_string(),
            edge_token: text(env, "EDGE_TOKEN").unwrap_or_default(),
            snapshot_ttl_s: num("SNAPSHOT_TTL_S", 2),
            stale_limit_s: num("STALE_LIMIT_S", 60),
            allowed_origins: text(env, "ALLOWED_ORIGINS")
                .map(|s| s.split(',').map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty()).collect())
                .unwrap_or_default(),
            origin_timeout_ms: num("ORIGIN_TIMEOUT_MS", 1500) as u64,
            origin_retries: u32::try_from(num("ORIGIN_RETRIES", 2).min(5)).unwrap_or(2),
            demo_buyer_token: text(env, "DEMO_BUYER_TOKEN"),
            local_demo: text(env, "LOCAL_DEMO").is_some_and(|v| v.trim() == "1"),
            snapshot_cache_bytes: usize::try_from(num("SNAPSHOT_CACHE_BYTES", DEFAULT_SNAPSHOT_CACHE_BYTES)).unwrap_or(usize::MAX),
        }
    }
}
