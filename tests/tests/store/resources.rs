//! Documents, stock, archive and listings below HTTP.

use super::*;

#[tokio::test]
async fn a_keyed_stock_change_applies_once_and_replays_its_first_answer() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "shop", Some(10)).await;
    let key = |payload_hash| IdempotencyKey { caller: "seller-1", key: "sync-7", payload_hash, ttl: Duration::from_secs(60) };
    let delta = |hash| StockChange { delta: true, n: 5, force: false, key: Some(key(hash)) };
    let first = store.stock("shop", &delta("h1")).await.unwrap();
    assert_eq!(first, StockReply::Ok { on_hand: 15, committed: 0, version: 2, replayed: false });
    // Eight retries at once: one change, eight replays of the first answer.
    let retry = delta("h1");
    let retries = futures::future::join_all((0..8).map(|_| store.stock("shop", &retry))).await;
    for r in retries {
        assert_eq!(r.unwrap(), StockReply::Ok { on_hand: 15, committed: 0, version: 2, replayed: true });
    }
    assert_eq!(store.meta("shop").await.unwrap().unwrap().on_hand, Some(15));
    assert_eq!(store.stock("shop", &delta("h2")).await.unwrap(), StockReply::Reused, "same key, another payload");
    // The same key of another caller is another key.
    let other = StockChange { key: Some(IdempotencyKey { caller: "seller-2", ..key("h1") }), ..delta("h1") };
    assert!(matches!(store.stock("shop", &other).await.unwrap(), StockReply::Ok { on_hand: 20, replayed: false, .. }));
    // A refusal is not kept: the key stays unused.
    let fresh = |n| StockChange { delta: true, n, force: false, key: Some(IdempotencyKey { key: "sync-8", ..key("h3") }) };
    assert_eq!(store.stock("shop", &fresh(-100)).await.unwrap(), StockReply::Negative);
    assert!(matches!(store.stock("shop", &fresh(1)).await.unwrap(), StockReply::Ok { on_hand: 21, replayed: false, .. }));
}

#[tokio::test]
async fn a_write_under_if_match_needs_the_stored_version() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    let at = |v: &'static str| DocWrite { if_match: Some(v), ..w("seller-1", false, None) };
    assert_eq!(store.put("r", &at("*")).await.unwrap(), PutReply::Precondition { current: None }, "nothing stored yet");
    resource(&store, "r", None).await;
    assert_eq!(store.put("r", &at("7")).await.unwrap(), PutReply::Precondition { current: Some(1) });
    assert_eq!(store.meta("r").await.unwrap().unwrap().version, 1, "a refused write changes nothing");
    assert_eq!(store.put("r", &at("1")).await.unwrap(), PutReply::Replaced { version: 2, owner: "seller-1".into(), prev_bytes: 2 });
    assert_eq!(store.put("r", &at("1")).await.unwrap(), PutReply::Precondition { current: Some(2) }, "the second tab loses");
    assert_eq!(store.put("r", &at("*")).await.unwrap(), PutReply::Replaced { version: 3, owner: "seller-1".into(), prev_bytes: 2 });
}

#[tokio::test]
async fn archiving_refuses_while_holds_are_held_and_a_forced_one_gives_the_units_back() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", Some(5)).await;
    assert_eq!(store.list(None, None, 10).await.unwrap(), vec!["r".to_string()]);
    let a = args("r", 1, "h", vec![t(Bucket::Stock, 2, 5)]);
    store.hold_part(&a).await.unwrap();
    assert_eq!(store.archive("r", "seller-1", false, "{}").await.unwrap(), ArchiveReply::InUse { held: 1 });
    assert_eq!(counters(&store, "r").await, named(&[(&Bucket::Stock, 2)]), "a refused archive changes nothing");
    assert_eq!(
        store.archive("r", "seller-1", true, "{}").await.unwrap(),
        ArchiveReply::Archived { version: 2, released: vec![a.hold_id.clone()], bytes: 2 }
    );
    assert_eq!(counters(&store, "r").await, named(&[]), "the released units came back");
    assert_eq!(store.hold_record("r", &a.hold_id).await.unwrap().unwrap().status, HoldStatus::Released, "the booking stays readable");
    assert!(store.meta("r").await.unwrap().unwrap().archived_at.is_some());
    assert!(store.list(None, None, 10).await.unwrap().is_empty() && store.list(Some("seller-1"), None, 10).await.unwrap().is_empty());
    assert_eq!(store.archive("r", "seller-1", true, "{}").await.unwrap(), ArchiveReply::NotFound, "archived once");
    assert_eq!(store.put("r", &w("seller-1", false, Some(5))).await.unwrap(), PutReply::Archived, "the id is not reused");
    assert_eq!(store.stock("r", &chg(true, 1, false)).await.unwrap(), StockReply::NotFound);
    assert_eq!(store.pause("r", Some("{}".into())).await.unwrap(), None);
    let b = HoldArgs { hold_id: hold_id("01JD5Q8ZK3M4N5P6Q7R8S9T0VX", "r"), ..args("r", 2, "h2", vec![t(Bucket::Stock, 1, 5)]) };
    assert!(matches!(store.hold_part(&b).await.unwrap(), HoldReply::Version { .. }), "a plan of the old version is refused");
}

#[tokio::test]
async fn listings_page_by_id_per_owner() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    for id in ["c", "a", "e", "b", "d"] {
        resource(&store, id, None).await;
    }
    store.put("z", &w("seller-2", false, None)).await.unwrap();
    assert_eq!(store.list(Some("seller-1"), None, 2).await.unwrap(), ["a", "b"]);
    assert_eq!(store.list(Some("seller-1"), Some("b"), 2).await.unwrap(), ["c", "d"]);
    assert_eq!(store.list(Some("seller-1"), Some("d"), 2).await.unwrap(), ["e"]);
    assert_eq!(store.list(Some("seller-2"), None, 10).await.unwrap(), ["z"]);
    assert_eq!(store.list(None, Some("d"), 10).await.unwrap(), ["e", "z"]);
}

#[tokio::test]
async fn a_write_under_committed_is_refused_unless_forced_and_a_new_counter_asks_for_a_new_read() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    store.hold_part(&args("r", 1, "h", vec![t(day(0), 8, 10)])).await.unwrap();
    let (committed, fields) = store.committed("r").await.unwrap();
    assert_eq!((committed, fields), (vec![(day(0).to_string(), 8)], 2), "the day's counter and the version");
    let lower = |limit: u32, fields: usize, force: bool| DocWrite {
        checks: vec![(day(0).to_string(), limit)],
        fields: Some(fields),
        force,
        ..w("seller-1", false, None)
    };
    let over = format!("{}\t8\t3", day(0));
    assert_eq!(store.put("r", &lower(3, 2, false)).await.unwrap(), PutReply::Over { lines: over.clone() });
    assert_eq!(store.meta("r").await.unwrap().unwrap().version, 1, "refused: nothing written");
    assert_eq!(store.put("r", &lower(3, 1, false)).await.unwrap(), PutReply::Moved, "a counter the origin did not see");
    assert_eq!(
        store.put("r", &lower(8, 2, false)).await.unwrap(),
        PutReply::Replaced { version: 2, owner: "seller-1".into(), prev_bytes: 2 }
    );
    assert_eq!(store.meta("r").await.unwrap().unwrap().overcommitted, None);
    assert_eq!(
        store.put("r", &lower(3, 2, true)).await.unwrap(),
        PutReply::Replaced { version: 3, owner: "seller-1".into(), prev_bytes: 2 }
    );
    assert_eq!(store.meta("r").await.unwrap().unwrap().overcommitted, Some(over), "forced: recorded as the seller's decision");
    assert_eq!(
        store.put("r", &lower(9, 2, false)).await.unwrap(),
        PutReply::Replaced { version: 4, owner: "seller-1".into(), prev_bytes: 2 }
    );
    assert_eq!(store.meta("r").await.unwrap().unwrap().overcommitted, None, "raised again: nothing overcommitted");
    // A forced stock under what is committed is recorded the same way.
    resource(&store, "s", Some(5)).await;
    store.hold_part(&args("s", 2, "h", vec![t(Bucket::Stock, 4, 5)])).await.unwrap();
    assert!(matches!(store.stock("s", &chg(false, 2, true)).await.unwrap(), StockReply::Ok { on_hand: 2, .. }));
    assert_eq!(store.meta("s").await.unwrap().unwrap().overcommitted.as_deref(), Some("stock\t4\t2"));
    assert!(matches!(store.stock("s", &chg(false, 6, false)).await.unwrap(), StockReply::Ok { on_hand: 6, .. }));
    assert_eq!(store.meta("s").await.unwrap().unwrap().overcommitted, None);
}

#[tokio::test]
async fn a_long_read_of_sparse_counters_scans_the_hash_and_answers_as_a_named_read() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "room", None).await;
    // 700 counters set (more than the library answers whole), a read naming 20,000: scanned.
    let set: Vec<(String, String)> = (0..700).map(|i| (format!("t:T{i}@2027-01-01T20:00Z"), (i % 2 + 1).to_string())).collect();
    let _: () = store.pool().next().hset(ResourceKeys::new("room").counters(), set.clone()).await.unwrap();
    let names: Vec<String> = (0..20_000).map(|i| format!("t:T{}@2027-01-01T20:00Z", i * 7 % 30_000)).collect();
    let (_, version, vals) = store.read("room", names.clone()).await.unwrap().unwrap();
    assert_eq!(version, 1);
    let want: Vec<u32> = names.iter().map(|n| set.iter().find(|(k, _)| k == n).map_or(0, |(_, v)| v.parse().unwrap())).collect();
    assert_eq!(vals, want);
    assert!(vals.iter().any(|v| *v > 0));
    let stats = redis.cli(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_hscan"), "the read scanned: {stats}");
    let calls = |cmd: &str| -> u64 {
        stats
            .lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:calls=")))
            .and_then(|r| r.split(',').next())
            .map_or(0, |n| n.parse().unwrap())
    };
    // A named read of 20,000 fields is ten more HMGETs of 2,000 after the library's first 256
    // (the two seen: the document write and that first part).
    assert!(calls("hmget") <= 2, "the read did not name 20,000 fields: {stats}");
}
