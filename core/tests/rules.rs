//! Calendar rules, limits, pricing, validation and parsing, one behaviour per test.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;

const NOW: &str = "2027-01-04T08:00:00+00:00"; // a Monday, 09:00 in Madrid

fn item(date: &str, slot: Option<&str>, qty: i64) -> HoldItem {
    HoldItem { resource_id: "r1".into(), date: Some(date.into()), slot: slot.map(Into::into), qty, area: None }
}

fn rule_of(r: Result<HoldPlan, PlanError>) -> RuleCode {
    match r {
        Err(PlanError::Rule { code, .. }) => code,
        other => panic!("expected a rule refusal, got {other:?}"),
    }
}

fn config_paths(json: &str) -> Vec<String> {
    Resource::from_json(json.as_bytes()).unwrap_err().errors.into_iter().map(|e| e.path).collect()
}

const DAILY: &str = r#"{"name":"Bakery","timezone":"Europe/Madrid","dimensions":{"daily":{"capacity":50}},
  "hours":{"mon":[["08:00","14:00"]],"tue":[["08:00","14:00"]],"wed":[["08:00","14:00"]]},
  "lead_time_min":30,"horizon_days":10,"qty":{"min":1,"max":6}}"#;

#[test]
fn unknown_field_is_refused_with_its_path() {
    let p = config_paths(
        r#"{"name":"x","timezone":"UTC","dimensions":{"slots":{"duration_min":30,"interval_min":30,"capacity":1,"capacty":2}}}"#,
    );
    assert_eq!(p, ["dimensions.slots.capacty"]);
    let e = Resource::from_json(br#"{"name":"x","timezone":"UTC","dimensions":{"daily":{"capacity":1}},"horizn_days":3}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `horizn_days`"), "{e}");
}

#[test]
fn zero_interval_is_refused_with_its_path() {
    let e =
        Resource::from_json(br#"{"name":"x","timezone":"UTC","dimensions":{"slots":{"duration_min":30,"interval_min":0,"capacity":1}}}"#)
            .unwrap_err();
    assert_eq!(e.to_string(), "dimensions.slots.interval_min: must be >= 1");
}

#[test]
fn unknown_timezone_is_refused() {
    assert_eq!(config_paths(r#"{"name":"x","timezone":"Europe/Atlantis","dimensions":{"daily":{"capacity":1}}}"#), ["timezone"]);
}

#[test]
fn no_dimension_is_refused() {
    assert_eq!(config_paths(r#"{"name":"x","timezone":"UTC","dimensions":{}}"#), ["dimensions"]);
}

#[test]
fn several_errors_are_reported_together_in_document_order() {
    let p = config_paths(
        r#"{"name":"","timezone":"UTC","dimensions":{"daily":{"capacity":-1}},
        "hours":{"mon":[["10:00","09:00"]]},"closures":[{"from":"2027-02-30","to":"2027-03-01"}],
        "hold_ttl_s":0,"pricing":{"currency":"eur","base_minor":100,"triggers":[{"utilization_gte":1.5,"multiplier":1.1,"tier":"x"}]}}"#,
    );
    assert_eq!(
        p,
        [
            "name",
            "dimensions.daily.capacity",
            "hours.mon[0]",
            "closures[0].from",
            "hold_ttl_s",
            "pricing.currency",
            "pricing.triggers[0].utilization_gte"
        ]
    );
}

#[test]
fn overlapping_hours_and_bad_times_are_refused() {
    assert_eq!(
        config_paths(
            r#"{"name":"x","timezone":"UTC","dimensions":{"daily":{"capacity":1}},"hours":{"tue":[["09:00","12:00"],["11:00","13:00"]]}}"#
        ),
        ["hours.tue"]
    );
    assert_eq!(
        config_paths(r#"{"name":"x","timezone":"UTC","dimensions":{"daily":{"capacity":1}},"hours":{"tue":[["9:00","12:00"]]}}"#),
        ["hours.tue[0]"]
    );
    // 24:00 may end an interval.
    resource(r#"{"name":"x","timezone":"UTC","dimensions":{"daily":{"capacity":1}},"hours":{"tue":[["20:00","24:00"]]}}"#);
}

#[test]
fn season_overrides_need_their_dimension() {
    assert_eq!(
        config_paths(
            r#"{"name":"x","timezone":"UTC","dimensions":{"daily":{"capacity":1}},"seasons":[{"name":"s","from":"2027-01-01","to":"2027-01-02","overrides":{"slot_capacity":3}}]}"#
        ),
        ["seasons[0].overrides.slot_capacity"]
    );
}

#[test]
fn stock_only_with_hours_is_refused() {
    assert_eq!(
        config_paths(r#"{"name":"x","timezone":"UTC","dimensions":{"stock":{"on_hand":1}},"hours":{"mon":[["09:00","10:00"]]}}"#),
        ["dimensions"]
    );
}

#[test]
fn kinds_are_derived_from_dimensions() {
    let k = |d: &str| resource(&format!(r#"{{"name":"x","timezone":"UTC","dimensions":{d}}}"#)).kind;
    assert_eq!(k(r#"{"stock":{"on_hand":1}}"#), Kind::Stock);
    assert_eq!(k(r#"{"daily":{"capacity":1}}"#), Kind::Capacity);
    assert_eq!(k(r#"{"slots":{"duration_min":30,"interval_min":30,"capacity":1}}"#), Kind::Slots);
    assert_eq!(k(r#"{"stock":{"on_hand":1},"daily":{"capacity":1}}"#), Kind::Hybrid);
}

#[test]
fn daily_lead_time_counts_from_first_opening() {
    let s = snap(DAILY, &[], "2027-01-01", "2027-01-31", NOW);
    // Opening 08:00 Madrid = 07:00Z; lead 30 -> sales end 06:30Z.
    assert!(plan_hold(&s, &item("2027-01-04", None, 1), utc("2027-01-04T06:29:00+00:00")).is_ok());
    assert_eq!(rule_of(plan_hold(&s, &item("2027-01-04", None, 1), utc("2027-01-04T06:30:01+00:00"))), RuleCode::TooLate);
}

#[test]
fn horizon_past_and_closed_days() {
    let s = snap(DAILY, &[], "2027-01-01", "2027-01-31", NOW);
    let now = utc(NOW);
    assert_eq!(rule_of(plan_hold(&s, &item("2027-01-19", None, 1), now)), RuleCode::BeyondHorizon);
    assert!(plan_hold(&s, &item("2027-01-12", None, 1), now).is_ok()); // today + 8, a Tuesday
    assert_eq!(rule_of(plan_hold(&s, &item("2027-01-03", None, 1), now)), RuleCode::TooLate);
    assert_eq!(rule_of(plan_hold(&s, &item("2027-01-07", None, 1), now)), RuleCode::Closed);
    // Thursday
}

#[test]
fn qty_limits_are_enforced() {
    let s = snap(DAILY, &[], "2027-01-01", "2027-01-31", NOW);
    assert_eq!(rule_of(plan_hold(&s, &item("2027-01-05", None, 7), utc(NOW))), RuleCode::QtyOutOfRange);
    assert!(plan_hold(&s, &item("2027-01-05", None, 6), utc(NOW)).is_ok());
}

#[test]
fn pause_refuses_until_it_lapses() {
    let mut s = snap(DAILY, &[], "2027-01-01", "2027-01-31", NOW);
    s.state.pause = Some(Pause { until: Some(utc("2027-01-04T12:00:00+00:00")), reason: Some("oven broken".into()) });
    let r = plan_hold(&s, &item("2027-01-05", None, 1), utc(NOW));
    assert!(matches!(&r, Err(PlanError::Rule { code: RuleCode::Paused, detail }) if detail.contains("oven broken")));
    assert!(plan_hold(&s, &item("2027-01-05", None, 1), utc("2027-01-04T12:00:00+00:00")).is_ok());
    let a = availability(&s, &AvailabilityQuery::parse("date=2027-01-05").unwrap(), utc(NOW), false).unwrap();
    assert_eq!((a.status, a.reason), (Status::Paused, Some(RuleCode::Paused)));
}

#[test]
fn slot_names_must_exist() {
    let s = snap(TRATTORIA, &[], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    let now = utc("2026-12-01T09:00:00+00:00");
    assert_eq!(rule_of(plan_hold(&s, &item("2026-12-05", Some("20:10"), 2), now)), RuleCode::NoSuchSlot);
    assert_eq!(rule_of(plan_hold(&s, &item("2026-12-05", Some("22:15"), 2), now)), RuleCode::NoSuchSlot); // 22:15 + 90 > 23:30
    assert_eq!(rule_of(plan_hold(&s, &item("2026-12-05", None, 2), now)), RuleCode::NoSuchSlot);
    assert!(plan_hold(&s, &item("2026-12-05", Some("22:00"), 2), now).is_ok());
}

#[test]
fn season_lead_time_and_cutoff_apply_per_slot() {
    let s = snap(TRATTORIA, &[], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    // Season lead time 240: 13:00 local on Tue 1st (12:00Z) sells until 08:00Z.
    assert_eq!(rule_of(plan_hold(&s, &item("2026-12-01", Some("13:00"), 2), utc("2026-12-01T08:00:01+00:00"))), RuleCode::TooLate);
    assert!(plan_hold(&s, &item("2026-12-01", Some("13:00"), 2), utc("2026-12-01T08:00:00+00:00")).is_ok());
    // Cutoff 18:00 local (17:00Z) closes dinner on the day even though lead time would allow it.
    assert!(plan_hold(&s, &item("2026-12-01", Some("22:00"), 2), utc("2026-12-01T16:59:00+00:00")).is_ok());
    assert_eq!(rule_of(plan_hold(&s, &item("2026-12-01", Some("22:00"), 2), utc("2026-12-01T17:00:00+00:00"))), RuleCode::TooLate);
}

#[test]
fn overlapping_seasons_resolve_per_field_by_priority() {
    let json = r#"{"name":"x","timezone":"UTC","horizon_days":3660,"dimensions":{"daily":{"capacity":10}},
      "pricing":{"currency":"EUR","base_minor":1000},
      "seasons":[
        {"name":"low","from":"2027-06-01","to":"2027-06-30","priority":1,"overrides":{"daily_capacity":20,"price_multiplier":0.5}},
        {"name":"fiesta","from":"2027-06-10","to":"2027-06-12","priority":5,"overrides":{"daily_capacity":30}},
        {"name":"tie","from":"2027-06-11","to":"2027-06-11","priority":5,"overrides":{"daily_capacity":99,"price_multiplier":2.0}}]}"#;
    let s = snap(json, &[], "2027-06-01", "2027-06-30", "2027-01-01T00:00:00+00:00");
    let cap = |d: &str| aforo_core::day_settings(&s.resource, date(d));
    assert_eq!(cap("2027-06-05").daily_capacity, Some(20));
    assert_eq!(cap("2027-06-10").daily_capacity, Some(30));
    assert_eq!(cap("2027-06-10").price_mult, 500_000); // fiesta sets no price: low's applies
    assert_eq!(cap("2027-06-11").daily_capacity, Some(30)); // tie: the earlier season wins
    assert_eq!(cap("2027-06-11").price_mult, 2_000_000); // only "tie" at priority 5 sets a price
    assert_eq!(cap("2027-07-01").daily_capacity, Some(10));
}

#[test]
fn season_hours_replace_weekly_hours() {
    let json = r#"{"name":"x","timezone":"UTC","horizon_days":3660,"dimensions":{"slots":{"duration_min":60,"interval_min":60,"capacity":1}},
      "hours":{"mon":[["09:00","12:00"]]},
      "seasons":[{"name":"summer","from":"2027-06-01","to":"2027-08-31","overrides":{"hours":{"mon":[["18:00","20:00"]],"sat":[["10:00","11:00"]]}}}]}"#;
    let s = snap(json, &[], "2027-01-01", "2027-12-31", "2027-01-01T00:00:00+00:00");
    let slots = |d: &str| {
        let a =
            availability(&s, &AvailabilityQuery::parse(&format!("date={d}")).unwrap(), utc("2027-01-01T00:00:00+00:00"), false).unwrap();
        a.slots.unwrap().into_iter().map(|x| x.slot).collect::<Vec<_>>()
    };
    assert_eq!(slots("2027-05-31"), ["09:00", "10:00", "11:00"]);
    assert_eq!(slots("2027-06-07"), ["18:00", "19:00"]);
    assert_eq!(slots("2027-06-05"), ["10:00"]);
}

#[test]
fn pacing_limits_starts_within_a_window() {
    // 15-minute starts, pacing 10 per 30 minutes.
    let json = r#"{"name":"x","timezone":"UTC","horizon_days":3660,
      "dimensions":{"slots":{"duration_min":60,"interval_min":15,"capacity":8,"pacing":{"window_min":30,"max":10}}}}"#;
    let mut s = snap(json, &[], "2027-03-01", "2027-03-31", "2027-01-01T00:00:00+00:00");
    let now = utc("2027-01-01T00:00:00+00:00");
    let p = plan_hold(&s, &item("2027-03-01", Some("12:00"), 6), now).unwrap();
    aforo_core::apply(&p.takes, &mut s.counters);
    // 12:15 shares the window [12:00, 12:30) with 12:00: 10 - 6 = 4 left; 12:30 does not.
    let rem = |s: &Snapshot, slot: &str| {
        let a = availability(s, &AvailabilityQuery::parse(&format!("date=2027-03-01&slot={slot}")).unwrap(), now, false).unwrap();
        a.remaining
    };
    assert_eq!(rem(&s, "12:15"), 4);
    assert_eq!(rem(&s, "11:45"), 4); // [11:45, 12:15) holds 12:00's starts too
    assert_eq!(rem(&s, "12:30"), 8);
    let big = plan_hold(&s, &item("2027-03-01", Some("12:15"), 5), now).unwrap();
    assert!(matches!(first_overflow(&big.takes, &s.counters), Some(Take { bucket: Bucket::Pace(_), .. })));
}

#[test]
fn concurrent_limit_spans_overlapping_seatings() {
    let json = r#"{"name":"x","timezone":"UTC","horizon_days":3660,
      "dimensions":{"slots":{"duration_min":90,"interval_min":30,"capacity":20,"concurrent":25}}}"#;
    let mut s = snap(json, &[], "2027-03-01", "2027-03-31", "2027-01-01T00:00:00+00:00");
    let now = utc("2027-01-01T00:00:00+00:00");
    let p = plan_hold(&s, &item("2027-03-01", Some("19:00"), 20), now).unwrap();
    aforo_core::apply(&p.takes, &mut s.counters);
    let a = availability(&s, &AvailabilityQuery::parse("date=2027-03-01&qty=6").unwrap(), now, false).unwrap();
    let r: std::collections::HashMap<_, _> = a.slots.unwrap().into_iter().map(|x| (x.slot, x.remaining)).collect();
    assert_eq!(r["19:30"], 5); // overlaps 19:00-20:30
    assert_eq!(r["20:00"], 5);
    assert_eq!(r["20:30"], 20); // starts as the 19:00 seating ends
    assert_eq!(r["18:00"], 5); // runs until 19:30, so it shares 19:00..19:30 with the seating
    assert_eq!(r["17:30"], 20); // half-open: ends exactly as the 19:00 seating starts
}

#[test]
fn hybrid_takes_from_every_dimension() {
    let json = r#"{"name":"x","timezone":"UTC","horizon_days":3660,
      "dimensions":{"stock":{"on_hand":3},"daily":{"capacity":10},"slots":{"duration_min":60,"interval_min":60,"capacity":5}}}"#;
    let s = snap(json, &[], "2027-03-01", "2027-03-31", "2027-01-01T00:00:00+00:00");
    let p = plan_hold(&s, &item("2027-03-01", Some("10:00"), 2), utc("2027-01-01T00:00:00+00:00")).unwrap();
    let b: Vec<String> = p.takes.iter().map(|t| format!("{}<={}", t.bucket, t.limit)).collect();
    assert_eq!(b, ["stock<=3", "d:2027-03-01<=10", "s:2027-03-01T10:00<=5"]);
}

#[test]
fn price_rounds_half_up_to_a_minor_unit() {
    let json = |base: u32, m: f64| {
        format!(
            r#"{{"name":"x","timezone":"UTC","dimensions":{{"stock":{{"on_hand":10}}}},"pricing":{{"currency":"JPY","base_minor":{base},"triggers":[{{"utilization_gte":0.0,"multiplier":{m},"tier":"t"}}]}}}}"#
        )
    };
    let price = |base, m| {
        let mut s = snap(&json(base, m), &[], "2027-01-01", "2027-01-01", "2027-01-01T00:00:00+00:00");
        s.covers = None;
        let a = availability(&s, &AvailabilityQuery::parse("").unwrap(), utc("2027-01-01T00:00:00+00:00"), false).unwrap();
        a.price.unwrap().unit_minor
    };
    assert_eq!(price(5, 1.1), 6); // 5.5 -> 6
    assert_eq!(price(15, 1.1), 17); // 16.5 -> 17
    assert_eq!(price(101, 1.005), 102); // 101.505 -> 102
    assert_eq!(price(3, 0.5), 2); // 1.5 -> 2
    assert_eq!(price(2500, 1.15), 2875);
}

#[test]
fn price_tier_follows_utilization_of_the_tightest_dimension() {
    let s0 = snap(TRATTORIA, &[("d:2026-12-05", 150)], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    let a = availability(&s0, &AvailabilityQuery::parse("date=2026-12-05&slot=20:00").unwrap(), utc("2026-12-01T09:00:00+00:00"), false)
        .unwrap();
    let slot = &a.slots.unwrap()[0];
    // The day is 150/160 = 0.9375 used: peak tier, 2500 * 1.2 * 1.3 = 3900.
    assert_eq!(slot.capacity, 160);
    assert_eq!(slot.price.as_ref().unwrap().tier, "peak");
    assert_eq!(slot.price.as_ref().unwrap().unit_minor, 3900);
    assert_eq!(slot.remaining, 10);
}

#[test]
fn query_strings_parse_strictly() {
    assert_eq!(AvailabilityQuery::parse("date=2027-01-05&qty=3&slot=20%3A15").unwrap().slot.as_deref(), Some("20:15"));
    assert_eq!(AvailabilityQuery::parse("").unwrap().qty, 1);
    assert!(AvailabilityQuery::parse("date=2027-1-5").is_err());
    assert!(AvailabilityQuery::parse("qty=0").is_err());
    assert!(AvailabilityQuery::parse("qty=-1").is_err());
    assert!(AvailabilityQuery::parse("qty=1&qty=2").is_err());
    assert!(AvailabilityQuery::parse("colour=red").is_err());
    assert!(AvailabilityQuery::parse("date=%ZZ").is_err());
    assert!(CalendarQuery::parse("from=2027-01-01&to=2027-12-31").is_ok());
    assert!(CalendarQuery::parse("from=2027-01-01&to=2028-01-02").is_err());
    assert!(CalendarQuery::parse("from=2027-01-02&to=2027-01-01").is_err());
    assert!(CalendarQuery::parse("to=2027-01-01").is_err());
}

#[test]
fn hold_requests_parse_one_item_or_many() {
    let one = HoldRequest::from_json(br#"{"resource_id":"trattoria","date":"2026-12-05","slot":"20:15","qty":2}"#).unwrap();
    assert_eq!(one.items.len(), 1);
    let many =
        HoldRequest::from_json(br#"{"items":[{"resource_id":"a","qty":1},{"resource_id":"b","date":"2026-12-05","qty":3}]}"#).unwrap();
    assert_eq!(many.items.len(), 2);
    let e = HoldRequest::from_json(br#"{"items":[{"resource_id":"a","qty":1,"colour":"red"}]}"#).unwrap_err();
    assert_eq!(e.path, "items[0].colour");
    assert_eq!(HoldRequest::from_json(br#"{"resource_id":"a","qty":0}"#).unwrap_err().path, "qty");
    assert_eq!(HoldRequest::from_json(br#"{"resource_id":"a b","qty":1}"#).unwrap_err().path, "resource_id");
    assert_eq!(HoldRequest::from_json(br#"{"resource_id":"a","qty":"2"}"#).unwrap_err().path, "qty");
    assert_eq!(HoldRequest::from_json(br#"{"items":[]}"#).unwrap_err().path, "items");
    assert_eq!(HoldRequest::from_json(br#"[1]"#).unwrap_err().path, "$");
    assert_eq!(HoldRequest::from_json(br#"{"resource_id":"a","slot":"25:00","qty":1}"#).unwrap_err().path, "slot");
}

#[test]
fn buckets_round_trip_through_their_names() {
    for name in ["stock", "d:2026-12-05", "s:2026-12-05T20:15", "c:2026-12-05T19:15Z", "p:2027-10-31T00:30Z"] {
        let b: Bucket = name.parse().unwrap();
        assert_eq!(b.to_string(), name);
    }
    for bad in ["", "x:1", "d:2026-13-01", "s:2026-12-05T24:00", "c:2026-12-05T19:15", "stocks"] {
        assert!(bad.parse::<Bucket>().is_err(), "{bad}");
    }
}

#[test]
fn snapshot_documents_round_trip_and_refuse_gaps_in_coverage() {
    let s = snap(TRATTORIA, &[("d:2026-12-05", 3), ("s:2026-12-05T20:15", 3)], "2026-12-01", "2026-12-06", "2026-12-01T09:00:00+00:00");
    let json = serde_json::to_string(&s.to_doc()).unwrap();
    let back = Snapshot::from_doc(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(back.counters, s.counters);
    assert_eq!(back.to_doc(), s.to_doc());
    // Availability needs its date covered.
    let e = availability(&back, &AvailabilityQuery::parse("date=2026-12-07").unwrap(), s.as_of, false).unwrap_err();
    assert!(matches!(e, QueryError::NotCovered { .. }));
    // When the qty fits, the date alone gives the same answer as the week after it.
    let q = AvailabilityQuery::parse("date=2026-12-05&qty=2").unwrap();
    let narrow = Snapshot { covers: Some((date("2026-12-05"), date("2026-12-05"))), ..back.clone() };
    let wide = Snapshot { covers: Some((date("2026-12-01"), date("2026-12-31"))), ..back.clone() };
    let (n, w) = (availability(&narrow, &q, s.as_of, false).unwrap(), availability(&wide, &q, s.as_of, false).unwrap());
    assert!(!n.wants_alternatives());
    assert_eq!(to_json(&n), to_json(&w));
    // When it does not, the narrow answer says it wants the wider read.
    let closed = AvailabilityQuery::parse("date=2026-12-03&qty=2").unwrap();
    let narrow = Snapshot { covers: Some((date("2026-12-03"), date("2026-12-03"))), ..back };
    assert!(availability(&narrow, &closed, s.as_of, false).unwrap().wants_alternatives());
}

#[test]
fn buckets_for_lists_every_counter_a_sale_may_touch() {
    let s = snap(TRATTORIA, &[], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    let all = buckets_for(&s.resource, date("2026-12-05"), date("2026-12-05"));
    let now = utc("2026-12-01T09:00:00+00:00");
    for slot in ["20:00", "20:45", "22:00"] {
        let p = plan_hold(&s, &item("2026-12-05", Some(slot), 1), now).unwrap();
        assert!(p.takes.iter().all(|t| all.contains(&t.bucket)), "{slot}");
    }
}

#[test]
fn merge_takes_sums_items_on_one_resource() {
    let s = snap(DAILY, &[("d:2027-01-05", 45)], "2027-01-01", "2027-01-31", NOW);
    let a = plan_hold(&s, &item("2027-01-05", None, 3), utc(NOW)).unwrap();
    let b = plan_hold(&s, &item("2027-01-05", None, 3), utc(NOW)).unwrap();
    let m = merge_takes([&a, &b]);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].qty, 6);
    // Each fits alone (45 + 3 <= 50), together they do not: the cart is refused whole.
    assert!(first_overflow(&a.takes, &s.counters).is_none());
    assert!(first_overflow(&m, &s.counters).is_some());
}

#[test]
fn limited_means_some_dimension_has_a_fifth_or_less_of_its_own_capacity_left() {
    // 8 of a slot's 8 left and 99 of the day's 120: nothing is scarce, whatever the ratio of
    // the slot's remaining to the day's capacity.
    let s = snap(TRATTORIA, &[("d:2026-12-05", 21)], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    let now = utc("2026-12-01T09:00:00+00:00");
    let a = availability(&s, &AvailabilityQuery::parse("date=2026-12-05&slot=21:00").unwrap(), now, false).unwrap();
    assert_eq!(a.status, Status::Available);
    // 6 of the slot's 30 left (20 %): limited.
    let s = snap(TRATTORIA, &[("s:2026-12-05T21:00", 24)], "2026-12-01", "2026-12-31", "2026-12-01T09:00:00+00:00");
    let a = availability(&s, &AvailabilityQuery::parse("date=2026-12-05&slot=21:00").unwrap(), now, false).unwrap();
    assert_eq!((a.status, a.remaining), (Status::Limited, 6));
}
