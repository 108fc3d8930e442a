//! Resource documents as sellers write them, generated across the limits of `docs/limits.md`:
//! hours up to round the clock (split lunch and dinner, missing days, no hours at all),
//! 5–60-minute intervals, seatings up to 12 hours, concurrent occupancy and pacing, table types
//! and joins, seasons that change the hours, closures, triggers, and zones with DST changes
//! (including Lord Howe's half hour and Chatham's 45-minute offset).
//!
//! Some generated documents pass a cost limit: tests hold those to a refusal that names it.
//! The documents at the limits, written once, are in `tests/documents/`.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Zones with and without DST, odd offsets included.
pub const ZONES: &[&str] = &[
    "Europe/Madrid",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
    "Pacific/Chatham",
    "Europe/London",
];

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// One weekday's intervals: closed, round the clock, one stretch, or lunch and dinner.
fn day_hours() -> impl Strategy<Value = Option<Vec<[String; 2]>>> {
    prop_oneof![
        1 => Just(None),
        2 => Just(Some(vec![["00:00".to_string(), "24:00".to_string()]])),
        4 => (0u32..=20, 1u32..=24).prop_map(|(a, len)| {
            let (s, e) = (a * 60, (a * 60 + len * 60).min(1440));
            Some(vec![[hhmm(s), hhmm(e)]])
        }),
        3 => (10u32..=13, 2u32..=4, 18u32..=21, 2u32..=4).prop_map(|(l, ll, d, dl)| {
            Some(vec![[hhmm(l * 60), hhmm((l + ll) * 60)], [hhmm(d * 60), hhmm(((d + dl) * 60).min(1440))]])
        }),
    ]
}

/// A week of hours: the same every day (as most sellers write it) or day by day.
fn week() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => day_hours().prop_map(|d| {
            let iv = d.unwrap_or_else(|| vec![["12:00".to_string(), "22:00".to_string()]]);
            Value::Object(DAYS.iter().map(|k| (k.to_string(), json!(iv))).collect())
        }),
        1 => proptest::collection::vec(day_hours(), 7).prop_map(|days| {
            let mut m = Map::new();
            for (k, d) in DAYS.iter().zip(days) {
                if let Some(iv) = d {
                    m.insert(k.to_string(), json!(iv));
                }
            }
            Value::Object(m)
        }),
    ]
}

fn slots() -> impl Strategy<Value = Value> {
    let interval = prop::sample::select(vec![5u32, 10, 15, 20, 30, 45, 60]);
    let duration = prop_oneof![
        3 => prop::sample::select(vec![30u32, 45, 60, 90, 120, 150, 180]),
        1 => (1u32..=144).prop_map(|k| k * 5),
    ];
    let pacing = proptest::option::of((prop::sample::select(vec![5u32, 10, 15, 30, 60, 120, 240]), 1u32..=40));
    let tables = proptest::collection::vec((1u32..=6, 1u32..=4, 0u32..=3), 0..=4);
    (interval, duration, 1u32..=60, proptest::option::of(1u32..=200), pacing, tables, any::<bool>(), any::<bool>()).prop_map(
        |(interval, duration, capacity, concurrent, pacing, tables, join, physical)| {
            let mut s = json!({"duration_min": duration, "interval_min": interval, "capacity": capacity});
            if let Some(c) = concurrent {
                s["concurrent"] = json!(c);
            }
            if let Some((w, m)) = pacing {
                s["pacing"] = json!({"window_min": w, "max": m});
            }
            if !tables.is_empty() && physical {
                // Numbered tables in two areas, and the first tables of t0 and t2 pushed together.
                let ids: Vec<Value> = tables
                    .iter()
                    .enumerate()
                    .flat_map(|(i, (count, min, extra))| {
                        (0..*count).map(
                            move |k| json!({"id": format!("t{i}x{k}"), "seats": [min, min + extra + 1], "area": format!("a{}", i % 2)}),
                        )
                    })
                    .collect();
                s["tables"] = json!(ids);
                if join && tables.len() >= 3 {
                    let seats = tables[0].1 + tables[0].2 + 1 + tables[2].1 + tables[2].2 + 1;
                    s["combinations"] = json!([{"of": ["t0x0", "t2x0"], "seats": [seats.saturating_sub(2).max(1), seats]}]);
                }
            } else if !tables.is_empty() {
                let types: Vec<Value> = tables
                    .iter()
                    .enumerate()
                    .map(|(i, (count, min, extra))| json!({"type": format!("t{i}"), "count": count, "seats": [min, min + extra + 1]}))
                    .collect();
                s["tables"] = json!(types);
                if join && tables.len() >= 2 {
                    let (a, b) = (&tables[0], &tables[1]);
                    let seats = a.1 + a.2 + 1 + b.1 + b.2 + 1;
                    s["joins"] = json!([{"of": ["t0", "t1"], "seats": [seats.saturating_sub(2).max(1), seats]}]);
                }
            }
            s
        },
    )
}

/// A season from `off` days after 2026-11-01, maybe with its own hours.
fn season() -> impl Strategy<Value = Value> {
    (0i64..400, 1i64..90, 0i32..5, proptest::option::of(week()), proptest::option::of(1u32..=80), proptest::option::of(50u32..=300))
        .prop_map(|(off, len, priority, hours, slot_capacity, mult)| {
            let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default() + chrono::Duration::days(off);
            let mut o = Map::new();
            if let Some(h) = hours {
                o.insert("hours".into(), h);
            }
            if let Some(c) = slot_capacity {
                o.insert("slot_capacity".into(), json!(c));
            }
            if let Some(m) = mult {
                o.insert("price_multiplier".into(), json!(f64::from(m) / 100.0));
            }
            json!({"name": format!("season {off}"), "from": start.to_string(), "to": (start + chrono::Duration::days(len)).to_string(),
                   "priority": priority, "overrides": o})
        })
}

/// A slot resource as a restaurant, a tour or a studio writes it (sometimes with a daily
/// quota and stock beside it), valid but for the cost limits.
pub fn document() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(ZONES),
        slots(),
        proptest::option::of(week()),
        proptest::collection::vec(season(), 0..=3),
        proptest::collection::vec((0i64..400, 0i64..5), 0..=3),
        proptest::option::of(50u32..=2000),
        proptest::option::of(100u32..=5000),
        0u32..=240,
        proptest::collection::vec((1u32..=9, 101u32..=200), 0..=3),
    )
        .prop_map(|(tz, slots, hours, seasons, closures, daily, stock, lead, triggers)| {
            let mut dims = json!({"slots": slots});
            if let Some(d) = daily {
                dims["daily"] = json!({"capacity": d});
            }
            if let Some(s) = stock {
                dims["stock"] = json!({"on_hand": s});
            }
            let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
            let closures: Vec<Value> = closures
                .iter()
                .map(|(off, len)| {
                    let f = base + chrono::Duration::days(*off);
                    json!({"from": f.to_string(), "to": (f + chrono::Duration::days(*len)).to_string(), "reason": "closed"})
                })
                .collect();
            let mut used = std::collections::BTreeSet::new();
            let triggers: Vec<Value> = triggers
                .iter()
                .filter(|(u, _)| used.insert(*u))
                .map(|(u, m)| json!({"utilization_gte": f64::from(*u) / 10.0, "multiplier": f64::from(*m) / 100.0, "tier": format!("tier {u}")}))
                .collect();
            let mut doc = json!({"name": "Generated", "timezone": tz, "dimensions": dims, "closures": closures, "seasons": seasons,
                                 "lead_time_min": lead, "horizon_days": 400,
                                 "pricing": {"currency": "EUR", "base_minor": 2000, "triggers": triggers}});
            if let Some(h) = hours {
                doc["hours"] = h;
            }
            doc
        })
}

/// `n` documents from a fixed seed: the same ones on every run.
pub fn sample(n: usize, seed: u8) -> Vec<Value> {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[seed; 32]),
    );
    let strategy = document();
    (0..n).map(|_| strategy.new_tree(&mut runner).expect("the document strategy never rejects").current()).collect()
}

/// The documents at the limits (`tests/documents/`), by name.
pub fn at_limits() -> Vec<(&'static str, Value)> {
    [
        ("restaurant-12h", include_str!("../documents/restaurant-12h.json")),
        ("at-limit-day", include_str!("../documents/at-limit-day.json")),
        ("at-limit-hold", include_str!("../documents/at-limit-hold.json")),
        ("at-limit-tables", include_str!("../documents/at-limit-tables.json")),
        ("at-limit-floor", include_str!("../documents/at-limit-floor.json")),
        ("at-limit-document", include_str!("../documents/at-limit-document.json")),
    ]
    .into_iter()
    .map(|(n, s)| (n, serde_json::from_str(s).expect("tests/documents holds JSON")))
    .collect()
}
