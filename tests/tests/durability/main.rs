//! Durability end to end: `AFORO_DURABILITY=replicated` against a real primary and replica
//! (writes wait for `WAIT`, refuse with 503 `NOT_DURABLE` without it, converge on retry),
//! what the origin reports the store promises, Sentinel, SIGTERM with Redis gone, and the
//! chaos table: a checkout mix while the primary is killed or partitioned, then the
//! invariant checker against the promoted replica. And the monthly SLO record ([`slo`]).
#![allow(clippy::unwrap_used)]

mod chaos;
mod modes;
mod recovery;
mod slo;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aforo_tests::checker::Ack;
use aforo_tests::client::Api;
use aforo_tests::harness::token;
use reqwest::Method;
use serde_json::json;

/// What a checkout mix saw: acknowledgements (with when they came), and how many answers
/// were 503 `NOT_DURABLE` or other 503s.
#[derive(Debug, Default)]
pub struct Seen {
    pub acks: Vec<(Instant, Ack)>,
    pub not_durable: u64,
    pub unavailable: u64,
    /// Holds refused 409 (sold out): the stock is sized to run out during a run.
    pub sold_out: u64,
}

/// One request retried with the same key (holds) while it is answered 503 or not at all,
/// until `stop`; `None` when never answered otherwise.
async fn answered(
    api: &Api,
    path: &str,
    tok: &str,
    key: Option<&str>,
    body: Option<Vec<u8>>,
    stop: Instant,
    seen: &Mutex<Seen>,
) -> Option<aforo_tests::client::Answer> {
    loop {
        match api.try_send(Method::POST, path, Some(tok), key, body.clone()).await {
            Ok(a) if a.status != 503 => return Some(a),
            Ok(a) => {
                let mut s = seen.lock().unwrap();
                if a.code() == "NOT_DURABLE" {
                    assert_eq!(a.retry_after.as_deref(), Some("1"), "NOT_DURABLE carries Retry-After");
                    s.not_durable += 1;
                } else {
                    s.unavailable += 1;
                }
            }
            Err(_) => seen.lock().unwrap().unavailable += 1,
        }
        if Instant::now() >= stop {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `clients` buyers until `stop`: hold one unit, then consume every other hold; each
/// request retried with its key while it is refused with 503.
pub async fn checkout_mix(api: Api, resource: &str, clients: usize, stop: Instant) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (api, seen, resource) = (api.clone(), seen.clone(), resource.to_string());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < stop {
                n += 1;
                // A buyer a checkout, as traffic is: one buyer's share never binds.
                let tok = token(&format!("chaos-{c}-{n}"), "buyer");
                let body = json!({"resource_id": resource, "qty": 1}).to_string().into_bytes();
                let key = format!("k{c}-{n}");
                let Some(h) = answered(&api, "/v1/holds", &tok, Some(&key), Some(body), stop, &seen).await else { break };
                if h.code() == "SOLD_OUT" {
                    seen.lock().unwrap().sold_out += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                let Some(id) = h.body["id"].as_str().map(String::from) else { panic!("a hold answered {:?}", h.body) };
                seen.lock().unwrap().acks.push((Instant::now(), Ack::Held(id.clone())));
                if n % 2 == 0 {
                    let path = format!("/v1/holds/{id}/consume");
                    if let Some(r) = answered(&api, &path, &tok, None, None, stop, &seen).await {
                        if r.status == 200 {
                            seen.lock().unwrap().acks.push((Instant::now(), Ack::Consumed(id)));
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
}

/// Units of the chaos resource: fewer than a run's holds, so that it sells out and a unit
/// sold twice shows as acknowledged holds over the stock.
pub const CHAOS_STOCK: usize = 3_000;

/// A stock resource that sells out during a run.
pub fn chaos_stock() -> serde_json::Value {
    json!({"name": "Chaos SKU", "timezone": "UTC", "dimensions": {"stock": {"on_hand": CHAOS_STOCK}}})
}
