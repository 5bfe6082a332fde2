#!/usr/bin/env bash
# Installs what building and testing hookgate needs on Debian/Ubuntu: cmake (pingora's zlib-ng),
# a C compiler, redis-server (the shared-state tests start their own; HOOKGATE_REDIS_SERVER
# may name another binary, e.g. valkey-server) and promtool (the alert-rule unit tests; Debian's
# `prometheus` package ships it). Safe to run again.
set -euo pipefail
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -n "${HOOKGATE_REDIS_SERVER:-}" ] || command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install a Rust toolchain (https://rustup.rs)"; exit 1; }
