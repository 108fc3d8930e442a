//! The resources' stream entries (docs/events.md) as webhook events: their type, their
//! stable id (the same on every retry and every replay), their signed body, and the dates
//! whose availability they touched (for `availability.changed`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One webhook event, ready to be queued for an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `webhook-id`: stable for this event.
    pub id: String,
    /// Its type (one of [`super::EVENT_TYPES`]).
    pub kind: String,
    /// The resource it is about.
    pub resource: String,
    /// The body: `{"type", "timestamp", "data"}`.
    pub body: String,
    /// When it happened (ms, Redis time: the stream id's), from which lag is measured.
    pub at_ms: i64,
}

fn event_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    format!("msg_{}", d[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_default()
}

/// An event of `kind` about `resource` at `at_ms` with `data`, its id from `key`.
pub fn outgoing(kind: &str, resource: &str, at_ms: i64, data: Value, key: &[&str]) -> Outgoing {
    let body = json!({"type": kind, "timestamp": rfc3339(at_ms), "data": data}).to_string();
    Outgoing { id: event_id(key), kind: kind.to_string(), resource: resource.to_string(), body, at_ms }
}

/// The ms of a stream id `<ms>-<seq>`.
pub fn entry_ms(entry_id: &str) -> i64 {
    entry_id.split('-').next().and_then(|m| m.parse().ok()).unwrap_or(0)
}

/// The webhook type of a hold transition of the stream, if it has one.
fn hold_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "held" => "hold.created",
        "retaken" | "consumed" => "hold.consumed",
        "released" => "hold.released",
        "expired" => "hold.expired",
        "cancelled" => "hold.cancelled",
        "changed" | "moved" => "hold.changed",
        "seated" => "hold.seated",
        "no_show" => "hold.no_show",
        "finished" => "hold.finished",
        _ => return None,
    })
}

/// The date a counter's name is about (`d:2026-12-05`, `s:2026-12-05T20:00` local; `c:…Z`,
/// `p:…Z`, `t:<type>@…Z` UTC); `None` for stock.
pub fn bucket_date(bucket: &str) -> Option<String> {
    let rest = bucket.get(2..)?;
    let rest = match bucket.as_bytes().first()? {
        b'd' | b's' | b'c' | b'p' => rest,
        b't' => rest.rsplit_once('@')?.1,
        _ => return None,
    };
    let date = rest.get(..10)?;
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok().map(|_| date.to_string())
}

/// What one stream entry of `resource` becomes: its webhook events, and the dates whose
/// availability it changed. The data carries what the stream carries (never a guest's
/// details: the stream has none).
pub fn from_entry(resource: &str, entry_id: &str, f: &BTreeMap<String, String>) -> (Vec<Outgoing>, BTreeSet<String>) {
    let kind = f.get("type").map_or("", String::as_str);
    let at_ms = entry_ms(entry_id);
    let changes: Value = f.get("changes").and_then(|c| serde_json::from_str(c).ok()).unwrap_or_else(|| json!([]));
    let version: Option<u64> = f.get("version").and_then(|v| v.parse().ok());
    let mut dates = BTreeSet::new();
    let mut stock = None;
    for c in changes.as_array().into_iter().flatten() {
        let b = c["bucket"].as_str().unwrap_or("");
        if b == "stock" {
            stock = Some(c.clone());
        } else if let Some(d) = bucket_date(b) {
            dates.insert(d);
        }
    }
    let mut out = Vec::new();
    if let Some(t) = hold_type(kind) {
        let holds = f.get("hold").map_or("", String::as_str);
        for hold in holds.split(',').filter(|h| !h.is_empty()) {
            let data = json!({"resource_id": resource, "hold_id": hold, "version": version, "changes": changes});
            out.push(outgoing(t, resource, at_ms, data, &[resource, entry_id, t, hold]));
        }
    } else if kind == "offered" {
        let data = json!({"resource_id": resource, "hold_id": f.get("hold"), "version": version, "changes": changes});
        out.push(outgoing("waitlist.offered", resource, at_ms, data, &[resource, entry_id, "waitlist.offered"]));
    } else if kind == "config" {
        let data = json!({"resource_id": resource, "version": version});
        out.push(outgoing("resource.updated", resource, at_ms, data, &[resource, entry_id, "resource.updated"]));
        if let Some(s) = stock {
            let data = json!({"resource_id": resource, "version": version, "committed": s["committed"], "remaining": s["remaining"]});
            out.push(outgoing("stock.changed", resource, at_ms, data, &[resource, entry_id, "stock.changed"]));
        }
    }
    if kind != "config" && changes.as_array().is_some_and(|a| a.iter().any(|c| c["bucket"] == "stock")) {
        let s = changes.as_array().and_then(|a| a.iter().find(|c| c["bucket"] == "stock")).cloned().unwrap_or_default();
        let data = json!({"resource_id": resource, "version": version, "committed": s["committed"], "remaining": s["remaining"]});
        out.push(outgoing("stock.changed", resource, at_ms, data, &[resource, entry_id, "stock.changed"]));
    }
    (out, dates)
}

/// The coalesced `availability.changed` of `resource` for `dates`, flushed at `at_ms`.
pub fn availability(resource: &str, dates: &[String], at_ms: i64) -> Outgoing {
    let key = format!("{at_ms}|{}", dates.join(","));
    outgoing("availability.changed", resource, at_ms, json!({"resource_id": resource, "dates": dates}), &[resource, "av", &key])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(kind: &str, hold: &str, changes: &str) -> BTreeMap<String, String> {
        [("type", kind), ("hold", hold), ("version", "3"), ("changes", changes)].into_iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn a_group_of_holds_is_one_event_per_hold_with_the_dates_touched() {
        let ch = r#"[{"bucket":"d:2026-12-05","delta":2,"committed":2},{"bucket":"s:2026-12-06T20:00","delta":2,"committed":2},{"bucket":"t:four@2026-12-07T19:00Z","delta":1,"committed":1}]"#;
        let (out, dates) = from_entry("room", "1764955200123-0", &entry("held", "h_a,h_b", ch));
        assert_eq!(out.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>(), ["hold.created", "hold.created"]);
        assert_ne!(out[0].id, out[1].id);
        assert_eq!(dates.into_iter().collect::<Vec<_>>(), ["2026-12-05", "2026-12-06", "2026-12-07"]);
        let body: Value = serde_json::from_str(&out[0].body).unwrap();
        assert_eq!(body["type"], "hold.created");
        assert_eq!(body["data"]["hold_id"], "h_a");
        assert_eq!(body["timestamp"], "2025-12-05T17:20:00.123Z");
        // Stable: the same entry maps to the same ids.
        assert_eq!(from_entry("room", "1764955200123-0", &entry("held", "h_a,h_b", ch)).0, out);
    }

    #[test]
    fn stock_and_config_entries() {
        let (out, dates) = from_entry("sku", "1-0", &entry("config", "", r#"[{"bucket":"stock","delta":0,"committed":1,"remaining":9}]"#));
        assert_eq!(out.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>(), ["resource.updated", "stock.changed"]);
        assert!(dates.is_empty());
        let (out, _) = from_entry("sku", "2-0", &entry("void", "h", "[]"));
        assert!(out.is_empty());
    }
}
