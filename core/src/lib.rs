//! # aforo-core
//!
//! The one rules engine of Aforo, shared by the edge (compiled to wasm32) and the origin.
//! Pure and deterministic: no I/O, no clock, no randomness. Every function takes the instant
//! it judges at (`now`) as an argument.
//!
//! - [`Resource`]: a seller's document ([`document`]), validated and compiled.
//! - [`Snapshot`]: the document plus counters and state, as read from the store.
//! - [`availability()`] and [`calendar()`]: the read answers of API.md.
//! - [`plan_hold`]: a hold item turned into the exact buckets to take, or a rule refusal;
//!   [`take`]: the all-or-nothing decision the store makes on them.
//!
//! ## Layers
//!
//! Modules depend one way only, each on those before it (`tests/tests/layout.rs` checks it):
//!
//! 1. `error`, `problem`, [`limits`], [`document`], `local`: leaves: errors, problem+json,
//!    the limits, the document's wire shapes, local time and the text forms of dates;
//!    `guest`, a booking's guest details; `explain`: which rule binds a unit (`limited_by`),
//!    and how ties break.
//! 2. `resource`: the compiled resource, and beside it `query` and `request`, which parse
//!    read queries and hold bodies against its bounds.
//! 3. `cost` (a document's worst-case work) → `compile` (validation of a document into a
//!    resource, its costs against the limits).
//! 4. `rules` (a date's settings, the gates of a sale) → `slots` (slots of a date, the grid
//!    of instants counters are kept on) → `lint` (a valid document's limits that can never
//!    bind, as warnings).
//! 5. `bucket` (counter names) → `ledger` (counters, takes, the all-or-nothing decision).
//! 6. `snapshot`: what a read carries, and which counters a span of dates needs.
//! 7. `measure` (status, remaining, price) → `eval` (every unit of a date, evaluated once).
//! 8. `alternatives` → `availability` (the read answers) and `plan` (a hold item into
//!    takes) → `floor` (the host's moves, early finishes and walk-ins, as takes) →
//!    `lifecycle` (a booking after its sale: refunds, what a cancellation keeps, seating).

#![warn(missing_docs, unreachable_pub)]

mod alternatives;
mod availability;
mod bucket;
mod compile;
mod cost;
pub mod document;
mod error;
mod eval;
mod explain;
mod floor;
mod guest;
mod ledger;
mod lifecycle;
pub mod limits;
mod lint;
mod local;
mod measure;
mod plan;
mod problem;
mod query;
mod request;
mod resource;
mod rules;
mod slots;
mod snapshot;
mod waitlist;

pub use alternatives::Alternative;
pub use availability::{availability, calendar, stock_level, Availability, Calendar, DayView, SlotView, StockLevel};
pub use bucket::{BadBucket, Bucket};
pub use cost::{costs, over_limits, Costs};
pub use document::{Enforcement, ResourceDoc};
pub use error::{ConfigError, FieldError, PlanError, QueryError, RuleCode};
pub use eval::{limits_between, Choice, Evaluator, Span, Unit, NO_TABLE};
pub use explain::{Binding, LimitedBy, Refusal, Rule};
pub use floor::{finished, plan_walk_in, reseat, Reseat};
pub use guest::{Guest, MAX_GUEST_EMAIL, MAX_GUEST_NAME, MAX_GUEST_NOTES, MAX_GUEST_PHONE, MAX_GUEST_TAG, MAX_GUEST_TAGS};
pub use ledger::{apply, decide, decide_shadow, first_overflow, Counters, ShadowTake, Take};
pub use lifecycle::{check_no_show, check_seat, extended, no_show_from, refund, seat_from, vacated, AfterSaleError, Canceller, Refund};
pub use lint::warnings;
pub use local::{
    end_of_local_date, epoch_min, from_epoch_min, local_date, parse_date, parse_hhmm, rfc3339, rfc3339_local, start_of_local_date, EpochMin,
};
pub use measure::{measure, Measure, Price, Status, BASE_TIER};
pub use plan::{alternatives_for, check_total_qty, merge_takes, plan_hold, take, HoldPlan, ItemView};
pub use problem::{problem, Code, INTERNAL_DETAIL};
pub use query::{AvailabilityQuery, CalendarQuery, ALTERNATIVE_DAYS, MAX_ALTERNATIVES, MAX_CALENDAR_DAYS};
pub use request::{HoldItem, HoldRequest, RequestError, MAX_ITEMS};
pub use resource::{
    valid_resource_id, AfterSale, Cancellation, CutoffRule, DayHours, Join, Kind, PerBuyer, PricingRules, Resource, SeasonRule, SlotRules,
    TableType, Trigger, WaitlistRules, Week, DEFAULT_EARLY_SEAT_MIN, DEFAULT_HOLD_MAX_S, DEFAULT_HOLD_TTL_S, DEFAULT_HORIZON_DAYS,
    DEFAULT_MAX_HELD_UNITS, DEFAULT_NO_SHOW_AFTER_MIN, DEFAULT_OFFER_TTL_S, DEFAULT_WAITLIST_MAX, MAX_FLOOR_MIN, MAX_FREE_UNTIL_H,
    MAX_HOLD_TTL_S, MAX_HORIZON_DAYS, MAX_UNITS, MAX_WAITLIST_MAX, MULT_SCALE,
};
pub use rules::{day_settings, today, DaySettings, Pause};
pub use slots::{slots_on, Slot};
pub use snapshot::{buckets_for, Snapshot, SnapshotDoc, SnapshotError, State};
pub use waitlist::{candidates, Candidate, WaitRequest, MAX_WAIT_CANDIDATES};

/// Serialises an answer as the compact JSON both edge and origin send.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serialising these plain structs cannot fail: no maps with non-string keys, no I/O.
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
