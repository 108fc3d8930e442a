//! The audit trail's writer: queued events appended to one Redis stream (`af:audit`),
//! trimmed by age, in batches by a background task; and the page reads ops query it with.
//!
//! Events are queued in a bounded channel; when it is full (Redis down for long) an event is
//! dropped and counted rather than holding requests back.

use std::collections::BTreeMap;
use std::time::Duration;

use fred::prelude::ClientLike;
use tokio::sync::{mpsc, watch};

use super::audit::AuditEvent;
use super::client::Store;
use super::error::StoreError;
use super::keys::AUDIT;

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
