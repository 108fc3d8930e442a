//! Recovery: from Redis back (answering PING again after 4 s away) to holds answered again,
//! measured three times and printed; Redis keeps its data across the restart (AOF on), so
//! the hold that answers is a real one (201), not a refusal.

use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::harness::token;
use aforo_tests::harness::{Origin, Redis};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_answer_again_soon_after_redis_is_back() {
    let mut redis = Redis::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let origin = Origin::start(&redis.url());
    let api = Api::new(&origin.url());
    let (seller, buyer) = (token("seller-1", "seller"), token("buyer-1", "buyer"));
    let doc = json!({"name": "SKU", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 1000}}});
    assert_eq!(api.put_resource(&seller, "sku", &doc).await.status, 201);
    let mut took = Vec::new();
    for round in 0..3 {
        redis.kill();
        // Away long enough for the reconnect backoff to reach its longest and the breaker to open.
        let away = Instant::now() + Duration::from_secs(4);
        let mut n = 0;
        while Instant::now() < away {
            let h = api.hold(&buyer, &format!("away-{round}-{n}"), &json!({"resource_id": "sku", "qty": 1})).await;
            assert_eq!(h.status, 503, "{:?}", h.body);
            n += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        redis.restart();
        let back = Instant::now();
        let mut k = 0;
        loop {
            let h = api.hold(&buyer, &format!("back-{round}-{k}"), &json!({"resource_id": "sku", "qty": 1})).await;
            if h.status == 201 {
                break;
            }
            assert_eq!(h.status, 503, "{:?}", h.body);
            assert!(back.elapsed() < Duration::from_secs(15), "holds did not come back");
            k += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        took.push(back.elapsed());
    }
    let ms: Vec<u128> = took.iter().map(Duration::as_millis).collect();
    println!("recovery (Redis answering PING → a hold answered 201), ms: {ms:?}");
}
