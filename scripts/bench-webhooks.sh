#!/usr/bin/env bash
# What webhook delivery costs holds: hold-spread (64 clients) on one origin, alternately with
# no webhook endpoint and with one ops endpoint hearing every resource's hold.created and
# availability.changed (a node receiver on loopback answering 204). A fresh Redis per run.
# Usage: scripts/bench-webhooks.sh [seconds (8)] [rounds (2)] — ORIGIN_BIN and LOAD_BIN pick
# the binaries (default: release; target/debug/… on a machine where release is not built).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-8}"; rounds="${2:-2}"
origin_bin="${ORIGIN_BIN:-target/release/aforo-origin}"; load_bin="${LOAD_BIN:-target/release/aforo-load}"
token_bin="${TOKEN_BIN:-$(dirname "$origin_bin")/aforo-token}"
source scripts/lib/stack.sh
rcv_port=$(free_port)
node -e 'require("http").createServer((q, s) => { q.resume(); q.on("end", () => { s.statusCode = 204; s.end(); }); }).listen(+process.argv[1], "127.0.0.1")' "$rcv_port" &
rcv=$!
trap 'kill $rcv 2>/dev/null' EXIT
echo "# $(date -u +%F) $(nproc) cores, hold-spread, 64 clients, ${secs}s per run, $(basename "$(dirname "$origin_bin")") build"
for round in $(seq "$rounds"); do
  for hooks in 0 1; do
    ( export AFORO_WEBHOOK_ALLOW_PRIVATE=1
      ORIGIN_BIN="$origin_bin" stack_up --appendonly no
      if [ "$hooks" = 1 ]; then
        ops=$("$token_bin" --sub bench-ops --role ops --secret "$AFORO_JWT_SECRET")
        curl -sf -X POST "http://127.0.0.1:$oport/v1/webhooks" -H "authorization: Bearer $ops" -H 'content-type: application/json' \
          -d "{\"url\":\"http://127.0.0.1:$rcv_port/hook\",\"events\":[\"hold.created\",\"availability.changed\"]}" > /dev/null
      fi
      "$load_bin" --origin "http://127.0.0.1:$oport" --scenario hold-spread --clients 64 --seconds "$secs" \
        --prefix "w$round$hooks" --json | node -e '
        let s = ""; process.stdin.on("data", d => s += d).on("end", () => { const h = JSON.parse(s).http.ops.hold;
          console.log(`${process.argv[1]}: ${h.per_s} holds/s, p50 ${h.p50_ms} ms, p99 ${h.p99_ms} ms`); });' \
        "$([ "$hooks" = 1 ] && echo "with a webhook endpoint" || echo "no webhook endpoint")"
      if [ "$hooks" = 1 ]; then
        redis-cli -p "$rport" --no-raw eval "local n=0 for _,k in ipairs(redis.call('KEYS','af:wh:{wh:*}:h')) do n=n+tonumber(redis.call('HGET',k,'delivered') or 0) end return n" 0 \
          | sed 's/^/  events delivered by the end of the run: /'
      fi )
  done
done
