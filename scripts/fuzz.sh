#!/usr/bin/env bash
# Runs every cargo-fuzz target for AFORO_FUZZ_SECONDS (20) on a fresh corpus seeded from
# fuzz/seeds/<target>, after replaying fuzz/regressions/<target> (inputs that once crashed).
# Needs the nightly toolchain and cargo-fuzz (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${AFORO_FUZZ_SECONDS:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in document hold_request query; do
  if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
    cargo +nightly fuzz run -O "$t" fuzz/regressions/$t/* -- -runs=0 >/dev/null 2>"$work/$t.replay" \
      || { cat "$work/$t.replay"; echo "fuzz: a regression case of $t fails again"; exit 1; }
  fi
  mkdir -p "$work/$t"
  if ! cargo +nightly fuzz run -O "$t" "$work/$t" "fuzz/seeds/$t" -- -max_total_time="$secs" 2>"$work/$t.log"; then
    tail -40 "$work/$t.log"
    echo "fuzz: $t crashed; the input is in fuzz/artifacts/$t (keep it in fuzz/regressions/$t once fixed)"
    exit 1
  fi
  echo "  $t: $(grep -o 'Done [0-9]* runs' "$work/$t.log" | tail -1) in ${secs} s, no crash"
done
