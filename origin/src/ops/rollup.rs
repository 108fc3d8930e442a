//! The monthly SLO record: the loop that adds this origin's completed minutes to the hourly
//! roll-ups in Redis, and the month's report read from them (route and command line).

use std::sync::Mutex;

use serde_json::Value;

use crate::app::AppRef;
use crate::config::Targets;
use crate::obs::rollup;
use crate::store::{Store, StoreError};

/// Adds the minutes completed since `cursor` (a Unix minute), hour by hour; the cursor moves
/// past each hour once it is stored, so that a failure retries only what was not added.
pub async fn flush(app: &AppRef, cursor: &Mutex<i64>) {
    let now = app.now().timestamp_millis();
    let from = *cursor.lock().unwrap_or_else(|p| p.into_inner());
    let (hours, upto) = rollup::pending(&app.slo, from, now);
    for (hour, fields) in hours {
        if let Err(e) = app.store.slo_add(hour, &fields).await {
            tracing::warn!(error = %e, hour, "could not add the SLO roll-up; retrying at the next flush");
            return;
        }
        let done = (hour + 1) * 60 - 1;
        let mut c = cursor.lock().unwrap_or_else(|p| p.into_inner());
        *c = (*c).max(done.min(upto));
    }
    let mut c = cursor.lock().unwrap_or_else(|p| p.into_inner());
    *c = (*c).max(upto);
}

/// The report of `month` (`YYYY-MM`) at `now_ms`: `Err(Ok(why))` for a month that is not
/// one, `Err(Err(_))` when the store fails.
pub async fn month_report(store: &Store, month: &str, targets: Targets, now_ms: i64) -> Result<Value, Result<String, StoreError>> {
    let (start, end) = rollup::month_hours(month).map_err(Ok)?;
    let hours = store.slo_hours(start, end).await.map_err(Err)?;
    rollup::report(month, &hours, targets, now_ms).map_err(Ok)
}
