#!/usr/bin/env bash
# Every check the project has, in the order a failure is cheapest to see.
# Usage: scripts/test.sh   (tools: scripts/install-tools.sh installs every one of them)
# docs/testing.md says what each step covers.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
# AFORO_FAST=1 makes `cargo test` leave out the tests that need workerd, Chromium, a built
# console or schemathesis (docs/testing.md); this script runs every test, so it refuses it.
[ -z "${AFORO_FAST:-}" ] || { echo "scripts/test.sh runs every test: unset AFORO_FAST" >&2; exit 1; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --exclude aforo-edge --all-targets -- -D warnings
cargo clippy -p aforo-edge --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p aforo-console-wasm --target wasm32-unknown-unknown -- -D warnings

step "alert rules (promtool check and unit tests), their routing (amtool) and the Grafana dashboard (JSON)"
promtool check rules ops/alerts.yml
promtool test rules ops/alerts.test.yml
amtool check-config ops/alertmanager.yml
for want in P0:pager P1:oncall P2:ticket; do
  got="$(amtool config routes test --config.file=ops/alertmanager.yml "severity=${want%%:*}" 2>/dev/null)"
  [ "$got" = "${want#*:}" ] || { echo "alertmanager routes severity=${want%%:*} to '$got', not ${want#*:}"; exit 1; }
done
echo "  P0 -> pager, P1 -> oncall, P2 -> ticket"
node -e 'JSON.parse(require("fs").readFileSync("ops/grafana/aforo.json", "utf8"))' && echo "  ops/grafana/aforo.json: valid JSON"

step "wasm32 build of the core"
cargo build -p aforo-core --target wasm32-unknown-unknown --release

step "the one-command stack from cold (./dev --smoke with no Worker built)"
# A newcomer's first ./dev finds no Worker build: ./dev must build it before `wrangler dev`
# starts, which gives a build far less time than a cold one takes. Run first, so the steps
# below reuse what it built.
rm -rf edge-worker/build
./dev --smoke

step "the Worker (worker-build, wasm-opt)"
bash scripts/build-edge.sh
ls -l edge-worker/build/index_bg.wasm | awk '{print "  wasm: " $5 " bytes"}'
echo "  gzipped: $(gzip -9c edge-worker/build/index_bg.wasm | wc -c) bytes"

step "the console's assets (aforo-core to wasm with wasm-bindgen, esbuild; embedded by the origin)"
bash scripts/build-console.sh

step "tests (core, origin against real Redis, edge in workerd, buyer page and console in Chromium)"
cargo test --workspace --exclude aforo-edge

step "fuzzing: ${AFORO_FUZZ_SECONDS:-20} s per target (document, hold_request, query) and the regression cases"
# Seeds in fuzz/seeds, crashes found once kept in fuzz/regressions (replayed every run).
# Longer runs by hand: AFORO_FUZZ_SECONDS=600 scripts/fuzz.sh
bash scripts/fuzz.sh

echo
echo "all checks passed"
