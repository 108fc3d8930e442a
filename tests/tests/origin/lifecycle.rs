//! A resource's life as its seller lives it: listed with the others, edited from two tabs
//! under `If-Match`, its stock synced by a job that retries, archived with its bookings kept.

use reqwest::Method;
use serde_json::json;

use aforo_tests::harness::token;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_retries_of_one_delta_apply_once() {
    let e = env();
    create(&e, "sku", &stock_doc(10)).await;
    let send = |body: serde_json::Value| {
        let api = e.api.clone();
        let seller = e.seller.clone();
        async move { api.stock_keyed(&seller, "sku", Some("sync-2026-11-27"), &body).await }
    };
    let answers = futures::future::join_all((0..8).map(|_| send(json!({"delta": 5})))).await;
    for a in &answers {
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!((a.body["on_hand"].as_u64(), a.body["version"].as_u64()), (Some(15), Some(2)), "every retry answers the first change");
    }
    let r = e.api.get(&e.seller, "/v1/resources/sku").await;
    assert_eq!(r.body["document"]["dimensions"]["stock"]["on_hand"], 15, "added once, not 8 times");
    let other = send(json!({"delta": 6})).await;
    assert_eq!((other.status.as_u16(), other.code()), (422, "IDEMPOTENCY_KEY_REUSED"));
    let keyless = e.api.stock_keyed(&e.seller, "sku", None, &json!({"delta": 1})).await;
    assert_eq!((keyless.status.as_u16(), keyless.code()), (400, "IDEMPOTENCY_KEY_REQUIRED"));
    assert_eq!(e.api.stock_keyed(&e.seller, "sku", None, &json!({"set": 20})).await.body["on_hand"], 20, "set needs no key");
    audited(&e, "type=stock.adjusted&resource_id=sku", |ev| ev["detail"]["change"] == json!({"set": 20})).await;
    let trail = e.api.get(&e.ops, "/v1/audit/events?type=stock.adjusted&resource_id=sku").await;
    assert_eq!(trail.body["events"].as_array().map(Vec::len), Some(2), "one delta and one set: {:?}", trail.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_refused_and_changes_nothing() {
    let e = env();
    create(&e, "bakery", &daily_doc(5)).await;
    let read = e.api.get(&e.seller, "/v1/resources/bakery").await;
    assert_eq!(read.etag.as_deref(), Some("\"1\""));
    let put = |tag: &'static str, cap: u32| {
        let (api, seller) = (e.api.clone(), e.seller.clone());
        async move {
            let body = daily_doc(cap).to_string().into_bytes();
            api.send_with(Method::PUT, "/v1/resources/bakery", Some(&seller), &[("If-Match", tag)], Some(body)).await
        }
    };
    let first_tab = put("\"1\"", 6).await;
    assert_eq!((first_tab.status.as_u16(), first_tab.etag.as_deref()), (200, Some("\"2\"")));
    let second_tab = put("\"1\"", 7).await;
    assert_eq!((second_tab.status.as_u16(), second_tab.code()), (412, "VERSION_CONFLICT"), "{:?}", second_tab.body);
    let now = e.api.get(&e.seller, "/v1/resources/bakery").await;
    assert_eq!((now.body["version"].as_u64(), now.body["document"]["dimensions"]["daily"]["capacity"].as_u64()), (Some(2), Some(6)));
    assert_eq!(put("W/\"2\"", 8).await.status, 200, "a weak tag names the same version");
    assert_eq!(put("*", 9).await.status, 200);
    let bad = put("version two", 9).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_REQUEST"));
    let absent = e
        .api
        .send_with(Method::PUT, "/v1/resources/new", Some(&e.seller), &[("If-Match", "*")], Some(daily_doc(1).to_string().into_bytes()))
        .await;
    assert_eq!(absent.status, 412, "If-Match needs a stored version");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_are_paged_by_id_and_scoped_to_the_seller() {
    let e = env();
    for id in ["c", "a", "e", "b", "d"] {
        create(&e, id, &stock_doc(1)).await;
    }
    let other = token("seller-2", "seller");
    assert_eq!(e.api.put_resource(&other, "z", &daily_doc(1)).await.status, 201);
    let page = e.api.get(&e.seller, "/v1/resources?limit=2").await;
    let ids = |a: &aforo_tests::client::Answer| {
        a.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&page), ["a", "b"]);
    assert_eq!(
        page.body["items"][0],
        json!({"id": "a", "name": "SKU", "kind": "STOCK", "version": 1, "owner": "seller-1", "paused": false})
    );
    let mut all = ids(&page);
    let mut next = page.body["next"].as_str().map(String::from);
    while let Some(c) = next {
        let p = e.api.get(&e.seller, &format!("/v1/resources?limit=2&cursor={c}")).await;
        all.extend(ids(&p));
        next = p.body["next"].as_str().map(String::from);
    }
    assert_eq!(all, ["a", "b", "c", "d", "e"], "a seller sees its own");
    assert_eq!(ids(&e.api.get(&other, "/v1/resources").await), ["z"]);
    assert_eq!(ids(&e.api.get(&e.ops, "/v1/resources?limit=200").await), ["a", "b", "c", "d", "e", "z"], "ops see all");
    assert_eq!(e.api.get(&e.buyer, "/v1/resources").await.status, 403);
    // The listings are separate keys written after the document: lost, the drift check lists
    // every live resource again.
    e.redis.cli(&["DEL", "af:resources"]);
    assert!(ids(&e.api.get(&e.ops, "/v1/resources").await).is_empty());
    assert_eq!(e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await.status, 200);
    assert_eq!(ids(&e.api.get(&e.ops, "/v1/resources?limit=200").await), ["a", "b", "c", "d", "e", "z"], "mended");
    for bad in ["limit=0", "limit=201", "cursor=%2F..", "page=2"] {
        let a = e.api.get(&e.seller, &format!("/v1/resources?{bad}")).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_resource_is_gone_but_its_bookings_stay() {
    let e = env();
    create(&e, "sku", &stock_doc(3)).await;
    let paid = e.api.hold(&e.buyer, "paid", &json!({"resource_id": "sku", "qty": 1})).await;
    let paid_id = paid.body["id"].as_str().unwrap().to_string();
    assert_eq!(e.api.consume(&e.buyer, &paid_id).await.status, 200);
    let held = e.api.hold(&e.buyer, "held", &json!({"resource_id": "sku", "qty": 1})).await;
    let held_id = held.body["id"].as_str().unwrap().to_string();
    let stranger = token("seller-2", "seller");
    assert_eq!(e.api.send(Method::DELETE, "/v1/resources/sku", Some(&stranger), None, None).await.status, 403);
    let in_use = e.api.send(Method::DELETE, "/v1/resources/sku", Some(&e.seller), None, None).await;
    assert_eq!((in_use.status.as_u16(), in_use.code()), (409, "RESOURCE_IN_USE"), "{:?}", in_use.body);
    assert_eq!(e.api.availability("sku", "qty=1").await.status, 200, "a refused archive changes nothing");
    let gone = e.api.send(Method::DELETE, "/v1/resources/sku?force=true", Some(&e.seller), None, None).await;
    assert_eq!(gone.status, 204, "{:?}", gone.body);
    assert_eq!(e.api.get(&e.seller, "/v1/resources/sku").await.status, 404);
    assert_eq!(e.api.availability("sku", "qty=1").await.status, 404);
    assert_eq!(e.api.hold(&e.buyer, "after", &json!({"resource_id": "sku", "qty": 1})).await.status, 404);
    assert_eq!(e.api.put_resource(&e.seller, "sku", &stock_doc(3)).await.status, 404, "the id is not reused");
    assert_eq!(e.api.stock(&e.seller, "sku", &json!({"set": 9})).await.status, 404);
    assert_eq!(e.api.send(Method::DELETE, "/v1/resources/sku", Some(&e.seller), None, None).await.status, 404);
    assert_eq!(e.api.get_hold(&e.buyer, &paid_id).await.body["status"], "consumed", "the paid booking stays readable");
    let bookings = e.api.get(&e.seller, "/v1/resources/sku/bookings").await;
    assert_eq!(bookings.status, 200, "and listed: {:?}", bookings.body);
    assert!(bookings.body["items"].as_array().unwrap().iter().any(|b| b["hold_id"] == paid_id.as_str() && b["status"] == "consumed"));
    assert_eq!(e.api.get_hold(&e.buyer, &held_id).await.body["status"], "released", "the forced archive released the hold");
    assert!(e.api.get(&e.seller, "/v1/resources").await.body["items"].as_array().unwrap().is_empty());
    audited(&e, "type=resource.archived&resource_id=sku", |ev| ev["detail"]["released"] == json!([held_id])).await;
    audited(&e, "type=hold.released&resource_id=sku", |ev| ev["hold_id"] == held_id.as_str()).await;
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, Some(b"{}".to_vec())).await;
    assert_eq!(check.status, 200, "the drift check still reads archived resources: {:?}", check.body);
}
