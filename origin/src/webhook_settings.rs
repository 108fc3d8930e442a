//! The settings of outbound webhooks (docs/operations.md, "Webhooks"), flattened into the
//! origin's configuration (a module of its own, so that the configuration does not depend on
//! `webhooks`, which reads it).

/// Outbound webhook settings.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookSettings {
    /// Lets webhook URLs name loopback, private, link-local and cloud-metadata addresses
    /// (refused with 422 `WEBHOOK_URL_REFUSED` otherwise, at creation and at every connect).
    /// For tests and closed networks only.
    #[arg(long, env = "AFORO_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_private: bool,
    /// How long (ms) an origin's claim on an endpoint's deliveries or on a share of the
    /// resources' streams lasts without being renewed; after it, another origin takes over
    /// (and claims the stream entries the first left pending).
    #[arg(long, env = "AFORO_WEBHOOK_LEASE_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(500..))]
    pub webhook_lease_ms: u64,
    /// How often (ms) each origin looks for new events and for deliveries due.
    #[arg(long, env = "AFORO_WEBHOOK_POLL_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=5000))]
    pub webhook_poll_ms: u64,
    /// Most events waiting per endpoint; past it the oldest are dropped (counted, alerted).
    #[arg(long, env = "AFORO_WEBHOOK_BACKLOG_MAX", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_backlog_max: u64,
    /// Most events waiting per endpoint while Redis is near its memory ceiling
    /// (`AFORO_MEMORY_SHED_RATIO`): a longer backlog loses its oldest events at the next one
    /// queued (counted in `aforo_writes_shed_total{what="webhook"}`), so that no backlog can
    /// push Redis into refusing holds.
    #[arg(long, env = "AFORO_WEBHOOK_SHED_BACKLOG", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_shed_backlog: u64,
    /// Most endpoints one seller may register.
    #[arg(long, env = "AFORO_WEBHOOK_MAX_PER_OWNER", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_max_per_owner: u64,
    /// How long (s) an endpoint may keep failing before it is disabled (3 days).
    #[arg(long, env = "AFORO_WEBHOOK_GIVE_UP_S", default_value_t = 259_200, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_give_up_s: u64,
    /// Timeout (ms) of one delivery attempt, connect to last byte of the answer.
    #[arg(long, env = "AFORO_WEBHOOK_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=30_000))]
    pub webhook_timeout_ms: u64,
    /// Tests only: divides every retry delay by this (1 in production).
    #[arg(long, env = "AFORO_TEST_WEBHOOK_BACKOFF_DIV", default_value_t = 1, hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub test_webhook_backoff_div: u64,
}
