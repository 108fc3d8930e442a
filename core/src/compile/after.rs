//! Validation of the rules for a booking after its sale.

use super::Validator;
use crate::document::{ResourceDoc, WaitlistDoc};
use crate::resource::*;

impl Validator {
    /// `cancellation`, `hold_max_s`, `early_seat_min`, `no_show_after_min`.
    pub(super) fn after_sale(&mut self, doc: &ResourceDoc) -> AfterSale {
        let ttl = doc.hold_ttl_s.unwrap_or(DEFAULT_HOLD_TTL_S);
        let cancellation = doc.cancellation.as_ref().and_then(|c| {
            let free = self.within("cancellation.free_until_h", c.free_until_h, MAX_FREE_UNTIL_H);
            let fee = self.within("cancellation.fee_percent", c.fee_percent, 100);
            Some(Cancellation { free_until_h: free?, fee_percent: fee? as u8 })
        });
        let hold_max_s = match doc.hold_max_s {
            Some(m) if m < ttl || m > MAX_HOLD_TTL_S => {
                self.err("hold_max_s", format!("must be between hold_ttl_s ({ttl}) and {MAX_HOLD_TTL_S}"));
                ttl
            }
            Some(m) => m,
            None => DEFAULT_HOLD_MAX_S.max(ttl),
        };
        let mut minutes = |path: &str, v: Option<u32>, default: u32| match v {
            Some(m) => self.within(path, i64::from(m), MAX_FLOOR_MIN).unwrap_or(default),
            None => default,
        };
        let early_seat_min = minutes("early_seat_min", doc.early_seat_min, DEFAULT_EARLY_SEAT_MIN);
        let no_show_after_min = minutes("no_show_after_min", doc.no_show_after_min, DEFAULT_NO_SHOW_AFTER_MIN);
        let waitlist = self.waitlist(doc.waitlist.as_ref());
        AfterSale { cancellation, hold_max_s, early_seat_min, no_show_after_min, waitlist }
    }

    /// `waitlist`: the offer's lifetime and the entries a date holds.
    fn waitlist(&mut self, w: Option<&WaitlistDoc>) -> WaitlistRules {
        let mut rules = WaitlistRules { offer_ttl_s: DEFAULT_OFFER_TTL_S, max_entries: DEFAULT_WAITLIST_MAX };
        let Some(w) = w else { return rules };
        if let Some(t) = w.offer_ttl_s {
            match u32::try_from(t).ok().filter(|t| (1..=MAX_HOLD_TTL_S).contains(t)) {
                Some(t) => rules.offer_ttl_s = t,
                None => self.err("waitlist.offer_ttl_s", format!("must be between 1 and {MAX_HOLD_TTL_S}")),
            }
        }
        if let Some(m) = w.max_entries {
            match u32::try_from(m).ok().filter(|m| (1..=MAX_WAITLIST_MAX).contains(m)) {
                Some(m) => rules.max_entries = m,
                None => self.err("waitlist.max_entries", format!("must be between 1 and {MAX_WAITLIST_MAX}")),
            }
        }
        rules
    }

    /// A figure of `0..=max` at `path`, or an error there.
    fn within(&mut self, path: &str, v: i64, max: u32) -> Option<u32> {
        if !(0..=i64::from(max)).contains(&v) {
            self.err(path, format!("must be between 0 and {max}"));
            return None;
        }
        Some(v as u32)
    }
}
