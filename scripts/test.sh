#!/usr/bin/env bash
# The one test command (README and .ci/run call it): makes sure the tools the tests need are
# present, then runs formatting, lints and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep the build small and fast on a CI disk: no incremental caches (a clean clone never reuses
# them) and line tables only instead of full debug info (every test binary links the whole
# dependency tree; full debug info made the target directory grow past 40 GB and a CI run ran
# out of disk). Backtraces still show files and lines.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"
export CARGO_PROFILE_TEST_DEBUG="${CARGO_PROFILE_TEST_DEBUG:-line-tables-only}"

# Tools the tests take from Debian. Tests that need them fail under CI when they are missing
# and say why they skip locally.
# - promtool (and prometheus) come from the `prometheus` package.
# - The strict OpenMetrics parser that judges every OpenMetrics body flowmeter serves is the
#   Prometheus project's Python one (a well-kept parser, not one written beside the encoder),
#   from `python3-prometheus-client`, which brings python3. Debian installs it for
#   /usr/bin/python3 alone, so that interpreter is asked first, as testkit/src/openmetrics.rs
#   does: a python3 earlier on PATH (pyenv, a virtualenv) does not see it.
# What is missing is installed by one apt-get install, after at most one apt-get update.
missing=()
if ! command -v promtool >/dev/null 2>&1; then
  missing+=(prometheus)
fi
has_prometheus_client() {
  local python
  for python in /usr/bin/python3 python3; do
    if "$python" -c 'import prometheus_client.openmetrics.parser' >/dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}
if ! has_prometheus_client; then
  missing+=(python3-prometheus-client)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "== missing Debian packages ${missing[*]} and cannot install them (not root or no apt-get); tests that need them will skip or fail under CI"
  fi
fi

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "== cargo test (all features)"
cargo test --workspace --all-features

# Default features too: optional code (otlp, tls, axum, ...) must not be what makes a test or
# an example compile or pass.
echo "== cargo test (default features)"
cargo test --workspace

echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

echo "== cargo bench --no-run (benches compile; they are run by hand, see README)"
cargo bench --workspace --no-run --features flowmeter-bench/otlp

echo "== all checks passed"
