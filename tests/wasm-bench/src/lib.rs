//! The work the wasm benchmark times: the criterion fixture's 31-day calendar and busy-day
//! availability, exported to JavaScript. `scripts/bench-wasm.sh` runs it under node.
#![allow(missing_docs, clippy::unwrap_used)]

use wasm_bindgen::prelude::*;

include!("../../../core/benches/fixture.rs");

thread_local! {
    static FIXTURE: (Snapshot, DateTime<Utc>) = busy();
}

/// Computes the 31-day calendar `n` times; returns the bytes of the last answer (a fold, so
/// that every one of the `n` is computed).
#[wasm_bindgen]
pub fn calendar_31(n: u32) -> usize {
    let q = CalendarQuery::parse("from=2026-12-01&to=2026-12-31&qty=2").unwrap();
    FIXTURE.with(|(snap, now)| (0..n).map(|_| to_json(&calendar(snap, &q, *now, false).unwrap()).len()).fold(0, |_, bytes| bytes))
}

/// Computes one busy day's availability `n` times; returns the bytes of the last answer.
#[wasm_bindgen]
pub fn busy_day(n: u32) -> usize {
    let q = AvailabilityQuery::parse("date=2026-12-12&qty=2").unwrap();
    FIXTURE.with(|(snap, now)| (0..n).map(|_| to_json(&availability(snap, &q, *now, false).unwrap()).len()).fold(0, |_, bytes| bytes))
}

/// Decodes the fixture's snapshot JSON `n` times (what the edge does once per fetch).
#[wasm_bindgen]
pub fn decode_snapshot(n: u32) -> usize {
    FIXTURE.with(|(snap, _)| {
        let wire = serde_json::to_vec(&snap.to_doc()).unwrap();
        (0..n).map(|_| Snapshot::from_doc(serde_json::from_slice(&wire).unwrap()).unwrap().counters.0.len()).fold(0, |_, n| n)
    })
}
