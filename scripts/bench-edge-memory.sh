#!/usr/bin/env bash
# The Worker's memory while a client asks for one far-future calendar after another (each a
# snapshot of its own, kept in the isolate): workerd's resident size every 10 calls, for each
# SNAPSHOT_CACHE_BYTES given. Runs the Worker in wrangler dev against a throwaway origin.
# Usage: scripts/bench-edge-memory.sh [calls] [cache bytes...]   (defaults: 60, 16777216)
# ORIGIN_BIN / TOKEN_BIN pick the origin binaries (default target/release/...).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
calls="${1:-60}"; shift || true
sizes=("$@"); [ "${#sizes[@]}" -gt 0 ] || sizes=(16777216)
. scripts/lib/stack.sh
stack_up
token_bin="${TOKEN_BIN:-target/release/aforo-token}"
tok() { "$token_bin" --sub "$1" --role "$2" --ttl-s 3600; }
seller="$(tok mem-seller seller)"; edge="$(tok mem-edge edge)"
bash scripts/build-edge.sh >/dev/null
# A restaurant open every day, booked far ahead, two services of 30-minute slots, a season and pricing. (With
# 15-minute slots, concurrent and pacing, the origin's 366-day snapshot fails today: its Redis
# read function unpacks more keys than Lua allows.)
doc='{"name":"Trattoria","timezone":"Europe/Madrid","horizon_days":3650,"hold_ttl_s":86400,
  "dimensions":{"daily":{"capacity":120},"slots":{"duration_min":90,"interval_min":30,"capacity":8}},
  "hours":{"mon":[["13:00","16:00"],["20:00","23:30"]],"tue":[["13:00","16:00"],["20:00","23:30"]],"wed":[["13:00","16:00"],["20:00","23:30"]],
           "thu":[["13:00","16:00"],["20:00","23:30"]],"fri":[["13:00","16:00"],["20:00","23:30"]],"sat":[["13:00","16:00"],["20:00","23:30"]],
           "sun":[["13:00","16:00"],["20:00","23:30"]]},
  "seasons":[{"name":"alta","from":"2027-06-01","to":"2027-09-30","priority":1,"overrides":{"price_multiplier":1.2}}],
  "pricing":{"currency":"EUR","base_minor":2500,"triggers":[{"utilization_gte":0.5,"multiplier":1.15,"tier":"high"}]}}'
curl -sf -X PUT "http://127.0.0.1:$oport/v1/resources/trattoria" -H "authorization: Bearer $seller" \
  -H 'content-type: application/json' -d "$doc" > /dev/null
# Bookings on every far-future day, so that each snapshot carries counters (as a busy
# resource's would): five seatings a day, one cart per day.
buyer="$(tok mem-buyer buyer)"
for i in $(seq 0 "$((calls + 366))"); do
  d=$(date -u -d "2030-01-01 + $i days" +%F)
  items=""; for t in 13:00 13:30 20:00 20:30 21:00; do items="$items${items:+,}{\"resource_id\":\"trattoria\",\"date\":\"$d\",\"slot\":\"$t\",\"qty\":1}"; done
  curl -sf -X POST "http://127.0.0.1:$oport/v1/holds" -H "authorization: Bearer $buyer" -H "idempotency-key: mem-$i" \
    -H 'content-type: application/json' -d "{\"items\":[$items]}" > /dev/null
done
rss_of_workerd() { ps -o rss=,comm= -g "$1" | awk '$2 ~ /workerd/ {s += $1} END {printf "%.1f", s / 1024}'; }
echo "# $(date -u +%F) $(nproc) cores; $calls calendars of 366 days, each from a later far-future date"
for bytes in "${sizes[@]}"; do
  eport=$(free_port)
  state=$(mktemp -d)
  CI=true WRANGLER_SEND_METRICS=false setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$eport" \
    --inspector-port "$(free_port)" --persist-to "$state" --var "ORIGIN_URL:http://127.0.0.1:$oport" \
    --var "EDGE_TOKEN:$edge" --var "SNAPSHOT_CACHE_BYTES:$bytes" > "$state/wrangler.log" 2>&1 < /dev/null &
  wpid=$!
  # Also on an early exit: the Worker's process group, then what stack_up started.
  trap 'kill -s KILL -- "-$wpid" 2>/dev/null; kill $opid $rpid 2>/dev/null; rm -rf "$dir" "$state"' EXIT
  until curl -sf "http://127.0.0.1:$eport/healthz" > /dev/null 2>&1; do sleep 0.2; done
  base="http://127.0.0.1:$eport/v1/resources/trattoria/calendar"
  curl -sf "$base?from=$(date -u +%F)&to=$(date -u +%F)" > /dev/null
  snap=$(curl -sf "http://127.0.0.1:$oport/v1/resources/trattoria/snapshot?from=2030-01-01&to=2030-12-31" -H "authorization: Bearer $edge" | wc -c)
  line="SNAPSHOT_CACHE_BYTES=$bytes (a far-future snapshot is $snap bytes of JSON): workerd RSS MB: start $(rss_of_workerd "$wpid")"
  for i in $(seq 1 "$calls"); do
    from=$(date -u -d "2030-01-01 + $i days" +%F); to=$(date -u -d "2030-01-01 + $((i + 365)) days" +%F)
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base?from=$from&to=$to")
    [ "$code" = 200 ] || { echo "calendar $from..$to answered $code" >&2; exit 1; }
    [ $((i % 10)) -ne 0 ] || line="$line, $i: $(rss_of_workerd "$wpid")"
  done
  echo "$line"
  kill -s TERM -- "-$wpid" 2>/dev/null || true; sleep 0.5; kill -s KILL -- "-$wpid" 2>/dev/null || true
  wait "$wpid" 2>/dev/null || true; rm -rf "$state"
done
