//! The group commit: holds on one resource that arrive while a call on it is in flight wait,
//! and go together in one call of `aforo_hold` when it returns. Redis decides them in
//! arrival order, each on its own (replay, refusal, shadow), and pays the fixed costs of a
//! hold once per group. There is no timer: a hold on an idle resource is sent at once, so an
//! idle resource adds no wait; the queue only forms behind a call already in flight.
//!
//! The Lua library stays the only authority: several origins (each with its own queues) and
//! a cluster (a group is one resource, one hash slot) need nothing more.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::client::Store;
use super::error::StoreError;
use super::holds::{key, HoldArgs};
use super::keys::ResourceKeys;
use super::records::HoldStatus;
use super::reply::{HoldReply, Reply};

/// A hold waiting for its resource's call, and where its answer goes.
type Waiting = (HoldArgs, oneshot::Sender<Result<HoldReply, StoreError>>);

impl Store {
    /// Takes the parts `parts`, all of resource `resource`, in order, in one call of
    /// `aforo_hold`: one answer per part, in the same order, each as
    /// [`Store::hold_part`] would have answered it.
    pub async fn hold_group(&self, resource: &str, parts: &[HoldArgs]) -> Result<Vec<HoldReply>, StoreError> {
        let k = ResourceKeys::new(resource);
        let mut keys = vec![String::new(); key::HOLDS - 1];
        for (i, name) in [
            (key::META, k.meta()),
            (key::COUNTERS, k.counters()),
            (key::EXPIRY, k.expiry()),
            (key::BOOKINGS, k.bookings()),
            (key::SETTLED, k.settled()),
        ] {
            keys[i - 1] = name;
        }
        let mut args = vec![parts.len().to_string()];
        for p in parts {
            let (own, pa) = p.wire()?;
            args.push(own.len().to_string());
            args.push(pa.len().to_string());
            keys.extend(own);
            args.extend(pa);
        }
        let out = self.fcall_reclaiming("aforo_hold", resource, keys, args).await?.into_inner();
        split(&out, parts.len())
    }
}

/// Splits the group's flat reply (per hold its length, then its reply) into hold replies.
fn split(out: &[String], n: usize) -> Result<Vec<HoldReply>, StoreError> {
    let mut replies = Vec::with_capacity(n);
    let mut i = 0;
    while replies.len() < n {
        let bad = || StoreError::Reply("aforo_hold", format!("{out:?}"));
        let len: usize = out.get(i).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let part = out.get(i + 1..i + 1 + len).ok_or_else(bad)?;
        replies.push(HoldReply::parse(&Reply::new("aforo_hold", part.to_vec()))?);
        i += 1 + len;
    }
    Ok(replies)
}

/// Per resource, the holds waiting behind the call in flight. A resource is in the map while
/// a call on it is in flight.
#[derive(Debug)]
struct Lanes {
    store: Store,
    max: usize,
    waiting: Mutex<HashMap<String, VecDeque<Waiting>>>,
}

/// The origin's entry to take hold parts, coalescing them per resource.
#[derive(Debug, Clone)]
pub struct Coalescer {
    lanes: Arc<Lanes>,
}

impl Coalescer {
    /// Groups of at most `max` holds (1: every hold its own call of `aforo_hold`).
    pub fn new(store: Store, max: usize) -> Self {
        Coalescer { lanes: Arc::new(Lanes { store, max: max.max(1), waiting: Mutex::new(HashMap::new()) }) }
    }

    /// Takes one resource's part of a hold, as [`Store::hold_part`] does, in a group with the
    /// holds of the same resource that arrive while a call on it is in flight.
    pub async fn hold(&self, part: HoldArgs) -> Result<HoldReply, StoreError> {
        let l = &self.lanes;
        // Only holds that wait for payment go in a group; a walk-in keeps its own call.
        if l.max <= 1 || !matches!(part.status, HoldStatus::Held | HoldStatus::Pending) {
            l.store.metrics().hold_group_size.observe(1.0);
            return l.store.hold_part(&part).await;
        }
        let (tx, rx) = oneshot::channel();
        let resource = part.resource.clone();
        let idle = {
            let mut waiting = l.waiting.lock().unwrap_or_else(|e| e.into_inner());
            match waiting.get_mut(&resource) {
                Some(q) => {
                    q.push_back((part, tx));
                    None
                }
                None => {
                    waiting.insert(resource.clone(), VecDeque::new());
                    Some((part, tx))
                }
            }
        };
        if let Some(first) = idle {
            // The lane's driver runs on its own task: a caller that goes away (a client
            // disconnect) does not stall the holds queued behind it.
            tokio::spawn(self.lanes.clone().drive(resource, vec![first]));
        }
        rx.await.map_err(|_| StoreError::Reply("aforo_hold", "the group's call ended without an answer".into()))?
    }
}

impl Lanes {
    /// Sends `batch`, then whatever queued meanwhile (up to `max` a call), until the lane is
    /// empty; then the resource is idle again.
    async fn drive(self: Arc<Self>, resource: String, mut batch: Vec<Waiting>) {
        loop {
            self.send(&resource, batch).await;
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            let Some(q) = waiting.get_mut(&resource) else { return };
            if q.is_empty() {
                waiting.remove(&resource);
                return;
            }
            let n = q.len().min(self.max);
            batch = q.drain(..n).collect();
        }
    }

    /// One call for `batch`, and each hold's answer to its caller. A failed call fails every
    /// hold of the group alike: none of them knows whether it was taken, as with one hold.
    async fn send(&self, resource: &str, batch: Vec<Waiting>) {
        self.store.metrics().hold_group_size.observe(batch.len() as f64);
        if batch.len() == 1 {
            // Alone: the plain function, the very path of `AFORO_BATCH_MAX=1`.
            for (part, tx) in batch {
                let _ = tx.send(self.store.hold_part(&part).await);
            }
            return;
        }
        let (parts, txs): (Vec<HoldArgs>, Vec<_>) = batch.into_iter().unzip();
        match self.store.hold_group(resource, &parts).await {
            Ok(replies) => {
                for (tx, r) in txs.into_iter().zip(replies) {
                    let _ = tx.send(Ok(r));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, resource, holds = parts.len(), "group hold call failed");
                for tx in txs {
                    let _ = tx.send(Err(e.clone()));
                }
            }
        }
    }
}
