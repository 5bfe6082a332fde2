#!/usr/bin/env bash
# The whole test suite: unit tests, integration tests against real servers on 127.0.0.1, and the
# deploy/ file checks. One release build is shared by all of them (benches are only compiled
# by clippy in CI; run them with `cargo bench`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --release
