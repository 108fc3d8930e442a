# Sourced by the benchmark scripts: a throwaway redis-server and the release origin on free
# loopback ports, both stopped (and Redis's folder removed) when the script exits.
#   stack_up [redis-server args...]   sets rport, oport, dir, rpid, opid; exports
#                                     AFORO_JWT_SECRET (bench-secret-… unless already set).
# Extra origin settings come from the environment (AFORO_*), e.g. AFORO_CHECK_INTERVAL_S=0;
# ORIGIN_BIN runs another origin binary (scripts/bench-compare.sh).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

stack_up() {
  rport=$(free_port); oport=$(free_port); dir=$(mktemp -d); opid=""
  redis-server --bind 127.0.0.1 --port "$rport" --dir "$dir" --save '' "$@" --daemonize no > "$dir/redis.log" 2>&1 &
  rpid=$!
  export AFORO_JWT_SECRET="${AFORO_JWT_SECRET:-bench-secret-0123456789abcdef}"
  # A load generator is one address by design: the anonymous limit (docs/shares.md) would
  # measure itself, not the engine. Releases before it ignore the setting.
  export AFORO_ANON_RATE_LIMIT_RPS="${AFORO_ANON_RATE_LIMIT_RPS:-0}"
  trap 'kill $opid $rpid 2>/dev/null; rm -rf "$dir"' EXIT
  until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
  AFORO_LISTEN="127.0.0.1:$oport" AFORO_REDIS_URL="redis://127.0.0.1:$rport" AFORO_LOG=warn "${ORIGIN_BIN:-target/release/aforo-origin}" > "$dir/origin.log" 2>&1 &
  opid=$!
  until curl -sf "http://127.0.0.1:$oport/readyz" >/dev/null; do sleep 0.1; done
}
