//! Holds against a real Redis and the real origin binary: contention, idempotency,
//! atomicity of hybrids and carts, expiry, and every state transition.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use aforo_tests::harness::token;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_buyers_on_the_last_unit_get_exactly_one_hold() {
    let e = env();
    create(&e, "last", &stock_doc(1)).await;
    let tokens: Vec<String> = (0..500).map(|i| token(&format!("buyer-{i}"), "buyer")).collect();
    let mut tasks = Vec::new();
    for (i, t) in tokens.into_iter().enumerate() {
        let api = e.api.clone();
        tasks.push(tokio::spawn(async move { api.hold(&t, &format!("k{i}"), &json!({"resource_id": "last", "qty": 1})).await }));
    }
    let mut created = 0;
    let mut sold_out = 0;
    for t in tasks {
        let a = t.await.unwrap();
        match a.status.as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(a.code(), "SOLD_OUT");
                sold_out += 1
            }
            s => panic!("unexpected {s}: {:?}", a.body),
        }
    }
    assert_eq!((created, sold_out), (1, 499));
    assert_eq!(counter(&e.redis, "last", "stock"), 1);
    let a = e.api.availability("last", "qty=1").await;
    assert_eq!(a.body["status"], "sold_out");
    assert_eq!(a.body["remaining"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_retries_with_one_key_make_one_hold() {
    let e = env();
    create(&e, "sku", &stock_doc(10)).await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (api, b) = (e.api.clone(), e.buyer.clone());
        tasks.push(tokio::spawn(async move { api.hold(&b, "same-key", &json!({"resource_id": "sku", "qty": 1})).await }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    for t in tasks {
        let a = t.await.unwrap();
        assert!(a.status == 201 || a.status == 200, "{:?}", a.body);
        created += usize::from(a.status == 201);
        ids.insert(a.body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(created, 1);
    assert_eq!(counter(&e.redis, "sku", "stock"), 1);
    // Another caller's same key is their own.
    let other = e.api.hold(&token("buyer-2", "buyer"), "same-key", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(other.status, 201);
    assert!(!ids.contains(other.body["id"].as_str().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_with_another_payload_is_refused() {
    let e = env();
    create(&e, "sku", &stock_doc(10)).await;
    assert_eq!(e.api.hold(&e.buyer, "k", &json!({"resource_id": "sku", "qty": 1})).await.status, 201);
    let a = e.api.hold(&e.buyer, "k", &json!({"resource_id": "sku", "qty": 2})).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "IDEMPOTENCY_KEY_REUSED"));
    assert_eq!(counter(&e.redis, "sku", "stock"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hybrid_refusal_leaves_no_trace() {
    let e = env();
    let doc = json!({"name": "Tour", "timezone": "UTC",
        "dimensions": {"stock": {"on_hand": 10}, "daily": {"capacity": 3},
                       "slots": {"duration_min": 60, "interval_min": 60, "capacity": 5}}});
    create(&e, "tour", &doc).await;
    let d = day(2);
    let ok = e.api.hold(&e.buyer, "a", &json!({"resource_id": "tour", "date": d, "slot": "10:00", "qty": 2})).await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    let before = e.redis.cli(&["HGETALL", "af:{r:tour}:c"]);
    // The slot (5) and stock (10) could give 2 more; the day (3) cannot.
    let no = e.api.hold(&e.buyer, "b", &json!({"resource_id": "tour", "date": d, "slot": "11:00", "qty": 2})).await;
    assert_eq!((no.status.as_u16(), no.code()), (409, "SOLD_OUT"), "{:?}", no.body);
    assert!(no.body["detail"].as_str().unwrap().contains(&format!("d:{d}")));
    assert_eq!(e.redis.cli(&["HGETALL", "af:{r:tour}:c"]), before);
    assert_eq!(counter(&e.redis, "tour", "stock"), 2);
    assert_eq!(counter(&e.redis, "tour", &format!("s:{d}T11:00")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_cart_releases_what_it_took_and_a_retry_converges() {
    let e = env();
    create(&e, "a", &stock_doc(5)).await;
    create(&e, "b", &stock_doc(1)).await;
    let cart = json!({"items": [{"resource_id": "a", "qty": 2}, {"resource_id": "b", "qty": 2}]});
    let no = e.api.hold(&e.buyer, "cart-1", &cart).await;
    assert_eq!((no.status.as_u16(), no.code()), (409, "SOLD_OUT"));
    assert_eq!(no.body["item"], 1);
    assert_eq!(counter(&e.redis, "a", "stock"), 0);
    assert_eq!(counter(&e.redis, "b", "stock"), 0);
    // Stock arrives; the same cart with the same key now goes through, once.
    assert_eq!(e.api.stock(&e.seller, "b", &json!({"set": 3})).await.status, 200);
    let ok = e.api.hold(&e.buyer, "cart-1", &cart).await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    assert_eq!(ok.body["items"].as_array().unwrap().len(), 2);
    let again = e.api.hold(&e.buyer, "cart-1", &cart).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, ok.body);
    assert_eq!((counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock")), (2, 2));
    // Releasing the cart frees both resources.
    let id = ok.body["id"].as_str().unwrap();
    assert_eq!(e.api.release(&e.buyer, id).await.body["status"], "released");
    assert_eq!((counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock")), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_of_one_resource_are_all_or_nothing() {
    let e = env();
    create(&e, "bakery", &daily_doc(5)).await;
    let d = day(1);
    let cart = json!({"items": [{"resource_id": "bakery", "date": d, "qty": 3}, {"resource_id": "bakery", "date": d, "qty": 3}]});
    let no = e.api.hold(&e.buyer, "c", &cart).await;
    assert_eq!(no.status, 409);
    assert_eq!(counter(&e.redis, "bakery", &format!("d:{d}")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_returns_units_of_an_idle_resource_within_two_seconds() {
    let e = env();
    let mut doc = stock_doc(3);
    doc["hold_ttl_s"] = json!(1);
    create(&e, "sku", &doc).await;
    let h = e.api.hold(&e.buyer, "k", &json!({"resource_id": "sku", "qty": 3})).await;
    assert_eq!(h.status, 201);
    assert_eq!(counter(&e.redis, "sku", "stock"), 3);
    let expires = Instant::now() + Duration::from_secs(1);
    // Nobody touches the resource: only the sweeper can give the units back.
    while counter(&e.redis, "sku", "stock") != 0 {
        assert!(Instant::now() < expires + Duration::from_secs(2), "units not returned within 2 s of expiry");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let g = e.api.get_hold(&e.buyer, h.body["id"].as_str().unwrap()).await;
    assert_eq!(g.body["status"], "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_release_and_expiry_transitions() {
    let e = env();
    let mut doc = stock_doc(2);
    doc["hold_ttl_s"] = json!(1);
    create(&e, "sku", &doc).await;
    let body = json!({"resource_id": "sku", "qty": 1});
    let one = |k: &'static str| e.api.hold(&e.buyer, k, &body);
    // held -> consumed, idempotently; a consumed hold cannot be released.
    let a = one("a").await.body["id"].as_str().unwrap().to_string();
    assert_eq!(e.api.consume(&e.buyer, &a).await.body["status"], "consumed");
    assert_eq!(e.api.consume(&e.buyer, &a).await.body["status"], "consumed");
    let r = e.api.release(&e.buyer, &a).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "HOLD_NOT_ACTIVE"));
    assert_eq!(counter(&e.redis, "sku", "stock"), 1);
    // held -> released, idempotently; a released hold cannot be consumed.
    let b = one("b").await.body["id"].as_str().unwrap().to_string();
    assert_eq!(e.api.release(&e.buyer, &b).await.body["status"], "released");
    assert_eq!(e.api.release(&e.buyer, &b).await.body["status"], "released");
    let c = e.api.consume(&e.buyer, &b).await;
    assert_eq!((c.status.as_u16(), c.code()), (409, "HOLD_NOT_ACTIVE"));
    assert_eq!(counter(&e.redis, "sku", "stock"), 1);
    // held -> expired -> consumed: the unit is still free, so it is taken again.
    let x = one("x").await.body["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(e.api.get_hold(&e.buyer, &x).await.body["status"], "expired");
    let c = e.api.consume(&e.buyer, &x).await;
    assert_eq!((c.status.as_u16(), c.body["status"].as_str()), (200, Some("consumed")), "{:?}", c.body);
    assert_eq!(counter(&e.redis, "sku", "stock"), 2);
    // An expired hold whose unit someone else took: 410.
    assert_eq!(e.api.stock(&e.seller, "sku", &json!({"delta": 1})).await.status, 200);
    let y = one("y").await.body["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let z = e.api.hold(&token("buyer-2", "buyer"), "z", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(z.status, 201);
    let c = e.api.consume(&e.buyer, &y).await;
    assert_eq!((c.status.as_u16(), c.code()), (410, "HOLD_EXPIRED"));
    assert_eq!(counter(&e.redis, "sku", "stock"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_holds_count_against_the_slot_and_offer_alternatives() {
    let e = env();
    create(&e, "room", &slots_doc(4)).await;
    let d = day(3);
    let h = e.api.hold(&e.buyer, "a", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 4})).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    assert_eq!(h.body["items"][0]["start"], format!("{d}T20:00:00+00:00"));
    let no = e.api.hold(&e.buyer, "b", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2})).await;
    assert_eq!(no.status, 409);
    let alts: Vec<&str> = no.body["alternatives"].as_array().unwrap().iter().map(|a| a["slot"].as_str().unwrap()).collect();
    assert_eq!(alts, ["19:30", "20:30", "19:00", "21:00", "18:30"]);
    let a = e.api.availability("room", &format!("date={d}&qty=2&slot=20:00")).await;
    assert_eq!(a.body["status"], "sold_out");
    assert_eq!(a.body["alternatives"][0]["slot"], "19:30");
    let cal = e.api.calendar("room", &format!("from={d}&to={d}&qty=2")).await;
    assert_eq!(cal.body["days"][0]["status"], "available");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_adjustments_and_validation() {
    let e = env();
    create(&e, "sku", &stock_doc(3)).await;
    assert_eq!(e.api.hold(&e.buyer, "k", &json!({"resource_id": "sku", "qty": 2})).await.status, 201);
    let below = e.api.stock(&e.seller, "sku", &json!({"set": 1})).await;
    assert_eq!((below.status.as_u16(), below.code()), (409, "STOCK_BELOW_COMMITTED"));
    let forced = e.api.stock(&e.seller, "sku", &json!({"set": 1, "force": true})).await;
    assert_eq!(forced.body["on_hand"], 1);
    assert_eq!(forced.body["available"], 0);
    assert_eq!(e.api.stock(&e.seller, "sku", &json!({"delta": 4})).await.body["available"], 3);
    let v = e
        .api
        .send(
            reqwest::Method::POST,
            "/v1/stock/validate",
            Some(&e.buyer),
            None,
            Some(br#"{"items":[{"resource_id":"sku","quantity":3},{"resource_id":"sku","quantity":4}]}"#.to_vec()),
        )
        .await;
    assert_eq!(
        v.body,
        json!({"items": [{"resource_id": "sku", "available": true, "current_stock": 3}, {"resource_id": "sku", "available": false, "current_stock": 3}]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume() {
    let e = env();
    create(&e, "bakery", &daily_doc(5)).await;
    let d = day(1);
    let p = e
        .api
        .send(reqwest::Method::POST, "/v1/resources/bakery/pause", Some(&e.seller), None, Some(br#"{"reason":"oven"}"#.to_vec()))
        .await;
    assert_eq!(p.status, 200, "{:?}", p.body);
    let h = e.api.hold(&e.buyer, "k", &json!({"resource_id": "bakery", "date": d, "qty": 1})).await;
    assert_eq!((h.status.as_u16(), h.code()), (422, "PAUSED"));
    assert_eq!(e.api.availability("bakery", &format!("date={d}")).await.body["status"], "paused");
    assert_eq!(e.api.send(reqwest::Method::POST, "/v1/resources/bakery/resume", Some(&e.seller), None, None).await.status, 200);
    assert_eq!(e.api.hold(&e.buyer, "k", &json!({"resource_id": "bakery", "date": d, "qty": 1})).await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_is_seen_by_the_next_hold() {
    let e = env();
    create(&e, "bakery", &daily_doc(5)).await;
    let d = day(1);
    assert_eq!(e.api.hold(&e.buyer, "a", &json!({"resource_id": "bakery", "date": d, "qty": 4})).await.status, 201);
    // Capacity lowered to 4 by another writer: this origin's cached plan (limit 5) must not be used.
    let r = e.api.put_resource(&e.seller, "bakery", &daily_doc(4)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], 2);
    let no = e.api.hold(&e.buyer, "b", &json!({"resource_id": "bakery", "date": d, "qty": 1})).await;
    assert_eq!(no.status, 409, "{:?}", no.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_cleanly() {
    let mut e = env();
    assert_eq!(e.api.send(reqwest::Method::GET, "/readyz", None, None, None).await.status, 200);
    assert!(e.origin.terminate(), "origin did not exit 0 on SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flushed_function_library_is_reloaded_once_not_by_every_caller() {
    let e = env();
    create(&e, "sku", &stock_doc(1000)).await;
    e.redis.cli(&["CONFIG", "RESETSTAT"]);
    e.redis.cli(&["FUNCTION", "FLUSH"]);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (api, b) = (e.api.clone(), e.buyer.clone());
        tasks.push(tokio::spawn(
            async move { api.hold(&b, &format!("k{i}"), &json!({"resource_id": "sku", "qty": 1})).await.status.as_u16() },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let stats = e.redis.cli(&["INFO", "commandstats"]);
    let loads: u64 = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_function|load:"))
        .and_then(|l| l.split("calls=").nth(1))
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!((1..=2).contains(&loads), "FUNCTION LOAD ran {loads} times: {stats}");
    assert_eq!(counter(&e.redis, "sku", "stock"), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_origins_sweep_the_same_redis_without_returning_a_unit_twice() {
    let e = env();
    let second = aforo_tests::harness::Origin::start(&e.redis.url());
    let api2 = aforo_tests::client::Api::new(&second.url());
    let ids: Vec<String> = (0..20).map(|i| format!("r{i}")).collect();
    for id in &ids {
        let mut short = stock_doc(10);
        short["hold_ttl_s"] = json!(1);
        create(&e, id, &short).await;
        assert_eq!(e.api.hold(&e.buyer, &format!("{id}-a"), &json!({"resource_id": id, "qty": 3})).await.status, 201);
        // The same resource now holds for a minute: this second hold must survive the sweep.
        let mut long = stock_doc(10);
        long["hold_ttl_s"] = json!(60);
        assert_eq!(api2.put_resource(&e.seller, id, &long).await.status, 200);
        assert_eq!(api2.hold(&e.buyer, &format!("{id}-b"), &json!({"resource_id": id, "qty": 2})).await.status, 201);
    }
    let deadline = Instant::now() + Duration::from_secs(4);
    while ids.iter().any(|id| counter(&e.redis, id, "stock") != 2) {
        assert!(Instant::now() < deadline, "{:?}", ids.iter().map(|id| counter(&e.redis, id, "stock")).collect::<Vec<_>>());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(ids.iter().all(|id| counter(&e.redis, id, "stock") == 2), "a unit was returned twice or not at all");
}
