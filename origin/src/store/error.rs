//! What a store call fails with.

use std::time::Duration;

/// A store failure: Redis unreachable, or answering something the library never answers.
// Clone: a group commit answers one failure to every hold of the group.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Redis refused, timed out or is unreachable.
    #[error("redis: {0}")]
    Redis(#[from] fred::error::Error),
    /// A reply of an unexpected shape.
    #[error("unexpected reply from {0}: {1}")]
    Reply(&'static str, String),
    /// A reply or record without a field it always has.
    #[error("{call} answered without its {field}")]
    MissingField {
        /// The call or record (`aforo_hold`, `hold record`, …).
        call: &'static str,
        /// The field that is missing.
        field: &'static str,
    },
    /// The circuit breaker is open: Redis failed recently; try again after the delay.
    #[error("the store is unavailable (circuit open); retry in {0:?}")]
    CircuitOpen(Duration),
    /// `replicated` mode: the write was applied on the primary but fewer replicas than asked
    /// confirmed it in time (it may stand; a retry with the same key replays it).
    #[error("the write was confirmed by {acked} replica(s) of the {wanted} required")]
    NotDurable {
        /// Replicas that confirmed.
        acked: u32,
        /// Replicas required.
        wanted: u32,
    },
}
