//! The library's replies, typed. Each function answers a flat array whose first element says
//! which outcome it is; a missing element the outcome always has is a
//! [`StoreError::MissingField`], an unknown outcome a [`StoreError::Reply`].

use std::str::FromStr;

use super::error::StoreError;
use super::records::HoldStatus;

/// A flat reply of library function `call`.
#[derive(Debug)]
pub struct Reply {
    call: &'static str,
    out: Vec<String>,
}

impl Reply {
    /// The reply `out` of `call`.
    pub fn new(call: &'static str, out: Vec<String>) -> Self {
        Reply { call, out }
    }

    /// The outcome word (the first element).
    pub fn tag(&self) -> Option<&str> {
        self.out.first().map(String::as_str)
    }

    /// Element `i`, named `field` when missing.
    pub fn text(&self, i: usize, field: &'static str) -> Result<&str, StoreError> {
        self.out.get(i).map(String::as_str).ok_or(StoreError::MissingField { call: self.call, field })
    }

    /// Element `i` parsed.
    pub fn parsed<T: FromStr>(&self, i: usize, field: &'static str) -> Result<T, StoreError> {
        let s = self.text(i, field)?;
        s.parse().map_err(|_| StoreError::Reply(self.call, format!("{field}: {s:?}")))
    }

    /// Element `i` as a number, `None` when empty.
    pub fn parsed_or_empty<T: FromStr>(&self, i: usize, field: &'static str) -> Result<Option<T>, StoreError> {
        match self.text(i, field)? {
            "" => Ok(None),
            _ => self.parsed(i, field).map(Some),
        }
    }

    /// Element `i` as a hold status.
    pub fn status(&self, i: usize) -> Result<HoldStatus, StoreError> {
        self.parsed(i, "status")
    }

    /// The whole reply.
    pub fn into_inner(self) -> Vec<String> {
        self.out
    }

    /// The elements from `i` on.
    pub fn rest(&self, i: usize) -> &[String] {
        self.out.get(i..).unwrap_or_default()
    }

    /// The error for an outcome the library never answers.
    pub fn unexpected(&self) -> StoreError {
        StoreError::Reply(self.call, format!("{:?}", self.out))
    }
}

/// What the hold function answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldReply {
    /// Taken: hold id, status, expires_at (ms), and the table assigned ('' without tables).
    Taken {
        /// The hold id.
        id: String,
        /// `held`, or `pending` for a cart's home part.
        status: HoldStatus,
        /// Expiry (ms).
        expires_at_ms: i64,
        /// The table or join seated ('' without tables).
        table: String,
        /// In shadow enforcement, the buckets taken past their limit (empty otherwise).
        over: Vec<String>,
    },
    /// Idempotent replay: the hold this key already made.
    Replay {
        /// The hold id.
        id: String,
        /// Its status now.
        status: HoldStatus,
        /// Its expiry (ms).
        expires_at_ms: i64,
    },
    /// Same key, other payload.
    Reused,
    /// The document changed since the plan: replan. `current` is the version the counters
    /// carry (`None` when the resource has none).
    Version {
        /// The version the store has.
        current: Option<u64>,
    },
    /// A bucket would pass its limit (`no_table` when no table choice fits); nothing was taken.
    SoldOut {
        /// The first bucket that did not fit.
        bucket: String,
        /// Its counter.
        have: u64,
        /// Its limit.
        limit: u64,
    },
}

impl HoldReply {
    /// Parses `aforo_hold`'s reply (the expired ids already taken off).
    pub fn parse(r: &Reply) -> Result<HoldReply, StoreError> {
        Ok(match r.tag() {
            Some("ok") => HoldReply::Taken {
                id: r.text(1, "id")?.to_string(),
                status: r.status(2)?,
                expires_at_ms: r.parsed(3, "expires_at")?,
                table: r.text(4, "table")?.to_string(),
                over: r.text(5, "over")?.split(',').filter(|b| !b.is_empty()).map(String::from).collect(),
            },
            Some("replay") => {
                HoldReply::Replay { id: r.text(1, "id")?.to_string(), status: r.status(2)?, expires_at_ms: r.parsed(3, "expires_at")? }
            }
            Some("reused") => HoldReply::Reused,
            Some("version") => HoldReply::Version { current: r.parsed_or_empty(1, "version")? },
            Some("sold_out") => {
                HoldReply::SoldOut { bucket: r.text(1, "bucket")?.to_string(), have: r.parsed(2, "have")?, limit: r.parsed(3, "limit")? }
            }
            _ => return Err(r.unexpected()),
        })
    }
}

/// Outcome of consume/release/retake on one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartReply {
    /// Done; the part's status now.
    Ok(HoldStatus),
    /// The transition is not allowed from this status.
    NotActive(HoldStatus),
    /// The hold expired and its units were returned.
    Expired,
    /// No such part.
    NotFound,
    /// Retake refused: units taken meanwhile.
    SoldOut {
        /// The counter that did not fit.
        bucket: String,
        /// Its count.
        have: u64,
        /// Its limit.
        limit: u64,
    },
    /// Retake refused: the part expired longer ago than the grace allows.
    Gone,
    /// Retake planned against another version.
    Version,
}

impl PartReply {
    /// Parses the reply of `aforo_release`, `aforo_consume` or `aforo_retake`.
    pub fn parse(r: &Reply) -> Result<PartReply, StoreError> {
        Ok(match r.tag() {
            Some("ok") => PartReply::Ok(r.status(1)?),
            Some("not_active") => PartReply::NotActive(r.status(1)?),
            Some("expired") => PartReply::Expired,
            Some("not_found") => PartReply::NotFound,
            Some("sold_out") => {
                PartReply::SoldOut { bucket: r.text(1, "bucket")?.to_string(), have: r.parsed(2, "have")?, limit: r.parsed(3, "limit")? }
            }
            Some("gone") => PartReply::Gone,
            Some("version") => PartReply::Version,
            _ => return Err(r.unexpected()),
        })
    }
}

/// Outcome of swapping a part's takes (`aforo_reseat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReseatReply {
    /// Swapped; the part's status.
    Ok(HoldStatus),
    /// No such part.
    NotFound,
    /// Not live (released, void, expired, or held past its expiry: `expired`).
    NotActive(HoldStatus),
    /// The record's takes are not the ones read: read again.
    Changed,
    /// The document changed since the plan: the counters' version now.
    Version {
        /// The version the store has.
        current: Option<u64>,
    },
    /// A counter that rises would pass its limit; nothing changed.
    Taken {
        /// The counter.
        bucket: String,
        /// Its count.
        have: u64,
        /// Its limit.
        limit: u64,
    },
}

impl ReseatReply {
    /// Parses `aforo_reseat`'s reply.
    pub fn parse(r: &Reply) -> Result<ReseatReply, StoreError> {
        Ok(match r.tag() {
            Some("ok") => ReseatReply::Ok(r.status(1)?),
            Some("not_found") => ReseatReply::NotFound,
            Some("not_active") => ReseatReply::NotActive(r.status(1)?),
            Some("changed") => ReseatReply::Changed,
            Some("version") => ReseatReply::Version { current: r.parsed_or_empty(1, "version")? },
            Some("taken") => {
                ReseatReply::Taken { bucket: r.text(1, "bucket")?.to_string(), have: r.parsed(2, "have")?, limit: r.parsed(3, "limit")? }
            }
            _ => return Err(r.unexpected()),
        })
    }
}

/// Outcome of extending a held part (`aforo_extend`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtendReply {
    /// It expires at this instant (ms) now.
    Ok(i64),
    /// No such part.
    NotFound,
    /// Not held (or held past its expiry: `expired`).
    NotActive(HoldStatus),
}

impl ExtendReply {
    /// Parses `aforo_extend`'s reply.
    pub fn parse(r: &Reply) -> Result<ExtendReply, StoreError> {
        Ok(match r.tag() {
            Some("ok") => ExtendReply::Ok(r.parsed(1, "expires_at")?),
            Some("not_found") => ExtendReply::NotFound,
            Some("not_active") => ExtendReply::NotActive(r.status(1)?),
            _ => return Err(r.unexpected()),
        })
    }
}

/// Outcome of a stock adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockReply {
    /// Applied.
    Ok {
        /// Stock on hand now.
        on_hand: u32,
        /// Units held or consumed.
        committed: u32,
        /// The document's version now.
        version: u64,
        /// An idempotent retry: the first answer, nothing changed now.
        replayed: bool,
    },
    /// The resource has no stock dimension.
    NoStock,
    /// The result would be negative.
    Negative,
    /// The result would pass the documented maximum on hand (nothing changed).
    OutOfRange {
        /// What on hand would have been.
        would_be: i64,
    },
    /// The key was used before with another payload.
    Reused,
    /// The resource is gone (archived).
    NotFound,
    /// Under held + consumed without force.
    Below {
        /// Units held or consumed.
        committed: u32,
    },
}

impl StockReply {
    /// Parses `aforo_stock`'s reply.
    pub fn parse(r: &Reply) -> Result<StockReply, StoreError> {
        Ok(match r.tag() {
            Some(tag @ ("ok" | "replay")) => StockReply::Ok {
                on_hand: r.parsed(1, "on_hand")?,
                committed: r.parsed(2, "committed")?,
                version: r.parsed(3, "version")?,
                replayed: tag == "replay",
            },
            Some("reused") => StockReply::Reused,
            Some("not_found") => StockReply::NotFound,
            Some("no_stock") => StockReply::NoStock,
            Some("negative") => StockReply::Negative,
            Some("out_of_range") => StockReply::OutOfRange { would_be: r.parsed(1, "would_be")? },
            Some("below") => StockReply::Below { committed: r.parsed(1, "committed")? },
            _ => return Err(r.unexpected()),
        })
    }
}

/// Outcome of a document write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutReply {
    /// New resource, with its version and owner.
    Created {
        /// Its version.
        version: u64,
        /// The seller who owns it.
        owner: String,
    },
    /// Replaced.
    Replaced {
        /// The new version.
        version: u64,
        /// The seller who owns it.
        owner: String,
        /// Bytes of the document it replaced.
        prev_bytes: u64,
    },
    /// Another seller owns it.
    Forbidden,
    /// `If-Match` named another version (the stored one, empty when there is none).
    Precondition {
        /// The version stored.
        current: Option<u64>,
    },
    /// The id belonged to a resource now archived.
    Archived,
    /// Counters past the new limits, not forced: `bucket\tcommitted\tlimit` lines.
    Over {
        /// The counters, one per line.
        lines: String,
    },
    /// A counter appeared since the origin read them: read again.
    Moved,
    /// The new on_hand is below what is committed.
    Below {
        /// Units held or consumed.
        committed: u32,
    },
}

impl PutReply {
    /// Parses `aforo_put`'s reply.
    pub fn parse(r: &Reply) -> Result<PutReply, StoreError> {
        Ok(match r.tag() {
            Some("created") => PutReply::Created { version: r.parsed(1, "version")?, owner: r.text(2, "owner")?.to_string() },
            Some("replaced") => PutReply::Replaced {
                version: r.parsed(1, "version")?,
                owner: r.text(2, "owner")?.to_string(),
                prev_bytes: r.parsed(4, "prev_bytes")?,
            },
            Some("forbidden") => PutReply::Forbidden,
            Some("precondition") => PutReply::Precondition { current: r.parsed_or_empty(1, "current")? },
            Some("archived") => PutReply::Archived,
            Some("over") => PutReply::Over { lines: r.text(1, "over")?.to_string() },
            Some("moved") => PutReply::Moved,
            Some("below") => PutReply::Below { committed: r.parsed(1, "committed")? },
            _ => return Err(r.unexpected()),
        })
    }
}

/// Outcome of archiving a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveReply {
    /// Archived, with its last version and the holds released (forced).
    Archived {
        /// The version it was archived at.
        version: u64,
        /// Holds released by a forced archive.
        released: Vec<String>,
        /// Bytes of the document dropped.
        bytes: u64,
    },
    /// Holds are held (how many); nothing changed.
    InUse {
        /// Holds held.
        held: u64,
    },
    /// No such resource, or already archived.
    NotFound,
}

impl ArchiveReply {
    /// Parses `aforo_archive`'s reply.
    pub fn parse(r: &Reply) -> Result<ArchiveReply, StoreError> {
        Ok(match r.tag() {
            Some("ok") => ArchiveReply::Archived {
                version: r.parsed(1, "version")?,
                released: r.text(2, "released")?.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
                bytes: r.parsed(3, "bytes")?,
            },
            Some("in_use") => ArchiveReply::InUse { held: r.parsed(1, "held")? },
            Some("not_found") => ArchiveReply::NotFound,
            _ => return Err(r.unexpected()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(call: &'static str, v: &[&str]) -> Reply {
        Reply::new(call, v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn replies_parse_and_a_missing_element_is_an_error() {
        assert_eq!(
            HoldReply::parse(&reply("aforo_hold", &["ok", "h_1", "held", "42", "", ""])).ok(),
            Some(HoldReply::Taken { id: "h_1".into(), status: HoldStatus::Held, expires_at_ms: 42, table: String::new(), over: vec![] })
        );
        assert!(matches!(
            HoldReply::parse(&reply("aforo_hold", &["ok", "h_1", "held"])),
            Err(StoreError::MissingField { field: "expires_at", .. })
        ));
        assert_eq!(HoldReply::parse(&reply("aforo_hold", &["version", ""])).ok(), Some(HoldReply::Version { current: None }));
        assert!(matches!(HoldReply::parse(&reply("aforo_hold", &["what"])), Err(StoreError::Reply(..))));
        assert!(matches!(PartReply::parse(&reply("aforo_release", &["ok"])), Err(StoreError::MissingField { field: "status", .. })));
        assert_eq!(PartReply::parse(&reply("aforo_release", &["ok", "void"])).ok(), Some(PartReply::Ok(HoldStatus::Void)));
    }
}
