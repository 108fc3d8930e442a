//! Places for event streams (Server-Sent Events): at most `AFORO_SSE_PER_CALLER` per caller
//! and `AFORO_SSE_MAX` per process, the last [`Streams::reserve`] of which only ops take.
//! One caller's streams never keep another caller out before the process is full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why a stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The caller holds its share.
    Caller,
    /// The process holds its most (for this caller's role).
    Process,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_caller: HashMap<String, usize>,
}

/// The open streams of this process.
#[derive(Debug)]
pub struct Streams {
    per_caller: usize,
    max: usize,
    open: Arc<Mutex<Open>>,
}

/// One stream's place, given back when dropped.
#[derive(Debug)]
pub struct Place {
    open: Arc<Mutex<Open>>,
    caller: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|p| p.into_inner());
        o.total = o.total.saturating_sub(1);
        if let Some(n) = o.per_caller.get_mut(&self.caller) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                o.per_caller.remove(&self.caller);
            }
        }
    }
}

impl Streams {
    /// At most `per_caller` per caller and `max` in all.
    pub fn new(per_caller: usize, max: usize) -> Self {
        Streams { per_caller: per_caller.max(1), max: max.max(1), open: Arc::default() }
    }

    /// The places only ops take: 5 % of the most, at least one (none when the most is one).
    pub fn reserve(&self) -> usize {
        self.max.div_ceil(20).min(self.max - 1)
    }

    /// A place for `caller` (its role and `sub`), `ops` taking from the reserve too.
    pub fn take(&self, caller: &str, ops: bool) -> Result<Place, Refused> {
        let mut o = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let limit = if ops { self.max } else { self.max - self.reserve() };
        if o.per_caller.get(caller).copied().unwrap_or(0) >= self.per_caller {
            return Err(Refused::Caller);
        }
        if o.total >= limit {
            return Err(Refused::Process);
        }
        o.total += 1;
        *o.per_caller.entry(caller.to_string()).or_insert(0) += 1;
        Ok(Place { open: self.open.clone(), caller: caller.to_string() })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.lock().map_or(0, |o| o.total)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_caller_takes_its_share_only() {
        let s = Streams::new(8, 1024);
        let mine: Vec<Place> = (0..8).map(|_| s.take("seller:a", false).unwrap()).collect();
        assert_eq!(s.take("seller:a", false).unwrap_err(), Refused::Caller);
        assert!(s.take("seller:b", false).is_ok() && s.take("ops:o", true).is_ok());
        drop(mine);
        assert!(s.take("seller:a", false).is_ok());
        assert_eq!(s.open(), 0, "every place was given back");
    }

    #[test]
    fn the_last_places_are_kept_for_ops() {
        let s = Streams::new(100, 40);
        assert_eq!(s.reserve(), 2);
        let held: Vec<Place> = (0..38).map(|i| s.take(&format!("seller:{}", i % 5), false).unwrap()).collect();
        assert_eq!(s.take("seller:new", false).unwrap_err(), Refused::Process);
        let ops: Vec<Place> = (0..2).map(|_| s.take("ops:o", true).unwrap()).collect();
        assert_eq!(s.take("ops:o", true).unwrap_err(), Refused::Process);
        assert_eq!(held.len() + ops.len(), 40);
        assert_eq!(Streams::new(1, 1).reserve(), 0);
    }
}
