//! The resource document parser and validator, and every rule that runs on what it accepts:
//! whatever the bytes, no panic; an accepted document round-trips through its canonical JSON
//! and can be evaluated (availability of a few days, limits).
#![no_main]

use aforo_core::{AvailabilityQuery, CalendarQuery, Resource, Snapshot, State};
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
    let _ = aforo_core::eval::limits_between(&snap, day, day);
});
