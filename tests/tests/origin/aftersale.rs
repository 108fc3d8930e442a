//! A booking after its sale, end to end against real Redis: a whole evening on one floor
//! (extend, consume, seat, cancel under the policy, no-show once the slot started, finish,
//! a walk-in at the freed table), every step idempotent, audited and on the event stream;
//! then cancels under a crowd of new holds on a sold-out slot, every unit back exactly once.

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::Answer;
use aforo_tests::harness::token;
use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::{json, Value};

use crate::common::*;

/// A room open for two hours from the hour of `start` in UTC with a seating starting every minute, so
/// that a booking made now starts within two minutes; late cancellations cost half the price.
fn evening_doc(start: DateTime<Utc>) -> Value {
    let day = start.format("%a").to_string().to_lowercase();
    let h = start.hour();
    let hours = json!({day: [[format!("{h:02}:00"), format!("{:02}:00", (h + 2).min(24))]]});
    json!({"name": "Evening", "timezone": "UTC", "hours": hours,
        "dimensions": {"daily": {"capacity": 100}, "slots": {"duration_min": 5, "interval_min": 1, "capacity": 40,
            "tables": [{"id": "T1", "seats": [1, 4]}, {"id": "T2", "seats": [1, 4]}, {"id": "T3", "seats": [1, 4]}, {"id": "T4", "seats": [1, 4]}]}},
        "pricing": {"currency": "EUR", "base_minor": 2500},
        "cancellation": {"free_until_h": 8784, "fee_percent": 50},
        "hold_ttl_s": 600, "hold_max_s": 900, "early_seat_min": 1440, "no_show_after_min": 0})
}

fn status(a: &Answer) -> (u16, String) {
    (a.status.as_u16(), a.body["status"].as_str().map_or_else(|| a.code().to_string(), String::from))
}

async fn book(e: &Env, buyer: &str, key: &str, date: &str, slot: &str, qty: u32) -> String {
    let h = e.api.hold(buyer, key, &json!({"resource_id": "eve", "date": date, "slot": slot, "qty": qty})).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    h.body["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_evening_after_the_sale() {
    let e = env();
    // The seating two minutes ahead (Redis's clock), so the evening can reach its start; one
    // that would end past midnight starts just after it instead.
    let start: DateTime<Utc> = DateTime::from_timestamp_millis(redis_now_ms(&e.redis)).unwrap() + Duration::minutes(2);
    let mut start = start.with_second(0).unwrap().with_nanosecond(0).unwrap();
    if start.hour() == 23 && start.minute() > 54 {
        start = (start + Duration::days(1)).with_hour(0).unwrap().with_minute(1).unwrap();
    }
    create(&e, "eve", &evening_doc(start)).await;
    let (date, slot) = (start.format("%Y-%m-%d").to_string(), start.format("%H:%M").to_string());
    let (ana, bo, cy) = (token("ana", "buyer"), token("bo", "buyer"), token("cy", "buyer"));

    // Extend while the card's challenge runs: up to hold_max_s after creation, not past it.
    let a = book(&e, &ana, "a", &date, &slot, 2).await;
    let ext = e.api.step(&ana, &a, "extend", Some(&json!({"seconds": 800}))).await;
    assert_eq!(ext.status, 200, "{:?}", ext.body);
    let too_far = e.api.step(&ana, &a, "extend", Some(&json!({"seconds": 1000}))).await;
    assert_eq!((too_far.status.as_u16(), too_far.code()), (409, "HOLD_LIMIT"), "{:?}", too_far.body);
    assert_eq!(e.api.step(&ana, &a, "extend", Some(&json!({"seconds": 0}))).await.status, 400);
    assert_eq!(e.api.step(&bo, &a, "extend", Some(&json!({"seconds": 60}))).await.status, 403, "not bo's hold");
    let score: i64 = e.redis.cli(&["ZSCORE", "af:{r:eve}:x", &a]).parse().unwrap();
    let shown = DateTime::parse_from_rfc3339(ext.body["expires_at"].as_str().unwrap()).unwrap().timestamp_millis();
    assert!((score - shown).abs() < 1_000, "the expiry index moved with it: {score} against {shown}");
    assert_eq!(status(&e.api.consume(&ana, &a).await), (200, "consumed".into()));

    // A held hold cancelled by its buyer: everything back, nothing owed, out of the expiry index.
    let c = book(&e, &cy, "c", &date, &slot, 3).await;
    let covers = counter(&e.redis, "eve", &format!("d:{date}"));
    let cancelled = e.api.step(&cy, &c, "cancel", Some(&json!({"reason": "plans changed"}))).await;
    assert_eq!(status(&cancelled), (200, "cancelled".into()), "{:?}", cancelled.body);
    assert_eq!(cancelled.body["refund"], json!({"percent": 100, "fee_minor": 0}));
    assert_eq!(cancelled.body["cancelled_by"], "buyer:cy");
    assert_eq!(counter(&e.redis, "eve", &format!("d:{date}")), covers - 3);
    assert_eq!(e.redis.cli(&["ZSCORE", "af:{r:eve}:x", &c]), "");
    // Idempotent: the same answer, nothing returned twice.
    let again = e.api.step(&cy, &c, "cancel", None).await;
    assert_eq!((again.status.as_u16(), &again.body["cancelled_at"]), (200, &cancelled.body["cancelled_at"]));
    assert_eq!(counter(&e.redis, "eve", &format!("d:{date}")), covers - 3);
    assert_eq!(e.api.consume(&cy, &c).await.code(), "HOLD_NOT_ACTIVE");

    // A paid booking cancelled late by its buyer owes the policy's fee (half of 2 × 25.00).
    let b = book(&e, &bo, "b", &date, &slot, 2).await;
    assert_eq!(e.api.consume(&bo, &b).await.status, 200);
    let late = e.api.step(&bo, &b, "cancel", None).await;
    assert_eq!(status(&late), (200, "cancelled".into()), "{:?}", late.body);
    assert_eq!(late.body["refund"], json!({"percent": 50, "fee_minor": 2500}));
    // Another seller cannot cancel it; bad input changes nothing.
    let d = book(&e, &bo, "d", &date, &slot, 2).await;
    assert_eq!(e.api.consume(&bo, &d).await.status, 200);
    assert_eq!(e.api.step(&token("seller-2", "seller"), &d, "cancel", None).await.status, 403);
    assert_eq!(e.api.step(&cy, &d, "cancel", None).await.status, 403);
    let long = "x".repeat(501);
    assert_eq!(e.api.step(&bo, &d, "cancel", Some(&json!({"reason": long}))).await.status, 400);
    assert_eq!(e.api.step(&bo, &d, "cancel", Some(&json!({"why": "x"}))).await.status, 400);
    assert_eq!(status(&e.api.get_hold(&bo, &d).await), (200, "consumed".into()));

    // The host seats ana's party early (early_seat_min is a day); a no-show of D before its
    // start is refused, and finishing a party whose seating has not started too.
    let seated = e.api.step(&e.seller, &a, "seat", None).await;
    assert_eq!(status(&seated), (200, "seated".into()), "{:?}", seated.body);
    assert_eq!(status(&e.api.step(&e.seller, &a, "seat", None).await), (200, "seated".into()));
    assert_eq!(e.api.step(&ana, &a, "seat", None).await.status, 403, "the host's, not the buyer's");
    let early = e.api.step(&e.seller, &d, "no-show", None).await;
    assert_eq!((early.status.as_u16(), early.code()), (409, "NOT_STARTED"), "{:?}", early.body);
    assert_eq!(e.api.step(&e.seller, &a, "finish", None).await.code(), "NOT_SEATED");
    assert_eq!(e.api.step(&e.seller, &d, "finish", None).await.code(), "NOT_SEATED", "booked, not seated");
    assert_eq!(e.api.step(&ana, &a, "cancel", None).await.code(), "HOLD_NOT_ACTIVE", "a seated party is finished, not cancelled");

    // The seating starts.
    eventually(std::time::Duration::from_secs(600), || async {
        let now = redis_now_ms(&e.redis);
        if now > start.timestamp_millis() + 1_000 {
            Ok(())
        } else {
            Err(format!("{} ms to the start", start.timestamp_millis() - now))
        }
    })
    .await;
    let started = e.api.step(&bo, &d, "cancel", None).await;
    assert_eq!((started.status.as_u16(), started.code()), (409, "BOOKING_STARTED"), "{:?}", started.body);
    let tables_before = e.redis.cli(&["HGETALL", "af:{r:eve}:c"]);
    let absent = e.api.step(&e.seller, &d, "no-show", None).await;
    assert_eq!(status(&absent), (200, "no_show".into()), "{:?}", absent.body);
    assert!(absent.body["no_show_at"].is_string());
    assert_eq!(status(&e.api.step(&e.seller, &d, "no-show", None).await), (200, "no_show".into()));
    assert_ne!(e.redis.cli(&["HGETALL", "af:{r:eve}:c"]), tables_before, "its table and covers came back");
    // Its table seats a walk-in now.
    let table = e.api.get_hold(&bo, &d).await.body["items"][0]["table"].as_str().unwrap().to_string();
    let walk = e
        .api
        .send(
            reqwest::Method::POST,
            "/v1/resources/eve/walk-ins",
            Some(&e.seller),
            Some("w1"),
            Some(json!({"party": 2, "tables": [table]}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(status(&walk), (201, "seated".into()), "{:?}", walk.body);
    let finished = e.api.step(&e.seller, &a, "finish", None).await;
    assert_eq!(status(&finished), (200, "finished".into()), "{:?}", finished.body);

    // The host view draws the walk-in seated at the no-show's table (the parties that left
    // at their first moment hold no table any more); the bookings list shows every status.
    let v = e.api.get(&e.seller, &format!("/v1/resources/eve/tables?date={date}")).await;
    let at_table: Vec<Value> = v.body["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] == table.as_str())
        .flat_map(|t| t["seatings"].as_array().unwrap().clone())
        .collect();
    assert!(at_table.iter().any(|s| s["status"] == "seated" && s["hold_id"] == walk.body["id"]), "{at_table:?}");
    let list = e.api.get(&e.seller, "/v1/resources/eve/bookings?limit=50").await;
    let statuses: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|b| b["status"].as_str().unwrap()).collect();
    for st in ["cancelled", "no_show", "finished", "seated"] {
        assert!(statuses.contains(&st), "{st} missing in {statuses:?}");
    }

    // Audited with the actor, on the event stream; never a unit lost or doubled.
    let audit = audited(&e, "type=hold.cancelled", |ev| ev["hold_id"] == b.as_str()).await;
    assert_eq!((audit["actor"].as_str(), &audit["detail"]["refund"]["fee_minor"]), (Some("bo"), &json!(2500)));
    audited(&e, "type=hold.no_show", |ev| ev["hold_id"] == d.as_str()).await;
    audited(&e, "type=hold.seated", |ev| ev["hold_id"] == a.as_str()).await;
    audited(&e, "type=hold.extended", |ev| ev["hold_id"] == a.as_str()).await;
    let events = e.redis.cli(&["XRANGE", "af:{r:eve}:e", "-", "+"]);
    for kind in ["cancelled", "seated", "no_show", "finished"] {
        assert!(events.lines().any(|l| l == kind), "{kind} missing: {events}");
    }
    let acks = [Ack::Consumed(a.clone()), Ack::Cancelled(b.clone()), Ack::Cancelled(c.clone())];
    let bad = check(&e.redis, "eve", &acks, redis_now_ms(&e.redis)).await;
    assert!(bad.is_empty(), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_under_a_crowd_of_new_holds_return_every_unit_once() {
    let e = env();
    let mut doc = slots_doc(60);
    doc["per_buyer"] = json!({"max_held_units": 8});
    create(&e, "crowd", &doc).await;
    let (date, slot) = (day(3), "20:00");
    let item = |qty: u32| json!({"resource_id": "crowd", "date": date, "slot": slot, "qty": qty});
    // Sold out by 30 paid bookings of 2.
    let mut paid = Vec::new();
    for i in 0..30 {
        let who = token(&format!("p{i}"), "buyer");
        let h = e.api.hold(&who, &format!("p{i}"), &item(2)).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        let id = h.body["id"].as_str().unwrap().to_string();
        assert_eq!(e.api.consume(&who, &id).await.status, 200);
        paid.push((who, id));
    }
    assert_eq!(e.api.hold(&e.buyer, "late", &item(1)).await.code(), "SOLD_OUT");
    // 15 cancels (each twice, as a retry would) race 200 fresh holds of 1.
    let mut tasks = Vec::new();
    for (who, id) in paid.iter().take(15).cloned() {
        let api = e.api.clone();
        tasks.push(tokio::spawn(async move {
            let first = api.step(&who, &id, "cancel", None).await;
            let retry = api.step(&who, &id, "cancel", None).await;
            assert_eq!((first.status.as_u16(), retry.status.as_u16()), (200, 200), "{:?}", first.body);
            Some(Ack::Cancelled(id))
        }));
    }
    for i in 0..200 {
        let api = e.api.clone();
        let it = item(1);
        tasks.push(tokio::spawn(async move {
            let who = token(&format!("n{i}"), "buyer");
            let h = api.hold(&who, &format!("n{i}"), &it).await;
            match h.status.as_u16() {
                201 => Some(Ack::Held(h.body["id"].as_str().unwrap().to_string())),
                409 => None,
                s => panic!("hold answered {s}: {:?}", h.body),
            }
        }));
    }
    let mut acks: Vec<Ack> = Vec::new();
    for t in tasks {
        if let Some(a) = t.await.unwrap() {
            acks.push(a);
        }
    }
    let fresh = acks.iter().filter(|a| matches!(a, Ack::Held(_))).count();
    assert!(fresh <= 30, "{fresh} fresh holds from 30 freed units");
    // Whatever the race left, the slot is full again once every freed unit is taken.
    let mut left = 30 - fresh as u32;
    let mut k = 0;
    while left > 0 {
        let n = left.min(4);
        let more = e.api.hold(&token(&format!("after-{k}"), "buyer"), "after", &item(n)).await;
        assert_eq!(more.status, 201, "{:?}", more.body);
        acks.push(Ack::Held(more.body["id"].as_str().unwrap().to_string()));
        (left, k) = (left - n, k + 1);
    }
    assert_eq!(e.api.hold(&e.buyer, "last", &item(1)).await.code(), "SOLD_OUT");
    assert_eq!(counter(&e.redis, "crowd", &format!("s:{date}T{slot}")), 60);
    acks.extend(paid.iter().skip(15).map(|(_, id)| Ack::Consumed(id.clone())));
    let bad = check(&e.redis, "crowd", &acks, redis_now_ms(&e.redis)).await;
    assert!(bad.is_empty(), "{bad:?}");
}
