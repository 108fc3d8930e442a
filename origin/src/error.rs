//! The origin's one error type and its single mapping to problem+json (RFC 9457).

use aforo_core::{Alternative, ConfigError, QueryError, RuleCode};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{header, Response, StatusCode};
use serde_json::{json, Value};

use crate::store::StoreError;

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
    /// Stock set under held + consumed without force (409).
    #[error("{0}")]
    StockBelowCommitted(String),
    /// Consume of an expired hold whose units are gone (410).
    #[error("{0}")]
    HoldExpired(String),
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
    /// Same idempotency key, different payload (422).
    #[error("this Idempotency-Key was used with another payload")]
    IdempotencyKeyReused,
    /// Redis is down or too slow (503).
    #[error("{0}")]
    StoreUnavailable(String),
    /// One caller over its request rate (429); retry after the duration.
    #[error("too many requests from this caller; retry in {} ms", .0.as_millis())]
    RateLimited(std::time::Duration),
    /// Ops switched writes off (503).
    #[error("writes are switched off by operations (read-only mode); reads go on")]
    ReadOnly,
    /// A bug: logged with its cause (500).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Redis(e) => ApiError::StoreUnavailable(format!("the store is unavailable: {e}")),
            StoreError::Reply(..) => ApiError::Internal(e.to_string()),
            StoreError::CircuitOpen(_) => ApiError::StoreUnavailable(e.to_string()),
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
            ApiError::SoldOut { .. } | ApiError::HoldNotActive(_) | ApiError::StockBelowCommitted(_) => StatusCode::CONFLICT,
            ApiError::HoldExpired(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Rule { .. } | ApiError::InvalidConfig(_) | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
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
            ApiError::StockBelowCommitted(_) => "STOCK_BELOW_COMMITTED",
            ApiError::HoldExpired(_) => "HOLD_EXPIRED",
            ApiError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            ApiError::Rule { code, .. } => code.as_str(),
            ApiError::InvalidConfig(_) => "INVALID_CONFIG",
            ApiError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ApiError::StoreUnavailable(_) => "STORE_UNAVAILABLE",
            ApiError::ReadOnly => "READ_ONLY",
            ApiError::RateLimited(_) => "RATE_LIMITED",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// The problem document.
    pub fn body(&self) -> Value {
        let mut v = Value::Object(aforo_core::problem(self.status().as_u16(), self.code(), &self.to_string()));
        match self {
            ApiError::SoldOut { alternatives, item, .. } => {
                v["alternatives"] = json!(alternatives);
                if let Some(i) = item {
                    v["item"] = json!(i);
                }
            }
            ApiError::Rule { item: Some(i), .. } => v["item"] = json!(i),
            ApiError::InvalidConfig(e) => v["errors"] = json!(e.errors),
            _ => {}
        }
        v
    }

    /// The response, with `Retry-After` where API.md asks for it.
    pub fn response(&self, request_id: &str) -> Response<Full<Bytes>> {
        if self.status().is_server_error() && !matches!(self, ApiError::ReadOnly) {
            tracing::error!(code = self.code(), error = %self, request_id, "request failed");
        }
        let mut b = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/problem+json")
            .header("x-request-id", request_id);
        match self {
            ApiError::StoreUnavailable(_) => b = b.header(header::RETRY_AFTER, "1"),
            ApiError::ReadOnly => b = b.header(header::RETRY_AFTER, "30"),
            ApiError::RateLimited(d) => b = b.header(header::RETRY_AFTER, d.as_secs_f64().ceil().max(1.0).to_string()),
            _ => {}
        }
        if matches!(self, ApiError::Unauthenticated(_)) {
            b = b.header(header::WWW_AUTHENTICATE, "Bearer");
        }
        b.body(Full::new(Bytes::from(self.body().to_string()))).unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}
