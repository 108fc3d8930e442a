#!/usr/bin/env bash
# The hold function alone (no origin, no network but redis-cli --pipe): Redis's CPU per hold
# (INFO cpu, user + sys) for `aforo_hold` one hold a call, then in groups of 8, 16, 32 and 64,
# beside the reference hold (scripts/lib/reference_hold.lua: the least a correct hold does),
# interleaved, $1 rounds (default 3) of 1,280 holds each. ORIGIN_BIN measures another build's
# library (the one `aforo-origin library` prints). BEFORE=<rev> (a revision from before the
# library was split, 2026-12-05, with its own scripts/lib/group_calls.py) measures that
# revision's `aforo_hold` one hold a call and `aforo_hold_group` of 64 in the same rounds.
# Usage: [BEFORE=rev] scripts/bench-group-lua.sh [rounds]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds="${1:-3}"
bin="${ORIGIN_BIN:-target/release/aforo-origin}"
[ -n "${ORIGIN_BIN:-}" ] || cargo build -q --release -p aforo-origin --bin aforo-origin
version=$("$bin" library --version)
source scripts/lib/stack.sh
port=$(free_port); dir=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no --daemonize no > "$dir/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; rm -rf "$dir"' EXIT
if [ -n "${BEFORE:-}" ]; then
  git show "$BEFORE:origin/src/store/aforo.lua" > "$dir/before.lua"
  git show "$BEFORE:scripts/lib/group_calls.py" > "$dir/before_calls.py"
fi
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
cpu() { redis-cli -p "$port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }
echo "# $(date -u +%F) $(nproc) cores; Redis CPU µs per hold (1,280 holds a run)"
for r in $(seq "$rounds"); do
  line="round $r:"
  modes="reference 1 1280|aforo 1 1280|aforo 8 160|aforo 16 80|aforo 32 40|aforo 64 20"
  [ -z "${BEFORE:-}" ] || modes="$modes|before-single 1 1280|before-group 64 20"
  IFS='|' read -ra all <<< "$modes"
  for m in "${all[@]}"; do
    set -- $m
    redis-cli -p "$port" flushall >/dev/null
    case "$1" in
      before-*)
        python3 "$dir/before_calls.py" "${1#before-}" "$2" "$3" > "$dir/calls"
        redis-cli -p "$port" function load replace "$(cat "$dir/before.lua")" >/dev/null ;;
      *)
        python3 scripts/lib/group_calls.py "$1" "$2" "$3" "$version" > "$dir/calls"
        redis-cli -p "$port" function load replace "$("$bin" library)" >/dev/null
        redis-cli -p "$port" function load replace "$(cat scripts/lib/reference_hold.lua)" >/dev/null ;;
    esac
    a=$(cpu); redis-cli -p "$port" --pipe < "$dir/calls" >/dev/null; b=$(cpu)
    line="$line  $1×$2 $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", (b - a) * 1e6 / 1280}')"
  done
  echo "$line"
done
