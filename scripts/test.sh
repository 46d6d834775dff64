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

# promtool (and prometheus) come from Debian's `prometheus` package. Tests that need them fail
# under CI when they are missing and say why they skip locally.
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian package prometheus (brings promtool)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else
    echo "== promtool missing and cannot install it (not root or no apt-get); tests that need it will skip or fail under CI"
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
