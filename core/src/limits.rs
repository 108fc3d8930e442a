//! The limits of a resource document: what each part may hold, and the budgets its worst-case
//! work must stay within (`cost` computes that worst case).
//!
//! Every read and every hold costs something that grows with the document: slots a day,
//! instants a seating spans, table types. A document is refused at the door (`INVALID_CONFIG`
//! with the path and the limit) when its worst case would pass a budget, so that no valid
//! document can make a read or a Redis call slow for everyone else. `docs/limits.md` gives
//! each limit's reason and the measured worst case.

/// Largest `name` (and season name, closure reason), in bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// Most opening intervals on one weekday.
pub const MAX_INTERVALS_PER_DAY: usize = 24;
/// Most closures.
pub const MAX_CLOSURES: usize = 500;
/// Most seasons.
pub const MAX_SEASONS: usize = 64;
/// Most pricing triggers.
pub const MAX_TRIGGERS: usize = 16;
/// Most entries in `tables` (physical tables and pools).
pub const MAX_TABLES: usize = 100;
/// Most tags on one table.
pub const MAX_TAGS: usize = 8;
/// Most combinations of specific tables.
pub const MAX_COMBINATIONS: usize = 64;
/// Most joins of pools.
pub const MAX_JOINS: usize = 64;
/// Most tables in one join.
pub const MAX_JOIN_TABLES: usize = 8;

/// Most slots one date may have (every 5 minutes, round the clock).
pub const MAX_SLOTS_PER_DAY: u32 = 288;
/// Most counters one hold checks and takes for its covers (stock, day, slot, every instant of
/// the seating, every pacing window): the work of the atomic Redis call.
pub const MAX_HOLD_BUCKETS: u32 = 200;
/// Most table counters one hold may check across every table and join that seats its party.
pub const MAX_TABLE_BUCKETS: u32 = 1_500;
/// Most counters the items of one hold request take on one resource together (a cart of
/// several slots of one resource is one atomic Redis call).
pub const MAX_CART_BUCKETS: usize = 2_000;
/// Most counters one date has: what a read fetches from Redis per date.
pub const MAX_DAY_BUCKETS: u32 = 2_000;
/// Most steps evaluating one date takes (slots × the instants each one scans): what a
/// calendar computes per date, at the origin and at the edge.
pub const MAX_DAY_STEPS: u32 = 40_000;
