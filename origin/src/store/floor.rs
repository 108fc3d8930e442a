//! The host's steps on the floor in Redis: swap a seating's takes (`aforo_reseat`: a move to
//! other tables, or the tables freed by an early finish) and seat a walk-in, consumed at once
//! (a consumed hold, `aforo_hold`).

use aforo_core::{Bucket, Take};

use super::client::Store;
use super::error::StoreError;
use super::holds::{encode_takes, HoldArgs};
use super::keys::ResourceKeys;
use super::records::HoldStatus;
use super::reply::{ExtendReply, HoldReply, ReseatReply};

/// Decodes the library's takes wire (`bucket\tqty\tlimit\n` lines), as a record keeps them.
pub fn decode_takes(wire: &str) -> Result<Vec<Take>, StoreError> {
    let bad = |line: &str| StoreError::Reply("takes", format!("{line:?}"));
    // Lines under `~` are the library's own counters (a buyer's share): not the floor's.
    wire.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('~'))
        .map(|line| {
            let mut f = line.split('\t');
            let (Some(b), Some(q), Some(l), None) = (f.next(), f.next(), f.next(), f.next()) else { return Err(bad(line)) };
            Ok(Take {
                bucket: b.parse::<Bucket>().map_err(|_| bad(line))?,
                qty: q.parse().map_err(|_| bad(line))?,
                limit: l.parse().map_err(|_| bad(line))?,
            })
        })
        .collect()
}

/// Why a part's takes are swapped: the event and the audit name it, and the status it
/// moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapKind {
    /// Moved to other tables; the status stays.
    Moved,
    /// Its party checked in (`seated`); the takes stay.
    Seated,
    /// Finished: its tables free from the current moment on.
    Finished,
    /// Its party never came (`no_show`): tables and covers free from the current moment on.
    NoShow,
    /// Cancelled: its units from now on back, the buyer's shares too.
    Cancelled,
}

impl SwapKind {
    /// The word of the event stream.
    pub fn as_str(self) -> &'static str {
        match self {
            SwapKind::Moved => "moved",
            SwapKind::Seated => "seated",
            SwapKind::Finished => "finished",
            SwapKind::NoShow => "no_show",
            SwapKind::Cancelled => "cancelled",
        }
    }

    /// The status it moves the part to (`None`: it stays).
    pub fn status(self) -> Option<HoldStatus> {
        match self {
            SwapKind::Moved => None,
            SwapKind::Seated => Some(HoldStatus::Seated),
            SwapKind::Finished => Some(HoldStatus::Finished),
            SwapKind::NoShow => Some(HoldStatus::NoShow),
            SwapKind::Cancelled => Some(HoldStatus::Cancelled),
        }
    }
}

/// One swap of a hold part's takes, compare-and-set on the takes its record has.
#[derive(Debug, Clone)]
pub struct Swap<'a> {
    /// The resource.
    pub resource: &'a str,
    /// The hold id.
    pub hold_id: &'a str,
    /// The document version the new takes were planned against.
    pub version: u64,
    /// The record's takes as read (the wire string, compared byte for byte).
    pub expected: &'a str,
    /// The takes afterwards.
    pub takes: &'a [Take],
    /// The table label afterwards (`T4+T5`).
    pub label: &'a str,
    /// Why.
    pub kind: SwapKind,
    /// Extra field/value pairs for the record (`finished_at`).
    pub fields: Vec<(String, String)>,
}

impl Store {
    /// Swaps a live part's takes atomically (`aforo_reseat`): only counters that rise are
    /// checked against their limits; nothing changes unless the whole swap fits.
    pub async fn reseat(&self, s: &Swap<'_>) -> Result<ReseatReply, StoreError> {
        let k = ResourceKeys::new(s.resource);
        let keys = vec![k.meta(), k.counters(), k.hold(s.hold_id), k.settled(), k.expiry()];
        let to = s.kind.status().map_or("", HoldStatus::as_str);
        let mut args = vec![
            s.version.to_string(),
            s.expected.to_string(),
            encode_takes(s.takes),
            s.label.to_string(),
            s.kind.as_str().to_string(),
            to.to_string(),
        ];
        for (f, v) in &s.fields {
            args.extend([f.clone(), v.clone()]);
        }
        ReseatReply::parse(&self.fcall("aforo_reseat", keys, args).await?)
    }

    /// Extends a held part to expire at `at_ms` (`aforo_extend`).
    pub async fn extend(&self, resource: &str, hold_id: &str, at_ms: i64) -> Result<ExtendReply, StoreError> {
        let k = ResourceKeys::new(resource);
        ExtendReply::parse(&self.fcall("aforo_extend", vec![k.expiry(), k.hold(hold_id)], vec![at_ms.to_string()]).await?)
    }

    /// Seats a walk-in: taken as a hold is (`aforo_hold`, a group of one), paid and seated in
    /// the same step. `a` must name its date index (a resource with tables) and be `seated`.
    pub async fn walk_in(&self, a: &HoldArgs) -> Result<HoldReply, StoreError> {
        if a.date_index.is_none() || a.status != HoldStatus::Seated {
            return Err(StoreError::Reply("aforo_hold", "a walk-in is seated and needs its date index".into()));
        }
        self.hold_part(a).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_round_trip_the_wire() {
        let takes = vec![
            Take { bucket: "t:T4@2027-03-01T19:00Z".parse().unwrap_or(Bucket::Stock), qty: 1, limit: 1 },
            Take { bucket: Bucket::Stock, qty: 3, limit: 9 },
        ];
        assert_eq!(decode_takes(&encode_takes(&takes)).ok(), Some(takes));
        assert!(decode_takes("stock\t1\n").is_err());
        assert_eq!(decode_takes("").ok(), Some(vec![]));
    }
}
