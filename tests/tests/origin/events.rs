//! Downstream events: every availability change of a resource reaches a consumer group of
//! its stream, in order (docs/events.md).

use aforo_tests::checker;
use fred::prelude::{ClientLike, Value as RedisValue};
use serde_json::{json, Value};

use crate::common::*;
use crate::ops::ops_env;

fn fields(v: &RedisValue) -> std::collections::HashMap<String, String> {
    match v {
        RedisValue::Array(kv) => {
            kv.chunks(2).map(|c| (c[0].as_string().unwrap_or_default(), c[1].as_string().unwrap_or_default())).collect()
        }
        _ => Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_changes_reach_a_consumer_group_in_order() {
    let e = ops_env(&[]);
    let d = day(3);
    create(&e, "room", &slots_doc(6)).await;
    let stream = "af:{r:room}:e";
    let c = checker::client(&e.redis).await;
    // A search indexer's group, reading everything from the start.
    let _: RedisValue = c.custom(fred::cmd!("XGROUP"), vec!["CREATE", stream, "search", "0"]).await.unwrap();
    let item = |qty: u32| json!({"items": [{"resource_id": "room", "date": d, "slot": "20:00", "qty": qty}]});
    let a = e.api.hold(&e.buyer, "ev-1", &item(2)).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    e.api.release(&e.buyer, &id).await;
    let b = e.api.hold(&e.buyer, "ev-2", &item(4)).await;
    e.api.consume(&e.buyer, b.body["id"].as_str().unwrap()).await;

    let read: RedisValue =
        c.custom(fred::cmd!("XREADGROUP"), vec!["GROUP", "search", "indexer-1", "COUNT", "100", "STREAMS", stream, ">"]).await.unwrap();
    // [[stream, [[id, [k, v, ...]], ...]]]
    let entries = match &read {
        RedisValue::Array(streams) => match &streams[0] {
            RedisValue::Array(s) => s[1].clone(),
            _ => panic!("{read:?}"),
        },
        _ => panic!("{read:?}"),
    };
    let RedisValue::Array(entries) = entries else { panic!() };
    let evs: Vec<(String, std::collections::HashMap<String, String>)> = entries
        .iter()
        .map(|e| match e {
            RedisValue::Array(p) => (p[0].as_string().unwrap(), fields(&p[1])),
            _ => panic!(),
        })
        .collect();
    let kinds: Vec<&str> = evs.iter().map(|(_, f)| f["type"].as_str()).collect();
    // A consume moves no unit: its entry carries no change, and says the booking is paid.
    assert_eq!(kinds, ["config", "held", "released", "held", "consumed"]);
    assert_eq!(evs[4].1["changes"], "[]");
    let changes: Value = serde_json::from_str(&evs[1].1["changes"]).unwrap();
    let slot = changes.as_array().unwrap().iter().find(|c| c["bucket"] == format!("s:{d}T20:00")).unwrap().clone();
    assert_eq!(slot, json!({"bucket": format!("s:{d}T20:00"), "delta": 2, "committed": 2, "remaining": 4}));
    assert_eq!(evs[1].1["hold"], id);
    let back: Value = serde_json::from_str(&evs[2].1["changes"]).unwrap();
    assert!(back.as_array().unwrap().iter().any(|c| c["delta"] == -2 && c["remaining"] == 6));
    let last: Value = serde_json::from_str(&evs[3].1["changes"]).unwrap();
    assert!(last.as_array().unwrap().iter().any(|c| c["bucket"] == format!("s:{d}T20:00") && c["remaining"] == 2));
    // Acknowledge; nothing left pending for the group.
    let ids: Vec<String> = evs.iter().map(|(i, _)| i.clone()).collect();
    let mut args = vec![stream.to_string(), "search".to_string()];
    args.extend(ids);
    let acked: i64 = c.custom(fred::cmd!("XACK"), args).await.unwrap();
    assert_eq!(acked, 5);
    let pending: RedisValue = c.custom(fred::cmd!("XPENDING"), vec![stream, "search"]).await.unwrap();
    let RedisValue::Array(p) = pending else { panic!() };
    assert_eq!(p[0].as_i64(), Some(0));
}
