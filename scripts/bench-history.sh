#!/usr/bin/env bash
# A busy restaurant after a year of bookings, before and after compaction (docs/retention.md).
# One Redis (AOF off) and the release origin on loopback. $1 bookings a day (20) over the
# next 365 days, written through the API (hold, then 5 in 6 consumed, 1 in 6 released); then
# Redis memory of the resource's keys and the drift check's time in Redis. Then the origin is
# restarted with compaction's clock a year on (AFORO_TEST_COMPACT_OFFSET_D=366) and the same
# figures are taken once a round is over. Hold records are kept by their own TTL (in real
# time), so they are shown apart: compaction never deletes one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
per_day="${1:-20}"
cargo build -q --release -p aforo-origin --bin aforo-origin --bin aforo-token
source scripts/lib/stack.sh
AFORO_CHECK_INTERVAL_S=0 AFORO_COMPACT_INTERVAL_MS=0 stack_up --appendonly no
tok() { target/release/aforo-token --sub "$1" --role "$2" --ttl-s 7200; }
seller=$(tok seller-1 seller); buyer=$(tok buyer-1 buyer); ops=$(tok ops-1 ops)
base="http://127.0.0.1:$oport"
doc='{"name":"Bistro","timezone":"Europe/Madrid","horizon_days":370,"hold_ttl_s":600,
      "dimensions":{"slots":{"duration_min":90,"interval_min":15,"capacity":40,"concurrent":120,
                             "pacing":{"window_min":15,"max":30}}},"qty":{"min":1,"max":8}}'
curl -sf -X PUT "$base/v1/resources/bistro" -H "authorization: Bearer $seller" -H 'content-type: application/json' -d "$doc" >/dev/null \
  || { echo "the document was refused"; curl -s -X PUT "$base/v1/resources/bistro" -H "authorization: Bearer $seller" -d "$doc"; exit 1; }

echo "# $(date -u +%F) $(nproc) cores, $per_day bookings a day over 365 days"
t0=$(date +%s)
python3 - "$base" "$buyer" "$per_day" <<'EOF'
import datetime, json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, buyer, per_day = sys.argv[1], sys.argv[2], int(sys.argv[3])
today = datetime.date.today()
slots = [f"{h:02d}:{m:02d}" for h in (13, 14, 20, 21, 22) for m in (0, 15, 30, 45)]
def call(method, path, key=None, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("authorization", "Bearer " + buyer)
    req.add_header("content-type", "application/json")
    if key: req.add_header("idempotency-key", key)
    try:
        with urllib.request.urlopen(req, timeout=30) as r: return r.status, json.load(r)
    except urllib.error.HTTPError as e: return e.code, json.load(e)
def one(i):
    d, k = 1 + i // per_day, i % per_day
    body = {"resource_id": "bistro", "date": str(today + datetime.timedelta(days=d)), "slot": slots[(k * 7) % len(slots)], "qty": 1 + k % 6}
    s, h = call("POST", "/v1/holds", f"y{i}", body)
    if s != 201: return "refused"
    if i % 6 == 5: call("POST", f"/v1/holds/{h['id']}/release"); return "released"
    call("POST", f"/v1/holds/{h['id']}/consume"); return "consumed"
with ThreadPoolExecutor(16) as ex: out = list(ex.map(one, range(365 * per_day)))
print("bookings:", {k: out.count(k) for k in sorted(set(out))})
EOF
echo "written in $(( $(date +%s) - t0 )) s"

figures() { # label
  python3 - "$rport" "$1" <<'EOF'
import subprocess, sys
port, label = sys.argv[1], sys.argv[2]
cli = lambda *a: subprocess.run(["redis-cli", "-p", port, *a], capture_output=True, text=True).stdout.strip()
keys = [k for k in cli("--scan", "--pattern", "af:{r:bistro}:*").splitlines() if k]
groups = {}
for k in keys:
    kind = k.split("}:")[1].split(":")[0]
    kind = {"h": "hold records (h:*)", "j": "date sets (j:*)"}.get(kind, kind)
    n, b = groups.get(kind, (0, 0))
    groups[kind] = (n + 1, b + int(cli("MEMORY", "USAGE", k, "SAMPLES", "0") or 0))
fields = {"c": cli("HLEN", "af:{r:bistro}:c"), "s": cli("HLEN", "af:{r:bistro}:s"), "b": cli("ZCARD", "af:{r:bistro}:b"), "e": cli("XLEN", "af:{r:bistro}:e")}
used = [l for l in cli("INFO", "memory").splitlines() if l.startswith("used_memory:")][0].split(":")[1]
print(f"## {label}: used_memory {int(used)/1e6:.1f} MB")
for kind, (n, b) in sorted(groups.items()):
    print(f"  {kind:<24} {n:>6} keys {b/1e6:8.2f} MB")
print("  entries: counters", fields["c"], "settled", fields["s"], "bookings index", fields["b"], "events", fields["e"])
EOF
  redis-cli -p "$rport" CONFIG RESETSTAT >/dev/null
  local t=$(date +%s%N)
  curl -sf -X POST "$base/v1/monitoring/check" -H "authorization: Bearer $ops" -d '{"resource_id":"bistro"}' > "$dir/check.json"
  local ms=$(( ($(date +%s%N) - t) / 1000000 ))
  local us=$(redis-cli -p "$rport" INFO commandstats | grep '^cmdstat_fcall:' | sed 's/.*usec=\([0-9]*\).*/\1/')
  echo "  drift check: ${us} µs in Redis (aforo_check, one call), ${ms} ms over HTTP; findings $(node -e 'console.log(JSON.stringify(require(process.argv[1]).findings))' "$dir/check.json")"
}
figures "after a year of bookings, before compaction"

kill "$opid"; wait "$opid" 2>/dev/null || true
AFORO_CHECK_INTERVAL_S=0 AFORO_COMPACT_INTERVAL_MS=1000 AFORO_TEST_COMPACT_OFFSET_D=366 AFORO_LISTEN="127.0.0.1:$oport" \
  AFORO_REDIS_URL="redis://127.0.0.1:$rport" AFORO_LOG=warn target/release/aforo-origin > "$dir/origin.log" 2>&1 &
opid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.1; done
t0=$(date +%s%N)
until [ -n "$(redis-cli -p "$rport" HGET 'af:{r:bistro}:z' round_at)" ]; do sleep 0.2; done
echo "compaction round (a year on) over in $(( ($(date +%s%N) - t0) / 1000000 )) ms, 4 steps of <= 1000 fields per 250 ms sweeper tick"
figures "a year on, after compaction (the last 30 days + retention kept)"
