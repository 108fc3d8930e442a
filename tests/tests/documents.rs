//! Documents as sellers write them, generated across the limits (`aforo_tests::docs`): each
//! is either accepted, and then its worst case bounds what every date really costs and every
//! read answers, or refused for a cost limit that it really passes — never anything else.

#![allow(clippy::unwrap_used)]

use aforo_core::*;
use aforo_core::{costs, over_limits, Costs};
use aforo_tests::docs;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use serde_json::Value;

const NOW: &str = "2026-11-27T09:00:00+00:00";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc)
}

fn snapshot(res: Resource, from: NaiveDate, to: NaiveDate) -> Snapshot {
    Snapshot {
        resource_id: "gen".into(),
        owner: "s".into(),
        state: State { version: 1, on_hand: res.initial_on_hand(), pause: None },
        resource: res,
        covers: Some((from, to)),
        counters: Counters::default(),
        as_of: now(),
    }
}

/// What one date of a snapshot really costs, measured by doing it.
fn measured(snap: &Snapshot, d: NaiveDate, qty: u32) -> Costs {
    let ev = aforo_core::Evaluator::new(snap, now(), qty, d, d);
    let units = ev.day(d).unwrap_or_default();
    let mut c = Costs { slots_per_day: units.iter().filter(|u| u.slot.is_some()).count() as u32, ..Costs::default() };
    for u in &units {
        c.hold_buckets = c.hold_buckets.max(ev.limits(u).len() as u32);
        c.table_buckets = c.table_buckets.max(ev.choices(u).iter().map(|ch| ch.takes.len() as u32).sum());
    }
    c.day_buckets = buckets_for(&snap.resource, d, d).len() as u32;
    c
}

/// Takes every third slot of a date with a hold of `qty` where it fits.
fn fill(snap: &mut Snapshot, d: NaiveDate, qty: u32) {
    let ev = aforo_core::Evaluator::new(snap, now(), qty, d, d);
    let slots: Vec<String> = ev.day(d).unwrap_or_default().iter().filter_map(|u| u.slot.map(|s| s.name())).step_by(3).collect();
    for slot in slots {
        let item = HoldItem { resource_id: "gen".into(), date: Some(d.to_string()), slot: Some(slot), qty: i64::from(qty), area: None };
        if let Ok(plan) = plan_hold(snap, &item, now()) {
            aforo_core::take(&plan, &mut snap.counters);
        }
    }
}

fn check(doc: &Value, offsets: &[i64], qty: u32) -> Result<(), TestCaseError> {
    let bytes = serde_json::to_vec(doc).unwrap();
    let res = match Resource::from_json(&bytes) {
        Ok(res) => res,
        Err(e) => {
            // Only a cost limit may refuse a generated document, and only one it passes.
            for f in &e.errors {
                prop_assert_eq!(&f.path, "dimensions.slots", "{}", e);
                prop_assert!(f.message.starts_with("too costly"), "{}", e);
            }
            let mut relaxed = doc.clone();
            relaxed["dimensions"]["slots"]["interval_min"] = serde_json::json!(1440);
            relaxed["dimensions"]["slots"]["duration_min"] = serde_json::json!(5);
            prop_assert!(Resource::from_json(&serde_json::to_vec(&relaxed).unwrap()).is_ok(), "refused for more than its cost: {}", e);
            return Ok(());
        }
    };
    prop_assert!(over_limits(&res).is_empty());
    let bound = costs(&res);
    let today = now().date_naive();
    let mut snap = snapshot(res, today - Duration::days(1), today + Duration::days(373));
    for off in offsets {
        let d = today + Duration::days(*off);
        fill(&mut snap, d, qty);
        let m = measured(&snap, d, qty);
        prop_assert!(m.slots_per_day <= bound.slots_per_day, "{d}: {m:?} > {bound:?}");
        prop_assert!(m.hold_buckets <= bound.hold_buckets, "{d}: {m:?} > {bound:?}");
        prop_assert!(m.table_buckets <= bound.table_buckets, "{d}: {m:?} > {bound:?}");
        prop_assert!(m.day_buckets <= bound.day_buckets, "{d}: {m:?} > {bound:?}");
        // A snapshot of the date names every counter a hold there takes, or reads show free
        // what is taken.
        let named: std::collections::BTreeSet<Bucket> = buckets_for(&snap.resource, d, d).into_iter().collect();
        let ev = aforo_core::Evaluator::new(&snap, now(), qty, d, d);
        for u in ev.day(d).unwrap_or_default() {
            let missing =
                ev.takes(&u, qty).into_iter().chain(ev.choices(&u).into_iter().flat_map(|c| c.takes)).find(|t| !named.contains(&t.bucket));
            prop_assert!(missing.is_none(), "{d}: {missing:?} is not in the date's snapshot");
        }
    }
    // The longest calendar and any date's availability answer, and answer the same from the
    // snapshot as it travels to the edge.
    let cal = CalendarQuery::parse(&format!("from={today}&to={}&qty={qty}", today + Duration::days(365))).unwrap();
    let origin_cal = to_json(&calendar(&snap, &cal, now(), false).unwrap());
    let edge = Snapshot::from_doc(serde_json::from_slice(&serde_json::to_vec(&snap.to_doc()).unwrap()).unwrap()).unwrap();
    prop_assert_eq!(&origin_cal, &to_json(&calendar(&edge, &cal, now(), false).unwrap()));
    for off in offsets {
        let q = AvailabilityQuery::parse(&format!("date={}&qty={qty}", today + Duration::days(*off))).unwrap();
        let a = to_json(&availability(&snap, &q, now(), false).unwrap());
        prop_assert_eq!(a, to_json(&availability(&edge, &q, now(), false).unwrap()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_generated_document_is_bounded_or_refused_for_its_cost(
        doc in docs::document(),
        offsets in proptest::collection::vec(0i64..366, 1..4),
        qty in 1u32..=6,
    ) {
        check(&doc, &offsets, qty)?;
    }
}

#[test]
fn the_documents_at_the_limits_are_valid_and_bounded() {
    for (name, doc) in docs::at_limits() {
        let res = Resource::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let c = costs(&res);
        assert!(over_limits(&res).is_empty(), "{name}: {c:?}");
        check(&doc, &[0, 30, 120, 200, 300], 2).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn documents_of_the_issue_are_refused_with_the_limit_they_pass() {
    let week =
        |iv: Value| -> Value { ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), iv.clone())).collect() };
    // A seating of 12 h starting every minute, paced over a day: 35 s per calendar before.
    let frozen = serde_json::json!({"name": "x", "timezone": "UTC", "hours": week(serde_json::json!([["00:00", "24:00"]])),
        "dimensions": {"slots": {"duration_min": 720, "interval_min": 1, "capacity": 5, "concurrent": 10, "pacing": {"window_min": 1440, "max": 10}}}});
    let e = Resource::from_json(&serde_json::to_vec(&frozen).unwrap()).unwrap_err();
    assert!(
        e.errors.iter().any(|f| f.path == "dimensions.slots" && f.message.contains("slots on one date") && f.message.contains("288")),
        "{e}"
    );
    // 10,000 table types: 9.7 s of Redis per hold before.
    let tables: Vec<Value> = (0..10_000).map(|i| serde_json::json!({"type": format!("t{i}"), "count": 1, "seats": [1, 4]})).collect();
    let many = serde_json::json!({"name": "x", "timezone": "UTC",
        "dimensions": {"slots": {"duration_min": 60, "interval_min": 30, "capacity": 5, "tables": tables}}});
    let e = Resource::from_json(&serde_json::to_vec(&many).unwrap()).unwrap_err();
    assert_eq!(e.errors[0].path, "dimensions.slots.tables", "{e}");
    assert!(e.errors[0].message.contains("at most 100"), "{e}");
    // The ordinary restaurant of the issue is accepted.
    let restaurant = serde_json::json!({"name": "x", "timezone": "Europe/Madrid", "hours": week(serde_json::json!([["10:00", "22:00"]])),
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 15, "capacity": 20, "concurrent": 60, "pacing": {"window_min": 15, "max": 12}}}});
    assert!(Resource::from_json(&serde_json::to_vec(&restaurant).unwrap()).is_ok());
}
