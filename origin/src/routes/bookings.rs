//! `GET /v1/resources/{id}/bookings?from=D&to=D&status=&q=&limit=&cursor=`: one entry per hold
//! item on the resource, by start, a page at a time (seller owner, ops), with its guest; `q`
//! finds a guest by a piece of the name, phone or email.

use aforo_core::{end_of_local_date, parse_date, start_of_local_date, ItemView};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::Ctx;
use crate::auth::Role;
use crate::error::ApiError;
use crate::holds::view::rfc3339_ms;
use crate::http::{json, query_params, Body};
use crate::store::history::{member_at, parse_member, BookingRow};

/// Entries per page when `limit` is not given, and at most.
const LIMIT: (usize, usize) = (50, 200);

/// Statuses a caller may filter on.
const STATUSES: [&str; 9] = ["held", "pending", "consumed", "seated", "finished", "no_show", "cancelled", "released", "expired"];

/// The bounds of a search by guest, in bytes.
const Q: (usize, usize) = (2, 100);

/// The cursor of a page: the index member it ends at, `<start>|<hold id>|<item>`, with `.`
/// for `|` (opaque to callers). A hold id may hold dots (its resource id may): the start and
/// the item are digits, so the first and the last dot are the separators.
fn cursor_of(member: &str) -> String {
    member.replace('|', ".")
}

fn member_of(cursor: &str) -> Result<String, ApiError> {
    let m = cursor.split_once('.').and_then(|(start, rest)| rest.rsplit_once('.').map(|(hold, item)| format!("{start}|{hold}|{item}")));
    let ok = |m: &String| cursor.len() <= 200 && !cursor.contains('|') && parse_member(m).is_some();
    m.filter(ok).ok_or_else(|| ApiError::InvalidRequest("cursor: not a cursor this route answered".into()))
}

fn date(q: &std::collections::BTreeMap<String, String>, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
    q.get(name)
        .map(|d| parse_date(d).ok_or_else(|| ApiError::InvalidRequest(format!("{name}: must be a date YYYY-MM-DD, got {d:?}"))))
        .transpose()
}

/// A page of the resource's bookings.
pub async fn list(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let loaded = ctx.app.load_any(&ctx.id, None).await?;
    ctx.owner(Role::Seller, &loaded.owner)?;
    let q = query_params(&ctx.query, &["from", "to", "status", "q", "limit", "cursor"])?;
    let search = match q.get("q") {
        None => None,
        Some(s) if !(Q.0..=Q.1).contains(&s.trim().len()) => {
            return Err(ApiError::InvalidRequest(format!("q: {} to {} characters of a guest's name, phone or email", Q.0, Q.1)))
        }
        // A phone is searched by its digits, as the guest's is kept.
        Some(s) if s.trim().chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) => {
            Some(s.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>())
        }
        Some(s) => Some(s.trim().to_lowercase()),
    };
    let (from, to) = (date(&q, "from")?, date(&q, "to")?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::InvalidRequest(format!("from: {f} is after to: {t}")));
        }
    }
    let status = q.get("status").map(String::as_str);
    if let Some(s) = status.filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::InvalidRequest(format!("status: one of {}, got {s:?}", STATUSES.join(", "))));
    }
    let limit = match q.get("limit") {
        None => LIMIT.0,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=LIMIT.1).contains(n))
            .ok_or_else(|| ApiError::InvalidRequest(format!("limit: a whole number from 1 to {}, got {l:?}", LIMIT.1)))?,
    };
    let tz = loaded.resource.tz;
    let mut min = from.map_or_else(|| "-".to_string(), |d| format!("[{}", member_at(start_of_local_date(tz, d).timestamp_millis())));
    if let Some(c) = q.get("cursor") {
        let after = member_of(c)?;
        if min == "-" || after.as_str() >= &min[1..] {
            min = format!("({after}");
        }
    }
    let max = to.map_or_else(|| "+".to_string(), |d| format!("({}", member_at(end_of_local_date(tz, d).timestamp_millis())));
    let page = ctx.app.store.bookings(&ctx.id, &min, &max, limit, status, search.as_deref()).await?;
    let items: Vec<Value> = page.rows.iter().filter_map(entry).collect();
    let body = json!({"resource_id": ctx.id, "items": items, "next": page.next.as_deref().map(cursor_of)});
    Ok(json(StatusCode::OK, body.to_string()))
}

/// One entry, from its row (`None` when the record no longer has the item).
fn entry(r: &BookingRow) -> Option<Value> {
    let items: Vec<ItemView> = serde_json::from_str(&r.items).ok()?;
    let it = items.get(r.item)?;
    let tables: Vec<&str> = r.table.split('+').filter(|t| !t.is_empty()).collect();
    let mut v = json!({
        "hold_id": r.hold_id, "status": r.status, "date": it.date, "slot": it.slot, "start": it.start,
        "qty": it.qty, "tables": tables, "price": it.price, "buyer": r.caller,
        "created_at": rfc3339_ms(r.created_at_ms), "expires_at": rfc3339_ms(r.expires_at_ms),
    });
    if let Some(c) = r.consumed_at_ms {
        v["consumed_at"] = json!(rfc3339_ms(c));
    }
    if let Ok(g) = serde_json::from_str::<Value>(&r.guest) {
        v["guest"] = g;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_for_hold_ids_with_dots() {
        for member in ["001767225600000|h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_room.a.b|3", "001767225600000|h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_r|0"] {
            assert_eq!(member_of(&cursor_of(member)).ok().as_deref(), Some(member));
        }
        for bad in ["", "x", "1.2", "001767225600000.h.x", "001767225600000|h|0"] {
            assert!(member_of(bad).is_err(), "{bad}");
        }
    }
}
