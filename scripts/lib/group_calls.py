"""RESP commands for scripts/bench-group-lua.sh (which loads the libraries first): one resource
at version 1, then `rounds` calls of `aforo_hold_<version>` with `n` holds a call (1: one hold
a call), or of the reference hold (scripts/lib/reference_hold.lua), every hold a new one of one
unit on a stock of 10^9. The argument and key positions are the library's (store/holds.rs
`arg` and `key`). Usage: MODE(aforo|reference) N ROUNDS VERSION."""
import sys


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def hold_args(i):
    items = '[{"resource_id":"x","qty":1}]'
    # version, id, hash, ttl, life, caller, status, takes, choices, items, retain, retention, starts;
    # a one-resource hold's items travel once, as its body (as the origin sends them).
    return ["1", "h_%08d_x" % i, "hash", "600000", "3600000", "buyer", "held", "stock\t1\t1000000000\n", "", "", "", "1000", "u",
            "body", items, "parts", ""]


mode, n, rounds, version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
p = "af:{r:x}:"
out = [resp("HSET", p + "c", "~v", "1"), resp("HSET", p + "m", "version", "1")]
k = 0
for _ in range(rounds):
    if mode == "reference":
        k += 1
        out.append(resp("FCALL", "reference_hold", 3, p + "c", p + "x", p + "h:h_%08d_x" % k, "h_%08d_x" % k, 1, 1000000000, 600000))
        continue
    keys, args = [p + "m", p + "c", p + "x", p + "b", p + "s"], [str(n)]
    for _ in range(n):
        k += 1
        a = hold_args(k)
        keys.append(p + "h:h_%08d_x" % k)
        args += ["1", str(len(a))] + a
    out.append(resp("FCALL", "aforo_hold_" + version, len(keys), *keys, *args))
sys.stdout.buffer.write(b"".join(out))
