//! The waiting list against a real Redis and a real origin: freed units go to the earliest
//! party they fit in the very step that frees them (a larger party does not block a smaller
//! one behind it), an offer is an ordinary hold (consumed → accepted), an offer left to lapse
//! goes to the next party, a raised capacity reaches the list, and fresh buyers hammering a
//! sold-out slot never win a unit a waiting party fits (checker, which knows offers).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::Answer;
use aforo_tests::harness::token;
use aforo_tests::wait::eventually;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

/// A dinner service: one start at 20:00 for `cap` covers, offers held `ttl` s.
pub fn service(cap: u32, ttl: u32) -> Value {
    json!({"name": "Service", "timezone": "UTC", "hold_ttl_s": 600, "waitlist": {"offer_ttl_s": ttl},
        "hours": {"mon": [["20:00", "23:00"]], "tue": [["20:00", "23:00"]], "wed": [["20:00", "23:00"]], "thu": [["20:00", "23:00"]],
                  "fri": [["20:00", "23:00"]], "sat": [["20:00", "23:00"]], "sun": [["20:00", "23:00"]]},
        "dimensions": {"slots": {"duration_min": 120, "interval_min": 240, "capacity": cap}}})
}

pub async fn join(e: &Env, tok: &str, key: &str, body: &Value) -> Answer {
    e.api.send(Method::POST, "/v1/waitlist", Some(tok), Some(key), Some(body.to_string().into_bytes())).await
}

pub async fn entry(e: &Env, tok: &str, id: &str) -> Answer {
    e.api.get(tok, &format!("/v1/waitlist/{id}")).await
}

fn id(a: &Answer) -> String {
    a.body["id"].as_str().unwrap_or_else(|| panic!("no id in {:?}", a.body)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freed_units_go_to_the_first_party_they_fit_in_the_step_that_frees_them() {
    let e = env();
    create(&e, "svc", &service(4, 600)).await;
    let d = day(2);
    let want = |qty: u32| json!({"resource_id": "svc", "date": d, "from": "20:00", "to": "20:00", "qty": qty, "guest": {"name": "Ana"}});
    let hold = |qty: u32| json!({"resource_id": "svc", "date": d, "slot": "20:00", "qty": qty});

    // Room now: the party is told to hold instead, with where it fits.
    let now = join(&e, &token("w1", "buyer"), "j1", &want(2)).await;
    assert_eq!((now.status.as_u16(), now.code()), (409, "AVAILABLE_NOW"), "{:?}", now.body);
    assert!(now.body["alternatives"].as_array().is_some_and(|a| !a.is_empty()), "{:?}", now.body);

    let mut held = Vec::new();
    for i in 0..4 {
        let h = e.api.hold(&token(&format!("b{i}"), "buyer"), &format!("h{i}"), &hold(1)).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        held.push(id(&h));
    }
    // Sold out: three parties join, in order; a retry answers the same entry; bad input and a
    // second entry of the same buyer change nothing.
    let w1 = join(&e, &token("w1", "buyer"), "j1", &want(2)).await;
    assert_eq!(
        (w1.status.as_u16(), w1.body["position"].as_u64(), w1.body["status"].as_str()),
        (201, Some(1), Some("waiting")),
        "{:?}",
        w1.body
    );
    let again = join(&e, &token("w1", "buyer"), "j1", &want(2)).await;
    assert_eq!((again.status.as_u16(), id(&again)), (200, id(&w1)));
    assert_eq!(join(&e, &token("w1", "buyer"), "j1", &want(3)).await.code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(join(&e, &token("w1", "buyer"), "j9", &want(1)).await.code(), "ALREADY_WAITING");
    for bad in [
        json!({"resource_id": "svc", "date": d, "qty": 0}),
        json!({"resource_id": "svc", "date": d, "from": "21:00", "to": "20:00", "qty": 1}),
        json!({"resource_id": "svc", "date": "2027-13-01", "qty": 1}),
        json!({"resource_id": "svc", "date": d, "qty": 1, "seats": 2}),
    ] {
        let a = join(&e, &token("w9", "buyer"), "bad", &bad).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{bad} {:?}", a.body);
    }
    let w2 = join(&e, &token("w2", "buyer"), "j2", &want(1)).await;
    let w3 = join(&e, &token("w3", "buyer"), "j3", &want(1)).await;
    assert_eq!((w2.body["position"].as_u64(), w3.body["position"].as_u64()), (Some(2), Some(3)));
    let (w1, w2, w3) = (id(&w1), id(&w2), id(&w3));

    // One unit freed: the party of 2 does not fit and does not block the party of 1 behind it.
    assert_eq!(e.api.release(&token("b0", "buyer"), &held[0]).await.status, 200);
    let o2 = entry(&e, &token("w2", "buyer"), &w2).await;
    assert_eq!(o2.body["status"], "offered", "{:?}", o2.body);
    let offer2 = o2.body["hold_id"].as_str().unwrap().to_string();
    assert!(o2.body["offer_expires_at"].is_string());
    assert_eq!(counter(&e.redis, "svc", &format!("s:{d}T20:00")), 4, "the freed unit is held by the offer");
    // A fresh buyer finds it sold out: the unit went to the list in the step that freed it.
    assert_eq!(e.api.hold(&token("fresh", "buyer"), "f1", &hold(1)).await.code(), "SOLD_OUT");
    // The offer is the waiting buyer's own hold; a stranger does not see the entry.
    let h2 = e.api.get_hold(&token("w2", "buyer"), &offer2).await;
    assert_eq!(
        (h2.status.as_u16(), h2.body["status"].as_str(), h2.body["guest"]["name"].as_str()),
        (200, Some("held"), Some("Ana")),
        "{:?}",
        h2.body
    );
    assert_eq!(entry(&e, &token("w3", "buyer"), &w2).await.code(), "ENTRY_NOT_FOUND");

    // A second unit: to the party of 1 next in line (w3), still not the party of 2.
    assert_eq!(e.api.release(&token("b1", "buyer"), &held[1]).await.status, 200);
    assert_eq!(entry(&e, &token("w3", "buyer"), &w3).await.body["status"], "offered");
    assert_eq!(entry(&e, &token("w1", "buyer"), &w1).await.body["status"], "waiting");
    // Two at once (a cancel of a party of 2 would do the same): the party of 2 at last.
    assert_eq!(e.api.release(&token("b2", "buyer"), &held[2]).await.status, 200);
    assert_eq!(entry(&e, &token("w1", "buyer"), &w1).await.body["status"], "waiting", "one free unit does not fit 2");
    assert_eq!(e.api.hold(&token("fresh", "buyer"), "f2", &hold(2)).await.code(), "SOLD_OUT");
    let fresh1 = e.api.hold(&token("fresh", "buyer"), "f3", &hold(1)).await;
    assert_eq!(fresh1.status, 201, "a unit that fits no waiting party is anyone's: {:?}", fresh1.body);
    assert_eq!(e.api.release(&token("fresh", "buyer"), &id(&fresh1)).await.status, 200);
    assert_eq!(e.api.release(&token("b3", "buyer"), &held[3]).await.status, 200);
    let o1 = entry(&e, &token("w1", "buyer"), &w1).await;
    assert_eq!(o1.body["status"], "offered", "{:?}", o1.body);

    // Paid: accepted. Declined (the buyer leaves): its unit is free again, nobody waits.
    assert_eq!(e.api.consume(&token("w2", "buyer"), &offer2).await.status, 200);
    assert_eq!(entry(&e, &token("w2", "buyer"), &w2).await.body["status"], "accepted");
    let left = e.api.send(Method::DELETE, &format!("/v1/waitlist/{w3}"), Some(&token("w3", "buyer")), None, None).await;
    assert_eq!((left.status.as_u16(), left.body["status"].as_str()), (200, Some("left")), "{:?}", left.body);
    assert_eq!(counter(&e.redis, "svc", &format!("s:{d}T20:00")), 3);

    // The seller's list: in arrival order, with guests; a stranger seller is refused.
    let list = e.api.get(&e.seller, &format!("/v1/resources/svc/waitlist?date={d}")).await;
    let st: Vec<&str> = list.body["entries"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(st, ["offered", "accepted", "left"], "{:?}", list.body);
    assert_eq!(list.body["entries"][0]["guest"]["name"], "Ana");
    assert_eq!(e.api.get(&token("seller-2", "seller"), &format!("/v1/resources/svc/waitlist?date={d}")).await.status, 403);
    // The stream says so: an 'offered' entry per offer.
    let events = e.redis.cli(&["XRANGE", "af:{r:svc}:e", "-", "+"]);
    assert_eq!(events.lines().filter(|l| *l == "offered").count(), 3, "{events}");
    let acks = vec![Ack::Consumed(offer2.clone()), Ack::Held(o1.body["hold_id"].as_str().unwrap().to_string())];
    assert_eq!(check(&e.redis, "svc", &acks, redis_now_ms(&e.redis)).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_left_to_lapse_goes_to_the_next_party_and_a_raised_capacity_reaches_the_list() {
    let e = env();
    create(&e, "svc", &service(1, 2)).await;
    let d = day(2);
    let want = json!({"resource_id": "svc", "date": d, "qty": 1});
    let h = e.api.hold(&token("b0", "buyer"), "h0", &json!({"resource_id": "svc", "date": d, "slot": "20:00", "qty": 1})).await;
    assert_eq!(h.status, 201);
    let w1 = id(&join(&e, &token("w1", "buyer"), "j1", &want).await);
    let w2 = id(&join(&e, &token("w2", "buyer"), "j2", &want).await);
    assert_eq!(e.api.release(&token("b0", "buyer"), &id(&h)).await.status, 200);
    assert_eq!(entry(&e, &token("w1", "buyer"), &w1).await.body["status"], "offered");
    // Nobody touches the resource: the sweeper lapses the offer (2 s) and offers the next.
    eventually(Duration::from_secs(10), || async {
        let a = entry(&e, &token("w2", "buyer"), &w2).await;
        if a.body["status"] == "offered" {
            Ok(())
        } else {
            Err(a.body)
        }
    })
    .await;
    assert_eq!(entry(&e, &token("w1", "buyer"), &w1).await.body["status"], "lapsed");
    let offer1 = entry(&e, &token("w1", "buyer"), &w1).await.body["hold_id"].as_str().unwrap().to_string();
    assert_eq!(e.api.consume(&token("w1", "buyer"), &offer1).await.code(), "HOLD_EXPIRED", "a lapsed offer is not taken again");

    // A third party waits; the seller raises the capacity: the list hears of it at once.
    let w3 = id(&join(&e, &token("w3", "buyer"), "j3", &want).await);
    let mut bigger = service(2, 2);
    bigger["waitlist"]["offer_ttl_s"] = json!(600);
    let put = e.api.put_resource(&e.seller, "svc", &bigger).await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(entry(&e, &token("w3", "buyer"), &w3).await.body["status"], "offered");
    assert_eq!(check(&e.redis, "svc", &[], redis_now_ms(&e.redis)).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_buyers_hammering_a_sold_out_slot_never_win_a_unit_a_waiting_party_fits() {
    let e = env();
    const CAP: usize = 20;
    const WAITING: usize = 10;
    create(&e, "svc", &service(CAP as u32, 600)).await;
    let d = day(2);
    let one = json!({"resource_id": "svc", "date": d, "slot": "20:00", "qty": 1});
    let mut held = Vec::new();
    for i in 0..CAP {
        let h = e.api.hold(&token(&format!("b{i}"), "buyer"), &format!("h{i}"), &one).await;
        assert_eq!(h.status, 201);
        held.push((format!("b{i}"), id(&h)));
    }
    let mut entries = Vec::new();
    for i in 0..WAITING {
        let w = join(&e, &token(&format!("w{i}"), "buyer"), "j", &json!({"resource_id": "svc", "date": d, "qty": 1})).await;
        assert_eq!(w.status, 201, "{:?}", w.body);
        entries.push(id(&w));
    }
    // 40 fresh buyers hold in a loop while the first WAITING units are released one by one.
    let won = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut crowd = Vec::new();
    for c in 0..40 {
        let (api, won, stop, one) = (e.api.clone(), won.clone(), stop.clone(), one.clone());
        crowd.push(tokio::spawn(async move {
            let tok = token(&format!("fresh{c}"), "buyer");
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let a = api.hold(&tok, &format!("k{c}-{n}"), &one).await;
                if a.status == 201 {
                    won.fetch_add(1, Ordering::SeqCst);
                }
                n += 1;
            }
            n
        }));
    }
    let mut acks = Vec::new();
    for (b, h) in held.iter().take(WAITING) {
        assert_eq!(e.api.release(&token(b, "buyer"), h).await.status, 200);
        acks.push(Ack::Released(h.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut tries = 0;
    for c in crowd {
        tries += c.await.unwrap();
    }
    assert_eq!(won.load(Ordering::SeqCst), 0, "a fresh buyer won a unit a waiting party fits ({tries} tries)");
    for (i, w) in entries.iter().enumerate() {
        let a = entry(&e, &token(&format!("w{i}"), "buyer"), w).await;
        assert_eq!(a.body["status"], "offered", "entry {i}: {:?}", a.body);
    }
    assert_eq!(counter(&e.redis, "svc", &format!("s:{d}T20:00")), CAP as u64);
    assert_eq!(check(&e.redis, "svc", &acks, redis_now_ms(&e.redis)).await, Vec::<String>::new());
    eprintln!("{tries} fresh holds tried while {WAITING} units were freed: none won");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_raised_and_a_paid_booking_cancelled_reach_the_list_which_is_bounded() {
    let e = env();
    let mut doc = stock_doc(2);
    doc["waitlist"] = json!({"max_entries": 2});
    create(&e, "sku", &doc).await;
    let mut paid = Vec::new();
    for b in ["b0", "b1"] {
        let h = e.api.hold(&token(b, "buyer"), "h", &json!({"resource_id": "sku", "qty": 1})).await;
        assert_eq!(e.api.consume(&token(b, "buyer"), &id(&h)).await.status, 200);
        paid.push((b, id(&h)));
    }
    // Undated stock: an entry waits for any unit; the list holds two at most.
    let want = json!({"resource_id": "sku", "qty": 1});
    let w1 = id(&join(&e, &token("w1", "buyer"), "j", &want).await);
    let w2 = id(&join(&e, &token("w2", "buyer"), "j", &want).await);
    let full = join(&e, &token("w3", "buyer"), "j", &want).await;
    assert_eq!((full.status.as_u16(), full.code()), (409, "WAITLIST_FULL"), "{:?}", full.body);
    assert_eq!(join(&e, &token("w4", "buyer"), "j", &json!({"resource_id": "sku", "qty": 1, "from": "20:00"})).await.status, 400);

    // A paid booking cancelled by its buyer: its unit goes to the first party.
    let (b, h) = &paid[0];
    let c = e.api.send(Method::POST, &format!("/v1/holds/{h}/cancel"), Some(&token(b, "buyer")), None, Some(b"{}".to_vec())).await;
    assert_eq!(c.status, 200, "{:?}", c.body);
    assert_eq!(entry(&e, &token("w1", "buyer"), &w1).await.body["status"], "offered");
    assert_eq!(entry(&e, &token("w2", "buyer"), &w2).await.body["status"], "waiting");
    // The seller adds a unit: the second party, in the request that added it.
    let add = e.api.send(Method::POST, "/v1/resources/sku/stock", Some(&e.seller), Some("s1"), Some(br#"{"delta": 1}"#.to_vec())).await;
    assert_eq!(add.status, 200, "{:?}", add.body);
    let o2 = entry(&e, &token("w2", "buyer"), &w2).await;
    assert_eq!(o2.body["status"], "offered", "{:?}", o2.body);
    let list = e.api.get(&e.seller, "/v1/resources/sku/waitlist").await;
    assert_eq!((list.status.as_u16(), list.body["waiting"].as_u64()), (200, Some(0)), "{:?}", list.body);
    assert_eq!(counter(&e.redis, "sku", "stock"), 3);
    assert_eq!(check(&e.redis, "sku", &[Ack::Cancelled(h.clone())], redis_now_ms(&e.redis)).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_left_unplanned_by_an_origin_that_died_after_a_write_is_planned_by_the_others() {
    let e = env();
    create(&e, "svc", &service(1, 600)).await;
    let d = day(2);
    let h = e.api.hold(&token("b0", "buyer"), "h0", &json!({"resource_id": "svc", "date": d, "slot": "20:00", "qty": 1})).await;
    assert_eq!(h.status, 201);
    let w1 = id(&join(&e, &token("w1", "buyer"), "j1", &json!({"resource_id": "svc", "date": d, "qty": 1})).await);
    // A document write whose origin died before it planned the list again: the version moved
    // in Redis (and the mark its write left stands), the entry's plan names the old one.
    let v: u64 = e.redis.cli(&["HINCRBY", "af:{r:svc}:m", "version", "1"]).trim().parse().unwrap();
    e.redis.cli(&["HSET", "af:{r:svc}:c", "~v", &v.to_string()]);
    e.redis.cli(&["SADD", "af:waitlist:replan", "svc"]);
    // The unit freed meanwhile cannot be offered on a stale plan ...
    assert_eq!(e.api.release(&token("b0", "buyer"), &id(&h)).await.status, 200);
    // ... until an origin's loop plans the list again (every 5 s) and offers it.
    eventually(Duration::from_secs(15), || async {
        let a = entry(&e, &token("w1", "buyer"), &w1).await;
        if a.body["status"] == "offered" {
            Ok(())
        } else {
            Err(a.body)
        }
    })
    .await;
    assert_eq!(e.redis.cli(&["SISMEMBER", "af:waitlist:replan", "svc"]).trim(), "0", "the mark stays after the list was planned");
    assert_eq!(check(&e.redis, "svc", &[], redis_now_ms(&e.redis)).await, Vec::<String>::new());
}
