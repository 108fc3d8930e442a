//! Calls to the origin: one budget (`ORIGIN_TIMEOUT_MS`) for the whole call, retries inside
//! it, and what the edge reports back.
//!
//! A read (GET, HEAD) that fails to connect, runs out of its attempt's time or is answered
//! 502/503/504 is tried again, at most `ORIGIN_RETRIES` times, after an exponential backoff
//! with full jitter (a random wait up to 50, 100, 200… ms, at most 400 ms), while the budget
//! lasts. A write (a hold) is sent once: the buyer's client retries it with its
//! Idempotency-Key. A call that gets no answer within the budget is a 503
//! `ORIGIN_UNAVAILABLE` with `Retry-After`.
//!
//! Stale answers: every answer served from a stale snapshot is counted in this isolate and
//! logged; the count goes to the origin in `Aforo-Edge-Stale` on the isolate's next snapshot
//! fetch, which counts it in `aforo_edge_stale_answers_total` (alert `AforoEdgeServingStale`).
//! An answer the origin never hears of (the isolate is evicted first) is still in the logs.

use std::cell::Cell;
use std::time::Duration;

use chrono::Utc;
use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::problem::Problem;
use crate::settings::Settings;

/// First backoff step; doubled each retry.
const BACKOFF_BASE_MS: f64 = 50.0;
/// Longest backoff step.
const BACKOFF_CAP_MS: f64 = 400.0;

thread_local! {
    /// Stale answers this isolate served and has not reported yet.
    static STALE_UNREPORTED: Cell<u64> = const { Cell::new(0) };
}

/// Counts one stale answer (and logs it: the logs see it at once, the origin on the next fetch).
pub fn served_stale(what: &str, age_s: i64) {
    STALE_UNREPORTED.with(|c| c.set(c.get().saturating_add(1)));
    worker::console_warn!("aforo-edge: served stale {what} ({age_s} s old): origin unavailable");
}

/// The stale answers to report with the next call, if any.
pub fn stale_unreported() -> u64 {
    STALE_UNREPORTED.with(Cell::get)
}

/// The origin took `n` reported stale answers.
pub fn stale_reported(n: u64) {
    STALE_UNREPORTED.with(|c| c.set(c.get().saturating_sub(n)));
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// One call to the origin as described in the module: `headers` and `body` are sent with
/// every attempt.
pub async fn call(s: &Settings, method: Method, url: &str, headers: &Headers, body: Option<&[u8]>) -> Result<Response, Problem> {
    let read = matches!(method, Method::Get | Method::Head);
    let budget = i64::try_from(s.origin_timeout_ms).unwrap_or(i64::MAX / 2);
    let deadline = now_ms() + budget;
    let mut attempt: u32 = 0;
    loop {
        let left = deadline - now_ms();
        let mut init = RequestInit::new();
        init.with_method(method.clone()).with_headers(headers.clone());
        if let Some(b) = body {
            init.with_body(Some(worker::js_sys::Uint8Array::from(b).into()));
        }
        let req = Request::new_with_init(url, &init)?;
        let ctl = AbortController::default();
        let signal = ctl.signal();
        let send = Box::pin(async move { Fetch::Request(req).send_with_signal(&signal).await });
        let timer = Box::pin(Delay::from(Duration::from_millis(u64::try_from(left.max(1)).unwrap_or(1))));
        let failure = match select(send, timer).await {
            Either::Left((Ok(r), _)) if !(read && matches!(r.status_code(), 502..=504)) => return Ok(r),
            Either::Left((Ok(r), _)) => (format!("origin answered {}", r.status_code()), Some(r)),
            Either::Left((Err(e), _)) => (format!("origin unreachable: {e}"), None),
            Either::Right(_) => {
                ctl.abort();
                (format!("origin did not answer within {} ms", s.origin_timeout_ms), None)
            }
        };
        let step = (BACKOFF_BASE_MS * f64::from(1u32 << attempt.min(8))).min(BACKOFF_CAP_MS);
        let wait = (worker::js_sys::Math::random() * step) as i64;
        attempt += 1;
        if !read || attempt > s.origin_retries || now_ms() + wait >= deadline {
            return match failure {
                (_, Some(answered)) => Ok(answered),
                (why, None) => Err(Problem::origin_unavailable(format!("{why} (after {attempt} attempt(s))"))),
            };
        }
        Delay::from(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
    }
}
