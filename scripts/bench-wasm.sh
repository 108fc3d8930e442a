#!/usr/bin/env bash
# The 31-day calendar (and a busy day, and a snapshot decode) timed in wasm under node and
# natively, on the same fixture as `cargo bench -p aforo-core`. Prints both and the ratio.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build -q --release -p aforo-wasm-bench --target wasm32-unknown-unknown --lib
cargo build -q --release -p aforo-wasm-bench --bin aforo-wasm-bench-native
out="$root/target/wasm-bench"
wasm-bindgen --target nodejs --out-dir "$out" target/wasm32-unknown-unknown/release/aforo_wasm_bench.wasm
node_modules/.bin/wasm-opt -O3 "$out/aforo_wasm_bench_bg.wasm" -o "$out/aforo_wasm_bench_bg.wasm"
echo "native:"; target/release/aforo-wasm-bench-native | tee "$out/native.jsonl"
echo "wasm (node $(node --version)):"; node tests/wasm-bench/run.mjs "$out/aforo_wasm_bench.js" | tee "$out/wasm.jsonl"
node -e '
const fs = require("fs");
const read = (f) => Object.fromEntries(fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((x) => [x.op, x.ms_per_call]));
const n = read(process.argv[1]), w = read(process.argv[2]);
for (const op of Object.keys(n)) console.log(`${op}: wasm/native = ${(w[op] / n[op]).toFixed(2)}`);
' "$out/native.jsonl" "$out/wasm.jsonl"
