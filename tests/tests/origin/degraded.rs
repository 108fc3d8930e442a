//! Degraded answers (API.md, "Adoption, degraded answers, honest alarms"): validate-stock
//! answers within 3 s, from the last known figures marked `degraded`, when Redis is frozen or
//! killed, while a hold stays authoritative and refuses with 503.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

async fn validate(e: &Env, items: Value) -> (u16, Value, Duration) {
    let t = Instant::now();
    let body = json!({ "items": items }).to_string().into_bytes();
    let a = e.api.send(Method::POST, "/v1/stock/validate", Some(&e.buyer), None, Some(body)).await;
    (a.status.as_u16(), a.body, t.elapsed())
}

fn basket() -> Value {
    json!([{"resource_id": "sku", "quantity": 3}, {"resource_id": "sku2", "quantity": 3}, {"resource_id": "sku3", "quantity": 1}])
}

fn degraded_count(text: &str) -> f64 {
    metric(text, "aforo_degraded_answers_total", &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_degrades_within_budget_while_holds_refuse() {
    let mut e = env();
    create(&e, "sku", &stock_doc(5)).await;
    create(&e, "sku2", &stock_doc(2)).await;
    create(&e, "sku3", &stock_doc(9)).await;
    assert_eq!(e.api.hold(&e.buyer, "k1", &json!({"resource_id": "sku", "qty": 2})).await.status, 201);

    // Healthy: every item read now, not degraded.
    let (s, ok, _) = validate(&e, json!([{"resource_id": "sku", "quantity": 3}, {"resource_id": "sku2", "quantity": 3}])).await;
    assert_eq!(s, 200, "{ok}");
    assert_eq!(ok["degraded"], false);
    assert!(ok.get("warning").is_none());
    assert_eq!((ok["items"][0]["available"].clone(), ok["items"][0]["current_stock"].clone()), (json!(true), json!(3)));
    assert_eq!((ok["items"][1]["available"].clone(), ok["items"][1]["current_stock"].clone()), (json!(false), json!(2)));
    let as_of = ok["items"][0]["as_of"].as_str().unwrap().to_string();

    // Frozen Redis: the budget runs out; last known figures, marked.
    e.redis.pause();
    let (s, d, took) = validate(&e, basket()).await;
    e.redis.resume();
    assert_eq!(s, 200, "{d}");
    assert!(took < Duration::from_secs(3), "degraded answer took {took:?}");
    assert_eq!(d["degraded"], true, "{d}");
    assert!(d["warning"].as_str().unwrap().contains("last"));
    assert_eq!(d["items"][0]["current_stock"], 3);
    assert_eq!(d["items"][0]["as_of"], as_of.as_str());
    assert_eq!(d["items"][1]["available"], false);
    // Never read by this origin: nothing known.
    assert_eq!((d["items"][2]["available"].clone(), d["items"][2]["as_of"].clone()), (Value::Null, Value::Null));

    // Killed Redis: validate degrades within 3 s, every time; a hold refuses with 503.
    e.redis.kill();
    for n in 0..3 {
        let (s, d, took) = validate(&e, basket()).await;
        assert_eq!(s, 200, "{d}");
        assert!(took < Duration::from_secs(3), "degraded answer {n} took {took:?}");
        assert_eq!(d["degraded"], true);
        assert_eq!(d["items"][0]["current_stock"], 3);
        let h = e.api.hold(&e.buyer, &format!("down-{n}"), &json!({"resource_id": "sku", "qty": 1})).await;
        assert_eq!((h.status.as_u16(), h.code()), (503, "STORE_UNAVAILABLE"));
    }
    let metrics = e.api.text("/metrics").await;
    assert!(degraded_count(&metrics) >= 4.0, "{metrics}");

    // Back: not degraded again (this Redis kept nothing: the resource is made anew).
    e.redis.restart();
    eventually_every(Duration::from_secs(15), Duration::from_millis(200), || async {
        let s = e.api.put_resource(&e.seller, "sku", &stock_doc(4)).await.status.as_u16();
        if s == 201 {
            Ok(())
        } else {
            Err(format!("the origin did not come back to Redis: {s}"))
        }
    })
    .await;
    let (s, ok, _) = validate(&e, json!([{"resource_id": "sku", "quantity": 4}])).await;
    assert_eq!(s, 200, "{ok}");
    assert_eq!(ok["degraded"], false);
    assert_eq!(ok["items"][0]["current_stock"], 4);
}
