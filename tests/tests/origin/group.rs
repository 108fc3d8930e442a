//! The group commit over HTTP: holds on one hot resource coalesce into groups (one Redis call
//! each), and nothing a client is told changes: the last unit has exactly one winner among
//! 1,000 clients, carts keep their saga across a group, the invariant checker finds nothing
//! under hundreds of clients, and an origin killed mid-group loses and doubles nothing for
//! clients retrying with their keys.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::{Answer, Api};
use aforo_tests::harness::{token, Origin, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

fn stock(n: u32, ttl_s: u32) -> Value {
    json!({"name": "Drop", "timezone": "UTC", "hold_ttl_s": ttl_s, "dimensions": {"stock": {"on_hand": n}}})
}

/// The mean group size this origin saw (`aforo_hold_group_size`), and how many calls.
async fn group_sizes(api: &Api) -> (f64, f64) {
    let text = api.text("/metrics").await;
    let (sum, count) = (metric(&text, "aforo_hold_group_size_sum", &[]), metric(&text, "aforo_hold_group_size_count", &[]));
    (if count > 0.0 { sum / count } else { 0.0 }, count)
}

/// Sends until answered with something other than a 503 or a dropped connection (the
/// origin or Redis down for now), with the same key every time.
async fn until_answered(api: &Api, path: &str, tok: &str, key: Option<&str>, body: Option<&Value>) -> Answer {
    eventually_every(Duration::from_secs(30), Duration::from_millis(50), || async {
        let bytes = body.map(|b| b.to_string().into_bytes());
        match api.try_send(Method::POST, path, Some(tok), key, bytes).await {
            Ok(a) if a.status != 503 => Ok(a),
            other => Err(format!("no answer: {:?}", other.map(|a| a.status))),
        }
    })
    .await
}

/// `clients` buyers at once on the last unit of a fresh resource, through an origin with
/// `AFORO_BATCH_MAX=batch`: exactly one winner; answers the mean group size.
async fn last_unit(batch: &str, clients: usize) -> f64 {
    let redis = Redis::start(&[]);
    let origin = Origin::start_with(&redis.url(), &[("AFORO_BATCH_MAX", batch)]);
    let api = Api::new(&origin.url());
    assert_eq!(api.put_resource(&token("s", "seller"), "drop", &stock(1, 600)).await.status, 201);
    let start = Arc::new(tokio::sync::Barrier::new(clients));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (api, start) = (api.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let tok = token(&format!("fan-{c}"), "buyer");
            start.wait().await;
            until_answered(&api, "/v1/holds", &tok, Some(&format!("k{c}")), Some(&json!({"resource_id": "drop", "qty": 1}))).await
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        match a.status.as_u16() {
            201 => winners.push(a.body["id"].as_str().unwrap().to_string()),
            409 => assert_eq!(a.code(), "SOLD_OUT"),
            s => panic!("unexpected {s}: {:?}", a.body),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(counter(&redis, "drop", "stock"), 1);
    let acks = vec![Ack::Held(winners[0].clone())];
    assert_eq!(check(&redis, "drop", &acks, redis_now_ms(&redis)).await, Vec::<String>::new());
    group_sizes(&api).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_unit_among_1000_clients_has_exactly_one_winner() {
    let _crowd = crowd().await;
    let mean = last_unit("64", 1000).await;
    assert!(mean > 1.0, "1,000 holds at once should have been grouped: mean {mean}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_batch_1_every_hold_is_its_own_call_and_the_last_unit_still_has_one_winner() {
    let _crowd = crowd().await;
    assert_eq!(last_unit("1", 300).await, 1.0);
}

/// `clients` buyers for `secs` on `resource`: hold, then consume, release or abandon by
/// turn, each request retried with its key until answered. What they were told.
async fn hammer(api: Api, resource: &'static str, clients: usize, secs: u64) -> Vec<Ack> {
    let acks = Arc::new(Mutex::new(Vec::new()));
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (api, acks) = (api.clone(), acks.clone());
        tasks.push(tokio::spawn(async move {
            let tok = token(&format!("hot-{c}"), "buyer");
            let mut n = 0;
            while Instant::now() < stop {
                n += 1;
                let key = format!("c{c}-{n}");
                let body = json!({"resource_id": resource, "qty": 1 + n % 2});
                let h = until_answered(&api, "/v1/holds", &tok, Some(&key), Some(&body)).await;
                let Some(id) = h.body["id"].as_str().map(String::from) else { continue };
                // The same key again answers the same hold: nothing doubled by a retry.
                if n % 5 == 0 {
                    let again = until_answered(&api, "/v1/holds", &tok, Some(&key), Some(&body)).await;
                    assert_eq!(again.body["id"], h.body["id"], "a retry with the key answered another hold");
                }
                acks.lock().unwrap().push(Ack::Held(id.clone()));
                let path = match n % 3 {
                    0 => format!("/v1/holds/{id}/consume"),
                    1 => format!("/v1/holds/{id}/release"),
                    _ => continue,
                };
                let r = until_answered(&api, &path, &tok, None, None).await;
                if r.status == 200 && r.body["status"] == "consumed" {
                    acks.lock().unwrap().push(Ack::Consumed(id));
                } else if r.status == 200 && r.body["status"] == "released" {
                    acks.lock().unwrap().push(Ack::Released(id));
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(acks).unwrap().into_inner().unwrap()
}

async fn settle_and_check(redis: &Redis, api: &Api, resource: &str, acks: &[Ack]) {
    // Past every expiry (TTL 2 s) and a sweep, then a read that reclaims on its own too.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let _ = api.availability(resource, "qty=1").await;
    let bad = check(redis, resource, acks, redis_now_ms(redis)).await;
    assert!(bad.is_empty(), "{} violations: {:#?}", bad.len(), &bad[..bad.len().min(20)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_clients_on_one_hot_resource_leave_no_violation() {
    let _crowd = crowd().await;
    let redis = Redis::start(&[]);
    let origin = Origin::start_with(&redis.url(), &[("AFORO_BATCH_MAX", "32")]);
    let api = Api::new(&origin.url());
    assert_eq!(api.put_resource(&token("s", "seller"), "hot", &stock(150, 2)).await.status, 201);
    let acks = hammer(api.clone(), "hot", 300, 4).await;
    assert!(acks.iter().filter(|a| matches!(a, Ack::Held(_))).count() > 150, "too little traffic to mean anything");
    let (mean, _) = group_sizes(&api).await;
    assert!(mean > 1.0, "300 clients on one resource should have been grouped: mean {mean}");
    settle_and_check(&redis, &api, "hot", &acks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_killed_mid_group_loses_and_doubles_nothing() {
    let _crowd = crowd().await;
    let redis = Redis::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let origin = Arc::new(Mutex::new(Origin::start_with(&redis.url(), &[("AFORO_BATCH_MAX", "64")])));
    let port = origin.lock().unwrap().port;
    let api = Api::new(&format!("http://127.0.0.1:{port}"));
    assert_eq!(api.put_resource(&token("s", "seller"), "hot", &stock(200, 2)).await.status, 201);
    let killer = {
        let origin = origin.clone();
        tokio::spawn(async move {
            for _ in 0..2 {
                tokio::time::sleep(Duration::from_millis(1200)).await;
                let mut o = origin.lock().unwrap();
                o.kill(); // SIGKILL: groups in flight are cut off, their clients retry
                std::thread::sleep(Duration::from_millis(300));
                o.restart();
            }
        })
    };
    let acks = hammer(api.clone(), "hot", 200, 5).await;
    killer.await.unwrap();
    assert!(acks.iter().filter(|a| matches!(a, Ack::Held(_))).count() > 100, "too little traffic to mean anything");
    settle_and_check(&redis, &api, "hot", &acks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carts_keep_their_saga_across_groups_on_a_hot_resource() {
    let _crowd = crowd().await;
    let redis = Redis::start(&[]);
    let origin = Origin::start_with(&redis.url(), &[("AFORO_BATCH_MAX", "64")]);
    let api = Api::new(&origin.url());
    let seller = token("s", "seller");
    // Hot never sells out here: every cart refused is refused by side, after its hot step.
    assert_eq!(api.put_resource(&seller, "hot", &stock(300, 600)).await.status, 201);
    assert_eq!(api.put_resource(&seller, "side", &stock(20, 600)).await.status, 201);
    let mut tasks = Vec::new();
    for c in 0..200 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let tok = token(&format!("cart-{c}"), "buyer");
            // Every other client a cart of both resources; the hot one is its home on odd
            // clients, its second part on the others: either way it rides the hot groups.
            let body = match c % 4 {
                0 => json!({"items": [{"resource_id": "hot", "qty": 1}, {"resource_id": "side", "qty": 1}]}),
                2 => json!({"items": [{"resource_id": "side", "qty": 1}, {"resource_id": "hot", "qty": 1}]}),
                _ => json!({"resource_id": "hot", "qty": 1}),
            };
            let a = until_answered(&api, "/v1/holds", &tok, Some(&format!("k{c}")), Some(&body)).await;
            (c % 2 == 0, a.status.as_u16(), a.body["id"].as_str().map(String::from))
        }));
    }
    let (mut carts, mut singles, mut acks, mut cart_acks) = (0u64, 0u64, Vec::new(), Vec::new());
    for t in tasks {
        let (cart, status, id) = t.await.unwrap();
        let ack = Ack::Held(id.clone().unwrap_or_default());
        match status {
            201 if cart => {
                carts += 1;
                cart_acks.push(ack.clone());
            }
            201 => singles += 1,
            409 => continue,
            s => panic!("unexpected {s}"),
        }
        acks.push(ack);
    }
    assert_eq!(carts, 20, "the side resource sells out: exactly its 20 units go in carts");
    assert_eq!(counter(&redis, "side", "stock"), 20);
    assert_eq!(counter(&redis, "hot", "stock"), carts + singles, "all or nothing: a refused cart left nothing on hot");
    assert_eq!(singles, 100);
    // Every hold answered has its part on hot; every cart answered, its part on side too.
    assert_eq!(check(&redis, "hot", &acks, redis_now_ms(&redis)).await, Vec::<String>::new());
    assert_eq!(check(&redis, "side", &cart_acks, redis_now_ms(&redis)).await, Vec::<String>::new());
}
