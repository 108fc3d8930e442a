//! Tables assigned inside the atomic hold, against real Redis: a crowd of mixed parties on
//! one evening never books a table type past its count at any moment, and every party that
//! got a 201 sits at a table that seats it.

use std::collections::HashMap;

use aforo_tests::harness::token;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

pub fn sala() -> Value {
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["19:00", "23:00"]]))).collect();
    json!({"name": "Sala", "timezone": "UTC", "hours": week, "qty": {"min": 1, "max": 8},
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 30, "capacity": 40, "concurrent": 70,
            "tables": [{"type": "2-top", "count": 6, "seats": [1, 2]}, {"type": "4-top", "count": 5, "seats": [2, 4]},
                       {"type": "6-top", "count": 2, "seats": [5, 6]}],
            "joins": [{"of": ["4-top", "4-top"], "seats": [7, 8]}]}}})
}

fn seats() -> HashMap<&'static str, (u64, u64)> {
    HashMap::from([("2-top", (1, 2)), ("4-top", (2, 4)), ("6-top", (5, 6)), ("4-top+4-top", (7, 8))])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parties_never_overbook_a_table_type() {
    let _crowd = crowd().await;
    let e = env();
    create(&e, "sala", &sala()).await;
    let d = day(2);
    let slots = ["19:00", "19:30", "20:00", "20:30", "21:00", "21:30"];
    let mut tasks = Vec::new();
    for i in 0..200usize {
        let api = e.api.clone();
        let t = token(&format!("party-{i}"), "buyer");
        let (slot, party) = (slots[(i * 7) % slots.len()], 1 + (i * 5) % 8);
        let body = json!({"resource_id": "sala", "date": d, "slot": slot, "qty": party});
        tasks.push(tokio::spawn(async move { (party, api.hold(&t, &format!("p{i}"), &body).await) }));
    }
    let (mut seated, mut refused) = (0, 0);
    for t in tasks {
        let (party, a) = t.await.unwrap();
        match a.status.as_u16() {
            201 => {
                let table = a.body["items"][0]["table"].as_str().unwrap().to_string();
                let (min, max) = seats()[table.as_str()];
                assert!(min <= party as u64 && party as u64 <= max, "party of {party} at a {table}");
                seated += 1;
            }
            409 => refused += 1,
            s => panic!("{s}: {:?}", a.body),
        }
    }
    assert!(seated > 20 && refused > 20, "the evening should fill up: {seated} seated, {refused} refused");
    // Every table bucket, at every moment, is within its type's count.
    let counts = HashMap::from([("2-top", 6u64), ("4-top", 5), ("6-top", 2)]);
    let raw = e.redis.cli(&["HGETALL", "af:{r:sala}:c"]);
    let lines: Vec<&str> = raw.lines().collect();
    let mut table_buckets = 0;
    for kv in lines.chunks(2) {
        if let [k, v] = kv {
            if let Some(rest) = k.strip_prefix("t:") {
                let kind = rest.split('@').next().unwrap();
                assert!(v.parse::<u64>().unwrap() <= counts[kind], "{k} = {v}");
                table_buckets += 1;
            }
        }
    }
    assert!(table_buckets > 0);
    // The host stand sees the same floor.
    let floor = e.api.send(Method::GET, &format!("/v1/resources/sala/tables?date={d}"), Some(&e.seller), None, None).await;
    assert_eq!(floor.status, 200, "{:?}", floor.body);
    let at_2030 = floor.body["slots"].as_array().unwrap().iter().find(|s| s["slot"] == "20:30").unwrap();
    for t in at_2030["tables"].as_array().unwrap() {
        let kind = t["type"].as_str().unwrap();
        let in_use = t["in_use"].as_u64().unwrap();
        assert!(in_use <= counts[kind]);
        let mut by_holds = 0;
        for h in at_2030["holds"].as_array().unwrap() {
            let table = h["table"].as_str().unwrap();
            by_holds += table.split('+').filter(|x| *x == kind).count() as u64;
        }
        assert_eq!(in_use, by_holds, "{kind} at 20:30: counter vs the holds listed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_table_is_explained_and_release_frees_the_table() {
    let e = env();
    let mut doc = sala();
    doc["dimensions"]["slots"]["tables"] =
        json!([{"type": "6-top", "count": 1, "seats": [5, 6]}, {"type": "2-top", "count": 4, "seats": [1, 2]}]);
    doc["dimensions"]["slots"]["joins"] = json!([]);
    create(&e, "sala", &doc).await;
    let d = day(2);
    let first = e.api.hold(&e.buyer, "six", &json!({"resource_id": "sala", "date": d, "slot": "20:00", "qty": 6})).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["items"][0]["table"], "6-top");
    let a = e.api.availability("sala", &format!("date={d}&qty=6&slot=20:00")).await;
    assert_eq!(a.body["slots"][0]["status"], "sold_out");
    assert_eq!(a.body["slots"][0]["reason"], "no_table");
    // Four free 2-tops do not seat six: the next one is told so, with the nearest seating.
    let no = e.api.hold(&token("b2", "buyer"), "six-2", &json!({"resource_id": "sala", "date": d, "slot": "20:30", "qty": 6})).await;
    assert_eq!((no.status.as_u16(), no.code()), (409, "SOLD_OUT"));
    assert!(no.body["detail"].as_str().unwrap().starts_with("no table for 6"), "{:?}", no.body);
    assert_eq!(no.body["alternatives"][0]["slot"], "21:30");
    assert_eq!(e.api.get_hold(&e.buyer, first.body["id"].as_str().unwrap()).await.body["items"][0]["table"], "6-top");
    assert_eq!(e.api.release(&e.buyer, first.body["id"].as_str().unwrap()).await.status, 200);
    let again = e.api.hold(&token("b2", "buyer"), "six-3", &json!({"resource_id": "sala", "date": d, "slot": "20:30", "qty": 6})).await;
    assert_eq!(again.status, 201);
    // Two parties on one table resource in one hold are refused clearly.
    let two = json!({"items": [{"resource_id": "sala", "date": d, "slot": "19:00", "qty": 2}, {"resource_id": "sala", "date": d, "slot": "19:00", "qty": 2}]});
    let r = e.api.hold(&e.buyer, "two", &two).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "INVALID_REQUEST"));
}
