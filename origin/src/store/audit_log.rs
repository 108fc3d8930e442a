//! The audit trail's writer: queued events appended in batches by a background task to one of
//! `AFORO_AUDIT_SHARDS` Redis streams (`af:{audit:<i>}`, a batch to each in turn), trimmed
//! by age; and the page reads ops query it with, merged newest first across the shards.
//!
//! One stream would be one key on one node of a cluster taking every hold transition of the
//! deployment; shards spread that write load and memory over the cluster's slots. An event's
//! id is `<stream id>-<k>`, `k` the stream it is in, so ids are unique and totally ordered
//! across streams (time, then sequence, then stream).
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
use super::keys::{audit_shard, AUDIT};

/// Where the trail is kept: how many shards, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Trail {
    /// Streams written in turn (`AFORO_AUDIT_SHARDS`).
    pub shards: usize,
    /// Events older than this are trimmed on write.
    pub retention: Duration,
}

impl Trail {
    /// The streams a read merges: the shards, then the stream of releases before sharding.
    fn streams(&self) -> Vec<String> {
        (0..self.shards).map(audit_shard).chain([AUDIT.to_string()]).collect()
    }
}

/// Writes queued events until `stop`, then drains what is left (bounded by `grace`).
pub async fn run(store: Store, mut rx: mpsc::Receiver<AuditEvent>, trail: Trail, mut stop: watch::Receiver<bool>) {
    let mut batch = Vec::with_capacity(256);
    let mut turn = 0usize;
    let mut write = |batch: &mut Vec<AuditEvent>| {
        turn = turn.wrapping_add(1);
        write(store.clone(), std::mem::take(batch), audit_shard(turn % trail.shards.max(1)), trail.retention)
    };
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, 256) => if n == 0 { return },
            _ = stop.changed() => {
                rx.close();
                let grace = tokio::time::Instant::now() + Duration::from_secs(2);
                while rx.recv_many(&mut batch, 256).await > 0 && tokio::time::Instant::now() < grace {
                    write(&mut batch).await;
                }
                write(&mut batch).await;
                return;
            }
        }
        write(&mut batch).await;
    }
}

async fn write(store: Store, batch: Vec<AuditEvent>, stream: String, retention: Duration) {
    if batch.is_empty() {
        return;
    }
    let mut tries = 0;
    loop {
        match store.audit_append(&stream, &batch, retention).await {
            Ok(()) => {
                store.metrics().audit_written.inc_by(batch.len() as u64);
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
                return;
            }
        }
    }
}

impl Store {
    /// Appends events to `stream`, trimming what is older than `retention`.
    pub async fn audit_append(&self, stream: &str, events: &[AuditEvent], retention: Duration) -> Result<(), StoreError> {
        let now = self.time_ms().await?;
        let min_id = (now - retention.as_millis() as i64).max(0).to_string();
        let client = self.pool.next().clone();
        let n = events.len();
        self.guarded("xadd", async move {
            let p = client.pipeline();
            for ev in events {
                let mut args: Vec<String> = vec![stream.into(), "MINID".into(), "~".into(), min_id.clone(), "*".into()];
                args.extend(ev.fields());
                let _: () = p.custom(fred::cmd!("XADD"), args).await?;
            }
            let r: Vec<fred::prelude::Value> = p.all().await?;
            debug_assert_eq!(r.len(), n);
            Ok(())
        })
        .await
    }

    /// Events of the trail newest first, after `before` (exclusive, an event id) or from the
    /// newest, down to `since_ms`, at most `count`: each stream read from its place, merged.
    pub async fn audit_page(
        &self,
        trail: &Trail,
        before: Option<&EventId>,
        since_ms: i64,
        count: usize,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let streams = trail.streams();
        let reads = streams.iter().enumerate().map(|(k, stream)| {
            // Within the same stream id, events of streams numbered below `before`'s come after it.
            let end = match before {
                None => "+".to_string(),
                Some(b) if k < b.stream => format!("{}-{}", b.ms, b.seq),
                Some(b) => format!("({}-{}", b.ms, b.seq),
            };
            let args = vec![stream.clone(), end, format!("{since_ms}-0"), "COUNT".into(), count.to_string()];
            let client = self.pool.next().clone();
            self.guarded("xrevrange", async move { client.custom::<fred::prelude::Value, _>(fred::cmd!("XREVRANGE"), args).await })
        });
        let mut all: Vec<(EventId, AuditEvent)> = Vec::new();
        for (k, v) in futures::future::try_join_all(reads).await?.into_iter().enumerate() {
            for (id, fields) in stream_entries(v) {
                let Some(id) = EventId::parse(&format!("{id}-{k}")) else { continue };
                if let Some(ev) = AuditEvent::from_fields(id.to_string(), fields) {
                    all.push((id, ev));
                }
            }
        }
        all.sort_by_key(|e| std::cmp::Reverse(e.0));
        all.truncate(count);
        Ok(all.into_iter().map(|(_, ev)| ev).collect())
    }
}

/// An audit event's id: its stream id (`<ms>-<seq>`) and the stream it is in; ordered by
/// time, then sequence, then stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventId {
    /// Milliseconds of the stream id.
    pub ms: u64,
    /// Sequence of the stream id.
    pub seq: u64,
    /// The stream, as the trail numbers them.
    pub stream: usize,
}

impl EventId {
    /// Parses `<ms>-<seq>-<stream>`; `None` for anything else.
    pub fn parse(s: &str) -> Option<EventId> {
        let mut parts = s.split('-');
        let num = |p: Option<&str>| p.filter(|p| !p.is_empty() && p.len() <= 20 && p.bytes().all(|c| c.is_ascii_digit()))?.parse().ok();
        let id = EventId { ms: num(parts.next())?, seq: num(parts.next())?, stream: usize::try_from(num(parts.next())?).ok()? };
        parts.next().is_none().then_some(id)
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.ms, self.seq, self.stream)
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
    fn event_ids_round_trip_and_order_by_time_sequence_then_stream() {
        let id = EventId::parse("1795808721420-3-2").expect("an event id");
        assert_eq!(id, EventId { ms: 1_795_808_721_420, seq: 3, stream: 2 });
        assert_eq!(id.to_string(), "1795808721420-3-2");
        for bad in ["", "1-2", "1-2-3-4", "a-1-2", "1--2", "-1-2", &"9".repeat(21)] {
            assert_eq!(EventId::parse(bad), None, "{bad}");
        }
        let at = |ms, seq, stream| EventId { ms, seq, stream };
        let mut ids = vec![at(5, 0, 1), at(5, 0, 0), at(4, 9, 3), at(5, 1, 0)];
        ids.sort();
        assert_eq!(ids, vec![at(4, 9, 3), at(5, 0, 0), at(5, 0, 1), at(5, 1, 0)]);
    }
}
