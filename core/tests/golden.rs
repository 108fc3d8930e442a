//! Golden tests: the documented examples of API.md, answer by answer.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;

const AS_OF: &str = "2026-12-01T19:00:00+00:00";

fn busy_trattoria() -> Snapshot {
    // 24 covers start at 20:15 on 2026-12-05, and they are all the day has.
    let s = snap(TRATTORIA, &[], "2026-12-01", "2026-12-31", AS_OF);
    let plan = plan_hold(
        &s,
        &HoldItem { resource_id: "r1".into(), date: Some("2026-12-05".into()), slot: Some("20:15".into()), qty: 24, area: None },
        utc(AS_OF),
    );
    let mut counters = s.counters.clone();
    // 24 is over qty.max (8); the counters are what three holds of 8 leave behind.
    assert!(matches!(plan, Err(PlanError::Rule { code: RuleCode::QtyOutOfRange, .. })));
    for _ in 0..3 {
        let p = plan_hold(
            &s,
            &HoldItem { resource_id: "r1".into(), date: Some("2026-12-05".into()), slot: Some("20:15".into()), qty: 8, area: None },
            utc(AS_OF),
        )
        .unwrap();
        assert!(first_overflow(&p.takes, &counters).is_none());
        aforo_core::apply(&p.takes, &mut counters);
    }
    Snapshot { counters, ..s }
}

#[test]
fn api_example_document_validates_as_hybrid() {
    let r = resource(TRATTORIA);
    assert_eq!(r.kind, Kind::Hybrid);
    assert_eq!(r.hold_ttl_s, 600);
    assert_eq!(r.horizon_days, 60);
}

#[test]
fn api_stock_only_example_is_stock() {
    let r = resource(r#"{"name":"Panettone 1kg","timezone":"Europe/Madrid","dimensions":{"stock":{"on_hand":40}}}"#);
    assert_eq!(r.kind, Kind::Stock);
    assert_eq!(r.initial_on_hand(), Some(40));
}

#[test]
fn api_hold_example_price_is_3450_high() {
    let s = busy_trattoria();
    let item =
        HoldItem { resource_id: "trattoria".into(), date: Some("2026-12-05".into()), slot: Some("20:15".into()), qty: 2, area: None };
    let p = plan_hold(&s, &item, utc(AS_OF)).unwrap();
    assert_eq!(p.price, Some(Price { unit_minor: 3450, currency: "EUR".into(), tier: "high".into() }));
    assert_eq!(p.qty, 2);
    assert_eq!(p.ttl_s, 600);
    let v = to_json(&p.view(&s));
    assert_eq!(
        v,
        r#"{"resource_id":"r1","date":"2026-12-05","slot":"20:15","start":"2026-12-05T20:15:00+01:00","qty":2,"price":{"unit_minor":3450,"currency":"EUR","tier":"high"}}"#
    );
}

#[test]
fn api_availability_example_slot_figures() {
    let s = busy_trattoria();
    let q = AvailabilityQuery::parse("date=2026-12-05&qty=2&slot=20:15").unwrap();
    let a = availability(&s, &q, utc(AS_OF), false).unwrap();
    // API.md shows this slot as "available"; by its own rule (20 % or less of the capacity
    // left is "limited") 6 of 30 is limited, and the rule wins.
    let expected = r#"{"resource_id":"r1","kind":"HYBRID","date":"2026-12-05","timezone":"Europe/Madrid","qty":2,"as_of":"2026-12-01T19:00:00+00:00","stale":false,"status":"limited","remaining":6,"limited_by":{"rule":"slot_capacity","used":24,"limit":30,"at":"2026-12-05T20:15:00+01:00"},"slots":[{"slot":"20:15","start":"2026-12-05T20:15:00+01:00","status":"limited","remaining":6,"limited_by":{"rule":"slot_capacity","used":24,"limit":30,"at":"2026-12-05T20:15:00+01:00"},"capacity":30,"utilization":0.8,"price":{"unit_minor":3450,"currency":"EUR","tier":"high"}}],"alternatives":[]}"#;
    assert_eq!(to_json(&a), expected);
}

#[test]
fn api_availability_whole_day_lists_slots_and_best_status() {
    let s = busy_trattoria();
    let a = availability(&s, &AvailabilityQuery::parse("date=2026-12-05&qty=2").unwrap(), utc(AS_OF), false).unwrap();
    let slots = a.slots.as_ref().unwrap();
    // 20:00 .. 22:00 every 15 minutes (22:00 + 90 = 23:30).
    assert_eq!(slots.len(), 9);
    assert_eq!(slots[0].slot, "20:00");
    assert_eq!(slots[8].slot, "22:00");
    assert_eq!(a.status, Status::Available);
    // The 21:00 seating overlaps 20:15's: concurrent 60 - 24 = 36, the day 160 - 24 = 136.
    let s2100 = slots.iter().find(|x| x.slot == "21:00").unwrap();
    assert_eq!(s2100.remaining, 30);
    let s2200 = slots.iter().find(|x| x.slot == "22:00").unwrap();
    assert_eq!(s2200.remaining, 30);
    assert_eq!(a.remaining, 30);
}

#[test]
fn api_sold_out_example_gives_alternatives_nearest_first() {
    let mut s = busy_trattoria();
    // Fill 19:... no: fill 20:15 to 29 so that a party of 2 does not fit; 20:00 and 20:30
    // are the nearest alternatives, then 20:45.
    *s.counters.0.get_mut(&"s:2026-12-05T20:15".parse::<Bucket>().unwrap()).unwrap() = 29;
    let a = availability(&s, &AvailabilityQuery::parse("date=2026-12-05&qty=2&slot=20:15").unwrap(), utc(AS_OF), false).unwrap();
    assert_eq!(a.status, Status::SoldOut);
    let names: Vec<_> = a.alternatives.iter().map(|x| x.slot.clone().unwrap()).collect();
    assert_eq!(names, ["20:00", "20:30", "20:45", "21:00", "21:15"]);
    assert!(a.alternatives.iter().all(|x| x.date.to_string() == "2026-12-05"));
    let j = to_json(&a.alternatives[0]);
    assert_eq!(j, r#"{"date":"2026-12-05","slot":"20:00","start":"2026-12-05T20:00:00+01:00","remaining":30}"#);
}

#[test]
fn api_closure_is_closed_with_alternatives_after_it() {
    let s = snap(TRATTORIA, &[], "2026-12-01", "2027-01-10", AS_OF);
    let a = availability(&s, &AvailabilityQuery::parse("date=2026-12-26&qty=2").unwrap(), utc(AS_OF), false).unwrap();
    assert_eq!(a.status, Status::Closed);
    assert_eq!(a.reason, Some(RuleCode::Closed));
    assert_eq!(a.slots.as_deref(), Some(&[][..]));
    // 2026-12-29 is the next Tuesday: its lunch and dinner slots follow.
    assert_eq!(a.alternatives.len(), 5);
    assert_eq!(a.alternatives[0].date.to_string(), "2026-12-29");
    assert_eq!(a.alternatives[0].slot.as_deref(), Some("13:00"));
}

#[test]
fn api_stock_only_availability_shape() {
    let json = r#"{"name":"Panettone 1kg","timezone":"Europe/Madrid","dimensions":{"stock":{"on_hand":40}},"pricing":{"currency":"EUR","base_minor":1999}}"#;
    let mut s = snap(json, &[("stock", 38)], "2026-12-01", "2026-12-01", AS_OF);
    s.covers = None;
    let a = availability(&s, &AvailabilityQuery::parse("qty=1").unwrap(), utc(AS_OF), false).unwrap();
    assert_eq!(
        to_json(&a),
        r#"{"resource_id":"r1","kind":"STOCK","timezone":"Europe/Madrid","qty":1,"as_of":"2026-12-01T19:00:00+00:00","stale":false,"status":"limited","remaining":2,"limited_by":{"rule":"stock","used":38,"limit":40},"capacity":40,"utilization":0.95,"price":{"unit_minor":1999,"currency":"EUR","tier":"standard"},"alternatives":[]}"#
    );
    let a3 = availability(&s, &AvailabilityQuery::parse("qty=3").unwrap(), utc(AS_OF), false).unwrap();
    assert_eq!(a3.status, Status::SoldOut);
}

#[test]
fn api_calendar_shape_one_entry_per_day() {
    let s = busy_trattoria();
    let c = calendar(&s, &CalendarQuery::parse("from=2026-12-01&to=2026-12-07&qty=2").unwrap(), utc(AS_OF), false).unwrap();
    assert_eq!(c.days.len(), 7);
    let st: Vec<_> = c.days.iter().map(|d| d.status).collect();
    // Tue 1st: lunch gone (lead time 240 from 20:00 local), dinner too (cutoff 18:00);
    // Wed 2nd open; Thu/Fri closed by hours; Sat 5th open; Sun/Mon closed.
    assert_eq!(st, [Status::TooLate, Status::Available, Status::Closed, Status::Closed, Status::Available, Status::Closed, Status::Closed]);
    let j = to_json(&c.days[4]);
    assert_eq!(
        j,
        r#"{"date":"2026-12-05","status":"available","remaining":30,"limited_by":{"rule":"slot_capacity","used":0,"limit":30,"at":"2026-12-05T20:00:00+01:00"},"price":{"unit_minor":3000,"currency":"EUR","tier":"standard"}}"#
    );
}

#[test]
fn hold_ttl_and_version_travel_in_the_plan() {
    let mut s = busy_trattoria();
    s.state.version = 7;
    let p = plan_hold(
        &s,
        &HoldItem { resource_id: "r1".into(), date: Some("2026-12-05".into()), slot: Some("21:00".into()), qty: 4, area: None },
        utc(AS_OF),
    )
    .unwrap();
    assert_eq!(p.version, 7);
    assert_eq!(p.ttl_s, 600);
    // day + slot + 5 moments (the starts 21:00..22:00 inside the 90-minute seating; the
    // last start of the night is 22:00) + 1 pacing window.
    assert_eq!(p.takes.len(), 1 + 1 + 5 + 1);
    assert!(p.takes.iter().all(|t| t.qty == 4));
}
