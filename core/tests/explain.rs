//! `limited_by` and `max_party` (API.md "Explainable availability"): a golden answer for
//! every rule, ties, and properties: a counting rule's `limit - used` is the remaining,
//! the binding rule leaves the fewest units, and `max_party` is a brute force over the free
//! tables and combinations of small generated floors.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Monday 2027-03-01, 08:00 UTC.
const NOW: &str = "2027-03-01T08:00:00+00:00";
const DAY: &str = "2027-03-02";

/// Every rule of a slot resource at once, in UTC: slots 19:00..21:00 every 30 minutes of 60
/// minutes; a 20:00 seating occupies the instants 20:00 and 20:30 and its start falls in
/// the pacing windows opening at 19:30 and 20:00.
fn bistro(extra: &str) -> String {
    let week: Vec<String> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| format!(r#""{d}":[["19:00","22:00"]]"#)).collect();
    format!(
        r#"{{"name":"b","timezone":"UTC","horizon_days":30,"lead_time_min":120,"cutoff":{{"days_before":0,"at":"18:00"}},
        "dimensions":{{"daily":{{"capacity":50}},"slots":{{"duration_min":60,"interval_min":30,"capacity":10,"concurrent":18,
          "pacing":{{"window_min":60,"max":15}}{extra}}}}},
        "closures":[{{"from":"2027-03-10","to":"2027-03-10"}}],"hours":{{{}}}}}"#,
        week.join(",")
    )
}

fn at(s: &Snapshot, date: &str, slot: &str, qty: u32, now: &str) -> (Availability, Value) {
    let a = availability(s, &AvailabilityQuery::parse(&format!("date={date}&qty={qty}&slot={slot}")).unwrap(), utc(now), false).unwrap();
    let v = serde_json::to_value(&a).unwrap();
    (a, v)
}

/// The `limited_by` of the 20:00 slot of DAY with these counters.
fn bound(counters: &[(&str, u32)]) -> Value {
    let s = snap(&bistro(""), counters, "2027-02-20", "2027-03-20", NOW);
    let (a, v) = at(&s, DAY, "20:00", 1, NOW);
    assert_eq!(v["limited_by"], v["slots"][0]["limited_by"], "a one-slot answer is bound as its slot");
    assert_eq!(a.max_party, None, "no tables, no max_party");
    assert!(v["slots"][0].get("max_party").is_none());
    v["slots"][0]["limited_by"].clone()
}

#[test]
fn each_counting_rule_binds_when_it_leaves_the_fewest() {
    let t = "2027-03-02T";
    assert_eq!(bound(&[]), json!({"rule": "slot_capacity", "used": 0, "limit": 10, "at": format!("{t}20:00:00+00:00")}));
    assert_eq!(
        bound(&[("s:2027-03-02T20:00", 7)]),
        json!({"rule": "slot_capacity", "used": 7, "limit": 10, "at": format!("{t}20:00:00+00:00")})
    );
    // The fullest pacing window the start falls in (the one opening at 19:30).
    assert_eq!(
        bound(&[("p:2027-03-02T19:30Z", 8), ("p:2027-03-02T20:00Z", 6)]),
        json!({"rule": "pacing", "used": 8, "limit": 15, "at": format!("{t}19:30:00+00:00")})
    );
    // The busiest instant of the seating.
    assert_eq!(
        bound(&[("c:2027-03-02T20:00Z", 9), ("c:2027-03-02T20:30Z", 12)]),
        json!({"rule": "concurrent", "used": 12, "limit": 18, "at": format!("{t}20:30:00+00:00")})
    );
    assert_eq!(bound(&[("d:2027-03-02", 47)]), json!({"rule": "daily", "used": 47, "limit": 50}));
    // A counter booked past a lowered limit leaves nothing.
    assert_eq!(bound(&[("d:2027-03-02", 60)]), json!({"rule": "daily", "used": 60, "limit": 50}));
}

#[test]
fn ties_go_to_the_narrowest_rule() {
    // slot 10-5, pacing 15-10, concurrent 18-13: 5 each.
    let three = [("s:2027-03-02T20:00", 5), ("p:2027-03-02T20:00Z", 10), ("c:2027-03-02T20:00Z", 13)];
    assert_eq!(bound(&three)["rule"], "slot_capacity");
    assert_eq!(bound(&three[1..])["rule"], "pacing");
    assert_eq!(bound(&[("c:2027-03-02T20:00Z", 13), ("d:2027-03-02", 45)])["rule"], "concurrent");
}

#[test]
fn gates_bind_before_counters_with_the_instant_sales_stopped() {
    let s = snap(&bistro(""), &[("s:2027-03-02T20:00", 9)], "2027-02-20", "2027-04-20", NOW);
    // Lead time 120: at 17:31 the 19:00 and 19:30 starts stopped selling at 17:00 and 17:30.
    let a = availability(&s, &AvailabilityQuery::parse(&format!("date={DAY}&qty=1")).unwrap(), utc("2027-03-02T17:31:00Z"), false).unwrap();
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["slots"][0]["limited_by"], json!({"rule": "lead_time", "at": "2027-03-02T17:00:00+00:00"}));
    assert_eq!(v["slots"][1]["limited_by"], json!({"rule": "lead_time", "at": "2027-03-02T17:30:00+00:00"}));
    assert_eq!(v["slots"][2]["limited_by"]["rule"], "slot_capacity");
    // The day: the earliest slot with the most left (20:30, 10 left; 20:00 has 1).
    assert_eq!(a.remaining, 10);
    assert_eq!(v["limited_by"], json!({"rule": "slot_capacity", "used": 0, "limit": 10, "at": "2027-03-02T20:30:00+00:00"}));
    // Cutoff 18:00 the same day.
    let (a, v) = at(&s, DAY, "20:00", 1, "2027-03-02T18:00:00Z");
    assert_eq!((a.status, a.remaining), (Status::TooLate, 0));
    assert_eq!(v["limited_by"], json!({"rule": "cutoff", "at": "2027-03-02T18:00:00+00:00"}));
    // A past date.
    let (_, v) = at(&s, "2027-02-28", "20:00", 1, NOW);
    assert_eq!(v["limited_by"], json!({"rule": "lead_time"}));
    // A closure.
    let (a, v) = at(&s, "2027-03-10", "20:00", 1, NOW);
    assert_eq!((a.status, v["limited_by"].clone()), (Status::Closed, json!({"rule": "closed"})));
    // Beyond the 30-day horizon: 2027-04-01 enters it at the start of 2027-03-02.
    let (a, v) = at(&s, "2027-04-01", "20:00", 1, NOW);
    assert_eq!(a.status, Status::BeyondHorizon);
    assert_eq!(v["limited_by"], json!({"rule": "horizon", "at": "2027-03-02T00:00:00+00:00"}));
    // A pause until an instant, and an open-ended one.
    let mut p = s.clone();
    p.state.pause = Some(Pause { until: Some(utc("2027-03-01T12:00:00Z")), reason: None });
    assert_eq!(at(&p, DAY, "20:00", 1, NOW).1["limited_by"], json!({"rule": "paused", "at": "2027-03-01T12:00:00+00:00"}));
    p.state.pause = Some(Pause { until: None, reason: None });
    assert_eq!(at(&p, DAY, "20:00", 1, NOW).1["limited_by"], json!({"rule": "paused"}));
    // The calendar says the same per day.
    let c = calendar(&s, &CalendarQuery::parse("from=2027-03-09&to=2027-03-10&qty=1").unwrap(), utc(NOW), false).unwrap();
    let days = serde_json::to_value(&c).unwrap()["days"].clone();
    assert_eq!(days[0]["limited_by"], json!({"rule": "slot_capacity", "used": 0, "limit": 10, "at": "2027-03-09T19:00:00+00:00"}));
    assert_eq!(days[1]["limited_by"], json!({"rule": "closed"}));
}

#[test]
fn stock_and_daily_resources_are_bound_too() {
    let hybrid = r#"{"name":"h","timezone":"Europe/Madrid","dimensions":{"stock":{"on_hand":4},"daily":{"capacity":30}},"lead_time_min":60,
      "hours":{"tue":[["10:00","12:00"]]}}"#;
    let s = snap(hybrid, &[("d:2027-03-02", 20)], "2027-02-20", "2027-03-20", NOW);
    let a = availability(&s, &AvailabilityQuery::parse(&format!("date={DAY}&qty=1")).unwrap(), utc(NOW), false).unwrap();
    assert_eq!(to_json(&a.limited_by), r#"{"rule":"stock","used":0,"limit":4}"#);
    let s = snap(hybrid, &[("d:2027-03-02", 28)], "2027-02-20", "2027-03-20", NOW);
    let a = availability(&s, &AvailabilityQuery::parse(&format!("date={DAY}&qty=1")).unwrap(), utc(NOW), false).unwrap();
    assert_eq!((a.remaining, to_json(&a.limited_by)), (2, r#"{"rule":"daily","used":28,"limit":30}"#.to_string()));
    // A daily sale stops `lead_time_min` before the first opening (10:00 Madrid = 09:00 UTC).
    let late =
        availability(&s, &AvailabilityQuery::parse(&format!("date={DAY}&qty=1")).unwrap(), utc("2027-03-02T08:30:00Z"), false).unwrap();
    assert_eq!(to_json(&late.limited_by), r#"{"rule":"lead_time","at":"2027-03-02T09:00:00+01:00"}"#);
    let only = r#"{"name":"p","timezone":"UTC","dimensions":{"stock":{"on_hand":40}}}"#;
    let mut s = snap(only, &[("stock", 38)], "2027-02-20", "2027-02-20", NOW);
    s.covers = None;
    let a = availability(&s, &AvailabilityQuery::parse("qty=1").unwrap(), utc(NOW), false).unwrap();
    assert_eq!(to_json(&a.limited_by), r#"{"rule":"stock","used":38,"limit":40}"#);
}

/// Two 2-tops, a 4-top and a 6-top combination of the 4-top and a 2-top, on the bistro.
const FLOOR: &str = r#","tables":[{"id":"A","seats":[1,2]},{"id":"B","seats":[1,2]},{"id":"C","seats":[2,4]}],
    "combinations":[{"of":["C","B"],"seats":[5,6]}]"#;

#[test]
fn tables_bind_with_the_largest_party_seatable_now() {
    let floor = |counters: &[(&str, u32)]| snap(&bistro(FLOOR), counters, "2027-02-20", "2027-03-20", NOW);
    let (a, v) = at(&floor(&[]), DAY, "20:00", 2, NOW);
    // The combination seats 6: the slot's 10 is not what one party can have.
    assert_eq!((a.remaining, a.max_party), (6, Some(6)));
    assert_eq!(v["slots"][0]["limited_by"], json!({"rule": "tables", "used": 0, "limit": 3, "at": "2027-03-02T20:00:00+00:00"}));
    // C busy at 20:30 (a 19:30 seating): the 20:00 seating has only the 2-tops.
    let (a, v) = at(&floor(&[("t:C@2027-03-02T20:30Z", 1)]), DAY, "20:00", 2, NOW);
    assert_eq!((a.remaining, a.max_party, a.status), (2, Some(2), Status::Available));
    assert_eq!(v["slots"][0]["limited_by"], json!({"rule": "tables", "used": 1, "limit": 3, "at": "2027-03-02T20:00:00+00:00"}));
    assert_eq!(v["slots"][0]["max_party"], 2);
    // A party of 4 does not fit, with covers left: sold out, no_table, still bound by tables.
    let (a, _) = at(&floor(&[("t:C@2027-03-02T20:30Z", 1)]), DAY, "20:00", 4, NOW);
    assert_eq!((a.status, a.slots.unwrap()[0].reason), (Status::SoldOut, Some(NO_TABLE)));
    // The slot's covers nearly gone: slot capacity binds again, max_party still 6.
    let (a, v) = at(&floor(&[("s:2027-03-02T20:00", 7)]), DAY, "20:00", 2, NOW);
    assert_eq!((a.remaining, a.max_party), (3, Some(6)));
    assert_eq!(v["limited_by"]["rule"], "slot_capacity");
    // Refused: nothing is seatable now.
    let (a, v) = at(&floor(&[]), "2027-03-10", "20:00", 2, NOW);
    assert_eq!((a.max_party, v["limited_by"]["rule"].clone()), (Some(0), json!("closed")));
    let c = calendar(&floor(&[]), &CalendarQuery::parse("from=2027-03-09&to=2027-03-10&qty=2").unwrap(), utc(NOW), false).unwrap();
    assert_eq!((c.days[0].max_party, c.days[1].max_party), (Some(6), Some(0)));
}

#[test]
fn tables_in_an_asked_area_are_the_ones_counted() {
    let floor = r#","tables":[{"id":"A","seats":[1,2],"area":"terrace"},{"id":"B","seats":[1,2],"area":"terrace"},{"id":"C","seats":[2,4],"area":"hall"}]"#;
    let s = snap(&bistro(floor), &[("t:A@2027-03-02T20:00Z", 1)], "2027-02-20", "2027-03-20", NOW);
    let q = |area: &str| AvailabilityQuery::parse(&format!("date={DAY}&qty=2&slot=20:00{area}")).unwrap();
    let terrace = availability(&s, &q("&area=terrace"), utc(NOW), false).unwrap();
    assert_eq!(to_json(&terrace.limited_by), r#"{"rule":"tables","used":1,"limit":2,"at":"2027-03-02T20:00:00+00:00"}"#);
    assert_eq!((terrace.remaining, terrace.max_party), (2, Some(2)));
    let anywhere = availability(&s, &q(""), utc(NOW), false).unwrap();
    assert_eq!(to_json(&anywhere.limited_by), r#"{"rule":"tables","used":1,"limit":3,"at":"2027-03-02T20:00:00+00:00"}"#);
    assert_eq!((anywhere.remaining, anywhere.max_party), (4, Some(4)));
}

const SLOTS: [&str; 5] = ["19:00", "19:30", "20:00", "20:30", "21:00"];

/// Minutes after 19:00 of a grid index.
fn instant(i: usize) -> String {
    let m = 19 * 60 + 30 * i;
    format!("2027-03-02T{:02}:{:02}Z", m / 60, m % 60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random counters: every slot's rule is the one an independent count finds leaving the
    /// fewest (ties in the documented order), and a counting rule's `limit - used` is the
    /// remaining.
    #[test]
    fn the_binding_rule_leaves_the_fewest(slot in prop::collection::vec(0u32..12, 5), pace in prop::collection::vec(0u32..17, 5),
                                          conc in prop::collection::vec(0u32..20, 5), day in 0u32..55) {
        let mut names: Vec<(String, u32)> = vec![(format!("d:{DAY}"), day)];
        for i in 0..5 {
            names.push((format!("s:{DAY}T{}", SLOTS[i]), slot[i]));
            names.push((format!("p:{}", instant(i)), pace[i]));
            names.push((format!("c:{}", instant(i)), conc[i]));
        }
        let refs: Vec<(&str, u32)> = names.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let s = snap(&bistro(""), &refs, "2027-02-20", "2027-03-20", NOW);
        let a = availability(&s, &AvailabilityQuery::parse(&format!("date={DAY}&qty=1")).unwrap(), utc(NOW), false).unwrap();
        for (i, v) in a.slots.unwrap().iter().enumerate() {
            // Pacing windows opening in (start - 60, start]; the seating's instants [start, start + 60).
            let p = pace[i.saturating_sub(1)..=i].iter().max().copied().unwrap();
            let c = conc[i..(i + 2).min(5)].iter().max().copied().unwrap();
            let left = [(Rule::SlotCapacity, 10u32.saturating_sub(slot[i])), (Rule::Pacing, 15u32.saturating_sub(p)),
                        (Rule::Concurrent, 18u32.saturating_sub(c)), (Rule::Daily, 50u32.saturating_sub(day))];
            let want = left.iter().min_by_key(|(r, l)| (*l, *r)).unwrap();
            prop_assert_eq!(v.limited_by.rule, want.0);
            prop_assert_eq!(v.remaining, want.1);
            prop_assert!(v.limited_by.rule.is_counting());
            let (used, limit) = (v.limited_by.used.unwrap(), v.limited_by.limit.unwrap());
            prop_assert_eq!(limit.saturating_sub(used), v.remaining);
        }
    }

    /// Small generated floors with some tables busy: `max_party` is the most seats of a free
    /// table or a combination of free tables, never more than the free seats, and the slot's
    /// remaining never more than it.
    #[test]
    fn max_party_is_a_brute_force_over_free_tables(seats in prop::collection::vec((1u32..4, 0u32..4), 1..6),
                                                    combos in prop::collection::vec((prop::collection::btree_set(0usize..6, 2..4), 0u32..4), 0..4),
                                                    busy in prop::collection::vec(prop::bool::ANY, 6), qty in 1u32..8) {
        let n = seats.len();
        let tables: Vec<(u32, u32)> = seats.iter().map(|(lo, extra)| (*lo, lo + extra)).collect();
        let combos: Vec<(Vec<usize>, u32)> = combos.into_iter()
            .map(|(of, extra)| (of.into_iter().filter(|i| *i < n).collect::<Vec<_>>(), extra))
            .filter(|(of, _)| of.len() >= 2).collect();
        let tjson: Vec<String> = tables.iter().enumerate().map(|(i, (lo, hi))| format!(r#"{{"id":"T{i}","seats":[{lo},{hi}]}}"#)).collect();
        // Pushed together, tables seat at most their own tops together (and at least 2).
        let cmax = |of: &[usize], extra: u32| of.iter().map(|i| tables[*i].1).sum::<u32>().saturating_sub(extra).max(2);
        let cjson: Vec<String> = combos.iter().map(|(of, extra)| {
            let ids: Vec<String> = of.iter().map(|i| format!(r#""T{i}""#)).collect();
            format!(r#"{{"of":[{}],"seats":[1,{}]}}"#, ids.join(","), cmax(of, *extra))
        }).collect();
        let extra = format!(r#","tables":[{}],"combinations":[{}]"#, tjson.join(","), cjson.join(","));
        // A busy table is in use at 20:30, inside the 20:00 seating.
        let names: Vec<(String, u32)> = (0..n).filter(|i| busy[*i]).map(|i| (format!("t:T{i}@2027-03-02T20:30Z"), 1)).collect();
        let refs: Vec<(&str, u32)> = names.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let s = snap(&bistro(&extra), &refs, "2027-02-20", "2027-03-20", NOW);
        let (a, _) = at(&s, DAY, "20:00", qty, NOW);
        let free = |i: &usize| !busy[*i];
        let singles = (0..n).filter(free).map(|i| tables[i].1);
        let joined = combos.iter().filter(|(of, _)| of.iter().all(free)).map(|(of, extra)| cmax(of, *extra));
        let brute = singles.chain(joined).max().unwrap_or(0);
        let free_seats: u32 = (0..n).filter(free).map(|i| tables[i].1).sum();
        let slot = &a.slots.as_ref().unwrap()[0];
        prop_assert_eq!(slot.max_party, Some(brute));
        prop_assert_eq!(a.max_party, Some(brute));
        prop_assert!(brute <= free_seats, "max_party {brute} over the {free_seats} free seats");
        prop_assert!(slot.remaining <= brute);
        if slot.limited_by.rule == Rule::Tables {
            prop_assert_eq!(slot.remaining, brute);
            prop_assert_eq!(slot.limited_by.used, Some(names.len() as u32));
            prop_assert_eq!(slot.limited_by.limit, Some(n as u32));
        }
    }

    /// Every level of an answer (the answer, each slot, each calendar day) explains its
    /// `remaining`: a counting rule's `limit - used`, `max_party` for tables, 0 for a gate.
    #[test]
    fn every_level_explains_its_remaining(busy in prop::collection::vec((0usize..3, 0usize..9), 0..8),
                                          starts in prop::collection::vec((0usize..5, 0u32..12), 0..6), qty in 1u32..7, now_h in 8u32..21) {
        let names: Vec<(String, u32)> = busy.iter().map(|(t, i)| (format!("t:{}@{}", ["A", "B", "C"][*t], instant(*i % 5)), 1))
            .chain(starts.iter().map(|(i, n)| (format!("s:{DAY}T{}", SLOTS[*i]), *n)))
            .collect::<std::collections::BTreeMap<_, _>>().into_iter().collect();
        let refs: Vec<(&str, u32)> = names.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let s = snap(&bistro(FLOOR), &refs, "2027-02-20", "2027-03-20", NOW);
        let now = utc(&format!("2027-03-02T{now_h:02}:00:00Z"));
        let a = availability(&s, &AvailabilityQuery::parse(&format!("date={DAY}&qty={qty}")).unwrap(), now, false).unwrap();
        let c = calendar(&s, &CalendarQuery::parse(&format!("from={DAY}&to=2027-03-05&qty={qty}")).unwrap(), now, false).unwrap();
        let mut levels: Vec<(u32, LimitedBy, Option<u32>)> = vec![(a.remaining, a.limited_by.clone(), a.max_party)];
        levels.extend(a.slots.unwrap().into_iter().map(|v| (v.remaining, v.limited_by, v.max_party)));
        levels.extend(c.days.into_iter().map(|d| (d.remaining, d.limited_by, d.max_party)));
        for (remaining, lb, party) in levels {
            let want = match lb.rule {
                Rule::Tables => party.unwrap(),
                r if r.is_counting() => lb.limit.unwrap().saturating_sub(lb.used.unwrap()),
                _ => 0,
            };
            prop_assert_eq!(want, remaining, "{:?} {:?}", lb, party);
            prop_assert!(party.unwrap() >= remaining);
        }
    }
}
