#!/usr/bin/env bash
# Redis memory of the audit trail per million events: a typical `hold.created` event (a
# restaurant hold with one item, as the origin writes it) appended N times across the shards
# the way the writer does (batches of 256, each to the next shard), then `used_memory` and
# each shard's `MEMORY USAGE`. The same run with one stream gives the baseline.
# Usage: scripts/bench-audit.sh [events, default 1000000] [shards, default 4]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
SHARDS=${2:-4}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" --daemonize yes --logfile "$DIR/log" >/dev/null
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
cli() { redis-cli -p "$PORT" "$@"; }

# A hold.created event as the origin serialises it (store/audit.rs), one slot item.
EVENT='{"id":"","type":"hold.created","at":"2026-11-27T19:45:21+00:00","actor":"buyer-7f3a","role":"buyer","resource_id":"casa-lola","hold_id":"h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_casa-lola","request_id":"01JD5Q8ZK3M4N5P6Q7R8S9T0VX","route":"POST /v1/holds","detail":{"items":[{"resource_id":"casa-lola","date":"2026-12-05","slot":"20:30","start":"2026-12-05T20:30:00+01:00","qty":4,"price":{"unit_minor":4500,"currency":"EUR","tier":"standard"}}],"expires_at":"2026-11-27T19:55:21+00:00"}}'

# Appends `n` events in batches of 256 over `shards` streams, as the writer does; the script
# runs in parts so that no call holds Redis for long.
LUA='
local n, shards, ev = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for b = 0, math.ceil(n / 256) - 1 do
  local key = "af:{audit:" .. (b % shards) .. "}"
  if shards == 0 then key = "af:audit" end
  for i = 1, math.min(256, n - b * 256) do redis.call("XADD", key, "*", "type", "hold.created", "e", ev) end
end
return n'

measure() {
  local shards=$1 before after
  cli flushall >/dev/null
  before=$(cli info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
  local left=$N
  while [ "$left" -gt 0 ]; do
    local part=$(( left > 51200 ? 51200 : left ))
    cli eval "$LUA" 0 "$part" "$shards" "$EVENT" >/dev/null
    left=$(( left - part ))
  done
  after=$(cli info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
  local per=$(( (after - before) / N ))
  local keys
  if [ "$shards" -eq 0 ]; then keys="af:audit"; else keys=$(for i in $(seq 0 $((shards - 1))); do printf 'af:{audit:%d} ' "$i"; done); fi
  local usage=0
  for k in $keys; do usage=$(( usage + $(cli memory usage "$k" samples 0 | tr -d '\r') )); done
  printf '%-22s events %8d  used_memory +%6d MB  streams %6d MB  %4d B/event  (%d MB per 10^6 events)\n' \
    "$([ "$shards" -eq 0 ] && echo 'one stream (before)' || echo "$shards shards")" "$N" \
    $(( (after - before) / 1048576 )) $(( usage / 1048576 )) "$per" $(( per * 1000000 / 1048576 ))
}

echo "event: $(printf %s "$EVENT" | wc -c) bytes of JSON; redis $(cli info server | awk -F: '/^redis_version:/{print $2}' | tr -d '\r')"
measure 0
measure "$SHARDS"
