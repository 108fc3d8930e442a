//! The audit trail: one Redis stream (`af:audit`), trimmed by age, written in batches by a
//! background task so that a request never waits on it.
//!
//! Events are queued in a bounded channel; when it is full (Redis down for long) an event is
//! dropped and counted (`aforo_audit_events_dropped_total`, and a warning in the signals)
//! rather than holding requests back. Stream ids are Redis-assigned, so events are ordered
//! as Redis received them; `at` is the origin's time of the fact, on Redis's clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use fred::prelude::ClientLike;

use super::{Store, StoreError, AUDIT};
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
                *s = crate::error::clip(s, FIELD_MAX);
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
                serde_json::Value::String(s) if s.len() > FIELD_MAX => *s = crate::error::clip(s, FIELD_MAX),
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

/// The most bytes of any one string in an audit event (ids, routes, reasons, actors; a token's
/// `sub` is at most 256 bytes, a hold id 93).
pub const FIELD_MAX: usize = 256;

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

    /// Queues an event (every string bounded); never waits.
    pub fn record(&self, ev: AuditEvent) {
        if let Err(e) = self.tx.try_send(ev.bounded()) {
            self.metrics.audit_dropped.inc();
            tracing::warn!(error = %e, "audit queue full; event dropped");
        }
    }
}

/// Writes queued events until `stop`, then drains what is left (bounded by `grace`).
pub async fn run(store: Store, mut rx: mpsc::Receiver<AuditEvent>, retention: Duration, mut stop: watch::Receiver<bool>) {
    let mut batch = Vec::with_capacity(256);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, 256) => if n == 0 { return },
            _ = stop.changed() => {
                rx.close();
                let grace = tokio::time::Instant::now() + Duration::from_secs(2);
                while rx.recv_many(&mut batch, 256).await > 0 && tokio::time::Instant::now() < grace {
                    write(&store, &mut batch, retention).await;
                }
                write(&store, &mut batch, retention).await;
                return;
            }
        }
        write(&store, &mut batch, retention).await;
    }
}

async fn write(store: &Store, batch: &mut Vec<AuditEvent>, retention: Duration) {
    if batch.is_empty() {
        return;
    }
    let mut tries = 0;
    loop {
        match store.audit_append(batch, retention).await {
            Ok(()) => {
                store.metrics().audit_written.inc_by(batch.len() as u64);
                batch.clear();
                return;
            }
            Err(e) if tries < 3 => {
                tries += 1;
                tracing::warn!(error = %e, events = batch.len(), "could not write audit events; retrying");
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
            }
            Err(e) => {
                store.metrics().audit_dropped.inc_by(batch.len() as u64);
                tracing::error!(error = %e, events = batch.len(), "audit events dropped: Redis unavailable");
                batch.clear();
                return;
            }
        }
    }
}

impl Store {
    /// Appends events to the stream, trimming what is older than `retention`.
    pub async fn audit_append(&self, events: &[AuditEvent], retention: Duration) -> Result<(), StoreError> {
        let now = self.time_ms().await?;
        let min_id = (now - retention.as_millis() as i64).max(0).to_string();
        let client = self.pool.next().clone();
        let n = events.len();
        self.guarded("xadd", async move {
            let p = client.pipeline();
            for ev in events {
                let mut args: Vec<String> = vec![AUDIT.into(), "MINID".into(), "~".into(), min_id.clone(), "*".into()];
                args.extend(ev.fields());
                let _: () = p.custom(fred::cmd!("XADD"), args).await?;
            }
            let r: Vec<fred::prelude::Value> = p.all().await?;
            debug_assert_eq!(r.len(), n);
            Ok(())
        })
        .await
    }

    /// Events newest first, from `before` (exclusive, a stream id) or the newest, down to
    /// `since_ms`, at most `count`.
    pub async fn audit_page(&self, before: Option<&str>, since_ms: i64, count: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let end = before.map(|b| format!("({b}")).unwrap_or_else(|| "+".into());
        let args = vec![AUDIT.to_string(), end, format!("{since_ms}-0"), "COUNT".into(), count.to_string()];
        let client = self.pool.next().clone();
        let v: fred::prelude::Value = self.guarded("xrevrange", async move { client.custom(fred::cmd!("XREVRANGE"), args).await }).await?;
        Ok(stream_entries(v).into_iter().filter_map(|(id, m)| AuditEvent::from_fields(id, m)).collect())
    }
}

/// Parses an XRANGE-shaped reply: `[[id, [field, value, …]], …]`.
pub fn stream_entries(v: fred::prelude::Value) -> Vec<(String, BTreeMap<String, String>)> {
    use fred::prelude::Value;
    let text = |v: &Value| v.as_str().map(|s| s.to_string()).unwrap_or_default();
    let Value::Array(entries) = v else { return Vec::new() };
    entries
        .into_iter()
        .filter_map(|e| match e {
            Value::Array(pair) if pair.len() == 2 => {
                let id = text(&pair[0]);
                let fields = match &pair[1] {
                    Value::Array(kv) => kv.chunks(2).filter(|c| c.len() == 2).map(|c| (text(&c[0]), text(&c[1]))).collect(),
                    _ => BTreeMap::new(),
                };
                Some((id, fields))
            }
            _ => None,
        })
        .collect()
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
}
