//! Configuration from environment variables, each with a matching flag (`--help`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

mod identity;
pub use identity::{web_origin, JwksSettings};

/// The origin's settings.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "AFORO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Redis URL: `redis://host:port`, `redis-cluster://host:port`, or behind Sentinel
    /// `redis-sentinel://sentinel1:26379?node=sentinel2:26379&node=sentinel3:26379&sentinelServiceName=aforo`
    /// (the primary is asked of the Sentinels, and asked again after a failover).
    #[arg(long, env = "AFORO_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// HS256 secret for the JWTs callers present (required to serve).
    #[arg(long, env = "AFORO_JWT_SECRET", hide_env_values = true, default_value = "")]
    pub jwt_secret: String,
    /// Longest token lifetime accepted, in seconds: `exp` minus `iat` (minus now without
    /// `iat`). Longer-lived tokens are refused (401). Default 30 days.
    #[arg(long, env = "AFORO_JWT_MAX_LIFETIME_S", default_value_t = 30 * 86_400, value_parser = clap::value_parser!(u64).range(60..))]
    pub jwt_max_lifetime_s: u64,
    /// The key hold ids are made under (they reveal no resource, buyer or key); every origin
    /// of a deployment needs the same one, and changing it makes existing hold ids unknown.
    /// Empty: derived from `AFORO_JWT_SECRET`.
    #[arg(long, env = "AFORO_HOLD_ID_SECRET", hide_env_values = true, default_value = "")]
    pub hold_id_secret: String,
    /// Certificates (PEM) trusted for `https://` calls besides the public roots: an internal
    /// identity provider's or webhook receiver's CA.
    #[arg(long, env = "AFORO_TLS_CA_FILE")]
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// Seconds after its expiry during which consuming a hold takes its units again (if free,
    /// at today's price); later, 410 HOLD_EXPIRED. An expired hold is no option on the units.
    #[arg(long, env = "AFORO_RETAKE_GRACE_S", default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub retake_grace_s: u64,
    /// Redis connections in the pool.
    #[arg(long, env = "AFORO_REDIS_POOL", default_value_t = 4)]
    pub redis_pool: usize,
    /// Timeout of every Redis command, in milliseconds.
    #[arg(long, env = "AFORO_REDIS_TIMEOUT_MS", default_value_t = 1000)]
    pub redis_timeout_ms: u64,
    /// Most holds of one resource taken in one Redis call (group commit): while a call on a
    /// resource is in flight the next holds queue, and go together when it returns. 1: one
    /// call per hold.
    #[arg(long, env = "AFORO_BATCH_MAX", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub batch_max: u64,
    /// Seconds to keep trying to reach Redis at start before giving up.
    #[arg(long, env = "AFORO_REDIS_CONNECT_TIMEOUT_S", default_value_t = 60)]
    pub redis_connect_timeout_s: u64,
    /// Most concurrent client connections; more wait in the accept queue.
    #[arg(long, env = "AFORO_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Largest request body in bytes (413 above).
    #[arg(long, env = "AFORO_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Time a request body has to arrive whole, in milliseconds (408 REQUEST_TIMEOUT after);
    /// below the request timeout.
    #[arg(long, env = "AFORO_BODY_TIMEOUT_MS", default_value_t = 5_000)]
    pub body_timeout_ms: u64,
    /// Request timeout in milliseconds.
    #[arg(long, env = "AFORO_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Most reads computing at once on the blocking pool (a long calendar of a large
    /// document); more wait, within the request timeout. 0: one per CPU.
    #[arg(long, env = "AFORO_HEAVY_READS", default_value_t = 0)]
    pub heavy_reads: usize,
    /// How long idempotency keys are remembered, in hours (at least 24).
    #[arg(long, env = "AFORO_IDEMPOTENCY_TTL_H", default_value_t = 24, value_parser = clap::value_parser!(u64).range(24..))]
    pub idempotency_ttl_h: u64,
    /// How long hold records are kept after creation, in days.
    #[arg(long, env = "AFORO_HOLD_RECORD_TTL_D", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub hold_record_ttl_d: u64,
    /// Days a paid booking is kept after the end of its last date (resource timezone); history
    /// older than that is compacted (docs/retention.md).
    #[arg(long, env = "AFORO_BOOKING_RETENTION_D", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub booking_retention_d: u32,
    /// Milliseconds between compaction rounds over every resource; 0 turns compaction off.
    #[arg(long, env = "AFORO_COMPACT_INTERVAL_MS", default_value_t = 3_600_000)]
    pub compact_interval_ms: u64,
    /// Tests and benchmarks only: the lifetime of hold records in milliseconds, overriding
    /// `AFORO_HOLD_RECORD_TTL_D` and the idempotency floor.
    #[arg(long, env = "AFORO_TEST_RECORD_TTL_MS", hide = true)]
    pub test_record_ttl_ms: Option<u64>,
    /// Tests and benchmarks only: days added to Redis's clock when compaction decides what
    /// is old (nothing else moves).
    #[arg(long, env = "AFORO_TEST_COMPACT_OFFSET_D", default_value_t = 0, hide = true)]
    pub test_compact_offset_d: i64,
    /// Most live (not archived) resources one seller may own; a create past it is refused
    /// with 422 `QUOTA_EXCEEDED`. Operators are exempt.
    #[arg(long, env = "AFORO_SELLER_MAX_RESOURCES", default_value_t = 1_000)]
    pub seller_max_resources: u64,
    /// Most bytes of stored documents one seller may have (canonical JSON as stored, archived
    /// summaries included); a write growing past it is refused with 422 `QUOTA_EXCEEDED`.
    /// Operators are exempt. Default 64 MiB.
    #[arg(long, env = "AFORO_SELLER_MAX_DOCUMENT_BYTES", default_value_t = 64 << 20)]
    pub seller_max_document_bytes: u64,
    /// Milliseconds between polls of Redis's memory (`INFO memory`) for
    /// `aforo_store_memory_ratio`, the health report and the shedding of non-booking writes.
    #[arg(long, env = "AFORO_MEMORY_POLL_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(50..))]
    pub memory_poll_ms: u64,
    /// Used / max memory of Redis from which the origin stops writing what is not a booking
    /// (denied-request and validate-stock audits, new documents and documents that grow), so
    /// that holds, consumes and releases last to the ceiling. 1 or more: never.
    #[arg(long, env = "AFORO_MEMORY_SHED_RATIO", default_value_t = 0.9)]
    pub memory_shed_ratio: f64,
    /// Milliseconds between sweeper passes.
    #[arg(long, env = "AFORO_SWEEP_INTERVAL_MS", default_value_t = 250)]
    pub sweep_interval_ms: u64,
    /// Log format: `json` (production) or `pretty` (development).
    #[arg(long, env = "AFORO_LOG_FORMAT", default_value = "json")]
    pub log_format: String,
    /// How long the Redis circuit breaker stays open before a probe, in milliseconds.
    #[arg(long, env = "AFORO_BREAKER_OPEN_MS", default_value_t = 500)]
    pub breaker_open_ms: u64,
    /// How long audit events are kept, in hours.
    #[arg(long, env = "AFORO_AUDIT_RETENTION_H", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..))]
    pub audit_retention_h: u64,
    /// Audit streams written in turn (each its own cluster slot), 1-64. Lowering it leaves the
    /// events of the dropped shards unread until they pass the retention.
    #[arg(long, env = "AFORO_AUDIT_SHARDS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub audit_shards: u64,
    /// SLO: hold p95 latency target, ms.
    #[arg(long, env = "AFORO_SLO_HOLD_P95_MS", default_value_t = 500.0)]
    pub slo_hold_p95_ms: f64,
    /// SLO: availability read p95 latency target, ms.
    #[arg(long, env = "AFORO_SLO_READ_P95_MS", default_value_t = 200.0)]
    pub slo_read_p95_ms: f64,
    /// SLO: error rate (5xx share) target over 5 minutes.
    #[arg(long, env = "AFORO_SLO_ERROR_RATE", default_value_t = 0.01)]
    pub slo_error_rate: f64,
    /// SLO: availability (non-5xx share) target over 60 minutes.
    #[arg(long, env = "AFORO_SLO_AVAILABILITY", default_value_t = 0.995)]
    pub slo_availability: f64,
    /// Alert rules file (Prometheus rules with `aforo_eval` annotations); the shipped
    /// `ops/alerts.yml` when unset.
    #[arg(long, env = "AFORO_ALERTS_FILE")]
    pub alerts_file: Option<std::path::PathBuf>,
    /// Milliseconds between alert evaluations.
    #[arg(long, env = "AFORO_ALERT_INTERVAL_MS", default_value_t = 15_000)]
    pub alert_interval_ms: u64,
    /// Seconds between background drift checks (no repair); 0 turns them off.
    #[arg(long, env = "AFORO_CHECK_INTERVAL_S", default_value_t = 300)]
    pub check_interval_s: u64,
    /// Requests per second one caller (token `sub`) may make; 0 turns the limit off.
    #[arg(long, env = "AFORO_RATE_LIMIT_RPS", default_value_t = 0)]
    pub rate_limit_rps: u32,
    /// Requests one caller may make in a burst above the rate (default: twice the rate).
    #[arg(long, env = "AFORO_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,
    /// Milliseconds between reads of the shared read-only switch.
    #[arg(long, env = "AFORO_MODE_REFRESH_MS", default_value_t = 1000)]
    pub mode_refresh_ms: u64,
    /// Requests per second one client address (docs/shares.md) may make without a valid
    /// token (anonymous reads, and requests whose token is refused); 0 turns the limit off.
    /// `/healthz`, `/readyz` and `/metrics` are exempt.
    #[arg(long, env = "AFORO_ANON_RATE_LIMIT_RPS", default_value_t = 50)]
    pub anon_rate_limit_rps: u32,
    /// Anonymous requests one client address may make in a burst above the rate.
    #[arg(long, env = "AFORO_ANON_RATE_LIMIT_BURST", default_value_t = 100)]
    pub anon_rate_limit_burst: u32,
    /// Proxies whose `X-Forwarded-For` is believed: comma-separated IP addresses or CIDR
    /// blocks. The client address of a request from one of them is the right-most address
    /// of `X-Forwarded-For` that is not itself a trusted proxy; otherwise it is the TCP peer.
    #[arg(long, env = "AFORO_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Most `auth.denied` audit entries written per minute: refused requests (401, 403) are
    /// counted per client address or caller, route and reason, one entry a minute each with
    /// its `count`; the requests of entries over this cap are counted in
    /// `aforo_denied_audit_dropped_total` and in one summary entry.
    #[arg(long, env = "AFORO_DENIED_AUDIT_PER_MIN", default_value_t = 600)]
    pub denied_audit_per_min: usize,
    /// Tests only: the length of a denied-audit window in milliseconds (a minute otherwise).
    #[arg(long, env = "AFORO_TEST_DENIED_WINDOW_MS", hide = true)]
    pub test_denied_window_ms: Option<u64>,
    /// Most event streams (Server-Sent Events) one caller (role and `sub`) may hold open at
    /// once on one origin process (429 `RATE_LIMITED` beyond).
    #[arg(long, env = "AFORO_SSE_PER_CALLER", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pub sse_per_caller: u64,
    /// Most event streams open at once on one origin process; the last 5 % (at least one)
    /// are kept for ops.
    #[arg(long, env = "AFORO_SSE_MAX", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub sse_max: u64,
    /// What a write waits for before it is answered: `async` (the primary has it; the
    /// development default) or `replicated` (`WAIT` confirms `AFORO_DURABILITY_REPLICAS`
    /// replicas within `AFORO_DURABILITY_TIMEOUT_MS`, else 503 `NOT_DURABLE`).
    #[arg(long, env = "AFORO_DURABILITY", default_value = "async", value_parser = ["async", "replicated"])]
    pub durability: String,
    /// `replicated`: replicas that must confirm each write.
    #[arg(long, env = "AFORO_DURABILITY_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub durability_replicas: u32,
    /// `replicated`: how long a write waits for its replicas, in milliseconds.
    #[arg(long, env = "AFORO_DURABILITY_TIMEOUT_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub durability_timeout_ms: u64,
    /// Outbound webhooks (`AFORO_WEBHOOK_*`).
    #[command(flatten)]
    pub webhooks: crate::webhook_settings::WebhookSettings,
    /// The identity provider's key set (JWKS) URL: RS256, ES256 and EdDSA tokens are verified
    /// with the key it names by the token's `kid`. Plain `http://` (this build has no TLS
    /// client). Empty: only HS256 tokens (`AFORO_JWT_SECRET`).
    #[arg(long, env = "AFORO_JWKS_URL", default_value = "")]
    pub jwks_url: String,
    /// The `iss` the identity provider's tokens must carry (required with `AFORO_JWKS_URL`).
    #[arg(long, env = "AFORO_JWT_ISSUER", default_value = "")]
    pub jwt_issuer: String,
    /// The audiences, comma-separated, of which the provider's tokens' `aud` must name one
    /// (required with `AFORO_JWKS_URL`).
    #[arg(long, env = "AFORO_JWT_AUDIENCE", default_value = "")]
    pub jwt_audience: String,
    /// The claim of the provider's tokens that holds the role (buyer, seller, ops or edge; a
    /// string, or a list naming exactly one of them). HS256 tokens keep `role`.
    #[arg(long, env = "AFORO_JWT_ROLE_CLAIM", default_value = "role")]
    pub jwt_role_claim: String,
    /// Least seconds between two fetches of the key set: a token naming an unknown `kid`
    /// fetches it again only this long after the last fetch.
    #[arg(long, env = "AFORO_JWKS_MIN_REFETCH_S", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub jwks_min_refetch_s: u64,
    /// Seconds between fetches of the key set while it answers (keys it drops stop being
    /// accepted by then).
    #[arg(long, env = "AFORO_JWKS_REFRESH_S", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub jwks_refresh_s: u64,
    /// The console's sign-in (OpenID Connect, authorization code with PKCE): the provider's
    /// authorization endpoint (`authorization_endpoint` of its
    /// `/.well-known/openid-configuration`). Empty: the console asks for a token.
    #[arg(long, env = "AFORO_OIDC_AUTHORIZATION_URL", default_value = "")]
    pub oidc_authorization_url: String,
    /// The provider's token endpoint (`token_endpoint`), which the console's page may call.
    #[arg(long, env = "AFORO_OIDC_TOKEN_URL", default_value = "")]
    pub oidc_token_url: String,
    /// The console's client id at the provider (a public client: no secret, PKCE).
    #[arg(long, env = "AFORO_OIDC_CLIENT_ID", default_value = "")]
    pub oidc_client_id: String,
    /// Scopes the console asks for.
    #[arg(long, env = "AFORO_OIDC_SCOPE", default_value = "openid profile")]
    pub oidc_scope: String,
    /// The redirect URI registered at the provider. Empty: the console's own address
    /// (`https://<host>/console/`).
    #[arg(long, env = "AFORO_OIDC_REDIRECT_URI", default_value = "")]
    pub oidc_redirect_uri: String,
    /// Which token the console sends as its bearer: `id_token` or `access_token`.
    #[arg(long, env = "AFORO_OIDC_BEARER", default_value = "id_token", value_parser = ["id_token", "access_token"])]
    pub oidc_bearer: String,
}

impl Config {
    /// Redis command timeout.
    pub fn redis_timeout(&self) -> Duration {
        Duration::from_millis(self.redis_timeout_ms)
    }

    /// Request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// Body read timeout.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms)
    }

    /// Longest token lifetime.
    pub fn jwt_max_lifetime(&self) -> Duration {
        Duration::from_secs(self.jwt_max_lifetime_s)
    }

    /// Idempotency key lifetime.
    pub fn idempotency_ttl(&self) -> Duration {
        Duration::from_secs(self.idempotency_ttl_h * 3600)
    }

    /// Hold record lifetime.
    pub fn hold_record_ttl(&self) -> Duration {
        Duration::from_secs(self.hold_record_ttl_d * 86_400)
    }

    /// How long a hold's record (its key's idempotency entry too) lives from its creation:
    /// the record lifetime, never under the idempotency lifetime (tests may shorten it).
    pub fn record_lifetime(&self) -> Duration {
        match self.test_record_ttl_ms {
            Some(ms) => Duration::from_millis(ms.max(1)),
            None => self.hold_record_ttl().max(self.idempotency_ttl()),
        }
    }

    /// How long a paid booking is kept after the end of its last date.
    pub fn booking_retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.booking_retention_d) * 86_400)
    }

    /// SLO targets.
    pub fn slo_targets(&self) -> Targets {
        Targets {
            hold_p95_ms: self.slo_hold_p95_ms,
            read_p95_ms: self.slo_read_p95_ms,
            error_rate: self.slo_error_rate,
            availability: self.slo_availability,
        }
    }

    /// The length of a denied-audit window: a minute (tests may shorten it).
    pub fn denied_window(&self) -> Duration {
        Duration::from_millis(self.test_denied_window_ms.unwrap_or(60_000).max(10))
    }

    /// The secret hold ids are made under.
    pub fn hold_id_secret(&self) -> &[u8] {
        if self.hold_id_secret.is_empty() {
            self.jwt_secret.as_bytes()
        } else {
            self.hold_id_secret.as_bytes()
        }
    }

    /// How long after its expiry a hold may still be consumed.
    pub fn retake_grace(&self) -> Duration {
        Duration::from_secs(self.retake_grace_s)
    }

    /// Audit retention.
    pub fn audit_retention(&self) -> Duration {
        Duration::from_secs(self.audit_retention_h * 3600)
    }

    /// What a write waits for.
    pub fn durability(&self) -> crate::store::Durability {
        crate::store::Durability::parse(&self.durability, self.durability_replicas, self.durability_timeout_ms)
            .unwrap_or(crate::store::Durability::Async)
    }

    /// Refuses settings that cannot work.
    pub fn check(&self) -> Result<(), String> {
        self.check_identity()?;
        if !(0.0..=1.0).contains(&self.slo_error_rate) || !(0.0..=1.0).contains(&self.slo_availability) {
            return Err("AFORO_SLO_ERROR_RATE and AFORO_SLO_AVAILABILITY must be within 0..1".into());
        }
        if self.body_timeout_ms == 0 || self.body_timeout_ms >= self.request_timeout_ms {
            return Err("AFORO_BODY_TIMEOUT_MS must be > 0 and below AFORO_REQUEST_TIMEOUT_MS".into());
        }
        let durability = crate::store::Durability::parse(&self.durability, self.durability_replicas, self.durability_timeout_ms)?;
        if durability != crate::store::Durability::Async && self.redis_url.starts_with("redis-cluster") {
            return Err("AFORO_DURABILITY=replicated needs redis:// or redis-sentinel://: on a cluster, WAIT would have to follow each call to its slot's primary, which the origin does not do".into());
        }
        if self.max_connections == 0 || self.redis_pool == 0 {
            return Err("AFORO_MAX_CONNECTIONS and AFORO_REDIS_POOL must be > 0".into());
        }
        Ok(())
    }
}

/// Targets, from configuration.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Targets {
    /// p95 of hold writes (create, consume, release), ms.
    pub hold_p95_ms: f64,
    /// p95 of availability and calendar reads, ms.
    pub read_p95_ms: f64,
    /// Largest share of 5xx answers over 5 minutes.
    pub error_rate: f64,
    /// Smallest share of non-5xx answers over 60 minutes.
    pub availability: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets { hold_p95_ms: 500.0, read_p95_ms: 200.0, error_rate: 0.01, availability: 0.995 }
    }
}
