//! Reads: availability, calendar and the snapshot the edge computes from.

use aforo_core::parse_date;
use aforo_core::{availability as core_availability, calendar as core_calendar, to_json, AvailabilityQuery, CalendarQuery};
use aforo_core::{ALTERNATIVE_DAYS, MAX_CALENDAR_DAYS};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::Ctx;
use crate::error::ApiError;
use crate::http::{json, json_of, query_params, Body};

/// `GET /v1/resources/{id}/availability?date=D&qty=N[&slot=HH:MM]`.
pub async fn availability(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let q = AvailabilityQuery::parse(&ctx.query)?;
    // The days it may compute: the date, and the week after it for alternatives.
    let work = ctx.app.load(&ctx.id, None).await?.costs.day_steps as usize * (ALTERNATIVE_DAYS as usize + 1);
    let _permit = ctx.app.admit(work, ctx.share_key()).await?;
    // The date alone first: most answers fit and need no alternatives, and the week after
    // the date is several times the counters to read.
    let snap = ctx.app.snapshot(&ctx.id, q.date.map(|d| (d, d))).await?;
    let a = core_availability(&snap, &q, snap.as_of, false)?;
    if !a.wants_alternatives() {
        return Ok(json_of(StatusCode::OK, &a));
    }
    let wide = ctx.app.snapshot(&ctx.id, q.needs()).await?;
    let body = ctx.app.compute(work, move || core_availability(&wide, &q, wide.as_of, false).map(|a| to_json(&a))).await??;
    Ok(json(StatusCode::OK, body))
}

/// `GET /v1/resources/{id}/calendar?from=D&to=D&qty=N`.
pub async fn calendar(ctx: Ctx, _req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let q = CalendarQuery::parse(&ctx.query)?;
    let days = usize::try_from((q.to - q.from).num_days() + 1).unwrap_or(1);
    let work = ctx.app.load(&ctx.id, None).await?.costs.day_steps as usize * days;
    let _permit = ctx.app.admit(work, ctx.share_key()).await?;
    let snap = ctx.app.snapshot(&ctx.id, Some(q.needs())).await?;
    let body = ctx.app.compute(work, move || core_calendar(&snap, &q, snap.as_of, false).map(|c| to_json(&c))).await??;
    Ok(json(StatusCode::OK, body))
}

/// Most stale answers one report may carry (one isolate between two fetches).
const MAX_STALE_REPORT: u64 = 1_000_000;

/// `GET /v1/resources/{id}/snapshot?from=D&to=D` (edge, ops). An edge reports in
/// `Aforo-Edge-Stale: <n>` the stale answers it served since its last report; they are counted
/// before anything else, so a report counts even when the store then fails.
pub async fn snapshot(ctx: Ctx, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let reported = req.headers().get("aforo-edge-stale").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if let Some(n) = reported.filter(|n| (1..=MAX_STALE_REPORT).contains(n)) {
        ctx.app.metrics.edge_stale_answers.inc_by(n);
        ctx.app.edge_stale.add(ctx.app.now().timestamp_millis(), n);
    }
    let q = query_params(&ctx.query, &["from", "to"])?;
    let date = |k: &str| {
        q.get(k)
            .map(|v| parse_date(v).ok_or_else(|| ApiError::InvalidRequest(format!("{k}: must be a date YYYY-MM-DD, got {v:?}"))))
            .transpose()
    };
    let (from, to) = (date("from")?, date("to")?);
    let range = match (from, to) {
        (Some(f), Some(t)) if t < f => return Err(ApiError::InvalidRequest("to: must not be before from".into())),
        // Calendars reach 366 days and availability looks 7 days past its date.
        (Some(f), Some(t)) if (t - f).num_days() >= MAX_CALENDAR_DAYS + 8 => {
            return Err(ApiError::InvalidRequest(format!("to: at most {} days per snapshot", MAX_CALENDAR_DAYS + 8)))
        }
        (Some(f), Some(t)) => Some((f, t)),
        (None, None) => None,
        _ => return Err(ApiError::InvalidRequest("from and to go together".into())),
    };
    let loaded = ctx.app.load(&ctx.id, None).await?;
    if range.is_none() && loaded.resource.is_dated() {
        return Err(ApiError::InvalidRequest("from and to are required for a dated resource".into()));
    }
    let days = range.map_or(1, |(f, t)| usize::try_from((t - f).num_days() + 1).unwrap_or(1));
    let work = days * loaded.costs.day_buckets as usize;
    let _permit = ctx.app.admit(work, ctx.share_key()).await?;
    let snap = ctx.app.snapshot(&ctx.id, range).await?;
    let body = ctx.app.compute(work, move || to_json(&snap.to_doc())).await?;
    Ok(json(StatusCode::OK, body))
}
