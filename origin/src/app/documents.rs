//! The compiled documents, cached by version, and the snapshots read against them.
//!
//! Why its own type: compiling a document costs far more than reading its counters, so every
//! origin keeps the last version it compiled of each resource and reads Redis again only when
//! a caller (or the counters' `~v`) says a newer one exists. The snapshot reads live here too
//! because they are the cache's one consumer that retries on a version change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aforo_core::{buckets_for, Bucket, Counters, Resource, Snapshot, State};
use chrono::{DateTime, NaiveDate, Utc};

use super::work::compute;
use crate::error::ApiError;
use crate::store::{Meta, Store};

/// How many times a read or hold retries after finding a newer document version.
const VERSION_RETRIES: usize = 3;

/// A compiled document at one version.
#[derive(Debug)]
pub struct Loaded {
    /// Its worst case per date (what a read of it costs).
    pub costs: aforo_core::Costs,
    /// The resource id.
    pub id: String,
    /// Owner.
    pub owner: String,
    /// Compiled document.
    pub resource: Resource,
    /// Version, stock, pause.
    pub state: State,
    /// When it was archived (Redis ms); an archived resource answers 404 to all but its
    /// bookings and the operators' checks.
    pub archived_at: Option<i64>,
    /// Counters the seller knowingly left past their limit (`crate::capacity`).
    pub overcommitted: Option<String>,
}

impl Loaded {
    /// A snapshot of this document with `counters` read at `as_of` (covering `covers`).
    pub fn snapshot(&self, covers: Option<(NaiveDate, NaiveDate)>, counters: Counters, as_of: DateTime<Utc>) -> Snapshot {
        Snapshot {
            resource_id: self.id.clone(),
            owner: self.owner.clone(),
            resource: self.resource.clone(),
            state: self.state.clone(),
            covers,
            counters,
            as_of,
        }
    }

    fn compile(id: &str, meta: Meta) -> Result<Loaded, ApiError> {
        // An archived resource keeps a summary in place of its document (crate::archived).
        let resource = match meta.archived_at {
            Some(_) => crate::archived::compile(&meta.doc),
            None => Resource::from_json(meta.doc.as_bytes()).map_err(|e| e.to_string()),
        }
        .map_err(|e| ApiError::Internal(format!("stored document of {id} is invalid: {e}")))?;
        let pause = match meta.pause {
            Some(p) => Some(serde_json::from_str(&p).map_err(|e| ApiError::Internal(format!("stored pause of {id}: {e}")))?),
            None => None,
        };
        Ok(Loaded {
            id: id.to_string(),
            owner: meta.owner,
            costs: aforo_core::costs(&resource),
            resource,
            state: State { version: meta.version, on_hand: meta.on_hand, pause },
            archived_at: meta.archived_at,
            overcommitted: meta.overcommitted,
        })
    }
}

/// Compiled documents by resource id, newest version kept.
#[derive(Debug)]
pub struct Documents {
    store: Store,
    docs: RwLock<HashMap<String, Arc<Loaded>>>,
}

impl Documents {
    /// An empty cache reading from `store`.
    pub fn new(store: Store) -> Self {
        Documents { store, docs: RwLock::new(HashMap::new()) }
    }

    /// The resource's compiled document; from cache unless `at_least` is newer. An archived
    /// resource is not found.
    pub async fn load(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        let l = self.load_any(id, at_least).await?;
        if l.archived_at.is_some() {
            return Err(ApiError::ResourceNotFound(id.to_string()));
        }
        Ok(l)
    }

    /// As [`Documents::load`], archived resources included (their bookings, the drift check).
    pub async fn load_any(&self, id: &str, at_least: Option<u64>) -> Result<Arc<Loaded>, ApiError> {
        if let Some(l) = self.docs.read().map_err(|_| ApiError::Internal("doc cache poisoned".into()))?.get(id) {
            if at_least.is_none_or(|v| l.state.version >= v) {
                return Ok(l.clone());
            }
        }
        let meta = self.store.meta(id).await?.ok_or_else(|| ApiError::ResourceNotFound(id.to_string()))?;
        let loaded = Arc::new(Loaded::compile(id, meta)?);
        let mut docs = self.docs.write().map_err(|_| ApiError::Internal("doc cache poisoned".into()))?;
        let keep = docs.get(id).is_some_and(|c| c.state.version > loaded.state.version);
        if !keep {
            docs.insert(id.to_string(), loaded.clone());
        }
        Ok(loaded)
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
        self.snapshot_of(id, |l| {
            let covers = range.filter(|_| l.resource.is_dated());
            let days = covers.map_or(1, |(f, t)| usize::try_from((t - f).num_days() + 1).unwrap_or(1));
            let doc = l.clone();
            let buckets = move || {
                let (f, t) = covers.unwrap_or((NaiveDate::MIN, NaiveDate::MIN));
                buckets_for(&doc.resource, f, t)
            };
            (buckets, covers, days.saturating_mul(l.costs.day_buckets as usize))
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
        self.snapshot_of(id, |l| {
            let (buckets, covers) = pick(l);
            let work = buckets.len();
            (move || buckets, covers, work)
        })
        .await
    }

    /// The snapshot `pick` describes for the document at its version: the counters to read
    /// (named by a computation of about `work` units), the dates they cover; read again at the
    /// newer version when the document changed under it.
    async fn snapshot_of<B>(
        &self,
        id: &str,
        pick: impl Fn(&Arc<Loaded>) -> (B, Option<(NaiveDate, NaiveDate)>, usize),
    ) -> Result<Snapshot, ApiError>
    where
        B: FnOnce() -> Vec<Bucket> + Send + 'static,
    {
        let mut at_least = None;
        for _ in 0..VERSION_RETRIES {
            let l = self.load(id, at_least).await?;
            let (buckets, covers, work) = pick(&l);
            let (buckets, names) = compute(work, move || {
                let buckets = buckets();
                let names: Vec<String> = buckets.iter().map(ToString::to_string).collect();
                (buckets, names)
            })
            .await?;
            let (now_ms, version, vals) = self.store.read(&l.id, names).await?.ok_or_else(|| ApiError::ResourceNotFound(l.id.clone()))?;
            if version != l.state.version {
                at_least = Some(version);
                continue;
            }
            let counters = compute(work, move || Counters(buckets.into_iter().zip(vals).filter(|(_, v)| *v > 0).collect())).await?;
            return Ok(l.snapshot(covers, counters, DateTime::from_timestamp_millis(now_ms).unwrap_or_else(Utc::now)));
        }
        Err(ApiError::StoreUnavailable(format!("resource {id} kept changing while it was read; retry")))
    }
}
