//! Helpers shared by the core's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use aforo_core::{Counters, Resource, Snapshot, State};
use chrono::{DateTime, NaiveDate, Utc};

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn resource(json: &str) -> Resource {
    Resource::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("invalid test document: {e}"))
}

/// A snapshot of `json` covering `from..=to` with the given counters.
pub fn snap(json: &str, counters: &[(&str, u32)], from: &str, to: &str, as_of: &str) -> Snapshot {
    let resource = resource(json);
    Snapshot {
        resource_id: "r1".into(),
        owner: "seller-1".into(),
        state: State { version: 1, on_hand: resource.initial_on_hand(), pause: None },
        resource,
        covers: Some((date(from), date(to))),
        counters: Counters::from_named(counters.iter().copied()).unwrap(),
        as_of: utc(as_of),
    }
}

/// The API.md restaurant, made consistent: API.md's example date 2026-12-05 is a Saturday
/// (its hours list only Tuesday and Wednesday) and its pacing (10 per 15 min) cannot let 24
/// units start at one 15-minute slot; Saturday hours and a pacing max of 40 fix both.
pub const TRATTORIA: &str = r#"{
  "name": "Trattoria — dinner",
  "timezone": "Europe/Madrid",
  "dimensions": {
    "daily": {"capacity": 120},
    "slots": {"duration_min": 90, "interval_min": 15, "capacity": 24, "concurrent": 60,
              "pacing": {"window_min": 15, "max": 40}}
  },
  "hours": {"tue": [["13:00","16:00"],["20:00","23:30"]], "wed": [["20:00","23:30"]],
            "sat": [["20:00","23:30"]]},
  "closures": [{"from": "2026-12-24", "to": "2026-12-26", "reason": "vacaciones"}],
  "seasons": [{"name": "navidad", "from": "2026-12-01", "to": "2027-01-06", "priority": 10,
               "overrides": {"daily_capacity": 160, "slot_capacity": 30,
                             "lead_time_min": 240, "price_multiplier": 1.2}}],
  "lead_time_min": 60,
  "cutoff": {"days_before": 0, "at": "18:00"},
  "horizon_days": 60,
  "qty": {"min": 1, "max": 8},
  "hold_ttl_s": 600,
  "pricing": {"currency": "EUR", "base_minor": 2500,
              "triggers": [{"utilization_gte": 0.7, "multiplier": 1.15, "tier": "high"},
                           {"utilization_gte": 0.9, "multiplier": 1.3, "tier": "peak"}]}
}"#;

/// A slots-only resource open all day in `tz`, 30-minute slots of 30 minutes.
pub fn all_day_slots(tz: &str) -> String {
    format!(
        r#"{{"name":"x","timezone":"{tz}","dimensions":{{"slots":{{"duration_min":30,"interval_min":30,"capacity":5}}}},"horizon_days":3660}}"#
    )
}
