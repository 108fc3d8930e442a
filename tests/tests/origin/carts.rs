//! Carts: several items in one hold, all or nothing (a refused cart takes nothing, a retry
//! with its key converges), and never so large that one Redis call runs long.

use serde_json::{json, Value};

use crate::common::*;

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

/// A cart of many costly slots of one resource is one atomic Redis call: past
/// `MAX_CART_BUCKETS` counters it is refused before anything is taken, so that no request
/// makes that call long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_cannot_make_one_redis_call_long() {
    let e = env();
    let (_, doc) = aforo_tests::docs::at_limits().into_iter().find(|(n, _)| *n == "at-limit-hold").unwrap();
    create(&e, "passes", &doc).await;
    let d = day(3);
    let a = e.api.availability("passes", &format!("date={d}&qty=1")).await;
    let slots: Vec<Value> = a.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "available")
        .step_by(2)
        .take(20)
        .map(|s| s["slot"].clone())
        .collect();
    let items = |n: usize| -> Value {
        json!({"items": slots.iter().take(n).map(|s| json!({"resource_id": "passes", "date": d, "slot": s, "qty": 1})).collect::<Vec<_>>()})
    };
    let big = e.api.hold(&e.buyer, "big-cart", &items(20)).await;
    assert_eq!((big.status.as_u16(), big.code()), (400, "INVALID_REQUEST"), "{:?}", big.body);
    assert!(big.body["detail"].as_str().unwrap().contains("at most 2000"), "{:?}", big.body);
    assert_eq!(e.redis.cli(&["HLEN", "af:{r:passes}:c"]), "1", "only the version: nothing was taken");
    let fits = e.api.hold(&e.buyer, "cart", &items(10)).await;
    assert_eq!(fits.status, 201, "{:?}", fits.body);
}
