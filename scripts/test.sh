#!/usr/bin/env bash
# Every check the project has, in the order a failure is cheapest to see.
# Usage: scripts/test.sh      (needs: cargo, the wasm32 target, redis-server on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --exclude aforo-edge --all-targets -- -D warnings

step "wasm32 build of the core"
cargo build -p aforo-core --target wasm32-unknown-unknown --release

step "tests"
cargo test --workspace --exclude aforo-edge

echo
echo "all checks passed"
