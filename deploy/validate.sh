#!/usr/bin/env bash
# Validate everything under deploy/ without a container engine.
#
#   deploy/validate.sh                 # use the tools that are installed, skip the others
#   deploy/validate.sh --install       # first apt-get/pip install the tools (Debian/Ubuntu, root)
#   deploy/validate.sh --require-tools # a missing tool is a failure, not a skip (for CI)
#
# HOOKGATE_BIN=/path/to/hookgate also runs `hookgate check` on every
# gateway.toml here (both ConfigMaps' included), with dummy secrets in the env;
# scripts/test.sh sets it. Without it the check is skipped (a FAIL with --require-tools).
#
# Checks, each printed as PASS/FAIL/SKIP:
#   * every *.yml/*.yaml parses (PyYAML), every *.json parses; yamllint (relaxed)
#   * every gateway.toml (deploy/, compose/, the Kubernetes ConfigMap) parses as TOML
#   * promtool check rules / check config / test rules (alerts_test.yml)
#   * every PromQL query of the Grafana dashboard parses (promtool, as recording rules)
#   * kubernetes-validate --strict on deploy/kubernetes/*.yaml
#   * docker compose config (v2 plugin, or docker-compose v1) — no engine needed
# Exit status: 0 if nothing failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
install=0
require=0
for arg in "$@"; do
  case "$arg" in
    --install) install=1 ;;
    --require-tools) require=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "validate.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [[ $install -eq 1 ]]; then
  echo "== installing tools"
  sudo_=""
  [[ $(id -u) -ne 0 ]] && sudo_="sudo"
  $sudo_ apt-get update -qq
  # prometheus ships promtool; docker-compose (v1) can render/validate a compose file offline.
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends \
    prometheus python3-yaml yamllint docker-compose >/dev/null \
    || { echo "FAIL: apt-get install" >&2; exit 1; }
  # The Debian prometheus package may start a server through its init script
  # where one runs; validation needs only promtool.
  python3 -m pip install --quiet kubernetes-validate 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages kubernetes-validate \
    || echo "note: could not pip install kubernetes-validate; that check will be skipped"
fi

passed=0; failed=0; skipped=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
skip() {
  if [[ $require -eq 1 ]]; then fail "$* (tool missing and --require-tools given)";
  else echo "SKIP: $*"; skipped=$((skipped + 1)); fi
}
# run NAME CMD...: run, show the output only on failure
run() {
  local name="$1"; shift
  if "$@" >"$tmp/out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$tmp/out" >&2; fi
}

cd "$here"

echo "== YAML / JSON / TOML syntax"
if python3 -c 'import yaml' 2>/dev/null; then
  while IFS= read -r -d '' f; do
    run "yaml parses: deploy/${f#./}" python3 -c '
import sys, yaml
with open(sys.argv[1]) as fh:
    docs = [d for d in yaml.safe_load_all(fh)]
if not any(d is not None for d in docs):
    sys.exit("empty YAML document")
' "$f"
  done < <(find . -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 | sort -z)
else
  skip "YAML parsing (python3 PyYAML missing: apt-get install python3-yaml, or --install)"
fi

while IFS= read -r -d '' f; do
  run "json parses: deploy/${f#./}" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$f"
done < <(find . -type f -name '*.json' -print0 | sort -z)

if command -v yamllint >/dev/null; then
  run "yamllint (relaxed, errors only)" yamllint -d '{extends: relaxed, rules: {line-length: disable}}' .
else
  skip "yamllint not installed"
fi

# gateway.toml files, the ConfigMap's embedded one extracted with PyYAML.
if python3 -c 'import tomllib' 2>/dev/null || python3 -c 'import tomli' 2>/dev/null; then
  if python3 -c 'import yaml' 2>/dev/null; then
    for m in sidecar queue-statefulset; do
      python3 - "kubernetes/hookgate-$m.yaml" "$tmp/k8s-$m-gateway.toml" <<'PY' || fail "extract gateway.toml from kubernetes/hookgate-$m.yaml"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cm = [d for d in docs if d.get("kind") == "ConfigMap"]
assert cm and "gateway.toml" in cm[0].get("data", {}), "no ConfigMap with data.gateway.toml"
open(sys.argv[2], "w").write(cm[0]["data"]["gateway.toml"])
PY
    done
  fi
  for f in gateway.toml compose/gateway.toml "$tmp"/k8s-*-gateway.toml; do
    [[ -f "$f" ]] || continue
    label="$f"; [[ "$f" == "$tmp"/* ]] && label="kubernetes ConfigMap $(basename "$f")"
    run "toml parses: $label" python3 - "$f" <<'PY'
import sys
try:
    import tomllib
except ImportError:
    import tomli as tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
server = cfg["server"]
for key in ("listen", "admin_listen", "grace_period"):
    assert key in server, f"[server] lacks {key}"
assert not server["admin_listen"].startswith("127."), "admin_listen must not be loopback in a container"
names = [r["name"] for r in cfg["route"]]
assert len(names) == len(set(names)), f"duplicate route names: {names}"
for r in cfg["route"]:
    for key in ("name", "path", "upstream", "provider", "secrets"):
        assert key in r, f"route {r.get('name')} lacks {key}"
    for s in r["secrets"]:
        assert s.startswith(("env:", "file:")), f"route {r['name']}: literal secret in a committed file"
PY
  done
else
  skip "TOML parsing (python3 >= 3.11 tomllib or tomli needed)"
fi

echo "== Prometheus"
if command -v promtool >/dev/null; then
  run "promtool check rules prometheus/alerts.yml" promtool check rules prometheus/alerts.yml
  run "promtool check config prometheus/prometheus.yml" promtool check config prometheus/prometheus.yml
  run "promtool test rules prometheus/alerts_test.yml" promtool test rules prometheus/alerts_test.yml
  # Dashboard queries: substitute Grafana's variables, check them as recording rules.
  if python3 - grafana/hookgate-dashboard.json "$tmp/dashboard-rules.yml" <<'PY'
import json, sys
dash = json.load(open(sys.argv[1]))
exprs = []
def walk(panels):
    for p in panels:
        walk(p.get("panels", []))
        for t in p.get("targets", []):
            exprs.append((p.get("title", "?"), t["expr"]))
walk(dash["panels"])
subst = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "1m", "$route": ".*"}
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, e) in enumerate(exprs):
        for k, v in subst.items():
            e = e.replace(k, v)
        out.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(e)}\n")
PY
  then
    run "promtool parses every dashboard query" promtool check rules "$tmp/dashboard-rules.yml"
  else
    fail "extract dashboard queries"
  fi
else
  skip "promtool not installed (apt-get install prometheus, or --install)"
fi

echo "== Kubernetes"
if command -v kubernetes-validate >/dev/null; then
  run "kubernetes-validate --strict (1.30) kubernetes/*.yaml" \
    kubernetes-validate --strict --quiet -k 1.30 kubernetes/hookgate-sidecar.yaml \
      kubernetes/hookgate-queue-statefulset.yaml kubernetes/secret.example.yaml
else
  skip "kubernetes-validate not installed (pip install kubernetes-validate, or --install)"
fi

echo "== Compose"
if docker compose version >/dev/null 2>&1; then
  run "docker compose config" docker compose -f docker-compose.yml config --quiet
elif command -v docker-compose >/dev/null; then
  run "docker-compose (v1) config" docker-compose -f docker-compose.yml config --quiet
else
  skip "neither docker compose nor docker-compose installed"
fi

echo "== hookgate check"
if [[ -n "${HOOKGATE_BIN:-}" ]]; then
  for f in gateway.toml compose/gateway.toml "$tmp"/k8s-*-gateway.toml; do
    [[ -f "$f" ]] || continue
    run "hookgate check -c $f" env STRIPE_WEBHOOK_SECRET=whsec_dummy GITHUB_WEBHOOK_SECRET=dummy \
      AZOTTE_WEBHOOK_SECRET=dummy HOOKGATE_REDIS_URL=redis://redis:6379/0 \
      HOOKGATE_ADMIN_TOKEN=dummy-admin-token "$HOOKGATE_BIN" check -c "$f"
  done
else
  skip "hookgate check (set HOOKGATE_BIN=/path/to/hookgate; scripts/test.sh does)"
fi

echo
echo "validate: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
