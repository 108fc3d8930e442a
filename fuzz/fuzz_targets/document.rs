//! The resource document parser and validator, and every rule that runs on what it accepts:
//! whatever the bytes, no panic; an accepted document round-trips through its canonical JSON
//! and can be evaluated (availability of a few days, limits); and its work is bounded: every
//! hold plan, every date's counters and every date's slots stay within `aforo_core::limits`,
//! so that fuzzing finds cost bugs, not only panics.
#![no_main]

use aforo_core::costs;
use aforo_core::limits::{MAX_DAY_BUCKETS, MAX_HOLD_BUCKETS, MAX_SLOTS_PER_DAY, MAX_TABLE_BUCKETS};
use aforo_core::{buckets_for, plan_hold, AvailabilityQuery, CalendarQuery, HoldItem, Resource, Snapshot, State};
use chrono::{DateTime, NaiveDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(res) = Resource::from_json(data) else { return };
    let canonical = serde_json::to_vec(&res.doc).expect("a parsed document serialises");
    let again = Resource::from_json(&canonical).expect("the canonical form of an accepted document is accepted");
    assert_eq!(again.kind, res.kind);
    let now = DateTime::from_timestamp(1_798_761_600, 0).expect("2027-01-01"); // fixed: no clock
    let snap = Snapshot {
        resource_id: "f".into(),
        owner: "o".into(),
        state: State { version: 1, on_hand: res.initial_on_hand(), pause: None },
        resource: res,
        covers: None,
        counters: Default::default(),
        as_of: now,
    };
    let day = NaiveDate::from_ymd_opt(2027, 3, 28).expect("date"); // a DST change in Europe
    if let Ok(q) = AvailabilityQuery::parse("date=2027-03-28&qty=2") {
        let _ = aforo_core::availability(&snap, &q, now, false);
    }
    if let Ok(q) = CalendarQuery::parse("from=2027-03-27&to=2027-03-30") {
        let _ = aforo_core::calendar(&snap, &q, now, false);
    }
    let _ = aforo_core::limits_between(&snap, day, day);
    // The warnings of any valid document are bounded work too, and never panic.
    let _ = aforo_core::warnings(&snap.resource);

    // Bounded work: what the document's worst case says, and the limits, hold on real dates.
    let bound = costs(&snap.resource);
    assert!(bound.slots_per_day <= MAX_SLOTS_PER_DAY && bound.hold_buckets <= MAX_HOLD_BUCKETS, "{bound:?}");
    assert!(bound.table_buckets <= MAX_TABLE_BUCKETS && bound.day_buckets <= MAX_DAY_BUCKETS, "{bound:?}");
    for d in [day, NaiveDate::from_ymd_opt(2027, 10, 31).expect("date")] {
        assert!(buckets_for(&snap.resource, d, d).len() as u32 <= bound.day_buckets, "{d}: {bound:?}");
        let ev = aforo_core::Evaluator::new(&snap, now, 2, d, d);
        let units = ev.day(d).unwrap_or_default();
        assert!(units.iter().filter(|u| u.slot.is_some()).count() as u32 <= bound.slots_per_day, "{d}: {bound:?}");
        for u in units.iter().take(8) {
            let slot = u.slot.map(|s| s.name());
            let item = HoldItem { resource_id: "f".into(), date: Some(d.to_string()), slot, qty: 2, area: None };
            if let Ok(plan) = plan_hold(&snap, &item, now) {
                assert!(plan.takes.len() as u32 <= bound.hold_buckets, "{d}: {} takes, {bound:?}", plan.takes.len());
                let tables: usize = plan.choices.iter().map(Vec::len).sum();
                assert!(tables as u32 <= bound.table_buckets, "{d}: {tables} table takes, {bound:?}");
            }
        }
    }
});
