#!/usr/bin/env bash
# Origin holds over HTTP beside the same Redis function called through fred directly, in one
# run on this machine: Redis (AOF as $AOF: off | everysec | always), the release origin, and
# aforo-load, all on loopback. Usage: scripts/bench-holds.sh [seconds per run] [clients...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-10}"; shift || true
clients=("${@:-1 8 64 256}")
[ $# -gt 0 ] && clients=("$@") || clients=(1 8 64 256)
aof="${AOF:-off}"
scenario="${SCENARIO:-hold-spread}"   # hold-spread (with the fred baseline) | last-unit | read-heavy | checkout-mix
cargo build -q --release -p aforo-origin --bin aforo-origin -p aforo-tests --bin aforo-load
out="$root/target/bench"; mkdir -p "$out"
aof_args=(--appendonly no)
[ "$aof" != off ] && aof_args=(--appendonly yes --appendfsync "$aof")
source scripts/lib/stack.sh
stack_up "${aof_args[@]}"
echo "# $(date -u +%F) $(nproc) cores, AOF $aof, ${secs}s per run"
for c in "${clients[@]}"; do
  base=(); [ "$scenario" = hold-spread ] && base=(--baseline)
  target/release/aforo-load --origin "http://127.0.0.1:$oport" --redis "redis://127.0.0.1:$rport" --scenario "$scenario" \
    --clients "$c" --seconds "$secs" "${base[@]}" --prefix "b$c" --json > "$out/$scenario-$aof-$c.json"
  [ "$scenario" = hold-spread ] || { node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const [op, o] of Object.entries(r.http.ops)) console.log(`${r.scenario} clients ${r.clients}: ${op} ${o.count} (${o.per_s}/s) p50 ${o.p50_ms} p99 ${o.p99_ms} max ${o.max_ms} ms codes ${JSON.stringify(o.codes)}`);
  ' "$out/$scenario-$aof-$c.json"; continue; }
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const h = r.http.ops.hold, d = r.baseline.ops.hold_direct, f = r.redis_commandstats_http.fcall || {};
    console.log(`clients ${r.clients}: HTTP ${h.per_s}/s p50 ${h.p50_ms} p99 ${h.p99_ms} ms | direct ${d.per_s}/s p50 ${d.p50_ms} p99 ${d.p99_ms} ms | ratio ${r.ratio_http_over_direct} | FCALL ${f.usec_per_call} µs/call`);
  ' "$out/$scenario-$aof-$c.json"
done
