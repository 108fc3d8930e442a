//! Signals: the recent warnings and errors of this origin, kept in a bounded ring buffer by a
//! `tracing` layer, for on-call people who have no access to the logs
//! (`GET /v1/monitoring/signals`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Signals kept at most.
pub const CAPACITY: usize = 1000;

/// One warning or error.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    /// When (RFC 3339, the origin's clock).
    pub at: String,
    /// `warn` or `error`.
    pub level: &'static str,
    /// Which part of the origin: `http`, `store`, `sweeper`, `audit`, `alerts`, `origin`.
    pub service: &'static str,
    /// The log message.
    pub message: String,
    /// The event's other fields.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The ring buffer.
#[derive(Debug, Default)]
pub struct Signals {
    buf: Mutex<VecDeque<Signal>>,
}

impl Signals {
    /// An empty buffer.
    pub fn new() -> Arc<Self> {
        Arc::new(Signals::default())
    }

    fn push(&self, s: Signal) {
        let mut b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() == CAPACITY {
            b.pop_front();
        }
        b.push_back(s);
    }

    /// Newest first, filtered by service and minimum level (`warn` includes errors).
    pub fn recent(&self, service: Option<&str>, level: Option<&str>, limit: usize) -> Vec<Signal> {
        let b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        b.iter()
            .rev()
            .filter(|s| service.is_none_or(|w| s.service == w))
            .filter(|s| level != Some("error") || s.level == "error")
            .take(limit)
            .cloned()
            .collect()
    }

    /// The `tracing` layer that fills this buffer.
    pub fn layer(self: &Arc<Self>) -> SignalLayer {
        SignalLayer(self.clone())
    }
}

/// Services a `service=` filter may name.
pub const SERVICES: [&str; 6] = ["http", "store", "sweeper", "audit", "alerts", "origin"];

fn service_of(target: &str) -> &'static str {
    let t = target.strip_prefix("aforo_origin::").unwrap_or(target);
    if t.starts_with("store::sweeper") {
        "sweeper"
    } else if t.starts_with("store::audit") {
        "audit"
    } else if t.starts_with("store") {
        "store"
    } else if t.starts_with("server")
        || t.starts_with("error")
        || t.starts_with("routes")
        || t.starts_with("http")
        || t.starts_with("holds")
    {
        // The hold steps answer requests: their warnings are the HTTP service's, as they
        // were when they lived in the handlers.
        "http"
    } else if t.starts_with("obs::alerts") {
        "alerts"
    } else {
        "origin"
    }
}

/// Keeps WARN and ERROR events in a [`Signals`] buffer.
#[derive(Debug, Clone)]
pub struct SignalLayer(Arc<Signals>);

struct Collect {
    message: String,
    fields: serde_json::Map<String, serde_json::Value>,
}

impl Visit for Collect {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.insert(field.name().to_string(), serde_json::Value::String(format!("{value:?}")));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields.insert(field.name().to_string(), value.into());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.insert(field.name().to_string(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.insert(field.name().to_string(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.insert(field.name().to_string(), value.into());
    }
}

impl<S: Subscriber> Layer<S> for SignalLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut c = Collect { message: String::new(), fields: serde_json::Map::new() };
        event.record(&mut c);
        self.0.push(Signal {
            at: aforo_core::rfc3339(&chrono::Utc::now()),
            level: if level == Level::ERROR { "error" } else { "warn" },
            service: service_of(event.metadata().target()),
            message: c.message,
            fields: c.fields,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::prelude::*;

    #[test]
    fn keeps_warnings_and_errors_newest_first_and_bounded() {
        let s = Signals::new();
        let sub = tracing_subscriber::registry().with(s.layer());
        tracing::subscriber::with_default(sub, || {
            tracing::info!("not kept");
            tracing::warn!(target: "aforo_origin::store::sweeper", n = 3, "slow");
            tracing::error!(target: "aforo_origin::store", "down");
            for i in 0..CAPACITY {
                tracing::warn!(target: "aforo_origin::server", i, "filler");
            }
        });
        let all = s.recent(None, None, 5000);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].fields["i"], serde_json::json!(CAPACITY as u64 - 1));
        let s2 = Signals::new();
        let sub = tracing_subscriber::registry().with(s2.layer());
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(target: "aforo_origin::store::sweeper", n = 3, "slow");
            tracing::error!(target: "aforo_origin::store", "down");
        });
        let errs = s2.recent(None, Some("error"), 10);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].message, "down");
        let sweeper = s2.recent(Some("sweeper"), None, 10);
        assert_eq!(sweeper.len(), 1);
        assert_eq!(sweeper[0].fields["n"], serde_json::json!(3));
    }
}
