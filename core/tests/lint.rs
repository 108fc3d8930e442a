//! Warnings about limits that can never bind: the documented cases, and a property that a
//! warned rule never binds a slot, whatever holds the core lets in.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;
use proptest::prelude::*;

fn doc(slots: &str, extra: &str) -> String {
    format!(
        r#"{{"name":"r","timezone":"UTC","horizon_days":3660,"qty":{{"min":1,"max":8}},"dimensions":{{"slots":{{{slots}}}{extra}}},
        "hours":{{"mon":[["19:00","23:00"]],"tue":[["13:00","16:00"],["20:00","23:30"]]}}}}"#
    )
}

fn warned(json: &str) -> Vec<(String, String)> {
    warnings(&resource(json)).into_iter().map(|w| (w.path, w.message)).collect()
}

fn paths(json: &str) -> Vec<String> {
    warned(json).into_iter().map(|w| w.0).collect()
}

#[test]
fn pacing_above_what_the_slots_can_start_is_dead_config() {
    // The issue's restaurant: slots every 15 minutes of 16, pacing 20 per 15 minutes.
    let w = warned(&doc(r#""duration_min":90,"interval_min":15,"capacity":16,"pacing":{"window_min":15,"max":20}"#, ""));
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "dimensions.slots.pacing.max");
    assert!(w[0].1.contains("15 minutes hold at most 1 start of at most 16 each"), "{}", w[0].1);
    // Two starts in a 30-minute window: pacing 20 can bind under 2 × 16.
    assert!(paths(&doc(r#""duration_min":90,"interval_min":15,"capacity":16,"pacing":{"window_min":30,"max":20}"#, "")).is_empty());
    // A season raising slot capacity to 24 brings pacing 20 to life on its dates: then the
    // season's 24 is what never binds.
    let d = doc(r#""duration_min":90,"interval_min":15,"capacity":16,"pacing":{"window_min":15,"max":20}"#, "").replace(
        r#""hours""#,
        r#""seasons":[{"name":"s","from":"2027-01-01","to":"2027-01-31","overrides":{"slot_capacity":24}}],"hours""#,
    );
    assert_eq!(paths(&d), ["seasons[0].overrides.slot_capacity"], "{:?}", warned(&d));
}

#[test]
fn slot_capacity_above_a_counter_that_holds_its_own_units_is_dead_config() {
    // The old restaurant template: pacing 10 per 15 minutes under a slot capacity of 16.
    let w = warned(&doc(r#""duration_min":90,"interval_min":15,"capacity":16,"pacing":{"window_min":15,"max":10}"#, ""));
    assert_eq!(
        w,
        [(
            "dimensions.slots.capacity".to_string(),
            "slot capacity 16 can never bind: pacing lets at most 10 start in 15 minutes".to_string()
        )]
    );
    assert_eq!(paths(&doc(r#""duration_min":90,"interval_min":15,"capacity":16,"concurrent":12"#, "")), ["dimensions.slots.capacity"]);
    assert_eq!(
        paths(&doc(r#""duration_min":90,"interval_min":15,"capacity":16"#, r#","daily":{"capacity":12}"#)),
        ["dimensions.slots.capacity"]
    );
    // Equal figures tie, and ties go to slot capacity: not dead.
    assert!(paths(&doc(r#""duration_min":90,"interval_min":15,"capacity":16,"pacing":{"window_min":30,"max":16}"#, "")).is_empty());
}

#[test]
fn concurrent_daily_and_party_sizes_that_can_never_bind() {
    // 90-minute seatings every 15 minutes: 6 overlap; 6 × 10 = 60.
    assert_eq!(paths(&doc(r#""duration_min":90,"interval_min":15,"capacity":10,"concurrent":60"#, "")), ["dimensions.slots.concurrent"]);
    assert!(paths(&doc(r#""duration_min":90,"interval_min":15,"capacity":10,"concurrent":59"#, "")).is_empty());
    // Tables seating 8 in all: concurrent 9 is never reached, and parties over 6 never sit.
    let tables = r#","tables":[{"id":"A","seats":[1,2]},{"id":"B","seats":[2,6]}]"#;
    let w = paths(&doc(&format!(r#""duration_min":90,"interval_min":15,"capacity":8,"concurrent":9{tables}"#), ""));
    assert_eq!(w, ["dimensions.slots.concurrent", "qty.max"]);
    // Tuesday has the most starts: 13:00..14:30 and 20:00..22:00 every 30 minutes, 4 + 5.
    assert_eq!(
        paths(&doc(r#""duration_min":90,"interval_min":30,"capacity":10"#, r#","daily":{"capacity":90}"#)),
        ["dimensions.daily.capacity"]
    );
    assert!(paths(&doc(r#""duration_min":90,"interval_min":30,"capacity":10"#, r#","daily":{"capacity":89}"#)).is_empty());
}

/// Hold sizes and slots, as a stream of attempts the core accepts or refuses.
fn attempts() -> impl Strategy<Value = Vec<(usize, u32)>> {
    prop::collection::vec((0usize..9, 1u32..9), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Whatever the limits and whatever holds the core lets in, a rule the lint calls dead
    /// never binds a slot.
    #[test]
    fn a_warned_rule_never_binds(cap in 1u32..20, pacing in prop::option::of((1u32..4, 1u32..40)), conc in prop::option::of(1u32..60),
                                 daily in prop::option::of(1u32..120), holds in attempts()) {
        let mut slots = format!(r#""duration_min":60,"interval_min":30,"capacity":{cap}"#);
        if let Some((w, max)) = pacing { slots += &format!(r#","pacing":{{"window_min":{},"max":{max}}}"#, w * 30); }
        if let Some(c) = conc { slots += &format!(r#","concurrent":{c}"#); }
        let extra = daily.map(|d| format!(r#","daily":{{"capacity":{d}}}"#)).unwrap_or_default();
        let json = doc(&slots, &extra);
        let dead: Vec<Rule> = warnings(&resource(&json)).iter().filter_map(|w| match w.path.as_str() {
            "dimensions.slots.pacing.max" => Some(Rule::Pacing),
            "dimensions.slots.concurrent" => Some(Rule::Concurrent),
            "dimensions.daily.capacity" => Some(Rule::Daily),
            "dimensions.slots.capacity" => Some(Rule::SlotCapacity),
            _ => None,
        }).collect();
        let now = "2027-03-01T08:00:00+00:00";
        let mut s = snap(&json, &[], "2027-03-01", "2027-03-03", now);
        // Monday 2027-03-01: 19:00..22:00 every 30 minutes.
        let names = ["19:00", "19:30", "20:00", "20:30", "21:00", "21:30", "22:00", "19:00", "20:00"];
        for (slot, qty) in holds {
            let item = HoldItem { resource_id: "r1".into(), date: Some("2027-03-01".into()), slot: Some(names[slot].into()), qty: i64::from(qty), area: None };
            if let Ok(p) = plan_hold(&s, &item, utc(now)) {
                let mut c = s.counters.clone();
                if take(&p, &mut c).is_some() { s.counters = c; }
            }
        }
        let a = availability(&s, &AvailabilityQuery::parse("date=2027-03-01&qty=1").unwrap(), utc(now), false).unwrap();
        for v in a.slots.unwrap() {
            prop_assert!(!dead.contains(&v.limited_by.rule), "{} bound by {:?}, warned dead: {:?}", v.slot, v.limited_by, warnings(&resource(&json)));
        }
    }
}
