//! The buyer page as a guest on a phone uses it, in English and in Spanish: the Worker in real
//! workerd (`wrangler dev`) in front of the real origin and Redis, driven by headless Chromium
//! at 390×844 (tests/browser/buyer-phone.mjs): a free table booked with guest details,
//! confirmed, changed and cancelled; a hold that expires; a time taken meanwhile (409 with
//! alternatives); a priced stock item handed to the marketplace's checkout; axe-core on every
//! view. And the page's pure modules under `node --test` (edge-worker/test/).

#![allow(clippy::unwrap_used)]

mod common;

use aforo_tests::edge::Edge;
use aforo_tests::harness::{left_out_of_fast_tier, repo_root};
use common::*;
use serde_json::{json, Value};

fn week(hours: Value) -> Value {
    let w: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), hours.clone())).collect();
    Value::Object(w)
}

/// A free restaurant (UTC): lunch 13:00-15:00 and dinner 20:00-22:00, hour-long seatings,
/// tables of 2, 2 and 4 (a party of up to 4), closed the day after `date`.
fn mesa(date: &str) -> Value {
    let next = (chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap() + chrono::Duration::days(1)).to_string();
    json!({"name": "Casa Pepa", "timezone": "UTC", "hours": week(json!([["13:00", "15:00"], ["20:00", "22:00"]])),
        "closures": [{"from": next, "to": next, "reason": "descanso"}], "qty": {"min": 1, "max": 8},
        "cancellation": {"free_until_h": 2, "fee_percent": 50},
        "dimensions": {"slots": {"duration_min": 60, "interval_min": 60, "capacity": 8,
            "tables": [{"id": "T1", "seats": [1, 2]}, {"id": "T2", "seats": [1, 2]}, {"id": "T3", "seats": [2, 4]}]}}})
}

/// The node unit tests of the buyer page's strings and decisions.
#[test]
fn the_buyer_page_modules_pass_their_unit_tests() {
    let out = std::process::Command::new("node").args(["--test", "edge-worker/test/"]).current_dir(repo_root()).output().expect("node");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && log.contains("# fail 0"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_books_on_a_phone_in_english_and_spanish() {
    if left_out_of_fast_tier("a_guest_books_on_a_phone_in_english_and_spanish", "workerd (wrangler dev) and Chromium") {
        return;
    }
    let e = env();
    // Never answered: the browser test intercepts the navigation to it.
    let checkout = "http://127.0.0.1:9/checkout";
    let edge = Edge::start(&e.origin.url(), &[("SNAPSHOT_TTL_S", "1"), ("CHECKOUT_URL", checkout)]);
    let d = day(2);
    let root = repo_root();
    let shots = root.join("target/artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    for lang in ["en", "es"] {
        create(&e, &format!("mesa-{lang}"), &mesa(&d)).await;
        let mut rapido = mesa(&d);
        rapido["hold_ttl_s"] = json!(2);
        rapido["name"] = json!("Rápido");
        create(&e, &format!("rapido-{lang}"), &rapido).await;
        create(
            &e,
            &format!("barra-{lang}"),
            &json!({"name": "Barra", "timezone": "UTC", "hours": week(json!([["20:00", "21:00"]])),
            "dimensions": {"slots": {"duration_min": 60, "interval_min": 60, "capacity": 4, "tables": [{"id": "B1", "seats": [1, 4]}]}}}),
        )
        .await;
        create(
            &e,
            &format!("panettone-{lang}"),
            &json!({"name": "Panettone 1 kg", "timezone": "UTC", "qty": {"min": 1, "max": 3},
            "dimensions": {"stock": {"on_hand": 40}}, "pricing": {"currency": "EUR", "base_minor": 1800}}),
        )
        .await;
        let out = tokio::process::Command::new("node")
            .arg(root.join("tests/browser/buyer-phone.mjs"))
            .env("EDGE_URL", edge.url())
            .env("ORIGIN_URL", e.origin.url())
            .env("BUYER_TOKEN", &e.buyer)
            .env("SELLER_TOKEN", &e.seller)
            .env("DATE", &d)
            .env("LANG", lang)
            .env("SHOTS", &shots)
            .env("CHECKOUT_URL", checkout)
            .current_dir(&root)
            .output()
            .await
            .expect("node");
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "browser test ({lang}) failed:\n{log}");
        for want in ["booked: ", "changed to 21:00, cancelled: ", "expired hold: ", "refused: ", "stock: checkout ", "axe held: no serious"]
        {
            assert!(log.contains(&format!("[{lang}] {want}")), "{want}: {log}");
        }
        println!("{log}");
        for view in ["held", "booked", "cancelled", "refused", "stock"] {
            let p = shots.join(format!("buyer-phone-{lang}-{view}.png"));
            assert!(std::fs::metadata(&p).map(|m| m.len() > 5_000).unwrap_or(false), "no screenshot at {}", p.display());
        }
    }
}
