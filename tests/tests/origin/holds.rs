//! Holds against a real Redis and the real origin binary: contention on the last unit,
//! idempotency keys (per caller, across resources), hybrids, slots, expiry and the sweeper, and
//! every state transition.

use std::time::{Duration, Instant};

use aforo_tests::harness::token;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_buyers_on_the_last_unit_get_exactly_one_hold() {
    let _crowd = crowd().await;
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
    let _crowd = crowd().await;
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
async fn an_idempotency_key_belongs_to_its_caller_across_resources() {
    let e = env();
    for r in ["a", "b"] {
        create(&e, r, &stock_doc(50)).await;
    }
    create(&e, "empty", &stock_doc(0)).await;
    let on = |r: &str| json!({"resource_id": r, "qty": 1});
    let first = e.api.hold(&e.buyer, "k1", &on("a")).await;
    assert_eq!(first.status, 201);
    let other = e.api.hold(&e.buyer, "k1", &on("b")).await;
    assert_eq!((other.status.as_u16(), other.code()), (422, "IDEMPOTENCY_KEY_REUSED"), "{:?}", other.body);
    let again = e.api.hold(&e.buyer, "k1", &on("a")).await;
    assert_eq!((again.status.as_u16(), &again.body["id"]), (200, &first.body["id"]));
    assert_eq!((counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock")), (1, 0));
    // Another caller's same key is theirs.
    assert_eq!(e.api.hold(&token("buyer-2", "buyer"), "k1", &on("b")).await.status, 201);
    // A refused request leaves its key unused: the buyer may pick something else with it.
    let no = e.api.hold(&e.buyer, "k2", &on("empty")).await;
    assert_eq!(no.status, 409);
    assert_eq!(e.api.hold(&e.buyer, "k2", &on("b")).await.status, 201);
    // Racing the same key on two resources makes exactly one hold.
    for round in 0..3 {
        let key = format!("race-{round}");
        let mut tasks = Vec::new();
        for i in 0..30 {
            let (api, b, body) = (e.api.clone(), e.buyer.clone(), on(if i % 2 == 0 { "a" } else { "b" }));
            let key = key.clone();
            tasks.push(tokio::spawn(async move { api.hold(&b, &key, &body).await }));
        }
        let (before_a, before_b) = (counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock"));
        let mut created = 0;
        for t in tasks {
            let a = t.await.unwrap();
            assert!(matches!(a.status.as_u16(), 200 | 201 | 422), "{} {:?}", a.status, a.body);
            created += usize::from(a.status == 201);
        }
        assert_eq!(created, 1, "round {round}");
        let taken = counter(&e.redis, "a", "stock") + counter(&e.redis, "b", "stock");
        assert!(taken <= before_a + before_b + 1, "round {round}: two units taken with one key");
    }
    let total = counter(&e.redis, "a", "stock") + counter(&e.redis, "b", "stock");
    assert_eq!(total, 1 + 1 + 1 + 3, "k1 (a), buyer-2's k1 (b), k2 (b), one per race round");
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
    // Its TTL is 1 s: expired within a few, whenever the clock turns.
    eventually(Duration::from_secs(5), || async {
        let s = e.api.get_hold(&e.buyer, &x).await.body["status"].clone();
        if s == "expired" {
            Ok(())
        } else {
            Err(s)
        }
    })
    .await;
    let c = e.api.consume(&e.buyer, &x).await;
    assert_eq!((c.status.as_u16(), c.body["status"].as_str()), (200, Some("consumed")), "{:?}", c.body);
    assert_eq!(counter(&e.redis, "sku", "stock"), 2);
    // An expired hold whose unit someone else took: 410.
    assert_eq!(e.api.stock(&e.seller, "sku", &json!({"delta": 1})).await.status, 200);
    let y = one("y").await.body["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(5), || async {
        let s = e.api.get_hold(&e.buyer, &y).await.body["status"].clone();
        if s == "expired" {
            Ok(())
        } else {
            Err(s)
        }
    })
    .await;
    let z = e.api.hold(&token("buyer-2", "buyer"), "z", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(z.status, 201);
    let c = e.api.consume(&e.buyer, &y).await;
    assert_eq!((c.status.as_u16(), c.code()), (410, "HOLD_EXPIRED"));
    assert_eq!(counter(&e.redis, "sku", "stock"), 3);
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
