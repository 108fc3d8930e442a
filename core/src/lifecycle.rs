//! A booking's life after its sale, as rules: what a cancellation refunds under the
//! resource's policy, which of its units a cancelled or absent booking keeps, from when a
//! party may be seated or marked a no-show, how far a held hold may be extended. The store
//! applies the takes these give atomically; it decides nothing here.

use chrono::{DateTime, Duration, Utc};

use crate::bucket::Bucket;
use crate::ledger::Take;
use crate::local::epoch_min;
use crate::resource::AfterSale;

/// Who cancels: a buyer is held to the resource's policy; the seller and ops refund in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    /// The booking's buyer.
    Buyer,
    /// A seller owning its resource, or ops.
    Seller,
}

/// What a cancellation gives back of the price (`refund` of API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Refund {
    /// Percent of the price refunded (0..=100).
    pub percent: u8,
    /// What the buyer owes, in minor units of the price's currency (0 when free or unpriced).
    pub fee_minor: u64,
}

/// Why a step after the sale is refused now. Each is a 409 of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AfterSaleError {
    /// A buyer cannot cancel a booking that has started (`BOOKING_STARTED`).
    #[error("the booking started at {0}: it can no longer be cancelled by its buyer")]
    BookingStarted(DateTime<Utc>),
    /// Too early to seat the party or to mark it a no-show (`NOT_STARTED`); the instant it
    /// becomes possible.
    #[error("not before {0}")]
    NotStarted(DateTime<Utc>),
    /// An extension past the hold's longest life (`HOLD_LIMIT`); the latest expiry allowed.
    #[error("a hold cannot be extended past {0}")]
    HoldLimit(DateTime<Utc>),
}

/// The refund of cancelling, at `now`, a booking starting at `start` (`None`: undated stock)
/// whose price is `price_minor` (the sum of its items, `None` when unpriced). A hold not yet
/// paid (`paid == false`) owes nothing. A buyer cannot cancel once the booking has started;
/// before, it cancels for free until `free_until_h` hours before the start, then owes
/// `fee_percent` of the price, rounded down to a minor unit in the buyer's favour.
pub fn refund(
    rules: &AfterSale,
    by: Canceller,
    paid: bool,
    price_minor: Option<u64>,
    start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Refund, AfterSaleError> {
    const FULL: Refund = Refund { percent: 100, fee_minor: 0 };
    if by == Canceller::Seller {
        return Ok(FULL);
    }
    if let Some(s) = start.filter(|s| *s <= now) {
        return Err(AfterSaleError::BookingStarted(s));
    }
    let (Some(policy), Some(start), true) = (rules.cancellation, start, paid) else { return Ok(FULL) };
    if now + Duration::hours(i64::from(policy.free_until_h)) <= start {
        return Ok(FULL);
    }
    let fee = price_minor.unwrap_or(0).saturating_mul(u64::from(policy.fee_percent)) / 100;
    Ok(Refund { percent: 100 - policy.fee_percent, fee_minor: fee })
}

/// The takes a booking keeps when its party leaves before it came, at `now`: it is
/// cancelled or marked a no-show. Everything from the current moment of its seating on comes
/// back: its tables and seats from that moment, its day's covers and stock; the slot and
/// pacing of a seating already started stay taken (that sale has happened; no one else can
/// start there). A booking that has not started keeps nothing.
pub fn vacated(takes: &[Take], now: DateTime<Utc>) -> Vec<Take> {
    let at = epoch_min(now);
    let instants = |b: &Bucket| match b {
        Bucket::Table(_, m) | Bucket::Moment(m) => Some(*m),
        _ => None,
    };
    let from = takes.iter().filter_map(|t| instants(&t.bucket)).filter(|m| *m <= at).max();
    let Some(from) = from else {
        // Not started: only a past pacing window or slot could stay, and none is past.
        return Vec::new();
    };
    takes
        .iter()
        .filter(|t| match &t.bucket {
            Bucket::Table(_, m) | Bucket::Moment(m) => *m < from,
            Bucket::Slot(..) | Bucket::Pace(_) => true,
            Bucket::Day(_) | Bucket::Stock => false,
        })
        .cloned()
        .collect()
}

/// The earliest instant a party booked for `start` may be seated.
pub fn seat_from(rules: &AfterSale, start: DateTime<Utc>) -> DateTime<Utc> {
    start - Duration::minutes(i64::from(rules.early_seat_min))
}

/// The earliest instant a party booked for `start` may be marked a no-show.
pub fn no_show_from(rules: &AfterSale, start: DateTime<Utc>) -> DateTime<Utc> {
    start + Duration::minutes(i64::from(rules.no_show_after_min))
}

/// Checks that at `now` the party booked for `start` may be seated (`None`: undated, always).
pub fn check_seat(rules: &AfterSale, start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), AfterSaleError> {
    match start.map(|s| seat_from(rules, s)) {
        Some(from) if now < from => Err(AfterSaleError::NotStarted(from)),
        _ => Ok(()),
    }
}

/// Checks that at `now` the party booked for `start` may be marked a no-show.
pub fn check_no_show(rules: &AfterSale, start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), AfterSaleError> {
    match start.map(|s| no_show_from(rules, s)) {
        Some(from) if now < from => Err(AfterSaleError::NotStarted(from)),
        _ => Ok(()),
    }
}

/// The new expiry of a held hold made at `created`, extended at `now` by `seconds`: never
/// past `hold_max_s` after its creation.
pub fn extended(rules: &AfterSale, created: DateTime<Utc>, now: DateTime<Utc>, seconds: u32) -> Result<DateTime<Utc>, AfterSaleError> {
    let latest = created + Duration::seconds(i64::from(rules.hold_max_s));
    let want = now + Duration::seconds(i64::from(seconds));
    if want > latest {
        return Err(AfterSaleError::HoldLimit(latest));
    }
    Ok(want)
}
