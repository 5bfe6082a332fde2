#!/usr/bin/env bash
# Runs hookgate on the example gateway.toml with a demo upstream, sends one signed Stripe event
# (forwarded) and one forged (401), then keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --bin hookgate --example demo_upstream
bin=target/release/hookgate

# Demo secrets; in production they come from your secret store.
export STRIPE_WEBHOOK_SECRET=whsec_demo_secret_for_hookgate
export GITHUB_WEBHOOK_SECRET=demo-github-secret
export AZOTTE_WEBHOOK_SECRET=demo-azotte-secret

target/release/examples/demo_upstream 127.0.0.1:3000 &
upstream=$!
# --audit-buffer 0: each audit line shows as its request is answered (a server keeps the 32 KiB default).
"$bin" run -c gateway.toml --log-format text --audit-buffer 0 &
gateway=$!
trap 'kill $gateway $upstream 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

for _ in $(seq 100); do
  curl -s -o /dev/null http://127.0.0.1:9090/readyz && break
  sleep 0.1
done
"$bin" check -c gateway.toml

echo
echo "== 1. a correctly signed Stripe event (headers from: hookgate sign) =="
cmd=$("$bin" sign -c gateway.toml --route stripe --body examples/stripe_event.json \
  --curl http://127.0.0.1:8080/webhooks/stripe)
echo "$cmd"
eval "$cmd -i"
echo
echo
echo "== 2. the same event again: a duplicate, not forwarded =="
eval "$cmd -i"
echo
echo
echo "== 3. a forged event (wrong signature) =="
curl -sS -i -X POST http://127.0.0.1:8080/webhooks/stripe \
  -H "Stripe-Signature: t=$(date +%s),v1=$(printf '0%.0s' $(seq 64))" \
  --data-binary @examples/stripe_event.json
echo
echo
echo "metrics: curl http://127.0.0.1:9090/metrics | grep hookgate_"
echo "hookgate is serving on :8080 (demo upstream on :3000). Ctrl-C to stop."
wait $gateway
