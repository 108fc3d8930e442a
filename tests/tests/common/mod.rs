//! Shared setup of the origin tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use aforo_tests::client::Api;
use aforo_tests::harness::{token, Origin, Redis};
#[allow(unused_imports)]
pub use aforo_tests::metrics::metric;
#[allow(unused_imports)]
pub use aforo_tests::wait::{eventually, eventually_every};
use serde_json::{json, Value};

#[derive(Debug)]
pub struct Env {
    pub redis: Redis,
    pub origin: Origin,
    pub api: Api,
    pub seller: String,
    pub buyer: String,
    pub ops: String,
}

pub fn env() -> Env {
    Env::with(Redis::start(&[]), &[])
}

impl Env {
    /// An origin with settings `vars` on `redis`, and the usual tokens.
    pub fn with(redis: Redis, vars: &[(&str, &str)]) -> Env {
        let origin = Origin::start_with(&redis.url(), vars);
        let api = Api::new(&origin.url());
        Env { redis, origin, api, seller: token("seller-1", "seller"), buyer: token("buyer-1", "buyer"), ops: token("ops-1", "ops") }
    }
}

/// Local (UTC) date `days` from today.
pub fn day(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

pub fn stock_doc(n: u32) -> Value {
    json!({"name": "SKU", "timezone": "UTC", "dimensions": {"stock": {"on_hand": n}}})
}

pub fn daily_doc(cap: u32) -> Value {
    json!({"name": "Bakery", "timezone": "UTC", "dimensions": {"daily": {"capacity": cap}}})
}

/// A restaurant open all day in UTC with 30-minute seatings every 30 minutes.
pub fn slots_doc(cap: u32) -> Value {
    json!({"name": "Room", "timezone": "UTC",
           "dimensions": {"slots": {"duration_min": 30, "interval_min": 30, "capacity": cap}},
           "qty": {"min": 1, "max": 8}})
}

/// Units committed in a counter, read straight from Redis (no reclaim on the way).
pub fn counter(redis: &Redis, id: &str, bucket: &str) -> u64 {
    redis.cli(&["HGET", &format!("af:{{r:{id}}}:c"), bucket]).parse().unwrap_or(0)
}

pub async fn create(e: &Env, id: &str, doc: &Value) {
    let a = e.api.put_resource(&e.seller, id, doc).await;
    assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
}

/// No library internals in a client-facing text: no fred/Redis error text, no Rust type
/// names or Debug shapes.
pub fn assert_human(detail: &str) {
    for bad in ["OOM", "maxmemory", "redis:", "Redis error", "aforo_core", "aforo_origin", "::", "Error(", "Json(", "struct ", "enum "] {
        assert!(!detail.contains(bad), "detail leaks {bad:?}: {detail}");
    }
}

/// A turn for a test that sends a crowd of concurrent requests (hundreds at once) or keeps
/// the CPU busy by design: in one test binary such tests take turns, held for the whole test
/// (`let _crowd = crowd().await;`). On two cores, two crowds at once can stretch one past a
/// 2 s hold TTL, which the last-unit tests count on; the other tests run alongside.
pub async fn crowd() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// Polls the audit trail until `pred` holds for some event of `query` (the writer is async).
pub async fn audited(e: &Env, query: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let start = std::time::Instant::now();
    loop {
        let a = e.api.get(&e.ops, &format!("/v1/audit/events?{query}")).await;
        assert_eq!(a.status.as_u16(), 200, "{:?}", a.body);
        if let Some(ev) = a.body["events"].as_array().unwrap().iter().find(|ev| pred(ev)) {
            return ev.clone();
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "no matching audit event for {query}: {}", a.body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A fake origin on a real socket: a request whose line names `stall` is never answered, any
/// other is answered 503 at once; every request line is kept.
pub fn fake_origin() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&buf).lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(line.clone());
                if line.contains("stall") {
                    std::thread::sleep(std::time::Duration::from_secs(30));
                    return;
                }
                let body =
                    r#"{"type":"about:blank","title":"Service Unavailable","status":503,"code":"STORE_UNAVAILABLE","detail":"down"}"#;
                let resp = format!(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes());
            });
        }
    });
    (url, seen)
}
