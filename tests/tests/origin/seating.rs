//! Numbered tables under a crowd, against real Redis: 240 parties of every size, some asking
//! for an area, on overlapping seatings of one evening. Checked from the hold records: no
//! table ever seats two parties at one moment (a combination counting on each of its
//! tables), every party fits the seats it got, an area asked is the area given; from the
//! host view: the same seatings per table, never two at once; and from the counters: no
//! table counter above 1.

use std::collections::HashMap;

use aforo_tests::harness::token;
use serde_json::{json, Value};

use crate::common::*;

/// Fifteen tables on a terrace and in a hall, two pairs that push together.
pub fn comedor() -> Value {
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["19:00", "23:00"]]))).collect();
    let mut tables = Vec::new();
    for (ids, seats, area) in [(1..=4, [1, 2], "terrace"), (5..=8, [2, 4], "terrace"), (9..=13, [2, 4], "hall"), (14..=15, [5, 6], "hall")]
    {
        tables.extend(ids.map(|i| json!({"id": format!("T{i}"), "seats": seats, "area": area})));
    }
    json!({"name": "Comedor", "timezone": "UTC", "hours": week, "qty": {"min": 1, "max": 8},
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 15, "capacity": 40, "concurrent": 70,
            "tables": tables,
            "combinations": [{"of": ["T7", "T8"], "seats": [6, 8]}, {"of": ["T12", "T13"], "seats": [6, 8]}]}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_parties_never_shares_a_table_at_one_moment() {
    let _crowd = crowd().await;
    let e = env();
    let doc = comedor();
    create(&e, "comedor", &doc).await;
    let seats: HashMap<String, (u64, u64, String)> = doc["dimensions"]["slots"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                (t["seats"][0].as_u64().unwrap(), t["seats"][1].as_u64().unwrap(), t["area"].as_str().unwrap().to_string()),
            )
        })
        .collect();
    let d = day(3);
    let slots: Vec<String> = (0..10).map(|k| format!("{:02}:{:02}", 19 + k * 15 / 60, (k * 15) % 60)).collect();
    let mut tasks = Vec::new();
    for i in 0..240usize {
        let api = e.api.clone();
        let t = token(&format!("guest-{i}"), "buyer");
        let party = 1 + (i * 7) % 8;
        let area = [None, Some("terrace"), Some("hall")][(i / 3) % 3];
        let mut body = json!({"resource_id": "comedor", "date": d, "slot": slots[(i * 11) % slots.len()], "qty": party});
        if let Some(a) = area {
            body["area"] = json!(a);
        }
        tasks.push(tokio::spawn(async move {
            // A client retries a 503 with the same key, as the answer tells it to.
            let mut a = api.hold(&t, &format!("g{i}"), &body).await;
            for _ in 0..5 {
                if a.status.as_u16() != 503 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                a = api.hold(&t, &format!("g{i}"), &body).await;
            }
            (t, body, a)
        }));
    }
    let (mut seatings, mut refused) = (Vec::new(), 0);
    for t in tasks {
        let (guest, body, a) = t.await.unwrap();
        match (a.status.as_u16(), a.code()) {
            (200 | 201, _) => seatings.push((guest, body, a.body["id"].as_str().unwrap().to_string())),
            (409, "SOLD_OUT") | (422, "QTY_OUT_OF_RANGE") => refused += 1,
            (s, c) => panic!("{s} {c}: {:?}", a.body),
        }
    }
    assert!(seatings.len() > 15 && refused > 30, "the evening fills up: {} seated, {refused} refused", seatings.len());
    // Each seating as its record shows it: tables, start, party.
    let mut on_table: HashMap<String, Vec<(i64, i64, String)>> = HashMap::new();
    for (guest, body, id) in &seatings {
        let rec = e.api.get_hold(guest, id).await;
        assert_eq!(rec.status, 200, "{:?}", rec.body);
        let it = &rec.body["items"][0];
        let tables: Vec<String> = it["tables"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
        assert!(!tables.is_empty(), "{:?}", rec.body);
        let party = it["qty"].as_u64().unwrap();
        let (min, max): (u64, u64) = if tables.len() == 1 {
            let s = &seats[&tables[0]];
            (s.0, s.1)
        } else {
            (6, 8)
        };
        assert!(min <= party && party <= max, "a party of {party} at {tables:?}");
        if let Some(want) = body["area"].as_str() {
            assert!(tables.iter().all(|t| seats[t].2 == want), "{want} asked, got {tables:?}");
        }
        let start = chrono::DateTime::parse_from_rfc3339(it["start"].as_str().unwrap()).unwrap().timestamp();
        for t in tables {
            on_table.entry(t).or_default().push((start, start + 90 * 60, id.clone()));
        }
    }
    for (t, list) in &mut on_table {
        list.sort();
        for w in list.windows(2) {
            assert!(w[0].1 <= w[1].0, "{t} seats {} and {} at once", w[0].2, w[1].2);
        }
    }
    // The host stand shows the same floor: each table's seatings, one at a time, the same
    // parties the records name.
    let floor = e.api.send(reqwest::Method::GET, &format!("/v1/resources/comedor/tables?date={d}"), Some(&e.seller), None, None).await;
    assert_eq!(floor.status, 200, "{:?}", floor.body);
    for t in floor.body["tables"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let mut shown: Vec<(i64, i64, String)> = t["seatings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let at = |k: &str| chrono::DateTime::parse_from_rfc3339(s[k].as_str().unwrap()).unwrap().timestamp();
                (at("from"), at("to"), s["hold_id"].as_str().unwrap().to_string())
            })
            .collect();
        shown.sort();
        for w in shown.windows(2) {
            assert!(w[0].1 <= w[1].0, "the host view seats {} and {} at {id} at once", w[0].2, w[1].2);
        }
        let mut from_records = on_table.get(id).cloned().unwrap_or_default();
        from_records.sort();
        assert_eq!(shown, from_records, "{id}: host view vs hold records");
    }
    let raw = e.redis.cli(&["HGETALL", "af:{r:comedor}:c"]);
    let lines: Vec<&str> = raw.lines().collect();
    let tables_counted =
        lines.chunks(2).filter(|kv| kv[0].starts_with("t:")).inspect(|kv| assert!(kv[1] == "0" || kv[1] == "1", "{kv:?}")).count();
    assert!(tables_counted > 0);
}
