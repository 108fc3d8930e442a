//! The ledger: committed units per bucket, and the one all-or-nothing decision a hold makes
//! on them. The store's Lua function makes this decision in Redis; it is stated here once so
//! that tests and tools (and the differential test against the store) share its meaning.

use std::collections::BTreeMap;

use crate::bucket::{BadBucket, Bucket};

/// Committed units per bucket; a bucket that is absent has nothing committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters(pub BTreeMap<Bucket, u32>);

impl Counters {
    /// Units committed in a bucket.
    pub fn get(&self, b: &Bucket) -> u32 {
        self.0.get(b).copied().unwrap_or(0)
    }

    /// Parses `name -> units` pairs (the Redis hash or the snapshot JSON); zero entries are
    /// dropped so that equal states compare equal.
    pub fn from_named<'a>(pairs: impl IntoIterator<Item = (&'a str, u32)>) -> Result<Counters, BadBucket> {
        let mut m = BTreeMap::new();
        for (k, v) in pairs {
            if v > 0 {
                m.insert(k.parse()?, v);
            }
        }
        Ok(Counters(m))
    }

    /// The counters by name, sorted.
    pub fn named(&self) -> BTreeMap<String, u32> {
        self.0.iter().map(|(b, v)| (b.to_string(), *v)).collect()
    }
}

/// A bucket a plan increments: by how much, and the limit it must stay within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Take {
    /// The counter.
    pub bucket: Bucket,
    /// Units to add.
    pub qty: u32,
    /// The counter must stay `<= limit` after adding.
    pub limit: u32,
}

/// The first take that would exceed its limit, or `None` when all fit.
pub fn first_overflow(takes: &[Take], counters: &Counters) -> Option<Take> {
    takes.iter().find(|t| u64::from(counters.get(&t.bucket)) + u64::from(t.qty) > u64::from(t.limit)).cloned()
}

/// The store's whole decision: `None` when `takes` do not fit; else the index of the first
/// of `choices` that fits (`Some(None)` when there are none to make), and then the counters
/// hold the takes and that choice.
pub fn decide(takes: &[Take], choices: &[Vec<Take>], counters: &mut Counters) -> Option<Option<usize>> {
    if first_overflow(takes, counters).is_some() {
        return None;
    }
    let chosen = if choices.is_empty() { None } else { Some(choices.iter().position(|c| first_overflow(c, counters).is_none())?) };
    apply(takes, counters);
    if let Some(i) = chosen {
        apply(&choices[i], counters);
    }
    Some(chosen)
}

/// What a hold in shadow did: the choice it took and the counters it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowTake {
    /// The choice taken: the first that fits, else the first (`None` when there are none).
    pub chosen: Option<usize>,
    /// The buckets the hold took past their limit, in take order (empty: enforce would have
    /// granted it the same way).
    pub over: Vec<Bucket>,
}

/// The store's decision in shadow: limits are checked and recorded, never refused. The takes
/// and a choice are always applied; `over` names every bucket that passed its limit, so that
/// a hold is marked exactly when [`decide`] would have refused it.
pub fn decide_shadow(takes: &[Take], choices: &[Vec<Take>], counters: &mut Counters) -> ShadowTake {
    let past = |ts: &[Take], counters: &Counters| -> Vec<Bucket> {
        ts.iter().filter(|t| u64::from(counters.get(&t.bucket)) + u64::from(t.qty) > u64::from(t.limit)).map(|t| t.bucket.clone()).collect()
    };
    let mut over = past(takes, counters);
    let chosen = if choices.is_empty() {
        None
    } else {
        let i = choices.iter().position(|c| first_overflow(c, counters).is_none()).unwrap_or(0);
        over.extend(past(&choices[i], counters));
        Some(i)
    };
    apply(takes, counters);
    if let Some(i) = chosen {
        apply(&choices[i], counters);
    }
    ShadowTake { chosen, over }
}

/// Applies takes to counters (what the store does when all fit).
pub fn apply(takes: &[Take], counters: &mut Counters) {
    for t in takes {
        *counters.0.entry(t.bucket.clone()).or_insert(0) += t.qty;
    }
}
