//! The web console in headless Chromium (tests/browser/console.mjs, playwright-core) against
//! the real origin and Redis: a seller builds a restaurant from the template with the
//! preview and field errors of aforo-core in wasm, saves it, and the buyer page at the edge
//! (the Worker in workerd, `wrangler dev`) shows its slots; an operator switches to read-only
//! and a hold is refused. Screenshots go to target/artifacts/ (CI artifacts).
//! Needs the console's assets (scripts/build-console.sh, which scripts/test.sh runs first).

#![allow(clippy::unwrap_used)]

mod common;

use aforo_tests::edge::Edge;
use aforo_tests::harness::{left_out_of_fast_tier, repo_root};
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_builds_a_restaurant_and_ops_switches_to_read_only() {
    if left_out_of_fast_tier(
        "a_seller_builds_a_restaurant_and_ops_switches_to_read_only",
        "the built console, Chromium and workerd (wrangler dev)",
    ) {
        return;
    }
    assert!(aforo_origin::console::built(), "the console's assets are not built: run scripts/build-console.sh, then test again");
    let e = env();
    create(&e, "panettone", &json!({"name": "Panettone", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 5}}})).await;
    // The buyer page at the edge, in front of this origin (a snapshot lives 1 s).
    let edge = Edge::start(&e.origin.url(), &[("SNAPSHOT_TTL_S", "1")]);
    let root = repo_root();
    let shots = root.join("target/artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/console.mjs"))
        .env("ORIGIN_URL", e.origin.url())
        .env("SELLER_TOKEN", &e.seller)
        .env("OPS_TOKEN", &e.ops)
        .env("BUYER_TOKEN", &e.buyer)
        .env("RESOURCE_ID", "casa-nueva")
        .env("EDGE_URL", edge.url())
        .env("SHOTS", &shots)
        .current_dir(&root)
        .output()
        .await
        .expect("node");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "console browser test failed:\n{log}");
    println!("{log}");
    for want in [
        "field error: dimensions.slots.interval_min",
        "saved: Saved (created",
        "edge: the buyer page shows ",
        "live: the hold",
        "conflict: Someone saved",
        "overcommit: ",
        "saved anyway: Saved (replaced",
        "read-only: a hold answered 503 READ_ONLY",
        "no CSP violations",
    ] {
        assert!(log.contains(want), "{want}: {log}");
    }
    // What the browser did is what the API holds.
    let doc = e.api.get(&e.seller, "/v1/resources/casa-nueva").await;
    assert_eq!(doc.status.as_u16(), 200, "{:?}", doc.body);
    assert_eq!(doc.body["document"]["hours"]["mon"], json!([["19:30", "23:30"]]));
    assert_eq!(doc.body["document"]["seasons"][0]["overrides"]["slot_capacity"], 20);
    assert_eq!(doc.body["document"]["dimensions"]["slots"]["tables"][0]["id"], "T1");
    assert_eq!(doc.body["document"]["name"], "Casa Nueva", "the 412 was overwritten with the console's version");
    assert_eq!(doc.body["document"]["horizon_days"], 90, "set in the raw JSON view");
    assert_eq!(doc.body["document"]["dimensions"]["slots"]["combinations"][1]["of"], json!(["T1", "T2", "T3"]));
    assert_eq!(doc.body["document"]["dimensions"]["slots"]["capacity"], 1);
    assert!(doc.body["overcommitted"].as_array().is_some_and(|o| !o.is_empty()), "{:?}", doc.body["overcommitted"]);
    let mode = e.api.get(&e.ops, "/v1/monitoring/mode").await;
    assert_eq!((mode.body["read_only"].as_bool(), mode.body["reason"].as_str()), (Some(true), Some("console e2e")));
    for shot in ["console-seller.png", "console-oncall.png", "console-field-error.png", "console-edge-buyer-page.png"] {
        assert!(std::fs::metadata(shots.join(shot)).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot {shot}");
    }
}

/// The console's pure helpers (paths, runbook sections, token claims) under `node --test`.
#[test]
fn the_console_helpers_pass_their_unit_tests() {
    let root = repo_root();
    let out = std::process::Command::new("node").args(["--test", "console/test/"]).current_dir(&root).output().expect("node");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && log.contains("# fail 0"), "{log}");
}

/// The host floor (tests/browser/host.mjs): a buyer's hold shows within 2 s, the host moves
/// it, a move onto a taken table shows TABLE_TAKEN, an operator releases another seating, a
/// walk-in is seated. Screenshots: target/artifacts/console-host*.png.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_runs_the_floor_live() {
    if left_out_of_fast_tier("the_host_runs_the_floor_live", "the built console and Chromium") {
        return;
    }
    assert!(aforo_origin::console::built(), "the console's assets are not built: run scripts/build-console.sh, then test again");
    let e = env();
    // Open all day (UTC): three 2-tops on the terrace (one with a 32-character id), four 4-tops in the hall, T4+T5 for 3 to 8.
    // One buyer holds every party of the evening: its share is named (the default is 16 units).
    let doc = json!({"name": "Trattoria", "timezone": "UTC", "qty": {"min": 1, "max": 8}, "per_buyer": {"max_held_units": 100},
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 30, "capacity": 40, "pacing": {"window_min": 30, "max": 8},
            "tables": [{"id": "T1", "seats": [1, 2], "area": "terrace"}, {"id": "T2", "seats": [1, 2], "area": "terrace"},
                       {"id": "terrace-corner-by-the-olive-tree", "seats": [1, 2], "area": "terrace"},
                       {"id": "T3", "seats": [2, 4], "area": "hall"}, {"id": "T4", "seats": [2, 4], "area": "hall"},
                       {"id": "T5", "seats": [2, 4], "area": "hall"}, {"id": "T6", "seats": [2, 4], "area": "hall"}],
            "combinations": [{"of": ["T4", "T5"], "seats": [3, 8]}]}}});
    create(&e, "trattoria", &doc).await;
    let root = repo_root();
    let shots = root.join("target/artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/host.mjs"))
        .env("ORIGIN_URL", e.origin.url())
        .env("SELLER_TOKEN", &e.seller)
        .env("OPS_TOKEN", &e.ops)
        .env("BUYER_TOKEN", &e.buyer)
        .env("RESOURCE_ID", "trattoria")
        .env("DATE", day(1))
        .env("TODAY", day(0))
        .env("TZ", "UTC")
        .env("SHOTS", &shots)
        .current_dir(&root)
        .output()
        .await
        .expect("node");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "host browser test failed:\n{log}");
    println!("{log}");
    for want in [
        "live: the hold",
        "moved: ",
        "to T6",
        "taken: Move to T6",
        "TABLE_TAKEN",
        "released: ",
        "walk-in: Walk-in: party of 3 seated",
        "finished: Finish: done",
        "area: hall shows T3 T4 T5 T6",
        "rows aligned at",
        "no CSP violations",
        "streams: closed when the floor is left or the page hidden",
        "axe host floor (en): no serious or critical violation",
        "axe host floor (es): no serious or critical violation",
        "axe host floor guest form (es): no serious or critical violation",
        "host floor in Spanish: retenida",
        "axe seller (resource form, preview, bookings list): no serious or critical violation",
        "axe on-call: no serious or critical violation",
    ] {
        assert!(log.contains(want), "{want}: {log}");
    }
    // What the browser did is what the API holds.
    let floor = e.api.get(&e.seller, &format!("/v1/resources/trattoria/tables?date={}", day(1))).await;
    assert_eq!(floor.status.as_u16(), 200, "{:?}", floor.body);
    let on = |t: &str| -> Vec<i64> {
        floor.body["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["id"] == t)
            .flat_map(|x| x["seatings"].as_array().unwrap().iter().map(|s| s["party"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(on("T6"), vec![2], "the moved seating is on T6");
    assert!(on("T1").is_empty(), "the released seating is gone from T1: {:?}", floor.body);
    for shot in ["console-host.png", "console-host-walkin.png"] {
        assert!(std::fs::metadata(shots.join(shot)).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot {shot}");
    }
}

/// A booking's life after the sale (tests/browser/after.mjs): the seller sets the policy in
/// the document form (a field error shown at its path, then saved); in the bookings list a
/// guest is found by name and phone, a party seated, a walk-in finished, a change onto a full slot
/// refused with alternatives and one of them taken, a booking cancelled with its refund
/// shown, a no-show refused before the start (NOT_STARTED); on the floor the guest's name is
/// on the bar, a guest edited and a party changed. Screenshots: console-bookings.png,
/// console-host-guest.png.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seller_runs_a_booking_after_the_sale() {
    if left_out_of_fast_tier("the_seller_runs_a_booking_after_the_sale", "the built console and Chromium") {
        return;
    }
    assert!(aforo_origin::console::built(), "the console's assets are not built: run scripts/build-console.sh, then test again");
    let e = env();
    // Open all day (UTC), ten covers a slot, six tables; no after-the-sale policy yet.
    let doc = json!({"name": "Bistro", "timezone": "UTC", "qty": {"min": 1, "max": 8},
        "per_buyer": {"max_held_units": 100, "max_units_per_date": 100}, "pricing": {"currency": "EUR", "base_minor": 2500},
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 30, "capacity": 10,
            "tables": [{"id": "T1", "seats": [1, 2]}, {"id": "T2", "seats": [1, 2]}, {"id": "T3", "seats": [2, 4]},
                       {"id": "T4", "seats": [2, 4]}, {"id": "T5", "seats": [2, 4]}, {"id": "T6", "seats": [2, 4]}]}}});
    create(&e, "bistro", &doc).await;
    let root = repo_root();
    let shots = root.join("target/artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/after.mjs"))
        .env("ORIGIN_URL", e.origin.url())
        .env("SELLER_TOKEN", &e.seller)
        .env("BUYER_TOKEN", &e.buyer)
        .env("RESOURCE_ID", "bistro")
        .env("TZ", "UTC")
        .env("SHOTS", &shots)
        .current_dir(&root)
        .output()
        .await
        .expect("node");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "after-the-sale browser test failed:\n{log}");
    println!("{log}");
    for want in [
        "policy: field error at cancellation.fee_percent: must be between 0 and 100",
        "policy saved: Saved (replaced",
        "search: too short: Type at least 2 characters",
        "search: lovelace finds h",
        "search: by phone finds",
        "change refused: Change refused, SOLD_OUT",
        "change: Changed: party of 3",
        "seat: Seat Ada Lovelace: done, now seated.",
        "finish: Finish Eve Walker: done, now finished.",
        "cancel: Cancelled Bob Marley: refund 100 %, no fee.",
        "no-show: No-show Cy Twombly: NOT_STARTED",
        "floor: bar \"2 · Cy Twombly\"",
        "floor guest: Guest: Cy Twombly · called: 10 minutes late · regular",
        "floor change: Change: done, party of 1",
        "no CSP violations",
    ] {
        assert!(log.contains(want), "{want}: {log}");
    }
    // What the browser did is what the API holds.
    let got = e.api.get(&e.seller, "/v1/resources/bistro").await;
    assert_eq!(got.status.as_u16(), 200, "{:?}", got.body);
    let d = &got.body["document"];
    assert_eq!(d["cancellation"], json!({"free_until_h": 24, "fee_percent": 50}));
    assert_eq!(
        (d["early_seat_min"].as_u64(), d["no_show_after_min"].as_u64(), d["hold_max_s"].as_u64()),
        (Some(1440), Some(0), Some(3600))
    );
    let find = |q: &'static str| {
        let api = &e.api;
        let seller = &e.seller;
        async move {
            let a = api.get(seller, &format!("/v1/resources/bistro/bookings?q={q}")).await;
            assert_eq!(a.status.as_u16(), 200, "{:?}", a.body);
            let items = a.body["items"].as_array().cloned().unwrap_or_default();
            assert_eq!(items.len(), 1, "{q}: {items:?}");
            items[0].clone()
        }
    };
    assert_eq!(find("Lovelace").await["status"], "seated");
    assert_eq!(find("Walker").await["status"], "finished");
    assert_eq!(find("Marley").await["status"], "cancelled");
    let dee = find("Ramone").await;
    assert_eq!((dee["status"].as_str(), dee["qty"].as_u64()), (Some("consumed"), Some(3)), "{dee}");
    let cy = find("Twombly").await;
    assert_eq!((cy["status"].as_str(), cy["qty"].as_u64()), (Some("consumed"), Some(1)), "{cy}");
    assert_eq!(cy["guest"], json!({"name": "Cy Twombly", "notes": "called: 10 minutes late", "tags": ["regular"]}));
    for shot in ["console-bookings.png", "console-host-guest.png"] {
        assert!(std::fs::metadata(shots.join(shot)).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot {shot}");
    }
}
