//! Query strings of the availability and calendar reads, parsed once for edge and origin.

use chrono::{Duration, NaiveDate};

use crate::error::QueryError;
use crate::local::parse_date;
use crate::resource::MAX_UNITS;

/// Days after the asked date searched for alternatives.
pub const ALTERNATIVE_DAYS: i64 = 7;
/// Most alternatives returned.
pub const MAX_ALTERNATIVES: usize = 5;
/// Most days in one calendar call.
pub const MAX_CALENDAR_DAYS: i64 = 366;

/// `GET .../availability?date=D&qty=N[&slot=HH:MM][&area=A]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailabilityQuery {
    /// The date (absent for stock-only resources).
    pub date: Option<NaiveDate>,
    /// The qty one hold would take (default 1).
    pub qty: u32,
    /// Narrow the answer to one slot and give alternatives around it.
    pub slot: Option<String>,
    /// For a resource with tables: seat the party in this area only.
    pub area: Option<String>,
}

/// `GET .../calendar?from=D&to=D&qty=N[&area=A]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarQuery {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// The qty.
    pub qty: u32,
    /// For a resource with tables: seat the party in this area only.
    pub area: Option<String>,
}

fn decode(s: &str) -> Result<String, QueryError> {
    // Values here are dates, numbers and HH:MM; only %3A (':') and '+' need decoding.
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(c) if c.is_ascii() => out.push(c as char),
                    _ => return Err(QueryError::Invalid(format!("bad percent-encoding in {s:?}"))),
                }
                i += 3;
            }
            b'%' => return Err(QueryError::Invalid(format!("bad percent-encoding in {s:?}"))),
            b'+' => {
                out.push(' ');
                i += 1;
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn pairs(q: &str) -> Result<Vec<(String, String)>, QueryError> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

fn take_date(k: &str, v: &str) -> Result<NaiveDate, QueryError> {
    parse_date(v).ok_or_else(|| QueryError::Invalid(format!("{k}: must be a date YYYY-MM-DD, got {v:?}")))
}

fn take_qty(v: &str) -> Result<u32, QueryError> {
    match v.parse::<i64>() {
        Ok(n) if (1..=MAX_UNITS).contains(&n) => Ok(n as u32),
        _ => Err(QueryError::Invalid(format!("qty: must be an integer between 1 and {MAX_UNITS}, got {v:?}"))),
    }
}

fn once<T>(slot: &mut Option<T>, k: &str, v: T) -> Result<(), QueryError> {
    if slot.replace(v).is_some() {
        return Err(QueryError::Invalid(format!("{k}: given twice")));
    }
    Ok(())
}

impl AvailabilityQuery {
    /// Parses a raw query string (without `?`). Unknown parameters are refused.
    pub fn parse(q: &str) -> Result<Self, QueryError> {
        let (mut date, mut qty, mut slot, mut area) = (None, None, None, None);
        for (k, v) in pairs(q)? {
            match k.as_str() {
                "date" => once(&mut date, &k, take_date(&k, &v)?)?,
                "qty" => once(&mut qty, &k, take_qty(&v)?)?,
                "slot" => once(&mut slot, &k, v)?,
                "area" => once(&mut area, &k, v)?,
                _ => return Err(QueryError::Invalid(format!("{k}: unknown parameter"))),
            }
        }
        Ok(AvailabilityQuery { date, qty: qty.unwrap_or(1), slot, area })
    }

    /// The dates a snapshot must cover to answer it.
    pub fn needs(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.date.map(|d| (d, d + Duration::days(ALTERNATIVE_DAYS)))
    }
}

impl CalendarQuery {
    /// Parses a raw query string. `from` and `to` are required, at most 366 days apart.
    pub fn parse(q: &str) -> Result<Self, QueryError> {
        let (mut from, mut to, mut qty, mut area) = (None, None, None, None);
        for (k, v) in pairs(q)? {
            match k.as_str() {
                "from" => once(&mut from, &k, take_date(&k, &v)?)?,
                "to" => once(&mut to, &k, take_date(&k, &v)?)?,
                "qty" => once(&mut qty, &k, take_qty(&v)?)?,
                "area" => once(&mut area, &k, v)?,
                _ => return Err(QueryError::Invalid(format!("{k}: unknown parameter"))),
            }
        }
        let from = from.ok_or_else(|| QueryError::Invalid("from: required".into()))?;
        let to = to.ok_or_else(|| QueryError::Invalid("to: required".into()))?;
        if to < from {
            return Err(QueryError::Invalid("to: must not be before from".into()));
        }
        if (to - from).num_days() + 1 > MAX_CALENDAR_DAYS {
            return Err(QueryError::Invalid(format!("to: at most {MAX_CALENDAR_DAYS} days per call")));
        }
        Ok(CalendarQuery { from, to, qty: qty.unwrap_or(1), area })
    }

    /// The dates a snapshot must cover to answer it.
    pub fn needs(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
}
