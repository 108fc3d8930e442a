#!/usr/bin/env bash
# Where a hold's Redis time goes: the hold function alone through `redis-cli --pipe` (the calls
# of scripts/lib/group_calls.py: one resource, one unit a hold), one hold a call and groups of
# 64, with INFO commandstats reset before each run. Prints per hold: Redis CPU (INFO cpu, user +
# sys), the FCALL's usec (its inner commands included), and each inner command's calls and usec;
# "Lua" is the FCALL's usec less its inner commands' (argument parsing, tables, strings); the
# reference hold's Redis CPU is measured in each round too. BEFORE_LIB=file measures a saved
# library (`aforo-origin library > file`) in the same rounds, so that a change is measured
# before and after in one run. ORIGIN_BIN as in bench-group-lua.sh (a debug build is fine: the
# library is the same text). HOLDS (1280, a multiple of 64) sets the holds a run.
# Usage: [ORIGIN_BIN=…] [BEFORE_LIB=file] [LIBS=…] [HOLDS=n] scripts/bench-hold-cost.sh [rounds (3)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds="${1:-3}"
bin="${ORIGIN_BIN:-target/release/aforo-origin}"
[ -n "${ORIGIN_BIN:-}" ] || cargo build -q --release -p aforo-origin --bin aforo-origin
source scripts/lib/stack.sh
port=$(free_port); dir=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no --daemonize no > "$dir/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
"$bin" library > "$dir/this.lua"
libs="this:$dir/this.lua"
[ -z "${BEFORE_LIB:-}" ] || libs="before:$BEFORE_LIB $libs"
# LIBS="name:file ..." measures those libraries instead (variants with one step taken out).
libs="${LIBS:-$libs}"
holds="${HOLDS:-1280}"
cpu() { redis-cli -p "$port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }
echo "# $(date -u +%F) $(nproc) cores; per hold, $holds holds a run; µs; command calls×µs per hold"
for r in $(seq "$rounds"); do
  # The reference hold (scripts/lib/reference_hold.lua: the least a correct hold does), one a call.
  redis-cli -p "$port" flushall >/dev/null
  redis-cli -p "$port" function flush >/dev/null
  redis-cli -p "$port" function load "$(cat scripts/lib/reference_hold.lua)" >/dev/null
  python3 scripts/lib/group_calls.py reference 1 "$holds" - > "$dir/calls"
  a=$(cpu); redis-cli -p "$port" --pipe < "$dir/calls" >/dev/null; b=$(cpu)
  echo "r$r reference×1: cpu $(awk -v a="$a" -v b="$b" -v h="$holds" 'BEGIN {printf "%.1f", (b - a) * 1e6 / h}')"
  for lib in $libs; do
    name=${lib%%:*}; file=${lib#*:}
    version=$(sed -n "s/^local V = '\(.*\)'$/\1/p" "$file")
    for m in "1 $holds" "64 $((holds / 64))"; do
      set -- $m
      redis-cli -p "$port" flushall >/dev/null
      redis-cli -p "$port" function flush >/dev/null
      redis-cli -p "$port" function load "$(cat "$file")" >/dev/null
      python3 scripts/lib/group_calls.py aforo "$1" "$2" "$version" > "$dir/calls"
      redis-cli -p "$port" config resetstat >/dev/null
      a=$(cpu); redis-cli -p "$port" --pipe < "$dir/calls" >/dev/null; b=$(cpu)
      redis-cli -p "$port" info commandstats | tr -d '\r' | python3 -c '
import sys, re
name, n, cpu = sys.argv[1], int(sys.argv[3]), float(sys.argv[2])
stats = {}
for line in sys.stdin:
    m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
    if m: stats[m.group(1)] = (int(m.group(2)), int(m.group(3)))
fcall = sum(u for k, (c, u) in stats.items() if k == "fcall")
inner = {k: v for k, v in stats.items() if k not in ("fcall", "hset|m", "config|resetstat") and not k.startswith(("function", "flushall", "info"))}
# The setup HSETs (2 calls) are in hset: take them out.
if "hset" in inner: inner["hset"] = (inner["hset"][0] - 2, inner["hset"][1])
lua = fcall - sum(u for c, u in inner.values())
parts = "  ".join(f"{k} {c / n:.2f}×{u / n:.2f}" for k, (c, u) in sorted(inner.items(), key=lambda kv: -kv[1][1]))
print(f"{name}: cpu {cpu:.1f}  fcall {fcall / n:.1f}  lua {lua / n:.1f}  |  {parts}")
' "r$r $name×$1" "$(awk -v a="$a" -v b="$b" -v h="$holds" 'BEGIN {printf "%.3f", (b - a) * 1e6 / h}')" "$holds"
    done
  done
done
