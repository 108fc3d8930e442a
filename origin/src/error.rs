//! The origin's one error type: each variant a code of API.md's catalogue, with its status
//! and problem document (RFC 9457); `http::problem` makes it a response.

use aforo_core::{Alternative, ConfigError, QueryError, RuleCode};
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::store::StoreError;
use crate::text::{clip, humane};

/// Everything a request can fail with; each variant is one code of API.md's catalogue.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON, wrong types, unknown fields, bad dates (400).
    #[error("{0}")]
    InvalidRequest(String),
    /// Hold creation without `Idempotency-Key` (400).
    #[error("the Idempotency-Key header is required")]
    IdempotencyKeyRequired,
    /// Missing, malformed, expired or badly signed token (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Role or ownership does not allow it (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (404).
    #[error("resource {0} not found")]
    ResourceNotFound(String),
    /// No such hold, or not the caller's (404).
    #[error("hold {0} not found")]
    HoldNotFound(String),
    /// No such route (404).
    #[error("no route {0}")]
    RouteNotFound(String),
    /// The route exists, the method does not (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Not enough units in some dimension (409).
    #[error("{detail}")]
    SoldOut {
        /// What did not fit.
        detail: String,
        /// Where it fits instead.
        alternatives: Vec<Alternative>,
        /// Index of the cart item refused.
        item: Option<usize>,
    },
    /// Consume of a released hold, release of a consumed one (409).
    #[error("{0}")]
    HoldNotActive(String),
    /// The tables a seating is moved or seated to are not free for the whole seating (409).
    #[error("{0}")]
    TableTaken(String),
    /// Finish of a hold that is not seated (consumed) (409).
    #[error("{0}")]
    NotSeated(String),
    /// One buyer over the resource's `per_buyer` limits (409): nothing taken.
    #[error("{detail}")]
    BuyerLimit {
        /// Why, in words.
        detail: String,
        /// Which limit: `max_held_units` or `max_units_per_date`.
        limit_name: &'static str,
        /// Units the buyer has against it now.
        used: u64,
        /// The limit.
        limit: u64,
    },
    /// Consume of an expired hold whose price moved since it was quoted (409): nothing taken.
    #[error("{detail}")]
    PriceChanged {
        /// Why, in words.
        detail: String,
        /// Each item's price today, in request order (`null` where it quotes none).
        prices: Vec<Option<aforo_core::Price>>,
    },
    /// Stock set under held + consumed without force (409).
    #[error("{0}")]
    StockBelowCommitted(String),
    /// Consume of an expired hold whose units are gone (410).
    #[error("{0}")]
    HoldExpired(String),
    /// The body did not arrive within the body timeout (408): a slow or stalled client.
    #[error("the request body did not arrive within {0} ms")]
    RequestTimeout(u64),
    /// Body over the limit (413).
    #[error("request body over {0} bytes")]
    PayloadTooLarge(usize),
    /// A calendar rule refuses it (422).
    #[error("{detail}")]
    Rule {
        /// Which rule.
        code: RuleCode,
        /// Why.
        detail: String,
        /// Index of the cart item refused.
        item: Option<usize>,
    },
    /// A document that does not hold together (422).
    #[error("{0}")]
    InvalidConfig(ConfigError),
    /// A stock change whose result is outside 0..=the documented maximum on hand (422).
    #[error("{0}")]
    StockOutOfRange(String),
    /// Same idempotency key, different payload (422).
    #[error("this Idempotency-Key was used with another payload")]
    IdempotencyKeyReused,
    /// `If-Match` names a version the resource has moved from (412).
    #[error("{0}")]
    VersionConflict(String),
    /// A new document's limits are under what is committed (409), each counter listed.
    #[error("{detail}")]
    CapacityBelowCommitted {
        /// Why, in words.
        detail: String,
        /// The counters past their new limit.
        overcommitted: Vec<crate::capacity::Over>,
    },
    /// The resource still has holds held; archive it with `?force=true` to release them (409).
    #[error("{0}")]
    ResourceInUse(String),
    /// A seller over one of its quotas (422): which, what it uses, the limit, and what this
    /// write would add.
    #[error("{detail}")]
    QuotaExceeded {
        /// Why, in words.
        detail: String,
        /// `resources` or `document_bytes`.
        quota: &'static str,
        /// What the seller uses now.
        used: u64,
        /// The limit.
        limit: u64,
        /// What this write would add.
        requested: u64,
    },
    /// Redis is down or too slow (503).
    #[error("{0}")]
    StoreUnavailable(String),
    /// One caller over its request rate (429); retry after the duration.
    #[error("too many requests from this caller; retry in {} ms", .0.as_millis())]
    RateLimited(std::time::Duration),
    /// Ops switched writes off (503).
    #[error("writes are switched off by operations (read-only mode); reads go on")]
    ReadOnly,
    /// A bug: logged with its cause (500); the client is told nothing of the cause.
    #[error("{0}")]
    Internal(String),
}

/// The most bytes of a problem's `detail` (a field path and a short reason fit many times).
pub const DETAIL_MAX: usize = 1024;

/// What a client reads for a 500: the cause stays in the log, under the request id.
pub const INTERNAL_DETAIL: &str = "an internal error occurred; report it with this answer's X-Request-Id";

/// Whether a Redis error is its memory ceiling (`maxmemory` reached, `noeviction`).
fn is_oom(e: &fred::error::Error) -> bool {
    e.details().starts_with("OOM")
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // Redis's own words stay in the log (with the request id of the span); the client
            // reads a stable sentence.
            StoreError::Redis(e) if is_oom(&e) => {
                tracing::error!(error = %e, "Redis is at its memory ceiling (maxmemory): writes refused");
                ApiError::StoreUnavailable("the store is full and refuses writes; retry later with the same Idempotency-Key".into())
            }
            StoreError::Redis(e) => {
                tracing::warn!(error = %e, "store call failed");
                ApiError::StoreUnavailable("the store did not answer; retry with the same Idempotency-Key".into())
            }
            StoreError::Reply(..) | StoreError::MissingField { .. } => ApiError::Internal(e.to_string()),
            StoreError::CircuitOpen(wait) => {
                ApiError::StoreUnavailable(format!("the store is unavailable (circuit open); retry in {} ms", wait.as_millis().max(1)))
            }
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Invalid(s) => ApiError::InvalidRequest(s),
            QueryError::NoSuchSlot(s) => ApiError::Rule { code: RuleCode::NoSuchSlot, detail: s, item: None },
            QueryError::NotCovered { .. } => ApiError::Internal(e.to_string()),
        }
    }
}

impl ApiError {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) | ApiError::IdempotencyKeyRequired => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::ResourceNotFound(_) | ApiError::HoldNotFound(_) | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::SoldOut { .. }
            | ApiError::HoldNotActive(_)
            | ApiError::TableTaken(_)
            | ApiError::NotSeated(_)
            | ApiError::BuyerLimit { .. }
            | ApiError::PriceChanged { .. }
            | ApiError::StockBelowCommitted(_)
            | ApiError::ResourceInUse(_)
            | ApiError::CapacityBelowCommitted { .. } => StatusCode::CONFLICT,
            ApiError::VersionConflict(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::HoldExpired(_) => StatusCode::GONE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Rule { .. }
            | ApiError::InvalidConfig(_)
            | ApiError::StockOutOfRange(_)
            | ApiError::IdempotencyKeyReused
            | ApiError::QuotaExceeded { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::StoreUnavailable(_) | ApiError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "INVALID_REQUEST",
            ApiError::IdempotencyKeyRequired => "IDEMPOTENCY_KEY_REQUIRED",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::ResourceNotFound(_) => "RESOURCE_NOT_FOUND",
            ApiError::HoldNotFound(_) => "HOLD_NOT_FOUND",
            ApiError::RouteNotFound(_) => "ROUTE_NOT_FOUND",
            ApiError::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ApiError::SoldOut { .. } => "SOLD_OUT",
            ApiError::HoldNotActive(_) => "HOLD_NOT_ACTIVE",
            ApiError::TableTaken(_) => "TABLE_TAKEN",
            ApiError::NotSeated(_) => "NOT_SEATED",
            ApiError::BuyerLimit { .. } => "BUYER_LIMIT",
            ApiError::PriceChanged { .. } => "PRICE_CHANGED",
            ApiError::StockBelowCommitted(_) => "STOCK_BELOW_COMMITTED",
            ApiError::HoldExpired(_) => "HOLD_EXPIRED",
            ApiError::RequestTimeout(_) => "REQUEST_TIMEOUT",
            ApiError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            ApiError::Rule { code, .. } => code.as_str(),
            ApiError::InvalidConfig(_) => "INVALID_CONFIG",
            ApiError::StockOutOfRange(_) => "STOCK_OUT_OF_RANGE",
            ApiError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ApiError::VersionConflict(_) => "VERSION_CONFLICT",
            ApiError::ResourceInUse(_) => "RESOURCE_IN_USE",
            ApiError::CapacityBelowCommitted { .. } => "CAPACITY_BELOW_COMMITTED",
            ApiError::QuotaExceeded { .. } => "QUOTA_EXCEEDED",
            ApiError::StoreUnavailable(_) => "STORE_UNAVAILABLE",
            ApiError::ReadOnly => "READ_ONLY",
            ApiError::RateLimited(_) => "RATE_LIMITED",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// What the client reads in `detail`: human and stable, without library internals (a 500
    /// says nothing of its cause; serde's Rust type names are put in words).
    /// At most [`DETAIL_MAX`] bytes, so that no input is echoed back whole.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Internal(_) => INTERNAL_DETAIL.to_string(),
            _ => clip(&humane(&self.to_string()), DETAIL_MAX),
        }
    }

    /// The problem document.
    pub fn body(&self) -> Value {
        let mut v = Value::Object(aforo_core::problem(self.status().as_u16(), self.code(), &self.detail()));
        match self {
            ApiError::SoldOut { alternatives, item, .. } => {
                v["alternatives"] = json!(alternatives);
                if let Some(i) = item {
                    v["item"] = json!(i);
                }
            }
            ApiError::Rule { item: Some(i), .. } => v["item"] = json!(i),
            ApiError::BuyerLimit { limit_name, used, limit, .. } => {
                v["limit_name"] = json!(limit_name);
                v["used"] = json!(used);
                v["limit"] = json!(limit);
            }
            ApiError::PriceChanged { prices, .. } => v["prices"] = json!(prices),
            ApiError::CapacityBelowCommitted { overcommitted, .. } => v["overcommitted"] = json!(overcommitted),
            ApiError::QuotaExceeded { quota, used, limit, requested, .. } => {
                for (k, x) in [("quota", json!(quota)), ("used", json!(used)), ("limit", json!(limit)), ("requested", json!(requested))] {
                    v[k] = x;
                }
            }
            ApiError::InvalidConfig(e) => {
                v["errors"] = json!(e.errors);
                for m in v["errors"].as_array_mut().into_iter().flatten().filter_map(|x| x.get_mut("message")) {
                    if let Some(s) = m.as_str() {
                        *m = json!(humane(s));
                    }
                }
            }
            _ => {}
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_500_says_nothing_of_its_cause_and_a_store_failure_nothing_of_redis() {
        assert!(ApiError::InvalidRequest("x".repeat(5000)).detail().len() <= DETAIL_MAX);
        let e = ApiError::Internal("stored document of x is invalid: expected struct Doc".into());
        assert_eq!(e.body()["detail"], INTERNAL_DETAIL);
        let io = fred::error::Error::new(fred::error::ErrorKind::IO, "Connection reset by peer (os error 104)");
        let d = ApiError::from(StoreError::Redis(io)).detail();
        assert!(!d.contains("os error") && !d.contains("redis"), "{d}");
        let oom = fred::error::Error::new(fred::error::ErrorKind::Unknown, "OOM command not allowed when used memory > 'maxmemory'.");
        let e = ApiError::from(StoreError::Redis(oom));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!e.detail().contains("OOM"));
    }
}
