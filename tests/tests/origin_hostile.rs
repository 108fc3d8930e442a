//! Hostile and careless input at the origin's door, against the real Redis and origin: nothing
//! a caller sends may grow Redis without bound, corrupt a figure, hold a worker hostage, take
//! a second unit with one key, or read back library internals.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::harness::{token, Origin, Redis, SECRET};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Sends raw bytes on a new connection and reads the answer until the server closes it or
/// `wait` passes.
fn raw(port: u16, bytes: &[u8], wait: Duration) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while start.elapsed() < wait {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if complete(&out) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a response with Content-Length has fully arrived.
fn complete(resp: &[u8]) -> bool {
    let text = String::from_utf8_lossy(resp);
    let Some(end) = text.find("\r\n\r\n") else { return false };
    let len = text[..end]
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)));
    len.is_some_and(|n| resp.len() >= end + 4 + n)
}

fn body_of(resp: &str) -> Value {
    resp.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null)
}

/// Every entry of the audit stream, raw.
fn audit_entries(redis: &Redis) -> Vec<String> {
    redis.cli(&["XRANGE", "af:audit", "-", "+"]).lines().map(String::from).collect()
}

fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// No library internals in a client-facing text: no fred/Redis error text, no Rust type
/// names or Debug shapes.
fn assert_human(detail: &str) {
    for bad in ["OOM", "maxmemory", "redis:", "Redis error", "aforo_core", "aforo_origin", "::", "Error(", "Json(", "struct ", "enum "] {
        assert!(!detail.contains(bad), "detail leaks {bad:?}: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_cannot_grow_redis() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let huge = "a".repeat(65_000);
    // A hold id longer than any valid one is refused before anything is stored or audited.
    for (m, path) in [
        (Method::GET, format!("/v1/holds/{huge}")),
        (Method::POST, format!("/v1/holds/{huge}/consume")),
        (Method::POST, format!("/v1/holds/h_{huge}/release")),
    ] {
        let a = e.api.send(m, &path, None, None, None).await;
        assert_eq!((a.status.as_u16(), a.code()), (404, "HOLD_NOT_FOUND"), "{:?}", a.body);
        assert_eq!(a.content_type, "application/problem+json");
        assert!(a.body.to_string().len() < 1024, "the answer echoes the id: {} bytes", a.body.to_string().len());
    }
    // Resource ids longer than any valid one: 400 before the handler, and not audited.
    let a = e.api.send(Method::POST, &format!("/v1/resources/{huge}/stock"), None, None, Some(b"{}".to_vec())).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"));
    assert!(a.body.to_string().len() < 1024);
    // An unknown route does not echo a long path whole.
    let a = e.api.send(Method::GET, &format!("/v1/{huge}"), None, None, None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "ROUTE_NOT_FOUND"));
    assert!(a.body.to_string().len() < 1024, "{} bytes", a.body.to_string().len());
    // A long query value is not echoed back whole either.
    let a = e.api.availability("sku", &format!("qty=1&date={}", "9".repeat(20_000))).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"));
    assert!(a.body["detail"].as_str().unwrap().len() <= 1024, "{} bytes", a.body["detail"].as_str().unwrap().len());
    // A well-formed hold id is audited when refused, with every field bounded.
    let valid_shape = format!("h_{}_{}", "A".repeat(26), "r".repeat(64));
    let a = e.api.send(Method::GET, &format!("/v1/holds/{valid_shape}"), Some("not-a-jwt"), None, None).await;
    assert_eq!(a.status, 401);
    let start = Instant::now();
    while !audit_entries(&e.redis).iter().any(|l| l.contains("auth.denied")) && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let entries = audit_entries(&e.redis);
    assert!(!entries.is_empty(), "the 401 is audited");
    let longest = entries.iter().map(String::len).max().unwrap();
    assert!(longest < 2048, "an audit entry of {longest} bytes");
    assert!(entries.iter().all(|l| !l.contains(&"a".repeat(300))), "the long id reached the audit trail");
    assert!(entries.iter().any(|l| l.contains(&valid_shape)), "a valid-shaped id is kept whole: {entries:?}");
    // Only that one: the ids no hold or resource can have were refused before any audit.
    assert_eq!(entries.iter().filter(|l| *l == "auth.denied").count(), 1, "{entries:?}");
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
    let keys_before = e.redis.cli(&["DBSIZE"]);
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
    assert_eq!(e.redis.cli(&["DBSIZE"]), keys_before, "a key was written at the ceiling");
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
async fn a_body_that_stalls_is_408_and_counted_as_a_client_error() {
    let redis = Redis::start(&[]);
    let origin = Origin::start_with(&redis.url(), &[("AFORO_BODY_TIMEOUT_MS", "500"), ("AFORO_REQUEST_TIMEOUT_MS", "3000")]);
    let api = Api::new(&origin.url());
    let seller = token("seller-1", "seller");
    assert_eq!(api.put_resource(&seller, "sku", &stock_doc(3)).await.status, 201);
    let head = format!(
        "POST /v1/holds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nIdempotency-Key: slow\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"resource_id\":",
        token("buyer-1", "buyer")
    );
    let started = Instant::now();
    let port = origin.port;
    let resp = tokio::task::spawn_blocking(move || raw(port, head.as_bytes(), Duration::from_secs(6))).await.unwrap();
    let took = started.elapsed();
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    assert!(resp.to_ascii_lowercase().contains("content-type: application/problem+json"), "{resp}");
    assert!(resp.to_ascii_lowercase().contains("connection: close"), "{resp}");
    assert_eq!(body_of(&resp)["code"], "REQUEST_TIMEOUT", "{resp}");
    let m = api.text("/metrics").await;
    let by = |status| metric(&m, "aforo_http_requests_total", &[("route", "/v1/holds"), ("method", "POST"), ("status", status)]);
    assert_eq!((by("408"), by("503")), (1.0, 0.0), "{m}");
    assert_eq!(counter(&redis, "sku", "stock"), 0);
    // A body that arrives in time is served.
    let ok = api.hold(&token("buyer-1", "buyer"), "fast", &json!({"resource_id": "sku", "qty": 1})).await;
    assert_eq!(ok.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_belongs_to_its_caller_across_resources() {
    let e = env();
    for r in ["a", "b"] {
        create(&e, r, &stock_doc(50)).await;
    }
    create(&e, "empty", &stock_doc(0)).await;
    let on = |r: &str| json!({"resource_id": r, "qty": 1});
    let first = e.api.hold(&e.buyer, "k1", &on("a")).await;
    assert_eq!(first.status, 201);
    let other = e.api.hold(&e.buyer, "k1", &on("b")).await;
    assert_eq!((other.status.as_u16(), other.code()), (422, "IDEMPOTENCY_KEY_REUSED"), "{:?}", other.body);
    let again = e.api.hold(&e.buyer, "k1", &on("a")).await;
    assert_eq!((again.status.as_u16(), &again.body["id"]), (200, &first.body["id"]));
    assert_eq!((counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock")), (1, 0));
    // Another caller's same key is theirs.
    assert_eq!(e.api.hold(&token("buyer-2", "buyer"), "k1", &on("b")).await.status, 201);
    // A refused request leaves its key unused: the buyer may pick something else with it.
    let no = e.api.hold(&e.buyer, "k2", &on("empty")).await;
    assert_eq!(no.status, 409);
    assert_eq!(e.api.hold(&e.buyer, "k2", &on("b")).await.status, 201);
    // Racing the same key on two resources makes exactly one hold.
    for round in 0..3 {
        let key = format!("race-{round}");
        let mut tasks = Vec::new();
        for i in 0..30 {
            let (api, b, body) = (e.api.clone(), e.buyer.clone(), on(if i % 2 == 0 { "a" } else { "b" }));
            let key = key.clone();
            tasks.push(tokio::spawn(async move { api.hold(&b, &key, &body).await }));
        }
        let (before_a, before_b) = (counter(&e.redis, "a", "stock"), counter(&e.redis, "b", "stock"));
        let mut created = 0;
        for t in tasks {
            let a = t.await.unwrap();
            assert!(matches!(a.status.as_u16(), 200 | 201 | 422), "{} {:?}", a.status, a.body);
            created += usize::from(a.status == 201);
        }
        assert_eq!(created, 1, "round {round}");
        let taken = counter(&e.redis, "a", "stock") + counter(&e.redis, "b", "stock");
        assert!(taken <= before_a + before_b + 1, "round {round}: two units taken with one key");
    }
    let total = counter(&e.redis, "a", "stock") + counter(&e.redis, "b", "stock");
    assert_eq!(total, 1 + 1 + 1 + 3, "k1 (a), buyer-2's k1 (b), k2 (b), one per race round");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dot_and_dot_dot_are_not_resource_ids() {
    let e = env();
    let doc = stock_doc(1).to_string();
    for id in [".", ".."] {
        let req = format!(
            "PUT /v1/resources/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{doc}",
            e.seller,
            doc.len()
        );
        let port = e.origin.port;
        let resp = tokio::task::spawn_blocking(move || raw(port, req.as_bytes(), Duration::from_secs(5))).await.unwrap();
        assert!(resp.starts_with("HTTP/1.1 400"), "{id}: {resp}");
        assert_eq!(body_of(&resp)["code"], "INVALID_REQUEST");
        let h = e.api.hold(&e.buyer, &format!("dot{}", id.len()), &json!({"resource_id": id, "qty": 1})).await;
        assert_eq!((h.status.as_u16(), h.code()), (400, "INVALID_REQUEST"), "{id}");
    }
    assert_eq!(e.redis.cli(&["KEYS", "af:{r:.*"]), "", "a dot resource was stored");
}

fn signed(claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), claims, &key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_not_valid_yet_or_living_for_centuries_are_refused() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let now = chrono::Utc::now().timestamp();
    let century = 100 * 365 * 86_400;
    let claims = |extra: Value| {
        let mut c = json!({"sub": "seller-1", "role": "seller", "exp": now + 3600});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c
    };
    let refused = [
        ("nbf in an hour", claims(json!({"nbf": now + 3600}))),
        ("iat in an hour", claims(json!({"iat": now + 3600}))),
        ("a century from iat", claims(json!({"iat": now, "exp": now + century}))),
        ("a century from now", claims(json!({"exp": now + century}))),
        ("issued long ago, valid an hour more", claims(json!({"iat": now - 400 * 86_400}))),
    ];
    for (what, c) in refused {
        let a = e.api.get(&signed(&c), "/v1/resources/sku").await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "UNAUTHENTICATED"), "{what}: {:?}", a.body);
        assert_human(a.body["detail"].as_str().unwrap());
    }
    let accepted = [
        ("plain", claims(json!({}))),
        ("iat and nbf now", claims(json!({"iat": now, "nbf": now}))),
        ("a clock 10 s ahead", claims(json!({"iat": now + 10, "nbf": now + 10}))),
        ("a week", claims(json!({"iat": now, "exp": now + 7 * 86_400}))),
    ];
    for (what, c) in accepted {
        let a = e.api.get(&signed(&c), "/v1/resources/sku").await;
        assert_eq!(a.status, 200, "{what}: {:?}", a.body);
    }
    // The configured lifetime is the limit.
    let strict = Origin::start_with(&e.redis.url(), &[("AFORO_JWT_MAX_LIFETIME_S", "600")]);
    let api = Api::new(&strict.url());
    assert_eq!(api.get(&signed(&claims(json!({"iat": now}))), "/v1/resources/sku").await.status, 401);
    assert_eq!(api.get(&signed(&claims(json!({"iat": now, "exp": now + 300}))), "/v1/resources/sku").await.status, 200);
    // Malformed claims are refused in words, not in library Debug output.
    for c in [json!({"sub": "s", "role": "admin", "exp": now + 60}), json!({"sub": 5, "role": "ops", "exp": now + 60})] {
        let a = e.api.get(&signed(&c), "/v1/resources/sku").await;
        assert_eq!(a.status, 401);
        assert_human(a.body["detail"].as_str().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_authorization_headers_are_refused() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let http = reqwest::Client::new();
    for (a, b) in [(e.ops.clone(), e.seller.clone()), (e.seller.clone(), e.seller.clone()), (e.seller.clone(), "junk".to_string())] {
        let r = http
            .get(format!("{}/v1/resources/sku", e.origin.url()))
            .header("authorization", format!("Bearer {a}"))
            .header("authorization", format!("Bearer {b}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "UNAUTHENTICATED");
    }
    assert_eq!(e.api.get(&e.seller, "/v1/resources/sku").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_speak_without_library_internals() {
    let e = env();
    create(&e, "sku", &stock_doc(5)).await;
    // Bodies of the wrong shape: the field path and the JSON position, no Rust type names.
    let cases = [
        (Method::POST, "/v1/resources/sku/stock", "5", &e.seller),
        (Method::POST, "/v1/resources/sku/stock", "[1]", &e.seller),
        (Method::POST, "/v1/resources/sku/pause", "\"x\"", &e.seller),
        (Method::POST, "/v1/holds", r#"{"items":[5]}"#, &e.buyer),
        (Method::POST, "/v1/holds", r#"{"items":[{"resource_id":"sku","qty":{}}]}"#, &e.buyer),
        (Method::POST, "/v1/stock/validate", "7", &e.buyer),
        (Method::POST, "/v1/stock/validate", r#"{"items":[3]}"#, &e.buyer),
        (Method::PUT, "/v1/monitoring/mode", "1", &e.ops),
        (Method::PUT, "/v1/resources/doc", "1", &e.seller),
        (Method::PUT, "/v1/resources/doc", r#"{"name":"x","timezone":"UTC","dimensions":{"stock":5}}"#, &e.seller),
    ];
    for (m, path, body, tok) in cases {
        let a = e.api.send(m.clone(), path, Some(tok), Some(&format!("k-{path}-{body}")), Some(body.as_bytes().to_vec())).await;
        assert!(a.status.is_client_error(), "{m} {path} {body}: {} {:?}", a.status, a.body);
        assert_human(a.body["detail"].as_str().unwrap());
    }
    // A stored document the origin cannot read is a 500 whose detail says nothing of why.
    e.redis.cli(&["HSET", "af:{r:broken}:m", "doc", "{\"name\":1}", "owner", "seller-1", "version", "1"]);
    e.redis.cli(&["HSET", "af:{r:broken}:c", "~v", "1"]);
    let a = e.api.availability("broken", "qty=1").await;
    assert_eq!((a.status.as_u16(), a.code()), (500, "INTERNAL"), "{:?}", a.body);
    let detail = a.body["detail"].as_str().unwrap();
    assert_human(detail);
    assert!(!detail.contains("invalid type") && !detail.contains("broken"), "{detail}");
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
