//! The rule binding an evaluated unit that no gate refuses (`limited_by`): the counter, or
//! the tables, leaving the fewest units, ties to the earlier [`Rule`] ([`crate::explain`]
//! defines it). Built for every unit of every read, so it allocates nothing.

use chrono::{DateTime, Utc};

use super::{peak, Evaluator, InstantPeaks, Span};
use crate::bucket::Bucket;
use crate::explain::{Binding, Rule};
use crate::local::from_epoch_min;
use crate::slots::Slot;

/// What a candidate's `at` is, resolved for the winner only.
#[derive(Clone, Copy)]
enum At {
    None,
    Start,
    Grid(usize),
}

/// A candidate: `(left, rule)` orders them; `used`, `limit` and `at` describe it.
#[derive(Clone, Copy)]
struct Candidate {
    left: u32,
    rule: Rule,
    used: u32,
    limit: u32,
    at: At,
}

impl Candidate {
    fn beats(&self, other: &Option<Candidate>) -> bool {
        other.is_none_or(|o| (self.left, self.rule) < (o.left, o.rule))
    }
}

impl Evaluator<'_> {
    /// The binding among a unit's counters and, with `max_party` (a resource with tables),
    /// its tables. `limits` and `used` are the unit's stock, day and slot counters.
    pub(super) fn binding(
        &self,
        slot: Option<&Slot>,
        limits: &[(Bucket, u32)],
        used: &[u32],
        span: &Span,
        peaks: &InstantPeaks,
        max_party: Option<u32>,
    ) -> Binding {
        let mut best: Option<Candidate> = None;
        let mut offer = |c: Candidate| {
            if c.beats(&best) {
                best = Some(c);
            }
        };
        for ((bucket, limit), used) in limits.iter().zip(used) {
            let (rule, at) = match bucket {
                Bucket::Stock => (Rule::Stock, At::None),
                Bucket::Day(_) => (Rule::Daily, At::None),
                Bucket::Slot(..) => (Rule::SlotCapacity, At::Start),
                _ => continue,
            };
            offer(Candidate { left: limit.saturating_sub(*used), rule, used: *used, limit: *limit, at });
        }
        for (rule, p) in [(Rule::Concurrent, peaks.concurrent), (Rule::Pacing, peaks.pacing)] {
            if let Some(((used, ix), limit)) = p {
                offer(Candidate { left: limit.saturating_sub(used), rule, used, limit, at: At::Grid(ix) });
            }
        }
        // The tables' own figures are counted only when they bind.
        if let Some(party) = max_party {
            let probe = Candidate { left: party, rule: Rule::Tables, used: 0, limit: 0, at: At::Start };
            if probe.beats(&best) {
                let (used, limit) = self.tables_busy(span);
                best = Some(Candidate { used, limit, ..probe });
            }
        }
        let start = slot.map(|s| s.start);
        match best {
            Some(c) => Binding::count(c.rule, c.used, c.limit, self.at(c.at, start)),
            // Every dated or stock unit has a counter; a unit with none sells nothing.
            None => Binding::gate(Rule::Closed, None),
        }
    }

    fn at(&self, at: At, start: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match at {
            At::None => None,
            At::Start => start,
            At::Grid(ix) => self.grid.instants().get(ix).map(|m| from_epoch_min(*m)),
        }
    }

    /// Tables busy at some instant of a seating, and tables standing, in the evaluator's area.
    fn tables_busy(&self, span: &Span) -> (u32, u32) {
        let Some(rules) = self.res().slots.as_ref() else { return (0, 0) };
        // Every table standing in the area is one of the room's options on its own.
        let here = self.room.iter().filter_map(|o| match o.uses.as_slice() {
            [(ix, 1)] if rules.tables.get(*ix).is_some_and(|t| t.name == o.label) => Some(*ix),
            _ => None,
        });
        let (mut busy, mut standing) = (0u32, 0u32);
        for ix in here {
            let count = rules.tables[ix].count;
            busy = busy.saturating_add(peak(&self.table_used[ix], &span.seating).unwrap_or(0).min(count));
            standing = standing.saturating_add(count);
        }
        (busy, standing)
    }
}
