//! `limited_by` and `max_party` at the origin after real holds in Redis (API.md "Explainable
//! availability"), and the `warnings` of a document that sets a limit that can never bind.

use aforo_tests::explain;
use serde_json::{json, Value};

use crate::common::*;

/// The restaurant: slots every 15 minutes of 16, pacing 20 per `window` minutes, one
/// hour seatings, five tables (24 seats), open 19:00-23:00 UTC every day.
fn room(window: u32) -> Value {
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["19:00", "23:00"]]))).collect();
    json!({"name": "Room", "timezone": "UTC", "hours": week, "qty": {"min": 1, "max": 8}, "per_buyer": {"max_held_units": 100},
        "dimensions": {"slots": {"duration_min": 60, "interval_min": 15, "capacity": 16, "pacing": {"window_min": window, "max": 20},
            "tables": [{"id": "A", "seats": [1, 2]}, {"id": "B", "seats": [1, 2]}, {"id": "C", "seats": [2, 4]},
                       {"id": "D", "seats": [5, 8]}, {"id": "E", "seats": [5, 8]}]}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_that_can_never_bind_is_a_warning_in_the_resource_answer() {
    let e = env();
    // Pacing 20 per 15 minutes: one start of at most 16 per window, so it is never reached.
    let put = e.api.put_resource(&e.seller, "dead", &room(15)).await;
    assert_eq!(put.status, 201, "{:?}", put.body);
    assert_eq!(put.body["warnings"][0]["path"], "dimensions.slots.pacing.max", "{:?}", put.body);
    let got = e.api.get(&e.seller, "/v1/resources/dead").await;
    assert_eq!(got.body["warnings"], put.body["warnings"]);
    // Per 30 minutes two starts share a window: 20 can bind, nothing to say.
    let put = e.api.put_resource(&e.seller, "alive", &room(30)).await;
    assert_eq!((put.status.as_u16(), put.body["warnings"].clone()), (201, json!([])), "{:?}", put.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_and_days_say_which_rule_binds_after_real_holds() {
    let e = env();
    create(&e, "room", &room(30)).await;
    let d = day(2);
    // Two parties of 8 at 20:00: the 8-tops D and E (best fit by id), the slot's 16 gone.
    for key in ["eight-1", "eight-2"] {
        let h = e.api.hold(&e.buyer, key, &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 8})).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
    }
    let a = e.api.availability("room", &format!("date={d}&qty=2")).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let slot = |name: &str| a.body["slots"].as_array().unwrap().iter().find(|s| s["slot"] == name).unwrap().clone();
    let at = |hhmm: &str| format!("{d}T{hhmm}:00+00:00");
    // 20:00: slot capacity spent, while the free 2-tops and 4-top could still seat 4.
    let s = slot("20:00");
    assert_eq!(s["limited_by"], json!({"rule": "slot_capacity", "used": 16, "limit": 16, "at": at("20:00")}));
    assert_eq!((s["remaining"].clone(), s["max_party"].clone()), (json!(0), json!(4)));
    // 20:15: the half hour from 20:00 has 16 of its 20 starts; the tables also leave 4, and
    // the tie goes to pacing.
    let s = slot("20:15");
    assert_eq!(s["limited_by"], json!({"rule": "pacing", "used": 16, "limit": 20, "at": at("20:00")}));
    assert_eq!((s["remaining"].clone(), s["max_party"].clone()), (json!(4), json!(4)));
    // 21:00: every table free again; one party can have 8, not the slot's 16.
    let s = slot("21:00");
    assert_eq!(s["limited_by"], json!({"rule": "tables", "used": 0, "limit": 5, "at": at("21:00")}));
    assert_eq!((s["remaining"].clone(), s["max_party"].clone()), (json!(8), json!(8)));
    // 19:30: its seating reaches 20:00, when D and E are taken: the 4-top is the most.
    assert_eq!(slot("19:30")["limited_by"], json!({"rule": "tables", "used": 2, "limit": 5, "at": at("19:30")}));
    assert_eq!(slot("19:30")["max_party"], 4);
    // 19:45: the half hour from 19:45 holds the 16 of 20:00 too.
    assert_eq!(slot("19:45")["limited_by"], json!({"rule": "pacing", "used": 16, "limit": 20, "at": at("19:45")}));
    // The day: the earliest slot with the most left (19:00, 8 by the tables).
    assert_eq!(a.body["remaining"], 8);
    assert_eq!(a.body["limited_by"], json!({"rule": "tables", "used": 0, "limit": 5, "at": at("19:00")}));
    assert_eq!(a.body["max_party"], 8);
    explain::check(&a.body).unwrap();
    // The calendar's day says the same; a date beyond the horizon says when it opens.
    let c = e.api.calendar("room", &format!("from={d}&to={d}&qty=2")).await;
    assert_eq!(c.body["days"][0]["limited_by"], a.body["limited_by"], "{:?}", c.body);
    explain::check(&c.body).unwrap();
    let far = day(91);
    let b = e.api.availability("room", &format!("date={far}&qty=2")).await;
    assert_eq!(b.body["limited_by"], json!({"rule": "horizon", "at": format!("{}T00:00:00+00:00", day(1))}), "{:?}", b.body);
    assert_eq!(b.body["max_party"], 0);
}
