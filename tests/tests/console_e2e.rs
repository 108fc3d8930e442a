//! The web console in headless Chromium (tests/browser/console.mjs, playwright-core) against
//! the real origin and Redis: a seller builds a restaurant from the template with the
//! preview and field errors of aforo-core in wasm, saves it; an operator switches to read-only
//! and a hold is refused. Screenshots go to target/artifacts/ (CI artifacts).
//! Needs the console's assets (scripts/build-console.sh, which scripts/test.sh runs first).

#![allow(clippy::unwrap_used)]

mod common;

use aforo_tests::harness::repo_root;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_builds_a_restaurant_and_ops_switches_to_read_only() {
    assert!(aforo_origin::console::built(), "the console's assets are not built: run scripts/build-console.sh, then test again");
    let e = env();
    create(&e, "panettone", &json!({"name": "Panettone", "timezone": "UTC", "dimensions": {"stock": {"on_hand": 5}}})).await;
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
    for shot in ["console-seller.png", "console-oncall.png", "console-field-error.png"] {
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
