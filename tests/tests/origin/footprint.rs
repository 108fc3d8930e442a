//! What each caller may take of the store (issue #22): seller quotas on resources and
//! document bytes (422 `QUOTA_EXCEEDED`, ops exempt), an archived resource that keeps its
//! bookings and a summary only, the store's memory as a signal (health, `/metrics`, the
//! shedding of non-booking writes near the ceiling while holds go on), shadow overflows kept
//! out of the oversell gauge, and booking cursors on a dotted resource id.

use std::time::{Duration, Instant};

use aforo_tests::client::{Answer, Api};
use aforo_tests::harness::{token, Origin, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

fn env_with(redis: &[&str], vars: &[(&str, &str)]) -> Env {
    let redis = Redis::start(redis);
    let origin = Origin::start_with(&redis.url(), vars);
    let api = Api::new(&origin.url());
    Env { redis, origin, api, seller: token("seller-1", "seller"), buyer: token("buyer-1", "buyer"), ops: token("ops-1", "ops") }
}

/// A daily document of at least `bytes` bytes as stored (closures of 200 bytes carry the
/// bulk; at most 500 of them: about 100 KB).
fn doc_of(bytes: usize) -> Value {
    let mut doc = daily_doc(5);
    let n = bytes.div_ceil(200).min(500);
    let closure = |i: usize| json!({"from": "2030-01-01", "to": "2030-01-01", "reason": format!("{i:0>150}")});
    doc["closures"] = json!((0..n).map(closure).collect::<Vec<_>>());
    doc
}

/// Bytes of a resource's stored document (or summary).
fn stored(redis: &Redis, id: &str) -> u64 {
    redis.cli(&["HSTRLEN", &format!("af:{{r:{id}}}:m"), "doc"]).trim().parse().unwrap()
}

fn quota_problem(a: &Answer, quota: &str) {
    assert_eq!((a.status.as_u16(), a.code()), (422, "QUOTA_EXCEEDED"), "{:.300}", a.body.to_string());
    assert_eq!(a.content_type, "application/problem+json");
    assert_eq!(a.body["quota"], quota, "{:?}", a.body);
    assert_human(a.body["detail"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_over_its_quotas_is_refused_while_ops_and_other_sellers_write() {
    let e = env_with(&[], &[("AFORO_SELLER_MAX_RESOURCES", "3"), ("AFORO_SELLER_MAX_DOCUMENT_BYTES", "6000")]);
    for id in ["a", "b", "c"] {
        create(&e, id, &daily_doc(5)).await;
    }
    let d = e.api.put_resource(&e.seller, "d", &daily_doc(5)).await;
    quota_problem(&d, "resources");
    assert_eq!((d.body["used"].as_u64(), d.body["limit"].as_u64(), d.body["requested"].as_u64()), (Some(3), Some(3), Some(1)));
    assert_eq!(e.api.get(&e.seller, "/v1/resources/d").await.status, 404, "nothing was written");
    let other = token("seller-2", "seller");
    assert_eq!(e.api.put_resource(&other, "x", &daily_doc(5)).await.status, 201, "another seller's quota is its own");
    assert_eq!(e.api.put_resource(&e.ops, "ops-own", &daily_doc(5)).await.status, 201);
    // A replace counts the difference in bytes: growing past 6,000 is refused, with the figures.
    let used: u64 = ["a", "b", "c"].iter().map(|id| stored(&e.redis, id)).sum();
    let big = doc_of(7000);
    let grow = e.api.put_resource(&e.seller, "a", &big).await;
    quota_problem(&grow, "document_bytes");
    assert_eq!((grow.body["used"].as_u64(), grow.body["limit"].as_u64()), (Some(used), Some(6000)), "{:?}", grow.body);
    assert!(grow.body["requested"].as_u64().unwrap() > 6000 - used, "{:?}", grow.body);
    assert_eq!(stored(&e.redis, "a"), used / 3, "a refused replace changes nothing");
    // Ops are exempt, and what they write counts against the owner.
    assert_eq!(e.api.put_resource(&e.ops, "a", &big).await.status, 200);
    let over = e.api.put_resource(&e.seller, "b", &doc_of(500)).await;
    quota_problem(&over, "document_bytes");
    assert_eq!(over.body["used"].as_u64(), Some(stored(&e.redis, "a") + stored(&e.redis, "b") + stored(&e.redis, "c")));
    // A replace that shrinks always passes; so does one that keeps the size.
    assert_eq!(e.api.put_resource(&e.seller, "b", &daily_doc(4)).await.status, 200);
    assert_eq!(e.api.put_resource(&e.seller, "a", &daily_doc(5)).await.status, 200, "back under the quota");
    // Archiving frees the resource count.
    assert_eq!(e.api.send(Method::DELETE, "/v1/resources/c", Some(&e.seller), None, None).await.status, 204);
    assert_eq!(e.api.put_resource(&e.seller, "d", &daily_doc(5)).await.status, 201, "an archived resource no longer counts");
    quota_problem(&e.api.put_resource(&e.seller, "e", &daily_doc(5)).await, "resources");
    // The figures agree with a count of the resources: nothing for the check's repair to mend.
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, Some(br#"{"repair":true}"#.to_vec())).await;
    assert_eq!(check.status, 200, "{:?}", check.body);
    assert!(check.body.get("quota_drift").is_none(), "{:?}", check.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_never_pass_the_resource_quota() {
    let e = env_with(&[], &[("AFORO_SELLER_MAX_RESOURCES", "5")]);
    let put = |i: usize| {
        let (api, seller) = (e.api.clone(), e.seller.clone());
        async move { api.put_resource(&seller, &format!("r{i}"), &daily_doc(5)).await.status.as_u16() }
    };
    let answers = futures::future::join_all((0..20).map(put)).await;
    assert_eq!(answers.iter().filter(|s| **s == 201).count(), 5, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 422).count(), 15, "{answers:?}");
    let listed = e.api.get(&e.seller, "/v1/resources?limit=200").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 5);
}

/// `MEMORY USAGE` of each key of resource `id`, split into its bookings' records (hold
/// records, the bookings index, date sets) and the rest.
fn footprint(redis: &Redis, id: &str) -> (u64, u64, Vec<String>) {
    let keys: Vec<String> = redis.cli(&["KEYS", &format!("af:{{r:{id}}}:*")]).lines().map(String::from).collect();
    let prefix = format!("af:{{r:{id}}}:");
    let (mut bookings, mut rest) = (0, 0);
    for k in &keys {
        let n: u64 = redis.cli(&["MEMORY", "USAGE", k, "SAMPLES", "0"]).trim().parse().unwrap_or(0);
        let tail = &k[prefix.len()..];
        if tail.starts_with("h:") || tail.starts_with("j:") || tail == "b" {
            bookings += n;
        } else {
            rest += n;
        }
    }
    (bookings, rest, keys)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_resource_keeps_its_bookings_and_a_summary_and_frees_its_bytes() {
    let e = env_with(&[], &[("AFORO_SELLER_MAX_DOCUMENT_BYTES", "60000")]);
    let mut doc = doc_of(40_000);
    doc["name"] = json!("Big room");
    doc["timezone"] = json!("Europe/Madrid");
    create(&e, "big", &doc).await;
    let dates: Vec<String> = (1..=30).map(day).collect();
    let mut paid = Vec::new();
    for (i, d) in dates.iter().enumerate() {
        let h = e.api.hold(&e.buyer, &format!("k{i}"), &json!({"resource_id": "big", "date": d, "qty": 1})).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        let id = h.body["id"].as_str().unwrap().to_string();
        if i % 2 == 0 {
            assert_eq!(e.api.consume(&e.buyer, &id).await.status, 200);
            paid.push(id);
        }
    }
    quota_problem(&e.api.put_resource(&e.seller, "next", &doc_of(40_000)).await, "document_bytes");
    let (bookings_before, rest_before, _) = footprint(&e.redis, "big");
    let gone = e.api.send(Method::DELETE, "/v1/resources/big?force=true", Some(&e.seller), None, None).await;
    assert_eq!(gone.status, 204, "{:?}", gone.body);
    let (bookings, rest, keys) = footprint(&e.redis, "big");
    eprintln!("archived: bookings {bookings_before} -> {bookings} B, the rest {rest_before} -> {rest} B, keys {keys:?}");
    assert!(rest <= 4096, "an archived resource keeps {rest} bytes beyond its bookings: {keys:?}");
    assert!(rest_before > 40_000, "the live resource held its document: {rest_before}");
    assert!(stored(&e.redis, "big") < 400, "the document gave way to a summary");
    // Its bytes are free again: the next document fits.
    assert_eq!(e.api.put_resource(&e.seller, "next", &doc_of(40_000)).await.status, 201);
    // What reads an archived resource still works: its bookings (by local date), each hold,
    // the drift check; the rest answers 404.
    let first = e.api.get(&e.seller, &format!("/v1/resources/big/bookings?from={}&to={}&status=consumed", dates[0], dates[29])).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let listed: Vec<&str> = first.body["items"].as_array().unwrap().iter().map(|b| b["hold_id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), paid.len(), "{:?}", first.body);
    assert!(paid.iter().all(|p| listed.contains(&p.as_str())));
    assert_eq!(e.api.get_hold(&e.buyer, &paid[0]).await.body["status"], "consumed");
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, Some(br#"{"resource_id":"big"}"#.to_vec())).await;
    assert_eq!(check.status, 200, "{:?}", check.body);
    assert_eq!((check.body["oversold_buckets"].as_u64(), check.body["drift_buckets"].as_u64()), (Some(0), Some(0)), "{:?}", check.body);
    assert_eq!(e.api.get(&e.seller, "/v1/resources/big").await.status, 404);
    assert_eq!(e.api.availability("big", &format!("date={}", dates[0])).await.status, 404);
    assert_eq!(e.api.put_resource(&e.seller, "big", &daily_doc(1)).await.status, 404, "the id is not reused");
}

/// Fills Redis with junk until `used_memory / maxmemory` is at least `ratio`.
pub(crate) fn fill_to(redis: &Redis, ratio: f64) -> f64 {
    let info = |f: &str| -> f64 {
        let text = redis.cli(&["INFO", "memory"]);
        text.lines().find_map(|l| l.strip_prefix(f).and_then(|v| v.strip_prefix(':'))).unwrap().trim().parse().unwrap()
    };
    let max = info("maxmemory");
    for i in 0..10_000 {
        let r = info("used_memory") / max;
        if r >= ratio {
            return r;
        }
        let chunk = (((ratio + 0.005) * max - info("used_memory")) as u64).clamp(1_000, 100_000);
        let script = "redis.call('SET', KEYS[1], string.rep('x', tonumber(ARGV[1])))";
        redis.cli(&["EVAL", script, "1", &format!("junk:{i}"), &chunk.to_string()]);
    }
    panic!("could not fill Redis");
}

pub(crate) async fn health(e: &Env) -> Value {
    let h = e.api.get(&e.ops, "/v1/monitoring/health").await;
    assert_eq!(h.status, 200, "{:?}", h.body);
    h.body["store"]["memory"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_the_memory_ceiling_denials_are_shed_while_holds_and_consumes_go_on() {
    // Refused requests are audited once their window closes (a minute; 200 ms here).
    let e = env_with(&["--maxmemory", "16mb"], &[("AFORO_MEMORY_POLL_MS", "100"), ("AFORO_TEST_DENIED_WINDOW_MS", "200")]);
    create(&e, "sku", &stock_doc(100)).await;
    let m = health(&e).await;
    assert_eq!(m["max_bytes"], 16 << 20, "{m:?}");
    assert_eq!(m["shedding"], false);
    let ratio = fill_to(&e.redis, 0.91);
    let start = Instant::now();
    let mut m = health(&e).await;
    while m["shedding"] != true {
        assert!(start.elapsed() < Duration::from_secs(5), "the origin never saw the memory: {m:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        m = health(&e).await;
    }
    let reported = m["ratio"].as_f64().unwrap();
    assert!(reported >= 0.9 && (reported - ratio).abs() < 0.02, "health says {reported}, Redis {ratio}");
    assert!(m["used_bytes"].as_u64().unwrap() > 14 << 20, "{m:?}");
    let metrics = e.api.text("/metrics").await;
    assert!(metric(&metrics, "aforo_store_memory_ratio", &[]) >= 0.9, "{metrics}");
    let ready = e.api.send(Method::GET, "/readyz", None, None, None).await;
    assert_eq!((ready.status.as_u16(), ready.body["memory"].as_str()), (200, Some("near_ceiling")), "{:?}", ready.body);
    // A flood of bogus tokens writes nothing.
    let denied =
        || async { e.api.get(&e.ops, "/v1/audit/events?type=auth.denied&limit=1000").await.body["events"].as_array().unwrap().len() };
    let before = denied().await;
    for i in 0..20 {
        let a = e.api.send(Method::GET, &format!("/v1/resources/x{i}"), Some("bogus"), None, None).await;
        assert_eq!(a.status, 401);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(denied().await, before, "denied requests were audited near the ceiling");
    assert!(metric(&e.api.text("/metrics").await, "aforo_writes_shed_total", &[]) >= 1.0);
    // Holds, consumes and releases answer as ever; a seller's new document waits.
    for i in 0..10 {
        let h = e.api.hold(&e.buyer, &format!("h{i}"), &json!({"resource_id": "sku", "qty": 1})).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        let id = h.body["id"].as_str().unwrap();
        let next = if i % 2 == 0 { e.api.consume(&e.buyer, id).await } else { e.api.release(&e.buyer, id).await };
        assert_eq!(next.status, 200, "{:?}", next.body);
    }
    let doc = e.api.put_resource(&e.seller, "new", &stock_doc(1)).await;
    assert_eq!((doc.status.as_u16(), doc.code()), (503, "STORE_UNAVAILABLE"), "{:?}", doc.body);
    assert_eq!(e.api.put_resource(&e.ops, "ops-new", &stock_doc(1)).await.status, 201, "ops are not held back");
    // Memory freed: the origin writes everything again.
    e.redis.cli(&["EVAL", "for _, k in ipairs(redis.call('KEYS', 'junk:*')) do redis.call('DEL', k) end", "0"]);
    let start = Instant::now();
    while health(&e).await["shedding"] != false {
        assert!(start.elapsed() < Duration::from_secs(5), "still shedding");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(e.api.send(Method::GET, "/v1/resources/x", Some("bogus"), None, None).await.status, 401);
    let start = Instant::now();
    while denied().await == before {
        assert!(start.elapsed() < Duration::from_secs(5), "denied requests are audited again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(e.api.put_resource(&e.seller, "new", &stock_doc(1)).await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_overflows_are_not_counted_as_oversells() {
    let e = env();
    let mut doc = stock_doc(1);
    doc["enforcement"] = json!("shadow");
    create(&e, "rollout", &doc).await;
    for key in ["a", "b", "c"] {
        assert_eq!(e.api.hold(&e.buyer, key, &json!({"resource_id": "rollout", "qty": 1})).await.status, 201);
    }
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(check.status, 200, "{:?}", check.body);
    assert_eq!(check.body["oversold_buckets"], 0, "{:?}", check.body);
    assert_eq!(check.body["findings"][0]["shadow"], json!([{"bucket": "stock", "committed": 3, "limit": 1}]), "{:?}", check.body);
    let metrics = e.api.text("/metrics").await;
    assert_eq!(metric(&metrics, "aforo_oversold_buckets", &[]), 0.0);
    assert_eq!(metric(&metrics, "aforo_shadow_over_buckets", &[]), 1.0);
    let alerts = e.api.get(&e.ops, "/v1/monitoring/alerts").await;
    assert!(!alerts.body["active"].as_array().unwrap().iter().any(|a| a["alert"] == "AforoOversellDetected"), "{:?}", alerts.body);
    // The same counters on an enforcing resource are an oversell.
    create(&e, "strict", &stock_doc(1)).await;
    e.redis.cli(&["HSET", "af:{r:strict}:c", "stock", "3"]);
    e.redis.cli(&["HSET", "af:{r:strict}:s", "stock", "3"]);
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(check.body["oversold_buckets"], 1, "{:?}", check.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_cursors_page_through_a_dotted_resource_id() {
    let e = env();
    for id in ["room.main", "a.b.c"] {
        create(&e, id, &stock_doc(20)).await;
        let mut held = Vec::new();
        for i in 0..7 {
            let h = e.api.hold(&e.buyer, &format!("{id}-{i}"), &json!({"resource_id": id, "qty": 1})).await;
            assert_eq!(h.status, 201, "{:?}", h.body);
            held.push(h.body["id"].as_str().unwrap().to_string());
        }
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = e.api.get(&e.seller, &format!("/v1/resources/{id}/bookings?limit=2{c}")).await;
            assert_eq!(page.status, 200, "{id}: {:?}", page.body);
            seen.extend(page.body["items"].as_array().unwrap().iter().map(|b| b["hold_id"].as_str().unwrap().to_string()));
            match page.body["next"].as_str() {
                Some(n) => cursor = Some(n.to_string()),
                None => break,
            }
            assert!(seen.len() <= 7, "{id}: paging does not end");
        }
        seen.sort();
        held.sort();
        assert_eq!(seen, held, "{id}: every booking, once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_redis_gets_its_figures_counted_once_and_its_old_archives_trimmed() {
    let mut e = env_with(&[], &[("AFORO_SELLER_MAX_RESOURCES", "2")]);
    create(&e, "old", &doc_of(20_000)).await;
    create(&e, "live", &daily_doc(5)).await;
    // As a release before quotas left it: archived with its whole document, and no figures.
    e.redis.cli(&["HSET", "af:{r:old}:m", "archived", "1764900000000"]);
    let figures = e.redis.cli(&["KEYS", "af:{s:*}:q"]);
    e.redis.cli(&["DEL", figures.trim(), "af:quota:counted"]);
    e.origin.restart();
    let start = Instant::now();
    while e.redis.cli(&["EXISTS", "af:quota:counted"]).trim() != "1" {
        assert!(start.elapsed() < Duration::from_secs(10), "never counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stored(&e.redis, "old") < 400, "the old archive gave way to a summary");
    let q = e.redis.cli(&["HMGET", figures.trim(), "resources", "bytes"]);
    let want = format!("1\n{}", stored(&e.redis, "old") + stored(&e.redis, "live"));
    assert_eq!(q.trim(), want, "one live resource; the live document and the old archive's summary");
    assert_eq!(e.api.put_resource(&e.seller, "next", &daily_doc(5)).await.status, 201);
    quota_problem(&e.api.put_resource(&e.seller, "more", &daily_doc(5)).await, "resources");
    let check = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert!(check.body.get("quota_drift").is_none(), "{:?}", check.body);
    assert_eq!(e.api.get(&e.seller, "/v1/resources/old/bookings").await.status, 200);
}
