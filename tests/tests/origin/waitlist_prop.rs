//! A property of the waiting list, against a real Redis and a real origin: over random
//! sequences of holds, releases, expiries, consumes, joins and leaves on a sold-out service,
//! every freed unit that fits a waiting party is offered, in the step that frees it, to the
//! earliest party it fits — so no fresh hold ever gets it first — and nothing is oversold
//! (the checker, which knows offers, after every step).

use std::sync::atomic::{AtomicUsize, Ordering};

use aforo_origin::store::LIBRARY_VERSION;
use aforo_tests::checker::{check, redis_now_ms};
use aforo_tests::harness::token;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;
use crate::waitlist::{join, service};

const CAP: u64 = 4;

/// Entries joined and offers seen over all cases: the generator reaches the states that matter.
static JOINED: AtomicUsize = AtomicUsize::new(0);
static OFFERS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone)]
enum Op {
    Hold { buyer: u8, qty: u8 },
    Release(usize),
    Expire(usize),
    Consume(usize),
    Join { buyer: u8, qty: u8 },
    Leave(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u8..8, 1u8..=3).prop_map(|(buyer, qty)| Op::Hold { buyer, qty }),
        3 => any::<usize>().prop_map(Op::Release),
        2 => any::<usize>().prop_map(Op::Expire),
        1 => any::<usize>().prop_map(Op::Consume),
        4 => (0u8..8, 1u8..=3).prop_map(|(buyer, qty)| Op::Join { buyer, qty }),
        1 => any::<usize>().prop_map(Op::Leave),
    ]
}

/// An entry as the test knows it: id, buyer, qty, arrival.
struct Entry {
    id: String,
    buyer: String,
    qty: u64,
}

async fn entries(e: &Env, r: &str, d: &str) -> Vec<Value> {
    let list = e.api.get(&e.seller, &format!("/v1/resources/{r}/waitlist?date={d}")).await;
    list.body["entries"].as_array().cloned().unwrap_or_default()
}

async fn run_case(e: &Env, r: &str, ops: Vec<Op>) -> Result<(), TestCaseError> {
    create(e, r, &service(CAP as u32, 600)).await;
    let d = day(2);
    let slot = format!("s:{d}T20:00");
    // Live holds (buyer, id): fresh ones and offers alike.
    let mut holds: Vec<(String, String)> = Vec::new();
    let mut waiting: Vec<Entry> = Vec::new();
    let mut offered_before: std::collections::HashSet<String> = Default::default();
    // Sold out from the start: two parties of 2 hold the service.
    for b in ["b8", "b9"] {
        let a =
            e.api.hold(&token(b, "buyer"), &format!("start-{r}"), &json!({"resource_id": r, "date": d, "slot": "20:00", "qty": 2})).await;
        prop_assert_eq!(a.status.as_u16(), 201);
        holds.push((b.to_string(), a.body["id"].as_str().unwrap_or_default().to_string()));
    }
    for (n, op) in ops.into_iter().enumerate() {
        let used = counter(&e.redis, r, &slot);
        match &op {
            Op::Hold { buyer, qty } => {
                let b = format!("b{buyer}");
                let a = e
                    .api
                    .hold(&token(&b, "buyer"), &format!("h{r}-{n}"), &json!({"resource_id": r, "date": d, "slot": "20:00", "qty": qty}))
                    .await;
                if a.status == 201 {
                    holds.push((b, a.body["id"].as_str().unwrap_or_default().to_string()));
                }
            }
            Op::Release(i) | Op::Expire(i) | Op::Consume(i) if !holds.is_empty() => {
                let (b, h) = holds.remove(i % holds.len());
                match op {
                    Op::Release(_) => prop_assert_eq!(e.api.release(&token(&b, "buyer"), &h).await.status.as_u16(), 200),
                    Op::Consume(_) => {
                        e.api.consume(&token(&b, "buyer"), &h).await;
                    }
                    _ => {
                        // Its TTL passes: its expiry now, then the sweep a quiet resource gets.
                        let now = redis_now_ms(&e.redis) - 1;
                        let p = format!("af:{{r:{r}}}:");
                        e.redis.cli(&["HSET", &format!("{p}h:{h}"), "expires_at", &now.to_string()]);
                        e.redis.cli(&["ZADD", &format!("{p}x"), &now.to_string(), &h]);
                        e.redis.cli(&["FCALL", &format!("aforo_sweep_{LIBRARY_VERSION}"), "1", &format!("{p}m")]);
                    }
                }
            }
            Op::Join { buyer, qty } => {
                let b = format!("w{buyer}");
                let a = join(e, &token(&b, "buyer"), &format!("j{r}-{n}"), &json!({"resource_id": r, "date": d, "qty": qty})).await;
                let live = waiting.iter().any(|w| w.buyer == b);
                match a.code() {
                    "" if a.status == 201 => {
                        prop_assert!(used + u64::from(*qty) > CAP, "joined while {qty} fit ({used} used)");
                        JOINED.fetch_add(1, Ordering::Relaxed);
                        waiting.push(Entry { id: a.body["id"].as_str().unwrap_or_default().to_string(), buyer: b, qty: u64::from(*qty) });
                    }
                    "AVAILABLE_NOW" => prop_assert!(used + u64::from(*qty) <= CAP, "AVAILABLE_NOW with {used} used of {CAP}"),
                    "ALREADY_WAITING" => prop_assert!(live, "ALREADY_WAITING without a live entry"),
                    other => return Err(TestCaseError::fail(format!("join answered {other} {:?}", a.body))),
                }
            }
            Op::Leave(i) if !waiting.is_empty() => {
                let w = waiting.remove(i % waiting.len());
                let a = e.api.send(Method::DELETE, &format!("/v1/waitlist/{}", w.id), Some(&token(&w.buyer, "buyer")), None, None).await;
                prop_assert_eq!(a.status.as_u16(), 200);
            }
            _ => {}
        }
        // What the list is now: offers made in this step went to the earliest parties they fit.
        let listed = entries(e, r, &d).await;
        let status_of = |id: &str| listed.iter().find(|x| x["id"] == id).and_then(|x| x["status"].as_str()).unwrap_or("").to_string();
        for w in &waiting {
            let st = status_of(&w.id);
            if st == "offered" && offered_before.insert(w.id.clone()) {
                OFFERS.fetch_add(1, Ordering::Relaxed);
                let hold = listed.iter().find(|x| x["id"] == w.id.as_str()).and_then(|x| x["hold_id"].as_str()).unwrap_or("");
                holds.push((w.buyer.clone(), hold.to_string()));
                let earlier = waiting.iter().take_while(|x| x.id != w.id);
                for x in earlier {
                    prop_assert!(
                        !(status_of(&x.id) == "waiting" && x.qty <= w.qty),
                        "step {n} ({op:?}): {} offered before the earlier {} that fits",
                        w.qty,
                        x.qty
                    );
                }
            }
        }
        waiting.retain(|w| matches!(status_of(&w.id).as_str(), "waiting" | "offered"));
        let bad = check(&e.redis, r, &[], redis_now_ms(&e.redis)).await;
        prop_assert!(bad.is_empty(), "step {n} ({op:?}): {bad:?}");
    }
    Ok(())
}

#[test]
fn every_freed_unit_that_fits_a_waiting_party_goes_to_the_earliest_it_fits_first() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let e = env();
    let n = AtomicUsize::new(0);
    let cases = if std::env::var("AFORO_FAST").is_ok() { 8 } else { 32 };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&proptest::collection::vec(op(), 15..50), |ops| {
            rt.block_on(run_case(&e, &format!("wp{}", n.fetch_add(1, Ordering::Relaxed)), ops))
        })
        .unwrap();
    let (joined, offers) = (JOINED.load(Ordering::Relaxed), OFFERS.load(Ordering::Relaxed));
    eprintln!("{cases} cases: {joined} entries joined, {offers} offers made, each checked");
    assert!(
        joined > cases as usize && offers > cases as usize / 4,
        "the sequences rarely reach a waiting list: {joined} joined, {offers} offers"
    );
}
