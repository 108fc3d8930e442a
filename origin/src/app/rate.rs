//! The per-caller rate limit (`AFORO_RATE_LIMIT_RPS`, `AFORO_RATE_LIMIT_BURST`).
//!
//! Why its own type: it is the one admission rule that is a plain token bucket per key, off
//! unless configured; the rest of admission (shares, streams, the anonymous rate) is
//! `crate::admission`.

use std::num::NonZeroU32;

use crate::config::Config;
use crate::error::ApiError;

/// A keyed token bucket, or none when no rate is set.
#[derive(Debug)]
pub struct RateLimit {
    limiter: Option<governor::DefaultKeyedRateLimiter<String>>,
}

impl RateLimit {
    /// From the settings: `rate_limit_rps` per second (0: off), bursts of `rate_limit_burst`
    /// (default twice the rate).
    pub fn new(cfg: &Config) -> Self {
        let limiter = NonZeroU32::new(cfg.rate_limit_rps).map(|rps| {
            let burst = cfg.rate_limit_burst.and_then(NonZeroU32::new).unwrap_or(rps.saturating_mul(NonZeroU32::MIN.saturating_add(1)));
            governor::RateLimiter::keyed(governor::Quota::per_second(rps).allow_burst(burst))
        });
        RateLimit { limiter }
    }

    /// Counts one request of `caller` against its rate; 429 over it.
    pub fn check(&self, caller: &str) -> Result<(), ApiError> {
        let Some(l) = &self.limiter else { return Ok(()) };
        l.check_key(&caller.to_string()).map_err(|not_until| {
            use governor::clock::Clock;
            ApiError::RateLimited(not_until.wait_time_from(governor::clock::DefaultClock::default().now()))
        })
    }

    /// Drops the state of callers quiet long enough to be back at full burst.
    pub fn forget_quiet(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}
