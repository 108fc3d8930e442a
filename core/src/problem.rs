//! The problem+json (RFC 9457) body of API.md, shaped once for the origin and the edge, and
//! the one list of its stable codes ([`Code`]): the origin and the edge name a code by its
//! variant, so that neither can answer a code the catalogue (docs/errors.md) does not have.

use serde_json::{json, Map, Value};

use crate::RuleCode;

/// What a client reads for a 500, at the origin and at the edge: the cause stays in the log,
/// under the request id.
pub const INTERNAL_DETAIL: &str = "an internal error occurred; report it with this answer's X-Request-Id";

/// Declares [`Code`] from one table: variant, the code as API.md spells it (the contract:
/// never change one), its usual HTTP status and its title.
macro_rules! codes {
    ($($(#[$doc:meta])* $v:ident = $s:literal, $status:literal, $title:literal;)*) => {
        /// Every stable code a problem can carry (API.md's catalogue and the few the project
        /// added), with its status and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $v,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$v),*];

            /// The code as API.md spells it (`SOLD_OUT`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$v => $s,)* }
            }

            /// The HTTP status it is answered with.
            pub fn status(self) -> u16 {
                match self { $(Code::$v => $status,)* }
            }

            /// The problem's `title` (`Sold out`).
            pub fn title(self) -> &'static str {
                match self { $(Code::$v => $title,)* }
            }
        }
    };
}

codes! {
    /// Malformed JSON, wrong types, unknown fields, bad query parameters.
    InvalidRequest = "INVALID_REQUEST", 400, "Invalid request";
    /// A hold or stock delta without `Idempotency-Key`.
    IdempotencyKeyRequired = "IDEMPOTENCY_KEY_REQUIRED", 400, "Idempotency key required";
    /// Missing, malformed, expired or badly signed token.
    Unauthenticated = "UNAUTHENTICATED", 401, "Unauthenticated";
    /// Role or ownership does not allow it.
    Forbidden = "FORBIDDEN", 403, "Forbidden";
    /// No such resource.
    ResourceNotFound = "RESOURCE_NOT_FOUND", 404, "Resource not found";
    /// No such hold, or not the caller's.
    HoldNotFound = "HOLD_NOT_FOUND", 404, "Hold not found";
    /// No such route.
    RouteNotFound = "ROUTE_NOT_FOUND", 404, "Route not found";
    /// The route exists, the method does not.
    MethodNotAllowed = "METHOD_NOT_ALLOWED", 405, "Method not allowed";
    /// Not enough units in some dimension.
    SoldOut = "SOLD_OUT", 409, "Sold out";
    /// Consume of a released hold, release of a consumed one.
    HoldNotActive = "HOLD_NOT_ACTIVE", 409, "Hold not active";
    /// A table asked is held by another party.
    TableTaken = "TABLE_TAKEN", 409, "Table taken";
    /// Finish of a hold that is not seated.
    NotSeated = "NOT_SEATED", 409, "Not seated";
    /// A buyer's cancel of a booking that has started.
    BookingStarted = "BOOKING_STARTED", 409, "Booking started";
    /// Seat or no-show before its time.
    NotStarted = "NOT_STARTED", 409, "Not started";
    /// Extend of a hold past `hold_max_s` after its creation.
    HoldLimit = "HOLD_LIMIT", 409, "Hold limit";
    /// One buyer over the resource's `per_buyer` limits.
    BuyerLimit = "BUYER_LIMIT", 409, "Buyer limit";
    /// Consume of an expired hold whose price moved.
    PriceChanged = "PRICE_CHANGED", 409, "Price changed";
    /// A new document's limits under what is committed.
    CapacityBelowCommitted = "CAPACITY_BELOW_COMMITTED", 409, "Capacity below committed";
    /// Archive of a resource with holds held.
    ResourceInUse = "RESOURCE_IN_USE", 409, "Resource in use";
    /// Stock set under held + consumed without force.
    StockBelowCommitted = "STOCK_BELOW_COMMITTED", 409, "Stock below committed";
    /// Consume of an expired hold whose units are gone.
    HoldExpired = "HOLD_EXPIRED", 410, "Hold expired";
    /// The body did not arrive in time.
    RequestTimeout = "REQUEST_TIMEOUT", 408, "Request timeout";
    /// Body over the limit.
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", 413, "Payload too large";
    /// The date is closed.
    Closed = "CLOSED", 422, "Closed";
    /// The seller paused sales.
    Paused = "PAUSED", 422, "Paused";
    /// In the past, after the cutoff, or inside the lead time.
    TooLate = "TOO_LATE", 422, "Too late";
    /// After the sales horizon.
    BeyondHorizon = "BEYOND_HORIZON", 422, "Beyond horizon";
    /// The slot is not a start of that day's grid.
    NoSuchSlot = "NO_SUCH_SLOT", 422, "No such slot";
    /// Outside the resource's per-hold quantity range.
    QtyOutOfRange = "QTY_OUT_OF_RANGE", 422, "Qty out of range";
    /// A document that does not hold together.
    InvalidConfig = "INVALID_CONFIG", 422, "Invalid config";
    /// A stock change whose result is out of range.
    StockOutOfRange = "STOCK_OUT_OF_RANGE", 422, "Stock out of range";
    /// A seller over one of its quotas.
    QuotaExceeded = "QUOTA_EXCEEDED", 422, "Quota exceeded";
    /// `If-Match` names a version the resource has moved from.
    VersionConflict = "VERSION_CONFLICT", 412, "Version conflict";
    /// Same idempotency key, different payload.
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED", 422, "Idempotency key reused";
    /// One caller over its request rate.
    RateLimited = "RATE_LIMITED", 429, "Rate limited";
    /// A bug: the cause is logged, never answered.
    Internal = "INTERNAL", 500, "Internal";
    /// Redis is down, too slow or full.
    StoreUnavailable = "STORE_UNAVAILABLE", 503, "Store unavailable";
    /// At the edge: the origin cannot be reached in time and no snapshot is young enough.
    OriginUnavailable = "ORIGIN_UNAVAILABLE", 503, "Origin unavailable";
    /// Ops switched writes off.
    ReadOnly = "READ_ONLY", 503, "Read only";
    /// `replicated` durability: the replicas did not confirm the write in time.
    NotDurable = "NOT_DURABLE", 503, "Not durable";
    /// A webhook URL naming a loopback, private, link-local or metadata address.
    WebhookUrlRefused = "WEBHOOK_URL_REFUSED", 422, "Webhook url refused";
    /// No such webhook endpoint.
    WebhookNotFound = "WEBHOOK_NOT_FOUND", 404, "Webhook not found";
    /// A waiting-list join when something that fits the party is free now.
    AvailableNow = "AVAILABLE_NOW", 409, "Available now";
    /// A second live waiting-list entry of one buyer on one resource and date.
    AlreadyWaiting = "ALREADY_WAITING", 409, "Already waiting";
    /// A date's waiting list at `waitlist.max_entries`.
    WaitlistFull = "WAITLIST_FULL", 409, "Waitlist full";
    /// No such waiting-list entry, or not the caller's.
    EntryNotFound = "ENTRY_NOT_FOUND", 404, "Entry not found";
}

impl From<RuleCode> for Code {
    fn from(r: RuleCode) -> Code {
        match r {
            RuleCode::Closed => Code::Closed,
            RuleCode::Paused => Code::Paused,
            RuleCode::TooLate => Code::TooLate,
            RuleCode::BeyondHorizon => Code::BeyondHorizon,
            RuleCode::NoSuchSlot => Code::NoSuchSlot,
            RuleCode::QtyOutOfRange => Code::QtyOutOfRange,
        }
    }
}

/// `{"type", "title", "status", "code", "detail"}` for a stable code such as `SOLD_OUT`:
/// the type is `/problems/sold-out`, the title `Sold out`. `status` is the code's own but
/// for the rare answer that differs (the edge's 502 for a bad snapshot). Callers add their
/// extra members (`alternatives`, `item`, `errors`).
pub fn problem(status: u16, code: Code, detail: &str) -> Map<String, Value> {
    let slug = code.as_str().to_ascii_lowercase().replace('_', "-");
    let mut m = Map::new();
    m.insert("type".into(), json!(format!("/problems/{slug}")));
    m.insert("title".into(), json!(code.title()));
    m.insert("status".into(), json!(status));
    m.insert("code".into(), json!(code.as_str()));
    m.insert("detail".into(), json!(detail));
    m
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn type_and_title_come_from_the_code() {
        let p = super::problem(409, Code::SoldOut, "2 asked, 1 left");
        assert_eq!(p["type"], "/problems/sold-out");
        assert_eq!(p["title"], "Sold out");
        assert_eq!(p["status"], 409);
        assert_eq!(p["code"], "SOLD_OUT");
        assert_eq!(p["detail"], "2 asked, 1 left");
    }

    #[test]
    fn every_title_is_its_code_in_words_and_every_code_is_listed_once() {
        // The titles were derived from the codes before the list existed: they stay so.
        for c in Code::ALL {
            let mut t = c.as_str().replace('_', " ").to_ascii_lowercase();
            if let Some(first) = t.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            assert_eq!(c.title(), t, "{c:?}");
            assert!((400..600).contains(&c.status()), "{c:?}");
            assert_eq!(Code::ALL.iter().filter(|d| d.as_str() == c.as_str()).count(), 1, "{c:?}");
        }
    }
}
