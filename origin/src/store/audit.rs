//! The audit trail's events and the handle requests queue them with; `audit_log` writes them
//! to one Redis stream (`af:audit`), trimmed by age, in batches, so a request never waits.
//!
//! Events are queued in a bounded channel; when it is full (Redis down for long) an event is
//! dropped and counted (`aforo_audit_events_dropped_total`, and a warning in the signals)
//! rather than holding requests back. Stream ids are Redis-assigned, so events are ordered
//! as Redis received them; `at` is the origin's time of the fact, on Redis's clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEvent {
    /// The stream id (`<ms>-<seq>`), once stored.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub id: String,
    /// What happened: `hold.created`, `auth.denied`, `stock.adjusted`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who: the caller's `sub`, `anonymous`, or `system`.
    pub actor: String,
    /// The caller's role (`buyer`, `seller`, `ops`, `edge`, `none`, `system`).
    pub role: String,
    /// The resource concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The hold concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<String>,
    /// The request that caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `METHOD /route/template`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// What changed, per type.
    #[serde(default)]
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// A new event of `kind` by `actor`/`role`, at `at`.
    pub fn new(kind: &str, actor: &str, role: &str, at: chrono::DateTime<chrono::Utc>) -> Self {
        AuditEvent {
            id: String::new(),
            kind: kind.to_string(),
            at: aforo_core::rfc3339(&at),
            actor: actor.to_string(),
            role: role.to_string(),
            resource_id: None,
            hold_id: None,
            request_id: None,
            route: None,
            detail: serde_json::Value::Null,
        }
    }

    /// A new event of `kind` by `actor`, at `at`, naming the request that caused it.
    pub fn by(actor: &Actor, kind: &str, at: chrono::DateTime<chrono::Utc>) -> Self {
        AuditEvent::new(kind, &actor.sub, &actor.role, at).request(actor.request_id.as_deref(), actor.route.clone())
    }

    /// Sets the resource.
    pub fn resource(mut self, id: &str) -> Self {
        self.resource_id = Some(id.to_string());
        self
    }

    /// Sets the hold.
    pub fn hold(mut self, id: &str) -> Self {
        self.hold_id = Some(id.to_string());
        self
    }

    /// Sets the details.
    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.detail = d;
        self
    }

    /// Sets the request id and route.
    pub fn request(mut self, request_id: Option<&str>, route: Option<String>) -> Self {
        self.request_id = request_id.map(String::from);
        self.route = route;
        self
    }

    /// The event with every string (top-level fields and those inside `detail`) cut to
    /// [`FIELD_MAX`] bytes: nothing a caller sends can make one entry large (an anonymous
    /// request is audited too, and kept `AFORO_AUDIT_RETENTION_H`).
    pub fn bounded(mut self) -> Self {
        let cut = |s: &mut String| {
            if s.len() > FIELD_MAX {
                *s = crate::text::clip(s, FIELD_MAX);
            }
        };
        for s in [&mut self.kind, &mut self.at, &mut self.actor, &mut self.role] {
            cut(s);
        }
        for s in [&mut self.resource_id, &mut self.hold_id, &mut self.request_id, &mut self.route].into_iter().flatten() {
            cut(s);
        }
        fn walk(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) if s.len() > FIELD_MAX => *s = crate::text::clip(s, FIELD_MAX),
                serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
                serde_json::Value::Object(o) => o.values_mut().for_each(walk),
                _ => {}
            }
        }
        walk(&mut self.detail);
        self
    }

    /// The stream entry: `type` (for `redis-cli XRANGE` readers) and the event as JSON in `e`
    /// (one field instead of ten keeps the write cheap on both sides).
    pub(super) fn fields(&self) -> Vec<String> {
        vec!["type".into(), self.kind.clone(), "e".into(), serde_json::to_string(self).unwrap_or_default()]
    }

    pub(super) fn from_fields(id: String, m: BTreeMap<String, String>) -> Option<Self> {
        let mut ev: AuditEvent = serde_json::from_str(m.get("e")?).ok()?;
        ev.id = id;
        Some(ev)
    }
}

/// Who did something, as the audit trail names them: a caller's `sub` and role (or `system`)
/// and, for a request, its id and route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The caller's `sub`, or `system`.
    pub sub: String,
    /// The caller's role, or `system`.
    pub role: String,
    /// The request's id.
    pub request_id: Option<String>,
    /// `METHOD /route/{template}`.
    pub route: Option<String>,
}

impl Actor {
    /// The origin itself (a background step, an undo).
    pub fn system() -> Self {
        Actor { sub: "system".into(), role: "system".into(), request_id: None, route: None }
    }
}

/// The most bytes of any one string in an audit event (ids, routes, reasons, actors; a token's
/// `sub` is at most 256 bytes, a hold id 93).
pub const FIELD_MAX: usize = 256;

/// Whether an event of `kind` is shed near the memory ceiling: denied requests (`auth.*`:
/// anyone can cause them, at any rate) and the audit of a read (`stock.validated`). Bookings
/// (`hold.*`), documents, stock, modes and repairs are always written.
pub fn sheddable(kind: &str) -> bool {
    kind.starts_with("auth.") || kind == "stock.validated"
}

/// The handle requests record events with.
#[derive(Debug, Clone)]
pub struct Audit {
    tx: mpsc::Sender<AuditEvent>,
    metrics: Arc<Metrics>,
}

/// Events waiting to be written at most.
pub const QUEUE: usize = 50_000;

impl Audit {
    /// A handle and the receiver its writer drains.
    pub fn channel(metrics: Arc<Metrics>) -> (Audit, mpsc::Receiver<AuditEvent>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Audit { tx, metrics }, rx)
    }

    /// Queues an event (every string bounded); never waits. Near the store's memory ceiling
    /// ([`Metrics::shedding`]) an event that is neither a booking nor a decision
    /// ([`sheddable`]) is not written, and counted in `aforo_writes_shed_total{what="audit"}`.
    pub fn record(&self, ev: AuditEvent) {
        if sheddable(&ev.kind) && self.metrics.shedding() {
            self.metrics.shed("audit");
            return;
        }
        if let Err(e) = self.tx.try_send(ev.bounded()) {
            self.metrics.audit_dropped.inc();
            tracing::warn!(error = %e, "audit queue full; event dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_of_an_event_is_bounded() {
        let long = "x".repeat(65_000);
        let ev = AuditEvent::new("auth.denied", &long, "none", chrono::Utc::now())
            .resource(&long)
            .hold(&long)
            .request(Some(&long), Some(long.clone()))
            .detail(serde_json::json!({"reason": long, "items": [{"why": long}], "n": 1}))
            .bounded();
        let json = serde_json::to_string(&ev).unwrap_or_default();
        assert!(json.len() < 10 * FIELD_MAX, "{} bytes", json.len());
        assert_eq!(ev.actor.len(), FIELD_MAX);
        assert_eq!(ev.detail["n"], 1);
        let short = AuditEvent::new("hold.created", "buyer-1", "buyer", chrono::Utc::now()).hold("h_x_y");
        assert_eq!(short.clone().bounded(), short);
    }

    #[test]
    fn near_the_ceiling_denials_are_shed_and_bookings_kept() {
        let metrics = Arc::new(Metrics::new());
        let (audit, mut rx) = Audit::channel(metrics.clone());
        let ev = |kind: &str| AuditEvent::new(kind, "x", "none", chrono::Utc::now());
        audit.record(ev("auth.denied"));
        assert!(rx.try_recv().is_ok(), "below the ceiling everything is written");
        metrics.note_memory(91, 100, 0.9);
        for kind in ["auth.denied", "stock.validated", "hold.created", "resource.archived"] {
            audit.record(ev(kind));
        }
        let kept: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok()).map(|e| e.kind).collect();
        assert_eq!(kept, ["hold.created", "resource.archived"]);
        assert!(metrics.encode().contains("aforo_writes_shed_total{what=\"audit\"} 2"));
    }
}
