#!/usr/bin/env bash
# This tree's origin beside another revision's, same machine, same load, runs alternated so
# that the machine's drift hits both: hold-spread, 64 clients, a fresh Redis per run.
# Usage: scripts/bench-compare.sh REV [seconds (8)] [rounds (2)]
# Also: ORIGIN_BIN=target/compare/REV/release/aforo-origin scripts/bench-fcall.sh measures that
# revision's Redis library (the origin loads it at start).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rev="${1:?usage: scripts/bench-compare.sh REV [seconds] [rounds]}"; secs="${2:-8}"; rounds="${3:-2}"
cargo build -q --release -p aforo-origin --bin aforo-origin -p aforo-tests --bin aforo-load
other="$root/target/compare/$rev"
if [ ! -x "$other/release/aforo-origin" ]; then
  wt=$(mktemp -d)
  git worktree add -q --detach "$wt" "$rev"
  (cd "$wt" && CARGO_TARGET_DIR="$other" cargo build -q --release -p aforo-origin --bin aforo-origin)
  git worktree remove --force "$wt"
fi
source scripts/lib/stack.sh
echo "# $(date -u +%F) $(nproc) cores, hold-spread, 64 clients, ${secs}s per run"
for round in $(seq "$rounds"); do
  for bin in "$other/release/aforo-origin" target/release/aforo-origin; do
    ( ORIGIN_BIN="$bin" stack_up --appendonly no
      target/release/aforo-load --origin "http://127.0.0.1:$oport" --scenario hold-spread --clients 64 --seconds "$secs" \
        --prefix "c$round" --json | node -e '
        let s = ""; process.stdin.on("data", d => s += d).on("end", () => { const h = JSON.parse(s).http.ops.hold;
          console.log(`${process.argv[1]}: ${h.per_s} holds/s, p50 ${h.p50_ms} ms, p99 ${h.p99_ms} ms`); });' \
        "$([ "$bin" = target/release/aforo-origin ] && echo "this tree" || echo "$rev")" )
  done
done
