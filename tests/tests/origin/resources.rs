//! Resources as sellers manage them: a document refused with its field paths, a new version
//! seen by the next hold, stock adjusted and validated within the documented maximum, pause
//! and resume.

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_config_names_the_field_path() {
    let e = env();
    let doc =
        json!({"name": "x", "timezone": "Mars/Olympus", "dimensions": {"slots": {"duration_min": 30, "interval_min": 0, "capacity": 2}}});
    let a = e.api.put_resource(&e.seller, "r", &doc).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "INVALID_CONFIG"));
    let paths: Vec<&str> = a.body["errors"].as_array().unwrap().iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["timezone", "dimensions.slots.interval_min"]);
    let typo = e.api.put_resource(&e.seller, "r", &json!({"name": "x", "timezone": "UTC", "dimensions": {"stok": {}}})).await;
    assert_eq!(typo.status, 422);
    assert!(typo.body["detail"].as_str().unwrap().contains("dimensions.stok"), "{:?}", typo.body);
    let syntax = e.api.send(Method::PUT, "/v1/resources/r", Some(&e.seller), None, Some(b"{nope".to_vec())).await;
    assert_eq!((syntax.status.as_u16(), syntax.code()), (400, "INVALID_REQUEST"));
    assert_eq!(e.api.send(Method::GET, "/v1/resources/r", Some(&e.seller), None, None).await.status, 404, "nothing stored");
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
    let mut body = v.body.clone();
    for it in body["items"].as_array_mut().unwrap() {
        assert!(it.as_object_mut().unwrap().remove("as_of").unwrap().is_string(), "{it}");
    }
    assert_eq!(
        body,
        json!({"items": [{"resource_id": "sku", "available": true, "current_stock": 3}, {"resource_id": "sku", "available": false, "current_stock": 3}],
               "degraded": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_past_the_documented_maximum_is_refused_and_changes_nothing() {
    let e = env();
    create(&e, "sku", &stock_doc(50)).await;
    let meta = |f: &str| e.redis.cli(&["HGET", "af:{r:sku}:m", f]);
    let mut oks = 0;
    let mut last = None;
    for _ in 0..5 {
        let a = e.api.stock(&e.seller, "sku", &json!({"delta": 999_999_999})).await;
        assert!(a.status.as_u16() < 500, "{} {:?}", a.status, a.body);
        oks += usize::from(a.status == 200);
        last = Some(a);
    }
    assert_eq!(oks, 0, "50 + 999,999,999 is over the maximum of 1,000,000,000");
    let a = last.unwrap();
    assert_eq!((a.status.as_u16(), a.code()), (422, "STOCK_OUT_OF_RANGE"), "{:?}", a.body);
    assert_eq!(a.content_type, "application/problem+json");
    assert!(a.body["detail"].as_str().unwrap().contains("1000000000"), "{:?}", a.body);
    assert_eq!((meta("on_hand"), meta("version")), ("50".to_string(), "1".to_string()));
    // Up to the maximum is fine; one more is not; a set over it is refused at the door.
    let a = e.api.stock(&e.seller, "sku", &json!({"delta": 999_999_950})).await;
    assert_eq!((a.status.as_u16(), a.body["on_hand"].as_u64()), (200, Some(1_000_000_000)), "{:?}", a.body);
    let a = e.api.stock(&e.seller, "sku", &json!({"delta": 1})).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "STOCK_OUT_OF_RANGE"));
    assert_eq!(meta("on_hand"), "1000000000");
    let a = e.api.stock(&e.seller, "sku", &json!({"set": 1_000_000_001})).await;
    assert_eq!(a.status, 400);
    // The resource is still readable and sellable.
    let r = e.api.send(Method::GET, "/v1/resources/sku", Some(&e.seller), None, None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(e.api.availability("sku", "qty=1").await.body["remaining"], 1_000_000_000);
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
