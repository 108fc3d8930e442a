//! The edge against a failing origin (a fake one on a real socket) and with a bad setting:
//! bounded calls, a clear 503, and a refusal that names the setting. Part of edge_e2e.

use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::edge::Edge;
use aforo_tests::harness::left_out_of_fast_tier;

use crate::common::fake_origin;
use reqwest::Method;
use serde_json::{json, Value};

/// Seed 001/003: every call to the origin has a timeout, reads are retried (with jitter) and
/// holds are not, and the answer is a clear 503 with Retry-After, never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_bounds_its_calls_to_a_failing_origin() {
    if left_out_of_fast_tier("the_edge_bounds_its_calls_to_a_failing_origin", "workerd (wrangler dev)") {
        return;
    }
    let (url, seen) = fake_origin();
    let edge = Edge::start(&url, &[("ORIGIN_TIMEOUT_MS", "1000"), ("ORIGIN_RETRIES", "2")]);
    let ed = Api::new(&edge.url());
    let count = |what: &str| seen.lock().unwrap().iter().filter(|l| l.contains(what)).count();
    let buyer = aforo_tests::harness::token("buyer-1", "buyer");

    // A stalled origin: the read, the hold lookup and the hold all answer 503 within the bound.
    for (m, path, body) in [
        (Method::GET, "/v1/resources/stall/availability?qty=1", None),
        (Method::GET, "/v1/holds/h_stall", None),
        (Method::POST, "/v1/holds?stall=1", Some(br#"{"resource_id":"x","qty":1}"#.to_vec())),
    ] {
        let t = Instant::now();
        let a = ed.send(m.clone(), path, Some(&buyer), Some("k-stall"), body).await;
        let took = t.elapsed();
        assert_eq!((a.status.as_u16(), a.code()), (503, "ORIGIN_UNAVAILABLE"), "{m} {path}: {:?}", a.body);
        assert!(a.retry_after.is_some(), "{m} {path}: no Retry-After");
        assert!(took < Duration::from_secs(3), "{m} {path} took {took:?}");
    }
    assert_eq!(count("POST /v1/holds?stall=1"), 1, "a hold is sent once");

    // An origin answering 503: a read is tried 1 + ORIGIN_RETRIES times, a hold once.
    let a = ed.send(Method::GET, "/v1/resources/flaky/availability?qty=1", None, None, None).await;
    assert_eq!((a.status.as_u16(), a.code()), (503, "ORIGIN_UNAVAILABLE"));
    assert_eq!(count("GET /v1/resources/flaky/snapshot"), 3);
    let h = ed.hold(&buyer, "k-flaky", &json!({"resource_id": "flaky", "qty": 1})).await;
    assert_eq!(h.status.as_u16(), 503);
    assert!(h.retry_after.is_some());
    assert_eq!(count("POST /v1/holds "), 1, "a hold is sent once: {:?}", seen.lock().unwrap());
}

/// A Worker with a bad setting refuses every request with a 500 that names the setting
/// (never its value, never a silent default), carrying the request id its log line has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misconfigured_edge_refuses_to_serve_and_names_the_setting() {
    if left_out_of_fast_tier("a_misconfigured_edge_refuses_to_serve_and_names_the_setting", "workerd (wrangler dev)") {
        return;
    }
    let (url, seen) = fake_origin();
    let edge = Edge::start(&url, &[("SNAPSHOT_TTL_S", "2seconds")]);
    let c = aforo_tests::client::http().build().unwrap();
    for (path, rid) in [("/v1/resources/x/availability?qty=1", Some("rid-misconfigured-1")), ("/healthz", None), ("/", None)] {
        let mut r = c.get(format!("{}{path}", edge.url()));
        if let Some(id) = rid {
            r = r.header("x-request-id", id);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 500, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        let id = r.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        match rid {
            Some(want) => assert_eq!(id, want, "{path}: the caller's request id"),
            None => assert!(id.starts_with("edge-") && id.len() > 10, "{path}: a request id of its own: {id:?}"),
        }
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "INTERNAL", "{path}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("SNAPSHOT_TTL_S") && detail.contains("X-Request-Id"), "{path}: {detail}");
        assert!(!body.to_string().contains("2seconds"), "{path}: the value is for the log only: {body}");
    }
    assert!(seen.lock().unwrap().is_empty(), "a misconfigured edge calls no origin: {:?}", seen.lock().unwrap());
}
