//! A hold as API.md shows it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::store::HoldRecord;

/// An instant in ms as RFC 3339 ('' when out of range).
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| aforo_core::rfc3339(&t)).unwrap_or_default()
}

/// Adds the table assigned on each resource (`resource -> table`) to its items.
pub fn with_tables(items: &mut Value, tables: &HashMap<String, String>) {
    for it in items.as_array_mut().into_iter().flatten() {
        if let Some(t) = it["resource_id"].as_str().and_then(|r| tables.get(r)) {
            it["table"] = json!(t);
            // API.md: the tables the party sits at, by id (a pool's seatings name the pool).
            it["tables"] = json!(t.split('+').filter(|x| !x.is_empty()).collect::<Vec<_>>());
        }
    }
}

/// The hold `id` as its home record `rec` shows it at `now_ms`.
pub fn hold_view(id: &str, rec: &HoldRecord, now_ms: i64) -> Value {
    // The home part keeps the whole hold's items; another part its own.
    let mut items = rec.body.clone().unwrap_or_else(|| json!(rec.items));
    // The home resource is the first item's.
    if let (Some(t), Some(home)) = (&rec.table, items[0]["resource_id"].as_str().map(String::from)) {
        with_tables(&mut items, &HashMap::from([(home, t.clone())]));
    }
    let mut v = json!({"id": id, "status": rec.shown_status(now_ms), "expires_at": rfc3339_ms(rec.expires_at_ms), "items": items});
    for (name, at) in [
        ("consumed_at", rec.consumed_at_ms),
        ("seated_at", rec.seated_at_ms),
        ("finished_at", rec.finished_at_ms),
        ("no_show_at", rec.no_show_at_ms),
    ] {
        if let Some(at) = at {
            v[name] = json!(rfc3339_ms(at));
        }
    }
    if let Some(g) = &rec.guest {
        v["guest"] = json!(g);
    }
    if let Some(c) = &rec.cancelled {
        v["cancelled_at"] = json!(rfc3339_ms(c.at_ms));
        v["cancelled_by"] = json!(c.by);
        v["refund"] = json!({"percent": c.refund_percent, "fee_minor": c.fee_minor});
        if let Some(r) = &c.reason {
            v["cancel_reason"] = json!(r);
        }
    }
    v
}

/// Keeps only the items on `resource` in a hold's answer: what a seller sees of a cart that
/// has items of other sellers too.
pub fn only_resource(view: &mut Value, resource: &str) {
    if let Some(items) = view["items"].as_array_mut() {
        items.retain(|it| it["resource_id"] == resource);
    }
}

/// The price of items, minor units.
pub(super) fn price_of(items: &[aforo_core::ItemView]) -> i64 {
    items.iter().filter_map(|it| Some(it.price.as_ref()?.unit_minor as i64 * i64::from(it.qty))).sum()
}
