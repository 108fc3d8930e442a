//! Faults under a checkout mix or a crowd on the last unit, each followed by the invariant
//! checker: the origin killed with SIGKILL mid-run and restarted while clients retry with
//! their keys; Redis (AOF `appendfsync always`, then `everysec`) killed and restarted mid-run;
//! Redis frozen for 5 s; two origins on one Redis, and on a 3-node cluster, under last-unit.
//! And Redis losing its function library (`FUNCTION FLUSH`) or reaching its memory ceiling.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::client::{Answer, Api};
use aforo_tests::harness::{token, Cluster, Origin, Redis};
use reqwest::Method;
use serde_json::json;

use crate::common::*;

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

/// The holds `ids` won on the last unit of `resource` never overlapped: ordered by when Redis
/// granted them, each was granted at or after the expiry of the one before. A crowd that
/// outlasts the 2 s hold TTL may legitimately sell the unit again once the first hold expired
/// (and a slow machine makes it do so); two holds on it at one moment would be an oversell.
fn one_at_a_time(redis: &Redis, resource: &str, ids: &[String]) {
    assert!(!ids.is_empty(), "{resource}: nobody got the last unit");
    let mut spans: Vec<(i64, i64, &String)> = ids
        .iter()
        .map(|id| {
            let out = redis.cli(&["HMGET", &format!("af:{{r:{resource}}}:h:{id}"), "created_at", "expires_at"]);
            let v: Vec<i64> = out.lines().map(|l| l.trim().parse().expect("a hold record's times")).collect();
            (v[0], v[1], id)
        })
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[1].0 >= w[0].1, "{resource}: {} granted at {} while {} held it until {}", w[1].2, w[1].0, w[0].2, w[0].1);
    }
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

/// Redis with `appendfsync` as given, killed (SIGKILL) and restarted on the same port and AOF
/// folder 1.5 s into a checkout mix; then the checker.
async fn redis_restarted_mid_mix(appendfsync: &str, secs: u64) {
    let redis = Arc::new(Mutex::new(Redis::start(&["--appendonly", "yes", "--appendfsync", appendfsync])));
    let url = redis.lock().unwrap().url();
    let origin = Origin::start(&url);
    let api = Api::new(&origin.url());
    assert_eq!(api.put_resource(&token("s", "seller"), "sku", &stock(60)).await.status, 201);
    let bouncer = {
        let redis = redis.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            redis.lock().unwrap().restart();
        })
    };
    let acks = checkout_mix(api.clone(), "sku", secs).await;
    bouncer.await.unwrap();
    let redis = Arc::try_unwrap(redis).unwrap().into_inner().unwrap();
    settle_and_check(&redis, &api, "sku", &acks).await;
    // The library survived the restart with the data (Redis Functions persist in the AOF).
    assert_eq!(api.send(Method::GET, "/readyz", None, None, None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_with_aof_always_keeps_every_acknowledged_hold() {
    redis_restarted_mid_mix("always", 5).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_with_aof_everysec_loses_no_acknowledged_hold_on_a_process_crash() {
    // everysec writes the AOF (write(2)) before replying and fsyncs once a second: a crash of
    // the Redis process loses nothing the kernel has; what everysec risks is a crash of the
    // machine (up to ~1-2 s of acknowledged writes), which this test cannot produce.
    redis_restarted_mid_mix("everysec", 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_frozen_for_5s_fails_fast_then_recovers_with_no_stuck_units() {
    let redis = Arc::new(Mutex::new(Redis::start(&["--appendonly", "yes", "--appendfsync", "always"])));
    let url = redis.lock().unwrap().url();
    let origin = Origin::start(&url);
    let api = Api::new(&origin.url());
    assert_eq!(api.put_resource(&token("s", "seller"), "sku", &stock(60)).await.status, 201);
    let frozen_at = Arc::new(Mutex::new(None::<Instant>));
    let freezer = {
        let (redis, frozen_at) = (redis.clone(), frozen_at.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            redis.lock().unwrap().pause(); // SIGSTOP: connections open, no answers
            *frozen_at.lock().unwrap() = Some(Instant::now());
            tokio::time::sleep(Duration::from_secs(5)).await;
            redis.lock().unwrap().resume();
        })
    };
    // A probe that does not retry: how fast is a hold refused while Redis is frozen?
    let probe = {
        let (api, frozen_at) = (api.clone(), frozen_at.clone());
        tokio::spawn(async move {
            let tok = token("probe", "buyer");
            let mut seen = Vec::new();
            for n in 0..80 {
                let t = Instant::now();
                let body = json!({"resource_id": "sku", "qty": 1}).to_string().into_bytes();
                let a = api.try_send(Method::POST, "/v1/holds", Some(&tok), Some(&format!("p{n}")), Some(body)).await;
                let since_freeze = frozen_at.lock().unwrap().map(|f| t.saturating_duration_since(f));
                if let (Ok(a), Some(s)) = (a, since_freeze) {
                    if s > Duration::from_millis(1500) && s < Duration::from_millis(4500) {
                        seen.push((a.status.as_u16(), a.retry_after.is_some(), t.elapsed()));
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        })
    };
    let acks = checkout_mix(api.clone(), "sku", 9).await;
    freezer.await.unwrap();
    let seen = probe.await.unwrap();
    assert!(seen.len() >= 10, "probe saw too little of the freeze: {seen:?}");
    for (status, retry_after, took) in &seen {
        assert_eq!(*status, 503, "{seen:?}");
        assert!(*retry_after, "Retry-After");
        assert!(*took < Duration::from_millis(250), "a hold took {took:?} to fail while Redis was frozen and the breaker open");
    }
    let redis = Arc::try_unwrap(redis).unwrap().into_inner().unwrap();
    settle_and_check(&redis, &api, "sku", &acks).await;
    // The probe's own holds that Redis took after it thawed expire like any other.
    assert_eq!(api.send(Method::GET, "/readyz", None, None, None).await.status, 200);
}

/// `clients` buyers, spread over `apis`, each trying once for the last unit of every
/// resource at the same moment; returns per resource the ids acknowledged.
async fn last_unit_crowd(apis: &[Api], resources: &[&str], clients: usize) -> Vec<Vec<String>> {
    let start = Arc::new(tokio::sync::Barrier::new(clients));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let api = apis[c % apis.len()].clone();
        let start = start.clone();
        let resources: Vec<String> = resources.iter().map(|r| r.to_string()).collect();
        tasks.push(tokio::spawn(async move {
            let tok = token(&format!("crowd-{c}"), "buyer");
            start.wait().await;
            let mut won = Vec::new();
            for r in &resources {
                let body = json!({"resource_id": r, "qty": 1}).to_string().into_bytes();
                let a = until_answered(&api, Method::POST, "/v1/holds", &tok, Some(&format!("{c}-{r}")), Some(body)).await;
                match a.status.as_u16() {
                    201 => won.push((r.clone(), a.body["id"].as_str().unwrap().to_string())),
                    409 => assert_eq!(a.code(), "SOLD_OUT"),
                    s => panic!("unexpected {s}: {:?}", a.body),
                }
            }
            won
        }));
    }
    let mut per: Vec<Vec<String>> = vec![Vec::new(); resources.len()];
    for t in tasks {
        for (r, id) in t.await.unwrap() {
            per[resources.iter().position(|x| *x == r).unwrap()].push(id);
        }
    }
    per
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_origins_on_one_redis_sell_the_last_unit_once() {
    let _crowd = crowd().await;
    let redis = Redis::start(&[]);
    let (a, b) = (Origin::start(&redis.url()), Origin::start(&redis.url()));
    let apis = [Api::new(&a.url()), Api::new(&b.url())];
    assert_eq!(apis[0].put_resource(&token("s", "seller"), "last", &stock(1)).await.status, 201);
    let won = last_unit_crowd(&apis, &["last"], 300).await;
    one_at_a_time(&redis, "last", &won[0]);
    let acks: Vec<Ack> = won[0].iter().map(|id| Ack::Held(id.clone())).collect();
    settle_and_check(&redis, &apis[1], "last", &acks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_origins_on_a_cluster_sell_each_last_unit_once() {
    let _crowd = crowd().await;
    let cluster = Cluster::start();
    let (a, b) = (Origin::start(&cluster.url()), Origin::start(&cluster.url()));
    let apis = [Api::new(&a.url()), Api::new(&b.url())];
    let resources = ["lu-a", "lu-b", "lu-c", "lu-d", "lu-e", "lu-f"];
    for r in resources {
        assert_eq!(apis[0].put_resource(&token("s", "seller"), r, &stock(1)).await.status, 201);
    }
    let nodes: std::collections::BTreeSet<u16> = resources.iter().map(|r| cluster.node_of(&format!("af:{{r:{r}}}:m"))).collect();
    assert!(nodes.len() >= 2, "the resources should spread over the nodes");
    let won = last_unit_crowd(&apis, &resources, 200).await;
    // Past the 2 s TTL and a sweep: the checker then also sees every unit come back.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for (r, ids) in resources.iter().zip(&won) {
        let _ = apis[0].availability(r, "qty=1").await;
        let port = cluster.node_of(&format!("af:{{r:{r}}}:m"));
        let node = cluster.nodes.iter().find(|n| n.port == port).unwrap();
        one_at_a_time(node, r, ids);
        let acks: Vec<Ack> = ids.iter().map(|id| Ack::Held(id.clone())).collect();
        let bad = check(node, r, &acks, redis_now_ms(node)).await;
        assert!(bad.is_empty(), "{r}: {bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flushed_function_library_is_reloaded_once_not_by_every_caller() {
    let _crowd = crowd().await;
    let e = env();
    // One buyer holds 200: above the default per-buyer share, which this test is not about.
    create(
        &e,
        "sku",
        &json!({"name": "SKU", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 1000}}, "per_buyer": {"max_held_units": 1000}}),
    )
    .await;
    e.redis.cli(&["CONFIG", "RESETSTAT"]);
    e.redis.cli(&["FUNCTION", "FLUSH"]);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (api, b) = (e.api.clone(), e.buyer.clone());
        tasks.push(tokio::spawn(
            async move { api.hold(&b, &format!("k{i}"), &json!({"resource_id": "sku", "qty": 1})).await.status.as_u16() },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let stats = e.redis.cli(&["INFO", "commandstats"]);
    let loads: u64 = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_function|load:"))
        .and_then(|l| l.split("calls=").nth(1))
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!((1..=2).contains(&loads), "FUNCTION LOAD ran {loads} times: {stats}");
    assert_eq!(counter(&e.redis, "sku", "stock"), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_memory_ceiling_a_hold_is_503_and_nothing_is_half_written() {
    let e = env();
    // The harness runs Redis as production must: a ceiling, and never evicting a hold.
    assert_ne!(e.redis.cli(&["CONFIG", "GET", "maxmemory"]).lines().nth(1), Some("0"), "no maxmemory set");
    assert_eq!(e.redis.cli(&["CONFIG", "GET", "maxmemory-policy"]).lines().nth(1), Some("noeviction"));
    create(&e, "a", &stock_doc(5)).await;
    create(&e, "b", &stock_doc(5)).await;
    let first = e.api.hold(&e.buyer, "before", &json!({"resource_id": "a", "qty": 1})).await;
    assert_eq!(first.status, 201);
    // The keys a hold or a stock change could write (resources' and keys' claims): the
    // origin's own background keys (an hour's SLO roll-up, the sweeper's schedule) may come
    // and go at any time and are not the point here.
    let hold_keys = || {
        let mut k: Vec<String> = e.redis.cli(&["KEYS", "af:{[rk]:*"]).lines().map(str::to_string).collect();
        k.sort();
        k
    };
    let keys_before = hold_keys();
    assert!(keys_before.iter().any(|k| k.starts_with("af:{r:a}")), "{keys_before:?}");
    let counters = |r: &str| e.redis.cli(&["HGETALL", &format!("af:{{r:{r}}}:c")]);
    let (ca, cb) = (counters("a"), counters("b"));
    // At the ceiling (anything used is over it).
    assert_eq!(e.redis.cli(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    let one = json!({"resource_id": "a", "qty": 1});
    let cart = json!({"items": [{"resource_id": "a", "qty": 1}, {"resource_id": "b", "qty": 1}]});
    for (key, body) in [("one", &one), ("cart", &cart)] {
        let a = e.api.hold(&e.buyer, key, body).await;
        assert_eq!((a.status.as_u16(), a.code()), (503, "STORE_UNAVAILABLE"), "{key}: {:?}", a.body);
        assert_eq!(a.content_type, "application/problem+json");
        assert!(a.retry_after.is_some(), "Retry-After");
        assert_human(a.body["detail"].as_str().unwrap());
    }
    let s = e.api.stock(&e.seller, "a", &json!({"set": 9})).await;
    assert_eq!((s.status.as_u16(), s.code()), (503, "STORE_UNAVAILABLE"), "{:?}", s.body);
    // Holds already made are still there and readable.
    assert_eq!(e.api.get_hold(&e.buyer, first.body["id"].as_str().unwrap()).await.status, 200);
    assert_eq!(hold_keys(), keys_before, "a key was written at the ceiling");
    assert_eq!((counters("a"), counters("b")), (ca, cb));
    // Reads go on there, and finishing what was taken still works: the paid booking is
    // consumed, not lost.
    let read = e.api.availability("a", "qty=1").await;
    assert_eq!((read.status.as_u16(), read.body["remaining"].as_u64()), (200, Some(4)), "{:?}", read.body);
    let paid = e.api.consume(&e.buyer, first.body["id"].as_str().unwrap()).await;
    assert_eq!((paid.status.as_u16(), paid.body["status"].as_str()), (200, Some("consumed")), "{:?}", paid.body);
    // Below the ceiling again, the same requests with the same keys go through, once.
    assert_eq!(e.redis.cli(&["CONFIG", "SET", "maxmemory", "256mb"]), "OK");
    assert_eq!(e.api.hold(&e.buyer, "one", &one).await.status, 201);
    let c = e.api.hold(&e.buyer, "cart", &cart).await;
    assert_eq!(c.status, 201, "{:?}", c.body);
    assert_eq!((counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock")), (3, 1));
}
