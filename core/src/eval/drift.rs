//! The limits a drift check holds counters against.

use chrono::{DateTime, NaiveDate, Utc};

use super::Evaluator;
use crate::bucket::Bucket;
use crate::rules::day_settings;
use crate::slots::slots_of;
use crate::snapshot::Snapshot;

/// The limit of every bucket of the local dates `from..=to` (and of stock), from the document
/// and the stock on hand alone: no calendar rule, pause or clock applies. A drift check holds
/// counters against these: a counter above its limit is an oversell. A bucket the document no
/// longer has (hours or grid changed since it was taken) is absent.
pub fn limits_between(snap: &Snapshot, from: NaiveDate, to: NaiveDate) -> std::collections::BTreeMap<Bucket, u32> {
    let mut out = std::collections::BTreeMap::new();
    let mut put = |b: Bucket, l: u32| {
        let e = out.entry(b).or_insert(l);
        *e = (*e).max(l);
    };
    let ev = Evaluator::new(snap, DateTime::<Utc>::MIN_UTC, 1, from, to);
    let mut base = Vec::new();
    ev.stock_limit(&mut base);
    for (b, l) in &base {
        put(b.clone(), *l);
    }
    if !snap.resource.is_dated() {
        return out;
    }
    let mut date = from;
    while date <= to {
        let s = day_settings(&snap.resource, date);
        let day = ev.day_base(&s, date);
        for (b, l) in &day {
            put(b.clone(), *l);
        }
        if let Some(rules) = snap.resource.slots.as_ref() {
            let cap = s.slot_capacity.unwrap_or(rules.capacity);
            for slot in slots_of(&snap.resource, rules, &s) {
                let span = ev.span_of(rules, &slot);
                for m in &ev.grid.instants()[span.seating.clone()] {
                    for t in &rules.tables {
                        put(Bucket::Table(t.name.clone(), *m), t.count);
                    }
                }
                let mut limits = vec![(Bucket::Slot(date, slot.minute), cap)];
                ev.instant_limits(&span, &mut limits);
                for (b, l) in limits {
                    put(b, l);
                }
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    out
}
