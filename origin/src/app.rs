//! Shared state of the origin: the store, the token verifier, a cache of compiled documents
//! keyed by version, and the offset to Redis's clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use aforo_core::{buckets_for, Bucket, Counters, Resource, Snapshot, State};
use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::Verifier;
use crate::config::Config;
use crate::error::ApiError;
use crate::store::{Meta, Store};

/// A compiled document at one version.
#[derive(Debug)]
pub struct Loaded {
    /// The resource id.
    pub id: String,
    /// Owner.
    pub owner: String,
    /// Compiled document.
    pub resource: Resource,
    /// Version, stock, pause.
    pub state: State,
}

/// Application state, shared by every request.
#[derive(Debug)]
pub struct App {
    /// Settings.
    pub cfg: Config,
    /// Redis.
    pub store: Store,
    /// JWT verifier.
    pub verifier: Verifier,
    docs: RwLock<HashMap<String, Arc<Loaded>>>,
    clock_offset_ms: AtomicI64,
    /// Per resource, the sweep time this origin last put in `af:due`.
    scheduled: RwLock<HashMap<String, i64>>,
}

/// How many times a read or hold retries after finding a newer document version.
const VERSION_RETRIES: usize = 3;

impl App {
    /// New state.
    pub fn new(cfg: Config, store: Store) -> Self {
        let verifier = Verifier::new(cfg.jwt_secret.as_bytes());
        App {
            cfg,
            store,
            verifier,
            docs: RwLock::new(HashMap::new()),
            clock_offset_ms: AtomicI64::new(0),
            scheduled: RwLock::new(HashMap::new()),
        }
    }

    /// Re-reads Redis TIME and keeps the offset to the local clock, so that rules are judged
    /// on Redis's clock without a round trip per request.
    pub async fn sync_clock(&self) -> Result<(), ApiError> {
        let before = Utc::now().timestamp_millis();
        let redis = self.store.time_ms().await?;
        let after = Utc::now().timestamp_millis();
        self.clock_offset_ms.store(redis - (before + after) / 2, Ordering::Relaxed);
        Ok(())
    }

    /// Now, on Redis's clock.
    pub fn now(&self) -> DateTime<Utc> {
        let ms = Utc::now().timestamp_millis() + self.clock_offset_ms.load(Ordering::Relaxed);
        DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now)
    }

    fn compile(id: &str, meta: Meta) -> Result<Loaded, ApiError> {
        let resource =
            Resource::from_json(meta.doc.as_bytes()).map_err(|e| ApiError::Internal(format!("stored document of {id} is invalid: {e}")))?;
        let pause = match meta.pause {
            Some(p) => Some(serde_json::from_str(&p).map_err(|e| ApiError::Internal(format!("stored pause of {id}: {e}")))?),
            None => None,
        };
        Ok(Loaded { id: id.to_string(), owner: meta.owner, resource, state: State { version: meta.version, on_hand: meta.on_hand, pause } })
    }

    /// The resource's compiled document; from cache unless `at_least` is newer.
    pub async fn load(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        if let Some(l) = self.docs.read().map_err(|_| ApiError::Internal("doc cache poisoned".into()))?.get(id) {
            if at_least.is_none_or(|v| l.state.version >= v) {
                return Ok(l.clone());
            }
        }
        let meta = self.store.meta(id).await?.ok_or_else(|| ApiError::ResourceNotFound(id.to_string()))?;
        let loaded = Arc::new(Self::compile(id, meta)?);
        let mut docs = self.docs.write().map_err(|_| ApiError::Internal("doc cache poisoned".into()))?;
        let keep = docs.get(id).is_some_and(|c| c.state.version > loaded.state.version);
        if !keep {
            docs.insert(id.to_string(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Makes sure the sweeper looks at `id` by `at_ms`. The `ZADD LT` is skipped when this
    /// origin already scheduled an earlier sweep that is still in the future: the sweeper
    /// only removes entries once they are due, so that entry is still there.
    pub async fn schedule_sweep(&self, id: &str, at_ms: i64) -> Result<(), ApiError> {
        let now = self.now().timestamp_millis();
        let known = self.scheduled.read().ok().and_then(|m| m.get(id).copied());
        if known.is_some_and(|t| t <= at_ms && t > now + 1000) {
            return Ok(());
        }
        self.store.schedule_sweep(id, at_ms).await?;
        if let Ok(mut m) = self.scheduled.write() {
            if m.len() > 100_000 {
                m.retain(|_, t| *t > now);
            }
            let e = m.entry(id.to_string()).or_insert(at_ms);
            if *e <= now || at_ms < *e {
                *e = at_ms;
            }
        }
        Ok(())
    }

    /// Forgets a cached document (after this origin changed it).
    pub fn forget(&self, id: &str) {
        if let Ok(mut d) = self.docs.write() {
            d.remove(id);
        }
    }

    /// A snapshot of `from..=to` (ignored for stock-only), reclaiming expired holds first and
    /// retrying when the document changed under it.
    pub async fn snapshot(&self, id: &str, range: Option<(NaiveDate, NaiveDate)>) -> Result<Snapshot, ApiError> {
        self.snapshot_with(id, |l| {
            let buckets = match range {
                Some((f, t)) => buckets_for(&l.resource, f, t),
                None => buckets_for(&l.resource, NaiveDate::MIN, NaiveDate::MIN),
            };
            (buckets, range.filter(|_| l.resource.is_dated()))
        })
        .await
    }

    /// A snapshot of the counters `pick` names for the document it is given (and the dates it
    /// says they cover), read in one step with the version, reclaiming expired holds first.
    pub async fn snapshot_with(
        &self,
        id: &str,
        pick: impl Fn(&Loaded) -> (Vec<Bucket>, Option<(NaiveDate, NaiveDate)>),
    ) -> Result<Snapshot, ApiError> {
        let mut at_least = None;
        for _ in 0..VERSION_RETRIES {
            let l = self.load(id, at_least).await?;
            let (buckets, covers) = pick(&l);
            let names: Vec<String> = buckets.iter().map(ToString::to_string).collect();
            let (now_ms, version, vals) = self.store.read(id, names).await?.ok_or_else(|| ApiError::ResourceNotFound(id.to_string()))?;
            if version != l.state.version {
                at_least = Some(version);
                continue;
            }
            let counters = Counters(buckets.into_iter().zip(vals).filter(|(_, v)| *v > 0).collect());
            return Ok(Snapshot {
                resource_id: id.to_string(),
                owner: l.owner.clone(),
                resource: l.resource.clone(),
                state: l.state.clone(),
                covers,
                counters,
                as_of: DateTime::from_timestamp_millis(now_ms).unwrap_or_else(Utc::now),
            });
        }
        Err(ApiError::StoreUnavailable(format!("resource {id} kept changing while it was read; retry")))
    }
}

/// Shared handle.
pub type AppRef = Arc<App>;
