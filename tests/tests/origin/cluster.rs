//! The same library on a 3-node Redis Cluster: every key of a resource on one node, holds
//! atomic across the contention of a crowd.

use aforo_tests::client::Api;
use aforo_tests::harness::{token, Cluster, Origin};
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_work_on_a_three_node_cluster() {
    let _crowd = crowd().await;
    let cluster = Cluster::start();
    let origin = Origin::start(&cluster.url());
    let api = Api::new(&origin.url());
    let (seller, buyer) = (token("seller-1", "seller"), token("buyer-1", "buyer"));
    for id in ["a", "b", "c", "last"] {
        assert_eq!(api.put_resource(&seller, id, &stock_doc(if id == "last" { 1 } else { 5 })).await.status, 201);
    }
    let mut tasks = Vec::new();
    for i in 0..200 {
        let api = api.clone();
        let t = token(&format!("b{i}"), "buyer");
        tasks.push(tokio::spawn(async move { api.hold(&t, "k", &json!({"resource_id": "last", "qty": 1})).await.status.as_u16() }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 201 || s == 409, "{s}");
        created += usize::from(s == 201);
    }
    assert_eq!(created, 1);
    // A cart across resources that live on different nodes, then its release.
    let cart = json!({"items": [{"resource_id": "a", "qty": 2}, {"resource_id": "b", "qty": 2}, {"resource_id": "c", "qty": 2}]});
    let h = api.hold(&buyer, "cart", &cart).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    let id = h.body["id"].as_str().unwrap();
    assert_eq!(api.consume(&buyer, id).await.body["status"], "consumed");
    // Every key of a resource sits on exactly one node.
    for r in ["a", "b", "c", "last"] {
        let pattern = format!("af:{{r:{r}}}:*");
        let holding: Vec<usize> =
            cluster.nodes.iter().map(|n| n.cli(&["KEYS", &pattern]).lines().filter(|l| !l.is_empty()).count()).collect();
        assert_eq!(holding.iter().filter(|c| **c > 0).count(), 1, "{r}: {holding:?}");
        assert!(holding.iter().sum::<usize>() >= 3, "{r}: {holding:?}");
    }
    let spread: std::collections::HashSet<u16> =
        ["a", "b", "c", "last"].iter().map(|r| cluster.node_of(&format!("af:{{r:{r}}}:m"))).collect();
    assert!(spread.len() > 1, "resources should spread over nodes");
    assert_eq!(api.availability("last", "qty=1").await.body["status"], "sold_out");
    // A key is the caller's across resources on different nodes (its claim is a key of its
    // own slot): the same key on another resource is refused, a retry replays, and a
    // refused request leaves the key unused.
    let one = api.hold(&buyer, "k-across", &json!({"resource_id": "a", "qty": 1})).await;
    assert_eq!(one.status, 201, "{:?}", one.body);
    for r in ["b", "c"] {
        let a = api.hold(&buyer, "k-across", &json!({"resource_id": r, "qty": 1})).await;
        assert_eq!((a.status.as_u16(), a.code()), (422, "IDEMPOTENCY_KEY_REUSED"), "{r}: {:?}", a.body);
    }
    let again = api.hold(&buyer, "k-across", &json!({"resource_id": "a", "qty": 1})).await;
    assert_eq!((again.status.as_u16(), &again.body["id"]), (200, &one.body["id"]));
    assert_eq!(api.hold(&buyer, "k-free", &json!({"resource_id": "last", "qty": 1})).await.status, 409);
    assert_eq!(api.hold(&buyer, "k-free", &json!({"resource_id": "b", "qty": 1})).await.status, 201);
}
