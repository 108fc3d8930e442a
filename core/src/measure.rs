//! Measures of a unit: its status, what is left of its limits, and its price at that
//! utilization.

use serde::Serialize;

use crate::bucket::Bucket;
use crate::error::RuleCode;
use crate::ledger::Counters;
use crate::resource::{Resource, MULT_SCALE};

/// Status of a day or slot (API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fits the qty.
    Available,
    /// Fits the qty, with 20 % or less of some dimension's capacity left.
    Limited,
    /// Does not fit the qty.
    SoldOut,
    /// Lead time or cutoff passed, or in the past.
    TooLate,
    /// The seller paused sales.
    Paused,
    /// Closed (closure or no hours).
    Closed,
    /// After the horizon.
    BeyondHorizon,
}

impl Status {
    /// Whether a hold of the asked qty fits here.
    pub fn fits(self) -> bool {
        matches!(self, Status::Available | Status::Limited)
    }

    /// The status a rule refusal shows as.
    pub fn from_rule(code: RuleCode) -> Status {
        match code {
            RuleCode::Closed => Status::Closed,
            RuleCode::Paused => Status::Paused,
            RuleCode::BeyondHorizon => Status::BeyondHorizon,
            RuleCode::TooLate | RuleCode::NoSuchSlot | RuleCode::QtyOutOfRange => Status::TooLate,
        }
    }
}

/// A quoted unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Unit price in minor units.
    pub unit_minor: u64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The tier reached (`standard` below every trigger).
    pub tier: String,
}

/// The tier name when no trigger is reached.
pub const BASE_TIER: &str = "standard";

/// What is left of a set of limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// The most one hold can take: the minimum over the limits.
    pub remaining: u32,
    /// The limit of the tightest dimension (highest committed ÷ limit).
    pub capacity: u32,
    /// Units committed in that tightest dimension.
    pub committed: u32,
    /// Whether some dimension has 20 % or less of its own limit left.
    pub scarce: bool,
}

impl Measure {
    /// committed ÷ capacity of the tightest dimension, between 0 and 1.
    pub fn utilization(&self) -> f64 {
        if self.capacity == 0 {
            return 1.0;
        }
        (f64::from(self.committed) / f64::from(self.capacity)).min(1.0)
    }

    /// Utilization rounded to 3 decimals for display.
    pub fn utilization_display(&self) -> f64 {
        (self.utilization() * 1000.0).round() / 1000.0
    }
}

/// Measures limits against counters.
pub fn measure(limits: &[(Bucket, u32)], counters: &Counters) -> Measure {
    measure_committed(limits.iter().map(|(b, l)| (counters.get(b), *l)))
}

/// Measures `(committed, limit)` pairs. The result does not depend on their order, so several
/// buckets sharing one limit may be given as the one with the most committed.
pub(crate) fn measure_committed(pairs: impl IntoIterator<Item = (u32, u32)>) -> Measure {
    let mut m = Measure { remaining: u32::MAX, capacity: 0, committed: 0, scarce: false };
    let mut tight: Option<(u32, u32)> = None;
    for (c, limit) in pairs {
        let left = limit.saturating_sub(c);
        m.remaining = m.remaining.min(left);
        m.scarce |= u64::from(left) * 5 <= u64::from(limit);
        // c/l > tc/tl, compared exactly; a zero limit is full.
        let tighter = match tight {
            None => true,
            Some((tc, tl)) => {
                let lhs = u64::from(c.max(u32::from(limit == 0))) * u64::from(tl.max(1));
                let rhs = u64::from(tc.max(u32::from(tl == 0))) * u64::from(limit.max(1));
                lhs > rhs || (lhs == rhs && limit < tl)
            }
        };
        if tighter {
            tight = Some((c, limit));
        }
    }
    if let Some((c, l)) = tight {
        m.capacity = l;
        m.committed = c.min(l);
    } else {
        m.remaining = 0;
    }
    m
}

/// The price of a unit at a utilization, rounded half-up to a minor unit.
pub(crate) fn price(res: &Resource, season_mult: u64, utilization: f64) -> Option<Price> {
    let p = res.pricing.as_ref()?;
    let trig = p.triggers.iter().rev().find(|t| utilization >= t.utilization_gte);
    let tm = trig.map_or(MULT_SCALE, |t| t.mult);
    let scale = u128::from(MULT_SCALE) * u128::from(MULT_SCALE);
    let raw = u128::from(p.base_minor) * u128::from(season_mult) * u128::from(tm);
    let unit = (raw + scale / 2) / scale;
    Some(Price {
        unit_minor: u64::try_from(unit).unwrap_or(u64::MAX),
        currency: p.currency.clone(),
        tier: trig.map_or(BASE_TIER, |t| t.tier.as_str()).to_string(),
    })
}
