//! The group commit below HTTP: `aforo_hold_group` decides N holds of one resource in one
//! call exactly as N calls of `aforo_hold` (and the core's `take`, one after the other) do,
//! each with its own replay, refusal and shadow; and the coalescer answers every caller.

use super::*;

#[derive(Debug, Clone)]
struct Plan {
    takes: BTreeMap<u32, (u32, u32)>,
    choices: Vec<BTreeMap<u32, (u32, u32)>>,
    shadow: bool,
}

/// Initial day counters, table counters, and holds cut into groups (sizes 1..=8).
fn cases() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, Vec<Vec<Plan>>)> {
    let plan = (
        prop::collection::btree_map(0..4u32, (1..5u32, 0..25u32), 1..=4),
        prop::collection::vec(prop::collection::btree_map(0..3u32, (1..3u32, 0..4u32), 1..=2), 0..=3),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(takes, choices, shadow)| Plan { takes, choices, shadow });
    (
        prop::collection::vec(0..10u32, 4),
        prop::collection::vec(0..4u32, 3),
        prop::collection::vec(prop::collection::vec(plan, 1..=8), 1..=4),
    )
}

fn takes_of(m: &BTreeMap<u32, (u32, u32)>, bucket: fn(u32) -> Bucket) -> Vec<Take> {
    m.iter().map(|(b, (q, l))| t(bucket(*b), *q, *l)).collect()
}

fn nonzero(model: &Counters) -> BTreeMap<String, u32> {
    model.0.iter().filter(|(_, v)| **v > 0).map(|(b, v)| (b.to_string(), *v)).collect()
}

async fn run_case(store: &Store, id: &str, days: Vec<u32>, tables: Vec<u32>, groups: Vec<Vec<Plan>>) -> Result<(), TestCaseError> {
    resource(store, id, None).await;
    let mut model = Counters::default();
    let mut fields = Vec::new();
    let initial =
        days.iter().enumerate().map(|(i, v)| (day(i as u32), *v)).chain(tables.iter().enumerate().map(|(i, v)| (tbl(i as u32), *v)));
    for (b, v) in initial {
        fields.push((b.to_string(), v.to_string()));
        model.0.insert(b, v);
    }
    let _: () = store.pool().next().hset(ResourceKeys::new(id).counters(), fields).await.unwrap();
    let mut n = 0;
    for (gi, group) in groups.iter().enumerate() {
        let mut parts = Vec::new();
        let mut expected = Vec::new();
        for p in group {
            n += 1;
            let takes = takes_of(&p.takes, day);
            let choices: Vec<Choice> =
                p.choices.iter().enumerate().map(|(i, c)| Choice { label: format!("C{i}"), takes: takes_of(c, tbl) }).collect();
            let plan_choices: Vec<Vec<Take>> = choices.iter().map(|c| c.takes.clone()).collect();
            // The core, one hold after the other: what each member of the group must get.
            expected.push(if p.shadow {
                let s = decide_shadow(&takes, &plan_choices, &mut model);
                Ok((s.chosen.map(|i| format!("C{i}")).unwrap_or_default(), s.over.iter().map(ToString::to_string).collect::<Vec<_>>()))
            } else {
                let plan = HoldPlan {
                    resource_id: id.into(),
                    version: 1,
                    date: None,
                    slot: None,
                    start: None,
                    qty: 1,
                    takes: takes.clone(),
                    choices: plan_choices,
                    choice_labels: choices.iter().map(|c| c.label.clone()).collect(),
                    price: None,
                    ttl_s: 60,
                    area: None,
                };
                let overflow = first_overflow(&plan.takes, &model)
                    .map(|o| (o.bucket.to_string(), u64::from(model.get(&o.bucket)), u64::from(o.limit)));
                match take(&plan, &mut model) {
                    Some(choice) => Ok((choice.map(|i| format!("C{i}")).unwrap_or_default(), Vec::new())),
                    None => Err(overflow),
                }
            });
            parts.push(HoldArgs { choices, shadow: p.shadow, ..args(id, n, "h", takes) });
        }
        let got = store.hold_group(id, &parts).await.unwrap();
        prop_assert_eq!(got.len(), parts.len());
        for (k, (want, got)) in expected.into_iter().zip(got).enumerate() {
            match (want, got) {
                (Ok((table, over)), HoldReply::Taken { table: t2, over: o2, .. }) => {
                    prop_assert_eq!((table, over), (t2, o2), "group {} hold {}", gi, k);
                }
                (Err(Some((bucket, have, limit))), HoldReply::SoldOut { bucket: b2, have: h2, limit: l2 }) => {
                    prop_assert_eq!((bucket, have, limit), (b2, h2, l2), "group {} hold {}", gi, k);
                }
                (Err(None), HoldReply::SoldOut { bucket, .. }) => prop_assert_eq!(bucket.as_str(), "no_table", "group {} hold {}", gi, k),
                (w, g) => return Err(TestCaseError::fail(format!("group {gi} hold {k}: the core decided {w:?}, the store {g:?}"))),
            }
        }
        prop_assert_eq!(counters(store, id).await, nonzero(&model), "counters after group {}", gi);
    }
    Ok(())
}

#[test]
fn a_group_decides_its_holds_as_the_core_takes_them_one_after_the_other() {
    let redis = Redis::start(&[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(connect(&redis));
    let n = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    runner
        .run(&cases(), |(days, tables, groups)| {
            rt.block_on(run_case(&store, &format!("g{}", n.fetch_add(1, Ordering::Relaxed)), days, tables, groups))
        })
        .unwrap();
}

#[tokio::test]
async fn replays_refusals_and_a_moved_version_inside_one_group() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let before = args("r", 1, "p1", vec![t(Bucket::Stock, 1, 3)]);
    let HoldReply::Taken { expires_at_ms: first_exp, .. } = store.hold_part(&before).await.unwrap() else { panic!() };
    let a = args("r", 2, "p2", vec![t(Bucket::Stock, 1, 3)]);
    let too_many = args("r", 3, "p3", vec![t(Bucket::Stock, 2, 3)]);
    let c = args("r", 4, "p4", vec![t(Bucket::Stock, 1, 3)]);
    let stale = HoldArgs { version: 7, ..args("r", 5, "p5", vec![t(Bucket::Stock, 1, 3)]) };
    let group = vec![
        before.clone(),                                         // made before the group: replayed
        a.clone(),                                              // taken (2 of 3)
        a.clone(),                                              // the same key again: replays what the group made
        HoldArgs { payload_hash: "other".into(), ..a.clone() }, // the same key, another payload
        too_many.clone(),                                       // refused in the middle: 2 + 2 > 3
        stale,                                                  // planned against another version
        c.clone(),                                              // still taken after the refusal (3 of 3)
    ];
    let got = store.hold_group("r", &group).await.unwrap();
    let HoldReply::Taken { expires_at_ms: a_exp, .. } = got[1] else { panic!("{got:?}") };
    assert_eq!(got[0], HoldReply::Replay { id: before.hold_id.clone(), status: HoldStatus::Held, expires_at_ms: first_exp });
    assert_eq!(got[2], HoldReply::Replay { id: a.hold_id.clone(), status: HoldStatus::Held, expires_at_ms: a_exp });
    assert_eq!(got[3], HoldReply::Reused);
    assert_eq!(got[4], HoldReply::SoldOut { bucket: "stock".into(), have: 2, limit: 3 });
    assert_eq!(got[5], HoldReply::Version { current: Some(1) });
    assert!(matches!(&got[6], HoldReply::Taken { id, .. } if *id == c.hold_id), "{got:?}");
    assert_eq!(counters(&store, "r").await, named(&[(&Bucket::Stock, 3)]));
    assert_eq!(expiring(&store, "r").await, 3);
    assert_eq!(store.hold_record("r", &too_many.hold_id).await.unwrap(), None, "a refusal leaves no record");
    // Each record as `aforo_hold` writes it: a replay of the group's holds one by one agrees.
    assert_eq!(
        store.hold_part(&c).await.unwrap(),
        HoldReply::Replay { id: c.hold_id.clone(), status: HoldStatus::Held, expires_at_ms: a_exp }
    );
    // One event for the group: its holds' ids, the bucket's summed delta and final count.
    let ev: Vec<(String, HashMap<String, String>)> =
        store.pool().next().xrange(ResourceKeys::new("r").events(), "-", "+", None).await.unwrap();
    let last = &ev.last().unwrap().1;
    assert_eq!(ev.len(), 3, "the put, the first hold, then one entry for the group");
    assert_eq!(last["hold"], format!("{},{}", a.hold_id, c.hold_id));
    assert_eq!(last["changes"], r#"[{"bucket":"stock","delta":2,"committed":3,"remaining":0}]"#);
}

#[tokio::test]
async fn a_voided_key_and_a_cart_home_go_through_a_group() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    resource(&store, "s", None).await;
    // A cart: its home part pending in a group on r, with a plain hold; its other part on s.
    let home = HoldArgs {
        status: HoldStatus::Pending,
        home: Some(Home { body: Vec::new(), parts: vec!["s".into()] }),
        ..args("r", 1, "cart", vec![t(Bucket::Stock, 1, 2)])
    };
    let other = args("r", 2, "x", vec![t(Bucket::Stock, 1, 2)]);
    let got = store.hold_group("r", &[home.clone(), other]).await.unwrap();
    assert!(matches!(&got[0], HoldReply::Taken { status: HoldStatus::Pending, .. }), "{got:?}");
    assert!(matches!(&got[1], HoldReply::Taken { status: HoldStatus::Held, .. }), "{got:?}");
    let part = HoldArgs { resource: "s".into(), home: None, ..args("s", 1, "cart", vec![t(Bucket::Stock, 1, 1)]) };
    let part = HoldArgs { hold_id: home.hold_id.clone(), ..part };
    assert!(matches!(store.hold_group("s", &[part]).await.unwrap()[0], HoldReply::Taken { .. }));
    assert_eq!(store.finish("r", &home.hold_id).await.unwrap(), Some(HoldStatus::Held));
    // A voided step is taken afresh by a group, as by `aforo_hold`.
    assert_eq!(store.release("r", &home.hold_id, true).await.unwrap(), PartReply::Ok(HoldStatus::Void));
    let got = store.hold_group("r", std::slice::from_ref(&home)).await.unwrap();
    assert!(matches!(&got[0], HoldReply::Taken { status: HoldStatus::Pending, .. }), "{got:?}");
    assert_eq!(counters(&store, "r").await, named(&[(&Bucket::Stock, 2)]));
}

#[tokio::test]
async fn the_coalescer_answers_every_caller_and_groups_behind_a_call_in_flight() {
    let mut redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let co = Coalescer::new(store.clone(), 16);
    let mut tasks = Vec::new();
    for n in 0..200 {
        let (co, a) = (co.clone(), args("r", n, "c", vec![t(Bucket::Stock, 1, 150)]));
        tasks.push(tokio::spawn(async move { co.hold(a).await }));
    }
    let mut taken = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            HoldReply::Taken { .. } => taken += 1,
            HoldReply::SoldOut { .. } => refused += 1,
            r => panic!("{r:?}"),
        }
    }
    assert_eq!((taken, refused), (150, 50));
    assert_eq!(counters(&store, "r").await, named(&[(&Bucket::Stock, 150)]));
    // A failed call fails every caller of its group with the store's error.
    redis.kill();
    let mut tasks = Vec::new();
    for n in 300..310 {
        let (co, a) = (co.clone(), args("r", n, "c", vec![t(Bucket::Stock, 1, 150)]));
        tasks.push(tokio::spawn(async move { co.hold(a).await }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_err());
    }
}

#[tokio::test]
async fn a_group_seats_tables_in_order_and_lists_each_hold_on_its_date() {
    let redis = Redis::start(&[]);
    let store = connect(&redis).await;
    resource(&store, "r", None).await;
    let choices = vec![
        Choice { label: "T1".into(), takes: vec![t(tbl(1), 1, 1)] },
        Choice { label: "T4+T5".into(), takes: vec![t(tbl(4), 1, 1), t(tbl(5), 1, 1)] },
    ];
    let on = |n: usize, date: u32| HoldArgs {
        choices: choices.clone(),
        date_index: NaiveDate::from_ymd_opt(2027, 3, date),
        ..args("r", n, "h", vec![t(day(0), 2, 10)])
    };
    // The first takes T1, the second the join, the third finds nothing left: no record, no
    // entry in the date's list, no covers.
    let (a, b, c) = (on(1, 1), on(2, 2), on(3, 1));
    let got = store.hold_group("r", &[a.clone(), b.clone(), c.clone()]).await.unwrap();
    assert!(matches!(&got[0], HoldReply::Taken { table, .. } if table == "T1"), "{got:?}");
    assert!(matches!(&got[1], HoldReply::Taken { table, .. } if table == "T4+T5"), "{got:?}");
    assert_eq!(got[2], HoldReply::SoldOut { bucket: "no_table".into(), have: 0, limit: 0 });
    assert_eq!(counters(&store, "r").await, named(&[(&day(0), 4), (&tbl(1), 1), (&tbl(4), 1), (&tbl(5), 1)]));
    assert_eq!(store.holds_of_date("r", "2027-03-01").await.unwrap(), vec![a.hold_id.clone()]);
    assert_eq!(store.holds_of_date("r", "2027-03-02").await.unwrap(), vec![b.hold_id.clone()]);
    assert_eq!(store.hold_record("r", &b.hold_id).await.unwrap().unwrap().table.as_deref(), Some("T4+T5"));
    assert_eq!(store.hold_record("r", &c.hold_id).await.unwrap(), None);
}
