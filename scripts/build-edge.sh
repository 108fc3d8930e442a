#!/usr/bin/env bash
# Builds the Worker (edge-worker/build/) with worker-build, pointing it at wasm-bindgen,
# wasm-opt and esbuild installed from the registries, so nothing is downloaded from GitHub.
# Set AFORO_EDGE_NO_OPT=1 to skip wasm-opt in development loops.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
for t in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [ -x "$t" ] || { echo "build-edge: $t is missing; run scripts/install-tools.sh" >&2; exit 1; }
done
out="$root/edge-worker/build/index_bg.wasm"
if [ -f "$out" ] && [ "${AFORO_EDGE_FORCE:-0}" != 1 ] && \
   [ -z "$(find "$root/core/src" "$root/edge-worker/src" "$root/Cargo.lock" "$root/Cargo.toml" "$root/core/Cargo.toml" "$root/edge-worker/Cargo.toml" -newer "$out" -print -quit)" ]; then
  echo "build-edge: edge-worker/build is up to date"
  exit 0
fi
cd "$root/edge-worker"
if [ "${AFORO_EDGE_NO_OPT:-0}" = 1 ]; then
  exec worker-build --release --no-opt
fi
exec worker-build --release
