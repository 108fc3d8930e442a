//! The library decides every hold as the core does: random counters, limits and plans.

use super::*;

/// One random case: initial counters of four day buckets and three table buckets, and holds
/// each taking some day buckets (qty, limit) and offering table choices.
#[derive(Debug, Clone)]
struct Case {
    days: Vec<u32>,
    tables: Vec<u32>,
    holds: Vec<Plan>,
}

#[derive(Debug, Clone)]
struct Plan {
    takes: BTreeMap<u32, (u32, u32)>,
    choices: Vec<BTreeMap<u32, (u32, u32)>>,
    shadow: bool,
}

fn cases() -> impl Strategy<Value = Case> {
    let plan = (
        prop::collection::btree_map(0..4u32, (1..5u32, 0..25u32), 1..=4),
        prop::collection::vec(prop::collection::btree_map(0..3u32, (1..3u32, 0..4u32), 1..=2), 0..=3),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(takes, choices, shadow)| Plan { takes, choices, shadow });
    (prop::collection::vec(0..10u32, 4), prop::collection::vec(0..4u32, 3), prop::collection::vec(plan, 1..=6))
        .prop_map(|(days, tables, holds)| Case { days, tables, holds })
}

fn takes_of(m: &BTreeMap<u32, (u32, u32)>, bucket: fn(u32) -> Bucket) -> Vec<Take> {
    m.iter().map(|(b, (q, l))| t(bucket(*b), *q, *l)).collect()
}

async fn run_case(store: &Store, id: &str, case: Case) -> Result<(), TestCaseError> {
    resource(store, id, None).await;
    let mut model = Counters::default();
    let initial: Vec<(Bucket, u32)> = case
        .days
        .iter()
        .enumerate()
        .map(|(i, v)| (day(i as u32), *v))
        .chain(case.tables.iter().enumerate().map(|(i, v)| (tbl(i as u32), *v)))
        .collect();
    let mut fields = Vec::new();
    for (b, v) in &initial {
        fields.push((b.to_string(), v.to_string()));
        model.0.insert(b.clone(), *v);
    }
    let _: () = store.pool().next().hset(ResourceKeys::new(id).counters(), fields).await.unwrap();
    for (n, p) in case.holds.iter().enumerate() {
        let takes = takes_of(&p.takes, day);
        let choices: Vec<Choice> =
            p.choices.iter().enumerate().map(|(i, c)| Choice { label: format!("C{i}"), takes: takes_of(c, tbl) }).collect();
        let plan = HoldPlan {
            resource_id: id.into(),
            version: 1,
            date: None,
            slot: None,
            start: None,
            qty: 1,
            takes: takes.clone(),
            choices: choices.iter().map(|c| c.takes.clone()).collect(),
            choice_labels: choices.iter().map(|c| c.label.clone()).collect(),
            price: None,
            ttl_s: 60,
            area: None,
        };
        if p.shadow {
            // Shadow: never refused; the same choice, and the buckets passed named alike.
            let s = decide_shadow(&plan.takes, &plan.choices, &mut model);
            let got = store.hold_part(&HoldArgs { choices, shadow: true, ..args(id, n, "h", takes) }).await.unwrap();
            let HoldReply::Taken { table, over, .. } = got else { return Err(TestCaseError::fail(format!("hold {n} in shadow: {got:?}"))) };
            prop_assert_eq!(table, s.chosen.map(|i| format!("C{i}")).unwrap_or_default(), "hold {}", n);
            prop_assert_eq!(over, s.over.iter().map(ToString::to_string).collect::<Vec<_>>(), "hold {}", n);
            let expected: BTreeMap<String, u32> = model.0.iter().filter(|(_, v)| **v > 0).map(|(b, v)| (b.to_string(), *v)).collect();
            prop_assert_eq!(counters(store, id).await, expected, "counters after hold {}", n);
            continue;
        }
        let overflow = first_overflow(&plan.takes, &model);
        let decided = take(&plan, &mut model);
        let got = store.hold_part(&HoldArgs { choices, ..args(id, n, "h", takes) }).await.unwrap();
        match (decided, got) {
            (Some(choice), HoldReply::Taken { table, .. }) => {
                prop_assert_eq!(table, choice.map(|i| format!("C{i}")).unwrap_or_default(), "hold {}", n);
            }
            (None, HoldReply::SoldOut { bucket, have, limit }) => match overflow {
                Some(o) => {
                    prop_assert_eq!(&bucket, &o.bucket.to_string(), "hold {}", n);
                    prop_assert_eq!((have, limit), (u64::from(model.get(&o.bucket)), u64::from(o.limit)));
                }
                None => prop_assert_eq!(bucket.as_str(), "no_table", "hold {}", n),
            },
            (d, g) => return Err(TestCaseError::fail(format!("hold {n}: the core decided {d:?}, the store answered {g:?}"))),
        }
        let expected: BTreeMap<String, u32> = model.0.iter().filter(|(_, v)| **v > 0).map(|(b, v)| (b.to_string(), *v)).collect();
        prop_assert_eq!(counters(store, id).await, expected, "counters after hold {}", n);
    }
    Ok(())
}

#[test]
fn the_library_decides_every_hold_as_the_core_take_does() {
    let redis = Redis::start(&[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(connect(&redis));
    let n = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    runner.run(&cases(), |case| rt.block_on(run_case(&store, &format!("p{}", n.fetch_add(1, Ordering::Relaxed)), case))).unwrap();
}
