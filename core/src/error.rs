//! Errors of the core: configuration refusals, rule refusals and snapshot mismatches.

use std::fmt;

/// One reason a resource document was refused, with the JSON path of the field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path of the offending field, e.g. `dimensions.slots.interval_min`.
    pub path: String,
    /// Why it was refused.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A resource document that does not hold together (`INVALID_CONFIG`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    /// Every problem found, in document order; never empty.
    pub errors: Vec<FieldError>,
}

impl ConfigError {
    /// A refusal with a single field error.
    pub fn one(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { errors: vec![FieldError { path: path.into(), message: message.into() }] }
    }
}

/// The stable codes of the calendar rules that can refuse a hold (422 in API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleCode {
    /// The date is closed (closure, or no hours that day).
    Closed,
    /// The seller paused sales.
    Paused,
    /// Lead time or cutoff has passed, or the date is in the past.
    TooLate,
    /// The date is after today plus the horizon.
    BeyondHorizon,
    /// The slot is not generated that day (or a slot was needed and not given).
    NoSuchSlot,
    /// The qty is outside the resource's per-hold limits.
    QtyOutOfRange,
}

impl RuleCode {
    /// The code as API.md spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::Closed => "CLOSED",
            RuleCode::Paused => "PAUSED",
            RuleCode::TooLate => "TOO_LATE",
            RuleCode::BeyondHorizon => "BEYOND_HORIZON",
            RuleCode::NoSuchSlot => "NO_SUCH_SLOT",
            RuleCode::QtyOutOfRange => "QTY_OUT_OF_RANGE",
        }
    }
}

/// Why the core will not plan a hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A calendar rule refuses it (422 with [`RuleCode`]).
    #[error("{detail}")]
    Rule {
        /// Which rule.
        code: RuleCode,
        /// Human-readable explanation naming date and slot.
        detail: String,
    },
    /// The item itself is malformed for this resource (400 `INVALID_REQUEST`).
    #[error("{0}")]
    InvalidItem(String),
}

impl PlanError {
    pub(crate) fn rule(code: RuleCode, detail: impl Into<String>) -> Self {
        PlanError::Rule { code, detail: detail.into() }
    }
}

/// A query the core cannot answer from the snapshot it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query is malformed (400 `INVALID_REQUEST`).
    #[error("{0}")]
    Invalid(String),
    /// The asked slot does not exist that day (422 `NO_SUCH_SLOT`).
    #[error("{0}")]
    NoSuchSlot(String),
    /// The snapshot does not cover the dates the query needs; fetch a wider one.
    #[error("snapshot covers {from}..={to}, query needs {need_from}..={need_to}")]
    NotCovered {
        /// First date covered.
        from: String,
        /// Last date covered.
        to: String,
        /// First date needed.
        need_from: String,
        /// Last date needed.
        need_to: String,
    },
}
