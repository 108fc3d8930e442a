//! Faults under a checkout mix, each followed by the invariant checker: the origin killed
//! with SIGKILL mid-run and restarted while clients retry with their keys; Redis (AOF
//! `appendfsync always`) killed and restarted mid-run.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::{Answer, Api};
use aforo_tests::harness::{token, Origin, Redis};
use reqwest::Method;
use serde_json::json;

/// Retries a request with the same idempotency key until it gets an answer (a transport
/// error or a 503 means the origin or Redis is down for now).
async fn until_answered(api: &Api, m: Method, path: &str, tok: &str, key: Option<&str>, body: Option<Vec<u8>>) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match api.try_send(m.clone(), path, Some(tok), key, body.clone()).await {
            Ok(a) if a.status != 503 => return a,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Ok(a) => return a,
            Err(e) => panic!("no answer within 30 s: {e}"),
        }
    }
}

/// 24 clients for `secs`: hold, then consume / release / abandon, retrying every request
/// with its key until it is answered. Returns what the clients were told.
async fn checkout_mix(api: Api, resource: &str, secs: u64) -> Vec<Ack> {
    let acks = Arc::new(Mutex::new(Vec::new()));
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..24 {
        let (api, acks, resource) = (api.clone(), acks.clone(), resource.to_string());
        tasks.push(tokio::spawn(async move {
            let tok = token(&format!("fault-{c}"), "buyer");
            let mut n = 0;
            while Instant::now() < stop {
                n += 1;
                let body = json!({"resource_id": resource, "qty": 1 + n % 3}).to_string().into_bytes();
                let key = format!("c{c}-{n}");
                let h = until_answered(&api, Method::POST, "/v1/holds", &tok, Some(&key), Some(body)).await;
                let Some(id) = h.body["id"].as_str().map(String::from) else { continue };
                acks.lock().unwrap().push(Ack::Held(id.clone()));
                match n % 3 {
                    0 => {
                        let r = until_answered(&api, Method::POST, &format!("/v1/holds/{id}/consume"), &tok, None, None).await;
                        if r.status == 200 {
                            acks.lock().unwrap().push(Ack::Consumed(id));
                        }
                    }
                    1 => {
                        let r = until_answered(&api, Method::POST, &format!("/v1/holds/{id}/release"), &tok, None, None).await;
                        if r.status == 200 && r.body["status"] == "released" {
                            acks.lock().unwrap().push(Ack::Released(id));
                        }
                    }
                    _ => {} // abandoned: expires by itself
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

fn stock(n: u32) -> serde_json::Value {
    json!({"name": "SKU", "timezone": "UTC", "hold_ttl_s": 2, "dimensions": {"stock": {"on_hand": n}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_killed_mid_run_loses_and_doubles_nothing() {
    let redis = Redis::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let origin = Arc::new(Mutex::new(Origin::start(&redis.url())));
    let port = origin.lock().unwrap().port;
    let api = Api::new(&format!("http://127.0.0.1:{port}"));
    assert_eq!(api.put_resource(&token("s", "seller"), "sku", &stock(60)).await.status, 201);
    let killer = {
        let origin = origin.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let mut o = origin.lock().unwrap();
            o.kill(); // SIGKILL
            std::thread::sleep(Duration::from_millis(400));
            o.restart();
        })
    };
    let acks = checkout_mix(api.clone(), "sku", 5).await;
    killer.await.unwrap();
    assert!(acks.iter().filter(|a| matches!(a, Ack::Held(_))).count() > 50, "too little traffic to mean anything");
    settle_and_check(&redis, &api, "sku", &acks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_with_aof_always_keeps_every_acknowledged_hold() {
    let redis = Arc::new(Mutex::new(Redis::start(&["--appendonly", "yes", "--appendfsync", "always"])));
    let url = redis.lock().unwrap().url();
    let origin = Origin::start(&url);
    let api = Api::new(&origin.url());
    assert_eq!(api.put_resource(&token("s", "seller"), "sku", &stock(60)).await.status, 201);
    let bouncer = {
        let redis = redis.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            redis.lock().unwrap().restart(); // SIGKILL, then the same port and AOF folder
        })
    };
    let acks = checkout_mix(api.clone(), "sku", 5).await;
    bouncer.await.unwrap();
    let redis = Arc::try_unwrap(redis).unwrap().into_inner().unwrap();
    settle_and_check(&redis, &api, "sku", &acks).await;
    // The library survived the restart with the data (Redis Functions persist in the AOF).
    assert_eq!(api.send(Method::GET, "/readyz", None, None, None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checker_catches_a_counter_corrupted_by_hand() {
    let redis = Redis::start(&[]);
    let origin = Origin::start(&redis.url());
    let api = Api::new(&origin.url());
    assert_eq!(api.put_resource(&token("s", "seller"), "sku", &stock(5)).await.status, 201);
    let h = api.hold(&token("b", "buyer"), "k", &json!({"resource_id": "sku", "qty": 2})).await;
    let acks = vec![Ack::Held(h.body["id"].as_str().unwrap().to_string())];
    assert_eq!(check(&redis, "sku", &acks, redis_now_ms(&redis)).await, Vec::<String>::new());
    redis.cli(&["HINCRBY", "af:{r:sku}:c", "stock", "1"]);
    let bad = check(&redis, "sku", &acks, redis_now_ms(&redis)).await;
    assert_eq!(bad, ["sku stock: counter 3, live holds 2"]);
    let lost = vec![Ack::Held("h_00000000000000000000000000_sku".into())];
    redis.cli(&["HINCRBY", "af:{r:sku}:c", "stock", "-1"]);
    assert_eq!(
        check(&redis, "sku", &lost, redis_now_ms(&redis)).await,
        ["h_00000000000000000000000000_sku: acknowledged to a client, missing in Redis"]
    );
}
