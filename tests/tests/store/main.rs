//! The origin's store against a real Redis, below HTTP: each function of the Lua library
//! (through `Store`) answers what it says, a hold is all or nothing, steps replay
//! idempotently, a plan of another version is refused; and a differential property test —
//! random counters, limits and hold plans decided by `aforo_hold` and by the core's `take`
//! — finds the same decisions and the same counters.
//!
//! - [`differential`]: the library and the core's `take` / `decide_shadow`, hold by hold
//! - [`floor`]: a seating's takes swapped (moved, finished) all or nothing; walk-ins
//! - [`group`]: the group commit (`aforo_hold` with N holds, the coalescer) against the same core
//! - [`resources`]: documents under `If-Match` and under committed, keyed stock, archive,
//!   listings
//! - [`versions`]: two releases' libraries side by side on one Redis

#![allow(clippy::unwrap_used)]

mod differential;
mod floor;
mod group;
mod resources;
mod versions;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aforo_core::{decide_shadow, first_overflow, take};
use aforo_core::{Bucket, Counters, HoldPlan, Take};
use aforo_origin::store::{
    hold_id, ArchiveReply, Choice, Coalescer, DocWrite, HoldArgs, HoldReply, HoldStatus, Home, IdempotencyKey, PartReply, PutReply,
    ResourceKeys, Retake, StockChange, StockReply, Store, StoreConfig, StoreError,
};
use aforo_tests::harness::Redis;
use chrono::NaiveDate;
use fred::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

async fn connect(redis: &Redis) -> Store {
    Store::connect(&StoreConfig::new(&redis.url(), 2, Duration::from_secs(2))).await.unwrap()
}

fn day(n: u32) -> Bucket {
    Bucket::Day(NaiveDate::from_ymd_opt(2027, 3, 1 + n).unwrap())
}

fn tbl(n: u32) -> Bucket {
    Bucket::Table(format!("t{n}"), 28_000_000 + i64::from(n))
}

fn t(bucket: Bucket, qty: u32, limit: u32) -> Take {
    Take { bucket, qty, limit }
}

/// A document write of `{}` (the store does not read documents).
fn w(caller: &'static str, is_ops: bool, on_hand: Option<u32>) -> DocWrite<'static> {
    DocWrite { doc: "{}", caller, is_ops, on_hand, if_match: None, checks: vec![], fields: None, force: false }
}

/// A stock change without an idempotency key.
fn chg(delta: bool, n: i64, force: bool) -> StockChange<'static> {
    StockChange { delta, n, force, key: None }
}

/// A resource with a stored document (the store does not read it), version 1.
async fn resource(store: &Store, id: &str, on_hand: Option<u32>) {
    let r = store.put(id, &w("seller-1", false, on_hand)).await.unwrap();
    assert_eq!(r, PutReply::Created { version: 1, owner: "seller-1".into() });
}

/// The arguments of a one-resource hold of `takes` (a home part, held for a minute).
fn args(resource: &str, n: usize, hash: &str, takes: Vec<Take>) -> HoldArgs {
    HoldArgs {
        resource: resource.into(),
        version: 1,
        hold_id: hold_id(&format!("{n:026}"), resource),
        payload_hash: hash.into(),
        ttl: Duration::from_secs(60),
        record_ttl: Duration::from_secs(3600),
        caller: "buyer-1".into(),
        status: HoldStatus::Held,
        takes,
        choices: Vec::new(),
        date_index: None,
        retain_until_ms: None,
        retention: Duration::from_secs(30 * 86_400),
        starts_ms: Vec::new(),
        items: Vec::new(),
        home: Some(Home { body: Vec::new(), parts: Vec::new() }),
        shadow: false,
        buyer: None,
        role: None,
        guest: None,
    }
}

/// A retake of `takes` planned against `version`, well within the grace.
fn rt(version: u64, takes: &[Take]) -> Retake<'_> {
    Retake { version, takes, choices: &[], buyer: None, grace: Duration::from_secs(60) }
}

/// Every non-zero counter of a resource, by name.
async fn counters(store: &Store, id: &str) -> BTreeMap<String, u32> {
    let h: HashMap<String, String> = store.pool().next().hgetall(ResourceKeys::new(id).counters()).await.unwrap();
    h.into_iter().filter(|(k, _)| !k.starts_with('~')).map(|(k, v)| (k, v.parse().unwrap())).filter(|(_, v)| *v > 0).collect()
}

async fn expiring(store: &Store, id: &str) -> usize {
    let n: i64 = store.pool().next().zcard(ResourceKeys::new(id).expiry()).await.unwrap();
    n as usize
}

fn named(pairs: &[(&Bucket, u32)]) -> BTreeMap<String, u32> {
    pairs.iter().filter(|(_, v)| *v > 0).map(|(b, v)| (b.to_string(), *v)).collect()
}

#[tokio::test]
async fn a_hold_whose_second_bucket_is_full_changes_nothing() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let full = args("r", 1, "h1", vec![t(day(0), 2, 10), t(day(1), 2, 1)]);
    let r = store.hold_part(&full).await.unwrap();
    assert_eq!(r, HoldReply::SoldOut { bucket: day(1).to_string(), have: 0, limit: 1 });
    assert!(counters(&store, "r").await.is_empty(), "no counter moved");
    assert_eq!(store.hold_record("r", &full.hold_id).await.unwrap(), None, "no record");
    assert_eq!(expiring(&store, "r").await, 0);

    let ok = args("r", 2, "h2", vec![t(day(0), 2, 10), t(day(1), 1, 1)]);
    let r = store.hold_part(&ok).await.unwrap();
    let HoldReply::Taken { id, status, table, .. } = r else { panic!("{r:?}") };
    assert_eq!((id.as_str(), status, table.as_str()), (ok.hold_id.as_str(), HoldStatus::Held, ""));
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 2), (&day(1), 1)]));
    let rec = store.hold_record("r", &ok.hold_id).await.unwrap().unwrap();
    assert_eq!((rec.status, rec.caller.as_str(), rec.version, rec.payload_hash.as_str()), (HoldStatus::Held, "buyer-1", 1, "h2"));
    assert_eq!(rec.body, Some(serde_json::json!([])));
    assert_eq!(expiring(&store, "r").await, 1);

    // The bucket is now full: the same two-bucket hold is refused whole, naming it.
    let again = args("r", 3, "h3", vec![t(day(0), 1, 10), t(day(1), 1, 1)]);
    assert_eq!(store.hold_part(&again).await.unwrap(), HoldReply::SoldOut { bucket: day(1).to_string(), have: 1, limit: 1 });
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 2), (&day(1), 1)]));
}

#[tokio::test]
async fn a_replay_answers_the_first_hold_and_another_payload_is_refused() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let a = args("r", 1, "same", vec![t(Bucket::Stock, 1, 5)]);
    let HoldReply::Taken { expires_at_ms, .. } = store.hold_part(&a).await.unwrap() else { panic!() };
    let replay = store.hold_part(&a).await.unwrap();
    assert_eq!(replay, HoldReply::Replay { id: a.hold_id.clone(), status: HoldStatus::Held, expires_at_ms });
    assert_eq!(counters(&store, "r").await, named(&[(&Bucket::Stock, 1)]), "a replay takes nothing");
    let other = HoldArgs { payload_hash: "other".into(), ..a.clone() };
    assert_eq!(store.hold_part(&other).await.unwrap(), HoldReply::Reused);
    assert_eq!(counters(&store, "r").await, named(&[(&Bucket::Stock, 1)]));
}

#[tokio::test]
async fn a_plan_of_another_version_is_refused_untouched() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let stale = HoldArgs { version: 7, ..args("r", 1, "h", vec![t(day(0), 1, 5)]) };
    assert_eq!(store.hold_part(&stale).await.unwrap(), HoldReply::Version { current: Some(1) });
    assert!(counters(&store, "r").await.is_empty());
    let nowhere = args("missing", 1, "h", vec![t(day(0), 1, 5)]);
    assert_eq!(store.hold_part(&nowhere).await.unwrap(), HoldReply::Version { current: None });
    // A pause moves the version: a plan made before it is refused.
    assert_eq!(store.pause("r", Some("{}".into())).await.unwrap(), Some(2));
    assert_eq!(store.hold_part(&args("r", 2, "h", vec![t(day(0), 1, 5)])).await.unwrap(), HoldReply::Version { current: Some(2) });
    assert_eq!(store.pause("missing", None).await.unwrap(), None);
}

#[tokio::test]
async fn release_consume_and_finish_answer_and_replay() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let a = args("r", 1, "h", vec![t(day(0), 3, 10)]);
    store.hold_part(&a).await.unwrap();
    assert_eq!(store.release("r", &a.hold_id, false).await.unwrap(), PartReply::Ok(HoldStatus::Released));
    assert!(counters(&store, "r").await.is_empty(), "units back");
    assert_eq!(store.release("r", &a.hold_id, false).await.unwrap(), PartReply::Ok(HoldStatus::Released), "idempotent");
    assert_eq!(store.consume("r", &a.hold_id).await.unwrap(), PartReply::NotActive(HoldStatus::Released));
    assert_eq!(expiring(&store, "r").await, 0);

    let b = args("r", 2, "h", vec![t(day(0), 2, 10)]);
    store.hold_part(&b).await.unwrap();
    assert_eq!(store.consume("r", &b.hold_id).await.unwrap(), PartReply::Ok(HoldStatus::Consumed));
    assert_eq!(store.consume("r", &b.hold_id).await.unwrap(), PartReply::Ok(HoldStatus::Consumed), "idempotent");
    assert_eq!(store.release("r", &b.hold_id, false).await.unwrap(), PartReply::NotActive(HoldStatus::Consumed));
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 2)]), "a consumed hold keeps its units");
    let rec = store.hold_record("r", &b.hold_id).await.unwrap().unwrap();
    assert_eq!(rec.status, HoldStatus::Consumed);
    assert!(rec.consumed_at_ms.is_some());
    // Counters are the settled ledger plus the live holds: nothing drifted.
    let checked = store.check("r", false).await.unwrap().unwrap();
    assert!(checked.drift.is_empty() && checked.stale.is_empty(), "{checked:?}");

    // A voided cart step gives its units back and its key as if unused.
    let c = args("r", 3, "first", vec![t(day(0), 1, 10)]);
    store.hold_part(&c).await.unwrap();
    assert_eq!(store.release("r", &c.hold_id, true).await.unwrap(), PartReply::Ok(HoldStatus::Void));
    let retry = HoldArgs { payload_hash: "second".into(), ..c.clone() };
    assert!(matches!(store.hold_part(&retry).await.unwrap(), HoldReply::Taken { .. }), "a void key is taken afresh");

    // A cart's home part: pending until finished.
    let home = HoldArgs { status: HoldStatus::Pending, ..args("r", 4, "h", vec![t(day(1), 1, 10)]) };
    let HoldReply::Taken { status, .. } = store.hold_part(&home).await.unwrap() else { panic!() };
    assert_eq!(status, HoldStatus::Pending);
    assert_eq!(store.finish("r", &home.hold_id).await.unwrap(), Some(HoldStatus::Held));
    assert_eq!(store.finish("r", &home.hold_id).await.unwrap(), Some(HoldStatus::Held), "idempotent");
    assert_eq!(store.finish("r", "h_nothing_r").await.unwrap(), None);

    assert_eq!(store.release("r", "h_nothing_r", false).await.unwrap(), PartReply::NotFound);
    assert_eq!(store.consume("r", "h_nothing_r").await.unwrap(), PartReply::NotFound);
    assert_eq!(store.retake("r", "h_nothing_r", &rt(1, &[])).await.unwrap(), PartReply::NotFound);
}

#[tokio::test]
async fn an_expired_hold_is_reclaimed_then_retaken_if_its_units_are_free() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let short = |n, takes| HoldArgs { ttl: Duration::from_millis(1), ..args("r", n, "h", takes) };
    let a = short(1, vec![t(day(0), 2, 3)]);
    store.hold_part(&a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store.consume("r", &a.hold_id).await.unwrap(), PartReply::Expired);
    assert!(counters(&store, "r").await.is_empty(), "its units came back");
    assert_eq!(store.hold_record("r", &a.hold_id).await.unwrap().unwrap().status, HoldStatus::Expired);
    assert_eq!(store.retake("r", &a.hold_id, &rt(9, &a.takes)).await.unwrap(), PartReply::Version);
    assert_eq!(store.retake("r", &a.hold_id, &rt(1, &a.takes)).await.unwrap(), PartReply::Ok(HoldStatus::Consumed));
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 2)]));
    assert_eq!(store.retake("r", &a.hold_id, &rt(1, &a.takes)).await.unwrap(), PartReply::Ok(HoldStatus::Consumed), "idempotent");

    // Expired, and someone else took the units meanwhile: refused, nothing moved.
    let b = short(2, vec![t(day(1), 2, 3)]);
    store.hold_part(&b).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store.sweep("r").await.unwrap().0, 1, "the sweep reclaims it");
    store.hold_part(&args("r", 3, "h", vec![t(day(1), 2, 3)])).await.unwrap();
    assert_eq!(
        store.retake("r", &b.hold_id, &rt(1, &b.takes)).await.unwrap(),
        PartReply::SoldOut { bucket: day(1).to_string(), have: 2, limit: 3 }
    );
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 2), (&day(1), 2)]));
    let c = args("r", 4, "h", vec![t(day(2), 1, 3)]);
    store.hold_part(&c).await.unwrap();
    assert_eq!(store.retake("r", &c.hold_id, &rt(1, &c.takes)).await.unwrap(), PartReply::NotActive(HoldStatus::Held));
}

#[tokio::test]
async fn a_hold_seats_the_first_table_that_fits_or_takes_nothing() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let choices = vec![
        Choice { label: "T1".into(), takes: vec![t(tbl(1), 1, 0)] },
        Choice { label: "T4+T5".into(), takes: vec![t(tbl(4), 1, 1), t(tbl(5), 1, 1)] },
    ];
    let a =
        HoldArgs { choices: choices.clone(), date_index: NaiveDate::from_ymd_opt(2027, 3, 1), ..args("r", 1, "h", vec![t(day(0), 4, 10)]) };
    let HoldReply::Taken { table, .. } = store.hold_part(&a).await.unwrap() else { panic!() };
    assert_eq!(table, "T4+T5");
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 4), (&tbl(4), 1), (&tbl(5), 1)]));
    assert_eq!(store.hold_record("r", &a.hold_id).await.unwrap().unwrap().table.as_deref(), Some("T4+T5"));
    assert_eq!(store.holds_of_date("r", "2027-03-01").await.unwrap(), vec![a.hold_id.clone()]);
    let b = HoldArgs { choices, ..args("r", 2, "h", vec![t(day(0), 4, 10)]) };
    assert_eq!(store.hold_part(&b).await.unwrap(), HoldReply::SoldOut { bucket: "no_table".into(), have: 0, limit: 0 });
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 4), (&tbl(4), 1), (&tbl(5), 1)]), "the covers are not taken either");
}

#[tokio::test]
async fn documents_stock_and_reads_answer_what_they_say() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", Some(5)).await;
    assert_eq!(store.put("r", &w("seller-2", false, Some(5))).await.unwrap(), PutReply::Forbidden);
    assert_eq!(
        store.put("r", &w("ops-1", true, Some(5))).await.unwrap(),
        PutReply::Replaced { version: 2, owner: "seller-1".into(), prev_bytes: 2 }
    );
    let a = HoldArgs { version: 2, ..args("r", 1, "h", vec![t(Bucket::Stock, 3, 5)]) };
    store.hold_part(&a).await.unwrap();
    assert_eq!(store.put("r", &w("seller-1", false, Some(2))).await.unwrap(), PutReply::Below { committed: 3 });
    assert_eq!(store.stock("r", &chg(true, -10, false)).await.unwrap(), StockReply::Negative);
    assert_eq!(store.stock("r", &chg(false, 2, false)).await.unwrap(), StockReply::Below { committed: 3 });
    assert_eq!(
        store.stock("r", &chg(false, aforo_core::MAX_UNITS + 1, false)).await.unwrap(),
        StockReply::OutOfRange { would_be: aforo_core::MAX_UNITS + 1 }
    );
    assert_eq!(
        store.stock("r", &chg(true, 2, false)).await.unwrap(),
        StockReply::Ok { on_hand: 7, committed: 3, version: 3, replayed: false }
    );
    let meta = store.meta("r").await.unwrap().unwrap();
    assert_eq!((meta.version, meta.on_hand, meta.owner.as_str()), (3, Some(7), "seller-1"));
    let (_, version, vals) = store.read("r", vec!["stock".into(), day(0).to_string()]).await.unwrap().unwrap();
    assert_eq!((version, vals), (3, vec![3, 0]));
    assert_eq!(store.read("missing", vec!["stock".into()]).await.unwrap(), None);
    resource(&store, "dated", None).await;
    assert_eq!(store.stock("dated", &chg(true, 1, false)).await.unwrap(), StockReply::NoStock);
}

#[tokio::test]
async fn a_record_without_a_field_the_library_always_writes_is_a_store_error() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    redis.cli(&["HSET", "af:{r:bad}:m", "owner", "seller-1", "version", "1"]);
    assert!(matches!(store.meta("bad").await, Err(StoreError::MissingField { field: "doc", .. })));
    redis.cli(&["HSET", "af:{r:bad}:h:h_x_bad", "status", "held"]);
    assert!(matches!(store.hold_record("bad", "h_x_bad").await, Err(StoreError::MissingField { .. })));
    redis.cli(&["HSET", "af:{r:bad}:h:h_y_bad", "status", "nonsense"]);
    assert!(matches!(store.hold_record("bad", "h_y_bad").await, Err(StoreError::Reply(..))));
}
