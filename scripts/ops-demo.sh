#!/usr/bin/env bash
# A short checkout-mix load against a fresh Redis and the release origin, then what on-call
# sees: the aforo_* metrics, the SLO health answer, the alerts and a drift check.
# Usage: scripts/ops-demo.sh [seconds (10)] [clients (32)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-10}"; clients="${2:-32}"
cargo build -q --release -p aforo-origin --bin aforo-origin --bin aforo-token -p aforo-tests --bin aforo-load
source scripts/lib/stack.sh
AFORO_ALERT_INTERVAL_MS=1000 stack_up --appendonly no
target/release/aforo-load --origin "http://127.0.0.1:$oport" --scenario checkout-mix --resources 20 --clients "$clients" --seconds "$secs" \
  --prefix demo | tail -8
sleep 3  # past the 2 s hold TTL of the abandoned holds, and an alert evaluation
ops=$(target/release/aforo-token --secret "$AFORO_JWT_SECRET" --sub ops-demo --role ops)
echo; echo "## GET /metrics (aforo_*, without histogram buckets)"
curl -s "http://127.0.0.1:$oport/metrics" | grep -E '^aforo_' | grep -v '_bucket{' | grep -vE 'route="/v1/resources/\{id\}",method="PUT"'
echo; echo "## GET /v1/monitoring/health"
curl -s -H "Authorization: Bearer $ops" "http://127.0.0.1:$oport/v1/monitoring/health" | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.stringify(JSON.parse(s), null, 1)))'
echo; echo "## GET /v1/monitoring/alerts (state of each rule)"
curl -s -H "Authorization: Bearer $ops" "http://127.0.0.1:$oport/v1/monitoring/alerts" | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => { const r = JSON.parse(s);
    for (const a of r.rules) console.log(`${a.alert.padEnd(28)} ${a.state.padEnd(9)} ${a.condition} (value ${a.value})`); })'
echo; echo "## POST /v1/monitoring/check"
curl -s -X POST -H "Authorization: Bearer $ops" "http://127.0.0.1:$oport/v1/monitoring/check"; echo
