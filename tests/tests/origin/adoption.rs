//! Shadow enforcement, as a marketplace adopting Aforo beside its old flow runs it: capacity
//! limits checked and recorded but not refused, calendar rules still refusing, and the
//! deployment's default switched by ops while documents may name their own; and a limit
//! lowered under what is committed, refused unless the seller forces it, never an oversell.

use reqwest::Method;
use serde_json::json;

use crate::common::*;

async fn take(e: &Env, key: &str, id: &str, qty: u32) -> aforo_tests::client::Answer {
    e.api.hold(&e.buyer, key, &json!({"resource_id": id, "qty": qty})).await
}

async fn put_default(e: &Env, token: &str, body: &[u8]) -> aforo_tests::client::Answer {
    e.api.send(Method::PUT, "/v1/monitoring/enforcement", Some(token), None, Some(body.to_vec())).await
}

fn shadow(mut doc: serde_json::Value) -> serde_json::Value {
    doc["enforcement"] = json!("shadow");
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_grants_past_capacity_and_marks_exactly_those_holds() {
    let e = env();
    create(&e, "sku", &shadow(stock_doc(2))).await;
    create(&e, "strict", &stock_doc(2)).await;
    let fits = take(&e, "a", "sku", 2).await;
    assert_eq!(fits.status, 201);
    assert!(fits.body["items"][0].get("over_capacity").is_none(), "within capacity: unmarked {:?}", fits.body);
    let past = take(&e, "b", "sku", 1).await;
    assert_eq!(past.status, 201, "shadow never refuses on capacity: {:?}", past.body);
    assert_eq!(past.body["items"][0]["over_capacity"], json!(["stock"]));
    assert_eq!(take(&e, "c", "strict", 3).await.code(), "SOLD_OUT", "the default stays enforce");
    // Availability never shows a negative remaining.
    let a = e.api.availability("sku", "qty=1").await;
    assert_eq!(a.body["remaining"], 0, "{:?}", a.body);
    let metrics = e.api.text("/metrics").await;
    assert_eq!(metric(&metrics, "aforo_shadow_overflows_total", &[]), 1.0, "counted once");
    audited(&e, "type=hold.over_capacity&resource_id=sku", |ev| ev["detail"]["over_capacity"].as_object().is_some()).await;
    // Released, the units come back as usual.
    let id = past.body["id"].as_str().unwrap();
    assert_eq!(e.api.release(&e.buyer, id).await.status, 200);
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(check.body["drift_buckets"], 0, "{:?}", check.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_rules_still_refuse_in_shadow() {
    let e = env();
    create(&e, "bakery", &shadow(daily_doc(1))).await;
    let past = e.api.hold(&e.buyer, "p", &json!({"resource_id": "bakery", "date": day(-2), "qty": 1})).await;
    assert_eq!((past.status.as_u16(), past.code()), (422, "TOO_LATE"));
    let far = e.api.hold(&e.buyer, "f", &json!({"resource_id": "bakery", "date": day(400), "qty": 1})).await;
    assert_eq!((far.status.as_u16(), far.code()), (422, "BEYOND_HORIZON"));
    let ok = e.api.hold(&e.buyer, "o1", &json!({"resource_id": "bakery", "date": day(1), "qty": 1})).await;
    assert_eq!(ok.status, 201);
    let over = e.api.hold(&e.buyer, "o2", &json!({"resource_id": "bakery", "date": day(1), "qty": 1})).await;
    assert_eq!(over.body["items"][0]["over_capacity"], json!([format!("d:{}", day(1))]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_switch_the_default_and_a_document_may_name_its_own() {
    let e = env();
    create(&e, "follows", &stock_doc(1)).await;
    let mut strict = stock_doc(1);
    strict["enforcement"] = json!("enforce");
    create(&e, "strict", &strict).await;
    let path = "/v1/monitoring/enforcement";
    assert_eq!(e.api.get(&e.ops, path).await.body, json!({"default": "enforce"}));
    assert_eq!(put_default(&e, &e.seller, br#"{"default":"shadow"}"#).await.status, 403);
    assert_eq!(put_default(&e, &e.ops, br#"{"default":"sometimes"}"#).await.status, 400);
    assert_eq!(put_default(&e, &e.ops, br#"{"default":"shadow"}"#).await.body, json!({"default": "shadow"}));
    assert_eq!(e.api.get(&e.ops, path).await.body, json!({"default": "shadow"}));
    assert_eq!(take(&e, "a", "follows", 2).await.status, 201, "the default is shadow now");
    assert_eq!(take(&e, "b", "strict", 2).await.code(), "SOLD_OUT", "a document naming enforce keeps it");
    assert_eq!(put_default(&e, &e.ops, br#"{"default":"enforce"}"#).await.status, 200);
    assert_eq!(take(&e, "c", "follows", 2).await.code(), "SOLD_OUT", "switched back at once");
    let bad = e
        .api
        .put_resource(
            &e.seller,
            "x",
            &json!({"name": "x", "timezone": "UTC", "enforcement": "loose", "dimensions": {"stock": {"on_hand": 1}}}),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (422, "INVALID_CONFIG"), "{:?}", bad.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowering_a_limit_under_committed_is_refused_unless_forced_and_is_no_oversell() {
    let e = env();
    let d = day(1);
    create(&e, "room", &slots_doc(10)).await;
    let party = json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 8});
    let h = e.api.hold(&e.buyer, "eight", &party).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    let lower = e.api.put_resource(&e.seller, "room", &slots_doc(3)).await;
    assert_eq!((lower.status.as_u16(), lower.code()), (409, "CAPACITY_BELOW_COMMITTED"), "{:?}", lower.body);
    let listed = lower.body["overcommitted"].as_array().unwrap();
    assert!(listed.iter().any(|o| o["date"] == d.as_str() && o["at"] == "20:00" && o["committed"] == 8 && o["limit"] == 3), "{listed:?}");
    assert_eq!(e.api.get(&e.seller, "/v1/resources/room").await.body["version"], 1, "refused: nothing written");
    let path = "/v1/resources/room?force=true";
    let forced = e.api.send(Method::PUT, path, Some(&e.seller), None, Some(slots_doc(3).to_string().into_bytes())).await;
    assert_eq!(forced.status, 200, "{:?}", forced.body);
    assert!(!forced.body["overcommitted"].as_array().unwrap().is_empty(), "the answer lists them: {:?}", forced.body);
    let got = e.api.get(&e.seller, "/v1/resources/room").await;
    assert_eq!(got.body["overcommitted"], forced.body["overcommitted"], "and GET");
    // The booking concerned stays; no new party fits; the drift check sees a decision, not an oversell.
    assert_eq!(e.api.get_hold(&e.buyer, h.body["id"].as_str().unwrap()).await.body["status"], "held");
    let more = json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 1});
    assert_eq!(e.api.hold(&e.buyer, "one-more", &more).await.code(), "SOLD_OUT");
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!((check.body["oversold_buckets"].as_u64(), check.body["drift_buckets"].as_u64()), (Some(0), Some(0)), "{:?}", check.body);
    let metrics = e.api.text("/metrics").await;
    assert!(metrics.lines().any(|l| l == "aforo_oversold_buckets 0"), "no oversell counted");
    assert!(
        metrics.lines().any(|l| l.starts_with("aforo_overcommitted_buckets ") && l != "aforo_overcommitted_buckets 0"),
        "overcommitted counted"
    );
    // Raised back, nothing is overcommitted any more.
    assert_eq!(e.api.put_resource(&e.seller, "room", &slots_doc(10)).await.status, 200);
    assert_eq!(e.api.get(&e.seller, "/v1/resources/room").await.body["overcommitted"], json!([]));
}
