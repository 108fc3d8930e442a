//! `GET /v1/resources/{id}/tables?date=D`: the host stand's view of the floor — per slot and
//! table type, how many tables are in use and by which holds.

use aforo_core::parse_date;
use aforo_core::rfc3339_local;
use aforo_core::slots_on;
use aforo_core::Bucket;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json, query_params, Body};
use crate::store::HoldStatus;

/// A live hold seated on the date: id, table, party, seated from/to (epoch s), status.
struct Seated {
    id: String,
    table: String,
    party: u32,
    from: i64,
    to: i64,
    status: HoldStatus,
}

/// The floor of a date.
pub async fn floor(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let loaded = ctx.app.load(&ctx.id, None).await?;
    ctx.owner(&loaded.owner)?;
    let q = query_params(&ctx.query, &["date"])?;
    let d = q.get("date").ok_or_else(|| ApiError::InvalidRequest("date: required".into()))?;
    let date = parse_date(d).ok_or_else(|| ApiError::InvalidRequest(format!("date: must be a date YYYY-MM-DD, got {d:?}")))?;
    let rules = loaded
        .resource
        .slots
        .as_ref()
        .filter(|r| !r.tables.is_empty())
        .ok_or_else(|| ApiError::InvalidRequest(format!("resource {} has no tables", ctx.id)))?;
    let snap = ctx.app.snapshot(&ctx.id, Some((date, date))).await?;
    // Every slot of the day, sellable or not: the host sees the floor whatever can still be sold.
    let slots_of_day = slots_on(&loaded.resource, date);
    let dur = i64::from(rules.duration_min) * 60;
    let mut seated: Vec<Seated> = Vec::new();
    for id in ctx.app.store.holds_of_date(&ctx.id, &date.to_string()).await? {
        // A record may be gone before the index (the index lives as long as its last hold).
        let Some(rec) = ctx.app.store.hold_record(&ctx.id, &id).await? else { continue };
        let live = rec.status == HoldStatus::Consumed || (rec.status.is_live() && rec.expires_at_ms > snap.as_of.timestamp_millis());
        if !live {
            continue;
        }
        for it in rec.items.iter().filter(|it| it.date == Some(date)) {
            if let Some(st) = slots_of_day.iter().find(|s| Some(s.name()) == it.slot).map(|s| s.start.timestamp()) {
                let table = rec.table.clone().unwrap_or_default();
                seated.push(Seated { id: id.clone(), table, party: it.qty, from: st, to: st + dur, status: rec.status });
            }
        }
    }
    let tz = loaded.resource.tz;
    let slots: Vec<Value> = slots_of_day
        .iter()
        .map(|slot| {
            let m = slot.start_min();
            let tables: Vec<Value> = rules
                .tables
                .iter()
                .map(|t| json!({"type": t.name, "count": t.count, "in_use": snap.counters.get(&Bucket::Table(t.name.clone(), m))}))
                .collect();
            let at = slot.start.timestamp();
            let holds: Vec<Value> = seated
                .iter()
                .filter(|h| h.from <= at && at < h.to)
                .map(|h| {
                    let since = chrono::DateTime::from_timestamp(h.from, 0).unwrap_or(slot.start);
                    json!({"hold_id": h.id, "table": h.table, "party": h.party, "status": h.status, "seated_at": rfc3339_local(tz, since)})
                })
                .collect();
            json!({"slot": slot.name(), "start": rfc3339_local(tz, slot.start), "tables": tables, "holds": holds})
        })
        .collect();
    let types: Vec<Value> = rules.tables.iter().map(|t| json!({"type": t.name, "count": t.count, "seats": [t.min, t.max]})).collect();
    let joins: Vec<Value> = rules.joins.iter().map(|j| json!({"of": j.label, "seats": [j.min, j.max]})).collect();
    let body = json!({"resource_id": ctx.id, "date": date, "timezone": loaded.resource.doc.timezone,
        "as_of": aforo_core::rfc3339(&snap.as_of), "types": types, "joins": joins, "slots": slots});
    Ok(json(StatusCode::OK, body.to_string()))
}
