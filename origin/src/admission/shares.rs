//! Heavy reads shared fairly: the `AFORO_HEAVY_READS` permits to compute on the blocking
//! pool are taken in one first-come queue, but each key (a caller, or a client address) has
//! at most [`Heavy::share`] requests in that queue or holding a permit at once. Its further
//! heavy reads wait in its own queue, behind its own (a few, then 429): so one key's flood
//! never stands in front of another key's read, which waits for at most one read per
//! other busy key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// How many heavy reads one key may have waiting in its own queue (beyond its share) before
/// it is answered 429.
pub const QUEUE_PER_KEY: usize = 8;

#[derive(Debug)]
struct Slot {
    own: Arc<Semaphore>,
    users: usize,
}

/// The permits and each key's share of them.
#[derive(Debug)]
pub struct Heavy {
    all: Arc<Semaphore>,
    share: usize,
    keys: Arc<Mutex<HashMap<String, Slot>>>,
}

/// A heavy read's permit, given back (with its place in its key's share) when dropped.
#[derive(Debug)]
pub struct Permit {
    _all: OwnedSemaphorePermit,
    _own: OwnedSemaphorePermit,
    _user: User,
}

/// One of a key's users, counted until dropped (and the key forgotten at the last).
#[derive(Debug)]
struct User {
    keys: Arc<Mutex<HashMap<String, Slot>>>,
    key: String,
}

impl Drop for User {
    fn drop(&mut self) {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = keys.get_mut(&self.key) {
            s.users = s.users.saturating_sub(1);
            if s.users == 0 {
                keys.remove(&self.key);
            }
        }
    }
}

impl Heavy {
    /// `permits` permits (at least one); a key's share is half of them, at least one.
    pub fn new(permits: usize) -> Self {
        let permits = permits.max(1);
        Heavy { all: Arc::new(Semaphore::new(permits)), share: (permits / 2).max(1), keys: Arc::default() }
    }

    /// The most permits one key holds or waits for in the shared queue.
    pub fn share(&self) -> usize {
        self.share
    }

    /// Waits for a permit for `key`: first for a place in its share, then in the shared queue.
    /// 429 when the key already has its share and [`QUEUE_PER_KEY`] more waiting, unless
    /// `patient` (it then waits in its own queue, within its request's timeout).
    pub async fn acquire(&self, key: &str, patient: bool) -> Result<Permit, ApiError> {
        let (own, user) = {
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            let slot = keys.entry(key.to_string()).or_insert_with(|| Slot { own: Arc::new(Semaphore::new(self.share)), users: 0 });
            if !patient && slot.users >= self.share + QUEUE_PER_KEY {
                return Err(ApiError::RateLimited(Duration::from_secs(1)));
            }
            slot.users += 1;
            (slot.own.clone(), User { keys: self.keys.clone(), key: key.to_string() })
        };
        let closed = |_| ApiError::Internal("compute pool closed".into());
        let own = own.acquire_owned().await.map_err(closed)?;
        let all = self.all.clone().acquire_owned().await.map_err(closed)?;
        Ok(Permit { _all: all, _own: own, _user: user })
    }

    /// Keys with heavy reads in flight or waiting.
    pub fn busy_keys(&self) -> usize {
        self.keys.lock().map_or(0, |k| k.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flooding_key_never_queues_in_front_of_another() {
        let h = Arc::new(Heavy::new(2));
        assert_eq!(h.share(), 1);
        let first = h.acquire("flood", false).await.unwrap();
        // The flood's next reads wait in its own queue, not for the shared permits.
        let mut waiting = Vec::new();
        for _ in 0..QUEUE_PER_KEY {
            let h = h.clone();
            waiting.push(tokio::spawn(async move { h.acquire("flood", false).await.map(|_| ()) }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(matches!(h.acquire("flood", false).await, Err(ApiError::RateLimited(_))), "beyond its queue: 429");
        let patient = tokio::time::timeout(Duration::from_millis(50), h.acquire("flood", true)).await;
        assert!(patient.is_err(), "a patient key waits in its own queue instead");
        // Another key gets the free permit at once.
        let other = tokio::time::timeout(Duration::from_millis(100), h.acquire("other", false)).await;
        assert!(other.is_ok_and(|p| p.is_ok()), "another key waited behind the flood");
        drop(first);
        for w in waiting {
            w.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn keys_are_forgotten_when_idle() {
        let h = Heavy::new(4);
        assert_eq!(h.share(), 2);
        let a = h.acquire("a", false).await.unwrap();
        let b = h.acquire("a", false).await.unwrap();
        assert_eq!(h.busy_keys(), 1);
        drop((a, b));
        assert_eq!(h.busy_keys(), 0);
    }
}
