//! The console's rules in the browser: the same `aforo-core` that the origin and the edge run,
//! compiled to wasm, so that a seller editing a document sees the origin's own field errors
//! and the calendar it would answer before saving. Every export takes and returns JSON text
//! (no JS object bindings to keep in step); the pure functions below are what the tests call.

use aforo_core::{availability, calendar, warnings, AvailabilityQuery, CalendarQuery, Counters, Resource, Snapshot, State};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use wasm_bindgen::prelude::wasm_bindgen;

/// `{"ok": true, "errors": [], "warnings": [{"path", "message"}]}` or `{"ok": false, "errors":
/// [{"path", "message"}], "warnings": []}` — the `INVALID_CONFIG` errors the origin would
/// answer for this document, and for a valid one the limits that can never bind
/// (`aforo_core::warnings`: saved all the same).
pub fn validate_doc(doc_json: &str) -> Value {
    match Resource::from_json(doc_json.as_bytes()) {
        Ok(res) => json!({"ok": true, "errors": [], "warnings": warnings(&res), "kind": res.kind}),
        Err(e) => json!({"ok": false, "errors": e.errors, "warnings": []}),
    }
}

fn snapshot(doc_json: &str, now: DateTime<Utc>) -> Result<Snapshot, Value> {
    let resource = Resource::from_json(doc_json.as_bytes()).map_err(|e| json!({"ok": false, "errors": e.errors}))?;
    let on_hand = resource.initial_on_hand();
    Ok(Snapshot {
        resource_id: "preview".into(),
        owner: "preview".into(),
        resource,
        state: State { version: 0, on_hand, pause: None },
        covers: None,
        counters: Counters::default(),
        as_of: now,
    })
}

fn instant(now_rfc3339: &str) -> Result<DateTime<Utc>, Value> {
    DateTime::parse_from_rfc3339(now_rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| json!({"ok": false, "errors": [{"path": "now", "message": e.to_string()}]}))
}

fn query_error(e: impl ToString) -> Value {
    json!({"ok": false, "errors": [{"path": "query", "message": e.to_string()}]})
}

/// The calendar `from..=to` of a document with nothing booked yet, as the origin's
/// `GET /calendar?from&to&qty` would answer it at `now`.
pub fn preview_calendar_doc(doc_json: &str, from: &str, to: &str, qty: u32, now_rfc3339: &str) -> Value {
    let run = || -> Result<Value, Value> {
        let now = instant(now_rfc3339)?;
        let mut snap = snapshot(doc_json, now)?;
        let q = CalendarQuery::parse(&format!("from={from}&to={to}&qty={qty}")).map_err(query_error)?;
        snap.covers = Some(q.needs());
        let c = calendar(&snap, &q, now, false).map_err(query_error)?;
        Ok(json!({"ok": true, "calendar": c}))
    };
    run().unwrap_or_else(|e| e)
}

/// The slots of one date of a document with nothing booked yet, as the origin's
/// `GET /availability?date&qty` would answer it at `now`.
pub fn preview_day_doc(doc_json: &str, date: &str, qty: u32, now_rfc3339: &str) -> Value {
    let run = || -> Result<Value, Value> {
        let now = instant(now_rfc3339)?;
        let mut snap = snapshot(doc_json, now)?;
        let q = AvailabilityQuery::parse(&format!("date={date}&qty={qty}")).map_err(query_error)?;
        snap.covers = q.needs();
        let a = availability(&snap, &q, now, false).map_err(query_error)?;
        Ok(json!({"ok": true, "availability": a}))
    };
    run().unwrap_or_else(|e| e)
}

/// [`validate_doc`] for the browser.
#[wasm_bindgen]
pub fn validate(doc_json: &str) -> String {
    validate_doc(doc_json).to_string()
}

/// [`preview_calendar_doc`] for the browser.
#[wasm_bindgen]
pub fn preview_calendar(doc_json: &str, from: &str, to: &str, qty: u32, now_rfc3339: &str) -> String {
    preview_calendar_doc(doc_json, from, to, qty, now_rfc3339).to_string()
}

/// [`preview_day_doc`] for the browser.
#[wasm_bindgen]
pub fn preview_day(doc_json: &str, date: &str, qty: u32, now_rfc3339: &str) -> String {
    preview_day_doc(doc_json, date, qty, now_rfc3339).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DINNER: &str = r#"{"name":"t","timezone":"Europe/Madrid",
      "dimensions":{"slots":{"duration_min":90,"interval_min":30,"capacity":10}},
      "hours":{"fri":[["20:00","23:00"]]},
      "closures":[{"from":"2026-12-11","to":"2026-12-11"}]}"#;
    const NOW: &str = "2026-12-01T10:00:00Z";

    #[test]
    fn errors_carry_the_field_path_the_origin_answers() {
        assert_eq!(validate_doc(DINNER)["ok"], true);
        let bad = DINNER.replace("\"interval_min\":30", "\"interval_min\":0");
        let v = validate_doc(&bad);
        assert_eq!(v["ok"], false);
        assert_eq!(v["errors"][0]["path"], "dimensions.slots.interval_min", "{v}");
        let typo = DINNER.replace("\"hours\"", "\"horas\"");
        assert_eq!(validate_doc(&typo)["ok"], false);
    }

    #[test]
    fn the_preview_is_the_calendar_of_an_empty_resource() {
        let c = preview_calendar_doc(DINNER, "2026-12-03", "2026-12-11", 2, NOW);
        assert_eq!(c["ok"], true, "{c}");
        let days = c["calendar"]["days"].as_array().unwrap();
        assert_eq!(days.len(), 9);
        let status = |d: &str| days.iter().find(|x| x["date"] == d).unwrap()["status"].clone();
        assert_eq!(status("2026-12-04"), "available", "a Friday");
        assert_eq!(status("2026-12-05"), "closed", "a Saturday has no hours");
        assert_eq!(status("2026-12-11"), "closed", "a closure");
        let day = preview_day_doc(DINNER, "2026-12-04", 2, NOW);
        let slots: Vec<_> = day["availability"]["slots"].as_array().unwrap().iter().map(|s| s["slot"].clone()).collect();
        assert_eq!(slots, ["20:00", "20:30", "21:00", "21:30"], "{day}");
        assert_eq!(day["availability"]["slots"][0]["remaining"], 10);
        assert_eq!(preview_day_doc(DINNER, "2026-12-04", 2, "yesterday")["errors"][0]["path"], "now");
        assert_eq!(
            day["availability"]["slots"][0]["limited_by"],
            json!({"rule": "slot_capacity", "used": 0, "limit": 10, "at": "2026-12-04T20:00:00+01:00"})
        );
        assert_eq!(c["calendar"]["days"][1]["limited_by"]["rule"], "slot_capacity", "{c}");
    }

    #[test]
    fn a_limit_that_can_never_bind_is_a_warning_not_an_error() {
        assert_eq!(validate_doc(DINNER)["warnings"], json!([]));
        // Pacing of 20 per 30 minutes over slots of 10 every 30 minutes: never reached.
        let paced = DINNER.replace("\"capacity\":10}", "\"capacity\":10,\"pacing\":{\"window_min\":30,\"max\":20}}");
        let v = validate_doc(&paced);
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["warnings"][0]["path"], "dimensions.slots.pacing.max", "{v}");
        assert_eq!(validate_doc("{}")["warnings"], json!([]));
    }
}
