#!/usr/bin/env bash
# The hold function's own cost in Redis: redis-benchmark calls FCALL aforo_hold_<version> on an idle
# server (each call a new hold id, so every call takes units, writes its record, its expiry
# and its availability event), then INFO commandstats gives usec_per_call.
# Usage: scripts/bench-fcall.sh [calls (50000)] [connections (4)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
n="${1:-50000}"; c="${2:-4}"
cargo build -q --release -p aforo-origin --bin aforo-origin --bin aforo-token
source scripts/lib/stack.sh
AFORO_CHECK_INTERVAL_S=0 stack_up --appendonly no
seller=$(target/release/aforo-token --secret "$AFORO_JWT_SECRET" --sub bench --role seller)
curl -sf -X PUT -H "Authorization: Bearer $seller" -H 'content-type: application/json' "http://127.0.0.1:$oport/v1/resources/x" \
  -d '{"name":"x","timezone":"UTC","dimensions":{"stock":{"on_hand":1000000000}}}' > /dev/null
kill $opid; wait $opid 2>/dev/null || true   # the origin only loaded the library and the document
redis-cli -p "$rport" CONFIG RESETSTAT > /dev/null
v=$(target/release/aforo-origin library --version)
# One hold a call, in the library's positions (store/holds.rs `key` and `arg`): keys meta,
# counters, expiry, bookings, settled, the record; n = 1, its key count, its argument count.
redis-benchmark -p "$rport" -n "$n" -c "$c" -r 100000000 -q FCALL "aforo_hold_$v" 6 'af:{r:x}:m' 'af:{r:x}:c' 'af:{r:x}:x' \
  'af:{r:x}:b' 'af:{r:x}:s' 'af:{r:x}:h:h___rand_int___x' 1 1 17 1 h___rand_int___x hash 600000 2592000000 caller held \
  $'stock\t1\t1000000000\n' '' '[{"resource_id":"x","qty":1}]' '' 86400000 u body '[{"resource_id":"x","qty":1}]' parts '' | tail -1
redis-cli -p "$rport" INFO commandstats | grep -E '^cmdstat_fcall:' | tr -d '\r'
echo "live holds: $(redis-cli -p "$rport" ZCARD 'af:{r:x}:x'), events: $(redis-cli -p "$rport" XLEN 'af:{r:x}:e')"
