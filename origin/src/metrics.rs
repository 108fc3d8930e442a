//! Prometheus metrics (`GET /metrics`), encoded by prometheus-client.
//!
//! Every name starts with `aforo_`; `ops/alerts.yml` and `ops/grafana/aforo.json` are written
//! against these names, and `tests/tests/origin/ops.rs` checks that they move.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Route, method and status of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Route template (`/v1/holds/{id}`), or `unmatched`.
    pub route: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// HTTP status code.
    pub status: u16,
}

/// Route and method.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// Route template.
    pub route: &'static str,
    /// HTTP method.
    pub method: &'static str,
}

/// One label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// Resource kind: stock, capacity, slots, hybrid.
    pub kind: &'static str,
}

/// Why a hold was refused: the problem code, lowercase.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// `sold_out`, `too_late`, `idempotency_key_reused`, …
    pub reason: String,
}

/// A Redis operation (the library function or command).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabels {
    /// `aforo_hold`, `hgetall`, …
    pub op: &'static str,
}

/// An alert rule.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabels {
    /// The rule's name.
    pub alert: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 100 µs .. ~26 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 19))
}

/// Every metric of the origin.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Requests by route, method and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Request latency by route and method.
    pub latency: HistogramFamily<RouteLabels>,
    /// Holds taken (not replays), by the kind of their home resource.
    pub holds_created: Family<KindLabels, Counter>,
    /// Hold requests refused, by problem code.
    pub holds_refused: Family<ReasonLabels, Counter>,
    /// Holds consumed.
    pub holds_consumed: Counter,
    /// Holds released by their buyer.
    pub holds_released: Counter,
    /// Holds that expired (reclaimed by this origin).
    pub holds_expired: Counter,
    /// Hold requests answered from an earlier request with the same key.
    pub replays: Counter,
    /// Holds granted in shadow enforcement past a limit (enforce would have refused them).
    pub shadow_overflows: Counter,
    /// Units taken by holds, by resource kind.
    pub units_committed: Family<KindLabels, Counter>,
    /// Redis call latency by operation.
    pub redis_latency: HistogramFamily<OpLabels>,
    /// Redis calls that failed (timeouts, connection errors, error replies).
    pub redis_errors: Family<OpLabels, Counter>,
    /// Calls refused by the open circuit breaker.
    pub breaker_rejected: Counter,
    /// Circuit breaker: 0 closed, 1 half-open, 2 open.
    pub breaker_state: Gauge,
    /// Seconds since the oldest hold expiry the sweeper has not reclaimed yet.
    pub sweeper_lag: Gauge<f64, AtomicU64>,
    /// Buckets over their limit found by the last drift check (must stay 0).
    pub oversold_buckets: Gauge,
    /// Buckets over a limit the seller lowered knowingly, at the last drift check.
    pub overcommitted_buckets: Gauge,
    /// Counters that differed from their hold records at the last drift check.
    pub drift_buckets: Gauge,
    /// 1 when writes are switched off.
    pub read_only: Gauge,
    /// Audit events written to Redis.
    pub audit_written: Counter,
    /// Audit events dropped (queue full or Redis down).
    pub audit_dropped: Counter,
    /// 1 for each alert firing.
    pub alerts_firing: Family<AlertLabels, Gauge>,
    /// Answers given from last known figures because the store could not answer, by reason
    /// (`store_unavailable`, `circuit_open`, `timeout`).
    pub degraded_answers: Family<ReasonLabels, Counter>,
    /// Stale answers edges served, as they report them (`Aforo-Edge-Stale` on their next
    /// request to this origin).
    pub edge_stale_answers: Counter,
    /// Holds per call of the hold function on one resource (the group commit; 1 when the
    /// resource was idle or `AFORO_BATCH_MAX` is 1).
    pub hold_group_size: Histogram,
    /// Refused requests not audited: over `AFORO_DENIED_AUDIT_PER_MIN` entries a minute.
    pub denied_audit_dropped: Counter,
    /// Requests refused by admission (`anonymous_rate`, `sse_caller`, `sse_process`,
    /// `heavy_share`).
    pub admission_refused: Family<ReasonLabels, Counter>,
    /// Buckets past their limit on resources in shadow enforcement, at the last drift check:
    /// overflows shadow granted on purpose, never oversells.
    pub shadow_over_buckets: Gauge,
    /// Redis `used_memory / maxmemory` at the last poll (0 without a ceiling).
    pub store_memory_ratio: Gauge<f64, AtomicU64>,
    /// Redis `used_memory`, bytes, at the last poll.
    pub store_memory_used: Gauge,
    /// Redis `maxmemory`, bytes (0: none).
    pub store_memory_max: Gauge,
    /// Writes not made because the store was near its ceiling, by what (`audit`, `document`).
    pub writes_shed: Family<WhatLabels, Counter>,
    /// The ratio from which non-booking writes are shed (f64 bits; set by the memory loop).
    shed_at: AtomicU64,
    /// Webhooks: commit of an event to its first delivery attempt (seconds).
    pub webhook_lag: Histogram,
    /// Webhook delivery attempts, by outcome.
    pub webhook_deliveries: Family<OutcomeLabels, Counter>,
    /// Webhook events waiting, over every enabled endpoint (as this origin last read them).
    pub webhook_backlog: Gauge,
    /// Webhook events dropped from full backlogs.
    pub webhook_dropped: Counter,
    /// Webhook endpoints disabled after failing too long.
    pub webhook_disabled: Counter,
}

/// How a webhook delivery attempt ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `delivered`, `rejected` (not 2xx), `timeout`, `unreachable`, `refused` (address).
    pub outcome: &'static str,
}

/// What kind of write.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WhatLabels {
    /// `audit`, `document`, `webhook` (events dropped from a backlog), `webhook_replay`.
    pub what: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("aforo"),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            holds_created: Family::default(),
            holds_refused: Family::default(),
            holds_consumed: Counter::default(),
            holds_released: Counter::default(),
            holds_expired: Counter::default(),
            replays: Counter::default(),
            shadow_overflows: Counter::default(),
            units_committed: Family::default(),
            redis_latency: Family::new_with_constructor(latency_histogram),
            redis_errors: Family::default(),
            breaker_rejected: Counter::default(),
            breaker_state: Gauge::default(),
            sweeper_lag: Gauge::default(),
            oversold_buckets: Gauge::default(),
            overcommitted_buckets: Gauge::default(),
            drift_buckets: Gauge::default(),
            read_only: Gauge::default(),
            audit_written: Counter::default(),
            audit_dropped: Counter::default(),
            alerts_firing: Family::default(),
            degraded_answers: Family::default(),
            edge_stale_answers: Counter::default(),
            // 1 .. 512 holds
            hold_group_size: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            denied_audit_dropped: Counter::default(),
            admission_refused: Family::default(),
            shadow_over_buckets: Gauge::default(),
            store_memory_ratio: Gauge::default(),
            store_memory_used: Gauge::default(),
            store_memory_max: Gauge::default(),
            writes_shed: Family::default(),
            shed_at: AtomicU64::new(0.9f64.to_bits()),
            // 5 ms .. ~41 s
            webhook_lag: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            webhook_deliveries: Family::default(),
            webhook_backlog: Gauge::default(),
            webhook_dropped: Counter::default(),
            webhook_disabled: Counter::default(),
        };
        let r = &mut m.registry;
        r.register("http_requests", "HTTP requests by route, method and status", m.requests.clone());
        r.register("http_request_duration_seconds", "HTTP request latency", m.latency.clone());
        r.register("holds_created", "Holds taken, by kind of their home resource", m.holds_created.clone());
        r.register("holds_refused", "Hold requests refused, by reason", m.holds_refused.clone());
        r.register("holds_consumed", "Holds consumed", m.holds_consumed.clone());
        r.register("holds_released", "Holds released", m.holds_released.clone());
        r.register("holds_expired", "Holds expired and reclaimed by this origin", m.holds_expired.clone());
        r.register("idempotent_replays", "Hold requests answered by an earlier request with the same key", m.replays.clone());
        r.register("shadow_overflows", "Holds granted in shadow enforcement past a capacity limit", m.shadow_overflows.clone());
        r.register("units_committed", "Units taken by holds, by resource kind", m.units_committed.clone());
        r.register("redis_command_duration_seconds", "Redis call latency", m.redis_latency.clone());
        r.register("redis_errors", "Redis calls that failed", m.redis_errors.clone());
        r.register("circuit_breaker_rejected", "Store calls refused by the open breaker", m.breaker_rejected.clone());
        r.register("circuit_breaker_state", "Store circuit breaker: 0 closed, 1 half-open, 2 open", m.breaker_state.clone());
        r.register("sweeper_lag_seconds", "Age of the oldest expiry not reclaimed yet", m.sweeper_lag.clone());
        r.register("oversold_buckets", "Buckets over their limit at the last drift check (must be 0)", m.oversold_buckets.clone());
        r.register(
            "overcommitted_buckets",
            "Buckets over a limit the seller lowered knowingly (forced), at the last drift check",
            m.overcommitted_buckets.clone(),
        );
        r.register("drift_buckets", "Counters that differed from the hold records at the last check", m.drift_buckets.clone());
        r.register("read_only", "1 when ops switched writes off", m.read_only.clone());
        r.register("audit_events_written", "Audit events written", m.audit_written.clone());
        r.register("audit_events_dropped", "Audit events dropped", m.audit_dropped.clone());
        r.register("alerts_firing", "1 for each alert rule firing", m.alerts_firing.clone());
        r.register(
            "degraded_answers",
            "Answers from last known figures (store down, breaker open, budget spent)",
            m.degraded_answers.clone(),
        );
        r.register("edge_stale_answers", "Stale answers edges served, as they reported them", m.edge_stale_answers.clone());
        r.register("hold_group_size", "Holds decided per call of the hold function on one resource", m.hold_group_size.clone());
        r.register(
            "denied_audit_dropped",
            "Refused requests (401, 403) not audited: over AFORO_DENIED_AUDIT_PER_MIN entries a minute",
            m.denied_audit_dropped.clone(),
        );
        r.register("admission_refused", "Requests refused by admission (docs/shares.md), by reason", m.admission_refused.clone());
        r.register(
            "shadow_over_buckets",
            "Buckets past their limit on resources in shadow enforcement (granted on purpose, not oversells)",
            m.shadow_over_buckets.clone(),
        );
        r.register("store_memory_ratio", "Redis used_memory / maxmemory at the last poll", m.store_memory_ratio.clone());
        r.register("store_memory_used_bytes", "Redis used_memory at the last poll", m.store_memory_used.clone());
        r.register("store_memory_max_bytes", "Redis maxmemory (0: none)", m.store_memory_max.clone());
        r.register("writes_shed", "Non-booking writes not made because Redis was near its ceiling", m.writes_shed.clone());
        r.register("webhook_lag_seconds", "Webhooks: from an event's commit to its first delivery attempt", m.webhook_lag.clone());
        r.register("webhook_deliveries", "Webhook delivery attempts, by outcome", m.webhook_deliveries.clone());
        r.register("webhook_backlog", "Webhook events waiting over every enabled endpoint", m.webhook_backlog.clone());
        r.register("webhook_dropped", "Webhook events dropped from full endpoint backlogs", m.webhook_dropped.clone());
        r.register("webhook_endpoints_disabled", "Webhook endpoints disabled after failing too long", m.webhook_disabled.clone());
        m
    }

    /// Records a poll of the store's memory and the ratio to shed from.
    pub fn note_memory(&self, used: u64, max: u64, shed_at: f64) {
        self.store_memory_used.set(used.min(i64::MAX as u64) as i64);
        self.store_memory_max.set(max.min(i64::MAX as u64) as i64);
        self.store_memory_ratio.set(if max == 0 { 0.0 } else { used as f64 / max as f64 });
        self.shed_at.store(shed_at.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the store is near its ceiling: non-booking writes are shed.
    pub fn shedding(&self) -> bool {
        self.store_memory_ratio.get() >= f64::from_bits(self.shed_at.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Counts one write shed.
    pub fn shed(&self, what: &'static str) {
        self.writes_shed.get_or_create(&WhatLabels { what }).inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode metrics");
        }
        out
    }

    /// Observes one Redis call.
    pub fn redis_call(&self, op: &'static str, elapsed: std::time::Duration, ok: bool) {
        self.redis_latency.get_or_create(&OpLabels { op }).observe(elapsed.as_secs_f64());
        if !ok {
            self.redis_errors.get_or_create(&OpLabels { op }).inc();
        }
    }
}

/// The label of a resource kind.
pub fn kind_label(kind: aforo_core::Kind) -> &'static str {
    match kind {
        aforo_core::Kind::Stock => "stock",
        aforo_core::Kind::Capacity => "capacity",
        aforo_core::Kind::Slots => "slots",
        aforo_core::Kind::Hybrid => "hybrid",
    }
}

/// A method as a static label (others than the standard ones are `OTHER`), so that labelling
/// a request allocates nothing.
pub fn method_label(m: &hyper::Method) -> &'static str {
    match *m {
        hyper::Method::GET => "GET",
        hyper::Method::POST => "POST",
        hyper::Method::PUT => "PUT",
        hyper::Method::DELETE => "DELETE",
        hyper::Method::HEAD => "HEAD",
        hyper::Method::OPTIONS => "OPTIONS",
        hyper::Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `aforo_*` series the alert rules and the Grafana dashboard read is one the origin
    /// exports.
    #[test]
    fn alerts_and_dashboard_name_only_exported_metrics() {
        let m = Metrics::new();
        let method = "GET";
        m.requests.get_or_create(&RequestLabels { route: "/x", method, status: 200 }).inc();
        m.latency.get_or_create(&RouteLabels { route: "/x", method }).observe(0.1);
        m.holds_created.get_or_create(&KindLabels { kind: "stock" }).inc();
        m.holds_refused.get_or_create(&ReasonLabels { reason: "sold_out".into() }).inc();
        m.units_committed.get_or_create(&KindLabels { kind: "stock" }).inc();
        m.redis_call("aforo_hold", std::time::Duration::from_millis(1), false);
        m.alerts_firing.get_or_create(&AlertLabels { alert: "A".into() }).set(0);
        m.degraded_answers.get_or_create(&ReasonLabels { reason: "timeout".into() }).inc();
        m.shed("audit");
        let text = m.encode();
        let exported: std::collections::BTreeSet<&str> =
            text.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split(['{', ' ']).next()).collect();
        for (file, body) in [
            ("ops/alerts.yml", include_str!("../../ops/alerts.yml")),
            ("ops/grafana/aforo.json", include_str!("../../ops/grafana/aforo.json")),
        ] {
            let mut rest = body;
            while let Some(at) = rest.find("aforo_") {
                let name: String = rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                rest = &rest[at + name.len()..];
                if name == "aforo_eval" {
                    continue;
                }
                assert!(exported.contains(name.as_str()), "{file} reads {name}, which /metrics does not export");
            }
        }
    }
}
