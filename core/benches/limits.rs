//! `cargo bench -p aforo-core --bench limits`: the worst case of the documents at the limits
//! of `docs/limits.md` (`tests/documents/`): validation, a one-year calendar, one date's
//! availability, a hold plan, and the counters a year's read names.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use aforo_core::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion};

const DOCS: &[(&str, &str)] = &[
    ("restaurant-12h", include_str!("../../tests/documents/restaurant-12h.json")),
    ("at-limit-day", include_str!("../../tests/documents/at-limit-day.json")),
    ("at-limit-hold", include_str!("../../tests/documents/at-limit-hold.json")),
    ("at-limit-tables", include_str!("../../tests/documents/at-limit-tables.json")),
    ("at-limit-floor", include_str!("../../tests/documents/at-limit-floor.json")),
    ("at-limit-document", include_str!("../../tests/documents/at-limit-document.json")),
];

/// A snapshot of a year from `from`, with a third of every slot's capacity taken by holds of
/// two where they fit: counters on every date, as a busy season has them.
fn busy_year(json: &str, from: NaiveDate, now: DateTime<Utc>) -> Snapshot {
    let resource = Resource::from_json(json.as_bytes()).unwrap();
    let to = from + Duration::days(373);
    let mut snap = Snapshot {
        resource_id: "bench".into(),
        owner: "s".into(),
        state: State { version: 1, on_hand: resource.initial_on_hand(), pause: None },
        resource,
        covers: Some((from, to)),
        counters: Counters::default(),
        as_of: now,
    };
    let mut d = from;
    while d <= to {
        let dates = aforo_core::Evaluator::new(&snap, now, 2, d, d);
        let slots: Vec<_> = dates.day(d).unwrap_or_default().iter().filter_map(|u| u.slot.map(|s| s.name())).collect();
        for (i, slot) in slots.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
            let item = HoldItem { resource_id: "bench".into(), date: Some(d.to_string()), slot: Some(slot.clone()), qty: 2, area: None };
            if let Ok(plan) = plan_hold(&snap, &item, now) {
                aforo_core::take(&plan, &mut snap.counters);
            }
            let _ = i;
        }
        d += Duration::days(1);
    }
    snap
}

fn benches(c: &mut Criterion) {
    let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00+00:00").unwrap().with_timezone(&Utc);
    let from = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let cal = CalendarQuery::parse("from=2026-12-01&to=2027-12-01&qty=2").unwrap();
    for (name, json) in DOCS {
        let snap = busy_year(json, from, now);
        let busy = (0..30)
            .map(|k| from + Duration::days(k))
            .find(|d| aforo_core::Evaluator::new(&snap, now, 2, *d, *d).day(*d).is_ok_and(|u| !u.is_empty()))
            .unwrap_or(from);
        let day = AvailabilityQuery::parse(&format!("date={busy}&qty=2")).unwrap();
        let first = aforo_core::Evaluator::new(&snap, now, 2, busy, busy).day(busy).unwrap_or_default();
        let item = HoldItem {
            resource_id: "bench".into(),
            date: Some(busy.to_string()),
            slot: first.first().and_then(|u| u.slot.map(|s| s.name())),
            qty: 2,
            area: None,
        };
        c.bench_function(&format!("{name}/validate"), |b| b.iter(|| Resource::from_json(black_box(json.as_bytes())).unwrap()));
        c.bench_function(&format!("{name}/calendar_366_days_json"), |b| {
            b.iter(|| to_json(&calendar(black_box(&snap), &cal, now, false).unwrap()))
        });
        c.bench_function(&format!("{name}/availability_day_json"), |b| {
            b.iter(|| to_json(&availability(black_box(&snap), &day, now, false).unwrap()))
        });
        c.bench_function(&format!("{name}/hold_plan"), |b| b.iter(|| plan_hold(black_box(&snap), &item, now).ok()));
        c.bench_function(&format!("{name}/buckets_374_days"), |b| {
            b.iter(|| buckets_for(black_box(&snap.resource), from, from + Duration::days(373)).len())
        });
    }
}

criterion_group! {
    name = limit_benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = benches
}
criterion_main!(limit_benches);
