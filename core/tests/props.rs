//! Property tests of the core's invariants over random resources and hold sequences.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use chrono::{Duration, Timelike};
use common::*;
use proptest::prelude::*;

const TZS: &[&str] = &["Europe/Madrid", "Australia/Lord_Howe", "America/Santiago", "Asia/Tokyo", "UTC", "America/New_York"];
const NOW: &str = "2027-03-26T10:00:00+00:00";

#[derive(Debug, Clone)]
struct Spec {
    tz: &'static str,
    duration: u32,
    interval: u32,
    capacity: u32,
    concurrent: Option<u32>,
    pacing: Option<(u32, u32)>,
    daily: Option<u32>,
    stock: Option<u32>,
    open: (u32, u32),
}

impl Spec {
    fn json(&self) -> String {
        let mut dims = vec![];
        let mut slots = format!(r#""duration_min":{},"interval_min":{},"capacity":{}"#, self.duration, self.interval, self.capacity);
        if let Some(c) = self.concurrent {
            slots += &format!(r#","concurrent":{c}"#);
        }
        if let Some((w, m)) = self.pacing {
            slots += &format!(r#","pacing":{{"window_min":{w},"max":{m}}}"#);
        }
        dims.push(format!(r#""slots":{{{slots}}}"#));
        if let Some(d) = self.daily {
            dims.push(format!(r#""daily":{{"capacity":{d}}}"#));
        }
        if let Some(s) = self.stock {
            dims.push(format!(r#""stock":{{"on_hand":{s}}}"#));
        }
        let h = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        let iv = format!(r#"[["{}","{}"]]"#, h(self.open.0), h(self.open.1));
        format!(
            r#"{{"name":"p","timezone":"{}","dimensions":{{{}}},"hours":{{"mon":{iv},"tue":{iv},"wed":{iv},"thu":{iv},"fri":{iv},"sat":{iv},"sun":{iv}}},"pricing":{{"currency":"EUR","base_minor":1000,"triggers":[{{"utilization_gte":0.5,"multiplier":1.5,"tier":"high"}}]}}}}"#,
            self.tz,
            dims.join(",")
        )
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..TZS.len(),
        1u32..=16,
        1u32..=8,
        0u32..=12,
        proptest::option::of(0u32..=30),
        proptest::option::of((1u32..=6, 0u32..=20)),
        proptest::option::of(0u32..=60),
        proptest::option::of(0u32..=40),
        (0u32..=20, 4u32..=28),
    )
        .prop_map(|(tz, d, i, capacity, concurrent, pacing, daily, stock, (a, len))| {
            let start = a * 60;
            Spec {
                tz: TZS[tz],
                duration: d * 15,
                interval: i * 15,
                capacity,
                concurrent,
                pacing: pacing.map(|(w, m)| (w * 15, m)),
                daily,
                stock,
                open: (start, (start + len * 60).min(1440)),
            }
        })
}

/// Hold attempts: (day offset, slot pick, qty).
fn attempts() -> impl Strategy<Value = Vec<(i64, usize, u32)>> {
    proptest::collection::vec((0i64..4, 0usize..64, 1u32..=6), 1..60)
}

fn dates() -> (String, String) {
    ("2027-03-26".into(), "2027-04-10".into())
}

fn fresh(spec: &Spec) -> Snapshot {
    let (f, t) = dates();
    snap(&spec.json(), &[], &f, &t, NOW)
}

fn day_str(off: i64) -> String {
    (date("2027-03-27") + Duration::days(off)).to_string()
}

fn units(s: &Snapshot, d: &str, qty: u32) -> Vec<aforo_core::Unit> {
    let d = date(d);
    aforo_core::Evaluator::new(s, utc(NOW), qty, d, d).day(d).unwrap_or_default()
}

/// The takes of a hold of `qty` on the `pick`-th unit of a date, if the date has units.
fn takes_of(s: &Snapshot, d: &str, qty: u32, pick: usize) -> Option<Vec<aforo_core::Take>> {
    let d = date(d);
    let ev = aforo_core::Evaluator::new(s, utc(NOW), qty, d, d);
    let us = ev.day(d).ok().filter(|us| !us.is_empty())?;
    Some(ev.takes(&us[pick % us.len()], qty))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Taking only plans that fit never lets any counter pass any limit at any moment.
    #[test]
    fn plans_never_exceed_any_limit(spec in spec(), tries in attempts()) {
        let mut s = fresh(&spec);
        for (off, pick, qty) in tries {
            let d = day_str(off);
            let us = units(&s, &d, qty);
            if us.is_empty() { continue; }
            let u = &us[pick % us.len()];
            let item = HoldItem { resource_id: "r1".into(), date: Some(d.clone()), slot: u.slot.map(|x| x.name()), qty: i64::from(qty), area: None };
            let plan = plan_hold(&s, &item, utc(NOW)).unwrap();
            if first_overflow(&plan.takes, &s.counters).is_none() {
                apply(&plan.takes, &mut s.counters);
            }
        }
        for off in 0..4 {
            let d = date(&day_str(off));
            let ev = aforo_core::Evaluator::new(&s, utc(NOW), 1, d, d);
            for u in ev.day(d).unwrap_or_default() {
                for (b, limit) in ev.limits(&u) {
                    prop_assert!(s.counters.get(&b) <= limit, "{b} {} > {limit}", s.counters.get(&b));
                }
            }
        }
    }

    /// The evaluator's per-instant shortcut (the peak of a seating's counters, read once per
    /// grid instant) measures exactly what every bucket measured one by one does, and picks
    /// the table the store would pick.
    #[test]
    fn the_fast_measure_is_the_measure_of_every_bucket(spec in spec(), tries in attempts(), qty in 1u32..9) {
        let mut s = fresh(&spec);
        for (off, pick, q) in tries {
            let us = units(&s, &day_str(off), q);
            if us.is_empty() { continue; }
            let u = &us[pick % us.len()];
            let item = HoldItem { resource_id: "r1".into(), date: Some(day_str(off)), slot: u.slot.map(|x| x.name()), qty: i64::from(q), area: None };
            if let Ok(plan) = plan_hold(&s, &item, utc(NOW)) {
                aforo_core::take(&plan, &mut s.counters);
            }
        }
        for off in 0..4 {
            let d = date(&day_str(off));
            let ev = aforo_core::Evaluator::new(&s, utc(NOW), qty, d, d);
            for u in ev.day(d).unwrap_or_default() {
                if u.rule.is_some() { continue; }
                let slow = aforo_core::measure(&ev.limits(&u), &s.counters);
                prop_assert_eq!(u.measure, slow, "{} {:?}", d, u.slot);
                let first_free = ev.choices(&u).iter().position(|c| first_overflow(&c.takes, &s.counters).is_none());
                prop_assert_eq!(u.table, first_free);
            }
        }
    }

    /// Every take a plan makes names a bucket whose limit `limits_between` knows, with the
    /// same limit: the drift check judges oversells by the limits holds are taken against.
    #[test]
    fn limits_between_knows_every_take(spec in spec(), tries in attempts()) {
        let s = fresh(&spec);
        for (off, pick, qty) in tries {
            let d = day_str(off);
            let us = units(&s, &d, qty);
            if us.is_empty() { continue; }
            let u = &us[pick % us.len()];
            let item = HoldItem { resource_id: "r1".into(), date: Some(d.clone()), slot: u.slot.map(|x| x.name()), qty: i64::from(qty), area: None };
            let Ok(plan) = plan_hold(&s, &item, utc(NOW)) else { continue };
            let day = date(&d);
            let known = aforo_core::limits_between(&s, day.pred_opt().unwrap(), day.succ_opt().unwrap());
            for t in plan.takes.iter().chain(plan.choices.iter().flatten()) {
                prop_assert_eq!(known.get(&t.bucket), Some(&t.limit), "{}", t.bucket);
            }
        }
    }

    /// Remaining is never above the capacity shown, and the status says sold_out exactly when
    /// the plan for that qty would be refused by a limit.
    #[test]
    fn sold_out_iff_plan_overflows(spec in spec(), tries in attempts(), qty in 1u32..=8) {
        let mut s = fresh(&spec);
        for (off, pick, q) in tries {
            let Some(takes) = takes_of(&s, &day_str(off), q, pick) else { continue };
            if first_overflow(&takes, &s.counters).is_none() { apply(&takes, &mut s.counters); }
        }
        for off in 0..4 {
            let d = day_str(off);
            for u in units(&s, &d, qty) {
                prop_assert!(u.measure.remaining <= u.measure.capacity);
                let item = HoldItem { resource_id: "r1".into(), date: Some(d.clone()), slot: u.slot.map(|x| x.name()), qty: i64::from(qty), area: None };
                let plan = plan_hold(&s, &item, utc(NOW)).unwrap();
                let refused = first_overflow(&plan.takes, &s.counters).is_some();
                prop_assert_eq!(u.status == Status::SoldOut, refused, "{} {:?}", d, u.slot);
                prop_assert_eq!(u.measure.remaining >= qty, !refused);
            }
        }
    }

    /// Every slot's start is the wall time its name says, on its date, in its zone.
    #[test]
    fn every_slot_start_exists_in_local_time(spec in spec(), off in 0i64..200) {
        let s = fresh(&spec);
        let d = date("2027-01-01") + Duration::days(off);
        let ev = aforo_core::Evaluator::new(&s, utc("2026-12-31T00:00:00+00:00"), 1, d, d);
        let Ok(us) = ev.day(d) else { return Ok(()); };
        let mut names = std::collections::HashSet::new();
        for u in us {
            let slot = u.slot.unwrap();
            let local = slot.start.with_timezone(&s.resource.tz);
            prop_assert_eq!(local.date_naive(), d);
            prop_assert_eq!(local.hour() * 60 + local.minute(), u32::from(slot.minute));
            prop_assert!(names.insert(slot.minute), "slot named twice");
        }
    }

    /// The same snapshot always gives the same bytes, through a JSON round trip as the edge
    /// receives it.
    #[test]
    fn answers_are_deterministic_across_snapshot_transport(spec in spec(), tries in attempts()) {
        let mut s = fresh(&spec);
        for (off, pick, q) in tries {
            let Some(takes) = takes_of(&s, &day_str(off), q, pick) else { continue };
            if first_overflow(&takes, &s.counters).is_none() { apply(&takes, &mut s.counters); }
        }
        let wire = serde_json::to_vec(&s.to_doc()).unwrap();
        let edge = Snapshot::from_doc(serde_json::from_slice(&wire).unwrap()).unwrap();
        let q = CalendarQuery::parse("from=2027-03-26&to=2027-04-02&qty=2").unwrap();
        prop_assert_eq!(to_json(&calendar(&s, &q, utc(NOW), false).unwrap()), to_json(&calendar(&edge, &q, utc(NOW), false).unwrap()));
        let a = AvailabilityQuery::parse("date=2027-03-28&qty=2").unwrap();
        prop_assert_eq!(to_json(&availability(&s, &a, utc(NOW), false).unwrap()), to_json(&availability(&edge, &a, utc(NOW), false).unwrap()));
    }

    /// Bucket names round-trip for any instant and date.
    #[test]
    fn bucket_names_round_trip(min in 0i64..200_000_000, day in 0i64..100_000) {
        let d = date("1970-01-01") + Duration::days(day);
        for b in [Bucket::Moment(min), Bucket::Pace(min), Bucket::Day(d), Bucket::Slot(d, (min % 1440) as u16)] {
            prop_assert_eq!(b.to_string().parse::<Bucket>().unwrap(), b);
        }
    }

    /// Arbitrary bodies never panic the parsers and unknown top-level fields are refused.
    #[test]
    fn parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200), key in "[a-z_]{1,12}") {
        let _ = Resource::from_json(&body);
        let _ = HoldRequest::from_json(&body);
        let _ = AvailabilityQuery::parse(&String::from_utf8_lossy(&body));
        let doc = format!(r#"{{"name":"x","timezone":"UTC","dimensions":{{"daily":{{"capacity":1}}}},"{key}":1}}"#);
        let known = ["name","timezone","dimensions","hours","closures","seasons","lead_time_min","cutoff","horizon_days","qty","hold_ttl_s","pricing"];
        if !known.contains(&key.as_str()) {
            prop_assert!(Resource::from_json(doc.as_bytes()).is_err());
        }
    }
}
