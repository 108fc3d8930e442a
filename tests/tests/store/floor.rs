//! The host's steps below HTTP: `aforo_reseat` swaps a seating's takes all or nothing,
//! compare-and-set on the takes its record had, checking only the counters that rise; a
//! consumed seating's settled ledger moves with it; a walk-in is taken seated.

use aforo_origin::store::{encode_takes, ReseatReply, Swap, SwapKind};

use super::*;

/// A seating of `n` on table `table` at two instants, with its cover on day 0.
fn seating(table: &str, n: u32) -> Vec<Take> {
    let at = |m: i64| Bucket::Table(table.to_string(), 28_000_000 + m);
    vec![t(day(0), n, 40), t(at(0), 1, 1), t(at(30), 1, 1)]
}

fn swap<'a>(id: &'a str, expected: &'a str, takes: &'a [Take], label: &'a str) -> Swap<'a> {
    Swap { resource: "r", hold_id: id, version: 1, expected, takes, label, kind: SwapKind::Moved, fields: Vec::new() }
}

#[tokio::test]
async fn a_reseat_swaps_all_or_nothing_and_compares_the_takes_it_read() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let a = args("r", 1, "a", seating("T1", 2));
    let b = args("r", 2, "b", seating("T2", 3));
    store.hold_part(&a).await.unwrap();
    store.hold_part(&b).await.unwrap();
    let before = counters(&store, "r").await;
    let wire = encode_takes(&a.takes);

    // The record's takes moved since they were read: 'changed', nothing touched.
    let to_t3 = seating("T3", 2);
    assert_eq!(store.reseat(&swap(&a.hold_id, "stale", &to_t3, "T3")).await.unwrap(), ReseatReply::Changed);
    assert_eq!(counters(&store, "r").await, before);
    // A plan of another version: refused untouched.
    let stale = Swap { version: 9, ..swap(&a.hold_id, &wire, &to_t3, "T3") };
    assert_eq!(store.reseat(&stale).await.unwrap(), ReseatReply::Version { current: Some(1) });

    // Onto T2, held by b: 'taken' naming the first counter that would pass, nothing changed
    // (T1 stays taken by a, T2 by b).
    let to_t2 = seating("T2", 2);
    let r = store.reseat(&swap(&a.hold_id, &wire, &to_t2, "T2")).await.unwrap();
    assert_eq!(r, ReseatReply::Taken { bucket: to_t2[1].bucket.to_string(), have: 1, limit: 1 });
    assert_eq!(counters(&store, "r").await, before);
    assert_eq!(store.hold_record("r", &a.hold_id).await.unwrap().unwrap().takes, wire);

    // Onto T3, free: T1 comes back, T3 is taken, the cover (unchanged) is not counted twice.
    assert_eq!(store.reseat(&swap(&a.hold_id, &wire, &to_t3, "T3")).await.unwrap(), ReseatReply::Ok(HoldStatus::Held));
    let after = counters(&store, "r").await;
    assert_eq!(after.get(&to_t3[1].bucket.to_string()), Some(&1));
    assert_eq!(after.get(&a.takes[1].bucket.to_string()), None);
    assert_eq!(after.get(&day(0).to_string()), Some(&5));
    let rec = store.hold_record("r", &a.hold_id).await.unwrap().unwrap();
    assert_eq!((rec.takes.as_str(), rec.table.as_deref()), (encode_takes(&to_t3).as_str(), Some("T3")));
    // The old takes no longer compare.
    assert_eq!(store.reseat(&swap(&a.hold_id, &wire, &to_t2, "T2")).await.unwrap(), ReseatReply::Changed);
    // Only what rises is checked: a seating on a full counter keeps it (here the cover's
    // limit is 5, already reached, and the swap leaves it as it is).
    let tight: Vec<Take> = to_t3.iter().map(|x| if x.bucket == day(0) { t(day(0), 2, 5) } else { x.clone() }).collect();
    let mut back = tight.clone();
    back[1] = t(a.takes[1].bucket.clone(), 1, 1);
    let now = encode_takes(&to_t3);
    assert_eq!(store.reseat(&swap(&a.hold_id, &now, &back, "T1")).await.unwrap(), ReseatReply::Ok(HoldStatus::Held));
    let checked = store.check("r", false).await.unwrap().unwrap();
    assert!(checked.drift.is_empty(), "{checked:?}");

    // A consumed seating is seated, then finished early: only a seated one finishes, its
    // settled ledger moves with it, nothing drifts.
    assert_eq!(store.consume("r", &b.hold_id).await.unwrap(), PartReply::Ok(HoldStatus::Consumed));
    let bwire = encode_takes(&b.takes);
    let first_only = vec![b.takes[0].clone(), b.takes[1].clone()];
    let fin = Swap { kind: SwapKind::Finished, ..swap(&b.hold_id, &bwire, &first_only, "T2") };
    assert_eq!(store.reseat(&fin).await.unwrap(), ReseatReply::NotActive(HoldStatus::Consumed), "not seated yet");
    let seat = Swap { kind: SwapKind::Seated, ..swap(&b.hold_id, &bwire, &b.takes, "T2") };
    assert_eq!(store.reseat(&seat).await.unwrap(), ReseatReply::Ok(HoldStatus::Consumed));
    assert_eq!(store.reseat(&seat).await.unwrap(), ReseatReply::Ok(HoldStatus::Seated), "idempotent by its target");
    assert_eq!(store.reseat(&fin).await.unwrap(), ReseatReply::Ok(HoldStatus::Seated));
    let rec = store.hold_record("r", &b.hold_id).await.unwrap().unwrap();
    assert!(rec.finished_at_ms.is_some() && rec.seated_at_ms.is_some() && rec.status == HoldStatus::Finished, "{rec:?}");
    assert_eq!(counters(&store, "r").await.get(&b.takes[2].bucket.to_string()), None);
    let checked = store.check("r", false).await.unwrap().unwrap();
    assert!(checked.drift.is_empty(), "{checked:?}");

    // Not live: a released hold, a missing one.
    assert_eq!(store.release("r", &a.hold_id, false).await.unwrap(), PartReply::Ok(HoldStatus::Released));
    let rel = store.hold_record("r", &a.hold_id).await.unwrap().unwrap().takes;
    assert_eq!(store.reseat(&swap(&a.hold_id, &rel, &to_t3, "T3")).await.unwrap(), ReseatReply::NotActive(HoldStatus::Released));
    assert_eq!(store.reseat(&swap("h_nothing_r", "", &to_t3, "T3")).await.unwrap(), ReseatReply::NotFound);
}

#[tokio::test]
async fn a_held_seating_past_its_expiry_is_not_moved() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let a = HoldArgs { ttl: Duration::from_millis(1), ..args("r", 1, "a", seating("T1", 2)) };
    store.hold_part(&a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let to = seating("T3", 2);
    let r = store.reseat(&swap(&a.hold_id, &encode_takes(&a.takes), &to, "T3")).await.unwrap();
    assert_eq!(r, ReseatReply::NotActive(HoldStatus::Expired));
}

#[tokio::test]
async fn a_walk_in_is_seated_in_the_step_that_takes_it() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let date = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let w = HoldArgs { status: HoldStatus::Seated, date_index: Some(date), ..args("r", 1, "w", seating("T1", 2)) };
    let HoldReply::Taken { status, .. } = store.walk_in(&w).await.unwrap() else { panic!() };
    assert_eq!(status, HoldStatus::Seated);
    assert_eq!(expiring(&store, "r").await, 0, "no expiry entry");
    let rec = store.hold_record("r", &w.hold_id).await.unwrap().unwrap();
    assert_eq!(rec.status, HoldStatus::Seated);
    assert!(rec.consumed_at_ms.is_some());
    assert_eq!(store.holds_of_date("r", "2027-03-01").await.unwrap(), vec![w.hold_id.clone()]);
    let checked = store.check("r", false).await.unwrap().unwrap();
    assert!(checked.drift.is_empty() && checked.stale.is_empty(), "{checked:?}");
    // A replay answers the seating; the same table for another party is refused whole.
    assert!(matches!(store.walk_in(&w).await.unwrap(), HoldReply::Replay { status: HoldStatus::Seated, .. }));
    let other = HoldArgs { status: HoldStatus::Seated, date_index: Some(date), ..args("r", 2, "x", seating("T1", 2)) };
    assert!(matches!(store.walk_in(&other).await.unwrap(), HoldReply::SoldOut { .. }));
    assert_eq!(counters(&store, "r").await.get(&day(0).to_string()), Some(&2));
    // Without its date index, the store refuses to call.
    assert!(store.walk_in(&HoldArgs { date_index: None, ..other }).await.is_err());
}
