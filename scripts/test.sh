#!/usr/bin/env bash
# The one test command (README and .ci/run call it): makes sure the tools the tests need are
# present, then runs formatting, lints and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

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

echo "== cargo test"
cargo test --workspace --all-features

echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

echo "== cargo bench --no-run (benches compile; they are run by hand, see README)"
cargo bench --workspace --no-run

echo "== all checks passed"
