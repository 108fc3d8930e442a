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
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
rport=$(port); oport=$(port); dir=$(mktemp -d)
aof_args=(--appendonly no)
[ "$aof" != off ] && aof_args=(--appendonly yes --appendfsync "$aof")
redis-server --bind 127.0.0.1 --port "$rport" --dir "$dir" --save '' "${aof_args[@]}" --daemonize no > "$dir/redis.log" 2>&1 &
rpid=$!
export AFORO_JWT_SECRET=bench-secret-0123456789abcdef
trap 'kill $opid $rpid 2>/dev/null; rm -rf "$dir"' EXIT
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
AFORO_LISTEN="127.0.0.1:$oport" AFORO_REDIS_URL="redis://127.0.0.1:$rport" AFORO_LOG=warn target/release/aforo-origin > "$dir/origin.log" 2>&1 &
opid=$!
until curl -sf "http://127.0.0.1:$oport/readyz" >/dev/null; do sleep 0.1; done
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
