//! The invariant checker: after a run, recomputes what Redis must hold from the hold records
//! and compares it with the counters, and checks what clients were told against what is
//! stored.
//!
//! - every counter equals the units of the live holds that took it (held and unexpired,
//!   pending, or paid — consumed, seated, finished, no-show — and what a cancelled one kept):
//!   nothing lost, nothing doubled, every unit back;
//! - no counter is above the smallest limit any hold saw for it;
//! - no hold is still `held` past its expiry once the sweeper had its time;
//! - every hold acknowledged to a client exists, and every acknowledged consume is consumed.

use std::collections::{BTreeMap, HashMap};

use fred::prelude::{Builder, Client, ClientLike, Config, HashesInterface};

use crate::harness::Redis;

/// What a client was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// A hold was answered 201/200 with this id.
    Held(String),
    /// A consume of this hold was answered 200.
    Consumed(String),
    /// A release of this hold was answered 200.
    Released(String),
    /// A cancel of this hold was answered 200.
    Cancelled(String),
}

/// Statuses whose record's takes (`~h:` aside) stay in the counters: paid, what a paid
/// booking becomes on the floor, and cancelled (a cancelled record keeps only the takes that
/// did not come back).
const KEEPS_TAKES: [&str; 5] = ["consumed", "seated", "finished", "no_show", "cancelled"];

/// One problem found.
pub type Violation = String;

/// A fred client of a test Redis.
pub async fn client(redis: &Redis) -> Client {
    // A real client: values such as a hold's takes hold newlines, which text output garbles.
    let c = Builder::from_config(Config::from_url(&redis.url()).expect("url")).build().expect("client");
    c.init().await.expect("connect to Redis");
    c
}

async fn hgetall(c: &Client, key: &str) -> HashMap<String, String> {
    c.hgetall(key).await.expect("HGETALL")
}

/// Checks one resource at Redis time `now_ms`; `acks` are what clients were told.
pub async fn check(redis: &Redis, resource: &str, acks: &[Ack], now_ms: i64) -> Vec<Violation> {
    let c = client(redis).await;
    let mut bad = Vec::new();
    let prefix = format!("af:{{r:{resource}}}:");
    let counters = hgetall(&c, &format!("{prefix}c")).await;
    let on_hand: Option<u64> = hgetall(&c, &format!("{prefix}m")).await.get("on_hand").and_then(|v| v.parse().ok());
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut limits: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut status_of: HashMap<String, String> = HashMap::new();
    let keys: Vec<String> = c.custom(fred::cmd!("KEYS"), vec![format!("{prefix}h:*")]).await.expect("KEYS");
    for key in &keys {
        let rec = hgetall(&c, key).await;
        let id = key.trim_start_matches(&format!("{prefix}h:")).to_string();
        let status = rec.get("status").cloned().unwrap_or_default();
        let expires: i64 = rec.get("expires_at").and_then(|v| v.parse().ok()).unwrap_or(0);
        let version: u64 = rec.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
        if status == "held" && expires + 3000 < now_ms {
            bad.push(format!("{id}: still held {} ms past its expiry", now_ms - expires));
        }
        let held = (status == "held" || status == "pending") && expires > now_ms;
        let live = KEEPS_TAKES.contains(&status.as_str()) || held;
        for line in rec.get("takes").map(String::as_str).unwrap_or("").lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            if let [bucket, qty, limit] = parts.as_slice() {
                let (q, l): (u64, u64) = (qty.parse().unwrap_or(0), limit.parse().unwrap_or(0));
                // The limit of the newest document a record was planned on: a seller may raise
                // (or, forced, lower) a limit since older records were written.
                let e = limits.entry(bucket.to_string()).or_insert((version, l));
                if version > e.0 || (version == e.0 && l < e.1) {
                    *e = (version, l);
                }
                // A buyer's held units (`~h:`) count while the hold is held, not once consumed.
                if if bucket.starts_with("~h:") { held } else { live } {
                    *expected.entry(bucket.to_string()).or_insert(0) += q;
                }
            }
        }
        status_of.insert(id, status);
    }
    let buckets: std::collections::BTreeSet<&String> = expected.keys().chain(counters.keys().filter(|k| *k != "~v")).collect();
    for b in buckets {
        let have: u64 = counters.get(b).and_then(|v| v.parse().ok()).unwrap_or(0);
        let want = expected.get(b).copied().unwrap_or(0);
        if have != want {
            bad.push(format!("{resource} {b}: counter {have}, live holds {want}"));
        }
        if let Some((_, l)) = limits.get(b) {
            if have > *l {
                bad.push(format!("{resource} {b}: {have} over its limit {l}"));
            }
        }
    }
    if let (Some(n), Some(c)) = (on_hand, counters.get("stock").and_then(|v| v.parse::<u64>().ok())) {
        if c > n {
            bad.push(format!("{resource}: stock committed {c} over on hand {n}"));
        }
    }
    // Hold ids are opaque: their home is read with the harness's secret, as the origin reads it.
    let ids = aforo_origin::store::HoldIds::new(crate::harness::SECRET.as_bytes());
    let here = |id: &str| ids.home_of(id).as_deref() == Some(resource);
    for a in acks {
        match a {
            Ack::Held(id) if here(id) && !status_of.contains_key(id) => {
                bad.push(format!("{id}: acknowledged to a client, missing in Redis"))
            }
            // A paid booking may since have been seated, finished, marked absent or cancelled.
            Ack::Consumed(id) if here(id) && !status_of.get(id).is_some_and(|s| KEEPS_TAKES.contains(&s.as_str())) => {
                bad.push(format!("{id}: consume acknowledged, status {:?}", status_of.get(id)))
            }
            Ack::Cancelled(id) if here(id) && status_of.get(id).map(String::as_str) != Some("cancelled") => {
                bad.push(format!("{id}: cancel acknowledged, status {:?}", status_of.get(id)))
            }
            Ack::Released(id) if here(id) && status_of.get(id).map(String::as_str) == Some("consumed") => {
                bad.push(format!("{id}: release acknowledged, yet consumed"))
            }
            _ => {}
        }
    }
    bad.extend(crate::checker_waitlist::check(&c, &prefix, &counters, now_ms).await);
    let _ = c.quit().await;
    bad
}

/// Redis TIME in milliseconds.
pub fn redis_now_ms(redis: &Redis) -> i64 {
    let t = redis.cli(&["TIME"]);
    let mut it = t.lines();
    let s: i64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let us: i64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    s * 1000 + us / 1000
}
