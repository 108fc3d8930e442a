//! Refused requests (401, 403) audited in aggregate: one `auth.denied` entry per client
//! address or caller, route, status and reason, and window (a minute), carrying its `count`.
//! At most `AFORO_DENIED_AUDIT_PER_MIN` entries a window: the requests of any further entry
//! are dropped and counted, and said in one summary entry. So a flood of refused requests
//! costs the trail a bounded amount whatever it sends, and the counting here is bounded too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use serde_json::json;

use crate::store::AuditEvent;

/// Who was refused: a caller whose token was valid (403), or a client address (401).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Who {
    /// A caller: `sub` and role.
    Caller(String, &'static str),
    /// No valid token: the client address.
    Anonymous(IpAddr),
}

/// One refused request.
#[derive(Debug, Clone)]
pub struct Denial<'a> {
    /// Who.
    pub who: Who,
    /// The client address.
    pub client: IpAddr,
    /// `METHOD /route/{template}`.
    pub route: String,
    /// 401 or 403.
    pub status: u16,
    /// The error code.
    pub code: &'static str,
    /// The error's message.
    pub reason: String,
    /// The request's id.
    pub request_id: &'a str,
    /// The path's `{id}` (empty without one), and whether it names a hold.
    pub target: (&'a str, bool),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    window: i64,
    who: Who,
    route: String,
    status: u16,
    reason: String,
}

#[derive(Debug)]
struct Entry {
    code: &'static str,
    client: IpAddr,
    count: u64,
    first_request: String,
    last_ms: i64,
    /// The first [`TARGETS`] distinct `{id}`s the requests named (whether each is a hold).
    targets: Vec<(String, bool)>,
    /// The requests named more.
    more: bool,
}

/// Distinct `{id}`s one entry keeps.
pub const TARGETS: usize = 3;

#[derive(Debug, Default)]
struct Window {
    entries: usize,
    dropped: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    windows: HashMap<i64, Window>,
}

/// The aggregation of refused requests until their window is flushed.
#[derive(Debug)]
pub struct Denials {
    window_ms: i64,
    cap: usize,
    inner: Mutex<Inner>,
}

impl Denials {
    /// Windows of `window_ms`, at most `cap` entries each.
    pub fn new(window_ms: u64, cap: usize) -> Self {
        Denials { window_ms: i64::try_from(window_ms.max(1)).unwrap_or(60_000), cap, inner: Mutex::default() }
    }

    /// Counts one refused request at `now_ms`; false when its entry is over the cap (the
    /// request is then only counted as dropped).
    pub fn note(&self, now_ms: i64, d: Denial<'_>) -> bool {
        let window = now_ms.div_euclid(self.window_ms);
        let key = Key { window, who: d.who, route: d.route, status: d.status, reason: crate::text::clip(&d.reason, 256) };
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Inner { entries, windows } = &mut *inner;
        let w = windows.entry(window).or_default();
        if let Some(e) = entries.get_mut(&key) {
            e.count += 1;
            e.last_ms = now_ms;
            if !d.target.0.is_empty() && !e.targets.iter().any(|(id, _)| id == d.target.0) {
                if e.targets.len() < TARGETS {
                    e.targets.push((d.target.0.to_string(), d.target.1));
                } else {
                    e.more = true;
                }
            }
            return true;
        }
        if w.entries >= self.cap {
            w.dropped += 1;
            return false;
        }
        w.entries += 1;
        entries.insert(
            key,
            Entry {
                code: d.code,
                client: d.client,
                count: 1,
                first_request: d.request_id.to_string(),
                last_ms: now_ms,
                targets: (!d.target.0.is_empty()).then(|| (d.target.0.to_string(), d.target.1)).into_iter().collect(),
                more: false,
            },
        );
        true
    }

    /// The audit entries of the windows closed at `now_ms` (of every window when `all`, at
    /// shutdown), forgetting them.
    pub fn take(&self, now_ms: i64, all: bool) -> Vec<AuditEvent> {
        let current = now_ms.div_euclid(self.window_ms);
        let closed = |w: i64| all || w < current;
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let keys: Vec<Key> = inner.entries.keys().filter(|k| closed(k.window)).cloned().collect();
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(e) = inner.entries.remove(&k) {
                out.push(self.event(k, e));
            }
        }
        let windows: Vec<i64> = inner.windows.keys().copied().filter(|w| closed(*w)).collect();
        for w in windows {
            if let Some(stats) = inner.windows.remove(&w).filter(|s| s.dropped > 0) {
                let (from, to) = self.bounds(w);
                out.push(AuditEvent::new("auth.denied", "system", "system", at(to.min(now_ms))).detail(json!({
                    "summary": true, "count": stats.dropped, "entries": stats.entries, "cap": self.cap,
                    "reason": "refused requests over AFORO_DENIED_AUDIT_PER_MIN distinct entries: counted here only",
                    "from": rfc(from), "to": rfc(to),
                })));
            }
        }
        out
    }

    fn bounds(&self, window: i64) -> (i64, i64) {
        let from = window.saturating_mul(self.window_ms);
        (from, from.saturating_add(self.window_ms))
    }

    fn event(&self, k: Key, e: Entry) -> AuditEvent {
        let (actor, role) = match &k.who {
            Who::Caller(sub, role) => (sub.as_str(), *role),
            Who::Anonymous(_) => ("anonymous", "none"),
        };
        let (from, to) = self.bounds(k.window);
        let mut ev =
            AuditEvent::new("auth.denied", actor, role, at(e.last_ms)).request(Some(&e.first_request), Some(k.route)).detail(json!({
                "status": k.status, "code": e.code, "reason": k.reason, "count": e.count,
                "client": e.client.to_string(), "from": rfc(from), "to": rfc(to),
                "targets": e.targets.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), "more_targets": e.more,
            }));
        if let (Some((id, hold)), 1) = (e.targets.first(), e.targets.len()) {
            ev = if *hold { ev.hold(id) } else { ev.resource(id) };
        }
        ev
    }
}

fn at(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_else(chrono::Utc::now)
}

fn rfc(ms: i64) -> String {
    aforo_core::rfc3339(&at(ms))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn denial(addr: &str, target: &'static str) -> Denial<'static> {
        let ip: IpAddr = addr.parse().unwrap();
        Denial {
            who: Who::Anonymous(ip),
            client: ip,
            route: "GET /v1/holds/{id}".into(),
            status: 401,
            code: "UNAUTHENTICATED",
            reason: "invalid token: malformed".into(),
            request_id: "r1",
            target: (target, true),
        }
    }

    #[test]
    fn one_entry_per_key_and_window_with_its_count() {
        let d = Denials::new(60_000, 600);
        for i in 0..500 {
            assert!(d.note(1_000 + i, denial("1.2.3.4", "h_a")));
        }
        d.note(2_000, denial("1.2.3.5", "h_a"));
        assert!(d.take(59_999, false).is_empty(), "the window is still open");
        d.note(61_000, denial("1.2.3.4", "h_a"));
        let out = d.take(61_000, false);
        assert_eq!(out.len(), 2, "{out:?}");
        let a = out.iter().find(|e| e.detail["client"] == "1.2.3.4").unwrap();
        assert_eq!((a.detail["count"].as_u64(), a.actor.as_str(), a.hold_id.as_deref()), (Some(500), "anonymous", Some("h_a")));
        assert_eq!(a.detail["from"], "1970-01-01T00:00:00+00:00");
        // The next window's entry stays until it closes, or until shutdown.
        assert_eq!(d.take(61_000, true).len(), 1);
        assert!(d.take(i64::MAX / 2, true).is_empty());
    }

    #[test]
    fn distinct_targets_are_counted_not_kept() {
        let d = Denials::new(60_000, 600);
        d.note(1, denial("1.2.3.4", "h_a"));
        d.note(2, denial("1.2.3.4", "h_b"));
        d.note(3, denial("1.2.3.4", "h_c"));
        d.note(4, denial("1.2.3.4", "h_a"));
        let out = d.take(0, true);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].hold_id.as_deref(), out[0].detail["count"].as_u64()), (None, Some(4)));
        assert_eq!((out[0].detail["targets"].clone(), out[0].detail["more_targets"].clone()), (json!(["h_a", "h_b", "h_c"]), json!(false)));
        d.note(5, denial("1.2.3.4", "h_a"));
        for id in ["h_1", "h_2", "h_3"] {
            d.note(6, denial("1.2.3.4", id));
        }
        let out = d.take(0, true);
        assert_eq!(out[0].detail["more_targets"], true);
    }

    #[test]
    fn entries_over_the_cap_are_counted_in_one_summary() {
        let d = Denials::new(60_000, 3);
        for i in 0..10 {
            let ok = d.note(i, denial(&format!("10.0.0.{i}"), "h_a"));
            assert_eq!(ok, i < 3);
        }
        // A key already kept goes on counting.
        assert!(d.note(20, denial("10.0.0.1", "h_a")));
        let out = d.take(60_000, false);
        assert_eq!(out.len(), 4, "{out:?}");
        let summary = out.iter().find(|e| e.detail["summary"] == true).unwrap();
        assert_eq!((summary.actor.as_str(), summary.detail["count"].as_u64()), ("system", Some(7)));
        assert_eq!(out.iter().filter_map(|e| e.detail["count"].as_u64()).sum::<u64>(), 11);
    }
}
