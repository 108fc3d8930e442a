//! Why a unit's `remaining` is what it is: the one rule that binds it now (`limited_by` in
//! every availability and calendar answer, API.md "Explainable availability").
//!
//! ## Which rule binds
//!
//! 1. A **gate** that refuses the unit binds it, whatever the counters say. Gates are judged
//!    in the order the core refuses by: `horizon`, a past date (`lead_time`), `closed`,
//!    `paused`, `cutoff`, then a slot's (or an opening's) `lead_time`.
//! 2. Otherwise the **counting rule leaving the fewest units** binds: for `slot_capacity`,
//!    `pacing`, `concurrent`, `daily` and `stock` that is `limit - used` (0 when a limit was
//!    lowered below what is booked); for `tables` it is `max_party`, the largest party one
//!    free table or combination seats for the whole seating. The unit's `remaining` is
//!    exactly that figure.
//! 3. **Ties** go to the rule listed first in [`Rule`]'s order: `slot_capacity`, `pacing`,
//!    `concurrent`, `daily`, `tables`, `stock` (the narrowest counter first).
//!
//! `used` and `limit` are the binding counter's figures: units for the counting rules (for
//! `pacing` the fullest window the start falls in, for `concurrent` the busiest instant of
//! the seating), tables for `tables` (tables busy at some instant of the seating, and tables
//! standing, in the asked area). `at` is an instant that never depends on the clock, so the
//! edge and the origin agree: the slot's start (`slot_capacity`, `tables`), the opening of
//! the fullest pacing window, the busiest instant (`concurrent`), when sales stopped
//! (`lead_time`, `cutoff`), when the date enters the horizon (`horizon`), when a pause lifts
//! (`paused`, absent for an open-ended pause).
//!
//! A day (the top of a slot answer, a calendar day) carries the binding and `max_party` of
//! its earliest slot with the most `remaining` (best status first), so that a day bound by
//! `tables` leaves its `max_party` too (`availability.rs`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::RuleCode;
use crate::local::rfc3339_local;

/// The rules that can bind a unit, in the order that breaks ties between counting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Units starting at the slot (`dimensions.slots.capacity`, or a season's).
    SlotCapacity,
    /// Units starting within a pacing window (`dimensions.slots.pacing`).
    Pacing,
    /// Units in use at one instant (`dimensions.slots.concurrent`).
    Concurrent,
    /// Units on the date (`dimensions.daily.capacity`, or a season's).
    Daily,
    /// The largest party a free table or combination seats.
    Tables,
    /// Units of stock on hand.
    Stock,
    /// A closure, or no hours that day.
    Closed,
    /// The seller paused sales.
    Paused,
    /// The start is nearer than the lead time, or the date is past.
    LeadTime,
    /// The date's cutoff has passed.
    Cutoff,
    /// The date is beyond the horizon.
    Horizon,
}

impl Rule {
    /// Whether the rule counts units, so that `limit - used` is what it leaves.
    pub fn is_counting(self) -> bool {
        matches!(self, Rule::SlotCapacity | Rule::Pacing | Rule::Concurrent | Rule::Daily | Rule::Stock)
    }

    /// The rule as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::SlotCapacity => "slot_capacity",
            Rule::Pacing => "pacing",
            Rule::Concurrent => "concurrent",
            Rule::Daily => "daily",
            Rule::Tables => "tables",
            Rule::Stock => "stock",
            Rule::Closed => "closed",
            Rule::Paused => "paused",
            Rule::LeadTime => "lead_time",
            Rule::Cutoff => "cutoff",
            Rule::Horizon => "horizon",
        }
    }
}

/// The rule binding a unit, as the evaluator finds it (its instant not yet formatted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The rule.
    pub rule: Rule,
    /// What its counter holds (counting rules and tables).
    pub used: Option<u32>,
    /// Its limit (counting rules and tables).
    pub limit: Option<u32>,
    /// The instant it speaks of.
    pub at: Option<DateTime<Utc>>,
}

impl Binding {
    /// A gate's binding, with the instant it speaks of.
    pub(crate) fn gate(rule: Rule, at: Option<DateTime<Utc>>) -> Self {
        Binding { rule, used: None, limit: None, at }
    }

    /// A counter's binding.
    pub(crate) fn count(rule: Rule, used: u32, limit: u32, at: Option<DateTime<Utc>>) -> Self {
        Binding { rule, used: Some(used), limit: Some(limit), at }
    }

    /// The wire form, `at` with the resource's local offset.
    pub fn view(&self, tz: Tz) -> LimitedBy {
        LimitedBy { rule: self.rule, used: self.used, limit: self.limit, at: self.at.map(|t| rfc3339_local(tz, t)) }
    }
}

/// `limited_by` in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitedBy {
    /// The binding rule.
    pub rule: Rule,
    /// Its counter (units; tables for `tables`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<u32>,
    /// Its limit (units; tables for `tables`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The instant it speaks of, with the local offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// A date, slot or sale refused by a rule: its code, a sentence naming it, and its binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The API code.
    pub code: RuleCode,
    /// What was refused and why.
    pub detail: String,
    /// The binding rule.
    pub binding: Binding,
}

impl Refusal {
    pub(crate) fn new(code: RuleCode, detail: String, rule: Rule, at: Option<DateTime<Utc>>) -> Self {
        Refusal { code, detail, binding: Binding::gate(rule, at) }
    }
}
