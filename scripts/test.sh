#!/usr/bin/env bash
# The whole test suite, on a fresh Debian/Ubuntu machine with a Rust toolchain:
#   1. scripts/setup.sh installs what the build and the tests need (cmake, a C compiler,
#      redis-server, promtool);
#   2. deploy/validate.sh --install checks the deploy/ files (compose, Kubernetes, Prometheus rules
#      with promtool unit tests, Grafana dashboard, `hookgate check` on every config), installing
#      its linters first;
#   3. cargo test --release: unit tests, property tests and integration tests against real servers
#      on 127.0.0.1 (the gateway, upstreams, redis-server, HTTPS key servers).
# Under CI=true a missing tool or service is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Build the test targets first: that builds the release binary (with the feature set the tests
# unify, so nothing is compiled twice) for validate.sh's `hookgate check`.
cargo test --release --no-run
export HOOKGATE_BIN="$PWD/target/release/hookgate"
if [ "${CI:-}" = "true" ]; then
  HOOKGATE_BIN="$HOOKGATE_BIN" deploy/validate.sh --install --require-tools
else
  HOOKGATE_BIN="$HOOKGATE_BIN" deploy/validate.sh --install
fi
cargo test --release
