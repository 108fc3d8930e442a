//! SLO figures: per route, p95 latency, error rate and availability over rolling 5- and
//! 60-minute windows, from one-minute buckets of a log-scale latency histogram. Time comes
//! from the caller, so the windows are tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::config::Targets;
use serde_json::{json, Value};

/// Latency buckets: bucket `i` holds latencies up to `BASE_US * RATIO^i` microseconds.
const BUCKETS: usize = 64;
const BASE_US: f64 = 100.0;
const RATIO: f64 = 1.25;
const MINUTES: usize = 60;

/// Which latency target a route answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Hold writes.
    Hold,
    /// Availability reads.
    Read,
    /// Everything else: error rate and availability only.
    Other,
}

/// The class of a route.
pub fn class_of(method: &str, route: &str) -> Class {
    match (method, route) {
        ("POST", "/v1/holds" | "/v1/holds/{id}/consume" | "/v1/holds/{id}/release") => Class::Hold,
        ("GET", "/v1/resources/{id}/availability" | "/v1/resources/{id}/calendar") => Class::Read,
        _ => Class::Other,
    }
}

#[derive(Debug, Clone, Copy)]
struct Minute {
    at: i64,
    count: u64,
    errors: u64,
    hist: [u32; BUCKETS],
}

impl Minute {
    const EMPTY: Minute = Minute { at: i64::MIN, count: 0, errors: 0, hist: [0; BUCKETS] };
}

/// Totals over a window.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Requests.
    pub count: u64,
    /// 5xx answers.
    pub errors: u64,
    hist: [u64; BUCKETS],
}

impl Window {
    /// Nothing counted.
    pub fn empty() -> Self {
        Window { count: 0, errors: 0, hist: [0; BUCKETS] }
    }

    fn add(&mut self, m: &Minute) {
        self.count += m.count;
        self.errors += m.errors;
        for (a, b) in self.hist.iter_mut().zip(m.hist.iter()) {
            *a += u64::from(*b);
        }
    }

    /// Requests in latency bucket `i` (see [`bucket_bounds_ms`]).
    pub fn bucket(&self, i: usize) -> u64 {
        self.hist.get(i).copied().unwrap_or(0)
    }

    /// A window of `count` requests, `errors` of them 5xx, and these bucket counts.
    pub fn from_parts(count: u64, errors: u64, buckets: impl IntoIterator<Item = (usize, u64)>) -> Window {
        let mut w = Window { count, errors, hist: [0; BUCKETS] };
        for (i, n) in buckets {
            if let Some(b) = w.hist.get_mut(i) {
                *b += n;
            }
        }
        w
    }

    /// Adds another window's figures.
    pub fn merge(&mut self, w: &Window) {
        self.count += w.count;
        self.errors += w.errors;
        for (a, b) in self.hist.iter_mut().zip(w.hist.iter()) {
            *a += *b;
        }
    }

    /// p95 latency in ms (the upper bound of the bucket holding it), if any request.
    pub fn p95_ms(&self) -> Option<f64> {
        let total: u64 = self.hist.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (total as f64 * 0.95).ceil() as u64;
        let mut seen = 0;
        for (i, n) in self.hist.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some((BASE_US * RATIO.powi(i as i32) / 1000.0 * 100.0).round() / 100.0);
            }
        }
        None
    }

    /// Share of 5xx answers, if any request.
    pub fn error_rate(&self) -> Option<f64> {
        (self.count > 0).then(|| self.errors as f64 / self.count as f64)
    }
}

/// Latency buckets.
pub const LATENCY_BUCKETS: usize = BUCKETS;

/// The bounds of latency bucket `i` in ms: (exclusive lower, inclusive upper).
pub fn bucket_bounds_ms(i: usize) -> (f64, f64) {
    let up = |i: usize| BASE_US * RATIO.powi(i as i32) / 1000.0;
    (if i == 0 { 0.0 } else { up(i - 1) }, up(i))
}

fn bucket_of(elapsed: Duration) -> usize {
    let us = elapsed.as_micros() as f64;
    if us <= BASE_US {
        return 0;
    }
    ((us / BASE_US).ln() / RATIO.ln()).ceil().clamp(0.0, (BUCKETS - 1) as f64) as usize
}

/// One route's last hour, a minute per slot.
type Ring = Box<[Minute; MINUTES]>;

/// The rolling windows of every route.
#[derive(Debug)]
pub struct Slo {
    routes: Mutex<HashMap<(&'static str, &'static str), Ring>>,
    /// The targets judged against.
    pub targets: Targets,
}

impl Slo {
    /// Empty windows.
    pub fn new(targets: Targets) -> Self {
        Slo { routes: Mutex::new(HashMap::new()), targets }
    }

    /// Counts one answer at `now_ms` (Unix ms).
    pub fn record(&self, now_ms: i64, method: &'static str, route: &'static str, status: u16, elapsed: Duration) {
        let minute = now_ms.div_euclid(60_000);
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let ring = routes.entry((method, route)).or_insert_with(|| Box::new([Minute::EMPTY; MINUTES]));
        let m = &mut ring[minute.rem_euclid(MINUTES as i64) as usize];
        if m.at != minute {
            *m = Minute { at: minute, ..Minute::EMPTY };
        }
        m.count += 1;
        if status >= 500 {
            m.errors += 1;
        }
        m.hist[bucket_of(elapsed)] += 1;
    }

    fn windows(&self, now_ms: i64, minutes: i64) -> Vec<((&'static str, &'static str), Window)> {
        let now = now_ms.div_euclid(60_000);
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<_> = routes
            .iter()
            .map(|(k, ring)| {
                let mut w = Window::empty();
                for m in ring.iter().filter(|m| m.at > now - minutes && m.at <= now) {
                    w.add(m);
                }
                (*k, w)
            })
            .collect();
        out.sort_by(|a, b| (a.0 .1, a.0 .0).cmp(&(b.0 .1, b.0 .0)));
        out
    }

    /// Per class, the totals of every minute `m` with `after < m < before` (minute indexes,
    /// Unix minutes) that some route saw: what the hourly roll-up takes once a minute is over.
    pub fn minutes(&self, after: i64, before: i64) -> Vec<(i64, Class, Window)> {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: HashMap<(i64, Class), Window> = HashMap::new();
        for ((method, route), ring) in routes.iter() {
            let class = class_of(method, route);
            for m in ring.iter().filter(|m| m.at > after && m.at < before) {
                out.entry((m.at, class)).or_insert_with(Window::empty).add(m);
            }
        }
        let mut v: Vec<_> = out.into_iter().map(|((m, c), w)| (m, c, w)).collect();
        v.sort_by_key(|(m, c, _)| (*m, *c as u8));
        v
    }

    /// The figures alert rules read: `hold_p95_ms_5m`, `read_p95_ms_5m`, `error_rate_5m`,
    /// `availability_60m` (absent when there was no request).
    pub fn signals(&self, now_ms: i64) -> HashMap<&'static str, f64> {
        let mut out = HashMap::new();
        let (mut hold, mut read, mut all5) = (Window::empty(), Window::empty(), Window::empty());
        for ((method, route), w) in self.windows(now_ms, 5) {
            match class_of(method, route) {
                Class::Hold if route == "/v1/holds" => hold.merge(&w),
                Class::Read => read.merge(&w),
                _ => {}
            }
            all5.merge(&w);
        }
        let mut all60 = Window::empty();
        for (_, w) in self.windows(now_ms, 60) {
            all60.merge(&w);
        }
        if let Some(v) = hold.p95_ms() {
            out.insert("hold_p95_ms_5m", v);
        }
        if let Some(v) = read.p95_ms() {
            out.insert("read_p95_ms_5m", v);
        }
        if let Some(v) = all5.error_rate() {
            out.insert("error_rate_5m", v);
        }
        if let Some(v) = all60.error_rate() {
            out.insert("availability_60m", 1.0 - v);
        }
        out
    }

    /// The SLO report of `GET /v1/monitoring/health`: per route, both windows and the status
    /// of each SLO; `status` is `breached` if any is, `ok` if any has data, else `no_data`.
    pub fn report(&self, now_ms: i64) -> Value {
        let t = self.targets;
        let w60: HashMap<_, _> = self.windows(now_ms, 60).into_iter().collect();
        let mut routes = Vec::new();
        let mut overall = "no_data";
        for (key, w5) in self.windows(now_ms, 5) {
            let w60 = w60.get(&key).copied().unwrap_or_else(Window::empty);
            if w60.count == 0 {
                continue;
            }
            let class = class_of(key.0, key.1);
            let mut slos = Vec::new();
            let judge = |actual: Option<f64>, ok: &dyn Fn(f64) -> bool| match actual {
                None => "no_data",
                Some(a) if ok(a) => "ok",
                Some(_) => "breached",
            };
            let target_ms = match class {
                Class::Hold => Some(t.hold_p95_ms),
                Class::Read => Some(t.read_p95_ms),
                Class::Other => None,
            };
            if let Some(target) = target_ms {
                let a = w5.p95_ms();
                slos.push(
                    json!({"slo": "p95_latency_ms", "window": "5m", "target": target, "actual": a, "status": judge(a, &|a| a <= target)}),
                );
            }
            let er = w5.error_rate();
            slos.push(json!({"slo": "error_rate", "window": "5m", "target": t.error_rate, "actual": er, "status": judge(er, &|a| a < t.error_rate)}));
            let av = w60.error_rate().map(|e| 1.0 - e);
            slos.push(json!({"slo": "availability", "window": "60m", "target": t.availability, "actual": av, "status": judge(av, &|a| a >= t.availability)}));
            let status = if slos.iter().any(|s| s["status"] == "breached") {
                "breached"
            } else if slos.iter().any(|s| s["status"] == "ok") {
                "ok"
            } else {
                "no_data"
            };
            overall = match (overall, status) {
                ("breached", _) | (_, "breached") => "breached",
                ("ok", _) | (_, "ok") => "ok",
                _ => "no_data",
            };
            let fig = |w: &Window| {
                json!({"requests": w.count, "errors": w.errors, "p95_ms": w.p95_ms(),
                       "error_rate": w.error_rate(), "availability": w.error_rate().map(|e| 1.0 - e)})
            };
            routes.push(json!({"route": key.1, "method": key.0, "class": class, "status": status,
                               "windows": {"5m": fig(&w5), "60m": fig(&w60)}, "slos": slos}));
        }
        json!({"status": overall, "targets": t, "routes": routes})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn p95_and_error_rate_over_five_minutes() {
        let s = Slo::new(Targets::default());
        for i in 0..100u64 {
            let ms = if i < 95 { 10 } else { 900 };
            s.record(T0 + i as i64 * 1000, "POST", "/v1/holds", if i < 99 { 201 } else { 503 }, Duration::from_millis(ms));
        }
        let sig = s.signals(T0 + 100_000);
        let p95 = sig["hold_p95_ms_5m"];
        assert!((10.0..=12.5).contains(&p95), "{p95}");
        assert!((sig["error_rate_5m"] - 0.01).abs() < 1e-9);
        let r = s.report(T0 + 100_000);
        assert_eq!(r["status"], "breached", "1 % errors is not under 1 %: {r}");
        assert_eq!(r["routes"][0]["slos"][0]["status"], "ok");
    }

    #[test]
    fn old_minutes_leave_the_windows() {
        let s = Slo::new(Targets::default());
        s.record(T0, "GET", "/v1/resources/{id}/availability", 200, Duration::from_millis(900));
        assert!(s.signals(T0 + 60_000)["read_p95_ms_5m"] > 200.0);
        let later = T0 + 6 * 60_000;
        assert!(!s.signals(later).contains_key("read_p95_ms_5m"), "gone from 5m");
        assert_eq!(s.signals(later)["availability_60m"], 1.0, "still in 60m");
        assert!(s.signals(T0 + 61 * 60_000).is_empty());
        assert_eq!(s.report(T0 + 61 * 60_000)["status"], "no_data");
    }

    #[test]
    fn buckets_grow_by_a_quarter() {
        assert_eq!(bucket_of(Duration::from_micros(50)), 0);
        assert_eq!(bucket_of(Duration::from_micros(125)), 1);
        assert_eq!(bucket_of(Duration::from_secs(3600)), BUCKETS - 1);
    }
}
