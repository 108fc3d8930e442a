//! What one caller cannot take from the others (docs/abuse.md), against real Redis: a buyer's
//! share of a resource checked inside the atomic hold (also under a burst of its own), `qty.max`
//! over a cart's repeated items, host actions on one's own floor only and never before the
//! seating started, an expired hold taken back only within a grace and at today's price,
//! hold ids that reveal nothing, ownership by role and subject.

use std::time::Duration;

use aforo_tests::client::Answer;
use aforo_tests::harness::{token, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

async fn post(e: &Env, tok: &str, path: &str, body: Option<&Value>) -> Answer {
    e.api.send(Method::POST, path, Some(tok), None, body.map(|b| b.to_string().into_bytes())).await
}

fn id_of(a: &Answer) -> String {
    a.body["id"].as_str().unwrap_or_else(|| panic!("no id: {:?}", a.body)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_buyer_cannot_hold_every_unit_with_fresh_keys() {
    let e = env();
    let mut doc = stock_doc(10);
    doc["qty"] = json!({"max": 2});
    create(&e, "sku", &doc).await;
    // Default max_held_units: 2 × qty.max = 4.
    let mut held = Vec::new();
    for i in 0..4 {
        let a = e.api.hold(&e.buyer, &format!("k{i}"), &json!({"resource_id": "sku", "qty": 1})).await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        held.push(id_of(&a));
    }
    let over = e.api.hold(&e.buyer, "k-over", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!((over.status.as_u16(), over.code()), (409, "BUYER_LIMIT"), "{:?}", over.body);
    assert_eq!(
        (over.body["limit_name"].as_str(), over.body["used"].as_u64(), over.body["limit"].as_u64()),
        (Some("max_held_units"), Some(4), Some(4))
    );
    assert_eq!(counter(&e.redis, "sku", "stock"), 4, "nothing taken by the refused hold");
    // Another buyer is served.
    let other = e.api.hold(&token("buyer-2", "buyer"), "k0", &json!({"resource_id": "sku", "qty": 2})).await;
    assert_eq!(other.status, 201, "{:?}", other.body);
    // A consumed hold is held no longer; a released one gives its share back.
    assert_eq!(e.api.consume(&e.buyer, &held[0]).await.status, 200);
    assert_eq!(e.api.release(&e.buyer, &held[1]).await.status, 200);
    for k in ["k5", "k6"] {
        let a = e.api.hold(&e.buyer, k, &json!({"resource_id": "sku", "qty": 1})).await;
        assert_eq!(a.status, 201, "{k}: {:?}", a.body);
    }
    assert_eq!(e.api.hold(&e.buyer, "k7", &json!({"resource_id": "sku", "qty": 1})).await.code(), "BUYER_LIMIT");
    // The buyer's counters are never in the event stream, and the drift check stays clean.
    let stream = e.redis.cli(&["XRANGE", "af:{r:sku}:e", "-", "+"]);
    assert!(stream.contains("\"bucket\":\"stock\"") && !stream.contains('~'), "{stream}");
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(check.status, 200, "{:?}", check.body);
    assert_eq!((check.body["drift_buckets"].as_u64(), check.body["oversold_buckets"].as_u64()), (Some(0), Some(0)), "{:?}", check.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_one_buyer_gets_no_more_than_its_share() {
    let _crowd = crowd().await;
    let e = env();
    let mut doc = daily_doc(500);
    doc["per_buyer"] = json!({"max_held_units": 5, "max_units_per_date": 7});
    create(&e, "bakery", &doc).await;
    let d = day(3);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (api, b, d) = (e.api.clone(), e.buyer.clone(), d.clone());
        tasks.push(tokio::spawn(async move {
            api.hold(&b, &format!("burst-{i}"), &json!({"resource_id": "bakery", "date": d, "qty": 1})).await
        }));
    }
    let (mut ok, mut limited) = (Vec::new(), 0);
    for t in tasks {
        let a = t.await.unwrap();
        match a.status.as_u16() {
            201 => ok.push(id_of(&a)),
            409 if a.code() == "BUYER_LIMIT" => limited += 1,
            s => panic!("unexpected {s}: {:?}", a.body),
        }
    }
    assert_eq!((ok.len(), limited), (5, 195));
    assert_eq!(counter(&e.redis, "bakery", &format!("d:{d}")), 5);
    // Consumed units count against the date: 5 bought, 2 more at most on that date.
    for id in &ok {
        assert_eq!(e.api.consume(&e.buyer, id).await.status, 200);
    }
    let two = e.api.hold(&e.buyer, "more", &json!({"resource_id": "bakery", "date": d, "qty": 2})).await;
    assert_eq!(two.status, 201, "{:?}", two.body);
    let over = e.api.hold(&e.buyer, "more-2", &json!({"resource_id": "bakery", "date": d, "qty": 1})).await;
    assert_eq!((over.code(), over.body["limit_name"].as_str()), ("BUYER_LIMIT", Some("max_units_per_date")), "{:?}", over.body);
    // Another date is another share.
    let other_day = e.api.hold(&e.buyer, "other-day", &json!({"resource_id": "bakery", "date": day(4), "qty": 1})).await;
    assert_eq!(other_day.status, 201, "{:?}", other_day.body);
    // Ops and another buyer are not limited by this buyer's share.
    let ops = e.api.hold(&e.ops, "ops-1", &json!({"resource_id": "bakery", "date": d, "qty": 20})).await;
    assert_eq!(ops.status, 201, "{:?}", ops.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qty_max_bounds_the_items_of_one_resource_in_one_hold() {
    let e = env();
    let mut doc = stock_doc(100);
    doc["qty"] = json!({"max": 4});
    doc["per_buyer"] = json!({"max_held_units": 100});
    create(&e, "sku", &doc).await;
    let items: Vec<Value> = (0..10).map(|_| json!({"resource_id": "sku", "qty": 4})).collect();
    let a = e.api.hold(&e.buyer, "cart", &json!({"items": items})).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "QTY_OUT_OF_RANGE"), "{:?}", a.body);
    assert_eq!(counter(&e.redis, "sku", "stock"), 0);
    let fits =
        e.api.hold(&e.buyer, "cart-2", &json!({"items": [{"resource_id": "sku", "qty": 2}, {"resource_id": "sku", "qty": 2}]})).await;
    assert_eq!(fits.status, 201, "{:?}", fits.body);
}

/// A room with one table, T1 for 2 to 4, open all day (UTC), 90-minute seatings.
fn one_table() -> Value {
    json!({"name": "Room", "timezone": "UTC", "qty": {"min": 1, "max": 4},
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 30, "capacity": 40,
            "tables": [{"id": "T1", "seats": [2, 4]}]}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_table_frees_before_its_seating_and_hosts_act_on_their_own_floor() {
    let e = env();
    create(&e, "room", &one_table()).await;
    let other_seller = token("seller-2", "seller");
    assert_eq!(e.api.put_resource(&other_seller, "shop", &stock_doc(5)).await.status, 201);
    let d = day(3);
    // A paid booking three days ahead.
    let b = e.api.hold(&e.buyer, "dinner", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2})).await;
    assert_eq!(b.status, 201, "{:?}", b.body);
    let id = id_of(&b);
    assert_eq!(e.api.consume(&e.buyer, &id).await.status, 200);
    let f = post(&e, &e.seller, &format!("/v1/holds/{id}/finish"), None).await;
    assert_eq!((f.status.as_u16(), f.code()), (409, "NOT_SEATED"), "{:?}", f.body);
    // The table stays the party's: the next buyer is not given it.
    let next =
        e.api.hold(&token("buyer-2", "buyer"), "dinner", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2})).await;
    assert_eq!(next.status, 409, "{:?}", next.body);

    // A cart across sellers: the party sits on room (seller-1); the home is seller-2's shop.
    let cart = e
        .api
        .hold(
            &token("buyer-3", "buyer"),
            "cart",
            &json!({"items": [{"resource_id": "shop", "qty": 1}, {"resource_id": "room", "date": d, "slot": "18:00", "qty": 2}]}),
        )
        .await;
    assert_eq!(cart.status, 201, "{:?}", cart.body);
    let cid = id_of(&cart);
    // The floor's owner moves it, naming its resource; the answer shows only its own items.
    let mv = post(&e, &e.seller, &format!("/v1/holds/{cid}/tables"), Some(&json!({"tables": ["T1"], "resource_id": "room"}))).await;
    assert_eq!(mv.status, 200, "{:?}", mv.body);
    let items = mv.body["items"].as_array().unwrap();
    assert!(items.iter().all(|it| it["resource_id"] == "room") && !items.is_empty(), "{:?}", mv.body);
    // Without naming it, the hold is ambiguous: asked to name it.
    let vague = post(&e, &e.seller, &format!("/v1/holds/{cid}/finish"), None).await;
    assert_eq!((vague.status.as_u16(), vague.code()), (400, "INVALID_REQUEST"), "{:?}", vague.body);
    // The other seller cannot touch the party on a floor not its own, nor see it.
    let theirs = post(&e, &other_seller, &format!("/v1/holds/{cid}/finish"), Some(&json!({"resource_id": "room"}))).await;
    assert_eq!(theirs.status, 403, "{:?}", theirs.body);
    let own = post(&e, &other_seller, &format!("/v1/holds/{cid}/finish"), Some(&json!({"resource_id": "shop"}))).await;
    assert_ne!(own.status, 200, "a shop item is not a seating: {:?}", own.body);
    assert!(!own.body.to_string().contains("room"), "{:?}", own.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_comes_back_only_within_the_grace_and_at_todays_price() {
    let e = Env::with(Redis::start(&[]), &[("AFORO_RETAKE_GRACE_S", "3")]);
    let doc = json!({"name": "Show", "timezone": "UTC", "hold_ttl_s": 1, "dimensions": {"daily": {"capacity": 4}},
        "per_buyer": {"max_held_units": 10},
        "pricing": {"currency": "EUR", "base_minor": 1000, "triggers": [{"utilization_gte": 0.5, "multiplier": 3.0, "tier": "surge"}]}});
    create(&e, "show", &doc).await;
    let d = day(5);
    // Within the grace, at the same price: taken back.
    let a = e.api.hold(&e.buyer, "a", &json!({"resource_id": "show", "date": d, "qty": 1})).await;
    let a_id = id_of(&a);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let c = e.api.consume(&e.buyer, &a_id).await;
    assert_eq!((c.status.as_u16(), c.body["status"].as_str()), (200, Some("consumed")), "{:?}", c.body);
    // Expired while the date filled: today's price is three times the old one.
    let b = e.api.hold(&e.buyer, "b", &json!({"resource_id": "show", "date": d, "qty": 1})).await;
    let b_id = id_of(&b);
    assert_eq!(b.body["items"][0]["price"]["unit_minor"], 1000, "{:?}", b.body);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let filler = e.api.hold(&token("buyer-2", "buyer"), "f", &json!({"resource_id": "show", "date": d, "qty": 1})).await;
    assert_eq!(filler.status, 201, "{:?}", filler.body);
    let before = counter(&e.redis, "show", &format!("d:{d}"));
    let p = e.api.consume(&e.buyer, &b_id).await;
    assert_eq!((p.status.as_u16(), p.code()), (409, "PRICE_CHANGED"), "{:?}", p.body);
    assert_eq!(p.body["prices"][0]["unit_minor"], 3000, "{:?}", p.body);
    assert_eq!(counter(&e.redis, "show", &format!("d:{d}")), before, "nothing taken");
    // Past the grace: gone, whatever the price.
    assert_eq!(e.api.release(&token("buyer-2", "buyer"), &id_of(&filler)).await.status, 200);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let late = e.api.consume(&e.buyer, &b_id).await;
    assert_eq!((late.status.as_u16(), late.code()), (410, "HOLD_EXPIRED"), "{:?}", late.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_ids_reveal_nothing_and_ownership_is_by_role_and_subject() {
    let e = env();
    create(&e, "trattoria_secret", &one_table()).await;
    let d = day(2);
    let a = e
        .api
        .hold(
            &token("ana@example.com", "buyer"),
            "order-7",
            &json!({"resource_id": "trattoria_secret", "date": d, "slot": "20:00", "qty": 2}),
        )
        .await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    let id = id_of(&a);
    for secret in ["trattoria", "secret", "ana", "example", "order"] {
        assert!(!id.contains(secret), "{id} reveals {secret}");
    }
    assert_eq!(e.api.get_hold(&token("ana@example.com", "buyer"), &id).await.status, 200);
    let mut tampered = id.clone();
    tampered.replace_range(id.len() - 3.., "AAA");
    assert_eq!(e.api.get_hold(&e.ops, &tampered).await.status, 404);

    // A walk-in belongs to the seller as a seller: a buyer with the seller's `sub` sees none of it.
    let w = e
        .api
        .send(
            Method::POST,
            "/v1/resources/trattoria_secret/walk-ins",
            Some(&e.seller),
            Some("w1"),
            Some(json!({"party": 2}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(w.status, 201, "{:?}", w.body);
    let impostor = token("seller-1", "buyer");
    let seen = e.api.get_hold(&impostor, &id_of(&w)).await;
    assert!(seen.status == 403 || seen.status == 404, "{:?}", seen.body);
    assert_eq!(e.api.release(&impostor, &id_of(&w)).await.status.as_u16() / 100, 4);
    // The same key of a buyer with the seller's sub is its own: no replay of the walk-in.
    let own = e.api.hold(&impostor, "w1", &json!({"resource_id": "trattoria_secret", "date": d, "slot": "13:00", "qty": 2})).await;
    assert_eq!(own.status, 201, "{:?}", own.body);
    assert_ne!(id_of(&own), id_of(&w));
    assert_eq!(e.api.get_hold(&e.seller, &id_of(&own)).await.status, 403);
}
