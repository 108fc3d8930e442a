//! The host's operations on the floor: move a seating to other tables, finish it early, seat
//! a walk-in now. Each yields the exact takes the store swaps or takes atomically; the store
//! holds no rule of its own here either.

use chrono::{DateTime, Utc};

use crate::bucket::Bucket;
use crate::error::{PlanError, RuleCode};
use crate::eval::{Choice, Evaluator};
use crate::ledger::Take;
use crate::local::{epoch_min, from_epoch_min, local_date, EpochMin};
use crate::plan::HoldPlan;
use crate::resource::{Resource, SlotRules};
use crate::rules::day_settings;
use crate::snapshot::Snapshot;

/// A seating moved to other tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reseat {
    /// The seating's takes afterwards: its covers as they were, the new tables at the same
    /// instants.
    pub takes: Vec<Take>,
    /// The label of the tables now held (`T4+T5`).
    pub label: String,
}

fn tables_of(res: &Resource) -> Result<&SlotRules, PlanError> {
    res.slots.as_ref().filter(|r| !r.tables.is_empty()).ok_or_else(|| PlanError::InvalidItem(format!("{} has no tables", res.doc.name)))
}

/// One table, pool, combination or join of a room: `(uses, label, min, max)`.
type Named = (Vec<(usize, u32)>, String, u32, u32);

/// The names of one table, pool, combination or join of the room that are exactly `names`
/// (in any order), with its seat range.
fn option_named(rules: &SlotRules, names: &[String]) -> Result<Named, PlanError> {
    let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
    want.sort_unstable();
    if let [one] = want.as_slice() {
        if let Some(ix) = rules.tables.iter().position(|t| t.name == *one) {
            let t = &rules.tables[ix];
            return Ok((vec![(ix, 1)], t.name.clone(), t.min, t.max));
        }
    }
    for j in &rules.joins {
        let mut of: Vec<&str> = j.label.split('+').collect();
        of.sort_unstable();
        if of == want {
            return Ok((j.uses.clone(), j.label.clone(), j.min, j.max));
        }
    }
    Err(PlanError::InvalidItem(format!("tables: {} is not a table or a combination of this room", names.join("+"))))
}

/// Moves a seating (its takes `takes`, a party of `party`) to the tables `names`: one table
/// or the tables of one combination or join, which must seat the party. The new tables are
/// taken at the instants the seating holds tables now (a finished part stays free).
pub fn reseat(res: &Resource, takes: &[Take], party: u32, names: &[String]) -> Result<Reseat, PlanError> {
    let rules = tables_of(res)?;
    let (uses, label, min, max) = option_named(rules, names)?;
    if party < min || party > max {
        return Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("{label} seats {min} to {max}, the party is {party}")));
    }
    let mut instants: Vec<EpochMin> = takes
        .iter()
        .filter_map(|t| match t.bucket {
            Bucket::Table(_, m) => Some(m),
            _ => None,
        })
        .collect();
    instants.dedup();
    if instants.is_empty() {
        return Err(PlanError::InvalidItem("the seating holds no table now".into()));
    }
    let mut out: Vec<Take> = takes.iter().filter(|t| !matches!(t.bucket, Bucket::Table(..))).cloned().collect();
    for m in instants {
        for (ix, n) in &uses {
            let t = &rules.tables[*ix];
            out.push(Take { bucket: Bucket::Table(t.name.clone(), m), qty: *n, limit: t.count });
        }
    }
    Ok(Reseat { takes: out, label })
}

/// The current moment of the floor's grid: the last instant a seating may start at, at or
/// before `now`, among `instants`.
fn moment_at(instants: impl IntoIterator<Item = EpochMin>, now: DateTime<Utc>) -> Option<EpochMin> {
    let at = epoch_min(now);
    instants.into_iter().filter(|m| *m <= at).max()
}

/// A seating's takes once it is finished at `now`: its tables and its seats (concurrent
/// occupancy) come back from the current moment of the grid on, so that a walk-in seated now
/// finds them free; its covers of the day, the slot and pacing stay taken, as it was served.
pub fn finished(takes: &[Take], now: DateTime<Utc>) -> Vec<Take> {
    let seated = |b: &Bucket| match b {
        Bucket::Table(_, m) | Bucket::Moment(m) => Some(*m),
        _ => None,
    };
    // Not seated yet: the whole seating comes back.
    let from = moment_at(takes.iter().filter_map(|t| seated(&t.bucket)), now).unwrap_or(EpochMin::MIN);
    takes.iter().filter(|t| seated(&t.bucket).is_none_or(|m| m < from)).cloned().collect()
}

/// A walk-in party of `party` seated now: a seating from the current moment of the grid for
/// the slot duration, on the best free table (of `area`, or exactly `names`), taking the
/// seats (concurrent occupancy) and the day's covers. A walk-in is seated by the host, so the
/// online sales rules (lead time, cutoff, pauses, slot capacity, pacing) do not apply.
pub fn plan_walk_in(
    snap: &Snapshot,
    now: DateTime<Utc>,
    party: u32,
    area: Option<&str>,
    names: Option<&[String]>,
) -> Result<HoldPlan, PlanError> {
    let res = &snap.resource;
    let rules = tables_of(res)?;
    if let Some(a) = area.filter(|a| !res.has_area(a)) {
        return Err(PlanError::InvalidItem(format!("area: no table stands in area {a:?}")));
    }
    let today = local_date(res.tz, now);
    let ev = Evaluator::new(snap, now, party, today, today).in_area(area);
    let grid = ev.grid();
    let closed = || PlanError::rule(RuleCode::Closed, "no seating is running now: the floor is closed");
    let start = moment_at(grid.instants().iter().copied(), now).ok_or_else(closed)?;
    let end = start + i64::from(rules.duration_min);
    if epoch_min(now) >= end {
        return Err(closed());
    }
    let seating = grid.span(start, end);
    let mut choices: Vec<Choice> = ev.choices_at(seating.clone());
    if let Some(names) = names {
        let (_, label, min, max) = option_named(rules, names)?;
        if party < min || party > max {
            return Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("{label} seats {min} to {max}, the party is {party}")));
        }
        choices.retain(|c| c.label == label);
        if choices.is_empty() {
            return Err(PlanError::InvalidItem(format!("tables: {label} is not in area {}", area.unwrap_or(""))));
        }
    }
    if choices.is_empty() {
        let within = area.map(|a| format!(" in area {a}")).unwrap_or_default();
        return Err(PlanError::rule(RuleCode::QtyOutOfRange, format!("no table{within} seats a party of {party}")));
    }
    let at = from_epoch_min(start);
    let date = local_date(res.tz, at);
    let mut takes: Vec<Take> = Vec::new();
    if let Some(cap) = day_settings(res, date).daily_capacity {
        takes.push(Take { bucket: Bucket::Day(date), qty: party, limit: cap });
    }
    takes.extend(ev.seating_limits(seating).into_iter().map(|(bucket, limit)| Take { bucket, qty: party, limit }));
    let local = at.with_timezone(&res.tz);
    Ok(HoldPlan {
        resource_id: snap.resource_id.clone(),
        version: snap.state.version,
        date: Some(date),
        slot: Some(local.format("%H:%M").to_string()),
        start: Some(at),
        qty: party,
        takes,
        choice_labels: choices.iter().map(|c| c.label.clone()).collect(),
        choices: choices.into_iter().map(|c| c.takes).collect(),
        price: None,
        ttl_s: res.hold_ttl_s,
        area: area.map(str::to_string),
    })
}
