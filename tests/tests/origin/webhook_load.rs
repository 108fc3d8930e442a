//! Webhook lag under load (BENCHMARKS.md, "Webhooks"): holds at a steady rate, one or ten
//! live endpoints (and a dead one beside them), every event delivered, and the lag from
//! the change (the event's `timestamp`, Redis time) to its arrival at the receiver; and the
//! stream entries a dead origin left pending, claimed by another after the lease.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aforo_tests::harness::{token, Redis};
use aforo_tests::receiver::Receiver;
use reqwest::Method;
use serde_json::json;

use crate::common::*;
use fred::prelude::{ClientLike, Value as RedisValue};

struct Figures {
    rate: f64,
    dead_attempts: usize,
    p50: i64,
    p95: i64,
    p99: i64,
    events: usize,
}

fn pct(v: &[i64], p: f64) -> i64 {
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

/// `rate` holds a second for `secs` seconds, `live` endpoints (plus a dead one if `dead`).
async fn run(rate: u32, secs: u32, live: usize, dead: bool) -> Figures {
    let e = Env::with(Redis::start(&[]), &[("AFORO_WEBHOOK_ALLOW_PRIVATE", "1"), ("AFORO_RATE_LIMIT_RPS", "0")]);
    create(&e, "sku", &stock_doc(10_000_000)).await;
    let receivers: Vec<Receiver> = (0..live).map(|_| Receiver::start()).collect();
    let silent = Receiver::with(Box::new(|_, _| (200, Duration::from_secs(30))));
    let mut urls: Vec<&str> = receivers.iter().map(|r| r.url.as_str()).collect();
    if dead {
        urls.push(&silent.url);
    }
    for url in urls {
        let body = json!({"url": url, "events": ["hold.created"]}).to_string().into_bytes();
        let a = e.api.send(Method::POST, "/v1/webhooks", Some(&e.seller), None, Some(body)).await;
        assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
    }
    let n = (rate * secs) as usize;
    let api = Arc::new(e.api.clone());
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        tick.tick().await;
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let buyer = token(&format!("load-{i}"), "buyer");
            api.hold(&buyer, &format!("l-{i}"), &json!({"resource_id": "sku", "qty": 1})).await.status.as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let achieved = n as f64 / start.elapsed().as_secs_f64();
    for r in &receivers {
        eventually(Duration::from_secs(120), || async {
            let got = r.delivered().len();
            if got >= n {
                Ok(())
            } else {
                Err(format!("{got} of {n}"))
            }
        })
        .await;
    }
    let mut lags: Vec<i64> = Vec::new();
    for r in &receivers {
        for g in r.delivered() {
            let at = chrono::DateTime::parse_from_rfc3339(g.json()["timestamp"].as_str().unwrap()).unwrap().timestamp_millis();
            lags.push(g.wall_ms - at);
        }
    }
    lags.sort_unstable();
    Figures {
        rate: achieved,
        dead_attempts: silent.all().len(),
        p50: pct(&lags, 0.5),
        p95: pct(&lags, 0.95),
        p99: pct(&lags, 0.99),
        events: lags.len(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_lag_at_100_holds_a_second_with_one_ten_and_a_dead_endpoint() {
    let _turn = crowd().await;
    let base = run(100, 3, 1, false).await;
    eprintln!(
        "webhook lag, 100 holds/s, 1 endpoint: rate {:.0}/s p50 {} ms p95 {} ms p99 {} ms ({} events)",
        base.rate, base.p50, base.p95, base.p99, base.events
    );
    assert!(base.p95 <= 750, "p95 {} ms is past the 750 ms SLO", base.p95);
    let ten = run(100, 3, 10, false).await;
    eprintln!(
        "webhook lag, 100 holds/s, 10 endpoints: rate {:.0}/s p50 {} ms p95 {} ms p99 {} ms ({} events)",
        ten.rate, ten.p50, ten.p95, ten.p99, ten.events
    );
    let dead = run(100, 3, 10, true).await;
    eprintln!(
        "webhook lag, 100 holds/s, 10 endpoints + 1 dead: rate {:.0}/s p50 {} ms p95 {} ms p99 {} ms ({} events)",
        dead.rate, dead.p50, dead.p95, dead.p99, dead.events
    );
    // Every live endpoint got every event (`run` waits for each). On a shared 2-core machine
    // in a debug build the ten-endpoint figures move with the machine's load (BENCHMARKS.md),
    // so they are reported, not asserted; what is asserted of the dead endpoint is that it
    // costs the others one delivery task: one attempt at a time, on its schedule (5 s
    // timeouts, then 5 s, 30 s… of backoff).
    assert!((1..=3).contains(&dead.dead_attempts), "{} attempts at the dead endpoint", dead.dead_attempts);
    if std::env::var("AFORO_WEBHOOK_LOAD_1000").is_ok() {
        for live in [1, 10] {
            let f = run(1000, 3, live, false).await;
            eprintln!(
                "webhook lag, 1000 holds/s, {live} endpoint(s): rate {:.0}/s p50 {} ms p95 {} ms p99 {} ms ({} events)",
                f.rate, f.p50, f.p95, f.p99, f.events
            );
        }
    }
}

/// An origin that read stream entries through the group `wh` and died before queueing them
/// leaves them pending; another origin claims them once the lease has passed (`XAUTOCLAIM`)
/// and delivers them, in order. The dead reader is played by the test itself, so the
/// entries are surely pending when the second origin starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_a_dead_origin_left_pending_are_claimed_after_the_lease() {
    // The first origin polls every 5 s: it saw no endpoint at its start and will not read
    // again before it is killed.
    let slow = [("AFORO_WEBHOOK_ALLOW_PRIVATE", "1"), ("AFORO_WEBHOOK_POLL_MS", "5000")];
    let mut e = Env::with(Redis::start(&[]), &slow);
    create(&e, "room", &slots_doc(50)).await;
    let r = Receiver::start();
    let body = json!({"url": r.url, "events": ["hold.created"], "resource_ids": ["room"]}).to_string().into_bytes();
    assert_eq!(e.api.send(Method::POST, "/v1/webhooks", Some(&e.seller), None, Some(body)).await.status.as_u16(), 201);
    let c = aforo_tests::checker::client(&e.redis).await;
    let stream = "af:{r:room}:e";
    let _: RedisValue = c.custom(fred::cmd!("XGROUP"), vec!["CREATE", stream, "wh", "$"]).await.unwrap();
    let d = day(2);
    let mut holds = Vec::new();
    for n in 0..5 {
        let buyer = token(&format!("buyer-{n}"), "buyer");
        let a =
            e.api.hold(&buyer, &format!("p-{n}"), &json!({"items": [{"resource_id": "room", "date": d, "slot": "20:00", "qty": 1}]})).await;
        holds.push(a.body["id"].as_str().unwrap().to_string());
    }
    let _: RedisValue =
        c.custom(fred::cmd!("XREADGROUP"), vec!["GROUP", "wh", "o-dead", "COUNT", "100", "STREAMS", stream, ">"]).await.unwrap();
    let pending: RedisValue = c.custom(fred::cmd!("XPENDING"), vec![stream, "wh"]).await.unwrap();
    assert!(matches!(&pending, RedisValue::Array(p) if p[0].as_u64() >= Some(5)), "{pending:?}");
    e.origin.kill();
    let fast = [("AFORO_WEBHOOK_ALLOW_PRIVATE", "1"), ("AFORO_WEBHOOK_POLL_MS", "50"), ("AFORO_WEBHOOK_LEASE_MS", "1000")];
    let _second = aforo_tests::harness::Origin::start_with(&e.redis.url(), &fast);
    eventually(Duration::from_secs(15), || async {
        let got: Vec<String> = r.delivered().iter().map(|g| g.json()["data"]["hold_id"].as_str().unwrap_or("").to_string()).collect();
        if got == holds {
            Ok(())
        } else {
            Err(got)
        }
    })
    .await;
    let pending: RedisValue = c.custom(fred::cmd!("XPENDING"), vec![stream, "wh"]).await.unwrap();
    assert!(matches!(&pending, RedisValue::Array(p) if p[0].as_u64() == Some(0)), "acknowledged once queued: {pending:?}");
}
