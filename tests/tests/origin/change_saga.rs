//! A booking changed across resources: its home changed in place, a new resource taken, one
//! it leaves let go — and the origin SIGKILLed in the middle of a crowd of such changes,
//! each retried with its key until answered: every booking ends holding exactly the new
//! set (the new part what the booking is, the old part cancelled), and every counter
//! matches its records (checker).

use aforo_tests::checker::{check, redis_now_ms, Ack};
use aforo_tests::harness::token;
use serde_json::{json, Value};

use crate::common::*;

fn cart(d: &str, slot: &str, other: &str) -> Value {
    json!({"items": [{"resource_id": "room", "date": d, "slot": slot, "qty": 2}, {"resource_id": other, "qty": 1}]})
}

async fn status_on(e: &Env, resource: &str, id: &str) -> String {
    e.redis.cli(&["HGET", &format!("af:{{r:{resource}}}:h:{id}"), "status"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_moves_a_cart_to_another_resource_and_lets_the_old_one_go() {
    let e = env();
    create(&e, "room", &slots_doc(40)).await;
    create(&e, "wine", &stock_doc(5)).await;
    create(&e, "spa", &stock_doc(5)).await;
    let d = day(3);
    let h = e.api.hold(&e.buyer, "c", &cart(&d, "20:00", "wine")).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    let id = h.body["id"].as_str().unwrap().to_string();
    assert_eq!(e.api.consume(&e.buyer, &id).await.status, 200);
    let body = cart(&d, "21:00", "spa");
    let path = format!("/v1/holds/{id}/change");
    let send = || e.api.send(reqwest::Method::POST, &path, Some(&e.buyer), Some("k"), Some(body.to_string().into_bytes()));
    let a = send().await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let items: Vec<(&str, Option<&str>)> =
        a.body["items"].as_array().unwrap().iter().map(|i| (i["resource_id"].as_str().unwrap(), i["slot"].as_str())).collect();
    assert_eq!(items, [("room", Some("21:00")), ("spa", None)]);
    assert_eq!(a.body["status"], "consumed");
    assert_eq!((status_on(&e, "spa", &id).await, status_on(&e, "wine", &id).await), ("consumed".into(), "cancelled".into()));
    assert_eq!((counter(&e.redis, "wine", "stock"), counter(&e.redis, "spa", "stock")), (0, 1));
    assert_eq!((counter(&e.redis, "room", &format!("s:{d}T20:00")), counter(&e.redis, "room", &format!("s:{d}T21:00"))), (0, 2));
    // Retried: the same answer, nothing taken twice.
    assert_eq!(send().await.status, 200);
    assert_eq!(counter(&e.redis, "spa", "stock"), 1);
    // The first item stays on the booking's first resource.
    let off = e
        .api
        .send(
            reqwest::Method::POST,
            &format!("/v1/holds/{id}/change"),
            Some(&e.buyer),
            Some("k2"),
            Some(json!({"items": [{"resource_id": "spa", "qty": 1}]}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(off.status, 400, "{:?}", off.body);
    // A new resource that is sold out: refused, the booking as it was, the pending part gone.
    create(&e, "full", &stock_doc(0)).await;
    let none = e
        .api
        .send(
            reqwest::Method::POST,
            &format!("/v1/holds/{id}/change"),
            Some(&e.buyer),
            Some("k3"),
            Some(cart(&d, "22:00", "full").to_string().into_bytes()),
        )
        .await;
    assert_eq!((none.status.as_u16(), none.code()), (409, "SOLD_OUT"), "{:?}", none.body);
    assert_eq!(counter(&e.redis, "room", &format!("s:{d}T22:00")), 0);
    assert_eq!(e.api.get_hold(&e.buyer, &id).await.body["items"][1]["resource_id"], "spa");
    for r in ["room", "wine", "spa", "full"] {
        let bad = check(&e.redis, r, &[Ack::Consumed(id.clone())], redis_now_ms(&e.redis)).await;
        assert!(bad.is_empty(), "{r}: {bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_killed_in_the_middle_of_changes_converges_on_retry() {
    let mut e = env();
    create(&e, "room", &slots_doc(200)).await;
    create(&e, "wine", &stock_doc(100)).await;
    create(&e, "spa", &stock_doc(100)).await;
    let d = day(3);
    let mut ids = Vec::new();
    for i in 0..30 {
        let who = token(&format!("b{i}"), "buyer");
        let h = e.api.hold(&who, "k", &cart(&d, "20:00", "wine")).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        let id = h.body["id"].as_str().unwrap().to_string();
        if i % 2 == 0 {
            assert_eq!(e.api.consume(&who, &id).await.status, 200);
        }
        ids.push((who, id));
    }
    let body = cart(&d, "21:00", "spa").to_string();
    let fire = |ids: Vec<(String, String)>, api: aforo_tests::client::Api| {
        let body = body.clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for (who, id) in ids {
                let r = api
                    .try_send(
                        reqwest::Method::POST,
                        &format!("/v1/holds/{id}/change"),
                        Some(&who),
                        Some("move"),
                        Some(body.clone().into_bytes()),
                    )
                    .await;
                out.push(r.map(|a| a.status.as_u16()).unwrap_or(0));
            }
            out
        })
    };
    let crowd: Vec<_> = ids.chunks(5).map(|c| fire(c.to_vec(), e.api.clone())).collect();
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    e.origin.kill();
    for t in crowd {
        let _ = t.await;
    }
    e.origin.restart();
    // Every change retried with its key until answered.
    for (who, id) in &ids {
        let path = format!("/v1/holds/{id}/change");
        let a = eventually(std::time::Duration::from_secs(30), || async {
            let a = e.api.send(reqwest::Method::POST, &path, Some(who), Some("move"), Some(body.clone().into_bytes())).await;
            if a.status == 200 {
                Ok(a)
            } else {
                Err(format!("{} {:?}", a.status, a.body))
            }
        })
        .await;
        assert_eq!(a.body["items"][1]["resource_id"], "spa", "{:?}", a.body);
    }
    // Each booking holds the new set once: its spa part is what the booking is, its wine part
    // cancelled; 30 units of spa, none of wine, 60 covers at 21:00, none at 20:00.
    for (i, (_, id)) in ids.iter().enumerate() {
        let want = if i % 2 == 0 { "consumed" } else { "held" };
        assert_eq!((status_on(&e, "spa", id).await, status_on(&e, "wine", id).await), (want.to_string(), "cancelled".to_string()), "{id}");
    }
    assert_eq!((counter(&e.redis, "spa", "stock"), counter(&e.redis, "wine", "stock")), (30, 0));
    assert_eq!((counter(&e.redis, "room", &format!("s:{d}T21:00")), counter(&e.redis, "room", &format!("s:{d}T20:00"))), (60, 0));
    let acks: Vec<Ack> = ids.iter().map(|(_, id)| Ack::Held(id.clone())).collect();
    for r in ["room", "wine", "spa"] {
        let bad = check(&e.redis, r, &acks, redis_now_ms(&e.redis)).await;
        assert!(bad.is_empty(), "{r}: {bad:?}");
    }
}
