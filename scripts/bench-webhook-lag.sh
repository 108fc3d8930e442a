#!/usr/bin/env bash
# Webhook lag under load (BENCHMARKS.md "Webhooks"): a fresh Redis and the release origin,
# then aforo-webhook-lag: for each rate (100 and 1,000 holds/s), 1 and 10 live endpoints and
# 10 + 1 dead one, in one run; lag = arrival at the receiver - the commit's Redis time.
# Usage: scripts/bench-webhook-lag.sh [seconds per scenario (5)] — ORIGIN_BIN and LAG_BIN
# pick the binaries (default: release).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-5}"
lag_bin="${LAG_BIN:-target/release/aforo-webhook-lag}"
source scripts/lib/stack.sh
export AFORO_WEBHOOK_ALLOW_PRIVATE=1 AFORO_RATE_LIMIT_RPS="${AFORO_RATE_LIMIT_RPS:-0}"
stack_up --appendonly no
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(basename "$(dirname "${ORIGIN_BIN:-target/release/x}")") build, ${secs}s per scenario"
"$lag_bin" --origin "http://127.0.0.1:$oport" --rates 100,1000 --endpoints 1,10 --dead --seconds "$secs"
