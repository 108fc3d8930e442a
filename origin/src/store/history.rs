//! Bookings over time, store side: a page of the bookings index (`aforo_bookings`), one bounded
//! step of compacting old dates (`aforo_compact`), and the one-off upgrade of records made
//! before the index (`aforo_index`). docs/retention.md says why each is bounded.

use std::time::Duration;

use chrono_tz::Tz;
use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::holds::encode_starts;
use super::keys::ResourceKeys;
use super::records::HoldStatus;

/// Most members of the bookings index one page call looks at (`BOOKINGS_SCAN` in the library).
pub const BOOKINGS_SCAN: usize = 1000;

/// One hold item in the bookings index, with its record's fields.
#[derive(Debug, Clone)]
pub struct BookingRow {
    /// The index member (`<start ms>|<hold id>|<item>`), the page cursor.
    pub member: String,
    /// The hold id.
    pub hold_id: String,
    /// The item's index in the part's items.
    pub item: usize,
    /// The status shown (a live hold past its expiry reads expired).
    pub status: HoldStatus,
    /// The part's items (JSON, as the record keeps them).
    pub items: String,
    /// Expiry, creation, consumption (ms).
    pub expires_at_ms: i64,
    /// Creation (ms).
    pub created_at_ms: i64,
    /// Consumption (ms).
    pub consumed_at_ms: Option<i64>,
    /// The buyer's `sub`.
    pub caller: String,
    /// The table or join seated ('' without).
    pub table: String,
    /// The guest (JSON, '' without).
    pub guest: String,
}

/// A page of bookings.
#[derive(Debug, Clone)]
pub struct BookingsPage {
    /// Redis's now (ms).
    pub now_ms: i64,
    /// The member to go on after, when there may be more.
    pub next: Option<String>,
    /// The bookings found.
    pub rows: Vec<BookingRow>,
}

/// A member's hold id and item, when it is well formed.
pub fn parse_member(m: &str) -> Option<(&str, usize)> {
    let mut p = m.split('|');
    let (start, id, item) = (p.next()?, p.next()?, p.next()?);
    let ok = p.next().is_none() && start.len() == 15 && start.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(())?;
    Some((id, item.parse().ok()?))
}

/// The smallest member starting at `ms` (a `ZRANGE BYLEX` bound is `[` or `(` before it).
pub fn member_at(ms: i64) -> String {
    format!("{:015}", ms.max(0))
}

/// What one compaction step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// The round over this resource is over.
    pub done: bool,
    /// Fields, members, keys or entries dropped.
    pub dropped: u64,
}

impl Store {
    /// One page of a resource's bookings between the `ZRANGE BYLEX` bounds `min` and `max`,
    /// at most `limit`, of `status` when given.
    /// `q`: a lowercased piece of the guest's name, phone or email.
    pub async fn bookings(
        &self,
        id: &str,
        min: &str,
        max: &str,
        limit: usize,
        status: Option<&str>,
        q: Option<&str>,
    ) -> Result<BookingsPage, StoreError> {
        let keys = vec![ResourceKeys::new(id).bookings()];
        let args = vec![min.to_string(), max.to_string(), limit.to_string(), status.unwrap_or("").to_string(), q.unwrap_or("").to_string()];
        let out = self.fcall("aforo_bookings", keys, args).await?;
        let now_ms = out.parsed(0, "now")?;
        let next = out.text(1, "next")?;
        let next = (!next.is_empty()).then(|| next.to_string());
        let mut rows = Vec::new();
        for r in out.rest(2).chunks(9) {
            let [member, status, items, exp, created, consumed, caller, table, guest] = r else { return Err(out.unexpected()) };
            let Some((hold_id, item)) = parse_member(member) else { continue };
            let num = |s: &str, f: &'static str| s.parse::<i64>().map_err(|_| StoreError::Reply("aforo_bookings", format!("{f}: {s:?}")));
            rows.push(BookingRow {
                member: member.clone(),
                hold_id: hold_id.to_string(),
                item,
                status: status.parse().map_err(|_| StoreError::Reply("aforo_bookings", format!("status: {status:?}")))?,
                items: items.clone(),
                expires_at_ms: num(exp, "expires_at")?,
                created_at_ms: num(created, "created_at")?,
                consumed_at_ms: if consumed.is_empty() { None } else { Some(num(consumed, "consumed_at")?) },
                caller: caller.clone(),
                table: table.clone(),
                guest: guest.clone(),
            });
        }
        Ok(BookingsPage { now_ms, next, rows })
    }

    /// One bounded step of compacting a resource's dates older than `retention_d` days
    /// (`offset_ms` moves Redis's clock forward: tests and benchmarks only).
    pub async fn compact_step(&self, id: &str, retention_d: u32, budget: usize, offset_ms: i64) -> Result<Compacted, StoreError> {
        let k = ResourceKeys::new(id);
        let keys = vec![k.meta(), k.counters(), k.settled(), k.bookings(), k.events(), k.compaction()];
        let out =
            self.fcall("aforo_compact", keys, vec![offset_ms.to_string(), retention_d.to_string(), budget.max(1).to_string()]).await?;
        Ok(Compacted { done: out.tag() == Some("done"), dropped: out.parsed(1, "dropped")? })
    }

    /// One bounded step of the one-off upgrade of a resource's records made before the
    /// bookings index: a `SCAN` page of its hold records (at most `count` keys looked at), each
    /// given its `keep_until`, index members and (consumed) longer life. `true` once the scan
    /// is over; the cursor is kept in the compaction state.
    pub async fn upgrade_step(&self, id: &str, retention: Duration, count: u32) -> Result<bool, StoreError> {
        let k = ResourceKeys::new(id);
        let c = self.pool.next();
        let state: Vec<Option<String>> = self.guarded("hmget", c.hmget(k.compaction(), vec!["upgraded", "ucursor"])).await?;
        if state.first().cloned().flatten().is_some() {
            return Ok(true);
        }
        let cursor = state.get(1).cloned().flatten().unwrap_or_else(|| "0".into());
        let (next, keys): (String, Vec<String>) = self.guarded("scan", c.scan_page(cursor, k.hold_pattern(), Some(count), None)).await?;
        let doc: Option<String> = self.guarded("hget", c.hget(k.meta(), "doc")).await?;
        let tz: Tz = doc
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .and_then(|d| d["timezone"].as_str().and_then(|t| t.parse().ok()))
            .unwrap_or(Tz::UTC);
        for key in keys {
            // A one-resource hold keeps its items once, as its body.
            let both: Vec<Option<String>> = self.guarded("hmget", c.hmget(&key, vec!["items", "body"])).await?;
            let items = both.into_iter().flatten().next();
            let Some(items) = items.and_then(|i| serde_json::from_str::<Vec<aforo_core::ItemView>>(&i).ok()) else { continue };
            let (retain, starts) = retain_and_starts(tz, &items);
            let args = vec![retain.map(|t| t.to_string()).unwrap_or_default(), retention.as_millis().to_string(), encode_starts(&starts)];
            self.fcall("aforo_index", vec![key, k.bookings()], args).await?;
        }
        if next == "0" {
            let _: () = self.guarded("hset", c.hset(k.compaction(), [("upgraded", "1")])).await?;
            return Ok(true);
        }
        let _: () = self.guarded("hset", c.hset(k.compaction(), [("ucursor", next.as_str())])).await?;
        Ok(false)
    }
}

/// The end of the items' last date in `tz` (ms; `None` when none is dated) and each item's
/// start in the bookings index: its slot's start, else its date's first instant, else `None`
/// (undated: the hold's creation).
pub fn retain_and_starts(tz: Tz, items: &[aforo_core::ItemView]) -> (Option<i64>, Vec<Option<i64>>) {
    let retain = items.iter().filter_map(|it| it.date).max().map(|d| aforo_core::end_of_local_date(tz, d).timestamp_millis());
    let starts = items
        .iter()
        .map(|it| {
            let slot = it.start.as_deref().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.timestamp_millis());
            slot.or_else(|| it.date.map(|d| aforo_core::start_of_local_date(tz, d).timestamp_millis()))
        })
        .collect();
    (retain, starts)
}
