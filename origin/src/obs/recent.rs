//! Events counted over a recent window, for alert conditions on the origin's own figures
//! (degraded answers, stale answers an edge reported): per second, the last hour kept.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Seconds kept.
const KEEP_S: i64 = 3600;

/// Counts per second, oldest first.
#[derive(Debug, Default)]
pub struct Recent {
    buf: Mutex<VecDeque<(i64, u64)>>,
}

impl Recent {
    /// Counts `n` events at `now_ms`.
    pub fn add(&self, now_ms: i64, n: u64) {
        let sec = now_ms.div_euclid(1000);
        let mut b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        while b.front().is_some_and(|(s, _)| *s <= sec - KEEP_S) {
            b.pop_front();
        }
        match b.back_mut() {
            Some((s, c)) if *s >= sec => *c += n,
            _ => b.push_back((sec, n)),
        }
    }

    /// Events in the `window_s` seconds up to `now_ms`.
    pub fn sum(&self, now_ms: i64, window_s: i64) -> u64 {
        let from = now_ms.div_euclid(1000) - window_s;
        let b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        b.iter().rev().take_while(|(s, _)| *s > from).map(|(_, c)| c).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_window_only() {
        let r = Recent::default();
        r.add(1_000, 2);
        r.add(1_500, 1);
        r.add(200_000, 4);
        assert_eq!(r.sum(200_000, 300), 7);
        assert_eq!(r.sum(302_000, 300), 4);
        assert_eq!(r.sum(600_000, 300), 0);
    }
}
