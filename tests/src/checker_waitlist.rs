//! What the invariant checker holds of the waiting list: every offered entry has its offer's
//! hold, naming it; a consumed offer's entry is accepted; and no entry waits while one of its
//! starts fits what is free (freed units go to the list first: an entry that fits is offered
//! in the step that frees them).

use std::collections::HashMap;

use fred::prelude::*;

use crate::checker::Violation;

/// A take line's bucket, qty and limit.
fn takes(s: &str) -> Vec<(String, u64, u64)> {
    s.lines()
        .filter_map(|l| {
            let p: Vec<&str> = l.split('\t').collect();
            match p.as_slice() {
                [b, q, lim] => Some((b.to_string(), q.parse().ok()?, lim.parse().ok()?)),
                _ => None,
            }
        })
        .collect()
}

/// Whether a candidate (its hold arguments, joined by \x1f as the store keeps them) fits the
/// counters: every take within its limit, and one table choice too when there are choices.
fn fits(args: &str, counters: &HashMap<String, String>) -> bool {
    let a: Vec<&str> = args.split('\u{1f}').collect();
    let (Some(t), Some(choices)) = (a.get(7), a.get(8)) else { return false };
    let have = |b: &str| counters.get(b).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let ok = |ts: &[(String, u64, u64)]| ts.iter().all(|(b, q, l)| have(b) + q <= *l);
    if !ok(&takes(t)) {
        return false;
    }
    choices.is_empty() || choices.split('\u{1e}').any(|g| ok(&takes(g.split_once('\n').map_or("", |(_, rest)| rest))))
}

/// The waiting list's violations on resource `prefix` (`af:{r:<id>}:`) at Redis time `now_ms`.
pub async fn check(c: &Client, prefix: &str, counters: &HashMap<String, String>, now_ms: i64) -> Vec<Violation> {
    let mut bad = Vec::new();
    let keys: Vec<String> = c.custom(fred::cmd!("KEYS"), vec![format!("{prefix}w:*")]).await.expect("KEYS");
    let version = counters.get("~v").cloned().unwrap_or_default();
    for key in keys {
        let e: HashMap<String, String> = c.hgetall(&key).await.expect("HGETALL");
        let id = key.trim_start_matches(&format!("{prefix}w:")).to_string();
        let status = e.get("status").map_or("", String::as_str);
        let hold = e.get("hold").map(|h| format!("{prefix}h:{h}"));
        let rec: HashMap<String, String> = match &hold {
            Some(h) => c.hgetall(h).await.expect("HGETALL"),
            None => HashMap::new(),
        };
        match status {
            "offered" | "accepted" | "lapsed" => {
                if rec.get("wl") != Some(&id) {
                    bad.push(format!("entry {id} is {status}, its offer's hold is missing or names another entry"));
                }
            }
            _ => {}
        }
        let hs = rec.get("status").map_or("", String::as_str);
        if status == "offered" && !(hs == "held" || hs == "pending") {
            bad.push(format!("entry {id} is offered, its hold is {hs}"));
        }
        if hs == "consumed" && status != "accepted" {
            bad.push(format!("entry {id}: its offer was consumed, the entry is {status}"));
        }
        if status == "waiting" && e.get("ver") == Some(&version) {
            let n: usize = e.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
            for i in 1..=n {
                let until: Option<i64> = e.get(&format!("u{i}")).and_then(|u| u.parse().ok());
                if until.is_some_and(|u| u < now_ms) {
                    continue;
                }
                if e.get(&format!("a{i}")).is_some_and(|a| fits(a, counters)) {
                    bad.push(format!("entry {id} waits while its start {i} fits what is free"));
                }
            }
        }
    }
    bad
}
