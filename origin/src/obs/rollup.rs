//! The monthly SLO record: each origin adds its completed minutes (from the rolling windows
//! of [`super::slo`]) to one Redis hash per UTC hour, kept 400 days; the report reads a
//! month's hours back and judges them against the targets. Time is always an argument.
//!
//! An hour's hash holds, summed over every origin: `minutes` (origin-minutes recorded, with
//! or without traffic: an hour without it is *missing*, not quiet), and per class (`all`,
//! `hold`, `read`) `<class>:n` requests, `<class>:e` 5xx answers and, for `hold` and `read`,
//! `<class>:b<i>` requests in latency bucket `i`.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use super::slo::{bucket_bounds_ms, Class, Slo, Window, LATENCY_BUCKETS};
use crate::config::Targets;

/// How long an hour's roll-up is kept, in days.
pub const KEEP_DAYS: u64 = 400;

/// What to add to each hour (Unix hour index) for the minutes after `cursor` (a Unix minute
/// index) and before `now_ms`'s minute, and the new cursor. Minutes no longer in the
/// windows (more than an hour ago) are not claimed: their hours show as missing.
pub fn pending(slo: &Slo, cursor: i64, now_ms: i64) -> (BTreeMap<i64, BTreeMap<String, i64>>, i64) {
    let now_min = now_ms.div_euclid(60_000);
    let from = cursor.max(now_min - 61);
    let mut out: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    for m in (from + 1)..now_min {
        *out.entry(m.div_euclid(60)).or_default().entry("minutes".into()).or_default() += 1;
    }
    for (m, class, w) in slo.minutes(from, now_min) {
        let h = out.entry(m.div_euclid(60)).or_default();
        let mut add = |k: String, v: u64| *h.entry(k).or_default() += v as i64;
        add("all:n".into(), w.count);
        add("all:e".into(), w.errors);
        let name = match class {
            Class::Hold => "hold",
            Class::Read => "read",
            Class::Other => continue,
        };
        add(format!("{name}:n"), w.count);
        add(format!("{name}:e"), w.errors);
        for i in 0..LATENCY_BUCKETS {
            if w.bucket(i) > 0 {
                add(format!("{name}:b{i}"), w.bucket(i));
            }
        }
    }
    out.retain(|_, f| f.values().any(|v| *v != 0));
    (out, (now_min - 1).max(cursor))
}

/// The first and last-plus-one Unix hour of month `YYYY-MM`.
pub fn month_hours(month: &str) -> Result<(i64, i64), String> {
    let bad = || format!("month: expected YYYY-MM, got {month:?}");
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    if month.len() != 7 {
        return Err(bad());
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(bad)?;
    let hour = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t).timestamp().div_euclid(3600));
    Ok((hour(first).ok_or_else(bad)?, hour(next).ok_or_else(bad)?))
}

fn hour_text(h: i64) -> String {
    Utc.timestamp_opt(h * 3600, 0).single().map(|t| t.format("%Y-%m-%dT%H:00Z").to_string()).unwrap_or_default()
}

fn window(fields: &HashMap<String, i64>, class: &str) -> Window {
    let get = |k: &str| fields.get(&format!("{class}:{k}")).copied().unwrap_or(0).max(0) as u64;
    let buckets = (0..LATENCY_BUCKETS).map(|i| (i, get(&format!("b{i}"))));
    Window::from_parts(get("n"), get("e"), buckets)
}

/// Requests of `w` slower than `target_ms` (whole buckets above it).
fn slow(w: &Window, target_ms: f64) -> u64 {
    (0..LATENCY_BUCKETS).filter(|i| bucket_bounds_ms(*i).0 >= target_ms).map(|i| w.bucket(i)).sum()
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| (a / b * 10_000.0).round() / 10_000.0)
}

/// The report of month `month` from its `hours` (Unix hour → fields), at `now_ms`.
pub fn report(month: &str, hours: &BTreeMap<i64, HashMap<String, i64>>, t: Targets, now_ms: i64) -> Result<Value, String> {
    let (start, end) = month_hours(month)?;
    let done = now_ms.div_euclid(3_600_000).clamp(start, end);
    let recorded =
        |h: &i64| hours.get(h).is_some_and(|f| f.get("minutes").copied().unwrap_or(0) > 0 || f.get("all:n").copied().unwrap_or(0) > 0);
    let mut missing: Vec<(i64, i64)> = Vec::new();
    for h in start..done {
        if !recorded(&h) {
            match missing.last_mut() {
                Some((_, to)) if *to == h => *to = h + 1,
                _ => missing.push((h, h + 1)),
            }
        }
    }
    let (mut all, mut hold, mut read) = (Window::empty(), Window::empty(), Window::empty());
    let (mut err_hours, mut hold_hours, mut read_hours) = (0, 0, 0);
    for (_, f) in hours.range(start..end) {
        let (a, h, r) = (window(f, "all"), window(f, "hold"), window(f, "read"));
        err_hours += u32::from(a.error_rate().is_some_and(|e| e >= t.error_rate));
        hold_hours += u32::from(h.p95_ms().is_some_and(|p| p > t.hold_p95_ms));
        read_hours += u32::from(r.p95_ms().is_some_and(|p| p > t.read_p95_ms));
        all.merge(&a);
        hold.merge(&h);
        read.merge(&r);
    }
    let n = all.count as f64;
    let e = all.errors as f64;
    let avail = all.error_rate().map(|x| 1.0 - x);
    let latency = |name: &str, w: &Window, target: f64, breached: u32| {
        let p95 = w.p95_ms();
        json!({"slo": name, "target": target, "achieved": p95, "requests": w.count,
               "slow_requests": slow(w, target),
               "error_budget_used": ratio(slow(w, target) as f64, 0.05 * w.count as f64),
               "hours_breached": breached, "met": p95.map(|p| p <= target)})
    };
    let slos = vec![
        json!({"slo": "availability", "target": t.availability, "achieved": avail, "requests": all.count, "errors": all.errors,
               "error_budget_used": ratio(e, (1.0 - t.availability) * n), "met": avail.map(|a| a >= t.availability)}),
        json!({"slo": "error_rate", "target": t.error_rate, "achieved": all.error_rate(),
               "error_budget_used": ratio(e, t.error_rate * n), "hours_breached": err_hours,
               "met": all.error_rate().map(|r| r < t.error_rate)}),
        latency("hold_p95_ms", &hold, t.hold_p95_ms, hold_hours),
        latency("read_p95_ms", &read, t.read_p95_ms, read_hours),
    ];
    let missing_hours: i64 = missing.iter().map(|(a, b)| b - a).sum();
    Ok(json!({
        "month": month,
        "generated_at": hour_text(now_ms.div_euclid(3_600_000)),
        "hours_in_month": end - start,
        "hours_elapsed": done - start,
        "hours_with_data": (done - start) - missing_hours,
        "missing_hours": missing_hours,
        "missing": missing.iter().map(|(a, b)| json!({"from": hour_text(*a), "to": hour_text(*b)})).collect::<Vec<_>>(),
        "note": "hours are UTC; an hour is missing when no origin recorded it (down, or cut off from Redis); \
                 latency figures are read from buckets 25 % wide; the error budget of a latency SLO is 5 % of its requests",
        "slos": slos,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    // 2027-01-15T10:00:00Z
    const T0: i64 = 1_800_007_200_000;

    fn into_hours(b: BTreeMap<i64, BTreeMap<String, i64>>, into: &mut BTreeMap<i64, HashMap<String, i64>>) {
        for (h, f) in b {
            let e = into.entry(h).or_default();
            for (k, v) in f {
                *e.entry(k).or_default() += v;
            }
        }
    }

    #[test]
    fn minutes_roll_up_once_into_their_hour() {
        let slo = Slo::new(Targets::default());
        for i in 0..100 {
            let status = if i == 0 { 503 } else { 201 };
            slo.record(T0 + i * 100, "POST", "/v1/holds", status, Duration::from_millis(5));
        }
        slo.record(T0 + 30_000, "GET", "/v1/resources/{id}/availability", 200, Duration::from_millis(900));
        let cursor = T0 / 60_000 - 1;
        // The minute is not over: nothing but no claim either.
        let (add, c1) = pending(&slo, cursor, T0 + 59_000);
        assert!(add.is_empty(), "{add:?}");
        assert_eq!(c1, cursor);
        let (add, c2) = pending(&slo, c1, T0 + 61_000);
        let h = &add[&(T0 / 3_600_000)];
        assert_eq!((h["minutes"], h["all:n"], h["all:e"], h["hold:n"], h["read:n"]), (1, 101, 1, 100, 1));
        // Flushed once: the next flush adds only the new quiet minute.
        let (again, _) = pending(&slo, c2, T0 + 121_000);
        assert_eq!(again[&(T0 / 3_600_000)].get("all:n"), None);
        assert_eq!(again[&(T0 / 3_600_000)]["minutes"], 1);
    }

    #[test]
    fn the_report_judges_the_month_and_states_missing_hours() {
        let slo = Slo::new(Targets::default());
        let mut hours = BTreeMap::new();
        // Two hours of traffic on 2027-01-15 at 10:00 and 11:00, each flushed once over; one
        // of the 1000 answers a 5xx, 10 are slow.
        let mut cursor = T0 / 60_000 - 1;
        for hour in 0..2 {
            for i in 0..500 {
                let at = T0 + hour * 3_600_000 + (i % 60) * 60_000;
                let status = if hour == 0 && i == 7 { 500 } else { 201 };
                slo.record(at, "POST", "/v1/holds", status, Duration::from_millis(if i < 495 { 8 } else { 900 }));
            }
            let (add, c) = pending(&slo, cursor, T0 + (hour + 1) * 3_600_000 + 1);
            cursor = c;
            into_hours(add, &mut hours);
        }
        let now = T0 + 3 * 3_600_000;
        let r = report("2027-01", &hours, Targets::default(), now).expect("a month");
        assert_eq!(r["hours_in_month"], 744);
        // 14 days and 13 hours (to 2027-01-15T13:00): two with data.
        assert_eq!(r["hours_elapsed"], 14 * 24 + 13);
        assert_eq!(r["hours_with_data"], 2);
        assert_eq!(r["missing"][0]["from"], "2027-01-01T00:00Z");
        assert_eq!(r["missing"][0]["to"], "2027-01-15T10:00Z");
        assert_eq!(r["missing"][1]["from"], "2027-01-15T12:00Z");
        let av = &r["slos"][0];
        assert_eq!((av["requests"].as_u64(), av["errors"].as_u64()), (Some(1000), Some(1)));
        assert_eq!(av["error_budget_used"], 0.2, "1 error of 5 allowed: {av}");
        assert_eq!(av["met"], true);
        let hold = &r["slos"][2];
        assert_eq!((hold["slow_requests"].as_u64(), hold["met"].as_bool()), (Some(10), Some(true)), "{hold}");
        assert_eq!(hold["error_budget_used"], 0.2);
        assert!(report("2027-13", &hours, Targets::default(), now).is_err());
        assert!(report("27-01", &hours, Targets::default(), now).is_err());
    }

    #[test]
    fn a_month_ahead_has_no_elapsed_hours_and_december_ends_in_january() {
        let r = report("2027-12", &BTreeMap::new(), Targets::default(), T0).expect("a month");
        assert_eq!((r["hours_elapsed"].as_i64(), r["missing_hours"].as_i64(), r["hours_in_month"].as_i64()), (Some(0), Some(0), Some(744)));
        assert_eq!(r["slos"][0]["achieved"], Value::Null);
    }
}
