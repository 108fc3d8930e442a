//! Restaurant tables: validation, best fit, no table double-booked at any moment, and
//! `no_table` in availability.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;
use proptest::prelude::*;

const NOW: &str = "2027-03-01T08:00:00+00:00";

fn room(tables: &str, joins: &str) -> String {
    format!(
        r#"{{"name":"Sala","timezone":"UTC","horizon_days":3660,"qty":{{"min":1,"max":12}},
        "dimensions":{{"slots":{{"duration_min":90,"interval_min":15,"capacity":40,"concurrent":60,
          "tables":{tables},"joins":{joins}}}}},"hours":{{"mon":[["19:00","23:00"]],"tue":[["19:00","23:00"]]}}}}"#
    )
}

const TABLES: &str =
    r#"[{"type":"2-top","count":2,"seats":[1,2]},{"type":"4-top","count":2,"seats":[2,4]},{"type":"6-top","count":1,"seats":[5,6]}]"#;
const JOINS: &str = r#"[{"of":["4-top","4-top"],"seats":[7,8]},{"of":["6-top","2-top"],"seats":[7,8]}]"#;

fn item(slot: &str, qty: i64) -> HoldItem {
    HoldItem { resource_id: "r1".into(), date: Some("2027-03-01".into()), slot: Some(slot.into()), qty, area: None }
}

fn fresh() -> Snapshot {
    snap(&room(TABLES, JOINS), &[], "2027-02-20", "2027-03-20", NOW)
}

#[test]
fn tables_validate_with_field_paths() {
    let paths =
        |t: &str, j: &str| Resource::from_json(room(t, j).as_bytes()).unwrap_err().errors.into_iter().map(|e| e.path).collect::<Vec<_>>();
    assert_eq!(
        paths(
            r#"[{"type":"2-top","count":1,"seats":[3,2]},{"type":"2-top","count":1,"seats":[1,2]},{"type":"a b","count":1,"seats":[1,2]}]"#,
            "[]"
        ),
        ["dimensions.slots.tables[0].seats", "dimensions.slots.tables[1].type", "dimensions.slots.tables[2].type"]
    );
    assert_eq!(paths(TABLES, r#"[{"of":["4-top","9-top"],"seats":[7,8]}]"#), ["dimensions.slots.joins[0].of[1]"]);
    assert_eq!(paths(TABLES, r#"[{"of":["6-top","6-top"],"seats":[9,12]}]"#), ["dimensions.slots.joins[0].of"]);
    assert_eq!(paths(TABLES, r#"[{"of":["4-top"],"seats":[7,8]}]"#), ["dimensions.slots.joins[0].of"]);
    assert_eq!(
        paths("[]", r#"[{"of":["4-top","4-top"],"seats":[7,8]}]"#),
        ["dimensions.slots.joins", "dimensions.slots.joins[0].of[0]", "dimensions.slots.joins[0].of[1]"]
    );
    assert!(Resource::from_json(room(TABLES, JOINS).as_bytes()).is_ok());
}

#[test]
fn best_fit_is_fewest_empty_seats_then_the_smallest_type() {
    let s = fresh();
    let labels = |q| plan_hold(&s, &item("20:00", q), utc(NOW)).unwrap().choice_labels;
    assert_eq!(labels(1), ["2-top"]); // the 4-top seats 2 to 4: not a party of one
    assert_eq!(labels(2), ["2-top", "4-top"]);
    assert_eq!(labels(3), ["4-top"]);
    assert_eq!(labels(5), ["6-top"]);
    assert_eq!(labels(7), ["4-top+4-top", "6-top+2-top"]);
    assert_eq!(labels(8), ["4-top+4-top", "6-top+2-top"]);
    assert_eq!(
        plan_hold(&s, &item("20:00", 9), utc(NOW)).unwrap_err(),
        PlanError::Rule { code: RuleCode::QtyOutOfRange, detail: "no table seats a party of 9".into() }
    );
}

#[test]
fn a_table_is_never_double_booked_across_overlapping_seatings() {
    let mut s = fresh();
    // The 6-top at 20:00 is in use until 21:30.
    let a = plan_hold(&s, &item("20:00", 6), utc(NOW)).unwrap();
    assert_eq!(take(&a, &mut s.counters), Some(Some(0)));
    for slot in ["20:15", "21:15"] {
        let p = plan_hold(&s, &item(slot, 5), utc(NOW)).unwrap();
        assert_eq!(take(&p, &mut s.counters.clone()), None, "{slot}: the only 6-top is taken");
    }
    let later = plan_hold(&s, &item("21:30", 6), utc(NOW)).unwrap();
    assert_eq!(take(&later, &mut s.counters), Some(Some(0)), "free again as the first seating ends");
    // Availability says why: covers are free, no table seats a party of 5 at 20:30.
    let av = availability(&s, &AvailabilityQuery::parse("date=2027-03-01&qty=5&slot=20:30").unwrap(), utc(NOW), false).unwrap();
    let slot = &av.slots.as_ref().unwrap()[0];
    assert_eq!((slot.status, slot.reason), (Status::SoldOut, Some("no_table")));
    assert!(slot.remaining >= 5);
    assert_eq!(av.alternatives[0].slot.as_deref(), Some("19:00"), "{:?}", av.alternatives);
    let j = to_json(slot);
    assert!(j.contains(r#""reason":"no_table""#), "{j}");
}

#[test]
fn a_big_party_takes_a_join_and_leaves_small_tables_alone() {
    let mut s = fresh();
    let p = plan_hold(&s, &item("20:00", 8), utc(NOW)).unwrap();
    assert_eq!(take(&p, &mut s.counters), Some(Some(0)));
    assert_eq!(s.counters.get(&"t:4-top@2027-03-01T20:00Z".parse().unwrap()), 2);
    // Both 4-tops are gone: the next party of 8 gets the other join, a party of 3 gets nothing.
    let p2 = plan_hold(&s, &item("20:00", 8), utc(NOW)).unwrap();
    assert_eq!(take(&p2, &mut s.counters), Some(Some(1)));
    let p3 = plan_hold(&s, &item("20:15", 3), utc(NOW)).unwrap();
    assert_eq!(take(&p3, &mut s.counters), None);
    // Two parties of two still fit on... nothing: both 2-tops? One went into the 6+2 join.
    let p4 = plan_hold(&s, &item("20:15", 2), utc(NOW)).unwrap();
    assert_eq!(take(&p4, &mut s.counters), Some(Some(0)));
    let p5 = plan_hold(&s, &item("20:15", 2), utc(NOW)).unwrap();
    assert_eq!(take(&p5, &mut s.counters), None);
}

#[test]
fn resources_without_tables_plan_no_choices() {
    let s = snap(TRATTORIA, &[], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    let p = plan_hold(
        &s,
        &HoldItem { resource_id: "r".into(), date: Some("2026-12-05".into()), slot: Some("20:00".into()), qty: 2, area: None },
        s.as_of,
    )
    .unwrap();
    assert!(p.choices.is_empty() && p.choice_labels.is_empty());
}

#[test]
fn table_buckets_round_trip() {
    let b: Bucket = "t:4-top@2027-03-01T20:00Z".parse().unwrap();
    assert_eq!(b.to_string(), "t:4-top@2027-03-01T20:00Z");
    assert!("t:@2027-03-01T20:00Z".parse::<Bucket>().is_err());
    assert!("t:a b@2027-03-01T20:00Z".parse::<Bucket>().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever parties arrive, no table type is over its count at any moment, and every
    /// seated party sits at a table (or join) whose seats fit it.
    #[test]
    fn tables_never_overbook_and_always_fit(parties in proptest::collection::vec((0usize..11, 1i64..=8), 1..80)) {
        let mut s = fresh();
        let r = s.resource.clone();
        let rules = r.slots.as_ref().unwrap();
        for (slot_ix, qty) in parties {
            let slot = format!("{:02}:{:02}", 19 + slot_ix * 15 / 60, (slot_ix * 15) % 60);
            let p = plan_hold(&s, &item(&slot, qty), utc(NOW)).unwrap();
            let before = s.counters.clone();
            if let Some(Some(i)) = take(&p, &mut s.counters) {
                let label = &p.choice_labels[i];
                let (min, max) = match rules.tables.iter().find(|t| &t.name == label) {
                    Some(t) => (t.min, t.max),
                    None => { let j = rules.joins.iter().find(|j| &j.label == label).unwrap(); (j.min, j.max) }
                };
                prop_assert!(min <= qty as u32 && qty as u32 <= max, "{label} seats {min}..{max}, party {qty}");
            } else {
                prop_assert_eq!(&s.counters, &before, "a refusal takes nothing");
            }
        }
        for (b, v) in &s.counters.0 {
            if let Bucket::Table(kind, _) = b {
                let count = rules.tables.iter().find(|t| &t.name == kind).unwrap().count;
                prop_assert!(*v <= count, "{b}: {v} > {count}");
            }
        }
    }
}
