//! Alternatives: where the asked qty fits instead, near a date and slot. Availability answers
//! and hold refusals both offer them, from this one search.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::eval::{Evaluator, Unit};
use crate::local::rfc3339_local;
use crate::query::{ALTERNATIVE_DAYS, MAX_ALTERNATIVES};

/// A place where the asked qty fits instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alternative {
    /// Its date.
    pub date: NaiveDate,
    /// Its slot, for slot resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// Its start, for slot resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// What one hold can take there.
    pub remaining: u32,
}

fn alternative(tz: chrono_tz::Tz, u: &Unit) -> Option<Alternative> {
    Some(Alternative {
        date: u.date?,
        slot: u.slot.map(|s| s.name()),
        start: u.slot.map(|s| rfc3339_local(tz, s.start)),
        remaining: u.measure.remaining,
    })
}

/// Places where `ev.qty` fits near a date (and slot): the nearest starts on the same day
/// first, then the following days in order, at most [`MAX_ALTERNATIVES`].
pub(crate) fn alternatives(ev: &Evaluator<'_>, date: NaiveDate, near: Option<DateTime<Utc>>, same_day: &[Unit]) -> Vec<Alternative> {
    let tz = ev.snap.resource.tz;
    let mut out: Vec<Alternative> = Vec::new();
    if let Some(at) = near {
        let mut fit: Vec<&Unit> = same_day.iter().filter(|u| u.status.fits() && u.slot.is_some_and(|s| s.start != at)).collect();
        fit.sort_by_key(|u| u.slot.map(|s| ((s.start - at).num_minutes().abs(), s.start)));
        out.extend(fit.into_iter().filter_map(|u| alternative(tz, u)));
    }
    let mut d = date;
    for _ in 0..ALTERNATIVE_DAYS {
        if out.len() >= MAX_ALTERNATIVES {
            break;
        }
        d += Duration::days(1);
        if ev.snap.covers.is_some_and(|(_, to)| d > to) {
            break; // a narrower snapshot: the caller widens it when the answer needs alternatives
        }
        if let Ok(units) = ev.day(d) {
            out.extend(units.iter().filter(|u| u.status.fits()).filter_map(|u| alternative(tz, u)));
        }
    }
    out.truncate(MAX_ALTERNATIVES);
    out
}
