//! Outbound webhooks against a real receiver on a real socket (docs/webhooks.md): signatures
//! verified by the official `standardwebhooks` library (npm), retries with the same id,
//! order per resource, two origins sharing the work with one SIGKILLed, refused private
//! URLs, the backlog cap, replay, ownership, disabling after the give-up time.

use std::time::Duration;

use aforo_tests::client::Answer;
use aforo_tests::harness::{token, Origin, Redis};
use aforo_tests::receiver::{verify, Receiver};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

pub(crate) fn wh_env(extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![("AFORO_WEBHOOK_ALLOW_PRIVATE", "1"), ("AFORO_WEBHOOK_POLL_MS", "50"), ("AFORO_WEBHOOK_LEASE_MS", "1500")];
    vars.extend_from_slice(extra);
    Env::with(Redis::start(&[]), &vars)
}

pub(crate) async fn register(e: &Env, tok: &str, url: &str, events: &[&str], resources: Option<&[&str]>) -> Answer {
    let mut body = json!({"url": url, "events": events});
    if let Some(r) = resources {
        body["resource_ids"] = json!(r);
    }
    e.api.send(Method::POST, "/v1/webhooks", Some(tok), None, Some(body.to_string().into_bytes())).await
}

pub(crate) async fn hold(e: &Env, n: usize, d: &str) -> String {
    let buyer = token(&format!("buyer-{n}"), "buyer");
    let a =
        e.api.hold(&buyer, &format!("wh-{n}"), &json!({"items": [{"resource_id": "room", "date": d, "slot": "20:00", "qty": 1}]})).await;
    assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
    a.body["id"].as_str().unwrap().to_string()
}

pub(crate) fn created_holds(r: &Receiver) -> Vec<String> {
    r.delivered()
        .iter()
        .map(|g| g.json())
        .filter(|b| b["type"] == "hold.created")
        .map(|b| b["data"]["hold_id"].as_str().unwrap_or("").to_string())
        .collect()
}

pub(crate) async fn wait_holds(r: &Receiver, want: &[String], secs: u64) {
    eventually(Duration::from_secs(secs), || async {
        let got = created_holds(r);
        if want.iter().all(|h| got.contains(h)) {
            Ok(())
        } else {
            Err(format!("delivered {} of {}", got.iter().filter(|h| want.contains(h)).count(), want.len()))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_is_delivered_signed_as_standard_webhooks_verifies() {
    let e = wh_env(&[]);
    create(&e, "room", &slots_doc(6)).await;
    let r = Receiver::start();
    let a = register(&e, &e.seller, &r.url, &["hold.created", "availability.changed"], Some(&["room"])).await;
    assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
    let secret = a.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let id = a.body["id"].as_str().unwrap().to_string();
    let d = day(2);
    let h = hold(&e, 1, &d).await;
    wait_holds(&r, std::slice::from_ref(&h), 10).await;
    eventually(Duration::from_secs(5), || async {
        let av: Vec<Value> = r.delivered().iter().map(|g| g.json()).filter(|b| b["type"] == "availability.changed").collect();
        av.first().cloned().ok_or("no availability.changed")
    })
    .await;
    let all = r.all();
    let verdicts = verify(&secret, &all);
    assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
    let body = all.iter().map(|g| g.json()).find(|b| b["type"] == "hold.created").unwrap();
    assert_eq!(body["data"]["resource_id"], "room");
    assert!(body["data"].get("guest").is_none());
    // A booking's guest goes to its seller's own endpoint, and to no ops endpoint.
    let ops_r = Receiver::start();
    assert_eq!(register(&e, &e.ops, &ops_r.url, &["hold.created"], Some(&["room"])).await.status.as_u16(), 201);
    let guest = json!({"name": "Ana Ruiz", "notes": "window"});
    let g = e
        .api
        .hold(&token("buyer-g", "buyer"), "wh-g", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 1, "guest": guest}))
        .await;
    assert_eq!(g.status.as_u16(), 201, "{:?}", g.body);
    let gid = g.body["id"].as_str().unwrap().to_string();
    wait_holds(&r, std::slice::from_ref(&gid), 10).await;
    wait_holds(&ops_r, std::slice::from_ref(&gid), 10).await;
    let mine = r.all().iter().map(|x| x.json()).find(|b| b["data"]["hold_id"] == gid.as_str()).unwrap();
    assert_eq!(mine["data"]["guest"], guest);
    let theirs = ops_r.all().iter().map(|x| x.json()).find(|b| b["data"]["hold_id"] == gid.as_str()).unwrap();
    assert!(theirs["data"].get("guest").is_none(), "{theirs}");
    let all = r.all();
    let av = all.iter().map(|g| g.json()).find(|b| b["type"] == "availability.changed").unwrap();
    assert_eq!(av["data"], json!({"resource_id": "room", "dates": [d]}));
    // A wrong secret is refused by the library: the check is real.
    assert!(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &all[..1])[0].is_err());
    assert_eq!(all[0].headers["content-type"], "application/json");
    // The endpoint's view and its log; the secret is never shown again.
    let v = e.api.get(&e.seller, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(v.status.as_u16(), 200);
    assert!(v.body.get("secret").is_none());
    assert_eq!(v.body["status"], "enabled");
    let log = e.api.get(&e.seller, &format!("/v1/webhooks/{id}/deliveries?limit=5")).await;
    assert_eq!(log.body["deliveries"][0]["status"], 204, "{:?}", log.body);
    let m = e.api.text("/metrics").await;
    assert!(metric(&m, "aforo_webhook_lag_seconds_count", &[]) >= 2.0);
    assert!(metric(&m, "aforo_webhook_deliveries_total", &[("outcome", "delivered")]) >= 2.0);
    // The outbound SLO in the health report, judged on this origin's own figures.
    let h = e.api.get(&e.ops, "/v1/monitoring/health").await;
    assert_eq!(h.body["outbound"]["target"], 750.0);
    assert!(h.body["outbound"]["actual"].as_f64().is_some(), "{}", h.body["outbound"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_retries_with_the_same_id_and_order_holds() {
    let e = wh_env(&[("AFORO_TEST_WEBHOOK_BACKOFF_DIV", "25")]);
    create(&e, "room", &slots_doc(50)).await;
    // Fails its first three requests (500, 503, a timeout-free 404), then takes everything.
    let r = Receiver::with(Box::new(|n, _| (if n < 3 { [500, 503, 404][n] } else { 200 }, Duration::ZERO)));
    let a = register(&e, &e.seller, &r.url, &["hold.created"], None).await;
    assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    let d = day(2);
    let mut holds = Vec::new();
    for n in 0..6 {
        holds.push(hold(&e, n, &d).await);
    }
    wait_holds(&r, &holds, 20).await;
    let all = r.all();
    assert!(all[..4].iter().all(|g| g.id() == all[0].id()), "the first event is retried with its id until it passes");
    assert_eq!(created_holds(&r), holds, "one resource's events arrive in order, retries included");
    let log = e.api.get(&e.seller, &format!("/v1/webhooks/{id}/deliveries?limit=100")).await;
    let first: Vec<&Value> = log.body["deliveries"].as_array().unwrap().iter().filter(|l| l["event_id"] == all[0].id()).collect();
    let attempts: Vec<i64> = first.iter().rev().map(|l| l["attempt"].as_i64().unwrap()).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    assert!(first.last().unwrap()["next_retry"].is_string(), "a failure says when it is retried");
    let m = e.api.text("/metrics").await;
    assert!(metric(&m, "aforo_webhook_deliveries_total", &[("outcome", "rejected")]) >= 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_origins_share_delivery_and_a_killed_one_loses_nothing() {
    let redis = Redis::start(&[]);
    let vars = [("AFORO_WEBHOOK_ALLOW_PRIVATE", "1"), ("AFORO_WEBHOOK_POLL_MS", "50"), ("AFORO_WEBHOOK_LEASE_MS", "1000")];
    let e = Env::with(redis, &vars);
    create(&e, "room", &slots_doc(50)).await;
    // A slow receiver, so that a backlog builds and the first origin dies mid-delivery.
    let r = Receiver::with(Box::new(|_, _| (200, Duration::from_millis(150))));
    let a = register(&e, &e.seller, &r.url, &["hold.created"], None).await;
    assert_eq!(a.status.as_u16(), 201);
    let d = day(2);
    let mut holds = Vec::new();
    for n in 0..20 {
        holds.push(hold(&e, n, &d).await);
    }
    eventually(Duration::from_secs(10), || async {
        if r.all().len() >= 3 {
            Ok(())
        } else {
            Err(r.all().len())
        }
    })
    .await;
    // The second origin comes up; the first, holding every lease, is killed mid-delivery.
    let second = Origin::start_with(&e.redis.url(), &vars);
    let mut e = e;
    e.origin.kill();
    let delivered_before = created_holds(&r).len();
    assert!(delivered_before < 20, "the kill came while events waited");
    let api = aforo_tests::client::Api::new(&second.url());
    let id = a.body["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(30), || async {
        let got = created_holds(&r);
        let missing: Vec<&String> = holds.iter().filter(|h| !got.contains(h)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?}; endpoint {}", api.get(&e.seller, &format!("/v1/webhooks/{id}")).await.body))
        }
    })
    .await;
    assert_eq!(created_holds(&r), holds, "in order, none lost");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_and_malformed_urls_are_refused_without_the_allow_flag() {
    let e = env();
    create(&e, "room", &slots_doc(6)).await;
    for url in
        ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]/", "http://localhost:8080/"]
    {
        let a = register(&e, &e.seller, url, &["hold.created"], None).await;
        assert_eq!((a.status.as_u16(), a.code()), (422, "WEBHOOK_URL_REFUSED"), "{url}: {:?}", a.body);
        assert_eq!(a.content_type, "application/problem+json");
    }
    for body in [
        json!({"url": "ftp://hooks.example.com/", "events": ["hold.created"]}),
        json!({"url": "http://hooks.example.com/", "events": ["hold.bogus"]}),
        json!({"url": "http://hooks.example.com/", "events": []}),
        json!({"url": "http://hooks.example.com/", "events": ["hold.created"], "resource_ids": ["no such/id"]}),
        json!({"url": format!("http://hooks.example.com/{}", "a".repeat(3000)), "events": ["hold.created"]}),
        json!({"url": "http://hooks.example.com/", "events": ["hold.created"], "secret": "mine"}),
    ] {
        let a = e.api.send(Method::POST, "/v1/webhooks", Some(&e.seller), None, Some(body.to_string().into_bytes())).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{body}: {:?}", a.body);
    }
    let a = e.api.get(&e.seller, "/v1/webhooks").await;
    assert_eq!(a.body["webhooks"], json!([]), "nothing was stored");
    let a = e.api.get(&e.seller, "/v1/webhooks/we_nope").await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "WEBHOOK_NOT_FOUND"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoints_backlog_is_capped_and_it_is_disabled_after_its_give_up_time() {
    let e = wh_env(&[("AFORO_WEBHOOK_BACKLOG_MAX", "3"), ("AFORO_WEBHOOK_GIVE_UP_S", "40"), ("AFORO_TEST_WEBHOOK_BACKOFF_DIV", "10")]);
    create(&e, "room", &slots_doc(50)).await;
    let r = Receiver::with(Box::new(|_, _| (500, Duration::ZERO)));
    let a = register(&e, &e.seller, &r.url, &["hold.created"], None).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let d = day(2);
    for n in 0..8 {
        hold(&e, n, &d).await;
    }
    let v = eventually(Duration::from_secs(10), || async {
        let v = e.api.get(&e.seller, &format!("/v1/webhooks/{id}")).await.body;
        if v["dropped"].as_i64().unwrap_or(0) >= 5 && v["breaker"] == "open" {
            Ok(v)
        } else {
            Err(v)
        }
    })
    .await;
    assert!(v["backlog"].as_u64().unwrap() <= 3, "{v}");
    assert!(v["failing_since"].is_string() && v["next_retry_at"].is_string(), "{v}");
    let m = e.api.text("/metrics").await;
    assert!(metric(&m, "aforo_webhook_dropped_total", &[]) >= 5.0);
    // 40 s / 10: disabled after failing for 4 s, audited, counted.
    let v = eventually(Duration::from_secs(15), || async {
        let v = e.api.get(&e.seller, &format!("/v1/webhooks/{id}")).await.body;
        if v["status"] == "disabled" {
            Ok(v)
        } else {
            Err(v)
        }
    })
    .await;
    assert!(v["disabled_at"].is_string());
    audited(&e, "type=webhook.disabled", |ev| ev["detail"]["endpoint"] == id.as_str()).await;
    let m = e.api.text("/metrics").await;
    assert!(metric(&m, "aforo_webhook_endpoints_disabled_total", &[]) >= 1.0);
    let tries = r.all().len();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(r.all().len(), tries, "a disabled endpoint is not called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_sends_the_events_since_an_instant_again_with_their_ids() {
    let e = wh_env(&[]);
    create(&e, "room", &slots_doc(50)).await;
    let r = Receiver::start();
    let a = register(&e, &e.seller, &r.url, &["hold.created"], None).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let d = day(2);
    let first = hold(&e, 1, &d).await;
    wait_holds(&r, std::slice::from_ref(&first), 10).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = hold(&e, 2, &d).await;
    wait_holds(&r, std::slice::from_ref(&second), 10).await;
    let before = r.all().len();
    let path = format!("/v1/webhooks/{id}/replay");
    let a = e.api.send(Method::POST, &path, Some(&e.seller), None, Some(json!({"since": since}).to_string().into_bytes())).await;
    assert_eq!(a.status.as_u16(), 202, "{:?}", a.body);
    assert_eq!(a.body["queued"], 1);
    eventually(Duration::from_secs(10), || async {
        if r.all().len() > before {
            Ok(())
        } else {
            Err("no replay")
        }
    })
    .await;
    let again = &r.all()[before..];
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].json()["data"]["hold_id"], second.as_str());
    let original = r.all().into_iter().find(|g| g.json()["data"]["hold_id"] == second.as_str()).unwrap();
    assert_eq!(again[0].id(), original.id(), "a replayed event keeps its id");
    for bad in [json!({"since": "yesterday"}), json!({"since": "2999-01-01T00:00:00Z"}), json!({})] {
        let a = e.api.send(Method::POST, &path, Some(&e.seller), None, Some(bad.to_string().into_bytes())).await;
        assert_eq!(a.status.as_u16(), 400, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_sees_and_subscribes_to_its_own_only() {
    let e = wh_env(&[]);
    create(&e, "room", &slots_doc(6)).await;
    let r = Receiver::start();
    let a = register(&e, &e.seller, &r.url, &["hold.created"], Some(&["room"])).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let other = token("seller-2", "seller");
    for (m, p) in [
        (Method::GET, format!("/v1/webhooks/{id}")),
        (Method::GET, format!("/v1/webhooks/{id}/deliveries")),
        (Method::DELETE, format!("/v1/webhooks/{id}")),
    ] {
        let a = e.api.send(m.clone(), &p, Some(&other), None, None).await;
        assert_eq!(a.status.as_u16(), 403, "{m} {p}");
    }
    let a = e
        .api
        .send(Method::POST, &format!("/v1/webhooks/{id}/replay"), Some(&other), None, Some(br#"{"since":"2026-01-01T00:00:00Z"}"#.to_vec()))
        .await;
    assert_eq!(a.status.as_u16(), 403);
    assert_eq!(e.api.get(&other, "/v1/webhooks").await.body["webhooks"], json!([]));
    let a = register(&e, &other, &r.url, &["hold.created"], Some(&["room"])).await;
    assert_eq!(a.status.as_u16(), 403, "another seller's resource: {:?}", a.body);
    let a = register(&e, &e.buyer, &r.url, &["hold.created"], None).await;
    assert_eq!(a.status.as_u16(), 403, "buyers have no webhooks");
    // Ops see every endpoint; the owner deletes its own.
    let all = e.api.get(&e.ops, "/v1/webhooks").await;
    assert_eq!(all.body["webhooks"].as_array().unwrap().len(), 1);
    let a = e.api.send(Method::DELETE, &format!("/v1/webhooks/{id}"), Some(&e.seller), None, None).await;
    assert_eq!(a.status.as_u16(), 204);
    assert_eq!(e.api.get(&e.seller, &format!("/v1/webhooks/{id}")).await.status.as_u16(), 404);
    audited(&e, "type=webhook.deleted", |ev| ev["detail"]["endpoint"] == id.as_str()).await;
}
