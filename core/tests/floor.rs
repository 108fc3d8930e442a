//! Physical tables: validation of ids, areas and combinations; best fit over specific tables;
//! no table ever holds two parties at one moment, a combination never overlaps its members,
//! every party fits its seats; area requests; the host's moves, early finishes and walk-ins.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;
use proptest::prelude::*;

const NOW: &str = "2027-03-01T08:00:00+00:00";

/// The API.md room: T1-T3 on the terrace, T4-T6 in the hall, T4+T5 pushed together.
const FLOOR: &str = r#"[{"id":"T1","seats":[1,2],"area":"terrace","tags":["window"]},{"id":"T2","seats":[1,2],"area":"terrace"},
  {"id":"T3","seats":[2,4],"area":"terrace"},{"id":"T4","seats":[2,4],"area":"hall"},{"id":"T5","seats":[2,4],"area":"hall"},
  {"id":"T6","seats":[5,6],"area":"hall"}]"#;
const COMBOS: &str = r#"[{"of":["T4","T5"],"seats":[6,8]}]"#;

fn room(tables: &str, combos: &str) -> String {
    format!(
        r#"{{"name":"Sala","timezone":"UTC","horizon_days":3660,"qty":{{"min":1,"max":12}},
        "dimensions":{{"slots":{{"duration_min":90,"interval_min":15,"capacity":40,"concurrent":60,
          "tables":{tables},"combinations":{combos}}}}},"hours":{{"mon":[["19:00","23:00"]]}}}}"#
    )
}

fn fresh() -> Snapshot {
    snap(&room(FLOOR, COMBOS), &[], "2027-02-20", "2027-03-20", NOW)
}

fn item(slot: &str, qty: i64, area: Option<&str>) -> HoldItem {
    HoldItem { resource_id: "r1".into(), date: Some("2027-03-01".into()), slot: Some(slot.into()), qty, area: area.map(Into::into) }
}

fn paths(tables: &str, combos: &str) -> Vec<String> {
    Resource::from_json(room(tables, combos).as_bytes()).unwrap_err().errors.into_iter().map(|e| e.path).collect()
}

/// Holds `item` against the counters; the label of the tables it got.
fn seat(s: &mut Snapshot, slot: &str, qty: i64, area: Option<&str>) -> Option<String> {
    let p = plan_hold(s, &item(slot, qty, area), utc(NOW)).unwrap();
    take(&p, &mut s.counters).map(|c| p.choice_labels[c.unwrap()].clone())
}

#[test]
fn ids_areas_and_combinations_validate_with_field_paths() {
    assert!(Resource::from_json(room(FLOOR, COMBOS).as_bytes()).is_ok());
    let dup = r#"[{"id":"T1","seats":[1,2],"area":"terrace"},{"id":"T1","seats":[1,2],"area":"hall"}]"#;
    assert_eq!(paths(dup, "[]"), ["dimensions.slots.tables[1].id"]);
    let err = Resource::from_json(room(dup, "[]").as_bytes()).unwrap_err();
    assert!(err.errors[0].message.contains("in areas"), "{err}");
    assert_eq!(paths(r#"[{"id":"T1","seats":[1,2],"count":3}]"#, "[]"), ["dimensions.slots.tables[0].count"]);
    assert_eq!(paths(r#"[{"seats":[1,2]}]"#, "[]"), ["dimensions.slots.tables[0]"]);
    assert_eq!(
        paths(r#"[{"id":"T 1","seats":[1,2],"area":"a b"}]"#, "[]"),
        ["dimensions.slots.tables[0].id", "dimensions.slots.tables[0].area"]
    );
    assert_eq!(paths(FLOOR, r#"[{"of":["T4","T9"],"seats":[6,8]}]"#), ["dimensions.slots.combinations[0].of[1]"]);
    assert_eq!(paths(FLOOR, r#"[{"of":["T4","T4"],"seats":[6,8]}]"#), ["dimensions.slots.combinations[0].of[1]"]);
    assert_eq!(paths(FLOOR, r#"[{"of":["T3","T4"],"seats":[6,8]}]"#), ["dimensions.slots.combinations[0].of"], "two areas");
    assert_eq!(paths(FLOOR, r#"[{"of":["T4","T5"],"seats":[8,6]}]"#), ["dimensions.slots.combinations[0].seats"]);
    let pool = r#"[{"type":"4-top","count":2,"seats":[2,4]},{"id":"T1","seats":[1,2]}]"#;
    assert_eq!(paths(pool, r#"[{"of":["4-top","T1"],"seats":[5,6]}]"#), ["dimensions.slots.combinations[0].of[0]"]);
    let many: Vec<String> = (0..101).map(|i| format!(r#"{{"id":"T{i}","seats":[1,2]}}"#)).collect();
    assert_eq!(paths(&format!("[{}]", many.join(",")), "[]"), ["dimensions.slots.tables"]);
}

#[test]
fn best_fit_prefers_fewest_empty_seats_then_single_tables() {
    let s = fresh();
    let labels = |q, area| plan_hold(&s, &item("20:00", q, area), utc(NOW)).unwrap().choice_labels;
    assert_eq!(labels(2, None), ["T1", "T2", "T3", "T4", "T5"]);
    assert_eq!(labels(4, None), ["T3", "T4", "T5"]);
    assert_eq!(labels(6, None), ["T6", "T4+T5"], "a single table before a combination at equal fit");
    assert_eq!(labels(8, None), ["T4+T5"]);
    assert_eq!(labels(2, Some("hall")), ["T4", "T5"]);
    assert_eq!(labels(4, Some("terrace")), ["T3"]);
    let e = plan_hold(&s, &item("20:00", 8, Some("terrace")), utc(NOW)).unwrap_err();
    assert_eq!(e, PlanError::Rule { code: RuleCode::QtyOutOfRange, detail: "no table in area terrace seats a party of 8".into() });
    assert!(matches!(plan_hold(&s, &item("20:00", 2, Some("roof")), utc(NOW)), Err(PlanError::InvalidItem(_))));
}

#[test]
fn an_eight_top_goes_to_the_combination_and_blocks_its_members() {
    let mut s = fresh();
    assert_eq!(seat(&mut s, "20:00", 8, None).as_deref(), Some("T4+T5"));
    assert_eq!(seat(&mut s, "20:30", 4, Some("hall")), None, "T4 and T5 are both under the 8-top");
    assert_eq!(seat(&mut s, "20:30", 4, None).as_deref(), Some("T3"));
    assert_eq!(seat(&mut s, "21:30", 4, Some("hall")).as_deref(), Some("T4"), "free again after 90 minutes");
}

#[test]
fn an_area_refusal_comes_with_alternatives_in_that_area() {
    let mut s = fresh();
    assert_eq!(seat(&mut s, "20:00", 3, Some("terrace")).as_deref(), Some("T3"));
    assert_eq!(seat(&mut s, "20:00", 3, Some("terrace")), None);
    let alts = alternatives_for(&s, &item("20:00", 3, Some("terrace")), utc(NOW), 3);
    assert!(!alts.is_empty());
    let same_day = alts.iter().filter(|a| a.date == date("2027-03-01"));
    assert!(same_day.clone().count() >= 1 && same_day.clone().all(|a| a.slot.as_deref() >= Some("21:30")), "{alts:?}");
    assert!(alts.iter().all(|a| a.remaining == 4), "the terrace's largest table, T3, seats 4: {alts:?}");
}

#[test]
fn remaining_is_what_the_largest_free_table_seats() {
    let mut s = fresh();
    let remaining = |s: &Snapshot| {
        let av = availability(s, &AvailabilityQuery::parse("date=2027-03-01&slot=20:00").unwrap(), utc(NOW), false).unwrap();
        av.slots.unwrap()[0].remaining
    };
    assert_eq!(remaining(&s), 8, "covers allow 40, the combination seats 8");
    seat(&mut s, "20:00", 8, None).unwrap();
    assert_eq!(remaining(&s), 6, "the 6-top");
    seat(&mut s, "20:00", 6, None).unwrap();
    assert_eq!(remaining(&s), 4);
}

#[test]
fn the_shorthand_still_names_its_pool() {
    let pool = r#"[{"type":"4-top","count":2,"seats":[2,4],"area":"hall"}]"#;
    let mut s = snap(&room(pool, "[]"), &[], "2027-02-20", "2027-03-20", NOW);
    assert_eq!(seat(&mut s, "20:00", 4, Some("hall")).as_deref(), Some("4-top"));
    assert_eq!(seat(&mut s, "20:00", 4, None).as_deref(), Some("4-top"));
    assert_eq!(seat(&mut s, "20:00", 4, None), None);
}

#[test]
fn a_move_keeps_the_covers_and_takes_the_new_tables_at_the_same_instants() {
    let s = fresh();
    let p = plan_hold(&s, &item("20:00", 4, None), utc(NOW)).unwrap();
    let takes: Vec<Take> = p.takes.iter().cloned().chain(p.choices[0].clone()).collect();
    let moved = reseat(&s.resource, &takes, 4, &["T5".into(), "T4".into()]).unwrap_err();
    assert!(matches!(moved, PlanError::Rule { code: RuleCode::QtyOutOfRange, .. }), "T4+T5 seats 6 to 8: {moved:?}");
    let r = reseat(&s.resource, &takes, 4, &["T4".into()]).unwrap();
    assert_eq!(r.label, "T4");
    let tables = |ts: &[Take], name: &str| ts.iter().filter(|t| matches!(&t.bucket, Bucket::Table(n, _) if n == name)).count();
    assert_eq!((tables(&takes, "T3"), tables(&r.takes, "T3"), tables(&r.takes, "T4")), (6, 0, 6));
    assert_eq!(r.takes.len(), takes.len());
    assert!(matches!(reseat(&s.resource, &takes, 4, &["T9".into()]), Err(PlanError::InvalidItem(_))));
}

#[test]
fn finishing_frees_tables_and_seats_from_the_current_moment_and_a_walk_in_takes_them() {
    let mut s = fresh();
    let p = plan_hold(&s, &item("20:00", 6, None), utc(NOW)).unwrap();
    let c = take(&p, &mut s.counters).unwrap().unwrap();
    let takes: Vec<Take> = p.takes.iter().cloned().chain(p.choices[c].clone()).collect();
    // The party leaves at 20:40: from the 20:30 moment on, T6 and its seats are free.
    let at = utc("2027-03-01T20:40:00+00:00");
    let left = finished(&takes, at);
    let freed: Vec<&Take> = takes.iter().filter(|t| !left.contains(t)).collect();
    assert!(
        freed.iter().all(|t| t.bucket.to_string().contains("T20:30Z")
            || t.bucket.to_string().contains("T20:45Z")
            || t.bucket.to_string().contains("T21:")),
        "{freed:?}"
    );
    assert_eq!(freed.len(), 8, "T6 and the seats at 20:30, 20:45, 21:00, 21:15");
    assert!(left.iter().any(|t| matches!(t.bucket, Bucket::Slot(..))), "the covers of the slot stay");
    for t in &freed {
        let v = s.counters.get(&t.bucket);
        s.counters.0.insert(t.bucket.clone(), v - t.qty);
    }
    let w = plan_walk_in(&s, at, 5, Some("hall"), None).unwrap();
    assert_eq!((w.slot.as_deref(), w.choice_labels.first().map(String::as_str)), (Some("20:30"), Some("T6")));
    assert!(w.takes.iter().all(|t| matches!(t.bucket, Bucket::Moment(_) | Bucket::Day(_))), "no slot start or pacing");
    assert_eq!(take(&w, &mut s.counters), Some(Some(0)));
    let none = plan_walk_in(&s, at, 5, None, None).unwrap();
    assert_eq!(take(&none, &mut s.counters.clone()), None, "T6 is taken again, T4+T5 seats 6 to 8");
    let closed = plan_walk_in(&s, utc("2027-03-01T12:00:00+00:00"), 2, None, None).unwrap_err();
    assert!(matches!(closed, PlanError::Rule { code: RuleCode::Closed, .. }), "{closed:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever parties arrive (any size, any slot, any area asked), no table is held by two
    /// parties at one moment (a combination counting on each member), every seated party
    /// fits the seats of what it got, its area is the one asked, and the choice made is the
    /// best fit among those free for its whole seating.
    #[test]
    fn no_table_holds_two_parties_and_every_party_fits(
        parties in proptest::collection::vec((0usize..13, 1i64..=9, 0usize..3), 1..60)
    ) {
        let mut s = fresh();
        let r = s.resource.clone();
        let rules = r.slots.as_ref().unwrap();
        let mut seated: Vec<(String, Vec<i64>)> = Vec::new();
        for (slot_ix, qty, a) in parties {
            let area = [None, Some("terrace"), Some("hall")][a];
            let slot = format!("{:02}:{:02}", 19 + slot_ix * 15 / 60, (slot_ix * 15) % 60);
            let Ok(p) = plan_hold(&s, &item(&slot, qty, area), utc(NOW)) else { continue };
            let before = s.counters.clone();
            let free: Vec<bool> = p.choices.iter().map(|c| first_overflow(c, &before).is_none()).collect();
            match take(&p, &mut s.counters) {
                Some(Some(i)) => {
                    prop_assert_eq!(free.iter().position(|f| *f), Some(i), "the first free choice, best fit first");
                    let label = &p.choice_labels[i];
                    let (min, max, at) = match rules.tables.iter().find(|t| &t.name == label) {
                        Some(t) => (t.min, t.max, t.area.clone()),
                        None => { let j = rules.joins.iter().find(|j| &j.label == label).unwrap(); (j.min, j.max, j.area.clone()) }
                    };
                    prop_assert!(min <= qty as u32 && qty as u32 <= max, "{} seats {}..{}, party {}", label, min, max, qty);
                    if let Some(want) = area { prop_assert_eq!(at.as_deref(), Some(want)); }
                    let start = 19 * 60 + slot_ix as i64 * 15;
                    for name in label.split('+') {
                        seated.push((name.to_string(), vec![start, start + 90]));
                    }
                }
                Some(None) => prop_assert!(false, "a room with tables always assigns one"),
                None => prop_assert_eq!(&s.counters, &before, "a refusal takes nothing"),
            }
        }
        // From the seatings themselves: no two on one table overlap in time.
        for (i, (t, a)) in seated.iter().enumerate() {
            for (u, b) in &seated[i + 1..] {
                prop_assert!(t != u || a[1] <= b[0] || b[1] <= a[0], "{} held twice: {:?} and {:?}", t, a, b);
            }
        }
        for (b, v) in &s.counters.0 {
            if let Bucket::Table(_, _) = b { prop_assert!(*v <= 1, "{}: {}", b, v); }
        }
    }
}
