//! `cargo bench -p aforo-core --bench availability`: the read and plan paths on a busy
//! 15-minute-slot hybrid resource (daily + slots with concurrent and pacing).
#![allow(missing_docs, clippy::unwrap_used)]

use aforo_core::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const DOC: &str = r#"{"name":"bench","timezone":"Europe/Madrid",
  "dimensions":{"daily":{"capacity":400},"slots":{"duration_min":90,"interval_min":15,"capacity":24,"concurrent":60,"pacing":{"window_min":30,"max":30}}},
  "hours":{"mon":[["12:00","16:00"],["19:00","23:30"]],"tue":[["12:00","16:00"],["19:00","23:30"]],"wed":[["12:00","16:00"],["19:00","23:30"]],
           "thu":[["12:00","16:00"],["19:00","23:30"]],"fri":[["12:00","16:00"],["19:00","23:30"]],"sat":[["12:00","16:00"],["19:00","23:30"]],"sun":[["12:00","16:00"],["19:00","23:30"]]},
  "seasons":[{"name":"navidad","from":"2026-12-01","to":"2027-01-06","priority":10,"overrides":{"slot_capacity":30,"price_multiplier":1.2}}],
  "lead_time_min":60,"horizon_days":90,
  "pricing":{"currency":"EUR","base_minor":2500,"triggers":[{"utilization_gte":0.7,"multiplier":1.15,"tier":"high"},{"utilization_gte":0.9,"multiplier":1.3,"tier":"peak"}]}}"#;

fn busy() -> (Snapshot, DateTime<Utc>) {
    let resource = Resource::from_json(DOC.as_bytes()).unwrap();
    let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00+00:00").unwrap().with_timezone(&Utc);
    let from = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let to = from + Duration::days(40);
    let mut snap = Snapshot {
        resource_id: "bench".into(),
        owner: "s".into(),
        resource,
        state: State { version: 1, on_hand: None, pause: None },
        covers: Some((from, to)),
        counters: Counters::default(),
        as_of: now,
    };
    // Fill every slot of every day with two holds of 3 where they fit: a busy month.
    let mut d = from;
    while d <= to {
        let ev = aforo_core::eval::Evaluator::new(&snap, now, 3, d, d);
        let units = ev.day(d).unwrap_or_default();
        for u in units {
            for _ in 0..2 {
                let t = u.takes(3);
                if first_overflow(&t, &snap.counters).is_none() {
                    aforo_core::plan::apply(&t, &mut snap.counters);
                }
            }
        }
        d += Duration::days(1);
    }
    (snap, now)
}

fn benches(c: &mut Criterion) {
    let (snap, now) = busy();
    let day = AvailabilityQuery::parse("date=2026-12-12&qty=2").unwrap();
    let cal = CalendarQuery::parse("from=2026-12-01&to=2026-12-31&qty=2").unwrap();
    let item = HoldItem { resource_id: "bench".into(), date: Some("2026-12-12".into()), slot: Some("20:15".into()), qty: 2 };
    c.bench_function("availability_busy_day_json", |b| b.iter(|| to_json(&availability(black_box(&snap), &day, now, false).unwrap())));
    c.bench_function("calendar_31_days_json", |b| b.iter(|| to_json(&calendar(black_box(&snap), &cal, now, false).unwrap())));
    c.bench_function("hold_plan", |b| b.iter(|| plan_hold(black_box(&snap), &item, now).unwrap()));
    let wire = serde_json::to_vec(&snap.to_doc()).unwrap();
    c.bench_function("snapshot_decode_40_days", |b| {
        b.iter(|| Snapshot::from_doc(serde_json::from_slice(black_box(&wire)).unwrap()).unwrap())
    });
}

criterion_group! {
    name = core_benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = benches
}
criterion_main!(core_benches);
