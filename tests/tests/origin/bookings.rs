//! Bookings over time against a real Redis and the real origin: a paid booking outlives the
//! record lifetime of other holds, the bookings listing (paged, by start, filtered, scoped to
//! the owner), and compaction of old dates (with an injected "today") that never removes a
//! live or retained booking.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::harness::{token, Origin, Redis};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

fn env_with(vars: &[(&str, &str)]) -> Env {
    let redis = Redis::start(&[]);
    let origin = Origin::start_with(&redis.url(), vars);
    let api = Api::new(&origin.url());
    Env { redis, origin, api, seller: token("seller-1", "seller"), buyer: token("buyer-1", "buyer"), ops: token("ops-1", "ops") }
}

async fn hold(e: &Env, key: &str, body: Value) -> String {
    let a = e.api.hold(&e.buyer, key, &body).await;
    assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
    a.body["id"].as_str().unwrap().to_string()
}

fn ms_ttl(redis: &Redis, key: &str) -> i64 {
    redis.cli(&["PTTL", key]).trim().parse().unwrap()
}

/// Every page of a listing, following `next`, with the pages' sizes.
async fn all_pages(e: &Env, who: &str, id: &str, query: &str) -> (Vec<Value>, Vec<usize>) {
    let (mut out, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let a = e.api.get(who, &format!("/v1/resources/{id}/bookings?{query}{c}")).await;
        assert_eq!(a.status.as_u16(), 200, "{:?}", a.body);
        let items = a.body["items"].as_array().unwrap().clone();
        sizes.push(items.len());
        out.extend(items);
        match a.body["next"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => return (out, sizes),
        }
        assert!(sizes.len() < 500, "paging does not end");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_booking_outlives_the_record_lifetime_of_other_holds() {
    let e = env_with(&[("AFORO_TEST_RECORD_TTL_MS", "1500"), ("AFORO_COMPACT_INTERVAL_MS", "0")]);
    let mut doc = slots_doc(10);
    doc["hold_ttl_s"] = json!(1);
    create(&e, "room", &doc).await;
    let d = day(54);
    let paid = hold(&e, "paid", json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2})).await;
    let gone = hold(&e, "gone", json!({"resource_id": "room", "date": d, "slot": "20:30", "qty": 2})).await;
    assert_eq!(e.api.consume(&e.buyer, &paid).await.status.as_u16(), 200);
    assert_eq!(e.api.release(&e.buyer, &gone).await.status.as_u16(), 200);
    // Kept until the end of its date + 30 days: more than 83 days from now.
    let kept = ms_ttl(&e.redis, &format!("af:{{r:room}}:h:{paid}"));
    assert!(kept > 83 * 86_400_000, "{kept}");
    assert!(ms_ttl(&e.redis, "af:{r:room}:b") >= kept - 1000, "the index lives as long as the record it finds");
    eventually(Duration::from_secs(5), || async {
        let s = e.api.get_hold(&e.buyer, &gone).await.status.as_u16();
        if s == 404 {
            Ok(())
        } else {
            Err(format!("other holds keep the record lifetime: {s}"))
        }
    })
    .await;
    let a = e.api.get_hold(&e.buyer, &paid).await;
    assert_eq!((a.status.as_u16(), a.body["status"].as_str()), (200, Some("consumed")), "{:?}", a.body);
    let (items, _) = all_pages(&e, &e.seller, "room", "").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["hold_id"], json!(paid));
    assert_eq!(items[0]["status"], "consumed");
    assert_eq!(items[0]["date"], json!(d));
    assert_eq!(items[0]["buyer"], "buyer-1");
    assert!(items[0]["consumed_at"].is_string());
    // Consuming again (idempotent) never shortens it.
    assert_eq!(e.api.consume(&e.buyer, &paid).await.status.as_u16(), 200);
    assert!(ms_ttl(&e.redis, &format!("af:{{r:room}}:h:{paid}")) > 83 * 86_400_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_are_listed_by_start_paged_filtered_and_only_to_their_owner() {
    let e = env_with(&[("AFORO_COMPACT_INTERVAL_MS", "0")]);
    create(&e, "room", &slots_doc(20)).await;
    create(&e, "sku", &stock_doc(50)).await;
    let slots = ["12:00", "13:30", "20:00", "21:30"];
    let mut made: Vec<(String, String, String)> = Vec::new(); // (date, slot, id)
    for i in 0..14usize {
        let (d, s) = (day(3 + (i * 5 % 7) as i64), slots[i % 4]);
        let id = hold(&e, &format!("k{i}"), json!({"resource_id": "room", "date": d, "slot": s, "qty": 1 + i % 3})).await;
        match i % 3 {
            0 => assert_eq!(e.api.consume(&e.buyer, &id).await.status.as_u16(), 200),
            1 => assert_eq!(e.api.release(&e.buyer, &id).await.status.as_u16(), 200),
            _ => {}
        }
        made.push((d, s.to_string(), id));
    }
    let sku = hold(&e, "s1", json!({"resource_id": "sku", "qty": 2})).await;

    let (items, sizes) = all_pages(&e, &e.seller, "room", "limit=4").await;
    assert!(sizes.iter().all(|n| *n <= 4) && sizes.len() >= 4, "{sizes:?}");
    assert_eq!(items.len(), made.len());
    let starts: Vec<&str> = items.iter().map(|i| i["start"].as_str().unwrap()).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "by start");
    let ids: BTreeSet<&str> = items.iter().map(|i| i["hold_id"].as_str().unwrap()).collect();
    assert_eq!(ids, made.iter().map(|m| m.2.as_str()).collect());
    for it in &items {
        let m = made.iter().find(|m| it["hold_id"] == json!(m.2)).unwrap();
        assert_eq!((it["date"].as_str().unwrap(), it["slot"].as_str().unwrap()), (m.0.as_str(), m.1.as_str()));
    }

    let (consumed, _) = all_pages(&e, &e.seller, "room", "status=consumed&limit=2").await;
    assert_eq!(consumed.len(), 5);
    assert!(consumed.iter().all(|i| i["status"] == "consumed" && i["consumed_at"].is_string()));
    let (held, _) = all_pages(&e, &e.seller, "room", "status=held").await;
    assert_eq!(held.len(), 4);
    let (one_day, _) = all_pages(&e, &e.seller, "room", &format!("from={}&to={}", day(4), day(5))).await;
    let want = made.iter().filter(|m| m.0 == day(4) || m.0 == day(5)).count();
    assert_eq!(one_day.len(), want);
    assert!(one_day.iter().all(|i| i["date"] == json!(day(4)) || i["date"] == json!(day(5))));
    let (from_on, _) = all_pages(&e, &e.seller, "room", &format!("from={}", day(6))).await;
    assert_eq!(from_on.len(), made.iter().filter(|m| m.0 >= day(6)).count());

    // Undated stock: listed by creation.
    let (stock, _) = all_pages(&e, &e.ops, "sku", "").await;
    assert_eq!(stock.len(), 1);
    assert_eq!((stock[0]["hold_id"].as_str(), stock[0]["date"].is_null(), stock[0]["qty"].as_u64()), (Some(sku.as_str()), true, Some(2)));

    // Scoped: ops sees it, another seller and a buyer do not.
    assert_eq!(e.api.get(&e.ops, "/v1/resources/room/bookings").await.status.as_u16(), 200);
    let other = e.api.get(&token("seller-2", "seller"), "/v1/resources/room/bookings").await;
    assert_eq!((other.status.as_u16(), other.code()), (403, "FORBIDDEN"));
    assert_eq!(e.api.get(&e.buyer, "/v1/resources/room/bookings").await.status.as_u16(), 403);
    assert_eq!(e.api.send(Method::GET, "/v1/resources/room/bookings", None, None, None).await.status.as_u16(), 401);
    assert_eq!(e.api.get(&e.seller, "/v1/resources/nope/bookings").await.status.as_u16(), 404);
    // Bad input: 400, and nothing else.
    for q in ["limit=0", "limit=201", "limit=x", "status=void", "cursor=zzz", "from=2027-13-01", "from=2027-02-02&to=2027-02-01", "what=1"]
    {
        let a = e.api.get(&e.seller, &format!("/v1/resources/room/bookings?{q}")).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{q}: {:?}", a.body);
    }
}

/// A small deterministic generator (the seed is printed, to replay a failure).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_drops_only_what_is_past_retention_never_a_live_or_retained_booking() {
    // Compaction sees today as 40 days on, and keeps 5 days: dates before today + 33 go.
    let e = env_with(&[("AFORO_COMPACT_INTERVAL_MS", "300"), ("AFORO_BOOKING_RETENTION_D", "5"), ("AFORO_TEST_COMPACT_OFFSET_D", "40")]);
    // One buyer holds them all: above the default per-buyer share, which this test is not about.
    let mut doc = slots_doc(50);
    doc["per_buyer"] = json!({"max_held_units": 100_000});
    create(&e, "room", &doc).await;
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("seed {seed}");
    let mut rng = Lcg(seed);
    let cutoff = day(33);
    let mut holds: Vec<(String, String, String, u64, &str)> = Vec::new(); // (id, date, slot, qty, fate)
    for i in 0..60 {
        // Days right around the cutoff are left out: the test's clock and Redis's may sit on
        // two sides of midnight.
        let n = loop {
            let n = 1 + rng.below(70) as i64;
            if !(31..=35).contains(&n) {
                break n;
            }
        };
        let (d, s, q) = (day(n), ["19:00", "20:00", "21:00"][rng.below(3) as usize].to_string(), 1 + rng.below(3));
        let id = hold(&e, &format!("r{i}"), json!({"resource_id": "room", "date": d, "slot": s, "qty": q})).await;
        let fate = ["consumed", "released", "held"][rng.below(3) as usize];
        match fate {
            "consumed" => assert_eq!(e.api.consume(&e.buyer, &id).await.status.as_u16(), 200),
            "released" => assert_eq!(e.api.release(&e.buyer, &id).await.status.as_u16(), 200),
            _ => {}
        }
        holds.push((id, d, s, q, fate));
    }
    // Two whole rounds after the last write.
    let round = || e.redis.cli(&["HGET", "af:{r:room}:z", "round_at"]);
    let start = Instant::now();
    for _ in 0..2 {
        let seen = round();
        while round() == seen {
            assert!(start.elapsed() < Duration::from_secs(30), "compaction never finished a round");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Counters: dates past retention are gone unless a live hold holds units there; the rest
    // are exactly what the holds take.
    let mut total: BTreeMap<String, (u64, bool)> = BTreeMap::new(); // bucket -> (units, a live hold)
    for (_, d, s, q, fate) in &holds {
        if *fate != "released" {
            let b = total.entry(format!("s:{d}T{s}")).or_default();
            b.0 += q;
            b.1 |= *fate == "held";
        }
    }
    let want: BTreeMap<String, u64> =
        total.iter().filter(|(b, (_, live))| b[2..12] >= cutoff[..] || *live).map(|(b, (n, _))| (b.clone(), *n)).collect();
    let fields: Vec<String> = e.redis.cli(&["HKEYS", "af:{r:room}:c"]).lines().map(String::from).filter(|f| f.starts_with("s:")).collect();
    let have: BTreeMap<String, u64> = fields.iter().map(|f| (f.clone(), counter(&e.redis, "room", f))).filter(|(_, v)| *v > 0).collect();
    assert_eq!(have, want, "seed {seed}");
    for f in &fields {
        let live = total.get(f).is_some_and(|b| b.1);
        assert!(f[2..12] >= cutoff[..] || live, "{f} is past retention and should be gone (seed {seed})");
    }
    // Every record is still there (compaction never deletes one); the index lists exactly the
    // bookings of the window.
    for (id, ..) in &holds {
        assert_eq!(e.api.get_hold(&e.buyer, id).await.status.as_u16(), 200, "seed {seed}");
    }
    let (items, _) = all_pages(&e, &e.seller, "room", "limit=200").await;
    let listed: BTreeSet<&str> = items.iter().map(|i| i["hold_id"].as_str().unwrap()).collect();
    let kept: BTreeSet<&str> = holds.iter().filter(|h| h.1 >= cutoff).map(|h| h.0.as_str()).collect();
    assert_eq!(listed, kept, "seed {seed}");
    // The counters still add up: the drift check finds nothing.
    let r = e.api.send(Method::POST, "/v1/monitoring/check", Some(&e.ops), None, None).await;
    assert_eq!(r.body["findings"], json!([]), "seed {seed}: {}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_made_before_the_index_are_brought_up_to_date_once() {
    let e = env_with(&[("AFORO_COMPACT_INTERVAL_MS", "0")]);
    create(&e, "room", &slots_doc(10)).await;
    let d = day(54);
    let paid = hold(&e, "old", json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2})).await;
    assert_eq!(e.api.consume(&e.buyer, &paid).await.status.as_u16(), 200);
    // As an older version left it: no keep_until, no index, the record lifetime of 30 days.
    let h = format!("af:{{r:room}}:h:{paid}");
    e.redis.cli(&["HDEL", &h, "keep_until"]);
    e.redis.cli(&["DEL", "af:{r:room}:b"]);
    e.redis.cli(&["PEXPIRE", &h, &(30 * 86_400_000u64).to_string()]);
    drop(e.origin);
    let origin = Origin::start_with(&e.redis.url(), &[("AFORO_COMPACT_INTERVAL_MS", "300")]);
    let api = Api::new(&origin.url());
    let start = Instant::now();
    while e.redis.cli(&["HGET", "af:{r:room}:z", "upgraded"]).trim() != "1" {
        assert!(start.elapsed() < Duration::from_secs(20), "the upgrade never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ms_ttl(&e.redis, &h) > 83 * 86_400_000);
    let a = api.get(&e.seller, "/v1/resources/room/bookings").await;
    assert_eq!(a.body["items"][0]["hold_id"], json!(paid), "{:?}", a.body);
}
