//! Hostile and careless input at the door: nothing a caller sends may grow Redis without
//! bound, hold a worker hostage, store a resource named `.`, or yield a 5xx (a loop of
//! malformed bodies and queries).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::harness::{token, Origin, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

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

/// Every entry of the audit streams (the default four shards), raw.
fn audit_entries(redis: &Redis) -> Vec<String> {
    (0..4)
        .flat_map(|i| redis.cli(&["XRANGE", &format!("af:{{audit:{i}}}"), "-", "+"]).lines().map(String::from).collect::<Vec<_>>())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_cannot_grow_redis() {
    // Refused requests are audited once their window closes (a minute; 300 ms here).
    let redis = Redis::start(&[]);
    let origin = Origin::start_with(&redis.url(), &[("AFORO_TEST_DENIED_WINDOW_MS", "300")]);
    let api = Api::new(&origin.url());
    let e = Env { redis, origin, api, seller: token("seller-1", "seller"), buyer: token("buyer-1", "buyer"), ops: token("ops-1", "ops") };
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

/// A deterministic generator of malformed bodies (no randomness source needed).
fn mangle(seed: u64, base: &str) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut b = base.as_bytes().to_vec();
    for _ in 0..(1 + next() % 4) {
        let i = (next() as usize) % (b.len() + 1);
        match next() % 5 {
            0 if i < b.len() => {
                b.remove(i);
            }
            1 => b.insert(i.min(b.len()), b"{}[]\",:0-e\\\x00\xff9"[(next() % 14) as usize]),
            2 if i < b.len() => b[i] = (next() % 256) as u8,
            3 => b.splice(i.min(b.len())..i.min(b.len()), br#","qty":-99999999999999999999"#.iter().copied()).for_each(drop),
            _ => b.truncate(i),
        }
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_never_yields_a_5xx() {
    let e = env();
    create(&e, "sku", &stock_doc(100)).await;
    let doc = r#"{"name":"R","timezone":"Europe/Madrid","dimensions":{"daily":{"capacity":5},"slots":{"duration_min":60,"interval_min":30,"capacity":4,"pacing":{"window_min":30,"max":6}}},"hours":{"mon":[["10:00","14:00"]]},"seasons":[{"name":"s","from":"2027-01-01","to":"2027-01-31","priority":1,"overrides":{"slot_capacity":3}}],"pricing":{"currency":"EUR","base_minor":100,"triggers":[{"utilization_gte":0.5,"multiplier":1.2,"tier":"h"}]}}"#;
    let hold = r#"{"items":[{"resource_id":"sku","qty":1},{"resource_id":"sku","date":"2027-01-04","slot":"10:00","qty":2}]}"#;
    let mut seen = std::collections::BTreeMap::new();
    for seed in 0..400u64 {
        let (m, path, base, tok) = match seed % 4 {
            0 => (Method::PUT, "/v1/resources/fz", doc, &e.seller),
            1 => (Method::POST, "/v1/holds", hold, &e.buyer),
            2 => (Method::POST, "/v1/resources/sku/stock", r#"{"set":5,"force":true}"#, &e.seller),
            _ => (Method::POST, "/v1/stock/validate", r#"{"items":[{"resource_id":"sku","quantity":1}]}"#, &e.buyer),
        };
        let a = e.api.send(m, path, Some(tok), Some(&format!("fz{seed}")), Some(mangle(seed, base))).await;
        assert!(a.status.as_u16() < 500, "seed {seed} {path}: {} {:?}", a.status, a.body);
        if a.status.as_u16() >= 400 {
            assert_eq!(a.content_type, "application/problem+json", "seed {seed}");
        }
        *seen.entry(a.status.as_u16()).or_insert(0) += 1;
    }
    for q in [
        "date=%",
        "date=%zz",
        "qty=99999999999999999999",
        "slot=25:00&date=2027-01-04",
        "from=2027-01-01&to=2029-01-01",
        "&&&",
        "date=2027-01-04&date=2027-01-05",
    ] {
        for route in ["availability", "calendar"] {
            let a = e.api.send(Method::GET, &format!("/v1/resources/fz/{route}?{q}"), None, None, None).await;
            assert!(a.status.as_u16() < 500, "{route}?{q}: {:?}", a.body);
        }
    }
    assert!(seen.keys().any(|s| *s >= 400), "the mangler produced only valid bodies: {seen:?}");
}
