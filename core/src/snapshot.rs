//! What the origin reads from Redis and the edge receives: the document, the resource's
//! mutable state, the committed counters of a span of dates, and when it was read.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bucket::{BadBucket, Bucket};
use crate::document::ResourceDoc;
use crate::error::{ConfigError, QueryError};
use crate::ledger::Counters;
use crate::resource::Resource;
use crate::rules::{day_settings, Pause};
use crate::slots::{slots_of, Grid};

/// The resource's mutable state besides counters: what stock adjustments and pauses changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Config version; bumped by every document, stock or pause change.
    pub version: u64,
    /// Stock on hand, when the resource has stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_hand: Option<u32>,
    /// The seller's pause, if any (it may have lapsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<Pause>,
}

/// A snapshot as JSON (origin `GET /snapshot`, edge cache).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotDoc {
    /// The resource id.
    pub resource_id: String,
    /// The seller that owns it.
    pub owner: String,
    /// The document.
    pub document: ResourceDoc,
    /// Version, stock, pause.
    pub state: State,
    /// First date whose counters are included (dated resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Last date whose counters are included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// Committed units by bucket name.
    pub counters: BTreeMap<String, u32>,
    /// Redis time at which it was read.
    pub as_of: DateTime<Utc>,
}

/// A snapshot ready to compute from: the compiled resource and typed counters.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The resource id.
    pub resource_id: String,
    /// Owner.
    pub owner: String,
    /// The compiled resource.
    pub resource: Resource,
    /// Version, stock, pause.
    pub state: State,
    /// The dates the counters cover (`None` for stock-only).
    pub covers: Option<(NaiveDate, NaiveDate)>,
    /// Counters.
    pub counters: Counters,
    /// When it was read.
    pub as_of: DateTime<Utc>,
}

/// A snapshot document that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Its document does not validate.
    #[error("document: {0}")]
    Config(#[from] ConfigError),
    /// A counter name is not a bucket.
    #[error(transparent)]
    Bucket(#[from] BadBucket),
}

impl Snapshot {
    /// Compiles a snapshot document.
    pub fn from_doc(doc: SnapshotDoc) -> Result<Snapshot, SnapshotError> {
        let resource = Resource::compile(doc.document)?;
        let counters = Counters::from_named(doc.counters.iter().map(|(k, v)| (k.as_str(), *v)))?;
        Ok(Snapshot {
            resource_id: doc.resource_id,
            owner: doc.owner,
            resource,
            state: doc.state,
            covers: doc.from.zip(doc.to),
            counters,
            as_of: doc.as_of,
        })
    }

    /// The snapshot as its JSON document.
    pub fn to_doc(&self) -> SnapshotDoc {
        SnapshotDoc {
            resource_id: self.resource_id.clone(),
            owner: self.owner.clone(),
            document: self.resource.doc.clone(),
            state: self.state.clone(),
            from: self.covers.map(|c| c.0),
            to: self.covers.map(|c| c.1),
            counters: self.counters.named(),
            as_of: self.as_of,
        }
    }

    /// Stock on hand now (0 if the resource has no stock).
    pub fn on_hand(&self) -> u32 {
        self.state.on_hand.or(self.resource.initial_on_hand()).unwrap_or(0)
    }

    /// Errs unless the counters cover `from..=to`.
    pub fn check_covers(&self, from: NaiveDate, to: NaiveDate) -> Result<(), QueryError> {
        if !self.resource.is_dated() {
            return Ok(());
        }
        match self.covers {
            Some((f, t)) if f <= from && to <= t => Ok(()),
            c => Err(QueryError::NotCovered {
                from: c.map(|c| c.0.to_string()).unwrap_or_default(),
                to: c.map(|c| c.1.to_string()).unwrap_or_default(),
                need_from: from.to_string(),
                need_to: to.to_string(),
            }),
        }
    }
}

/// Every bucket any sale on the dates `from..=to` may touch: what a reader must fetch for a
/// snapshot of those dates to be complete. Its cost is that of the buckets themselves (each
/// date's seatings are merged as ranges of the grid), not slots × the instants of a seating.
pub fn buckets_for(res: &Resource, from: NaiveDate, to: NaiveDate) -> Vec<Bucket> {
    let mut out = Vec::new();
    if res.has_stock {
        out.push(Bucket::Stock);
    }
    if !res.is_dated() || to < from {
        return out;
    }
    let grid = Grid::around(res, from, to);
    let instants = grid.instants();
    let mut d = from;
    while d <= to {
        if res.daily.is_some() {
            out.push(Bucket::Day(d));
        }
        if let Some(rules) = &res.slots {
            let s = day_settings(res, d);
            let (mut seated, mut paced) = (Vec::new(), Vec::new());
            for slot in slots_of(res, rules, &s) {
                out.push(Bucket::Slot(d, slot.minute));
                let st = slot.start_min();
                seated.push(grid.span(st, st + i64::from(rules.duration_min)));
                if let Some((w, _)) = rules.pacing {
                    paced.push(grid.span(st - i64::from(w) + 1, st + 1));
                }
            }
            for ix in merged(seated) {
                let m = instants[ix];
                if rules.concurrent.is_some() {
                    out.push(Bucket::Moment(m));
                }
                out.extend(rules.tables.iter().map(|t| Bucket::Table(t.name.clone(), m)));
            }
            out.extend(merged(paced).map(|ix| Bucket::Pace(instants[ix])));
        }
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The indexes covered by any of some ranges, each once, in order.
fn merged(mut ranges: Vec<Range<usize>>) -> impl Iterator<Item = usize> {
    ranges.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges.into_iter().filter(|r| !r.is_empty()) {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out.into_iter().flatten()
}
