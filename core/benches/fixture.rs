// The benchmark fixture, shared by the criterion bench and the wasm bench
// (tests/wasm-bench) so that both measure the very same work. Included with `include!`.

use aforo_core::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};

const DOC: &str = r#"{"name":"bench","timezone":"Europe/Madrid",
  "dimensions":{"daily":{"capacity":400},"slots":{"duration_min":90,"interval_min":15,"capacity":24,"concurrent":60,"pacing":{"window_min":30,"max":30}}},
  "hours":{"mon":[["12:00","16:00"],["19:00","23:30"]],"tue":[["12:00","16:00"],["19:00","23:30"]],"wed":[["12:00","16:00"],["19:00","23:30"]],
           "thu":[["12:00","16:00"],["19:00","23:30"]],"fri":[["12:00","16:00"],["19:00","23:30"]],"sat":[["12:00","16:00"],["19:00","23:30"]],"sun":[["12:00","16:00"],["19:00","23:30"]]},
  "seasons":[{"name":"navidad","from":"2026-12-01","to":"2027-01-06","priority":10,"overrides":{"slot_capacity":30,"price_multiplier":1.2}}],
  "lead_time_min":60,"horizon_days":90,
  "pricing":{"currency":"EUR","base_minor":2500,"triggers":[{"utilization_gte":0.7,"multiplier":1.15,"tier":"high"},{"utilization_gte":0.9,"multiplier":1.3,"tier":"peak"}]}}"#;

/// A busy month of a 15-minute-slot hybrid resource, and the instant it is judged at.
pub fn busy() -> (Snapshot, DateTime<Utc>) {
    let resource = Resource::from_json(DOC.as_bytes()).unwrap();
    let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00+00:00").unwrap().with_timezone(&Utc);
    let from = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let to = from + Duration::days(40);
    let mut snap = Snapshot {
        resource_id: "bench".into(),
        owner: "s".into(),
        resource,
        state: State { version: 1, on_hand: None, pause: None },
        covers: Some((from, to)),
        counters: Counters::default(),
        as_of: now,
    };
    // Fill every slot of every day with two holds of 3 where they fit: a busy month.
    let mut d = from;
    while d <= to {
        let ev = aforo_core::Evaluator::new(&snap, now, 3, d, d);
        let takes: Vec<Vec<Take>> = ev.day(d).unwrap_or_default().iter().map(|u| ev.takes(u, 3)).collect();
        for t in takes {
            for _ in 0..2 {
                if first_overflow(&t, &snap.counters).is_none() {
                    aforo_core::apply(&t, &mut snap.counters);
                }
            }
        }
        d += Duration::days(1);
    }
    (snap, now)
}
