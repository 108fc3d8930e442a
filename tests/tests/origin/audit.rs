//! The audit trail across its shards: every event once, newest first, paged with `before`,
//! events of the stream of releases before sharding included.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::*;

/// Every event of `query`, following `next` page by page.
async fn all_pages(e: &Env, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let q = match &before {
            Some(b) => format!("/v1/audit/events?{query}&before={b}"),
            None => format!("/v1/audit/events?{query}"),
        };
        let page = e.api.get(&e.ops, &q).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        out.extend(page.body["events"].as_array().unwrap().iter().cloned());
        match page.body["next"].as_str() {
            Some(n) => before = Some(n.to_string()),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_reads_every_shard_newest_first_and_pages_without_gaps() {
    let e = env();
    // An event written by a release before sharding, in the old single stream.
    let legacy = json!({"id": "", "type": "resource.created", "at": "2026-11-01T00:00:00+00:00", "actor": "seller-0",
        "role": "seller", "resource_id": "old"});
    e.redis.cli(&["XADD", "af:audit", "1000-0", "type", "resource.created", "e", &legacy.to_string()]);
    // One buyer holds 30: above the default per-buyer share, which this test is not about.
    create(
        &e,
        "sku",
        &json!({"name": "SKU", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 100}}, "per_buyer": {"max_held_units": 100}}),
    )
    .await;
    let mut holds = Vec::new();
    for i in 0..30 {
        let h = e.api.hold(&e.buyer, &format!("k{i}"), &json!({"resource_id": "sku", "qty": 1})).await;
        assert_eq!(h.status, 201);
        holds.push(h.body["id"].as_str().unwrap().to_string());
        // Small pauses let the writer flush batches, so that events land on several shards.
        if i % 5 == 4 {
            tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        }
    }
    let last = holds.last().unwrap().clone();
    audited(&e, "type=hold.created", |ev| ev["hold_id"] == last.as_str()).await;
    let used: usize = (0..4).filter(|i| e.redis.cli(&["XLEN", &format!("af:{{audit:{i}}}")]).trim() != "0").count();
    assert!(used >= 2, "events spread over the shards ({used} used)");

    let events = all_pages(&e, "limit=7").await;
    let ids: Vec<&str> = events.iter().map(|ev| ev["id"].as_str().unwrap()).collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "every event once");
    let key = |id: &str| id.split('-').map(|p| p.parse::<u64>().unwrap()).collect::<Vec<_>>();
    assert!(ids.windows(2).all(|w| key(w[0]) > key(w[1])), "newest first: {ids:?}");
    let created: BTreeSet<&str> = events.iter().filter(|ev| ev["type"] == "hold.created").filter_map(|ev| ev["hold_id"].as_str()).collect();
    assert_eq!(created, holds.iter().map(String::as_str).collect(), "every hold's event, across shards");
    assert_eq!(events.last().unwrap()["resource_id"], "old", "the old stream is read too, its event the oldest");
    let whole = e.api.get(&e.ops, "/v1/audit/events?limit=1000").await;
    assert_eq!(whole.body["events"].as_array().unwrap(), &events, "one page or many: the same events");
}
