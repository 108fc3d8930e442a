#!/usr/bin/env bash
# Group commit (issue #14): holds over HTTP through two release origins on ONE Redis, one with
# AFORO_BATCH_MAX=1 (one call per hold) and one with the default (or $BATCH), run in turn at
# each client count, so both see the same machine: a hot resource (every hold on one) and
# holds spread over 100 resources. Then the last unit with 1,000 clients on each.
#   Redis CPU µs/hold = Redis's CPU over the run (INFO cpu, user + sys) ÷ holds answered 201
#   FCALL µs/hold     = the hold functions' usec (INFO commandstats, reset before each run:
#                       FCALL includes the commands it runs) ÷ holds answered 201. Summing
#                       every cmdstat would count a function's commands twice: Redis 7 lists
#                       them on their own lines too.
#   group             = mean of aforo_hold_group_size over the run (the origin's /metrics)
# Usage: scripts/bench-group.sh [seconds per run] [clients...]   (SCENARIOS="hot hold-spread")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-8}"; shift || true
[ $# -gt 0 ] && clients=("$@") || clients=(1 8 64 256)
scenarios="${SCENARIOS:-hot hold-spread}"
cargo build -q --release -p aforo-origin --bin aforo-origin -p aforo-tests --bin aforo-load
out="$root/target/bench"; mkdir -p "$out"
# No drift check during a run: its Redis time would land in one side's figures only.
export AFORO_CHECK_INTERVAL_S=0
if [ -n "${BATCH:-}" ]; then export AFORO_BATCH_MAX="$BATCH"; else unset AFORO_BATCH_MAX; fi
source scripts/lib/stack.sh
stack_up --appendonly no
grouped_port=$oport
one_port=$(free_port)
AFORO_BATCH_MAX=1 AFORO_LISTEN="127.0.0.1:$one_port" AFORO_REDIS_URL="redis://127.0.0.1:$rport" AFORO_LOG=warn \
  target/release/aforo-origin > "$dir/origin-1.log" 2>&1 &
one_pid=$!
trap 'kill $one_pid $opid $rpid 2>/dev/null; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$one_port/readyz" >/dev/null; do sleep 0.1; done

cpu() { redis-cli -p "$rport" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }

groups() { # sum and count of aforo_hold_group_size on the origin at port $1
  curl -sf "http://127.0.0.1:$1/metrics" | awk '/^aforo_hold_group_size_sum/ {s=$2} /^aforo_hold_group_size_count/ {c=$2} END {print s+0, c+0}'
}

run() { # scenario clients label port [extra aforo-load args...]
  local scenario=$1 c=$2 label=$3 port=$4; shift 4
  local before c0; before=$(groups "$port"); c0=$(cpu)
  target/release/aforo-load --origin "http://127.0.0.1:$port" --redis "redis://127.0.0.1:$rport" --scenario "$scenario" \
    --clients "$c" --prefix "g${scenario%%-*}$c$label" "$@" --json > "$out/group-$scenario-$label-$c.json"
  node -e '
    const [file, label, before, after, cpu] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const h = r.http.ops.hold, made = h.codes["201"] || 0;
    const fcall = r.redis_commandstats_http.fcall || {};
    const [s0, c0] = before.split(" ").map(Number), [s1, c1] = after.split(" ").map(Number);
    const group = c1 > c0 ? ((s1 - s0) / (c1 - c0)).toFixed(2) : "-";
    console.log(`| ${r.scenario} | ${r.clients} | ${label} | ${h.per_s} | ${h.p50_ms} | ${h.p99_ms} | ${made ? (cpu * 1e6 / made).toFixed(1) : "-"} | ${made ? ((fcall.usec || 0) / made).toFixed(1) : "-"} | ${group} | ${JSON.stringify(h.codes)} |`);
  ' "$out/group-$scenario-$label-$c.json" "$label" "$before" "$(groups "$port")" "$(awk -v a="$(cpu)" -v b="$c0" 'BEGIN {print a - b}')"
}

echo "# $(date -u +%F) $(nproc) cores, AOF off, ${secs}s per run, grouped origin AFORO_BATCH_MAX=${AFORO_BATCH_MAX:-default}"
echo "| scenario | clients | batch | holds/s | p50 ms | p99 ms | Redis CPU µs/hold | FCALL µs/hold | mean group | codes |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for scenario in $scenarios; do
  for c in "${clients[@]}"; do
    run "$scenario" "$c" 1 "$one_port" --seconds "$secs"
    run "$scenario" "$c" grouped "$grouped_port" --seconds "$secs"
  done
done
# The last unit: 1,000 clients, one request each; exactly one 201 on each side.
run last-unit 1000 1 "$one_port" --seconds 30 --requests 1000
run last-unit 1000 grouped "$grouped_port" --seconds 30 --requests 1000
