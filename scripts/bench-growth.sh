#!/usr/bin/env bash
# How a hold's cost grows with the number of resources, of live holds, and of buckets per
# hold (slot length). One Redis (AOF off) and the release origin on loopback, 64 clients,
# $1 seconds per run (6). Prints holds/s, p99 and Redis's µs per FCALL for each run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-6}"
cargo build -q --release -p aforo-origin --bin aforo-origin -p aforo-tests --bin aforo-load
source scripts/lib/stack.sh
AFORO_CHECK_INTERVAL_S=0 stack_up --appendonly no
run() { # label, then aforo-load arguments
  local label="$1"; shift
  target/release/aforo-load --origin "http://127.0.0.1:$oport" --redis "redis://127.0.0.1:$rport" --clients 64 --seconds "$secs" --json "$@" \
    | node -e '
      let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const r = JSON.parse(s), h = r.http.ops.hold, f = r.redis_commandstats_http.fcall || {};
        console.log(`${process.argv[1]}: ${h.per_s} holds/s, p50 ${h.p50_ms} ms, p99 ${h.p99_ms} ms, FCALL ${f.usec_per_call} µs/call`);
      });' "$label"
}
echo "# $(date -u +%F) $(nproc) cores, ${secs}s per run, 64 clients"
for n in 10 1000 10000; do run "resources $n" --scenario hold-spread --resources "$n" --prefix "r$n"; done
for i in 1 2 3 4; do
  live=0
  for k in $(redis-cli -p "$rport" --scan --pattern 'af:{r:live-*}:x'); do live=$((live + $(redis-cli -p "$rport" ZCARD "$k"))); done
  run "live holds at start $live" --scenario hold-spread --resources 10 --prefix live --keys "live$i"
done
for d in 15 60 240; do run "slot-hold, seating $d min ($((1 + 2 * d / 15)) buckets a hold)" --scenario slot-hold --duration-min "$d" --resources 10 --prefix "s$d"; done
