"""RESP commands for scripts/bench-group-lua.sh (which loads the library first): one resource at version 1,
then `rounds` calls of either `aforo_hold` (one hold a call) or `aforo_hold_group` (`n` holds
a call), every hold a new one of one unit on a stock of 10^9. Usage: MODE N ROUNDS."""
import sys


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def hold_args(i):
    items = '[{"resource_id":"x","qty":1}]'
    return ["1", "h_%08d_x" % i, "hash", "600000", "3600000", "buyer", "held", "stock\t1\t1000000000\n", "", items, "", "1000", "u",
            "body", items, "parts", ""]


mode, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
p = "af:{r:x}:"
out = [resp("HSET", p + "c", "~v", "1"), resp("HSET", p + "m", "version", "1")]
k = 0
for _ in range(rounds):
    if mode == "single":
        k += 1
        out.append(resp("FCALL", "aforo_hold", 5, p + "m", p + "c", p + "x", p + "h:h_%08d_x" % k, p + "b", *hold_args(k)))
        continue
    keys, args = [p + "m", p + "c", p + "x", p + "b"], [str(n)]
    for _ in range(n):
        k += 1
        a = hold_args(k)
        keys.append(p + "h:h_%08d_x" % k)
        args += ["1", str(len(a))] + a
    out.append(resp("FCALL", "aforo_hold_group", len(keys), *keys, *args))
sys.stdout.buffer.write(b"".join(out))
