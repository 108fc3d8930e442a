#!/usr/bin/env bash
# Installs what Aforo needs on a Debian machine, each tool only when missing or at another
# version, all from the package registries (Debian, crates.io, npm, PyPI).
#
#   scripts/install-tools.sh --run   what running the stack needs (./dev calls this):
#     redis-server + redis-cli, curl, the wasm32 target, wasm-bindgen-cli at exactly the
#     wasm-bindgen of Cargo.lock, worker-build at the worker crate's version, and the npm tools
#     of package-lock.json (wrangler, binaryen's wasm-opt, esbuild, playwright-core).
#   scripts/install-tools.sh         all of that and what the tests need (.ci/run calls this):
#     promtool (Debian's prometheus), amtool (prometheus-alertmanager), chromium (browser
#     tests), clippy and rustfmt, the nightly toolchain with cargo-fuzz, schemathesis in
#     .tools/venv.
# AFORO_NO_BROWSER=1 skips chromium.
set -euo pipefail
full=1
case "${1:-}" in
  --run) full=0 ;;
  "") ;;
  *) echo "usage: scripts/install-tools.sh [--run]" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

lock_version() { awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock; }

apt_need=()
command -v redis-server >/dev/null || apt_need+=(redis-server)
command -v redis-cli >/dev/null || apt_need+=(redis-tools)
command -v curl >/dev/null || apt_need+=(curl)
if [ "$full" = 1 ]; then
  # The test harness signals process groups with kill(1) from procps, not the shell builtin.
  [ -x /usr/bin/kill ] || [ -x /bin/kill ] || apt_need+=(procps)
  # promtool checks ops/alerts.yml.
  command -v promtool >/dev/null || apt_need+=(prometheus)
  # amtool checks ops/alertmanager.yml (Debian's prometheus-alertmanager; its service is not used).
  command -v amtool >/dev/null || apt_need+=(prometheus-alertmanager)
  # schemathesis (PyPI) runs in a virtualenv.
  python3 -m venv --help >/dev/null 2>&1 || apt_need+=(python3 python3-venv)
  if [ "${AFORO_NO_BROWSER:-0}" != 1 ]; then
    command -v chromium >/dev/null || apt_need+=(chromium)
  fi
fi
if [ ${#apt_need[@]} -gt 0 ]; then
  echo "install-tools: apt-get install ${apt_need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_need[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if [ "$full" = 1 ]; then
  rustup component list --installed | grep -q '^clippy' || rustup component add clippy
  rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
fi

want_bindgen="$(lock_version wasm-bindgen)"
have_bindgen="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_bindgen" != "$want_bindgen" ]; then
  echo "install-tools: cargo install wasm-bindgen-cli $want_bindgen (about 10 minutes on 2 cores)"
  # Not --locked: its lock names a webpki-roots the registry mirror lacks.
  cargo install -q wasm-bindgen-cli --version "$want_bindgen"
fi
want_worker="$(lock_version worker)"
have_worker="$(worker-build --version 2>/dev/null | awk '{print $NF}' || true)"
if [ "$have_worker" != "$want_worker" ]; then
  echo "install-tools: cargo install worker-build $want_worker (about 10 minutes on 2 cores)"
  cargo install -q worker-build --version "$want_worker"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-tools: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "$full" = 0 ]; then
  echo "install-tools: ready to run (scripts/install-tools.sh without --run adds the test tools)"
  exit 0
fi

# Fuzzing: cargo-fuzz on the nightly toolchain.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
want_fuzz="0.13.1"
have_fuzz="$(cargo fuzz --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_fuzz" != "$want_fuzz" ]; then
  echo "install-tools: cargo install cargo-fuzz $want_fuzz"
  cargo install -q cargo-fuzz --version "$want_fuzz" --locked
fi

# schemathesis, pinned, in .tools/venv (not on the system's Python).
want_st="4.32.5"
if [ "$(.tools/venv/bin/st --version 2>/dev/null | awk '{print $NF}')" != "$want_st" ]; then
  echo "install-tools: pip install schemathesis==$want_st into .tools/venv"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install -q --disable-pip-version-check "schemathesis==$want_st"
fi
echo "install-tools: ready"
