//! Static checks of the files under `deploy/`: they must keep to the contract
//! in PRODUCT.md (metric names, label values, config keys, admin endpoints)
//! and stay consistent with one another (ports, env secrets, grace periods).
//!
//! Pure std + serde_json/toml/humantime (dependencies of the crate); YAML is
//! checked at the text level since serde_yaml is not a dependency. Full YAML,
//! PromQL, Kubernetes-schema and compose checks live in `deploy/validate.sh`.
//! If `promtool` is on PATH, the rule checks and rule unit tests run here too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

// ----------------------------------------------------------------- contract

/// Metric families from PRODUCT.md. Histograms are only queried through
/// their `_bucket`, `_sum` and `_count` series.
const COUNTERS_AND_GAUGES: &[&str] = &[
    "hookgate_requests_total",
    "hookgate_upstream_responses_total",
    "hookgate_dedup_entries",
    "hookgate_config_reloads_total",
    "hookgate_queue_messages",
    "hookgate_queue_oldest_pending_age_seconds",
    "hookgate_delivery_attempts_total",
    "hookgate_delivery_dead_total",
    "hookgate_shadow_refusals_total",
    "hookgate_secret_matches_total",
];
const HISTOGRAMS: &[&str] = &[
    "hookgate_request_duration_seconds",
    "hookgate_verify_duration_seconds",
];
const OUTCOMES: &[&str] = &[
    "forwarded",
    "invalid_signature",
    "ip_denied",
    "rate_limited",
    "too_large",
    "duplicate",
    "in_flight",
    "filtered",
    "upstream_error",
    "not_found",
    "method_not_allowed",
    "queued",
    "unavailable",
];
const CLASSES: &[&str] = &["2xx", "3xx", "4xx", "5xx"];
const RELOAD_RESULTS: &[&str] = &["ok", "error"];
/// `result` of `hookgate_delivery_attempts_total`.
const ATTEMPT_RESULTS: &[&str] = &["2xx", "3xx", "4xx", "5xx", "timeout", "unreachable"];
/// `state` of `hookgate_queue_messages`.
const QUEUE_STATES: &[&str] = &["pending", "dead"];
/// Labels a query may group or match by: the metrics' own, the histogram
/// bucket's, and the target labels Prometheus adds.
const KNOWN_LABELS: &[&str] = &[
    "route",
    "outcome",
    "class",
    "result",
    "state",
    "secret",
    "le",
    "instance",
    "job",
    "namespace",
    "pod",
];

const SERVER_KEYS: &[&str] = &[
    "listen",
    "admin_listen",
    "max_body",
    "trusted_proxies",
    "read_timeout",
    "idle_timeout",
    "grace_period",
    "tls_cert",
    "tls_key",
];
const ROUTE_KEYS: &[&str] = &[
    "name",
    "path",
    "upstream",
    "provider",
    "secrets",
    "tolerance",
    "allow_ips",
    "rate_limit",
    "dedup",
    "events",
    "upstream_timeout",
    "public_url",
    "signature",
    "delivery",
    "queue",
    "enforce",
];
const QUEUE_KEYS: &[&str] = &[
    "backend",
    "dir",
    "max_bytes",
    "admin_token",
    "url",
    "password",
    "prefix",
    "min_replicas_acked",
    "lease_timeout",
    "append_connections",
];
const ROUTE_QUEUE_KEYS: &[&str] = &[
    "ack_status",
    "concurrency",
    "max_attempts",
    "max_age",
    "backoff",
];
const ROUTE_REQUIRED: &[&str] = &["name", "path", "upstream", "provider", "secrets"];

// ------------------------------------------------------------------ helpers

fn deploy_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel)
}

fn read(rel: &str) -> String {
    let p = deploy_path(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Every whole identifier in `text` starting with `hookgate_`.
fn metric_tokens(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !is_ident(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            let word: String = bytes[start..i].iter().collect();
            if word.starts_with("hookgate_") {
                out.insert(word);
            }
        } else {
            i += 1;
        }
    }
    out
}

fn known_series(name: &str) -> bool {
    COUNTERS_AND_GAUGES.contains(&name)
        || HISTOGRAMS.iter().any(|h| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .any(|suffix| name == format!("{h}{suffix}"))
        })
}

/// Family of a series name (histogram suffixes stripped).
fn family(name: &str) -> &str {
    for h in HISTOGRAMS {
        if name.starts_with(h) {
            return h;
        }
    }
    name
}

/// Values a query compares `label` with (`label="v"`, `!=`, `=~`, `!~`); each alternative of a
/// regex match (`=~"a|b"`) is a value of its own.
fn label_values(text: &str, label: &str) -> Vec<String> {
    let mut out = Vec::new();
    for op in ["=\"", "!=\"", "=~\"", "!~\""] {
        let regex = op.contains('~');
        let needle = format!("{label}{op}");
        let mut rest = text;
        while let Some(pos) = rest.find(&needle) {
            // whole label name only
            let before = rest[..pos].chars().last();
            let after = &rest[pos + needle.len()..];
            if before.is_none_or(|c| !is_ident(c)) {
                let end = after.find('"').expect("unterminated label value");
                match regex {
                    true => out.extend(after[..end].split('|').map(str::to_string)),
                    false => out.push(after[..end].to_string()),
                }
            }
            rest = after;
        }
    }
    out
}

/// Label names inside `by (...)` / `without (...)` / `on (...)` / `ignoring (...)`.
fn grouping_labels(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for kw in ["by", "without", "on", "ignoring"] {
        let mut rest = text;
        while let Some(pos) = rest.find(kw) {
            let before = rest[..pos].chars().last();
            let after = &rest[pos + kw.len()..];
            rest = after;
            if before.is_some_and(is_ident) {
                continue;
            }
            let trimmed = after.trim_start();
            if !trimmed.starts_with('(') {
                continue;
            }
            let end = trimmed.find(')').expect("unclosed grouping");
            out.extend(
                trimmed[1..end]
                    .split(',')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty()),
            );
        }
    }
    out
}

/// Checks a PromQL text (a query or a whole rule file) against the contract.
fn check_promql(what: &str, text: &str) {
    for m in metric_tokens(text) {
        assert!(
            known_series(&m),
            "{what}: unknown metric `{m}` (not in PRODUCT.md)"
        );
    }
    for v in label_values(text, "outcome") {
        assert!(
            OUTCOMES.contains(&v.as_str()),
            "{what}: unknown outcome `{v}`"
        );
    }
    for v in label_values(text, "class") {
        assert!(CLASSES.contains(&v.as_str()), "{what}: unknown class `{v}`");
    }
    for v in label_values(text, "result") {
        assert!(
            RELOAD_RESULTS.contains(&v.as_str()) || ATTEMPT_RESULTS.contains(&v.as_str()),
            "{what}: unknown result `{v}`"
        );
    }
    for v in label_values(text, "state") {
        assert!(
            QUEUE_STATES.contains(&v.as_str()),
            "{what}: unknown queue state `{v}`"
        );
    }
    for l in grouping_labels(text) {
        assert!(
            KNOWN_LABELS.contains(&l.as_str()),
            "{what}: unknown label `{l}` in a grouping"
        );
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The lines nested under the first line (at or after `from`) whose trimmed
/// text starts with `key`, i.e. until the next non-blank line indented no
/// deeper than that line.
fn yaml_block<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with(key))
        .unwrap_or_else(|| panic!("no `{key}` in YAML"));
    let base = indent(lines[start]);
    lines[start + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent(l) > base)
        .copied()
        .collect()
}

/// The content of a YAML literal block scalar `key: |`, de-indented.
fn yaml_literal_block(text: &str, key: &str) -> String {
    let header = format!("{key}: |");
    let block = yaml_block(text, &header);
    let content_indent = block
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .unwrap_or_else(|| panic!("`{header}` is empty"));
    let mut out = String::new();
    for l in block {
        if l.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str(&l[content_indent..]);
            out.push('\n');
        }
    }
    out
}

/// The items of the YAML sequence block `text` (lines), split at `- ` at the
/// shallowest dash indentation.
fn yaml_items<'a>(lines: &[&'a str]) -> Vec<Vec<&'a str>> {
    let dash = lines
        .iter()
        .filter(|l| l.trim_start().starts_with("- "))
        .map(|l| indent(l))
        .min()
        .expect("no sequence items");
    let mut items: Vec<Vec<&str>> = Vec::new();
    for l in lines {
        if indent(l) == dash && l.trim_start().starts_with("- ") {
            items.push(vec![l]);
        } else if let Some(last) = items.last_mut() {
            last.push(l);
        }
    }
    items
}

fn seconds(s: &str) -> Duration {
    humantime::parse_duration(s).unwrap_or_else(|e| panic!("bad duration {s:?}: {e}"))
}

/// A `gateway.toml` as PRODUCT.md defines it; returns it for further checks.
fn check_gateway_toml(what: &str, text: &str) -> toml::Table {
    let cfg: toml::Table =
        toml::from_str(text).unwrap_or_else(|e| panic!("{what}: not valid TOML: {e}"));
    for key in cfg.keys() {
        assert!(
            ["server", "route", "state", "queue", "tracing"].contains(&key.as_str()),
            "{what}: unknown top-level key `{key}`"
        );
    }
    if let Some(queue) = cfg.get("queue") {
        let queue = queue.as_table().expect("[queue] is a table");
        for key in queue.keys() {
            assert!(
                QUEUE_KEYS.contains(&key.as_str()),
                "{what}: unknown [queue] key `{key}`"
            );
        }
        let redis = queue.get("backend").and_then(|b| b.as_str()) == Some("redis");
        assert!(
            redis || queue.get("dir").and_then(|d| d.as_str()).is_some(),
            "{what}: [queue] lacks `dir`"
        );
        assert!(
            !redis || queue.get("dir").is_none(),
            "{what}: `dir` with backend redis"
        );
        if let Some(token) = queue.get("admin_token") {
            let token = token.as_str().unwrap();
            assert!(
                token.starts_with("env:") || token.starts_with("file:"),
                "{what}: a literal admin_token in a committed file"
            );
        }
    }
    if let Some(state) = cfg.get("state") {
        // A Redis URL may carry a password: committed files take it from env:/file:.
        let url = state["url"].as_str().expect("[state] url is a string");
        assert!(
            url.starts_with("env:") || url.starts_with("file:"),
            "{what}: [state] url must come from env: or file:, not a literal"
        );
    }
    let server = cfg["server"]
        .as_table()
        .unwrap_or_else(|| panic!("{what}: no [server]"));
    for key in server.keys() {
        assert!(
            SERVER_KEYS.contains(&key.as_str()),
            "{what}: unknown [server] key `{key}`"
        );
    }
    for key in ["listen", "admin_listen", "grace_period"] {
        assert!(server.contains_key(key), "{what}: [server] lacks `{key}`");
    }
    for key in ["read_timeout", "idle_timeout", "grace_period"] {
        if let Some(v) = server.get(key) {
            seconds(
                v.as_str()
                    .unwrap_or_else(|| panic!("{what}: {key} is not a string")),
            );
        }
    }
    if let Some(v) = server.get("max_body") {
        let v = v.as_str().expect("max_body is a string like \"1MiB\"");
        let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &v[digits.len()..];
        assert!(
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && ["", "B", "KiB", "MiB", "GiB"].contains(&unit),
            "{what}: bad max_body {v:?}"
        );
    }
    let admin = server["admin_listen"].as_str().unwrap();
    assert!(
        !admin.starts_with("127.") && admin.ends_with(":9090"),
        "{what}: in a container admin_listen must be 0.0.0.0:9090, not {admin}"
    );
    assert!(
        server["listen"].as_str().unwrap().ends_with(":8080"),
        "{what}: listen is not :8080"
    );

    let routes = cfg["route"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no [[route]]"));
    let mut names = BTreeSet::new();
    for r in routes {
        let r = r.as_table().expect("[[route]] is a table");
        for key in r.keys() {
            assert!(
                ROUTE_KEYS.contains(&key.as_str()),
                "{what}: unknown route key `{key}`"
            );
        }
        for key in ROUTE_REQUIRED {
            assert!(
                r.contains_key(*key),
                "{what}: route {:?} lacks `{key}`",
                r.get("name")
            );
        }
        let name = r["name"].as_str().unwrap();
        assert!(
            names.insert(name.to_string()),
            "{what}: duplicate route name {name}"
        );
        assert!(
            r["path"].as_str().unwrap().starts_with('/'),
            "{what}: route {name}: path"
        );
        assert!(
            r["upstream"].as_str().unwrap().starts_with("http"),
            "{what}: route {name}: upstream"
        );
        let secrets = r["secrets"].as_array().unwrap();
        assert!(!secrets.is_empty(), "{what}: route {name}: no secrets");
        for s in secrets {
            let s = s.as_str().unwrap();
            assert!(
                s.starts_with("env:") || s.starts_with("file:"),
                "{what}: route {name}: a literal secret in a committed file"
            );
        }
        for key in ["tolerance", "upstream_timeout"] {
            if let Some(v) = r.get(key) {
                seconds(v.as_str().unwrap());
            }
        }
        if let Some(d) = r.get("dedup") {
            seconds(d["ttl"].as_str().expect("dedup.ttl"));
        }
        match r.get("delivery").map(|d| d.as_str().unwrap()) {
            None | Some("direct") => assert!(
                r.get("queue").is_none(),
                "{what}: route {name}: `queue` without delivery = \"queue\""
            ),
            Some("queue") => {
                assert!(
                    cfg.contains_key("queue"),
                    "{what}: route {name} is queued but there is no [queue]"
                );
                for key in r
                    .get("queue")
                    .and_then(|q| q.as_table())
                    .into_iter()
                    .flat_map(|q| q.keys())
                {
                    assert!(
                        ROUTE_QUEUE_KEYS.contains(&key.as_str()),
                        "{what}: route {name}: unknown queue key `{key}`"
                    );
                }
            }
            Some(other) => panic!("{what}: route {name}: delivery {other:?}"),
        }
        if let Some(rl) = r.get("rate_limit") {
            assert!(rl
                .get("per_second")
                .is_some_and(|v| v.as_integer().is_some_and(|n| n > 0)));
        }
    }
    for required in ["stripe", "github"] {
        assert!(names.contains(required), "{what}: no `{required}` route");
    }
    cfg
}

/// `NAME`s of the `env:NAME` secret references of a config.
fn env_secrets(cfg: &toml::Table) -> Vec<String> {
    cfg["route"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["secrets"].as_array().unwrap().iter())
        .chain(cfg.get("queue").and_then(|q| q.get("admin_token")))
        .filter_map(|s| s.as_str().unwrap().strip_prefix("env:").map(str::to_string))
        .collect()
}

fn grace_period(cfg: &toml::Table) -> Duration {
    seconds(cfg["server"]["grace_period"].as_str().unwrap())
}

fn promtool() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("promtool"))
        .find(|p| p.is_file())
}

fn run_promtool(args: &[&str]) {
    let Some(bin) = promtool() else {
        // CI installs it first (.ci/run: deploy/validate.sh --install); there, missing is a failure.
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "promtool not on PATH with CI=true; `promtool {}` must run in CI",
            args.join(" ")
        );
        println!(
            "SKIP: promtool not on PATH; `promtool {}` not run",
            args.join(" ")
        );
        return;
    };
    let out = Command::new(bin)
        .args(args)
        .current_dir(deploy_path(""))
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// -------------------------------------------------------------------- tests

#[test]
fn helpers_work() {
    assert_eq!(
        metric_tokens("sum(rate(hookgate_requests_total{a=\"b\"}[5m])) / x_hookgate_no"),
        BTreeSet::from(["hookgate_requests_total".to_string()])
    );
    assert_eq!(
        label_values(r#"{outcome="a",xoutcome="z", outcome!~"b"}"#, "outcome"),
        ["a", "b"]
    );
    assert_eq!(label_values(r#"{outcome=~"a|b"}"#, "outcome"), ["a", "b"]);
    assert_eq!(
        grouping_labels("sum by (route, le) (x) / sum without(a) (y)"),
        ["route", "le", "a"]
    );
    assert!(known_series("hookgate_verify_duration_seconds_bucket"));
    assert!(!known_series("hookgate_verify_duration_seconds"));
    assert!(!known_series("hookgate_request_total"));
}

#[test]
fn dashboard_queries_use_only_contract_metrics() {
    let text = read("grafana/hookgate-dashboard.json");
    let dash: serde_json::Value = serde_json::from_str(&text).expect("dashboard is valid JSON");

    assert!(
        dash["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
        "schemaVersion"
    );
    assert!(
        dash["uid"].as_str().is_some_and(|u| !u.is_empty()),
        "dashboard uid"
    );

    let vars = dash["templating"]["list"]
        .as_array()
        .expect("templating.list");
    let var = |name: &str| vars.iter().find(|v| v["name"] == name);
    let ds_var = var("datasource").or_else(|| var("DS_PROMETHEUS"));
    assert!(
        ds_var.is_some() || text.contains("${DS_PROMETHEUS}"),
        "no datasource template variable"
    );
    if let Some(ds) = ds_var {
        assert_eq!(ds["type"], "datasource");
        assert_eq!(ds["query"], "prometheus");
    }
    let route = var("route").expect("a `route` template variable");
    let route_query = match &route["query"] {
        serde_json::Value::String(s) => s.clone(),
        q => q["query"]
            .as_str()
            .expect("route variable query")
            .to_string(),
    };
    assert_eq!(
        route_query.replace(' ', ""),
        "label_values(hookgate_requests_total,route)"
    );

    // Every target of every panel, rows' nested panels included.
    fn walk(panels: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        for p in panels.as_array().into_iter().flatten() {
            walk(&p["panels"], out);
            if p["type"] != "row" {
                out.push((p["title"].as_str().unwrap_or("?").to_string(), p.clone()));
            }
        }
    }
    let mut panels = Vec::new();
    walk(&dash["panels"], &mut panels);
    assert!(panels.len() >= 6, "too few panels");

    let mut ids = BTreeSet::new();
    let mut exprs = Vec::new();
    for (title, p) in &panels {
        assert!(
            ids.insert(p["id"].as_u64().expect("panel id")),
            "duplicate panel id in {title}"
        );
        for target in p["targets"]
            .as_array()
            .unwrap_or_else(|| panic!("{title}: no targets"))
        {
            let expr = target["expr"]
                .as_str()
                .unwrap_or_else(|| panic!("{title}: no expr"));
            assert!(
                !metric_tokens(expr).is_empty(),
                "{title}: query uses no hookgate metric"
            );
            check_promql(&format!("dashboard panel {title:?}"), expr);
            // A hard-coded datasource uid breaks on every other Grafana.
            for ds in [&p["datasource"], &target["datasource"]] {
                if let Some(uid) = ds["uid"].as_str() {
                    assert!(
                        uid.starts_with("${"),
                        "{title}: datasource uid {uid:?} is not a variable"
                    );
                }
            }
            exprs.push(expr.to_string());
        }
    }
    let all = exprs.join("\n");

    let used: BTreeSet<&str> = metric_tokens(&all)
        .iter()
        .map(|m| family(m))
        .map(|f| {
            COUNTERS_AND_GAUGES
                .iter()
                .chain(HISTOGRAMS)
                .find(|k| **k == f)
                .copied()
                .unwrap()
        })
        .collect();
    for m in COUNTERS_AND_GAUGES.iter().chain(HISTOGRAMS) {
        assert!(used.contains(m), "the dashboard never shows {m}");
    }
    for q in ["0.5", "0.9", "0.99"] {
        assert!(
            exprs
                .iter()
                .any(|e| e.contains(&format!("histogram_quantile({q},"))
                    && e.contains("hookgate_request_duration_seconds_bucket")),
            "no p{q} of the request duration"
        );
    }
    assert!(
        exprs.iter().any(|e| e.contains("histogram_quantile(0.99,")
            && e.contains("hookgate_verify_duration_seconds_bucket")),
        "no p99 of the verify duration"
    );
    assert!(
        exprs
            .iter()
            .any(|e| e.contains("sum by (outcome)") && e.contains("hookgate_requests_total")),
        "no requests/s by outcome"
    );
    assert!(
        exprs.iter().any(
            |e| e.contains("sum by (class)") && e.contains("hookgate_upstream_responses_total")
        ),
        "no upstream responses by class"
    );
    // Queries on per-route metrics follow the route variable.
    for e in &exprs {
        if !e.contains("hookgate_config_reloads_total") {
            assert!(e.contains("route=~\"$route\""), "query ignores $route: {e}");
        }
    }
}

const REQUIRED_ALERTS: &[(&str, &str)] = &[
    (
        "HookgateInvalidSignatureSpike",
        "outcome=\"invalid_signature\"",
    ),
    ("HookgateUpstream5xxRatioHigh", "class=\"5xx\""),
    ("HookgateUpstreamUnreachable", "outcome=\"upstream_error\""),
    ("HookgateRateLimitedSustained", "outcome=\"rate_limited\""),
    ("HookgateRouteNoTraffic", "hookgate_requests_total"),
    (
        "HookgateConfigReloadFailed",
        "hookgate_config_reloads_total{result=\"error\"}",
    ),
    (
        "HookgateQueueOldestPendingAge",
        "hookgate_queue_oldest_pending_age_seconds",
    ),
    ("HookgateQueueDeadLetters", "hookgate_delivery_dead_total"),
    ("HookgateUnavailable", "outcome=\"unavailable\""),
    (
        "HookgateShadowWouldRefuse",
        "hookgate_shadow_refusals_total",
    ),
];

#[test]
fn alert_rules_cover_the_required_alerts() {
    let text = read("prometheus/alerts.yml");
    check_promql("alerts.yml", &text);

    let rules_block = yaml_block(&text, "rules:");
    let rules = yaml_items(&rules_block);
    let mut names = BTreeSet::new();
    for rule in &rules {
        let body = rule.join("\n");
        let name = rule[0]
            .trim_start()
            .strip_prefix("- alert:")
            .unwrap_or_else(|| panic!("not an alerting rule: {}", rule[0]))
            .trim()
            .to_string();
        for key in [
            "expr:",
            "for:",
            "labels:",
            "severity:",
            "annotations:",
            "summary:",
            "description:",
        ] {
            assert!(body.contains(key), "alert {name} lacks `{key}`");
        }
        let severity = rule
            .iter()
            .find_map(|l| l.trim().strip_prefix("severity:"))
            .unwrap()
            .trim();
        assert!(
            ["info", "warning", "critical"].contains(&severity),
            "{name}: severity {severity}"
        );
        assert!(names.insert(name.clone()), "duplicate alert {name}");
        if let Some((_, needle)) = REQUIRED_ALERTS.iter().find(|(n, _)| *n == name) {
            let expr = yaml_block(&body, "expr:").join("\n");
            assert!(expr.contains(needle), "{name}: expr does not use {needle}");
        }
    }
    for (name, _) in REQUIRED_ALERTS {
        assert!(names.contains(*name), "alerts.yml lacks {name}");
    }

    // The "no traffic" alert is about routes that had traffic, not the unmatched bucket.
    let no_traffic = rules
        .iter()
        .find(|r| r[0].contains("HookgateRouteNoTraffic"))
        .unwrap()
        .join("\n");
    assert!(no_traffic.contains("route!=\"_unmatched\""));
    assert!(no_traffic.contains("offset") || no_traffic.contains("absent"));

    // Every alert has a promtool unit test.
    let tests = read("prometheus/alerts_test.yml");
    assert!(
        tests.contains("- alerts.yml"),
        "alerts_test.yml must load alerts.yml"
    );
    for name in &names {
        assert!(
            tests.contains(&format!("alertname: {name}")),
            "alerts_test.yml has no test for {name}"
        );
    }

    // Prometheus in compose loads these rules and scrapes hookgate's admin port.
    let prom = read("prometheus/prometheus.yml");
    assert!(yaml_block(&prom, "rule_files:")
        .iter()
        .any(|l| l.trim() == "- alerts.yml"));
    assert!(prom.contains("\"hookgate:9090\""));
    assert!(
        prom.contains("job_name: hookgate"),
        "HookgateTargetDown expects job=\"hookgate\""
    );
}

#[test]
fn promtool_accepts_rules_config_and_rule_tests() {
    run_promtool(&["check", "rules", "prometheus/alerts.yml"]);
    run_promtool(&["check", "config", "prometheus/prometheus.yml"]);
    run_promtool(&["test", "rules", "prometheus/alerts_test.yml"]);
}

/// The lines of the `hookgate` container in the Deployment.
fn hookgate_container(k8s: &str) -> Vec<&str> {
    let containers = yaml_block(k8s, "containers:");
    yaml_items(&containers)
        .into_iter()
        .find(|c| c[0].trim() == "- name: hookgate")
        .expect("a container named hookgate")
}

#[test]
fn kubernetes_sidecar_example() {
    let k8s = read("kubernetes/hookgate-sidecar.yaml");
    for kind in ["ConfigMap", "Deployment", "Service"] {
        assert!(k8s.contains(&format!("\nkind: {kind}\n")), "no {kind}");
    }

    // The embedded gateway.toml.
    let toml_text = yaml_literal_block(&k8s, "gateway.toml");
    let cfg = check_gateway_toml("ConfigMap gateway.toml", &toml_text);
    assert_eq!(cfg["server"]["admin_listen"].as_str(), Some("0.0.0.0:9090"));
    for r in cfg["route"].as_array().unwrap() {
        let up = r["upstream"].as_str().unwrap();
        assert!(
            up.starts_with("http://127.0.0.1:3000/"),
            "sidecar upstream must be 127.0.0.1:3000: {up}"
        );
    }

    // Queued routes on Redis: any replica delivers any replica's events, so a plain Deployment
    // with no volume can queue (README, "Kubernetes: which backend").
    assert_eq!(cfg["queue"]["backend"].as_str(), Some("redis"));
    assert!(
        cfg["route"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("delivery").and_then(|d| d.as_str()) == Some("queue")),
        "no queued route in the sidecar example"
    );
    assert!(k8s.contains("\nkind: Deployment\n") && !k8s.contains("kind: StatefulSet"));
    assert!(
        !k8s.contains("volumeClaimTemplates") && !k8s.contains("persistentVolumeClaim"),
        "the Redis-queued sidecar needs no volume"
    );

    // Two replicas sharing state: the Redis URL comes from the Secret.
    let var = cfg["state"]["url"]
        .as_str()
        .and_then(|u| u.strip_prefix("env:"))
        .expect("ConfigMap [state] url from env:");
    assert!(k8s.contains("replicas: 2"));
    let env_entry = k8s
        .find(&format!("- name: {var}"))
        .expect("the Deployment sets the Redis URL variable");
    let next: Vec<&str> = k8s[env_entry..].lines().take(3).collect();
    assert!(
        next.iter().any(|l| l.trim() == "secretKeyRef:"),
        "the Redis URL comes from a Secret: {next:?}"
    );

    // Scrape annotations on the Pod template.
    let template = yaml_block(&k8s, "template:").join("\n");
    for ann in [
        "prometheus.io/scrape: \"true\"",
        "prometheus.io/port: \"9090\"",
        "prometheus.io/path: \"/metrics\"",
    ] {
        assert!(
            template.contains(ann),
            "Pod template lacks annotation {ann}"
        );
    }

    // Termination grace beyond hookgate's own drain.
    let tgps: u64 = k8s
        .lines()
        .find_map(|l| l.trim().strip_prefix("terminationGracePeriodSeconds:"))
        .expect("terminationGracePeriodSeconds")
        .trim()
        .parse()
        .unwrap();
    assert!(
        Duration::from_secs(tgps) > grace_period(&cfg) + Duration::from_secs(5),
        "terminationGracePeriodSeconds {tgps} must exceed grace_period + preStop sleep"
    );

    let c = hookgate_container(&k8s);
    let c_text = c.join("\n");
    // Ports: http 8080, admin 9090.
    let ports = yaml_block(&c_text, "ports:").join("\n");
    assert!(ports.contains("- name: http\n") && ports.contains("containerPort: 8080"));
    assert!(ports.contains("- name: admin\n") && ports.contains("containerPort: 9090"));
    let admin_port = |l: &&str| l.trim() == "port: admin" || l.trim() == "port: 9090";
    // Probes on the admin port.
    let liveness = yaml_block(&c_text, "livenessProbe:");
    assert!(
        liveness.iter().any(|l| l.trim() == "path: /healthz"),
        "liveness is not GET /healthz"
    );
    assert!(
        liveness.iter().any(admin_port),
        "liveness probe not on the admin port"
    );
    let readiness = yaml_block(&c_text, "readinessProbe:");
    assert!(
        readiness.iter().any(|l| l.trim() == "path: /readyz"),
        "readiness is not GET /readyz"
    );
    assert!(
        readiness.iter().any(admin_port),
        "readiness probe not on the admin port"
    );
    // Config from the ConfigMap at /etc/hookgate.
    assert!(c_text.contains("mountPath: /etc/hookgate"));
    assert!(k8s.contains("name: hookgate-config"));
    // Every env: secret of the config comes from a Secret.
    let env_block = yaml_block(&c_text, "env:");
    for name in env_secrets(&cfg) {
        let item = yaml_items(&env_block)
            .into_iter()
            .find(|i| i[0].trim() == format!("- name: {name}"))
            .unwrap_or_else(|| panic!("hookgate container lacks env {name}"));
        assert!(
            item.iter().any(|l| l.trim() == "secretKeyRef:"),
            "env {name} is not from a Secret"
        );
    }
    // Hardened.
    let sc = yaml_block(&c_text, "securityContext:").join("\n");
    for needle in [
        "runAsNonRoot: true",
        "readOnlyRootFilesystem: true",
        "allowPrivilegeEscalation: false",
        "drop: [\"ALL\"]",
    ] {
        assert!(
            sc.contains(needle),
            "hookgate securityContext lacks {needle}"
        );
    }

    // The Service sends traffic to hookgate, not to the app.
    let service = k8s
        .split("\n---")
        .find(|d| d.contains("\nkind: Service\n"))
        .unwrap();
    assert!(
        service.contains("targetPort: http") || service.contains("targetPort: 8080"),
        "the Service must target hookgate's port"
    );
    assert!(
        !service
            .lines()
            .any(|l| ["targetPort: 3000", "targetPort: app"].contains(&l.trim())),
        "the Service must not send traffic to the app's port"
    );
}

#[test]
fn kubernetes_queue_statefulset_example() {
    let k8s = read("kubernetes/hookgate-queue-statefulset.yaml");
    for kind in ["ConfigMap", "StatefulSet", "Service"] {
        assert!(k8s.contains(&format!("\nkind: {kind}\n")), "no {kind}");
    }
    assert!(
        !k8s.contains("\nkind: Deployment\n"),
        "queued routes need a StatefulSet"
    );
    let toml_text = yaml_literal_block(&k8s, "gateway.toml");
    let cfg = check_gateway_toml("StatefulSet gateway.toml", &toml_text);
    let dir = cfg["queue"]["dir"].as_str().unwrap();
    assert!(
        cfg["route"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("delivery").and_then(|d| d.as_str()) == Some("queue")),
        "no queued route in the StatefulSet example"
    );

    // The queue directory is a per-Pod persistent volume, never an emptyDir.
    assert!(
        !k8s.contains("emptyDir:"),
        "a queue on emptyDir is lost with the Pod"
    );
    let claims = yaml_block(&k8s, "volumeClaimTemplates:").join("\n");
    assert!(claims.contains("name: queue"), "no `queue` volume claim");
    assert!(claims.contains("ReadWriteOnce"));
    let c = hookgate_container(&k8s);
    let c_text = c.join("\n");
    let mounts = yaml_block(&c_text, "volumeMounts:");
    let queue_mount = yaml_items(&mounts)
        .into_iter()
        .find(|m| m[0].trim() == "- name: queue")
        .expect("the hookgate container mounts the queue volume");
    assert!(
        queue_mount
            .iter()
            .any(|l| l.trim() == format!("mountPath: {dir}")),
        "the queue volume is not mounted at [queue] dir {dir}"
    );
    assert!(
        !queue_mount.iter().any(|l| l.trim() == "readOnly: true"),
        "the queue volume must be writable"
    );
    // Writable for uid/gid 10001 while the root filesystem stays read-only.
    assert!(k8s.contains("fsGroup: 10001"));
    assert!(yaml_block(&c_text, "securityContext:")
        .join("\n")
        .contains("readOnlyRootFilesystem: true"));
    // Scaling down or deleting keeps the undelivered messages.
    let retention = yaml_block(&k8s, "persistentVolumeClaimRetentionPolicy:").join("\n");
    assert!(retention.contains("whenScaled: Retain") && retention.contains("whenDeleted: Retain"));

    // Attempts in flight get grace_period; the Pod waits longer than that.
    let tgps: u64 = k8s
        .lines()
        .find_map(|l| l.trim().strip_prefix("terminationGracePeriodSeconds:"))
        .expect("terminationGracePeriodSeconds")
        .trim()
        .parse()
        .unwrap();
    assert!(Duration::from_secs(tgps) > grace_period(&cfg) + Duration::from_secs(5));
    // Every env: secret (the admin token included) comes from a Secret.
    let env_block = yaml_block(&c_text, "env:");
    for name in env_secrets(&cfg) {
        let item = yaml_items(&env_block)
            .into_iter()
            .find(|i| i[0].trim() == format!("- name: {name}"))
            .unwrap_or_else(|| panic!("hookgate container lacks env {name}"));
        assert!(item.iter().any(|l| l.trim() == "secretKeyRef:"));
    }
    assert!(env_secrets(&cfg).contains(&"HOOKGATE_ADMIN_TOKEN".to_string()));
    let secret = read("kubernetes/secret.example.yaml");
    assert!(
        secret.contains("admin-token:"),
        "secret.example.yaml lacks admin-token"
    );
}

#[test]
fn gateway_tomls_for_image_and_compose() {
    let image_cfg = check_gateway_toml("deploy/gateway.toml", &read("gateway.toml"));
    let compose_cfg =
        check_gateway_toml("deploy/compose/gateway.toml", &read("compose/gateway.toml"));

    let compose = read("docker-compose.yml");
    assert!(compose.contains("dockerfile: deploy/Dockerfile"));
    assert!(compose.contains("./compose/gateway.toml:/etc/hookgate/gateway.toml"));
    assert!(compose.contains("./prometheus/alerts.yml:/etc/prometheus/alerts.yml"));
    assert!(compose.contains("./grafana/hookgate-dashboard.json:"));
    // Traces: the gateway exports to the collector service, which has its config mounted.
    let endpoint = compose_cfg["tracing"]["endpoint"].as_str().unwrap();
    assert_eq!(endpoint, "http://otel-collector:4318");
    assert!(compose.contains("otel-collector:"));
    assert!(compose.contains("./compose/otel-collector.yaml:/etc/otelcol/config.yaml"));
    let collector = read("compose/otel-collector.yaml");
    assert!(collector.contains("endpoint: 0.0.0.0:4318"));
    for name in env_secrets(&compose_cfg) {
        assert!(
            compose.contains(&format!("{name}:")),
            "compose does not set {name}"
        );
    }
    // [state]: both replicas and the Redis they share, and the URL's variable set on each.
    let state_url = compose_cfg["state"]["url"]
        .as_str()
        .expect("compose [state] url");
    let var = state_url
        .strip_prefix("env:")
        .expect("compose [state] url from env:");
    assert!(
        compose.contains("\n  hookgate-b:\n"),
        "compose has a second replica"
    );
    assert!(
        compose.contains("\n  redis:\n"),
        "compose has a redis service"
    );
    // The same Redis holds the queue: never an allkeys-* policy (it would evict queued
    // events); volatile-lru evicts only keys with an expiry (dedup, rate limits). AOF with an
    // fsync per reply makes a 202 survive a crash of Redis or of the host.
    assert_eq!(compose_cfg["queue"]["backend"].as_str(), Some("redis"));
    assert!(
        compose.contains("      - volatile-lru") && !compose.contains("      - allkeys-"),
        "compose Redis must not evict queued events"
    );
    assert!(
        compose.contains("--appendonly\n      - \"yes\"")
            && compose.contains("--appendfsync\n      - always"),
        "compose Redis runs with AOF, appendfsync always"
    );
    assert_eq!(
        compose.matches(&format!("{var}: ")).count(),
        2,
        "both replicas set {var}"
    );
    let stop: Duration = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("stop_grace_period:"))
        .map(|v| seconds(v.trim()))
        .expect("stop_grace_period for hookgate");
    assert!(
        stop > grace_period(&compose_cfg),
        "stop_grace_period must exceed grace_period"
    );

    // The image's default config names its secrets in the Dockerfile comments / README.
    let dockerfile = read("Dockerfile");
    for name in env_secrets(&image_cfg) {
        assert!(
            dockerfile.contains(&name),
            "Dockerfile does not mention {name}"
        );
    }
}

#[test]
fn dockerfile_matches_the_contract() {
    let d = read("Dockerfile");
    for needle in [
        "cargo build --profile dist --locked --bin hookgate",
        "apt-get install -y --no-install-recommends cmake",
        "FROM ${RUNTIME_IMAGE}",
        "ARG RUNTIME_IMAGE=debian:bookworm-slim",
        "ca-certificates",
        "--uid 10001",
        "USER 10001:10001",
        "/usr/local/bin/hookgate",
        "/etc/hookgate/gateway.toml",
        "EXPOSE 8080 9090",
        "STOPSIGNAL SIGTERM",
        "ENTRYPOINT [\"hookgate\"]",
        "CMD [\"run\", \"-c\", \"/etc/hookgate/gateway.toml\"]",
    ] {
        assert!(d.contains(needle), "Dockerfile lacks {needle:?}");
    }
    // Cargo must find every declared [[bench]] even to build the binary, so the dependency
    // layer copies benches/ before its first `cargo build`.
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    if manifest.contains("[[bench]]") {
        let copy = d.find("COPY benches").expect("Dockerfile copies benches/");
        let first_build = d.find("cargo build").unwrap();
        assert!(
            copy < first_build,
            "benches/ must be copied before the first cargo build"
        );
    }
    // Everything COPY'd from the context is let through the ignore file.
    let ignore = read("Dockerfile.dockerignore");
    let allowed: Vec<&str> = ignore
        .lines()
        .filter_map(|l| l.trim().strip_prefix('!'))
        .map(|l| l.trim_end_matches('/'))
        .collect();
    for line in d
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        for src in &words[..words.len() - 1] {
            let src = src.trim_end_matches('/');
            assert!(
                allowed.contains(&src),
                "Dockerfile COPYs {src}, which Dockerfile.dockerignore excludes"
            );
        }
    }
}

// ------------------------------------------------- issue 21: the deploy README kept true

/// `(secret name, key)` of every `secretKeyRef` in a manifest.
fn secret_refs(yaml: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut refs = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != "secretKeyRef:" {
            continue;
        }
        let block: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| indent(l) > indent(line))
            .copied()
            .collect();
        let field = |k: &str| {
            block
                .iter()
                .find_map(|l| l.trim().strip_prefix(k))
                .map(|v| v.trim().trim_matches('"').to_string())
                .unwrap_or_else(|| panic!("secretKeyRef without {k}"))
        };
        refs.push((field("name:"), field("key:")));
    }
    refs
}

/// The Secrets `kubectl create secret generic NAME --from-literal=KEY=… \` commands in `text`
/// create: `(NAME, keys)` per command (a command continues over lines ending in `\`).
fn kubectl_secrets(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|l| l.split_once("kubectl create secret generic "))
        .map(|(_, rest)| {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap().to_string();
            let keys = words
                .filter_map(|w| {
                    let w = w.trim_start_matches('#').trim();
                    w.strip_prefix("--from-literal=")
                        .or_else(|| w.strip_prefix("--from-file="))
                        .and_then(|kv| kv.split_once('='))
                        .map(|(k, _)| k.to_string())
                })
                .collect();
            (name, keys)
        })
        .collect()
}

/// Issue 21 item 10: every key a manifest reads from a Secret is created by the documented
/// `kubectl create secret` command (deploy/README.md, and the one in secret.example.yaml), and
/// by secret.example.yaml itself: followed as written, no container is left without a variable.
#[test]
fn the_documented_secret_command_creates_every_key_the_manifests_read() {
    let example = read("kubernetes/secret.example.yaml");
    for (source, commands) in [
        ("deploy/README.md", kubectl_secrets(&read("README.md"))),
        ("secret.example.yaml's comment", kubectl_secrets(&example)),
    ] {
        assert!(
            !commands.is_empty(),
            "{source} has no kubectl create secret"
        );
        for manifest in [
            "kubernetes/hookgate-sidecar.yaml",
            "kubernetes/hookgate-queue-statefulset.yaml",
        ] {
            let refs = secret_refs(&read(manifest));
            assert!(!refs.is_empty(), "{manifest} reads no Secret");
            for (name, key) in refs {
                assert!(
                    commands
                        .iter()
                        .any(|(n, keys)| *n == name && keys.contains(&key)),
                    "{manifest} reads key {key:?} of Secret {name:?}, which the command in \
                     {source} does not create: {commands:?}"
                );
                assert!(
                    example.contains(&format!("\n  {key}: ")),
                    "secret.example.yaml lacks {key}"
                );
            }
        }
    }
}

/// `NAME` of every `"env:NAME"` reference in a config's text.
fn env_refs(toml_text: &str) -> BTreeSet<String> {
    toml_text
        .split("\"env:")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_string()))
        .collect()
}

/// Issue 21 (also seen): the compose file and the manifests set only environment variables
/// hookgate reads — its diagnostics filter is `HOOKGATE_LOG` (not `RUST_LOG`, which it ignores),
/// plus the configs' `env:` references and `HOOKGATE_CONFIG` / `HOOKGATE_ADMIN_TOKEN`.
#[test]
fn deploy_files_set_only_environment_variables_hookgate_reads() {
    let log = hookgate::logging::ENV;
    let mut set: Vec<(String, BTreeSet<String>, BTreeSet<String>)> = Vec::new();
    let compose = read("docker-compose.yml");
    let compose_refs = env_refs(&read("compose/gateway.toml"));
    for service in ["hookgate:", "hookgate-b:"] {
        let block = yaml_block(&compose, service).join("\n");
        let names = yaml_block(&block, "environment:")
            .iter()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim().to_string()))
            .filter(|k| !k.starts_with('#') && !k.is_empty())
            .collect();
        set.push((format!("compose {service}"), names, compose_refs.clone()));
    }
    for manifest in [
        "kubernetes/hookgate-sidecar.yaml",
        "kubernetes/hookgate-queue-statefulset.yaml",
    ] {
        let k8s = read(manifest);
        let refs = env_refs(&yaml_literal_block(&k8s, "gateway.toml"));
        let container = hookgate_container(&k8s).join("\n");
        let names = yaml_items(&yaml_block(&container, "env:"))
            .iter()
            .filter_map(|item| item[0].trim().strip_prefix("- name: ").map(str::to_string))
            .collect();
        set.push((manifest.to_string(), names, refs));
    }
    for (what, names, refs) in set {
        assert!(names.contains(log), "{what} does not set {log}: {names:?}");
        for name in &names {
            assert!(
                refs.contains(name)
                    || [log, "HOOKGATE_CONFIG", "HOOKGATE_ADMIN_TOKEN"].contains(&name.as_str()),
                "{what} sets {name}, which hookgate does not read"
            );
        }
    }
}

/// Issue 21 item 12: `hookgate check` passes on every config under deploy/ (the image's, the
/// compose one, and the two ConfigMaps'), with a dummy value for each `env:` reference.
#[test]
fn hookgate_check_passes_on_every_deploy_config() {
    let sidecar = read("kubernetes/hookgate-sidecar.yaml");
    let queue = read("kubernetes/hookgate-queue-statefulset.yaml");
    let dir = std::env::temp_dir().join(format!("hookgate-deploy-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("deploy/gateway.toml", read("gateway.toml")),
        ("deploy/compose/gateway.toml", read("compose/gateway.toml")),
        (
            "the sidecar ConfigMap",
            yaml_literal_block(&sidecar, "gateway.toml"),
        ),
        (
            "the queue ConfigMap",
            yaml_literal_block(&queue, "gateway.toml"),
        ),
    ] {
        let path = dir.join("gateway.toml");
        std::fs::write(&path, &text).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookgate"));
        cmd.args(["check", "-c"]).arg(&path);
        for var in env_refs(&text) {
            let value = if var.contains("REDIS") {
                "redis://redis.invalid:6379/0".to_string()
            } else {
                "dummy-secret-value-0123456789abcdef".to_string()
            };
            cmd.env(var, value);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "hookgate check fails on {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 21 items 9 and 12: deploy/README.md says what the manifests now do — the sidecar's
/// replicas share dedup and rate limits through Redis (its ConfigMap has `[state]`), and
/// `hookgate check` is run on the deploy configs (by validate.sh and the test above).
#[test]
fn deploy_readme_describes_the_shared_state_and_the_check() {
    let readme = read("README.md").replace('\n', " ");
    let sidecar = yaml_literal_block(&read("kubernetes/hookgate-sidecar.yaml"), "gateway.toml");
    assert!(sidecar.contains("\n[state]\n"));
    assert!(
        !readme.contains("are per process")
            && readme.contains("shared by the replicas through Redis"),
        "deploy/README.md must say the sidecar's replicas share dedup and rate limits"
    );
    assert!(
        !readme.contains("`hookgate check` was not run"),
        "it is run now"
    );
    let validate = read("validate.sh");
    assert!(validate.contains("hookgate check -c"));
    let test_sh = std::fs::read_to_string(deploy_path("../scripts/test.sh")).unwrap();
    assert!(
        test_sh.contains("HOOKGATE_BIN="),
        "scripts/test.sh runs validate.sh with HOOKGATE_BIN so `hookgate check` runs"
    );
}
