//! What the store keeps, typed: a hold's status and record, a resource's meta hash, the
//! read-only switch. Each is parsed from its Redis hash, and a field the library always writes
//! that is missing is an error ([`StoreError::MissingField`]), never a default.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aforo_core::ItemView;

use super::error::StoreError;

/// The status of a hold (or of one resource's part of it), as the library writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldStatus {
    /// Units taken, until the expiry.
    Held,
    /// The home part of a cart whose other parts are still being taken.
    Pending,
    /// Paid: units stay taken for good.
    Consumed,
    /// Given back by the buyer.
    Released,
    /// Its expiry passed and its units came back.
    Expired,
    /// A cart step undone: units back, and the key as if never used.
    Void,
    /// Paid, and its party checked in.
    Seated,
    /// Seated, and its party gone.
    Finished,
    /// Paid, and its party never came.
    NoShow,
    /// Called off, held or paid: its units from then on came back.
    Cancelled,
}

impl HoldStatus {
    /// The word the library and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Held => "held",
            HoldStatus::Pending => "pending",
            HoldStatus::Consumed => "consumed",
            HoldStatus::Released => "released",
            HoldStatus::Expired => "expired",
            HoldStatus::Void => "void",
            HoldStatus::Seated => "seated",
            HoldStatus::Finished => "finished",
            HoldStatus::NoShow => "no_show",
            HoldStatus::Cancelled => "cancelled",
        }
    }

    /// Paid for: consumed, and what a consumed booking becomes on the floor. Its takes are
    /// settled and its record kept as a booking.
    pub fn is_paid(self) -> bool {
        matches!(self, HoldStatus::Consumed | HoldStatus::Seated | HoldStatus::Finished | HoldStatus::NoShow)
    }

    /// Still taking units until its expiry (held, or a cart's pending home).
    pub fn is_live(self) -> bool {
        matches!(self, HoldStatus::Held | HoldStatus::Pending)
    }

    /// The status a caller is shown at `now_ms` for a record expiring at `expires_at_ms`: a
    /// live hold past its expiry is `expired` (the sweeper may not have got to it), a voided
    /// cart step reads `released`.
    pub fn shown(self, expires_at_ms: i64, now_ms: i64) -> HoldStatus {
        match self {
            s if s.is_live() && expires_at_ms <= now_ms => HoldStatus::Expired,
            HoldStatus::Void => HoldStatus::Released,
            s => s,
        }
    }
}

impl fmt::Display for HoldStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a hold status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a hold status: {0:?}")]
pub struct BadStatus(pub String);

impl FromStr for HoldStatus {
    type Err = BadStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "held" => HoldStatus::Held,
            "pending" => HoldStatus::Pending,
            "consumed" => HoldStatus::Consumed,
            "released" => HoldStatus::Released,
            "expired" => HoldStatus::Expired,
            "void" => HoldStatus::Void,
            "seated" => HoldStatus::Seated,
            "finished" => HoldStatus::Finished,
            "no_show" => HoldStatus::NoShow,
            "cancelled" => HoldStatus::Cancelled,
            _ => return Err(BadStatus(s.to_string())),
        })
    }
}

impl serde::Serialize for HoldStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A Redis hash read with `HGETALL`, whose fields are looked up by name.
#[derive(Debug)]
pub struct Fields {
    what: &'static str,
    map: HashMap<String, String>,
}

impl Fields {
    /// The hash `map`, named `what` in errors.
    pub fn new(what: &'static str, map: HashMap<String, String>) -> Self {
        Fields { what, map }
    }

    /// No such key (an empty hash).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A field that may be absent.
    pub fn optional(&self, field: &str) -> Option<&str> {
        self.map.get(field).map(String::as_str)
    }

    /// A field the library always writes.
    pub fn text(&self, field: &'static str) -> Result<&str, StoreError> {
        self.optional(field).ok_or(StoreError::MissingField { call: self.what, field })
    }

    /// A field parsed with `FromStr`: missing or unparseable is an error.
    pub fn parsed<T: FromStr>(&self, field: &'static str) -> Result<T, StoreError> {
        let s = self.text(field)?;
        s.parse().map_err(|_| StoreError::Reply(self.what, format!("{field}: {s:?}")))
    }

    /// A field that may be absent, parsed when present.
    pub fn parsed_opt<T: FromStr>(&self, field: &'static str) -> Result<Option<T>, StoreError> {
        match self.optional(field) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| StoreError::Reply(self.what, format!("{field}: {s:?}"))),
        }
    }

    /// A field holding JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self, field: &'static str) -> Result<T, StoreError> {
        serde_json::from_str(self.text(field)?).map_err(|e| StoreError::Reply(self.what, format!("{field}: {e}")))
    }
}

/// One resource's part of a hold (`P..'h:'..id`), as `aforo_hold` writes it and the other
/// steps move it on. The home part (the first item's resource) also carries the whole cart's
/// answer and the other resources taken.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldRecord {
    /// Where the part stands.
    pub status: HoldStatus,
    /// When its units come back unless consumed (ms since the epoch, Redis's clock).
    pub expires_at_ms: i64,
    /// When it was taken (ms).
    pub created_at_ms: i64,
    /// The token `sub` of the buyer who made it.
    pub caller: String,
    /// The role of who made it when not a buyer (`seller` for a walk-in, `ops`): holds are
    /// owned by role and subject.
    pub role: Option<String>,
    /// The document version it was planned against.
    pub version: u64,
    /// The takes it holds, on the library's wire (`bucket\tqty\tlimit\n` lines).
    pub takes: String,
    /// This part's items, as the answer shows them.
    pub items: Vec<ItemView>,
    /// The table or join it seats (resources with tables).
    pub table: Option<String>,
    /// The hash of the payload that made it (the idempotency check).
    pub payload_hash: String,
    /// The home part: the whole hold's items as answered (JSON).
    pub body: Option<serde_json::Value>,
    /// The home part: the other resources of a cart.
    pub parts: Vec<String>,
    /// When it was consumed (ms).
    pub consumed_at_ms: Option<i64>,
    /// When it was released, voided or expired (ms).
    pub ended_at_ms: Option<i64>,
    /// When the host finished the seating (ms): its tables free from then on.
    pub finished_at_ms: Option<i64>,
    /// When its party was seated (ms).
    pub seated_at_ms: Option<i64>,
    /// When it was marked a no-show (ms).
    pub no_show_at_ms: Option<i64>,
    /// The hash of the last change made to it (its key and payload).
    pub change_hash: Option<String>,
    /// The home part of a cart changed across resources: the other resources it had before
    /// its last change (those it no longer has are let go after it).
    pub changed_from: Vec<String>,
    /// Who the booking is for (erased on request: `None`).
    pub guest: Option<aforo_core::Guest>,
    /// When it was cancelled (ms), by whom (`role:sub`), why, and the refund it gave.
    pub cancelled: Option<Cancelled>,
}

/// A cancellation as its record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// When (ms).
    pub at_ms: i64,
    /// Who: the actor's role and subject (`buyer:u1`).
    pub by: String,
    /// Why, as the caller said.
    pub reason: Option<String>,
    /// Percent of the price refunded.
    pub refund_percent: u8,
    /// The fee owed, minor units.
    pub fee_minor: u64,
}

impl HoldRecord {
    /// Parses a record's hash; `None` when there is none.
    pub fn parse(map: HashMap<String, String>) -> Result<Option<HoldRecord>, StoreError> {
        let f = Fields::new("hold record", map);
        if f.is_empty() {
            return Ok(None);
        }
        let status = f.text("status")?;
        let status = status.parse().map_err(|e: BadStatus| StoreError::Reply("hold record", e.to_string()))?;
        Ok(Some(HoldRecord {
            status,
            expires_at_ms: f.parsed("expires_at")?,
            created_at_ms: f.parsed("created_at")?,
            caller: f.text("caller")?.to_string(),
            role: f.optional("role").map(String::from),
            version: f.parsed("version")?,
            takes: f.text("takes")?.to_string(),
            // A one-resource hold keeps its items once, as its body.
            items: if f.optional("items").is_some() { f.json("items")? } else { f.json("body")? },
            table: f.optional("table").filter(|t| !t.is_empty()).map(String::from),
            payload_hash: f.text("hash")?.to_string(),
            body: f.optional("body").map(|_| f.json("body")).transpose()?,
            parts: f.optional("parts").map(|p| p.split(',').filter(|s| !s.is_empty()).map(String::from).collect()).unwrap_or_default(),
            consumed_at_ms: f.parsed_opt("consumed_at")?,
            ended_at_ms: f.parsed_opt("ended_at")?,
            finished_at_ms: f.parsed_opt("finished_at")?,
            seated_at_ms: f.parsed_opt("seated_at")?,
            no_show_at_ms: f.parsed_opt("no_show_at")?,
            guest: f.optional("guest").map(|_| f.json("guest")).transpose()?,
            change_hash: f.optional("change_hash").map(String::from),
            changed_from: f
                .optional("changed_from")
                .map(|p| p.split(',').filter(|s| !s.is_empty()).map(String::from).collect())
                .unwrap_or_default(),
            cancelled: match f.parsed_opt("cancelled_at")? {
                None => None,
                Some(at_ms) => Some(Cancelled {
                    at_ms,
                    by: f.optional("cancelled_by").unwrap_or_default().to_string(),
                    reason: f.optional("cancel_reason").filter(|r| !r.is_empty()).map(String::from),
                    refund_percent: f.parsed_opt("refund_percent")?.unwrap_or(100),
                    fee_minor: f.parsed_opt("fee_minor")?.unwrap_or(0),
                }),
            },
        }))
    }

    /// The status shown at `now_ms` (see [`HoldStatus::shown`]).
    pub fn shown_status(&self, now_ms: i64) -> HoldStatus {
        self.status.shown(self.expires_at_ms, now_ms)
    }
}

/// The meta hash of a resource.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Document JSON.
    pub doc: String,
    /// Owner (seller sub).
    pub owner: String,
    /// Config version.
    pub version: u64,
    /// Live stock.
    pub on_hand: Option<u32>,
    /// Pause JSON.
    pub pause: Option<String>,
    /// When it was archived (Redis ms): gone for reads, holds and writes; bookings stay.
    pub archived_at: Option<i64>,
    /// Counters the seller knowingly left past their limit (a forced write):
    /// `bucket\tcommitted\tlimit` lines.
    pub overcommitted: Option<String>,
}

impl Meta {
    /// Parses a meta hash; `None` when the resource does not exist.
    pub fn parse(map: HashMap<String, String>) -> Result<Option<Meta>, StoreError> {
        let f = Fields::new("meta", map);
        if f.is_empty() {
            return Ok(None);
        }
        Ok(Some(Meta {
            doc: f.text("doc")?.to_string(),
            owner: f.text("owner")?.to_string(),
            version: f.parsed("version")?,
            on_hand: f.optional("on_hand").and_then(|s| s.parse().ok()),
            pause: f.optional("pause").map(String::from),
            archived_at: f.optional("archived").and_then(|s| s.parse().ok()),
            overcommitted: f.optional("overcommitted").map(String::from),
        }))
    }
}

/// The read-only switch as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mode {
    /// Writes refused.
    pub read_only: bool,
    /// Why (free text from ops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who switched it last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

impl Mode {
    /// Parses the switch's hash; never set reads as writable.
    pub fn parse(map: HashMap<String, String>) -> Mode {
        Mode {
            read_only: map.get("read_only").is_some_and(|v| v == "1"),
            reason: map.get("reason").filter(|s| !s.is_empty()).cloned(),
            by: map.get("by").cloned(),
            since: map.get("since").cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_the_library_writes_them() {
        for s in [
            HoldStatus::Held,
            HoldStatus::Pending,
            HoldStatus::Consumed,
            HoldStatus::Released,
            HoldStatus::Expired,
            HoldStatus::Void,
            HoldStatus::Seated,
            HoldStatus::Finished,
            HoldStatus::NoShow,
            HoldStatus::Cancelled,
        ] {
            assert_eq!(s.as_str().parse::<HoldStatus>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).ok(), Some(format!("\"{s}\"")));
        }
        assert!("".parse::<HoldStatus>().is_err());
        assert_eq!(HoldStatus::Held.shown(10, 10), HoldStatus::Expired);
        assert_eq!(HoldStatus::Pending.shown(11, 10), HoldStatus::Pending);
        assert_eq!(HoldStatus::Void.shown(0, 10), HoldStatus::Released);
        assert_eq!(HoldStatus::Consumed.shown(0, 10), HoldStatus::Consumed);
    }

    #[test]
    fn a_record_without_a_field_it_always_has_is_an_error() {
        let full: HashMap<String, String> = [
            ("status", "held"),
            ("expires_at", "5"),
            ("created_at", "1"),
            ("caller", "b"),
            ("version", "3"),
            ("takes", "stock\t1\t5\n"),
            ("items", "[]"),
            ("table", ""),
            ("hash", "h"),
            ("body", "[]"),
            ("parts", "a,b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let rec = HoldRecord::parse(full.clone()).ok().flatten();
        assert_eq!(rec.as_ref().map(|r| (r.status, r.parts.len(), r.table.is_none())), Some((HoldStatus::Held, 2, true)));
        let mut partial = full;
        partial.remove("expires_at");
        assert!(matches!(HoldRecord::parse(partial), Err(StoreError::MissingField { field: "expires_at", .. })));
        assert!(matches!(HoldRecord::parse(HashMap::new()), Ok(None)));
    }
}
