//! The seatings of a date, as the host view shows them: every booking of the date that is not
//! released or expired (held, paid, seated, finished, no-show, cancelled), with the tables its takes hold at each instant, so that a moved
//! seating shows at its new tables and a finished one only until it was finished.

use std::collections::BTreeMap;

use aforo_core::{epoch_min, Bucket, EpochMin};
use chrono::NaiveDate;
use futures::future::try_join_all;

use crate::app::App;
use crate::error::ApiError;
use crate::store::{decode_takes, HoldRecord, HoldStatus};

/// One party seated on a date.
#[derive(Debug, Clone)]
pub struct Seating {
    /// The hold.
    pub hold_id: String,
    /// The table label its record keeps (`T4+T5`; a pool's type).
    pub label: String,
    /// Its units on the date.
    pub party: u32,
    /// Its status shown now.
    pub status: HoldStatus,
    /// Who made it (the buyer, or the host for a walk-in).
    pub caller: String,
    /// Who the booking is for.
    pub guest: Option<aforo_core::Guest>,
    /// When it was finished (ms).
    pub finished_at_ms: Option<i64>,
    /// When it left its tables before its end (ms): finished, no-show or cancelled.
    pub ended_at_ms: Option<i64>,
    /// Each table (or pool) it holds, with the instants it holds it at, sorted.
    pub tables: BTreeMap<String, Vec<EpochMin>>,
    /// The start of its seating (the item's slot start, or a walk-in's moment).
    pub start: Option<EpochMin>,
}

impl Seating {
    /// From a record, if it is a booking at `now_ms` and seats someone on `date`.
    fn of(hold_id: &str, rec: &HoldRecord, date: NaiveDate, now_ms: i64) -> Result<Option<Seating>, ApiError> {
        let status = rec.shown_status(now_ms);
        if matches!(status, HoldStatus::Released | HoldStatus::Expired | HoldStatus::Void) {
            return Ok(None);
        }
        let party: u32 = rec.items.iter().filter(|it| it.date == Some(date)).map(|it| it.qty).sum();
        let start = rec
            .items
            .iter()
            .filter(|it| it.date == Some(date))
            .filter_map(|it| chrono::DateTime::parse_from_rfc3339(it.start.as_deref()?).ok())
            .map(|t| epoch_min(t.with_timezone(&chrono::Utc)))
            .min();
        if party == 0 {
            return Ok(None);
        }
        let mut tables: BTreeMap<String, Vec<EpochMin>> = BTreeMap::new();
        for t in decode_takes(&rec.takes)? {
            if let Bucket::Table(name, m) = t.bucket {
                tables.entry(name).or_default().push(m);
            }
        }
        for v in tables.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Ok(Some(Seating {
            hold_id: hold_id.to_string(),
            label: rec.table.clone().unwrap_or_default(),
            party,
            status,
            caller: rec.caller.clone(),
            guest: rec.guest.clone(),
            finished_at_ms: rec.finished_at_ms,
            ended_at_ms: rec.finished_at_ms.or(rec.no_show_at_ms).or(rec.cancelled.as_ref().map(|c| c.at_ms)),
            tables,
            start,
        }))
    }

    /// Whether it holds any table at instant `m`.
    pub fn seated_at(&self, m: EpochMin) -> bool {
        self.tables.values().any(|v| v.binary_search(&m).is_ok())
    }

    /// The span it holds `table` for: from its first instant there to the end of the seating
    /// (its start + `duration` minutes); the tables of a seating finished early are free from
    /// the first instant it no longer holds (one step of the grid past its last, `step`
    /// minutes when it holds a single instant).
    pub fn span(&self, table: &str, step: i64, duration: i64) -> Option<(EpochMin, EpochMin)> {
        let v = self.tables.get(table)?;
        let (first, last) = (*v.first()?, *v.last()?);
        let gap = v.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0).min().unwrap_or(step);
        let end = self.start.map_or(last + gap, |s| s + duration);
        // Finished before its end: its tables came back from the grid moment after its last.
        let early = self.ended_at_ms.is_some_and(|ms| ms / 60_000 < end);
        Some((first, if early { end.min(last + gap) } else { end }))
    }
}

/// The live seatings of `date` on resource `id` at `now_ms`, in hold id order.
pub async fn seatings(app: &App, id: &str, date: NaiveDate, now_ms: i64) -> Result<Vec<Seating>, ApiError> {
    let mut ids = app.store.holds_of_date(id, &date.to_string()).await?;
    ids.sort_unstable();
    let records = try_join_all(ids.iter().map(|h| app.store.hold_record(id, h))).await?;
    let mut out = Vec::new();
    for (h, rec) in ids.iter().zip(records) {
        // A record may be gone before the index (the index lives as long as its last hold).
        if let Some(s) = rec.as_ref().map(|r| Seating::of(h, r, date, now_ms)).transpose()?.flatten() {
            out.push(s);
        }
    }
    Ok(out)
}
