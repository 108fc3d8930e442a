#!/usr/bin/env bash
# The worst cases of docs/limits.md over HTTP: each document of tests/documents/ on the
# release origin and one Redis (AOF off), with a busy fortnight of holds; then, $1 times each
# (5), a one-year calendar and one date's availability, timed by curl, and Redis's cost of
# them from INFO commandstats and SLOWLOG (every call over 1 ms is logged).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
n="${1:-5}"
cargo build -q --release -p aforo-origin --bin aforo-origin --bin aforo-token
source scripts/lib/stack.sh
AFORO_CHECK_INTERVAL_S=0 stack_up --appendonly no --slowlog-log-slower-than 1000 --slowlog-max-len 10000
o="http://127.0.0.1:$oport"
seller=$(target/release/aforo-token --sub bench-seller --role seller)
buyer=$(target/release/aforo-token --sub bench-buyer --role buyer)
today=$(date -u +%F)
year="from=$today&to=$(date -u -d '+365 days' +%F)&qty=2"
ms() { awk '{printf "%.1f", $1 * 1000}'; }
echo "# $(date -u +%F) $(nproc) cores; $n runs each; median of curl time_total (ms)"
for f in tests/documents/*.json; do
  id=$(basename "$f" .json)
  curl -sf -o /dev/null -X PUT "$o/v1/resources/$id" -H "authorization: Bearer $seller" -H 'content-type: application/json' --data-binary @"$f"
  holds=0
  for k in $(seq 1 14); do
    d=$(date -u -d "+$k days" +%F)
    for slot in $(curl -sf "$o/v1/resources/$id/availability?date=$d&qty=2" | node -e '
        let s=""; process.stdin.on("data",c=>s+=c).on("end",()=>{const a=JSON.parse(s);
        (a.slots||[]).filter(x=>x.status==="available").filter((_,i)=>i%3===0).forEach(x=>console.log(x.slot));});'); do
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$o/v1/holds" -H "authorization: Bearer $buyer" \
        -H "idempotency-key: $id-$d-$slot" -H 'content-type: application/json' \
        -d "{\"resource_id\":\"$id\",\"date\":\"$d\",\"slot\":\"$slot\",\"qty\":2}")
      [ "$code" = 201 ] && holds=$((holds + 1))
    done
  done
  redis-cli -p "$rport" CONFIG RESETSTAT >/dev/null
  redis-cli -p "$rport" SLOWLOG RESET >/dev/null
  cal=(); day=()
  for _ in $(seq 1 "$n"); do
    cal+=("$(curl -s -o /dev/null -w '%{time_total}' "$o/v1/resources/$id/calendar?$year" | ms)")
    day+=("$(curl -s -o /dev/null -w '%{time_total}' "$o/v1/resources/$id/availability?date=$(date -u -d '+3 days' +%F)&qty=2" | ms)")
  done
  med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  stats=$(redis-cli -p "$rport" INFO commandstats | tr -d '\r' | awk -F'[:,=]' '
    /^cmdstat_(fcall|hmget)/ {calls+=$3; usec+=$5} END {printf "%d calls, %.1f ms", calls, usec/1000}')
  slow=$(redis-cli -p "$rport" SLOWLOG GET 10000 | awk 'p2 ~ /^[0-9]+$/ && p1 ~ /^[0-9]+$/ && $0 ~ /^[0-9]+$/ {if ($0 > m) m = $0} {p2=p1; p1=$0} END {print m+0}')
  echo "$id: $holds holds; year calendar $(med "${cal[@]}") ms, availability $(med "${day[@]}") ms; Redis for the $n+$n reads: $stats; slowest call ${slow} us"
done
