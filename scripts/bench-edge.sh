#!/usr/bin/env bash
# Availability reads per second at the origin and at the edge (the Worker in wrangler dev,
# answering from its snapshot cache), same resources, same clients, one after the other.
# Brings the stack up with ./dev on its default ports. Usage: scripts/bench-edge.sh [seconds] [clients]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-8}"; clients="${2:-64}"
cargo build -q --release -p aforo-tests --bin aforo-load
setsid ./dev > /tmp/aforo-bench-edge-dev.log 2>&1 &
dev=$!
trap 'kill -s TERM -- "-$dev" 2>/dev/null || true; wait "$dev" 2>/dev/null || true' EXIT
for _ in $(seq 600); do curl -sf "http://127.0.0.1:8787/v1/resources/trattoria/availability?date=$(date -u +%F)" >/dev/null 2>&1 && break; sleep 0.5; done
export AFORO_JWT_SECRET="$(cat .aforo-data/jwt-secret)"
echo "# $(date -u +%F) $(nproc) cores, ${secs}s per run, $clients clients, read-heavy (availability of a slot resource, one date)"
for target in origin edge; do
  extra=(); [ "$target" = edge ] && extra=(--edge http://127.0.0.1:8787)
  target/release/aforo-load --origin http://127.0.0.1:8080 "${extra[@]}" --scenario read-heavy --resources 20 --clients "$clients" \
    --seconds "$secs" --prefix "edge-bench" --json | node -e '
      let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const r = JSON.parse(s);
        for (const [op, o] of Object.entries(r.http.ops)) console.log(`${process.argv[1]}: ${op} ${o.per_s}/s p50 ${o.p50_ms} ms p99 ${o.p99_ms} ms codes ${JSON.stringify(o.codes)}`);
      });' "$target"
done
