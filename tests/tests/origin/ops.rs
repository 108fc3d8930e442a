//! Operations against real Redis and the real origin: metrics, audit trail, circuit breaker,
//! read-only mode, drift check, alerts, SLO health, signals, rate limits, shutdown on SIGTERM.

use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::harness::{origin_bin, token, Origin, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

pub(crate) fn ops_env(extra: &[(&str, &str)]) -> Env {
    let redis = Redis::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut env = vec![("AFORO_ALERT_INTERVAL_MS", "200"), ("AFORO_MODE_REFRESH_MS", "200"), ("AFORO_CHECK_INTERVAL_S", "0")];
    env.extend_from_slice(extra);
    let origin = Origin::start_with(&redis.url(), &env);
    let api = Api::new(&origin.url());
    Env { redis, origin, api, seller: token("seller-1", "seller"), buyer: token("buyer-1", "buyer"), ops: token("ops-1", "ops") }
}

async fn hold(e: &Env, key: &str, id: &str, qty: u32) -> aforo_tests::client::Answer {
    e.api.hold(&e.buyer, key, &json!({"items": [{"resource_id": id, "qty": qty}]})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_when_holds_happen() {
    let e = ops_env(&[]);
    create(&e, "sku", &stock_doc(3)).await;
    let before = e.api.text("/metrics").await;
    assert!(before.contains("# TYPE aforo_http_requests counter"), "{before}");
    assert_eq!(metric(&before, "aforo_holds_created_total", &[("kind", "stock")]), 0.0);

    let a = hold(&e, "m-1", "sku", 2).await;
    assert_eq!(a.status.as_u16(), 201);
    let id = a.body["id"].as_str().unwrap().to_string();
    assert_eq!(hold(&e, "m-1", "sku", 2).await.status.as_u16(), 200, "replay");
    assert_eq!(hold(&e, "m-2", "sku", 2).await.code(), "SOLD_OUT");
    assert_eq!(e.api.consume(&e.buyer, &id).await.status.as_u16(), 200);
    let b = hold(&e, "m-3", "sku", 1).await;
    assert_eq!(e.api.release(&e.buyer, b.body["id"].as_str().unwrap()).await.status.as_u16(), 200);

    let after = e.api.text("/metrics").await;
    let m = |name: &str, labels: &[(&str, &str)]| metric(&after, name, labels);
    assert_eq!(m("aforo_holds_created_total", &[("kind", "stock")]), 2.0);
    assert_eq!(m("aforo_units_committed_total", &[("kind", "stock")]), 3.0);
    assert_eq!(m("aforo_idempotent_replays_total", &[]), 1.0);
    assert_eq!(m("aforo_holds_refused_total", &[("reason", "sold_out")]), 1.0);
    assert_eq!(m("aforo_holds_consumed_total", &[]), 1.0);
    assert_eq!(m("aforo_holds_released_total", &[]), 1.0);
    assert_eq!(m("aforo_http_requests_total", &[("route", "/v1/holds"), ("method", "POST"), ("status", "201")]), 2.0);
    assert_eq!(m("aforo_http_requests_total", &[("route", "/v1/holds"), ("method", "POST"), ("status", "409")]), 1.0);
    assert!(m("aforo_http_request_duration_seconds_count", &[("route", "/v1/holds"), ("method", "POST")]) >= 4.0);
    assert!(m("aforo_redis_command_duration_seconds_count", &[("op", "aforo_hold")]) >= 4.0);
    assert_eq!(m("aforo_circuit_breaker_state", &[]), 0.0);
    assert_eq!(m("aforo_oversold_buckets", &[]), 0.0);
    assert!(after.contains("aforo_sweeper_lag_seconds"));

    // Holds that expire are counted when reclaimed.
    create(&e, "quick", &json!({"name": "Q", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 1}}, "hold_ttl_s": 1})).await;
    assert_eq!(hold(&e, "m-4", "quick", 1).await.status.as_u16(), 201);
    eventually(Duration::from_secs(5), || async {
        let n = metric(&e.api.text("/metrics").await, "aforo_holds_expired_total", &[]);
        if n >= 1.0 {
            Ok(())
        } else {
            Err(format!("expiry never counted: {n}"))
        }
    })
    .await;
    audited(&e, "type=hold.expired&resource_id=quick", |ev| ev["actor"] == "system").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_requests_and_changes_are_in_the_audit_trail() {
    // Refused requests are audited once their window closes (a minute; 300 ms here).
    let e = ops_env(&[("AFORO_TEST_DENIED_WINDOW_MS", "300")]);
    create(&e, "shop", &stock_doc(5)).await;
    // A buyer tries a seller's write: 403, audited with who, role, route and resource.
    let a = e.api.put_resource(&e.buyer, "shop", &stock_doc(50)).await;
    assert_eq!(a.status.as_u16(), 403);
    let ev = audited(&e, "type=auth.denied&resource_id=shop", |ev| ev["actor"] == "buyer-1").await;
    assert_eq!(ev["role"], "buyer");
    assert_eq!(ev["route"], "PUT /v1/resources/{id}");
    assert_eq!(ev["detail"]["status"], 403);
    assert!(ev["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    // Another seller on someone else's resource.
    let other = token("seller-2", "seller");
    assert_eq!(e.api.stock(&other, "shop", &json!({"set": 1})).await.status.as_u16(), 403);
    audited(&e, "type=auth.denied", |ev| ev["actor"] == "seller-2" && ev["route"] == "POST /v1/resources/{id}/stock").await;
    // No token at all: 401, anonymous.
    let a = e.api.send(Method::POST, "/v1/holds", None, Some("k"), Some(b"{}".to_vec())).await;
    assert_eq!(a.status.as_u16(), 401);
    audited(&e, "type=auth", |ev| ev["actor"] == "anonymous" && ev["detail"]["status"] == 401).await;

    // Changes: stock, pause/resume, hold transitions, validation.
    assert_eq!(e.api.stock(&e.seller, "shop", &json!({"delta": 2})).await.status.as_u16(), 200);
    let ev = audited(&e, "type=stock.adjusted&resource_id=shop", |_| true).await;
    assert_eq!(ev["detail"]["on_hand"], 7);
    assert_eq!(ev["actor"], "seller-1");
    let p = e.api.send(Method::POST, "/v1/resources/shop/pause", Some(&e.seller), None, Some(br#"{"reason":"inventory"}"#.to_vec())).await;
    assert_eq!(p.status.as_u16(), 200);
    assert_eq!(e.api.send(Method::POST, "/v1/resources/shop/resume", Some(&e.seller), None, None).await.status.as_u16(), 200);
    audited(&e, "type=resource.paused", |ev| ev["detail"]["reason"] == "inventory").await;
    audited(&e, "type=resource.resumed", |_| true).await;
    let h = hold(&e, "a-1", "shop", 1).await;
    let id = h.body["id"].as_str().unwrap().to_string();
    e.api.consume(&e.buyer, &id).await;
    let created = audited(&e, "type=hold.created", |ev| ev["hold_id"] == id.as_str()).await;
    assert_eq!(created["detail"]["items"][0]["qty"], 1);
    audited(&e, "type=hold.consumed", |ev| ev["hold_id"] == id.as_str()).await;
    let v = e
        .api
        .send(
            Method::POST,
            "/v1/stock/validate",
            Some(&e.buyer),
            None,
            Some(br#"{"items":[{"resource_id":"shop","quantity":2}]}"#.to_vec()),
        )
        .await;
    assert_eq!(v.status.as_u16(), 200);
    audited(&e, "type=stock.validated&resource_id=shop", |ev| ev["detail"]["quantity"] == 2).await;
    // `type=hold` matches every hold.* event; newest first; limit honoured.
    let all = e.api.get(&e.ops, "/v1/audit/events?type=hold&limit=1").await;
    assert_eq!(all.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(all.body["events"][0]["type"], "hold.consumed");
    // Only ops may read it; bad queries are 400.
    assert_eq!(e.api.get(&e.seller, "/v1/audit/events").await.status.as_u16(), 403);
    for q in ["since=yesterday", "limit=0", "limit=5000", "colour=red", "before=abc"] {
        let a = e.api.get(&e.ops, &format!("/v1/audit/events?{q}")).await;
        assert_eq!(a.status.as_u16(), 400, "{q}: {:?}", a.body);
    }
    let future = e.api.get(&e.ops, "/v1/audit/events?since=2099-01-01T00:00:00Z").await;
    assert_eq!(future.body["events"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_fast_with_503_and_heals_without_restart() {
    let mut e = ops_env(&[]);
    create(&e, "sku", &stock_doc(100)).await;
    assert_eq!(hold(&e, "before", "sku", 1).await.status.as_u16(), 201);
    e.redis.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..5 {
        let t = Instant::now();
        let a = hold(&e, &format!("down-{i}"), "sku", 1).await;
        let took = t.elapsed();
        assert_eq!(a.status.as_u16(), 503, "{:?}", a.body);
        assert_eq!(a.code(), "STORE_UNAVAILABLE");
        assert!(a.retry_after.is_some(), "Retry-After");
        assert!(took < Duration::from_secs(1), "hold {i} took {took:?} while Redis was down");
    }
    let r = e.api.send(Method::GET, "/readyz", None, None, None).await;
    assert_eq!(r.status.as_u16(), 503);
    assert!(matches!(r.body["redis"].as_str(), Some("unavailable" | "circuit_open" | "timeout")), "no Redis error text: {}", r.body);
    let m = e.api.text("/metrics").await;
    assert!(metric(&m, "aforo_circuit_breaker_state", &[]) >= 1.0, "breaker open");
    assert!(metric(&m, "aforo_circuit_breaker_rejected_total", &[]) >= 1.0);
    let sig = e.api.get(&e.ops, "/v1/monitoring/signals?service=store&level=error").await;
    assert!(
        sig.body["signals"].as_array().unwrap().iter().any(|s| s["message"].as_str().unwrap().contains("circuit breaker open")),
        "{}",
        sig.body
    );
    let health = e.api.get(&e.ops, "/v1/monitoring/health").await;
    assert_eq!(health.body["store"]["breaker"], "open", "{}", health.body);

    e.redis.restart();
    eventually(Duration::from_secs(10), || async {
        let a = hold(&e, "after", "sku", 1).await;
        if a.status.as_u16() == 201 {
            Ok(())
        } else {
            Err(format!("never healed: {:?}", a.body))
        }
    })
    .await;
    assert_eq!(e.api.send(Method::GET, "/readyz", None, None, None).await.status.as_u16(), 200);
    assert_eq!(metric(&e.api.text("/metrics").await, "aforo_circuit_breaker_state", &[]), 0.0);
    // Nothing taken by the refused holds.
    assert_eq!(counter(&e.redis, "sku", "stock"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_writes_serves_reads_on_every_origin() {
    let e = ops_env(&[]);
    let second = Origin::start_with(&e.redis.url(), &[("AFORO_MODE_REFRESH_MS", "200")]);
    let api2 = Api::new(&second.url());
    create(&e, "sku", &stock_doc(10)).await;
    let body = br#"{"read_only": true, "reason": "redis failover"}"#.to_vec();
    assert_eq!(e.api.send(Method::PUT, "/v1/monitoring/mode", Some(&e.seller), None, Some(body.clone())).await.status.as_u16(), 403);
    let a = e.api.send(Method::PUT, "/v1/monitoring/mode", Some(&e.ops), None, Some(body)).await;
    assert_eq!(a.status.as_u16(), 200, "{:?}", a.body);
    assert_eq!(a.body["read_only"], true);
    assert_eq!(a.body["by"], "ops-1");

    let refused = hold(&e, "ro-1", "sku", 1).await;
    assert_eq!(refused.status.as_u16(), 503);
    assert_eq!(refused.code(), "READ_ONLY");
    assert!(refused.retry_after.is_some());
    assert_eq!(e.api.stock(&e.seller, "sku", &json!({"set": 20})).await.code(), "READ_ONLY");
    assert_eq!(e.api.put_resource(&e.seller, "sku", &stock_doc(10)).await.code(), "READ_ONLY");
    assert_eq!(e.api.availability("sku", "").await.status.as_u16(), 200, "reads go on");
    // The other origin follows the switch in Redis.
    let start = Instant::now();
    loop {
        let a = api2.hold(&e.buyer, "ro-2", &json!({"items": [{"resource_id": "sku", "qty": 1}]})).await;
        if a.code() == "READ_ONLY" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "second origin never went read-only: {:?}", a.body);
        // A hold that got in before the switch reached it is released so counts stay simple.
        if let Some(id) = a.body["id"].as_str() {
            api2.release(&e.buyer, id).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(e.api.get(&e.ops, "/v1/monitoring/mode").await.body["reason"], "redis failover");
    assert_eq!(metric(&e.api.text("/metrics").await, "aforo_read_only", &[]), 1.0);
    audited(&e, "type=mode.changed", |ev| ev["detail"]["read_only"] == true).await;

    let off = e.api.send(Method::PUT, "/v1/monitoring/mode", Some(&e.ops), None, Some(br#"{"read_only": false}"#.to_vec())).await;
    assert_eq!(off.status.as_u16(), 200);
    assert_eq!(hold(&e, "ro-3", "sku", 1).await.status.as_u16(), 201);
    let bad = e.api.send(Method::PUT, "/v1/monitoring/mode", Some(&e.ops), None, Some(br#"{"read_only": "yes"}"#.to_vec())).await;
    assert_eq!(bad.status.as_u16(), 400);
}

fn cli_check(redis: &Redis, args: &[&str]) -> (i32, Value) {
    let out = std::process::Command::new(origin_bin())
        .arg("check")
        .args(args)
        .env("AFORO_REDIS_URL", redis.url())
        .env("AFORO_LOG", "error")
        .env("AFORO_CHECK_INTERVAL_S", "0")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    (code, serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_check_finds_a_corrupted_counter_repairs_it_and_the_oversell_alert_fires() {
    let e = ops_env(&[]);
    let d = day(2);
    create(&e, "bakery", &daily_doc(5)).await;
    let item = |qty: u32| json!({"items": [{"resource_id": "bakery", "date": d, "qty": qty}]});
    let a = e.api.hold(&e.buyer, "d-1", &item(2)).await;
    e.api.consume(&e.buyer, a.body["id"].as_str().unwrap()).await;
    assert_eq!(e.api.hold(&e.buyer, "d-2", &item(1)).await.status.as_u16(), 201);
    let bucket = format!("d:{d}");
    assert_eq!(counter(&e.redis, "bakery", &bucket), 3);

    let clean = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(clean.status.as_u16(), 200, "{:?}", clean.body);
    assert_eq!(clean.body["findings"], json!([]), "{}", clean.body);

    // Corrupt the counter by hand: 9 of a limit of 5.
    e.redis.cli(&["HSET", "af:{r:bakery}:c", &bucket, "9"]);
    let r = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, Some(br#"{"resource_id":"bakery"}"#.to_vec())).await;
    let f = &r.body["findings"][0];
    assert_eq!(f["drift"], json!([{"bucket": bucket, "counter": 9, "expected": 3}]), "{}", r.body);
    assert_eq!(f["oversold"], json!([{"bucket": bucket, "committed": 9, "limit": 5}]));
    assert_eq!(f["repaired"], false);
    assert_eq!(counter(&e.redis, "bakery", &bucket), 9, "a check alone changes nothing");
    assert_eq!(metric(&e.api.text("/metrics").await, "aforo_oversold_buckets", &[]), 1.0);
    // The alert rule fires.
    let start = Instant::now();
    loop {
        let al = e.api.get(&e.ops, "/v1/monitoring/alerts").await;
        if al.body["active"].as_array().unwrap().iter().any(|a| a["alert"] == "AforoOversellDetected") {
            assert!(al.body["rules"].as_array().unwrap().len() >= 8);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "alert never fired: {}", al.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The command line finds it too (exit 1), then repairs it (exit 0), audited.
    let (code, report) = cli_check(&e.redis, &["--resource", "bakery"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["drift_buckets"], 1);
    let (code, report) = cli_check(&e.redis, &["--repair"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["findings"][0]["repaired"], true);
    assert_eq!(counter(&e.redis, "bakery", &bucket), 3);
    audited(&e, "type=drift.repaired&resource_id=bakery", |ev| ev["actor"] == "cli").await;
    // The ledger is right: consuming and releasing go on from the repaired counter.
    let r = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(r.body["findings"], json!([]), "{}", r.body);
    let start = Instant::now();
    while e.api.get(&e.ops, "/v1/monitoring/alerts").await.body["active"] != json!([]) {
        assert!(start.elapsed() < Duration::from_secs(5), "alert never resolved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(e.api.hold(&e.buyer, "d-3", &item(2)).await.status.as_u16(), 201);
    assert_eq!(e.api.hold(&e.buyer, "d-4", &item(1)).await.code(), "SOLD_OUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slo_health_and_signals_after_traffic() {
    let e = ops_env(&[]);
    create(&e, "sku", &stock_doc(1000)).await;
    for i in 0..20 {
        assert_eq!(hold(&e, &format!("s-{i}"), "sku", 1).await.status.as_u16(), 201);
        assert_eq!(e.api.availability("sku", "").await.status.as_u16(), 200);
    }
    let h = e.api.get(&e.ops, "/v1/monitoring/health").await;
    assert_eq!(h.status.as_u16(), 200);
    assert_eq!(h.body["status"], "ok", "{}", h.body);
    assert_eq!(h.body["targets"]["hold_p95_ms"], 500.0);
    assert_eq!(h.body["store"]["breaker"], "closed");
    let routes = h.body["routes"].as_array().unwrap();
    let holds = routes.iter().find(|r| r["route"] == "/v1/holds" && r["method"] == "POST").unwrap();
    assert_eq!(holds["class"], "hold");
    assert_eq!(holds["windows"]["5m"]["requests"], 20);
    assert_eq!(holds["windows"]["60m"]["availability"], 1.0);
    assert!(holds["windows"]["5m"]["p95_ms"].as_f64().unwrap() < 500.0);
    let slos: Vec<&str> = holds["slos"].as_array().unwrap().iter().map(|s| s["slo"].as_str().unwrap()).collect();
    assert_eq!(slos, ["p95_latency_ms", "error_rate", "availability"]);
    let reads = routes.iter().find(|r| r["route"] == "/v1/resources/{id}/availability").unwrap();
    assert_eq!(reads["class"], "read");
    assert_eq!(reads["slos"][0]["target"], 200.0);
    assert_eq!(e.api.get(&e.buyer, "/v1/monitoring/health").await.status.as_u16(), 403);

    let s = e.api.get(&e.ops, "/v1/monitoring/signals?limit=5").await;
    assert_eq!(s.status.as_u16(), 200);
    assert!(s.body["signals"].is_array());
    for q in ["service=nope", "level=info", "limit=0", "limit=x", "foo=1"] {
        assert_eq!(e.api.get(&e.ops, &format!("/v1/monitoring/signals?{q}")).await.status.as_u16(), 400, "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_over_its_rate_gets_429_with_retry_after_and_others_do_not() {
    let e = ops_env(&[("AFORO_RATE_LIMIT_RPS", "5"), ("AFORO_RATE_LIMIT_BURST", "5")]);
    let mut codes = Vec::new();
    for _ in 0..12 {
        let a = e.api.get_hold(&e.buyer, "h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_sku").await;
        codes.push(a.status.as_u16());
        if a.status.as_u16() == 429 {
            assert_eq!(a.code(), "RATE_LIMITED");
            assert!(a.retry_after.as_deref().is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)), "{:?}", a.retry_after);
        }
    }
    assert!(codes.iter().filter(|c| **c == 404).count() >= 5, "{codes:?}");
    assert!(codes.contains(&429), "{codes:?}");
    let other = token("buyer-2", "buyer");
    assert_eq!(e.api.get_hold(&other, "h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_sku").await.status.as_u16(), 404, "another caller has its own budget");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(e.api.get_hold(&e.buyer, "h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_sku").await.status.as_u16(), 404, "the budget refills");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_cleanly() {
    let mut e = env();
    assert_eq!(e.api.send(reqwest::Method::GET, "/readyz", None, None, None).await.status, 200);
    assert!(e.origin.terminate(), "origin did not exit 0 on SIGTERM");
}
