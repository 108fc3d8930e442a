//! `cargo bench -p aforo-core --bench availability`: the read and plan paths on a busy
//! 15-minute-slot hybrid resource (daily + slots with concurrent and pacing).
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

include!("fixture.rs");

fn benches(c: &mut Criterion) {
    let (snap, now) = busy();
    let day = AvailabilityQuery::parse("date=2026-12-12&qty=2").unwrap();
    let cal = CalendarQuery::parse("from=2026-12-01&to=2026-12-31&qty=2").unwrap();
    let item = HoldItem { resource_id: "bench".into(), date: Some("2026-12-12".into()), slot: Some("20:15".into()), qty: 2, area: None };
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
