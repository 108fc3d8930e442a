//! The validated, compiled resource every rule works on. `compile` builds it from a document.

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

use crate::document::ResourceDoc;

/// Multipliers are kept as integer millionths so that prices round the same everywhere.
pub const MULT_SCALE: u64 = 1_000_000;

/// Default `horizon_days`.
pub const DEFAULT_HORIZON_DAYS: u32 = 90;
/// Default `hold_ttl_s`.
pub const DEFAULT_HOLD_TTL_S: u32 = 600;
/// Largest `hold_ttl_s`.
pub const MAX_HOLD_TTL_S: u32 = 86_400;
/// Largest `horizon_days` (ten years).
pub const MAX_HORIZON_DAYS: u32 = 3_660;
/// Largest capacity, stock or qty figure accepted (fits comfortably in Lua's doubles).
pub const MAX_UNITS: i64 = 1_000_000_000;

/// What a resource sells, derived from its dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// Only `stock`.
    Stock,
    /// Only `daily`.
    Capacity,
    /// Only `slots`.
    Slots,
    /// Two or more dimensions, taken together.
    Hybrid,
}

impl Kind {
    /// The kind as API.md spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Stock => "STOCK",
            Kind::Capacity => "CAPACITY",
            Kind::Slots => "SLOTS",
            Kind::Hybrid => "HYBRID",
        }
    }
}

/// Opening intervals of one day, in local minutes since midnight (end may be 1440).
pub type DayHours = Vec<(u16, u16)>;

/// Weekly hours compiled: index 0 is Monday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week(pub [DayHours; 7]);

impl Week {
    /// The intervals of a weekday.
    pub fn day(&self, wd: Weekday) -> &DayHours {
        &self.0[wd.num_days_from_monday() as usize]
    }
}

/// Compiled cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutoffRule {
    /// Days before the date.
    pub days_before: u32,
    /// Local minute of the day at which sales end.
    pub at_min: u16,
}

/// Compiled slot dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRules {
    /// Duration of use, minutes.
    pub duration_min: u32,
    /// Minutes between starts.
    pub interval_min: u32,
    /// Base capacity per start (seasons may override).
    pub capacity: u32,
    /// Most units in use at any moment.
    pub concurrent: Option<u32>,
    /// `(window_min, max)`.
    pub pacing: Option<(u32, u32)>,
    /// Table types (empty: no table assignment).
    pub tables: Vec<TableType>,
    /// Joins of table types.
    pub joins: Vec<Join>,
}

/// A compiled table: a physical table (`count` 1, named by its id) or a pool of
/// interchangeable tables (the `type`/`count` shorthand). Its counter per seating instant
/// (`t:<name>@<instant>`) holds how many of its tables are in use then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableType {
    /// The table's id, or the pool's type.
    pub name: String,
    /// Tables it stands for: 1 for a physical table.
    pub count: u32,
    /// Whether it is a physical table (`id`) rather than a pool.
    pub physical: bool,
    /// Its area, if any.
    pub area: Option<String>,
    /// The host's labels.
    pub tags: Vec<String>,
    /// Smallest party it seats.
    pub min: u32,
    /// Largest party it seats.
    pub max: u32,
}

/// A compiled combination or join: tables that seat a larger party together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// Its label, the names joined with `+` (`T4+T5`, `4-top+4-top`).
    pub label: String,
    /// Its area: the one area all its tables share, if they do.
    pub area: Option<String>,
    /// Tables used per type: `(index into tables, how many)`.
    pub uses: Vec<(usize, u32)>,
    /// Smallest party it seats.
    pub min: u32,
    /// Largest party it seats.
    pub max: u32,
}

/// Compiled season.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonRule {
    /// Name.
    pub name: String,
    /// First date.
    pub from: NaiveDate,
    /// Last date.
    pub to: NaiveDate,
    /// Priority.
    pub priority: i32,
    /// Overridden daily capacity.
    pub daily_capacity: Option<u32>,
    /// Overridden slot capacity.
    pub slot_capacity: Option<u32>,
    /// Overridden hours.
    pub hours: Option<Week>,
    /// Overridden lead time.
    pub lead_time_min: Option<u32>,
    /// Overridden cutoff.
    pub cutoff: Option<CutoffRule>,
    /// Price multiplier in millionths.
    pub price_mult: Option<u64>,
}

/// Compiled pricing trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// Threshold as a fraction.
    pub utilization_gte: f64,
    /// Multiplier in millionths.
    pub mult: u64,
    /// Tier name.
    pub tier: String,
}

/// Compiled pricing.
#[derive(Debug, Clone, PartialEq)]
pub struct PricingRules {
    /// Currency.
    pub currency: String,
    /// Base unit price in minor units.
    pub base_minor: u64,
    /// Triggers sorted by threshold ascending.
    pub triggers: Vec<Trigger>,
}

/// A validated resource: the document plus everything parsed out of it.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The document as the seller wrote it (returned by GET, sent in snapshots).
    pub doc: ResourceDoc,
    /// Derived kind.
    pub kind: Kind,
    /// Parsed timezone.
    pub tz: Tz,
    /// Whether the stock dimension exists.
    pub has_stock: bool,
    /// Base daily capacity.
    pub daily: Option<u32>,
    /// Slot rules.
    pub slots: Option<SlotRules>,
    /// Weekly hours; `None` is open all day every day.
    pub hours: Option<Week>,
    /// Closed date ranges.
    pub closures: Vec<(NaiveDate, NaiveDate)>,
    /// Seasons.
    pub seasons: Vec<SeasonRule>,
    /// Base lead time.
    pub lead_time_min: u32,
    /// Base cutoff.
    pub cutoff: Option<CutoffRule>,
    /// Horizon in days.
    pub horizon_days: u32,
    /// Per-hold qty min.
    pub qty_min: u32,
    /// Per-hold qty max.
    pub qty_max: Option<u32>,
    /// Hold TTL in seconds.
    pub hold_ttl_s: u32,
    /// What one buyer may take.
    pub per_buyer: PerBuyer,
    /// Pricing.
    pub pricing: Option<PricingRules>,
    /// The booking's life after the sale: cancellation, extension, seating.
    pub after: AfterSale,
}

impl Resource {
    /// Whether some table of the resource stands in `area`.
    pub fn has_area(&self, area: &str) -> bool {
        self.slots.as_ref().is_some_and(|r| r.tables.iter().any(|t| t.area.as_deref() == Some(area)))
    }

    /// Base stock on hand written in the document (adjustments live in the state).
    pub fn initial_on_hand(&self) -> Option<u32> {
        self.doc.dimensions.stock.as_ref().map(|s| s.on_hand as u32)
    }

    /// Whether the resource sells dated units (daily or slots).
    pub fn is_dated(&self) -> bool {
        self.daily.is_some() || self.slots.is_some()
    }
}

/// What one buyer (a token's `sub` with the buyer role) may take of a resource, checked in
/// the same atomic step as the capacity (OWASP OAT-021, denial of inventory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerBuyer {
    /// Units the buyer may have held (not consumed) at once.
    pub max_held_units: u32,
    /// Units the buyer may have held or consumed on one date (stock: in all).
    pub max_units_per_date: Option<u32>,
}

/// `per_buyer.max_held_units` without `qty.max`.
pub const DEFAULT_MAX_HELD_UNITS: u32 = 20;

impl PerBuyer {
    /// The limits a document's `per_buyer` and `qty.max` give.
    pub fn of(max_held_units: Option<u32>, max_units_per_date: Option<u32>, qty_max: Option<u32>) -> Self {
        let default = qty_max.map_or(DEFAULT_MAX_HELD_UNITS, |m| m.saturating_mul(2));
        PerBuyer { max_held_units: max_held_units.unwrap_or(default), max_units_per_date }
    }
}

/// Default `hold_max_s`.
pub const DEFAULT_HOLD_MAX_S: u32 = 1_800;
/// Default `early_seat_min`.
pub const DEFAULT_EARLY_SEAT_MIN: u32 = 30;
/// Default `no_show_after_min`.
pub const DEFAULT_NO_SHOW_AFTER_MIN: u32 = 15;
/// Largest `early_seat_min` and `no_show_after_min` (a day).
pub const MAX_FLOOR_MIN: u32 = 1_440;
/// Largest `cancellation.free_until_h` (a year).
pub const MAX_FREE_UNTIL_H: u32 = 8_784;

/// A resource's rules for a booking after its sale (`aforo_core::refund` and the checks
/// beside it read them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterSale {
    /// What a buyer owes when cancelling late; `None`: always free.
    pub cancellation: Option<Cancellation>,
    /// Seconds after its creation past which a held hold cannot be extended.
    pub hold_max_s: u32,
    /// Minutes before its start from which a party may be seated.
    pub early_seat_min: u32,
    /// Minutes after its start from which a party may be marked a no-show.
    pub no_show_after_min: u32,
    /// The waiting list's settings.
    pub waitlist: WaitlistRules,
}

/// Default `waitlist.offer_ttl_s`.
pub const DEFAULT_OFFER_TTL_S: u32 = 900;
/// Default `waitlist.max_entries`.
pub const DEFAULT_WAITLIST_MAX: u32 = 200;
/// Largest `waitlist.max_entries`.
pub const MAX_WAITLIST_MAX: u32 = 1_000;

/// How the waiting list of a resource behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitlistRules {
    /// Seconds an offer stays held for the party it was made to.
    pub offer_ttl_s: u32,
    /// Entries waiting on one date at most.
    pub max_entries: u32,
}

/// A cancellation policy: free until `free_until_h` hours before the start, then
/// `fee_percent` of the price is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancellation {
    /// Hours before the start until which cancelling is free.
    pub free_until_h: u32,
    /// Percent of the price owed when cancelling later.
    pub fee_percent: u8,
}

/// The rule a resource id must follow: it names Redis keys and URLs.
pub fn valid_resource_id(id: &str) -> bool {
    !matches!(id, "" | "." | "..") && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}
