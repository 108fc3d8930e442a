//! The origin's one error type: each variant a code of API.md's catalogue, with its status
//! and problem document (RFC 9457); `http::problem` makes it a response.

use aforo_core::{Alternative, Code, ConfigError, QueryError, RuleCode};
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
    /// A buyer's cancel of a booking that has started (409).
    #[error("{0}")]
    BookingStarted(String),
    /// Seat or no-show before its time (409).
    #[error("{0}")]
    NotStarted(String),
    /// Extend of a hold past `hold_max_s` after its creation (409).
    #[error("{0}")]
    HoldLimit(String),
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
    /// `replicated` durability: fewer replicas than required confirmed the write in time (503).
    #[error("{0}")]
    NotDurable(String),
    /// A bug: logged with its cause (500); the client is told nothing of the cause.
    #[error("{0}")]
    Internal(String),
    /// A webhook URL naming an address webhooks may not reach (422).
    #[error("{0}")]
    WebhookUrlRefused(String),
    /// No such webhook endpoint (404).
    #[error("webhook endpoint {0} not found")]
    WebhookNotFound(String),
    /// A waiting-list join while something that fits is free (409): hold it instead.
    #[error("{detail}")]
    AvailableNow {
        /// What is free.
        detail: String,
        /// Where the party fits now.
        alternatives: Vec<Alternative>,
    },
    /// A buyer's second live entry on a resource and date (409).
    #[error("{0}")]
    AlreadyWaiting(String),
    /// A date's list is full (409).
    #[error("{0}")]
    WaitlistFull(String),
    /// No such waiting-list entry, or not the caller's (404).
    #[error("waiting-list entry {0} not found")]
    EntryNotFound(String),
}

/// The most bytes of a problem's `detail` (a field path and a short reason fit many times).
pub const DETAIL_MAX: usize = 1024;

/// What a client reads for a 500: the cause stays in the log, under the request id (one
/// sentence for the origin and the edge).
pub use aforo_core::INTERNAL_DETAIL;

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
            // `min-replicas-to-write`: the primary itself refused, for want of a replica.
            StoreError::Redis(e) if e.details().starts_with("NOREPLICAS") => {
                tracing::warn!(error = %e, "the primary refuses writes: no replica in sync (min-replicas-to-write)");
                ApiError::NotDurable("no replica is in sync, so the store refuses writes; nothing was changed: retry with the same Idempotency-Key".into())
            }
            StoreError::Redis(e) => {
                tracing::warn!(error = %e, "store call failed");
                ApiError::StoreUnavailable("the store did not answer; retry with the same Idempotency-Key".into())
            }
            StoreError::Reply(..) | StoreError::MissingField { .. } => ApiError::Internal(e.to_string()),
            StoreError::CircuitOpen(wait) => {
                ApiError::StoreUnavailable(format!("the store is unavailable (circuit open); retry in {} ms", wait.as_millis().max(1)))
            }
            StoreError::NotDurable { acked, wanted } => ApiError::NotDurable(format!(
                "the write was confirmed by {acked} of the {wanted} replica(s) required in time; it may stand: retry with the same Idempotency-Key"
            )),
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
    /// HTTP status: the code's own (aforo_core's list).
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.kind().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The stable code, from the one list the origin and the edge share.
    pub fn kind(&self) -> Code {
        match self {
            ApiError::InvalidRequest(_) => Code::InvalidRequest,
            ApiError::IdempotencyKeyRequired => Code::IdempotencyKeyRequired,
            ApiError::Unauthenticated(_) => Code::Unauthenticated,
            ApiError::Forbidden(_) => Code::Forbidden,
            ApiError::ResourceNotFound(_) => Code::ResourceNotFound,
            ApiError::HoldNotFound(_) => Code::HoldNotFound,
            ApiError::RouteNotFound(_) => Code::RouteNotFound,
            ApiError::MethodNotAllowed => Code::MethodNotAllowed,
            ApiError::SoldOut { .. } => Code::SoldOut,
            ApiError::HoldNotActive(_) => Code::HoldNotActive,
            ApiError::TableTaken(_) => Code::TableTaken,
            ApiError::NotSeated(_) => Code::NotSeated,
            ApiError::BookingStarted(_) => Code::BookingStarted,
            ApiError::NotStarted(_) => Code::NotStarted,
            ApiError::HoldLimit(_) => Code::HoldLimit,
            ApiError::BuyerLimit { .. } => Code::BuyerLimit,
            ApiError::PriceChanged { .. } => Code::PriceChanged,
            ApiError::StockBelowCommitted(_) => Code::StockBelowCommitted,
            ApiError::HoldExpired(_) => Code::HoldExpired,
            ApiError::RequestTimeout(_) => Code::RequestTimeout,
            ApiError::PayloadTooLarge(_) => Code::PayloadTooLarge,
            ApiError::Rule { code, .. } => Code::from(*code),
            ApiError::InvalidConfig(_) => Code::InvalidConfig,
            ApiError::StockOutOfRange(_) => Code::StockOutOfRange,
            ApiError::IdempotencyKeyReused => Code::IdempotencyKeyReused,
            ApiError::VersionConflict(_) => Code::VersionConflict,
            ApiError::ResourceInUse(_) => Code::ResourceInUse,
            ApiError::CapacityBelowCommitted { .. } => Code::CapacityBelowCommitted,
            ApiError::QuotaExceeded { .. } => Code::QuotaExceeded,
            ApiError::StoreUnavailable(_) => Code::StoreUnavailable,
            ApiError::ReadOnly => Code::ReadOnly,
            ApiError::NotDurable(_) => Code::NotDurable,
            ApiError::RateLimited(_) => Code::RateLimited,
            ApiError::Internal(_) => Code::Internal,
            ApiError::WebhookUrlRefused(_) => Code::WebhookUrlRefused,
            ApiError::WebhookNotFound(_) => Code::WebhookNotFound,
            ApiError::AvailableNow { .. } => Code::AvailableNow,
            ApiError::AlreadyWaiting(_) => Code::AlreadyWaiting,
            ApiError::WaitlistFull(_) => Code::WaitlistFull,
            ApiError::EntryNotFound(_) => Code::EntryNotFound,
        }
    }

    /// The stable code as API.md spells it.
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
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
        let mut v = Value::Object(aforo_core::problem(self.status().as_u16(), self.kind(), &self.detail()));
        match self {
            ApiError::SoldOut { alternatives, item, .. } => {
                v["alternatives"] = json!(alternatives);
                if let Some(i) = item {
                    v["item"] = json!(i);
                }
            }
            ApiError::AvailableNow { alternatives, .. } => v["alternatives"] = json!(alternatives),
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

    /// One error of each kind the origin answers (every rule code included).
    fn every_kind() -> Vec<ApiError> {
        use aforo_core::ConfigError;
        let s = || "x".to_string();
        let mut v = vec![
            ApiError::InvalidRequest(s()),
            ApiError::IdempotencyKeyRequired,
            ApiError::Unauthenticated(s()),
            ApiError::Forbidden(s()),
            ApiError::ResourceNotFound(s()),
            ApiError::HoldNotFound(s()),
            ApiError::RouteNotFound(s()),
            ApiError::MethodNotAllowed,
            ApiError::SoldOut { detail: s(), alternatives: vec![], item: None },
            ApiError::HoldNotActive(s()),
            ApiError::TableTaken(s()),
            ApiError::NotSeated(s()),
            ApiError::BookingStarted(s()),
            ApiError::NotStarted(s()),
            ApiError::HoldLimit(s()),
            ApiError::BuyerLimit { detail: s(), limit_name: "max_held_units", used: 1, limit: 1 },
            ApiError::PriceChanged { detail: s(), prices: vec![] },
            ApiError::StockBelowCommitted(s()),
            ApiError::HoldExpired(s()),
            ApiError::RequestTimeout(1),
            ApiError::PayloadTooLarge(1),
            ApiError::InvalidConfig(ConfigError { errors: vec![] }),
            ApiError::StockOutOfRange(s()),
            ApiError::IdempotencyKeyReused,
            ApiError::VersionConflict(s()),
            ApiError::CapacityBelowCommitted { detail: s(), overcommitted: vec![] },
            ApiError::ResourceInUse(s()),
            ApiError::QuotaExceeded { detail: s(), quota: "resources", used: 1, limit: 1, requested: 1 },
            ApiError::StoreUnavailable(s()),
            ApiError::RateLimited(std::time::Duration::from_secs(1)),
            ApiError::ReadOnly,
            ApiError::NotDurable(s()),
            ApiError::Internal(s()),
            ApiError::WebhookUrlRefused(s()),
            ApiError::WebhookNotFound(s()),
            ApiError::AvailableNow { detail: s(), alternatives: vec![] },
            ApiError::AlreadyWaiting(s()),
            ApiError::WaitlistFull(s()),
            ApiError::EntryNotFound(s()),
        ];
        for code in
            [RuleCode::Closed, RuleCode::Paused, RuleCode::TooLate, RuleCode::BeyondHorizon, RuleCode::NoSuchSlot, RuleCode::QtyOutOfRange]
        {
            v.push(ApiError::Rule { code, detail: s(), item: None });
        }
        v
    }

    #[test]
    fn every_code_the_origin_answers_is_in_the_shared_list_and_in_the_catalogue() {
        let catalogue = include_str!("../../docs/errors.md");
        for e in every_kind() {
            let code = e.kind();
            assert!(Code::ALL.contains(&code), "{code:?}");
            assert_eq!(e.status().as_u16(), code.status(), "{code:?}");
            assert_eq!(e.body()["code"], code.as_str());
            let row = format!("| {} | `{}` |", code.status(), code.as_str());
            assert!(catalogue.contains(&row), "docs/errors.md has no row {row}");
        }
        // ... and the edge's codes too: the whole list is in the catalogue.
        for c in Code::ALL {
            assert!(catalogue.contains(&format!("| {} | `{}` |", c.status(), c.as_str())), "docs/errors.md lacks {c:?}");
        }
    }
}
