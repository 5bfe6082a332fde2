#!/usr/bin/env bash
# hookgate vs nginx proxy_pass vs HAProxy hmac(), interleaved, on 127.0.0.1. See bench/README.md.
#   bench/run.sh            full run: 3 rounds × 10 s, 1.5 KiB + 64 KiB + 1 MiB bodies (~15 min)
#   bench/run.sh --quick    smoke test: 1 round × 3 s, 1.5 KiB only (~1 min)
# Other flags are passed to bench/bench.py (--rounds N, --duration S, --sizes small,64k,1m,
# --targets A,B,C,H,H2,Hlog,Hnolog).
# Writes bench/results/<stamp>/{raw.jsonl,table.md} and copies the table to bench/results/LATEST.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
for a in "$@"; do [ "$a" = "--quick" ] && QUICK=1; done

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v haproxy >/dev/null || need+=(haproxy)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian's packages may start the system services; this benchmark runs its own instances.
fi

echo "building hookgate (dist profile)..." >&2
cargo build --profile dist --bin hookgate >&2
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/$STAMP
mkdir -p "$OUT"
# A private copy: a shared target dir may be rebuilt by someone else while we measure.
cp "$TARGET_DIR/dist/hookgate" "$OUT/hookgate"

if [ $QUICK -eq 1 ]; then N=200000; else N=600000; fi
DATA=$ROOT/bench/results/data-$N
if [ ! -s "$DATA/small_sigs.txt" ] || [ ! -s "$DATA/body_100k.json" ]; then
  echo "generating $N signed events..." >&2
  python3 bench/gen_data.py "$DATA.tmp" bench-webhook-secret-0123456789 "$N" >&2
  rm -rf "$DATA"; mv "$DATA.tmp" "$DATA"
fi

PY_PID=""
cleanup() {
  if [ -n "$PY_PID" ] && kill -0 "$PY_PID" 2>/dev/null; then
    kill -TERM "$PY_PID" 2>/dev/null || true
    wait "$PY_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

python3 bench/bench.py --hookgate "$OUT/hookgate" --data "$DATA" --n-small "$N" --out "$OUT" "$@" \
  > "$OUT/table.md.stdout" &
PY_PID=$!
wait "$PY_PID"
PY_PID=""
cat "$OUT/table.md"
cp "$OUT/table.md" bench/results/LATEST.md
echo "results: $OUT (table also in bench/results/LATEST.md)" >&2
