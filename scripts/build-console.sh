#!/usr/bin/env bash
# Builds the console's assets into console/dist/, which the origin embeds (origin/build.rs):
#   1. console-wasm (aforo-core's validation and preview) for wasm32, release;
#   2. wasm-bindgen --target web (the CLI pinned to Cargo.lock's wasm-bindgen) into console/pkg/;
#   3. wasm-opt -Oz from node_modules (skip with AFORO_CONSOLE_NO_OPT=1);
#   4. esbuild bundles console/src/main.js (and the bindgen glue) into console/dist/console.js.
# Offline: every tool comes from scripts/install-tools.sh; nothing is downloaded here.
# Skips the work when console/dist is newer than every input (AFORO_CONSOLE_FORCE=1 rebuilds).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
bindgen="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}"
wasm_opt="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
esbuild="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
for t in "$bindgen" "$esbuild"; do
  [ -x "$t" ] || { echo "build-console: $t is missing; run scripts/install-tools.sh" >&2; exit 1; }
done
dist="$root/console/dist"
out="$dist/console_core_bg.wasm"
if [ -f "$out" ] && [ -f "$dist/console.js" ] && [ "${AFORO_CONSOLE_FORCE:-0}" != 1 ] && \
   [ -z "$(find core/src console-wasm console/src Cargo.lock Cargo.toml core/Cargo.toml -newer "$out" -print -quit)" ]; then
  echo "build-console: console/dist is up to date"
  exit 0
fi
cargo build -q -p aforo-console-wasm --target wasm32-unknown-unknown --release
mkdir -p "$dist" console/pkg
"$bindgen" --target web --no-typescript --out-dir console/pkg --out-name console_core \
  target/wasm32-unknown-unknown/release/aforo_console_wasm.wasm
if [ "${AFORO_CONSOLE_NO_OPT:-0}" != 1 ] && [ -x "$wasm_opt" ]; then
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    console/pkg/console_core_bg.wasm -o "$out.tmp"
else
  cp console/pkg/console_core_bg.wasm "$out.tmp"
fi
"$esbuild" console/src/main.js --bundle --format=esm --target=es2022 --log-level=warning --outfile="$dist/console.js.tmp"
mv "$dist/console.js.tmp" "$dist/console.js"
mv "$out.tmp" "$out"
echo "build-console: console/dist: console.js $(wc -c < "$dist/console.js") bytes, wasm $(wc -c < "$out") bytes ($(gzip -9c "$out" | wc -c) gzipped)"
