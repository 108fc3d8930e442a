//! `GET /v1/resources/{id}/tables?date=D[&area=A]`: the host stand's view of the floor — every
//! table (id, area, seats, tags; `count` for a pool) with its seatings of the date, the
//! combinations and joins, and per slot the tables in use and the parties seated.

use std::collections::BTreeSet;

use aforo_core::{from_epoch_min, parse_date, rfc3339_local, slots_on, Bucket, SlotRules};
use chrono_tz::Tz;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::Ctx;
use crate::auth::Role;
use crate::error::ApiError;
use crate::holds::seatings::{seatings, Seating};
use crate::holds::view::rfc3339_ms;
use crate::http::{json, query_params, Body};

/// The seatings of one table: hold, party, status, from/to (local), finished_at, buyer.
fn seatings_of(table: &str, all: &[Seating], rules: &SlotRules, tz: Tz) -> Vec<Value> {
    let step = i64::from(rules.interval_min.max(1));
    all.iter()
        .filter_map(|s| {
            let (from, to) = s.span(table, step, i64::from(rules.duration_min))?;
            let mut v = json!({"hold_id": s.hold_id, "tables": s.label.split('+').collect::<Vec<_>>(), "party": s.party, "status": s.status,
                "from": rfc3339_local(tz, from_epoch_min(from)), "to": rfc3339_local(tz, from_epoch_min(to)), "caller": s.caller});
            if let Some(at) = s.finished_at_ms {
                v["finished_at"] = json!(rfc3339_ms(at));
            }
            if let Some(g) = &s.guest {
                v["guest"] = json!(g);
            }
            Some(v)
        })
        .collect()
}

/// The floor of a date.
pub async fn floor(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let loaded = ctx.app.load(&ctx.id, None).await?;
    ctx.owner(Role::Seller, &loaded.owner)?;
    let q = query_params(&ctx.query, &["date", "area"])?;
    let d = q.get("date").ok_or_else(|| ApiError::InvalidRequest("date: required".into()))?;
    let date = parse_date(d).ok_or_else(|| ApiError::InvalidRequest(format!("date: must be a date YYYY-MM-DD, got {d:?}")))?;
    let rules = loaded
        .resource
        .slots
        .as_ref()
        .filter(|r| !r.tables.is_empty())
        .ok_or_else(|| ApiError::InvalidRequest(format!("resource {} has no tables", ctx.id)))?;
    let areas: BTreeSet<&str> = rules.tables.iter().filter_map(|t| t.area.as_deref()).collect();
    let area = q.get("area").map(String::as_str);
    if let Some(a) = area.filter(|a| !areas.contains(a)) {
        let known = areas.iter().copied().collect::<Vec<_>>().join(", ");
        return Err(ApiError::InvalidRequest(format!("area: {} has no area {a:?} (areas: {known})", ctx.id)));
    }
    let in_area = |a: Option<&str>| area.is_none() || a == area;
    let snap = ctx.app.snapshot(&ctx.id, Some((date, date))).await?;
    let seated = seatings(&ctx.app, &ctx.id, date, snap.as_of.timestamp_millis()).await?;
    let tz = loaded.resource.tz;
    let tables: Vec<Value> = rules
        .tables
        .iter()
        .filter(|t| in_area(t.area.as_deref()))
        .map(|t| {
            json!({"id": t.name, "area": t.area, "seats": [t.min, t.max], "tags": t.tags, "count": t.count,
                "seatings": seatings_of(&t.name, &seated, rules, tz)})
        })
        .collect();
    let combinations: Vec<Value> = rules
        .joins
        .iter()
        .filter(|j| in_area(j.area.as_deref()))
        .map(|j| json!({"id": j.label, "of": j.label.split('+').collect::<Vec<_>>(), "area": j.area, "seats": [j.min, j.max]}))
        .collect();
    // Every slot of the day, sellable or not: the host sees the floor whatever can still be sold.
    let slots: Vec<Value> = slots_on(&loaded.resource, date)
        .iter()
        .map(|slot| {
            let m = slot.start_min();
            let in_use: Vec<Value> = rules
                .tables
                .iter()
                .filter(|t| in_area(t.area.as_deref()))
                .map(|t| json!({"type": t.name, "count": t.count, "in_use": snap.counters.get(&Bucket::Table(t.name.clone(), m))}))
                .collect();
            let holds: Vec<Value> = seated
                .iter()
                .filter(|s| s.seated_at(m))
                .map(|s| {
                    let since = s.tables.values().filter_map(|v| v.first()).min().map_or(slot.start, |f| from_epoch_min(*f));
                    json!({"hold_id": s.hold_id, "table": s.label, "party": s.party, "status": s.status, "seated_at": rfc3339_local(tz, since)})
                })
                .collect();
            json!({"slot": slot.name(), "start": rfc3339_local(tz, slot.start), "tables": in_use, "holds": holds})
        })
        .collect();
    let types: Vec<Value> = rules.tables.iter().map(|t| json!({"type": t.name, "count": t.count, "seats": [t.min, t.max]})).collect();
    let joins: Vec<Value> = rules.joins.iter().map(|j| json!({"of": j.label, "seats": [j.min, j.max]})).collect();
    let body = json!({"resource_id": ctx.id, "date": date, "timezone": loaded.resource.doc.timezone,
        "as_of": aforo_core::rfc3339(&snap.as_of), "areas": areas, "tables": tables, "combinations": combinations,
        "types": types, "joins": joins, "slots": slots});
    Ok(json(StatusCode::OK, body.to_string()))
}
