//! The rule binding an evaluated unit that no gate refuses (`limited_by`): the counter, or
//! the tables, leaving the fewest units ([`crate::explain`] defines it).

use chrono::{DateTime, Utc};

use super::{peak, Evaluator, InstantPeaks, Span};
use crate::bucket::Bucket;
use crate::explain::{tightest, Binding, Rule};
use crate::local::from_epoch_min;
use crate::slots::Slot;

impl Evaluator<'_> {
    /// The grid instant at an index, as an instant.
    fn instant(&self, ix: usize) -> Option<DateTime<Utc>> {
        self.grid.instants().get(ix).map(|m| from_epoch_min(*m))
    }

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
        let start = slot.map(|s| s.start);
        let counters = limits.iter().zip(used).filter_map(|((b, limit), used)| {
            let (rule, at) = match b {
                Bucket::Stock => (Rule::Stock, None),
                Bucket::Day(_) => (Rule::Daily, None),
                Bucket::Slot(..) => (Rule::SlotCapacity, start),
                _ => return None,
            };
            Some(Binding::count(rule, *used, *limit, at))
        });
        let instants = [(Rule::Concurrent, peaks.concurrent), (Rule::Pacing, peaks.pacing)]
            .into_iter()
            .filter_map(|(rule, p)| p.map(|((used, ix), limit)| Binding::count(rule, used, limit, self.instant(ix))));
        let tables = max_party.map(|_| self.tables_busy(span, start));
        tightest(counters.chain(instants).chain(tables), max_party.unwrap_or(u32::MAX))
            // Every dated or stock unit has a counter; a unit with none sells nothing.
            .unwrap_or(Binding::gate(Rule::Closed, None))
    }

    /// The `tables` binding of a seating: tables busy at some instant of it, of the tables
    /// standing in the evaluator's area.
    fn tables_busy(&self, span: &Span, start: Option<DateTime<Utc>>) -> Binding {
        let Some(rules) = self.res().slots.as_ref() else { return Binding::count(Rule::Tables, 0, 0, start) };
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
        Binding::count(Rule::Tables, busy, standing, start)
    }
}
