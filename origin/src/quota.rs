//! Seller quotas (docs/limits.md, "Seller quotas"): how many live resources a seller owns
//! and how many bytes its stored documents take, against `AFORO_SELLER_MAX_RESOURCES` and
//! `AFORO_SELLER_MAX_DOCUMENT_BYTES` (operators are exempt).
//!
//! A seller's figures live in a key of their own slot (a resource's library call cannot reach
//! them on a cluster), so a document write goes in three steps: the room is reserved in one
//! atomic step on the seller's key (refused past a limit: 422 `QUOTA_EXCEEDED`), the document
//! is written, and the reservation is settled with what the write did (the library answers the
//! bytes it replaced; a refused write gives the room back). Reservations are atomic, so
//! concurrent creates never pass the resource quota; a byte figure can pass its limit only
//! when concurrent replaces of one resource race (each reserves against the size it read), by
//! at most one document (`AFORO_MAX_BODY_BYTES`) per racing write. An origin that dies between
//! the steps leaves the figures off by that write; the drift check's repair counts them again.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::App;
use crate::archived::Summary;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::store::quota::{Over, Usage};
use crate::store::PutReply;

/// Bytes past which an archived resource still holds its whole document (archived before
/// summaries; a summary is a few hundred).
const ARCHIVED_MAX: u64 = 1024;

/// Counts every seller's figures once on a Redis that had documents before the quotas (and
/// trims resources archived before summaries); a no-op once done.
pub async fn count_once(app: &App) -> Result<(), ApiError> {
    if app.store.quotas_counted().await? {
        return Ok(());
    }
    let ids = app.store.resource_ids().await?;
    let drift = app.recount_quotas(&ids, true).await?;
    app.store.mark_quotas_counted().await?;
    tracing::info!(resources = ids.len(), sellers = drift.len(), "seller quota figures counted");
    Ok(())
}

/// Room reserved for one document write, settled after it.
#[derive(Debug)]
pub struct Reservation {
    owner: String,
    reserved: Usage,
    new_bytes: i64,
}

/// A seller whose stored figures differ from a count of its resources.
#[derive(Debug, Clone, Serialize)]
pub struct QuotaDrift {
    /// The seller.
    pub owner: String,
    /// Live resources and document bytes as stored.
    pub stored: (i64, i64),
    /// As counted.
    pub counted: (i64, i64),
}

fn refused(o: &Over, requested: i64) -> ApiError {
    let requested = requested.max(0) as u64;
    let detail = match o.quota {
        "resources" => format!(
            "this seller owns {} live resources, the most its quota allows ({}); archive one it no longer sells (DELETE), or ask operations to raise AFORO_SELLER_MAX_RESOURCES",
            o.used, o.limit
        ),
        _ => format!(
            "this seller's stored documents take {} bytes and this write adds {requested}, past its quota of {} bytes; make documents smaller, archive unused ones, or ask operations to raise AFORO_SELLER_MAX_DOCUMENT_BYTES",
            o.used, o.limit
        ),
    };
    ApiError::QuotaExceeded { detail, quota: o.quota, used: o.used, limit: o.limit, requested }
}

impl App {
    /// Reserves room for `caller` writing a document of `new_bytes` to `id`: a new resource
    /// counts one resource and its bytes against the caller, a replace the difference in
    /// bytes against the owner. `None` when the write will be refused anyway (archived,
    /// another seller's). Near the store's memory ceiling a seller's write that grows the
    /// store is refused (503) before anything is reserved.
    pub async fn reserve_document(&self, id: &str, caller: &Caller, new_bytes: usize) -> Result<Option<Reservation>, ApiError> {
        let is_ops = caller.role == Role::Ops;
        let new_bytes = new_bytes as i64;
        let (owner, reserved) = match self.store.footprint(id).await? {
            None => (caller.sub.clone(), Usage { resources: 1, bytes: new_bytes }),
            Some(f) if f.archived || (f.owner != caller.sub && !is_ops) => return Ok(None),
            Some(f) => (f.owner, Usage { resources: 0, bytes: new_bytes - f.bytes as i64 }),
        };
        if !is_ops && (reserved.resources > 0 || reserved.bytes > 0) && self.metrics.shedding() {
            self.metrics.shed("document");
            return Err(ApiError::StoreUnavailable(
                "the store is near its memory ceiling: new documents and documents that grow are refused until operations free memory; holds go on".into(),
            ));
        }
        let limits = (!is_ops).then_some((self.cfg.seller_max_resources, self.cfg.seller_max_document_bytes));
        match self.store.quota(&owner, reserved, limits).await? {
            Ok(_) => Ok(Some(Reservation { owner, reserved, new_bytes })),
            Err(over) => Err(refused(&over, if over.quota == "resources" { 1 } else { reserved.bytes })),
        }
    }

    /// Settles a reservation with what the write did (`None`: it failed, nothing written).
    /// A settle that cannot reach the store is logged; the drift check's repair mends it.
    pub async fn settle_document(&self, r: Option<Reservation>, reply: Option<&PutReply>) {
        let Some(r) = r else { return };
        let done = match reply {
            Some(PutReply::Created { .. }) => Usage { resources: 1, bytes: r.new_bytes },
            Some(PutReply::Replaced { prev_bytes, .. }) => Usage { resources: 0, bytes: r.new_bytes - *prev_bytes as i64 },
            _ => Usage::default(),
        };
        let diff = Usage { resources: done.resources - r.reserved.resources, bytes: done.bytes - r.reserved.bytes };
        if diff != Usage::default() {
            self.adjust_quota(&r.owner, diff).await;
        }
    }

    /// After an archive: the resource no longer counts, its document's bytes give way to its
    /// summary's.
    pub async fn archived_quota(&self, owner: &str, dropped: u64, summary: usize) {
        self.adjust_quota(owner, Usage { resources: -1, bytes: summary as i64 - dropped as i64 }).await;
    }

    async fn adjust_quota(&self, owner: &str, diff: Usage) {
        if let Err(e) = self.store.quota(owner, diff, None).await {
            tracing::warn!(error = %e, ?diff, "could not settle a seller's quota; the drift check's repair counts it again");
        }
    }

    /// Counts every seller's live resources and document bytes from `ids` and compares them
    /// with the stored figures; `repair` sets the stored figures to the count, and trims
    /// resources archived before summaries (their whole document kept) to a summary. Run
    /// while sellers write, a count may differ by the writes in flight: repair when it is quiet.
    pub async fn recount_quotas(&self, ids: &[String], repair: bool) -> Result<Vec<QuotaDrift>, ApiError> {
        let mut counted: BTreeMap<String, Usage> = BTreeMap::new();
        for id in ids {
            let Some(mut f) = self.store.footprint(id).await? else { continue };
            if repair && f.archived && f.bytes > ARCHIVED_MAX {
                let summary = Summary::of(&self.load_any(id, None).await?.resource).to_json();
                self.store.trim_archived(id, &summary).await?;
                self.forget(id);
                tracing::info!(resource = %id, dropped = f.bytes, "an archived resource's document gave way to its summary");
                f.bytes = summary.len() as u64;
            }
            let u = counted.entry(f.owner).or_default();
            u.resources += i64::from(!f.archived);
            u.bytes += f.bytes as i64;
        }
        let mut drift = Vec::new();
        for (owner, c) in counted {
            let stored = self.store.usage(&owner).await?;
            if stored != c {
                if repair {
                    self.store.set_usage(&owner, c).await?;
                }
                drift.push(QuotaDrift { owner, stored: (stored.resources, stored.bytes), counted: (c.resources, c.bytes) });
            }
        }
        Ok(drift)
    }
}
