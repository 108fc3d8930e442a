//! A circuit breaker around Redis, so that holds fail fast (503 with Retry-After) while Redis
//! is down instead of each waiting out the command timeout, and so that a struggling Redis
//! is not hammered.
//!
//! Closed: calls pass; outcomes go into a rolling window of one-second buckets. It opens on
//! [`CONSECUTIVE`] failures in a row (connection errors reported by the client count too), or
//! when the window holds at least [`MIN_CALLS`] calls and half or more failed. Open: calls
//! fail at once. After `open_for` a probe (a PING, not a user's request) runs half-open:
//! success closes, failure opens again. Only connectivity failures count (timeouts, I/O,
//! cancelled calls); an error reply or a refusal such as SOLD_OUT is Redis working.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures in a row that open the breaker.
pub const CONSECUTIVE: u32 = 3;
/// Calls in the window before the failure rate is judged.
pub const MIN_CALLS: u64 = 20;
/// Rolling window, in one-second buckets.
pub const WINDOW_S: usize = 10;

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Calls pass.
    Closed,
    /// A probe is deciding.
    HalfOpen,
    /// Calls fail fast.
    Open,
}

impl State {
    /// The gauge value: 0 closed, 1 half-open, 2 open.
    pub fn gauge(self) -> i64 {
        match self {
            State::Closed => 0,
            State::HalfOpen => 1,
            State::Open => 2,
        }
    }

    /// As shown in health answers.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::HalfOpen => "half_open",
            State::Open => "open",
        }
    }
}

#[derive(Debug)]
struct Inner {
    state: State,
    opened_at: Instant,
    consecutive: u32,
    /// (second, calls, failures) per bucket.
    window: [(u64, u64, u64); WINDOW_S],
}

/// The breaker.
#[derive(Debug)]
pub struct Breaker {
    inner: Mutex<Inner>,
    open_for: Duration,
    epoch: Instant,
}

impl Breaker {
    /// A closed breaker that stays open `open_for` before probing.
    pub fn new(open_for: Duration) -> Self {
        let now = Instant::now();
        Breaker {
            inner: Mutex::new(Inner { state: State::Closed, opened_at: now, consecutive: 0, window: [(0, 0, 0); WINDOW_S] }),
            open_for,
            epoch: now,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-update of plain numbers.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state now.
    pub fn state(&self) -> State {
        self.lock().state
    }

    /// `Err(retry_after)` when calls must fail fast.
    pub fn allow(&self) -> Result<(), Duration> {
        let i = self.lock();
        match i.state {
            State::Closed => Ok(()),
            State::HalfOpen => Err(Duration::from_millis(200)),
            State::Open => Err(self.open_for.saturating_sub(i.opened_at.elapsed()).max(Duration::from_millis(100))),
        }
    }

    fn record(&self, failed: bool) -> Option<State> {
        let sec = self.epoch.elapsed().as_secs();
        let mut i = self.lock();
        let slot = &mut i.window[(sec as usize) % WINDOW_S];
        if slot.0 != sec {
            *slot = (sec, 0, 0);
        }
        slot.1 += 1;
        if failed {
            slot.2 += 1;
            i.consecutive += 1;
        } else {
            i.consecutive = 0;
        }
        if i.state != State::Closed || !failed {
            return None;
        }
        let (calls, failures) =
            i.window.iter().filter(|(s, ..)| sec.saturating_sub(*s) < WINDOW_S as u64).fold((0, 0), |(c, f), (_, n, e)| (c + n, f + e));
        if i.consecutive >= CONSECUTIVE || (calls >= MIN_CALLS && failures * 2 >= calls) {
            i.state = State::Open;
            i.opened_at = Instant::now();
            return Some(State::Open);
        }
        None
    }

    /// A call succeeded.
    pub fn success(&self) {
        self.record(false);
    }

    /// A call (or the connection) failed; `Some(Open)` when this opened the breaker.
    pub fn failure(&self) -> Option<State> {
        self.record(true)
    }

    /// Whether a probe is due: open for at least `open_for`. Moves to half-open.
    pub fn probe_due(&self) -> bool {
        let mut i = self.lock();
        if i.state == State::Open && i.opened_at.elapsed() >= self.open_for {
            i.state = State::HalfOpen;
            return true;
        }
        false
    }

    /// The probe's outcome: closes (and forgets the window) or opens again.
    pub fn probed(&self, ok: bool) {
        let mut i = self.lock();
        if ok {
            i.state = State::Closed;
            i.consecutive = 0;
            i.window = [(0, 0, 0); WINDOW_S];
        } else {
            i.state = State::Open;
            i.opened_at = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_closes_after_a_good_probe() {
        let b = Breaker::new(Duration::from_millis(0));
        assert!(b.allow().is_ok());
        b.failure();
        b.failure();
        assert_eq!(b.state(), State::Closed);
        assert_eq!(b.failure(), Some(State::Open));
        assert!(b.allow().is_err());
        assert!(b.probe_due());
        assert_eq!(b.state(), State::HalfOpen);
        assert!(b.allow().is_err(), "half-open lets only the probe through");
        b.probed(false);
        assert_eq!(b.state(), State::Open);
        assert!(b.probe_due());
        b.probed(true);
        assert_eq!(b.state(), State::Closed);
        assert!(b.allow().is_ok());
    }

    #[test]
    fn opens_on_failure_rate_even_between_successes() {
        let b = Breaker::new(Duration::from_secs(1));
        for _ in 0..12 {
            b.success();
            b.failure();
        }
        assert_eq!(b.state(), State::Open);
        assert!(!b.probe_due(), "not before open_for");
    }

    #[test]
    fn successes_keep_it_closed() {
        let b = Breaker::new(Duration::from_secs(1));
        for _ in 0..100 {
            b.success();
        }
        b.failure();
        b.failure();
        b.success();
        b.failure();
        assert_eq!(b.state(), State::Closed);
    }
}
