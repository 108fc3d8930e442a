#!/usr/bin/env bash
# What a waiting list costs a hold and a release, in Redis time (INFO commandstats, FCALL
# usec per call), in one run: a resource without a list beside one whose sold-out date has
# ENTRIES parties waiting (each a party of 2, so that the one cover a release frees fits none
# of them and every release looks at all of them: the worst case of a release).
#   plain     holds and releases on a date with room; no list anywhere
#   far       the same, the list three days away (a release's counters are not near its date)
#   listed    a hold of the one free cover of the sold-out date, then its release: the release
#             decides every waiting entry again (all of them name the freed counter)
# The Lua runs in Redis: the origin's build does not change these figures (ORIGIN_BIN picks
# one; the debug build by default).
# Usage: scripts/bench-waitlist.sh [calls (300)] [entries (200)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
n="${1:-300}"; entries="${2:-200}"
export ORIGIN_BIN="${ORIGIN_BIN:-target/debug/aforo-origin}"
tokbin="$(dirname "$ORIGIN_BIN")/aforo-token"
source scripts/lib/stack.sh
AFORO_CHECK_INTERVAL_S=0 stack_up --appendonly no
seller=$("$tokbin" --secret "$AFORO_JWT_SECRET" --sub bench --role seller)
export rport oport seller tokbin n entries
python3 - <<'PY'
import json, os, subprocess, urllib.request, datetime
port, n, entries = os.environ["oport"], int(os.environ["n"]), int(os.environ["entries"])
rport, seller = os.environ["rport"], os.environ["seller"]
tok_cache = {}
def tok(sub):
    if sub not in tok_cache:
        tok_cache[sub] = subprocess.check_output([os.environ["tokbin"], "--secret", os.environ["AFORO_JWT_SECRET"], "--sub", sub, "--role", "buyer"]).decode().strip()
    return tok_cache[sub]
def call(method, path, token, body=None, key=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("authorization", "Bearer " + token); req.add_header("content-type", "application/json")
    if key: req.add_header("idempotency-key", key)
    try:
        with urllib.request.urlopen(req) as r: return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or b"{}")
def redis(*a): return subprocess.check_output(["redis-cli", "-p", rport, *a]).decode()
def fcall_us():
    for line in redis("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_fcall:"):
            f = dict(kv.split("=") for kv in line.split(":", 1)[1].split(","))
            return float(f["usec"]), int(f["calls"])
    return 0.0, 0
day = lambda k: (datetime.date.today() + datetime.timedelta(days=k)).isoformat()
hours = {d: [["20:00", "23:00"]] for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
def doc(cap): return {"name": "b", "timezone": "UTC", "hours": hours, "per_buyer": {"max_held_units": 1000000},
                      "dimensions": {"slots": {"duration_min": 120, "interval_min": 240, "capacity": cap}}}
def measure(label, fn):
    redis("CONFIG", "RESETSTAT"); fn(); us, calls = fcall_us()
    print(f"{label:<58} {us / max(calls, 1):8.1f} µs per FCALL ({calls} calls)")
    return us / max(calls, 1)
def holds_then_releases(r, d, tag):
    ids = []
    def h():
        for i in range(n):
            s, b = call("POST", "/v1/holds", tok("b"), {"resource_id": r, "date": d, "slot": "20:00", "qty": 1}, f"{tag}{i}")
            assert s == 201, b; ids.append(b["id"])
    def rel():
        for i in ids: assert call("POST", f"/v1/holds/{i}/release", tok("b"))[0] == 200
    return h, rel
CAP = int(os.environ.get("CAP", "1000"))
for r in ["plain", "far", "listed"]:
    assert call("PUT", f"/v1/resources/{r}", seller, doc(CAP))[0] == 201
def hold(r, d, qty, key, who="fill"):
    s, b = call("POST", "/v1/holds", tok(who), {"resource_id": r, "date": d, "slot": "20:00", "qty": qty}, key)
    assert s == 201, b
    return b["id"]
# The lists: 'far' three days from where its holds go; 'listed' on the date it sells out
# but for one cover.
hold("far", day(5), CAP, "fill-far")
hold("listed", day(2), CAP - 1, "fill-listed")
last = hold("listed", day(2), 1, "fill-last")
for r, d in [("far", day(5)), ("listed", day(2))]:
    for i in range(entries):
        s, b = call("POST", "/v1/waitlist", tok(f"w{i}"), {"resource_id": r, "date": d, "qty": 2}, "j")
        assert s == 201, b
assert call("POST", f"/v1/holds/{last}/release", tok("fill"))[0] == 200
print(f"{entries} parties of 2 waiting on 'far' ({day(5)}) and 'listed' ({day(2)}); {n} calls each")
res = {}
for r in ["plain", "far"]:
    h, rel = holds_then_releases(r, day(2), r)
    res[r + " hold"] = measure(f"{r}: a hold of 1 on {day(2)}", h)
    res[r + " release"] = measure(f"{r}: its release", rel)
# 'listed' has one cover free (a party of 2 fits nowhere): a hold takes it, its release gives
# it back and decides every entry again. They alternate, so both are in the figure; a hold is
# what 'plain' measured (no counter fell, no entry is looked at).
def pairs():
    for i in range(n):
        s, b = call("POST", "/v1/holds", tok("b"), {"resource_id": "listed", "date": day(2), "slot": "20:00", "qty": 1}, f"P{i}")
        assert s == 201, b
        assert call("POST", f"/v1/holds/{b['id']}/release", tok("b"))[0] == 200
res["listed pair"] = measure("listed: a hold of the one free cover, then its release", pairs)
waiting = call("GET", f"/v1/resources/listed/waitlist?date={day(2)}", seller)[1]["waiting"]
print(f"listed: still {waiting} waiting (the freed cover fits none)")
print(f"a release with {entries} entries to decide: {2 * res['listed pair'] - res['plain hold']:.1f} µs "
      f"(plain {res['plain release']:.1f} µs); a hold: plain {res['plain hold']:.1f}, list elsewhere {res['far hold']:.1f} µs; "
      f"a release, list three days away: {res['far release']:.1f} µs")
PY
