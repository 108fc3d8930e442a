//! Admission: what each caller (or client address) gets of the origin, so that no one of
//! them takes what the others need (docs/shares.md). The client address behind trusted
//! proxies (`client`), the anonymous rate limit by address (here), refused requests
//! audited in aggregate (`denied`), heavy reads shared per key (`shares`) and event
//! streams per caller with an ops reserve (`streams`).

pub mod client;
pub mod denied;
pub mod shares;
pub mod streams;

use std::net::IpAddr;
use std::num::NonZeroU32;

use crate::config::Config;
use crate::error::ApiError;

/// The origin's admission state.
#[derive(Debug)]
pub struct Admission {
    /// Trusted proxies.
    pub proxies: client::Proxies,
    anon: Option<governor::DefaultKeyedRateLimiter<IpAddr>>,
    /// Refused requests, counted until their window is audited.
    pub denied: denied::Denials,
    /// Heavy-read permits, shared per key.
    pub heavy: shares::Heavy,
    /// Event stream places.
    pub streams: streams::Streams,
}

impl Admission {
    /// From the settings; errs on an `AFORO_TRUSTED_PROXIES` that does not parse.
    pub fn new(cfg: &Config) -> Result<Self, String> {
        let proxies = client::Proxies::parse(&cfg.trusted_proxies).map_err(|e| format!("AFORO_TRUSTED_PROXIES: {e}"))?;
        let anon = NonZeroU32::new(cfg.anon_rate_limit_rps).map(|rps| {
            let burst = NonZeroU32::new(cfg.anon_rate_limit_burst).unwrap_or(rps);
            governor::RateLimiter::keyed(governor::Quota::per_second(rps).allow_burst(burst))
        });
        let permits = match cfg.heavy_reads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let window = u64::try_from(cfg.denied_window().as_millis()).unwrap_or(60_000);
        Ok(Admission {
            proxies,
            anon,
            denied: denied::Denials::new(window, cfg.denied_audit_per_min),
            heavy: shares::Heavy::new(permits),
            streams: streams::Streams::new(
                usize::try_from(cfg.sse_per_caller).unwrap_or(usize::MAX),
                usize::try_from(cfg.sse_max).unwrap_or(usize::MAX),
            ),
        })
    }

    /// Counts one request without a valid token from `client` against the anonymous rate
    /// of its address; 429 over it.
    pub fn anonymous(&self, client: IpAddr) -> Result<(), ApiError> {
        let Some(l) = &self.anon else { return Ok(()) };
        l.check_key(&client::limit_key(client)).map_err(|not_until| {
            use governor::clock::Clock;
            ApiError::RateLimited(not_until.wait_time_from(governor::clock::DefaultClock::default().now()))
        })
    }

    /// Drops the anonymous limiter's state of addresses quiet long enough to be back at full
    /// burst, so that its memory follows the addresses seen lately.
    pub fn forget_quiet(&self) {
        if let Some(l) = &self.anon {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Addresses the anonymous limiter remembers.
    pub fn anonymous_tracked(&self) -> usize {
        self.anon.as_ref().map_or(0, |l| l.len())
    }
}

/// Routes every client may call however often: probes and scrapes.
pub fn exempt(template: &str) -> bool {
    matches!(template, "/healthz" | "/readyz" | "/metrics")
}
