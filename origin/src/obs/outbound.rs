//! The outbound (webhook) figures the origin's own alert rules read: the p95 of the lag from
//! commit to first attempt over 5 minutes (SLO: 750 ms), and the events dropped and
//! endpoints disabled lately.

use std::sync::Mutex;
use std::time::Duration;

use super::recent::Recent;

/// The outbound SLO: p95 of commit to first attempt, ms.
pub const LAG_SLO_MS: f64 = 750.0;

/// Lag buckets: 5 ms × 1.5^i, i < 24 (up to about 8 minutes).
const BUCKETS: usize = 24;
const BASE_MS: f64 = 5.0;
const RATIO: f64 = 1.5;
/// Seconds of lag samples kept (the 5-minute window, per 10 seconds).
const SLOTS: usize = 30;

/// Outbound figures of this origin.
#[derive(Debug, Default)]
pub struct Outbound {
    lag: Mutex<Vec<(i64, [u32; BUCKETS])>>,
    /// Events dropped from full backlogs.
    pub dropped: Recent,
    /// Endpoints disabled.
    pub disabled: Recent,
}

fn bucket_of(lag: Duration) -> usize {
    let ms = lag.as_secs_f64() * 1000.0;
    if ms <= BASE_MS {
        return 0;
    }
    ((ms / BASE_MS).ln() / RATIO.ln()).ceil().clamp(0.0, (BUCKETS - 1) as f64) as usize
}

impl Outbound {
    /// Records one event's lag at `now_ms`.
    pub fn lag(&self, now_ms: i64, lag: Duration) {
        let slot = now_ms.div_euclid(10_000);
        let mut l = self.lag.lock().unwrap_or_else(|p| p.into_inner());
        l.retain(|(s, _)| *s > slot - SLOTS as i64);
        match l.last_mut() {
            Some((s, h)) if *s == slot => h[bucket_of(lag)] += 1,
            _ => {
                let mut h = [0; BUCKETS];
                h[bucket_of(lag)] = 1;
                l.push((slot, h));
            }
        }
    }

    /// The p95 lag (ms, its bucket's upper bound) over the last 5 minutes, if any event.
    pub fn lag_p95_ms(&self, now_ms: i64) -> Option<f64> {
        let from = now_ms.div_euclid(10_000) - SLOTS as i64;
        let l = self.lag.lock().unwrap_or_else(|p| p.into_inner());
        let mut hist = [0u64; BUCKETS];
        for (_, h) in l.iter().filter(|(s, _)| *s > from) {
            for (a, b) in hist.iter_mut().zip(h.iter()) {
                *a += u64::from(*b);
            }
        }
        let total: u64 = hist.iter().sum();
        let rank = (total as f64 * 0.95).ceil() as u64;
        let mut seen = 0;
        for (i, n) in hist.iter().enumerate() {
            seen += n;
            if total > 0 && seen >= rank {
                return Some((BASE_MS * RATIO.powi(i as i32) * 100.0).round() / 100.0);
            }
        }
        None
    }

    /// The outbound SLO as the health report shows it (seed "outbound": p95 ≤ 750 ms).
    pub fn report(&self, now_ms: i64) -> serde_json::Value {
        let actual = self.lag_p95_ms(now_ms);
        let status = match actual {
            None => "no_data",
            Some(a) if a <= LAG_SLO_MS => "ok",
            Some(_) => "breached",
        };
        serde_json::json!({"slo": "webhook_lag_p95_ms", "window": "5m", "target": LAG_SLO_MS, "actual": actual, "status": status})
    }

    /// The signals of `crate::obs::alerts::SIGNALS` this feeds.
    pub fn signals(&self, now_ms: i64) -> Vec<(&'static str, f64)> {
        let mut s = vec![
            ("webhook_dropped_15m", self.dropped.sum(now_ms, 900) as f64),
            ("webhook_disabled_1h", self.disabled.sum(now_ms, 3600) as f64),
        ];
        if let Some(p) = self.lag_p95_ms(now_ms) {
            s.push(("webhook_lag_p95_ms_5m", p));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_p95_is_over_the_last_five_minutes() {
        let o = Outbound::default();
        assert_eq!(o.lag_p95_ms(0), None);
        for _ in 0..99 {
            o.lag(1_000_000, Duration::from_millis(40));
        }
        o.lag(1_000_000, Duration::from_secs(3));
        let p = o.lag_p95_ms(1_000_000).unwrap_or(0.0);
        assert!((40.0..70.0).contains(&p), "{p}");
        assert_eq!(o.lag_p95_ms(1_000_000 + 301_000), None, "gone after 5 minutes");
    }
}
