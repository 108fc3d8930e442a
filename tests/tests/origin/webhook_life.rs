//! An endpoint's life beyond the basics (docs/webhooks.md): no event missed right after its
//! creation, re-enabling a disabled endpoint (its backlog kept and the gap refilled, or
//! dropped), and its queue shed near Redis's memory ceiling. Every delivery is verified by
//! the official `standardwebhooks` library (npm).

use aforo_tests::receiver::{verify, Receiver};

use crate::common::*;
use crate::webhooks::{hold, register, wait_holds, wh_env};
use aforo_tests::harness::{token, Redis};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_right_after_an_endpoint_is_created_all_reach_it() {
    let e = wh_env(&[]);
    create(&e, "room", &slots_doc(1000)).await;
    let d = day(2);
    // An endpoint already hears the resource, so its stream is read at every poll: a new
    // endpoint must not lose what a poll that began before it read.
    let first = Receiver::start();
    assert_eq!(register(&e, &e.ops, &first.url, &["hold.created"], Some(&["room"])).await.status.as_u16(), 201);
    let mut made: Vec<String> = Vec::new();
    let mut endpoints: Vec<(Receiver, String, usize)> = Vec::new();
    let mut n = 0;
    for _ in 0..15 {
        let r = Receiver::start();
        let a = register(&e, &e.seller, &r.url, &["hold.created"], Some(&["room"])).await;
        assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
        endpoints.push((r, a.body["secret"].as_str().unwrap().to_string(), made.len()));
        // At once, no pause: the holds race the origins' next poll.
        for _ in 0..3 {
            made.push(hold(&e, n, &d).await);
            n += 1;
        }
    }
    for (i, (r, secret, from)) in endpoints.iter().enumerate() {
        let want = &made[*from..];
        wait_holds(r, want, 15).await;
        assert_eq!(crate::webhooks::created_holds(r), want, "endpoint {i}: every hold made after its creation, in order, and none before");
        let verdicts = verify(secret, &r.all());
        assert!(verdicts.iter().all(Result::is_ok), "endpoint {i}: {verdicts:?}");
    }
    wait_holds(&first, &made, 15).await;
}

async fn status_of(e: &Env, id: &str) -> Value {
    e.api.get(&e.ops, &format!("/v1/webhooks/{id}")).await.body
}

async fn enable(e: &Env, tok: &str, id: &str, body: Option<Value>) -> aforo_tests::client::Answer {
    let path = format!("/v1/webhooks/{id}/enable");
    e.api.send(Method::POST, &path, Some(tok), None, body.map(|b| b.to_string().into_bytes())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_endpoint_enabled_again_resumes_where_it_stopped_or_from_now() {
    // Give up after 40 s / 10 = 4 s of failing.
    let e = wh_env(&[("AFORO_WEBHOOK_GIVE_UP_S", "40"), ("AFORO_TEST_WEBHOOK_BACKOFF_DIV", "10")]);
    create(&e, "room", &slots_doc(100)).await;
    let down = || -> aforo_tests::receiver::Plan { Box::new(|_, _| (500, Duration::ZERO)) };
    let (keep, drop) = (Receiver::with(down()), Receiver::with(down()));
    let mut ids = Vec::new();
    let mut secrets = Vec::new();
    for r in [&keep, &drop] {
        let a = register(&e, &e.seller, &r.url, &["hold.created"], Some(&["room"])).await;
        assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
        ids.push(a.body["id"].as_str().unwrap().to_string());
        secrets.push(a.body["secret"].as_str().unwrap().to_string());
    }
    let d = day(2);
    let mut before = Vec::new();
    for n in 0..3 {
        before.push(hold(&e, n, &d).await);
    }
    for id in &ids {
        eventually(Duration::from_secs(20), || async {
            let v = status_of(&e, id).await;
            if v["status"] == "disabled" {
                Ok(())
            } else {
                Err(v)
            }
        })
        .await;
    }
    // While disabled: nothing is queued for it, nothing sent.
    let mut gap = Vec::new();
    for n in 3..6 {
        gap.push(hold(&e, n, &d).await);
    }
    keep.set_plan(Box::new(|_, _| (204, Duration::ZERO)));
    drop.set_plan(Box::new(|_, _| (204, Duration::ZERO)));
    // Only its owner or ops; the body is checked before anything changes.
    let other = token("seller-2", "seller");
    assert_eq!(enable(&e, &other, &ids[0], None).await.status.as_u16(), 403);
    assert_eq!(enable(&e, &e.buyer, &ids[0], None).await.status.as_u16(), 403);
    for bad in [json!({"backlog": "all"}), json!({"since": "now"}), json!([])] {
        let a = enable(&e, &e.seller, &ids[0], Some(bad.clone())).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{bad}: {:?}", a.body);
    }
    assert_eq!(status_of(&e, &ids[0]).await["status"], "disabled");
    let a = enable(&e, &e.ops, "we_00000000000000000000", None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "WEBHOOK_NOT_FOUND"));
    // The owner resumes the first where it stopped: its backlog, the gap, then what comes.
    let a = enable(&e, &e.seller, &ids[0], None).await;
    assert_eq!(a.status.as_u16(), 200, "{:?}", a.body);
    assert_eq!(a.body["status"], "enabled");
    assert_eq!(a.body["disabled_at"], Value::Null);
    assert_eq!((a.body["enabled"]["changed"].as_bool(), a.body["enabled"]["backlog"].as_str()), (Some(true), Some("keep")));
    assert_eq!(a.body["enabled"]["gap_queued"], 3, "{:?}", a.body);
    // Ops start the second from now: its backlog is dropped.
    let b = enable(&e, &e.ops, &ids[1], Some(json!({"backlog": "drop"}))).await;
    assert_eq!(b.status.as_u16(), 200, "{:?}", b.body);
    assert_eq!((b.body["backlog"].as_u64(), b.body["enabled"]["dropped"].as_u64()), (Some(0), Some(3)), "{:?}", b.body);
    let mut after = Vec::new();
    for n in 6..9 {
        after.push(hold(&e, n, &d).await);
    }
    let all: Vec<String> = before.iter().chain(&gap).chain(&after).cloned().collect();
    wait_holds(&keep, &all, 15).await;
    assert_eq!(crate::webhooks::created_holds(&keep), all, "the backlog, the gap, then the new ones: in order, each once");
    wait_holds(&drop, &after, 15).await;
    assert_eq!(crate::webhooks::created_holds(&drop), after, "from now: the new ones only");
    for (r, secret) in [(&keep, &secrets[0]), (&drop, &secrets[1])] {
        let verdicts = verify(secret, &r.all());
        assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
    }
    let ev = audited(&e, "type=webhook.enabled", |ev| ev["detail"]["endpoint"] == ids[0].as_str()).await;
    assert_eq!((ev["detail"]["backlog"].as_str(), ev["detail"]["gap_queued"].as_u64()), (Some("keep"), Some(3)), "{ev}");
    assert!(ev["detail"]["disabled_at"].is_string(), "{ev}");
    audited(&e, "type=webhook.enabled", |ev| ev["detail"]["endpoint"] == ids[1].as_str() && ev["detail"]["backlog"] == "drop").await;
    // Enabling an enabled endpoint changes nothing.
    let again = enable(&e, &e.seller, &ids[0], None).await;
    assert_eq!((again.status.as_u16(), again.body["enabled"]["changed"].as_bool()), (200, Some(false)), "{:?}", again.body);
    let v = status_of(&e, &ids[0]).await;
    assert_eq!((v["status"].as_str(), v["breaker"].as_str(), v["backlog"].as_u64()), (Some("enabled"), Some("closed"), Some(0)), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_the_memory_ceiling_a_dead_endpoints_backlog_is_shed_while_holds_and_live_endpoints_go_on() {
    use crate::footprint::{fill_to, health};
    let vars = [
        ("AFORO_WEBHOOK_ALLOW_PRIVATE", "1"),
        ("AFORO_WEBHOOK_POLL_MS", "50"),
        ("AFORO_WEBHOOK_LEASE_MS", "1500"),
        ("AFORO_MEMORY_POLL_MS", "100"),
        ("AFORO_WEBHOOK_SHED_BACKLOG", "20"),
    ];
    let e = Env::with(Redis::start(&["--maxmemory", "16mb"]), &vars);
    create(&e, "room", &slots_doc(1000)).await;
    let live = Receiver::start();
    let dead = Receiver::with(Box::new(|_, _| (500, Duration::ZERO)));
    let a = register(&e, &e.seller, &live.url, &["hold.created"], Some(&["room"])).await;
    let secret = a.body["secret"].as_str().unwrap().to_string();
    let a = register(&e, &e.seller, &dead.url, &["hold.created"], Some(&["room"])).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let backlog = || async { status_of(&e, &id).await["backlog"].as_u64().unwrap() };
    let d = day(2);
    let mut made = Vec::new();
    for n in 0..60 {
        made.push(hold(&e, n, &d).await);
    }
    eventually(Duration::from_secs(10), || async {
        if backlog().await >= 59 {
            Ok(())
        } else {
            Err(backlog().await)
        }
    })
    .await;
    // Redis near its ceiling: the origin sheds what is not a booking.
    fill_to(&e.redis, 0.91);
    eventually(Duration::from_secs(5), || async {
        let m = health(&e).await;
        if m["shedding"] == true {
            Ok(())
        } else {
            Err(m)
        }
    })
    .await;
    for n in 60..70 {
        made.push(hold(&e, n, &d).await);
    }
    // The dead endpoint's backlog went down to the shedding cap, its oldest dropped and
    // counted; the live one got every event.
    let v = eventually(Duration::from_secs(10), || async {
        let v = status_of(&e, &id).await;
        if v["backlog"].as_u64().unwrap() <= 20 {
            Ok(v)
        } else {
            Err(v)
        }
    })
    .await;
    assert!(v["dropped"].as_u64().unwrap() >= 40, "{v}");
    let m = e.api.text("/metrics").await;
    assert!(metric(&m, "aforo_writes_shed_total", &[("what", "webhook")]) >= 40.0, "{m}");
    wait_holds(&live, &made, 15).await;
    assert_eq!(crate::webhooks::created_holds(&live), made);
    let verdicts = verify(&secret, &live.all());
    assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
    // A replay (a bulk write) waits for memory.
    let since = json!({"since": chrono::Utc::now().to_rfc3339()}).to_string().into_bytes();
    let a = e.api.send(Method::POST, &format!("/v1/webhooks/{id}/replay"), Some(&e.seller), None, Some(since)).await;
    assert_eq!((a.status.as_u16(), a.code()), (503, "STORE_UNAVAILABLE"), "{:?}", a.body);
    // Memory freed: backlogs may grow to AFORO_WEBHOOK_BACKLOG_MAX again.
    e.redis.cli(&["EVAL", "for _, k in ipairs(redis.call('KEYS', 'junk:*')) do redis.call('DEL', k) end", "0"]);
    eventually(Duration::from_secs(5), || async {
        let m = health(&e).await;
        if m["shedding"] == false {
            Ok(())
        } else {
            Err(m)
        }
    })
    .await;
    for n in 70..100 {
        made.push(hold(&e, n, &d).await);
    }
    eventually(Duration::from_secs(10), || async {
        if backlog().await >= 45 {
            Ok(())
        } else {
            Err(backlog().await)
        }
    })
    .await;
    wait_holds(&live, &made, 15).await;
}
