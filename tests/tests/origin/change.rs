//! A booking changed on its resource end to end: time and party in one atomic step (same id,
//! status and guest, the price difference said), a refusal with alternatives that leaves it
//! untouched, retries that answer the same, and a crowd of changes into one slot that never
//! oversells and never loses a booking (checker).

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::Answer;
use aforo_tests::harness::token;
use serde_json::{json, Value};

use crate::common::*;

/// POST change under a key.
async fn change(e: &Env, tok: &str, id: &str, key: &str, body: &Value) -> Answer {
    e.api.send(reqwest::Method::POST, &format!("/v1/holds/{id}/change"), Some(tok), Some(key), Some(body.to_string().into_bytes())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_changes_time_and_party_in_one_step_and_a_refusal_leaves_it_as_it_was() {
    let e = env();
    let mut doc = crate::floor::floor_doc();
    doc["pricing"] = json!({"currency": "EUR", "base_minor": 1000});
    create(&e, "room", &doc).await;
    let d = day(3);
    let item = |slot: &str, qty: u32| json!({"resource_id": "room", "date": d, "slot": slot, "qty": qty});
    let guest = json!({"name": "Ana"});
    let mut first = item("20:00", 2);
    first["guest"] = guest.clone();
    let h = e.api.hold(&e.buyer, "c1", &first).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    let id = h.body["id"].as_str().unwrap().to_string();
    assert_eq!(e.api.consume(&e.buyer, &id).await.status, 200);
    let slot_at = |s: &str| counter(&e.redis, "room", &format!("s:{d}T{s}"));

    // 20:00 for 2 → 20:30 for 4: same id, status and guest; the old units back, the new taken.
    let moved = change(&e, &e.buyer, &id, "k1", &item("20:30", 4)).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!((moved.body["id"].as_str(), moved.body["status"].as_str()), (Some(id.as_str()), Some("consumed")));
    assert_eq!(moved.body["guest"], guest);
    assert_eq!((moved.body["items"][0]["slot"].as_str(), moved.body["items"][0]["qty"].as_u64()), (Some("20:30"), Some(4)));
    assert_eq!(moved.body["price_change_minor"], 2000);
    assert_eq!((slot_at("20:00"), slot_at("20:30")), (0, 4));
    // A retry of the same change answers it again and takes nothing more.
    let again = change(&e, &e.buyer, &id, "k1", &item("20:30", 4)).await;
    assert_eq!((again.status.as_u16(), slot_at("20:30")), (200, 4), "{:?}", again.body);
    // The bookings list and the host view follow it.
    let list = e.api.get(&e.seller, "/v1/resources/room/bookings").await;
    let mine: Vec<&Value> = list.body["items"].as_array().unwrap().iter().filter(|b| b["hold_id"] == id.as_str()).collect();
    assert_eq!((mine.len(), mine[0]["slot"].as_str()), (1, Some("20:30")), "{:?}", list.body);

    // Fill another date at 20:30 and ask the booking there: refused with alternatives,
    // untouched. (On its own date it may move over its own table: a seating never collides
    // with itself.)
    let d2 = day(5);
    let there = json!({"resource_id": "room", "date": d2, "slot": "20:30", "qty": 4});
    let mut n = 0;
    loop {
        let f = e.api.hold(&token(&format!("f{n}"), "buyer"), &format!("f{n}"), &there).await;
        if f.status != 201 {
            break;
        }
        n += 1;
    }
    let full = change(&e, &e.buyer, &id, "k2", &there).await;
    assert_eq!((full.status.as_u16(), full.code()), (409, "SOLD_OUT"), "{:?}", full.body);
    assert!(full.body["alternatives"].as_array().is_some_and(|a| !a.is_empty()), "{:?}", full.body);
    let kept = e.api.get_hold(&e.buyer, &id).await;
    assert_eq!((kept.body["items"][0]["slot"].as_str(), slot_at("20:30")), (Some("20:30"), 4));

    // Bad input and strangers change nothing.
    assert_eq!(change(&e, &e.buyer, &id, "k3", &json!({"resource_id": "room", "date": d, "slot": "20:30", "qty": 0})).await.status, 400);
    assert_eq!(
        change(&e, &e.buyer, &id, "k4", &json!({"resource_id": "elsewhere", "date": d, "slot": "20:30", "qty": 2})).await.status,
        400
    );
    assert_eq!(change(&e, &token("buyer-2", "buyer"), &id, "k5", &item("19:00", 2)).await.status, 403);
    assert_eq!(change(&e, &token("seller-2", "seller"), &id, "k6", &item("19:00", 2)).await.status, 403);
    let nokey = e
        .api
        .send(
            reqwest::Method::POST,
            &format!("/v1/holds/{id}/change"),
            Some(&e.buyer),
            None,
            Some(item("19:00", 2).to_string().into_bytes()),
        )
        .await;
    assert_eq!(nokey.code(), "IDEMPOTENCY_KEY_REQUIRED");
    // The seller moves it back; audited, on the stream; nothing drifts.
    assert_eq!(change(&e, &e.seller, &id, "k7", &item("19:00", 2)).await.status, 200);
    audited(&e, "type=hold.changed", |ev| ev["hold_id"] == id.as_str() && ev["actor"] == "seller-1").await;
    assert!(e.redis.cli(&["XRANGE", "af:{r:room}:e", "-", "+"]).lines().any(|l| l == "changed"));
    let bad = check(&e.redis, "room", &[Ack::Consumed(id.clone())], redis_now_ms(&e.redis)).await;
    assert!(bad.is_empty(), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_changes_into_one_slot_never_oversells_and_nobody_loses_a_booking() {
    let e = env();
    create(&e, "crowd", &slots_doc(10)).await;
    let d = day(4);
    let item = |slot: &str, qty: u32| json!({"resource_id": "crowd", "date": d, "slot": slot, "qty": qty});
    // 30 bookings of 2 at 19:00 (capacity 10 per slot: 19:00, 19:30 and 20:00 hold 10 each).
    let mut ids = Vec::new();
    for (i, slot) in ["19:00", "19:30", "20:00"].iter().flat_map(|s| std::iter::repeat_n(*s, 5)).enumerate() {
        let who = token(&format!("b{i}"), "buyer");
        let h = e.api.hold(&who, "k", &item(slot, 2)).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        ids.push((who, h.body["id"].as_str().unwrap().to_string(), slot.to_string()));
    }
    // Everyone asks 21:00 (room for 5 parties of 2) at once, twice (a retry).
    let mut tasks = Vec::new();
    for (who, id, was) in ids.clone() {
        let api = e.api.clone();
        let body = item("21:00", 2);
        tasks.push(tokio::spawn(async move {
            let path = format!("/v1/holds/{id}/change");
            let a = api.send(reqwest::Method::POST, &path, Some(&who), Some("move"), Some(body.to_string().into_bytes())).await;
            let b = api.send(reqwest::Method::POST, &path, Some(&who), Some("move"), Some(body.to_string().into_bytes())).await;
            assert_eq!(a.status, b.status, "{:?} then {:?}", a.body, b.body);
            assert!(a.status == 200 || a.code() == "SOLD_OUT", "{:?}", a.body);
            (id, if a.status == 200 { "21:00".to_string() } else { was })
        }));
    }
    let mut at: std::collections::BTreeMap<String, u64> = Default::default();
    let mut acks = Vec::new();
    for t in tasks {
        let (id, slot) = t.await.unwrap();
        *at.entry(slot).or_default() += 2;
        acks.push(Ack::Held(id));
    }
    assert_eq!(at.get("21:00").copied(), Some(10), "{at:?}");
    for (slot, n) in &at {
        assert_eq!(counter(&e.redis, "crowd", &format!("s:{d}T{slot}")), *n, "{slot}");
    }
    let bad = check(&e.redis, "crowd", &acks, redis_now_ms(&e.redis)).await;
    assert!(bad.is_empty(), "{bad:?}");
}
