//! `GET /v1/resources/{id}/about` (edge only): what the buyer page shows of a resource besides
//! its availability — its name, kind, timezone, party limits, hold time and cancellation
//! policy — from the cached snapshot, so the page never shows an id. Nothing of the owner,
//! counters, prices' triggers or guests. Pure, so that its test runs on the host.

use aforo_core::Snapshot;
use serde_json::{json, Value};

/// The answer for a snapshot.
pub fn about(snap: &Snapshot) -> String {
    about_value(snap).to_string()
}

fn about_value(snap: &Snapshot) -> Value {
    let r = &snap.resource;
    let doc = &r.doc;
    let mut v = json!({
        "resource_id": snap.resource_id,
        "name": doc.name,
        "kind": r.kind,
        "timezone": doc.timezone,
        "qty": {"min": r.qty_min},
        "hold_ttl_s": r.hold_ttl_s,
        "horizon_days": r.horizon_days,
        "tables": r.slots.as_ref().is_some_and(|s| !s.tables.is_empty()),
        "as_of": snap.as_of.to_rfc3339(),
    });
    if let Some(max) = r.qty_max {
        v["qty"]["max"] = json!(max);
    }
    if let Some(p) = &doc.pricing {
        v["currency"] = json!(p.currency);
    }
    if let Some(c) = &doc.cancellation {
        v["cancellation"] = json!({"free_until_h": c.free_until_h, "fee_percent": c.fee_percent});
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use aforo_core::SnapshotDoc;

    fn snap(doc: Value) -> Snapshot {
        let d: SnapshotDoc = serde_json::from_value(json!({"resource_id": "trattoria", "owner": "seller-1", "document": doc,
            "state": {"version": 1}, "counters": {}, "as_of": "2026-12-01T19:00:00Z"}))
        .unwrap();
        Snapshot::from_doc(d).unwrap()
    }

    #[test]
    fn the_page_learns_the_name_and_policy_and_nothing_of_the_owner() {
        let s = snap(json!({"name": "Trattoria — cena", "timezone": "Europe/Madrid",
            "dimensions": {"slots": {"duration_min": 90, "interval_min": 30, "capacity": 8, "tables": [{"id": "T1", "seats": [1, 4]}]}},
            "qty": {"min": 1, "max": 6}, "hold_ttl_s": 300, "cancellation": {"free_until_h": 24, "fee_percent": 50},
            "pricing": {"currency": "EUR", "base_minor": 2500}}));
        let v = about_value(&s);
        assert_eq!(v["name"], "Trattoria — cena");
        assert_eq!((v["kind"].as_str(), v["timezone"].as_str()), (Some("SLOTS"), Some("Europe/Madrid")));
        assert_eq!(v["qty"], json!({"min": 1, "max": 6}));
        assert_eq!((v["hold_ttl_s"].as_u64(), v["tables"].as_bool()), (Some(300), Some(true)));
        assert_eq!(v["cancellation"], json!({"free_until_h": 24, "fee_percent": 50}));
        assert_eq!(v["currency"], "EUR");
        assert!(!about(&s).contains("seller-1"));
        let stock = about_value(&snap(json!({"name": "Panettone 1kg", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 4}}})));
        assert_eq!((stock["kind"].as_str(), stock["tables"].as_bool()), (Some("STOCK"), Some(false)));
        assert!(stock.get("cancellation").is_none() && stock.get("currency").is_none() && stock["qty"].get("max").is_none());
    }
}
