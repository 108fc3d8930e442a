//! schemathesis (PyPI, installed by scripts/install-tools.sh into .tools/venv) generates
//! requests from origin/openapi.yaml against the real origin and real Redis: no answer may be
//! a 5xx. `PUT /v1/monitoring/mode` is left out: it turns on read-only mode, whose 503
//! READ_ONLY is the documented answer to every write after it.
#![allow(clippy::unwrap_used)]

mod common;

use aforo_tests::client::Api;
use aforo_tests::harness::{left_out_of_fast_tier, repo_root, token, Origin, Redis};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_never_get_a_5xx() {
    if left_out_of_fast_tier("generated_requests_never_get_a_5xx", "schemathesis (.tools/venv)") {
        return;
    }
    let root = repo_root();
    let st = root.join(".tools/venv/bin/st");
    assert!(st.exists(), "{} is missing: run scripts/install-tools.sh", st.display());
    let redis = Redis::start(&[]);
    let origin = Origin::start(&redis.url());
    let api = Api::new(&origin.url());
    let ops = token("ops-1", "ops");
    let demo = json!({"name": "Demo", "timezone": "Europe/Madrid",
        "dimensions": {"stock": {"on_hand": 50}, "slots": {"duration_min": 60, "interval_min": 30, "capacity": 8,
          "tables": [{"type": "4-top", "count": 2, "seats": [2, 4]}]}}});
    assert_eq!(api.put_resource(&ops, "demo", &demo).await.status.as_u16(), 201);
    let examples = std::env::var("AFORO_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "30".into());
    let out = tokio::process::Command::new(&st)
        .current_dir(&root)
        .args(["run", "origin/openapi.yaml", "--url", &origin.url(), "--checks", "not_a_server_error"])
        // An event stream never ends by itself (tests/tests/origin/live.rs covers it).
        .args(["--exclude-name", "PUT /v1/monitoring/mode", "--exclude-name", "GET /v1/resources/{id}/events"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", &examples, "--seed", "20261123", "--workers", "1", "--no-color"])
        .args(["-H", &format!("Authorization: Bearer {ops}")])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: String = text.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    assert!(out.status.success(), "schemathesis found failures:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let tested: usize = text.lines().find_map(|l| l.trim().strip_prefix("Tested: ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    assert!(tested >= 20, "only {tested} operations tested:\n{summary}");
    println!("{summary}");
}
