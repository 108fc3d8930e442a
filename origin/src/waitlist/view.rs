//! An entry as API.md shows it.

use serde_json::{json, Value};

use super::Kept;
use crate::holds::view::rfc3339_ms;
use crate::store::WaitEntry;

/// The entry's answer; `guest` only where its buyer, the seller or ops read it.
pub fn entry_view(e: &WaitEntry, guest: bool) -> Value {
    let kept: Option<Kept> = serde_json::from_str(&e.request).ok();
    let r = kept.as_ref().map(|k| &k.request);
    let mut v = json!({
        "id": e.id,
        "resource_id": r.map(|r| r.resource_id.clone()),
        "date": (e.date != "all").then(|| e.date.clone()),
        "qty": r.map(|r| r.qty),
        "status": e.state.status,
        "created_at": rfc3339_ms(e.created_at),
    });
    if let Some(r) = r {
        for (k, x) in [("from", &r.from), ("to", &r.to), ("area", &r.area)] {
            if let Some(x) = x {
                v[k] = json!(x);
            }
        }
        if guest {
            if let Some(g) = &r.guest {
                v["guest"] = json!(g);
            }
        }
    }
    if let Some(p) = e.state.position {
        v["position"] = json!(p);
    }
    if let Some(h) = &e.state.hold {
        v["hold_id"] = json!(h);
    }
    if let (Some(t), "offered") = (e.state.offer_expires_at, e.state.status.as_str()) {
        v["offer_expires_at"] = json!(rfc3339_ms(t));
    }
    v
}
