#!/usr/bin/env bash
# What physical tables cost a hold: a 30-table room open 19:00-22:00 (seatings of 90
# minutes every 15, two areas, three combinations) against the same room counting covers
# alone, in one run on one stack. Parties of 1-8 on evenings spread over a year, so most
# holds are granted after a best-fit scan. Reports holds/s, p50/p99 over HTTP and the Redis
# FCALL µs per call (INFO commandstats), then the Worker's wasm size.
# Usage: scripts/bench-tables.sh [seconds per run (10)] [clients (8)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-10}"; clients="${2:-8}"
cargo build -q --release -p aforo-origin --bin aforo-origin -p aforo-tests --bin aforo-load
out="$root/target/bench"; mkdir -p "$out"
source scripts/lib/stack.sh
stack_up --appendonly no
echo "# $(date -u +%F) $(nproc) cores, ${secs}s per run, $clients clients"
for round in 1 2; do
  for scenario in room-plain room-tables; do
    target/release/aforo-load --origin "http://127.0.0.1:$oport" --redis "redis://127.0.0.1:$rport" --scenario "$scenario" \
      --clients "$clients" --seconds "$secs" --resources 4 --prefix "r$round-$scenario" --json > "$out/$scenario-$round.json"
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const h = r.http.ops.hold, f = r.redis_commandstats_http.fcall || {};
      const decided = (h.codes["201"] || 0) + (h.codes["409"] || 0);
      console.log(`round ${process.argv[2]} ${r.scenario.padEnd(11)}: ${h.per_s} holds/s p50 ${h.p50_ms} p99 ${h.p99_ms} ms codes ${JSON.stringify(h.codes)} | FCALL ${f.usec_per_call} µs/call, ${(f.usec / decided).toFixed(1)} µs of FCALLs (hold and snapshot reads) per hold`);
    ' "$out/$scenario-$round.json" "$round"
  done
done
if [ -f edge-worker/build/index_bg.wasm ]; then
  echo "wasm: $(stat -c %s edge-worker/build/index_bg.wasm) bytes, gzipped $(gzip -9c edge-worker/build/index_bg.wasm | wc -c) bytes (scripts/build-edge.sh)"
fi
