//! Real-shaped documents end to end: the documents at the limits (`tests/documents/`) and
//! generated ones go through the real origin, Redis and the Worker in workerd. Each answers
//! availability of any date and the longest calendar with 200 from both, with the same JSON;
//! holds on them are taken; and no Redis call of all that work is slow (`SLOWLOG`).

#![allow(clippy::unwrap_used)]

use aforo_tests::client::Api;
use aforo_tests::docs;
use aforo_tests::edge::Edge;
use aforo_tests::harness::{left_out_of_fast_tier, token, Origin, Redis};
use serde_json::{json, Value};

/// A Redis call longer than this is logged by Redis and fails the test: "a few ms".
const SLOW_US: u32 = 10_000;

fn without_freshness(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("as_of");
        o.remove("stale");
    }
    v
}

/// Holds of 2 on up to three available slots (or the day) of a date, through the origin, each
/// by a buyer of its own (`buyer` and the date): one buyer holding across a year of dates would
/// meet its per-buyer share (docs/abuse.md), which this test is not about.
async fn hold_some(api: &Api, buyer: &str, id: &str, date: &str) -> usize {
    let buyer = &token(&format!("{buyer}-{date}"), "buyer");
    let a = api.availability(id, &format!("date={date}&qty=2")).await;
    assert_eq!(a.status, 200, "{id} {date}: {:?}", a.body);
    let slots: Vec<Value> = match a.body["slots"].as_array() {
        Some(s) => s.iter().filter(|s| s["status"] == "available").step_by(7).take(3).map(|s| s["slot"].clone()).collect(),
        None if a.body["status"] == "available" => vec![Value::Null],
        None => Vec::new(),
    };
    let mut taken = 0;
    for slot in slots {
        let mut body = json!({"resource_id": id, "date": date, "qty": 2});
        if !slot.is_null() {
            body["slot"] = slot;
        }
        let h = api.hold(buyer, &format!("{id}-{date}-{}", body["slot"]), &body).await;
        assert!(h.status == 201 || h.code() == "SOLD_OUT", "{id}: {body} -> {} {:?}", h.status, h.body);
        taken += usize::from(h.status == 201);
    }
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_at_the_limits_answer_alike_at_origin_and_edge_and_no_redis_call_is_slow() {
    if left_out_of_fast_tier("documents_at_the_limits_answer_alike_at_origin_and_edge_and_no_redis_call_is_slow", "workerd (wrangler dev)")
    {
        return;
    }
    let redis = Redis::start(&["--slowlog-log-slower-than", &SLOW_US.to_string(), "--slowlog-max-len", "256"]);
    let origin = Origin::start(&redis.url());
    let api = Api::new(&origin.url());
    let edge = Edge::start(&origin.url(), &[("SNAPSHOT_TTL_S", "60"), ("ORIGIN_TIMEOUT_MS", "5000")]);
    let ed = Api::new(&edge.url());
    let seller = token("seller-1", "seller");

    let mut all: Vec<(String, Value)> = docs::at_limits().into_iter().map(|(n, d)| (n.to_string(), d)).collect();
    let generated = docs::sample(24, 7);
    let valid = generated.into_iter().filter(|d| aforo_core::Resource::from_json(d.to_string().as_bytes()).is_ok()).take(6);
    all.extend(valid.enumerate().map(|(i, d)| (format!("generated-{i}"), d)));
    assert!(all.len() >= 9, "too few valid generated documents");

    let today = chrono::Utc::now().date_naive();
    let dates: Vec<String> = [1, 45, 200, 330].iter().map(|k| (today + chrono::Duration::days(*k)).to_string()).collect();
    let year = format!("from={today}&to={}&qty=2", today + chrono::Duration::days(365));
    let mut holds = 0;
    for (id, doc) in &all {
        let put = api.put_resource(&seller, id, doc).await;
        assert_eq!(put.status, 201, "{id}: {:?}", put.body);
        for d in &dates[..2] {
            holds += hold_some(&api, "buyer", id, d).await;
        }
        let o = api.calendar(id, &year).await;
        assert_eq!(o.status, 200, "origin calendar of {id}: {:?}", o.body);
        let e = ed.calendar(id, &year).await;
        assert_eq!(e.status, 200, "edge calendar of {id}: {:?}", e.body);
        assert_eq!(without_freshness(o.body), without_freshness(e.body), "{id}: calendars differ");
        for d in &dates {
            let q = format!("date={d}&qty=2");
            let o = api.availability(id, &q).await;
            assert_eq!(o.status, 200, "origin availability of {id} {d}: {:?}", o.body);
            let e = ed.availability(id, &q).await;
            assert_eq!(e.status, 200, "edge availability of {id} {d}: {:?}", e.body);
            assert_eq!(without_freshness(o.body), without_freshness(e.body), "{id} {d}: availability differs");
        }
    }
    assert!(holds >= 10, "only {holds} holds were taken");

    // The same work again with the Worker idle: SLOWLOG times calls by the wall clock, and
    // on two cores a Redis preempted by workerd's and the origin's computing looks slow.
    drop(edge);
    redis.cli(&["SLOWLOG", "RESET"]);
    for (id, _) in &all {
        assert_eq!(api.calendar(id, &year).await.status, 200, "{id}");
        for d in &dates[2..] {
            hold_some(&api, "buyer", id, d).await;
        }
    }
    let slow = redis.cli(&["SLOWLOG", "LEN"]);
    assert_eq!(slow, "0", "Redis calls over {SLOW_US} us:\n{}", redis.cli(&["SLOWLOG", "GET", "20"]));
}
