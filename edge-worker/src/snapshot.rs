//! Snapshots from the origin: an isolate-local copy bounded in bytes (least recently used
//! evicted first, `SNAPSHOT_CACHE_BYTES`), the Workers Cache API, one fetch in flight per
//! snapshot, the origin called within its budget (`origin::call`: timeout, retries), and the degraded mode of API.md (stale but marked, up
//! to a limit; then 503).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use aforo_core::{Code, Snapshot, SnapshotDoc};
use chrono::{NaiveDate, Utc};
use worker::{Cache, Delay, Headers, Method, Response};

use crate::cache::ByteLru;
use crate::problem::Problem;
use crate::settings::{Settings, DEFAULT_SNAPSHOT_CACHE_BYTES};

/// Days a standard snapshot covers after today (availability looks 7 days past its date).
pub const WINDOW_DAYS: i64 = 62;

/// A snapshot with where it came from.
#[derive(Debug, Clone)]
pub struct Got {
    /// The snapshot.
    pub snap: Rc<Snapshot>,
    /// Whether it is past its freshness (degraded mode).
    pub stale: bool,
    /// Whether the origin was asked for it in this request.
    pub fetched: bool,
}

thread_local! {
    /// The isolate's snapshots, each counted as about its decoded size (see `weight`).
    static MEMORY: RefCell<ByteLru<String, Rc<Snapshot>>> = RefCell::new(ByteLru::new(DEFAULT_SNAPSHOT_CACHE_BYTES as usize));
    /// Snapshots being fetched, with when the fetch began (ms). Other requests wait for the
    /// result to land in MEMORY instead of awaiting the fetch itself: in Workers, I/O belongs
    /// to the request that started it, and a request awaiting another request's promise is
    /// cancelled when that request ends ("code had hung", a 500).
    static IN_FLIGHT: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
}

/// How often a waiting request looks for the snapshot another request is fetching.
const POLL_MS: u64 = 5;

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn age_s(s: &Snapshot) -> i64 {
    (Utc::now() - s.as_of).num_milliseconds() / 1000
}

/// The dates to fetch for a query that needs `needs`: the standard window around today when
/// it fits (shared by every query), the exact range otherwise.
pub fn window(needs: Option<(NaiveDate, NaiveDate)>) -> (NaiveDate, NaiveDate) {
    // "Today" in any timezone is within a day of today in UTC.
    let from = Utc::now().date_naive() - chrono::Duration::days(1);
    let to = from + chrono::Duration::days(WINDOW_DAYS + 2);
    match needs {
        Some((f, t)) if f < from || t > to => (f, t),
        _ => (from, to),
    }
}

fn cache_key(id: &str, from: NaiveDate, to: NaiveDate) -> String {
    format!("https://aforo-snapshot.invalid/{id}?from={from}&to={to}")
}

/// A 502 ORIGIN_UNAVAILABLE: the origin answered, with a snapshot this Worker cannot use.
fn bad_snapshot(detail: String) -> Problem {
    Problem { status: 502, ..Problem::new(Code::OriginUnavailable, detail) }
}

fn decode(body: &[u8]) -> Result<Snapshot, Problem> {
    let doc: SnapshotDoc = serde_json::from_slice(body).map_err(|e| bad_snapshot(format!("bad snapshot from the origin: {e}")))?;
    Snapshot::from_doc(doc).map_err(|e| bad_snapshot(format!("unusable snapshot from the origin: {e}")))
}

/// A snapshot with the size the isolate's copy is counted as.
type Weighed = (Rc<Snapshot>, usize);

/// Bytes of wasm memory a decoded counter takes beyond its JSON. Measured in workerd
/// (scripts/bench-edge-memory.sh, wasm memory logged as entries were kept): snapshots of 48 KiB
/// of JSON and 2,196 counters took 125-140 KiB of wasm memory each, 2.6-2.9 times their
/// JSON; 48 per counter counts them at 151 KiB, a little above.
const DECODED_BYTES_PER_COUNTER: usize = 48;

/// What a snapshot decoded from `json_len` bytes is counted as against SNAPSHOT_CACHE_BYTES:
/// its JSON plus its counters' decoded size, a little above what it takes in wasm memory.
fn weight(snap: Snapshot, json_len: usize) -> Weighed {
    let bytes = json_len + snap.counters.0.len() * DECODED_BYTES_PER_COUNTER;
    (Rc::new(snap), bytes)
}

async fn from_cache(key: &str) -> Option<Weighed> {
    let mut r = Cache::default().get(key, true).await.ok()??;
    let body = r.bytes().await.ok()?;
    decode(&body).ok().map(|s| weight(s, body.len()))
}

fn remembered(key: &str) -> Option<Rc<Snapshot>> {
    MEMORY.with(|m| m.borrow_mut().get(&key.to_string()).cloned())
}

fn remember(s: &Settings, key: &str, (snap, bytes): Weighed) {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        m.set_capacity(s.snapshot_cache_bytes);
        if !m.insert(key.to_string(), snap, bytes) {
            worker::console_warn!("snapshot {key} ({bytes} bytes) is over SNAPSHOT_CACHE_BYTES ({}): not kept", m.capacity());
        }
    });
}

async fn fetch_origin(s: Settings, id: String, from: NaiveDate, to: NaiveDate, key: String) -> Result<Weighed, Problem> {
    let url = format!("{}/v1/resources/{id}/snapshot?from={from}&to={to}", s.origin_url);
    let headers = Headers::new();
    headers.set("authorization", &format!("Bearer {}", s.edge_token))?;
    let report = crate::origin::stale_unreported();
    if report > 0 {
        headers.set("aforo-edge-stale", &report.to_string())?;
    }
    let mut resp = crate::origin::call(&s, Method::Get, &url, &headers, None).await?;
    if report > 0 && !matches!(resp.status_code(), 401 | 403) {
        crate::origin::stale_reported(report);
    }
    let status = resp.status_code();
    let body = resp.bytes().await.map_err(|e| Problem::origin_unavailable(format!("origin body: {e}")))?;
    if status == 404 {
        let detail = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["detail"].as_str().map(String::from));
        return Err(Problem::new(Code::ResourceNotFound, detail.unwrap_or_else(|| format!("resource {id} not found"))));
    }
    if status != 200 {
        return Err(Problem::origin_unavailable(format!("origin answered {status} for the snapshot")));
    }
    let got = weight(decode(&body)?, body.len());
    // The Cache API copy outlives the isolate; it is kept as long as it may be served stale.
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", &format!("max-age={}", s.stale_limit_s.max(1)))?;
    if let Ok(r) = Response::from_bytes(body) {
        if let Err(e) = Cache::default().put(key.as_str(), r.with_headers(headers)).await {
            worker::console_warn!("cache put failed: {e}");
        }
    }
    Ok(got)
}

/// The snapshot of `id` covering `from..=to`: fresh if one is, else fetched (one fetch in
/// flight per snapshot per isolate), else the last one marked stale within the limit, else
/// the origin's error or 503.
pub async fn get(s: &Settings, id: &str, from: NaiveDate, to: NaiveDate) -> Result<Got, Problem> {
    let key = cache_key(id, from, to);
    let mut last = remembered(&key);
    if last.is_none() {
        if let Some(got) = from_cache(&key).await {
            last = Some(got.0.clone());
            remember(s, &key, got);
        }
    }
    if let Some(l) = &last {
        if age_s(l) < s.snapshot_ttl_s {
            return Ok(Got { snap: l.clone(), stale: false, fetched: false });
        }
    }
    // One fetch in flight per snapshot: a later request waits (on its own timer) for the
    // snapshot to land, up to the origin timeout, then fetches itself.
    let fresh =
        |l: &Option<Rc<Snapshot>>| remembered(&key).filter(|m| age_s(m) < s.snapshot_ttl_s && l.as_ref().is_none_or(|l| m.as_of > l.as_of));
    let patience = i64::try_from(s.origin_timeout_ms).unwrap_or(60_000) + 100;
    let deadline = now_ms() + patience;
    // A marker older than the origin timeout belongs to a request that was cancelled.
    let in_flight = || IN_FLIGHT.with(|f| f.borrow().get(&key).is_some_and(|started| now_ms() - *started < patience));
    while in_flight() && now_ms() < deadline {
        Delay::from(Duration::from_millis(POLL_MS)).await;
        if let Some(snap) = fresh(&last) {
            return Ok(Got { snap, stale: false, fetched: false });
        }
    }
    if let Some(snap) = fresh(&last) {
        return Ok(Got { snap, stale: false, fetched: false });
    }
    IN_FLIGHT.with(|f| f.borrow_mut().insert(key.clone(), now_ms()));
    let result = fetch_origin(s.clone(), id.to_string(), from, to, key.clone()).await;
    IN_FLIGHT.with(|f| f.borrow_mut().remove(&key));
    match result {
        Ok(got) => {
            let snap = got.0.clone();
            remember(s, &key, got);
            Ok(Got { snap, stale: false, fetched: true })
        }
        Err(p) if p.status == 404 => Err(p),
        Err(p) => match last {
            Some(l) if age_s(&l) <= s.stale_limit_s => Ok(Got { snap: l, stale: true, fetched: true }),
            _ => Err(Problem { detail: format!("{}; no snapshot younger than {} s to fall back on", p.detail, s.stale_limit_s), ..p }),
        },
    }
}
