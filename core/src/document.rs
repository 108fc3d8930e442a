//! The resource document of API.md as typed serde structs.
//!
//! These types mirror the JSON a seller sends, field for field, and refuse unknown fields so
//! that a typo never passes silently. They carry no meaning of their own: [`crate::Resource`]
//! is the validated, compiled form every rule works on.

use serde::{Deserialize, Serialize};

/// A seller's configuration of one thing it sells (API.md, "Resource document").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDoc {
    /// Human-readable name.
    pub name: String,
    /// IANA timezone in which hours, dates and cutoffs are read.
    pub timezone: String,
    /// What is sold: at least one of stock, daily, slots.
    pub dimensions: Dimensions,
    /// Weekly opening hours; absent means open all day every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<WeeklyHours>,
    /// Date ranges during which nothing is sold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closures: Vec<Closure>,
    /// Date ranges that override some settings, highest priority first where they overlap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seasons: Vec<Season>,
    /// Minimum notice, in minutes, between a sale and the start it sells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_time_min: Option<u32>,
    /// Sales for date D end at local `at` on D minus `days_before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<Cutoff>,
    /// How many days ahead can be sold (default 90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon_days: Option<u32>,
    /// Per-hold quantity limits (default 1..unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<QtyLimitsDoc>,
    /// Seconds a hold lasts before it expires by itself (1..=86400, default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ttl_s: Option<u32>,
    /// What one buyer may take of this resource (denial of inventory, docs/abuse.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_buyer: Option<PerBuyerDoc>,
    /// Price and utilization triggers; absent means the engine quotes no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<PricingDoc>,
    /// What a buyer owes when cancelling late; absent: cancelling is always free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<CancellationDoc>,
    /// The waiting list's offer lifetime and size; absent: the defaults (docs/waitlist.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waitlist: Option<WaitlistDoc>,
    /// Seconds after its creation past which a held hold cannot be extended (default 1,800,
    /// or `hold_ttl_s` when longer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_max_s: Option<u32>,
    /// Minutes before its start from which a party may be seated (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_seat_min: Option<u32>,
    /// Minutes after its start from which a party that has not come may be marked a no-show
    /// (default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_show_after_min: Option<u32>,
    /// Whether capacity limits refuse holds (`enforce`) or are only checked and recorded
    /// (`shadow`, for adopting Aforo beside another system); absent: the deployment's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<Enforcement>,
}

/// How capacity limits are applied to holds. Calendar rules (hours, closures, pauses, lead
/// time, cutoff, horizon, qty) refuse in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// A hold that would pass a limit is refused.
    Enforce,
    /// A hold that would pass a limit is granted and marked with the limits it passes.
    Shadow,
}

/// The dimensions a resource draws its units from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimensions {
    /// Physical units without a date (a SKU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<StockDoc>,
    /// A quota per date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily: Option<DailyDoc>,
    /// Time windows with capacity generated from the hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<SlotsDoc>,
}

/// The stock dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockDoc {
    /// Units on hand when the document is stored; later changed by stock adjustments.
    pub on_hand: i64,
}

/// The daily dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyDoc {
    /// Units that may be sold per date.
    pub capacity: i64,
}

/// The slot dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotsDoc {
    /// How long a hold uses its slot, in minutes.
    pub duration_min: i64,
    /// Minutes between two slot starts.
    pub interval_min: i64,
    /// Most units that may start at one slot start.
    pub capacity: i64,
    /// Most units in use at any moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<i64>,
    /// Most units starting within any window of `window_min` minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacing: Option<PacingDoc>,
    /// Restaurant tables: with them, `qty` is the party size and a hold takes one table (or
    /// combination, or join) that seats it for the whole seating. Each entry is a physical
    /// table (`id`) or a pool of interchangeable tables (`type` and `count`, the shorthand).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableDoc>,
    /// Specific tables that can be pushed together, with the party sizes they seat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub combinations: Vec<CombinationDoc>,
    /// Tables of pools (or ids) joined for larger parties: any free tables of those names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<JoinDoc>,
}

/// A physical table (`id`) or, in the shorthand, a pool of `count` tables of one `type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDoc {
    /// The table's id as the floor names it, e.g. `T4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The shorthand: name of a pool of interchangeable tables, e.g. `4-top`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The shorthand: how many tables the pool has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Party sizes it seats, `[min, max]`.
    pub seats: [i64; 2],
    /// The area it stands in (`terrace`, `hall`); a hold may ask for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// Free labels for the host (`window`, `high-chair`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Specific tables pushed together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinationDoc {
    /// The table ids (each a physical table, each once).
    pub of: Vec<String>,
    /// Party sizes the combination seats, `[min, max]`.
    pub seats: [i64; 2],
}

/// Tables of pools pushed together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinDoc {
    /// The pools (or table ids) joined; a pool may repeat.
    pub of: Vec<String>,
    /// Party sizes the join seats, `[min, max]`.
    pub seats: [i64; 2],
}

/// Pacing of starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacingDoc {
    /// Width of the half-open window in minutes.
    pub window_min: i64,
    /// Most units starting within one window.
    pub max: i64,
}

/// One `["HH:MM","HH:MM"]` interval as written.
pub type IntervalDoc = [String; 2];

/// Opening hours per weekday; a day that is absent is closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct WeeklyHours {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mon: Option<Vec<IntervalDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tue: Option<Vec<IntervalDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wed: Option<Vec<IntervalDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thu: Option<Vec<IntervalDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fri: Option<Vec<IntervalDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sat: Option<Vec<IntervalDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sun: Option<Vec<IntervalDoc>>,
}

impl WeeklyHours {
    /// The seven days in order Monday..Sunday with their JSON names.
    pub fn days(&self) -> [(&'static str, Option<&Vec<IntervalDoc>>); 7] {
        [
            ("mon", self.mon.as_ref()),
            ("tue", self.tue.as_ref()),
            ("wed", self.wed.as_ref()),
            ("thu", self.thu.as_ref()),
            ("fri", self.fri.as_ref()),
            ("sat", self.sat.as_ref()),
            ("sun", self.sun.as_ref()),
        ]
    }
}

/// A closure (vacaciones): no sales from `from` to `to`, both inclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// First closed date, `YYYY-MM-DD`.
    pub from: String,
    /// Last closed date, `YYYY-MM-DD`.
    pub to: String,
    /// Why, shown to nobody but the seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A season: settings that override the base ones between two dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Season {
    /// Name, for the seller.
    pub name: String,
    /// First date, inclusive.
    pub from: String,
    /// Last date, inclusive.
    pub to: String,
    /// Higher wins where seasons overlap (per overridden field).
    #[serde(default)]
    pub priority: i32,
    /// What the season changes.
    pub overrides: SeasonOverrides,
}

/// The settings a season may override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonOverrides {
    /// Replaces `dimensions.daily.capacity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_capacity: Option<i64>,
    /// Replaces `dimensions.slots.capacity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_capacity: Option<i64>,
    /// Replaces the weekly hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<WeeklyHours>,
    /// Replaces `lead_time_min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_time_min: Option<u32>,
    /// Replaces `cutoff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<Cutoff>,
    /// Multiplies the base price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_multiplier: Option<f64>,
}

/// Sales cutoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    /// Days before the date at which sales end.
    pub days_before: u32,
    /// Local time, `HH:MM`, at which they end.
    pub at: String,
}

/// Per-hold quantity limits as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QtyLimitsDoc {
    /// Smallest qty (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest qty (default unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// Limits per buyer as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerBuyerDoc {
    /// Units one buyer may have held (not yet consumed) at once (default 2 × `qty.max`, or
    /// 20 without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_held_units: Option<i64>,
    /// Units one buyer may have held or consumed on one date, or in all for stock (default
    /// unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_units_per_date: Option<i64>,
}

/// The waiting list's settings as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitlistDoc {
    /// Seconds an offer made to a waiting party stays held (1..=86400, default 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_ttl_s: Option<i64>,
    /// Entries waiting on one date at most (1..=1000, default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<i64>,
}

/// A cancellation policy as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationDoc {
    /// Hours before the start until which a buyer cancels for free.
    pub free_until_h: i64,
    /// Percent of the price a buyer owes when cancelling later (0..=100).
    pub fee_percent: i64,
}

/// Pricing as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingDoc {
    /// ISO 4217 code, three capital letters.
    pub currency: String,
    /// Unit price in minor units before multipliers.
    pub base_minor: i64,
    /// Utilization thresholds that raise the price.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerDoc>,
}

/// A utilization trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerDoc {
    /// Applies when utilization is at least this (0..=1).
    pub utilization_gte: f64,
    /// Multiplies the price.
    pub multiplier: f64,
    /// Name of the tier, shown with the price.
    pub tier: String,
}
