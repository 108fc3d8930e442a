//! # aforo-core
//!
//! The one rules engine of Aforo, shared by the edge (compiled to wasm32) and the origin.
//! Pure and deterministic: no I/O, no clock, no randomness. Every function takes the instant
//! it judges at (`now`) as an argument.
//!
//! - [`Resource`]: a seller's document, validated and compiled.
//! - [`Snapshot`]: the document plus counters and state, as read from the store.
//! - [`availability()`] and [`calendar()`]: the read answers of API.md.
//! - [`plan_hold`]: a hold item turned into the exact buckets to take, or a rule refusal.

#![warn(missing_docs)]

pub mod availability;
pub mod bucket;
pub mod document;
pub mod error;
pub mod eval;
pub mod limits;
pub mod local;
pub mod plan;
pub mod problem;
pub mod query;
pub mod resource;
pub mod rules;
pub mod slots;
pub mod snapshot;

pub use availability::{availability, calendar, Alternative, Availability, Calendar, DayView, SlotView};
pub use bucket::{Bucket, Take};
pub use document::ResourceDoc;
pub use error::{ConfigError, FieldError, PlanError, QueryError, RuleCode};
pub use eval::{Price, Status};
pub use plan::{first_overflow, merge_takes, plan_hold, HoldItem, HoldPlan, HoldRequest, ItemView, RequestError};
pub use problem::problem;
pub use query::{AvailabilityQuery, CalendarQuery};
pub use resource::{Kind, Resource};
pub use rules::Pause;
pub use snapshot::{buckets_for, Counters, Snapshot, SnapshotDoc, State};

/// Serialises an answer as the compact JSON both edge and origin send.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serialising these plain structs cannot fail: no maps with non-string keys, no I/O.
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
