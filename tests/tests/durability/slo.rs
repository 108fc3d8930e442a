//! The monthly SLO record from hourly roll-ups in real Redis: written through the store as
//! the origin's loop writes them (times injected, no hour waited), read back by
//! `GET /v1/monitoring/slo-report` and by `aforo-origin slo-report`.

use std::collections::BTreeMap;
use std::time::Duration;

use aforo_origin::store::{Store, StoreConfig};
use aforo_tests::client::Api;
use aforo_tests::harness::{origin_bin, token, Origin, Redis};
use chrono::{Datelike, TimeZone, Utc};

/// Last month (every hour of it past), and its first Unix hour.
fn last_month() -> (String, i64) {
    let now = Utc::now();
    let (y, m) = if now.month() == 1 { (now.year() - 1, 12) } else { (now.year(), now.month() - 1) };
    let first = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap();
    (format!("{y:04}-{m:02}"), first.timestamp() / 3600)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_month_is_reported_from_its_hourly_rollups_with_missing_hours_stated() {
    let redis = Redis::start(&[]);
    let origin = Origin::start(&redis.url());
    let store = Store::connect(&StoreConfig::new(&redis.url(), 1, Duration::from_secs(2))).await.unwrap();
    let (month, h0) = last_month();
    // Two hours recorded (by two origins for the second: their figures add up).
    let fields = |n: i64, e: i64| -> BTreeMap<String, i64> {
        [("minutes", 60), ("all:n", n), ("all:e", e), ("hold:n", n), ("hold:e", e), ("hold:b10", n)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    };
    store.slo_add(h0, &fields(1000, 0)).await.unwrap();
    store.slo_add(h0 + 1, &fields(500, 1)).await.unwrap();
    store.slo_add(h0 + 1, &fields(500, 1)).await.unwrap();
    let ttl: u64 = redis.cli(&["TTL", &format!("af:slo:h:{h0}")]).parse().unwrap();
    assert!((399 * 86_400..=400 * 86_400).contains(&ttl), "kept 400 days: {ttl}");

    let api = Api::new(&origin.url());
    let r = api.get(&token("ops-1", "ops"), &format!("/v1/monitoring/slo-report?month={month}")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let b = &r.body;
    let hours = b["hours_in_month"].as_i64().unwrap();
    assert_eq!(
        (b["hours_elapsed"].as_i64(), b["hours_with_data"].as_i64(), b["missing_hours"].as_i64()),
        (Some(hours), Some(2), Some(hours - 2)),
        "{b}"
    );
    assert_eq!(b["missing"].as_array().unwrap().len(), 1, "one run of missing hours, after the second: {b}");
    let av = &b["slos"][0];
    assert_eq!((av["slo"].as_str(), av["requests"].as_u64(), av["errors"].as_u64()), (Some("availability"), Some(2000), Some(2)), "{av}");
    // 2 errors of the 10 the 99.5 % target allows.
    assert_eq!(av["error_budget_used"], 0.2, "{av}");
    assert_eq!(b["slos"][2]["slo"], "hold_p95_ms");
    assert_eq!(b["slos"][2]["met"], true, "{b}");

    // Only ops; a month that is not one is refused.
    let buyer = api.get(&token("buyer-1", "buyer"), &format!("/v1/monitoring/slo-report?month={month}")).await;
    assert_eq!(buyer.status, 403);
    for bad in ["2026-13", "2026-1", "last", ""] {
        let a = api.get(&token("ops-1", "ops"), &format!("/v1/monitoring/slo-report?month={bad}")).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{bad}: {:?}", a.body);
    }
    let none = api.get(&token("ops-1", "ops"), "/v1/monitoring/slo-report").await;
    assert_eq!(none.status, 400);

    // The command line says the same.
    let out = std::process::Command::new(origin_bin())
        .args(["slo-report", "--month", &month])
        .env("AFORO_REDIS_URL", redis.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["slos"], b["slos"]);
    assert_eq!(cli["missing"], b["missing"]);
}
