//! Rolling out in front of a live app, through the real binary: shadow mode (`enforce = false`),
//! secret validity windows (`from`/`until`) with the per-secret counter, and reload of windows.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::upstream::Behavior;
use common::*;

const SECRET: &str = "rollout-secret";

fn sign(secret: &str, body: &[u8]) -> String {
    hmac_sha256_hex(secret.as_bytes(), &[body])
}

fn post(gw: &Gateway, path: &str, body: &str, signature: &str) -> reqwest::blocking::Response {
    client()
        .post(gw.url(path))
        .header("X-Sig", signature)
        .body(body.to_string())
        .send()
        .unwrap()
}

/// An `hmac` route on `path` with `extra` keys.
fn route(up: &Upstream, name: &str, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\npath = \"/{name}\"\nupstream = \"{}\"\nprovider = \"hmac\"\nsecrets = [\"{SECRET}\"]\nsignature = {{ header = \"X-Sig\" }}\n{extra}\n",
        up.url(&format!("/got/{name}"))
    )
}

/// Waits (bounded) until `sample` reaches `value`: a request is counted when its answer is
/// written, a moment after the client may have read it.
fn wait_metric(gw: &Gateway, sample: &str, value: f64) -> f64 {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let v = gw.metric(sample);
        if v >= value || Instant::now() > until {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn shadow(route: &str, outcome: &str) -> String {
    format!(r#"hookgate_shadow_refusals_total{{route="{route}",outcome="{outcome}"}}"#)
}

#[test]
fn a_forged_request_on_a_shadow_route_reaches_the_upstream_marked() {
    let up = Upstream::start();
    up.set(|b| b.status = 202);
    let gw = Gateway::start("", &route(&up, "shadow", "enforce = false"));
    let res = post(&gw, "/shadow", r#"{"id":"1"}"#, "forged");
    // The client gets the upstream's answer, not the gateway's 401.
    assert_eq!(res.status(), 202);
    assert_eq!(res.text().unwrap(), r#"{"received":true}"#);
    let got = up.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("x-hookgate-shadow"),
        Some("invalid_signature")
    );
    assert_eq!(got[0].body, br#"{"id":"1"}"#);
    assert_eq!(
        wait_metric(&gw, &shadow("shadow", "invalid_signature"), 1.0),
        1.0
    );
    // What really happened: forwarded, not refused.
    let forwarded = r#"hookgate_requests_total{route="shadow",outcome="forwarded"}"#;
    assert_eq!(wait_metric(&gw, forwarded, 1.0), 1.0);
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="shadow",outcome="invalid_signature"}"#),
        0.0
    );
    // A correctly signed request passes unmarked.
    let body = r#"{"id":"2"}"#;
    assert_eq!(
        post(&gw, "/shadow", body, &sign(SECRET, body.as_bytes())).status(),
        202
    );
    assert_eq!(up.received()[1].header("x-hookgate-shadow"), None);
    // The audit line says what would have happened.
    let until = Instant::now() + Duration::from_secs(5);
    while !gw.stdout().contains("\"shadow\":\"invalid_signature\"") && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let line = gw
        .stdout()
        .lines()
        .find(|l| l.contains("\"shadow\""))
        .map(str::to_string)
        .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&line).expect("an audit line with shadow");
    assert_eq!(v["shadow"], "invalid_signature");
    assert_eq!(v["outcome"], "forwarded");
    assert_eq!(v["status"], 202);
}

#[test]
fn each_judging_stage_is_shadowed_with_its_own_outcome() {
    let up = Upstream::start();
    let routes = [
        route(&up, "ip", "enforce = false\nallow_ips = [\"192.0.2.0/24\"]"),
        route(
            &up,
            "rate",
            "enforce = false\nrate_limit = { per_second = 0.001, burst = 1 }",
        ),
        route(
            &up,
            "dedup",
            "enforce = false\ndedup = { id = \"json:/id\" }",
        ),
        route(
            &up,
            "filter",
            "enforce = false\nevent_type = \"json:/type\"\nevents = [\"wanted\"]",
        ),
    ]
    .concat();
    let gw = Gateway::start("", &routes);
    let signed = |path: &str, body: &str| post(&gw, path, body, &sign(SECRET, body.as_bytes()));
    let last_mark = || {
        up.received()
            .last()
            .and_then(|r| r.header("x-hookgate-shadow").map(str::to_string))
    };

    assert_eq!(signed("/ip", r#"{"id":"a"}"#).status(), 200);
    assert_eq!(last_mark().as_deref(), Some("ip_denied"));

    assert_eq!(signed("/rate", r#"{"id":"a"}"#).status(), 200);
    assert_eq!(last_mark(), None);
    assert_eq!(signed("/rate", r#"{"id":"b"}"#).status(), 200);
    assert_eq!(last_mark().as_deref(), Some("rate_limited"));

    assert_eq!(signed("/dedup", r#"{"id":"same"}"#).status(), 200);
    assert_eq!(last_mark(), None);
    let again = signed("/dedup", r#"{"id":"same"}"#);
    assert_eq!(again.status(), 200);
    // The upstream answered, not the gateway's duplicate acknowledgement.
    assert_eq!(again.headers().get("x-hookgate-duplicate"), None);
    assert_eq!(last_mark().as_deref(), Some("duplicate"));

    assert_eq!(signed("/filter", r#"{"type":"other"}"#).status(), 200);
    assert_eq!(last_mark().as_deref(), Some("filtered"));
    assert_eq!(signed("/filter", r#"{"type":"wanted"}"#).status(), 200);
    assert_eq!(last_mark(), None);

    assert_eq!(up.count(), 7, "every request reached the upstream");
    for (route, outcome) in [
        ("ip", "ip_denied"),
        ("rate", "rate_limited"),
        ("dedup", "duplicate"),
        ("filter", "filtered"),
    ] {
        assert_eq!(
            wait_metric(&gw, &shadow(route, outcome), 1.0),
            1.0,
            "{route}"
        );
    }
}

/// A duplicate in flight: the second delivery of an ID arrives while the first holds the claim.
/// Shadowed, it is forwarded without a lease; the first delivery's claim is then committed by
/// its own success, so a third delivery is a (shadow) duplicate, not a fresh claim.
#[test]
fn an_in_flight_duplicate_is_forwarded_without_touching_the_claim() {
    let up = Upstream::start();
    up.script(vec![Behavior {
        delay: Duration::from_millis(1500),
        ..Behavior::default()
    }]);
    let gw = Gateway::start(
        "",
        &route(
            &up,
            "flight",
            "enforce = false\ndedup = { id = \"json:/id\" }",
        ),
    );
    let body = r#"{"id":"evt-1"}"#;
    let signature = sign(SECRET, body.as_bytes());
    let first = {
        let (url, signature) = (gw.url("/flight"), signature.clone());
        std::thread::spawn(move || {
            client()
                .post(url)
                .header("X-Sig", signature)
                .body(body)
                .send()
                .unwrap()
                .status()
        })
    };
    // Wait until the first request holds the claim (it has reached the upstream).
    let until = Instant::now() + Duration::from_secs(5);
    while up.count() == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = post(&gw, "/flight", body, &signature);
    assert_eq!(second.status(), 200);
    assert_eq!(first.join().unwrap(), 200);
    let marks: Vec<Option<String>> = up
        .received()
        .iter()
        .map(|r| r.header("x-hookgate-shadow").map(str::to_string))
        .collect();
    assert!(marks.contains(&Some("in_flight".into())), "{marks:?}");
    assert!(marks.contains(&None), "{marks:?}");
    assert_eq!(post(&gw, "/flight", body, &signature).status(), 200);
    assert_eq!(
        up.received().last().unwrap().header("x-hookgate-shadow"),
        Some("duplicate")
    );
    assert_eq!(wait_metric(&gw, &shadow("flight", "in_flight"), 1.0), 1.0);
}

#[test]
fn protocol_route_method_and_size_refusals_still_answer_on_a_shadow_route() {
    let up = Upstream::start();
    let gw = Gateway::start(
        "",
        &route(&up, "strict", "enforce = false\nmax_body = \"16B\""),
    );
    let big = r#"{"id":"this body is longer than sixteen bytes"}"#;
    assert_eq!(post(&gw, "/strict", big, "forged").status(), 413);
    let get = client().get(gw.url("/strict")).send().unwrap();
    assert_eq!(get.status(), 405);
    let raw = raw_exchange(
        gw.port,
        b"POST /strict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        Duration::from_secs(2),
    );
    assert_eq!(status_of(&raw), Some(400), "{raw}");
    assert_eq!(
        up.count(),
        0,
        "nothing the gateway refuses to protect itself is forwarded"
    );
}

#[test]
fn a_senders_own_shadow_header_never_reaches_the_upstream() {
    let up = Upstream::start();
    let routes = [
        route(&up, "enforcing", ""),
        route(&up, "shadowing", "enforce = false"),
    ]
    .concat();
    let gw = Gateway::start("", &routes);
    let body = r#"{"id":"1"}"#;
    for path in ["/enforcing", "/shadowing"] {
        let res = client()
            .post(gw.url(path))
            .header("X-Sig", sign(SECRET, body.as_bytes()))
            .header("X-Hookgate-Shadow", "invalid_signature")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            up.received().last().unwrap().header("x-hookgate-shadow"),
            None,
            "{path}"
        );
    }
}

#[test]
fn an_enforcing_route_still_refuses_and_exports_no_shadow_counters() {
    let up = Upstream::start();
    let gw = Gateway::start("", &route(&up, "enforced", "enforce = true"));
    let res = post(&gw, "/enforced", "{}", "forged");
    assert_eq!(res.status(), 401);
    assert_eq!(up.count(), 0);
    let invalid = r#"hookgate_requests_total{route="enforced",outcome="invalid_signature"}"#;
    assert_eq!(wait_metric(&gw, invalid, 1.0), 1.0);
    assert!(!gw.metrics().contains("hookgate_shadow_refusals_total{"));
}

fn rfc3339(unix: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn windowed_route(up: &Upstream, secrets: &str) -> String {
    format!(
        "[[route]]\nname = \"win\"\npath = \"/win\"\nupstream = \"{}\"\nprovider = \"hmac\"\nsecrets = {secrets}\nsignature = {{ header = \"X-Sig\" }}\n",
        up.url("/got")
    )
}

fn matches(gw: &Gateway, index: usize) -> f64 {
    gw.metric(&format!(
        r#"hookgate_secret_matches_total{{route="win",secret="{index}"}}"#
    ))
}

#[test]
fn secrets_verify_only_inside_their_windows_and_are_counted_by_index() {
    let up = Upstream::start();
    let now = now_unix();
    let secrets = format!(
        r#"["current", {{ secret = "expired", until = "{}" }}, {{ secret = "future", from = "{}" }}, {{ secret = "window", from = "{}", until = "{}" }}]"#,
        rfc3339(now - 60),
        rfc3339(now + 3600),
        rfc3339(now - 60),
        rfc3339(now + 3600),
    );
    let gw = Gateway::start("", &windowed_route(&up, &secrets));
    let body = r#"{"n":1}"#;
    let send = |secret: &str| post(&gw, "/win", body, &sign(secret, body.as_bytes())).status();
    assert_eq!(send("expired"), 401, "until has passed");
    assert_eq!(send("future"), 401, "from is ahead");
    assert_eq!(send("window"), 200, "inside its window");
    assert_eq!(send("current"), 200);
    assert_eq!(send("window"), 200);
    let sample = r#"hookgate_secret_matches_total{route="win",secret="3"}"#;
    assert_eq!(wait_metric(&gw, sample, 2.0), 2.0);
    assert_eq!(matches(&gw, 0), 1.0);
    assert_eq!(matches(&gw, 1), 0.0);
    assert_eq!(matches(&gw, 2), 0.0);
    assert!(!gw.metrics().contains("rollout-secret"));
}

#[test]
fn a_reload_picks_up_new_windows() {
    let up = Upstream::start();
    let now = now_unix();
    // Beside the expired secret, one not valid yet: a route whose every secret has expired is
    // refused at load (every request would be 401), one with a future secret is not.
    let later = format!(
        r#"{{ secret = "later", from = "{}" }}"#,
        rfc3339(now + 86_400)
    );
    let expired = format!(
        r#"[{{ secret = "old", until = "{}" }}, {later}]"#,
        rfc3339(now - 60)
    );
    let gw = Gateway::start("", &windowed_route(&up, &expired));
    let body = "{}";
    let send = || post(&gw, "/win", body, &sign("old", body.as_bytes())).status();
    assert_eq!(send(), 401);

    let text = std::fs::read_to_string(&gw.config_path).unwrap();
    let extended = format!(
        r#"[{{ secret = "old", until = "{}" }}, {later}]"#,
        rfc3339(now + 3600)
    );
    std::fs::write(&gw.config_path, text.replace(&expired, &extended)).unwrap();
    gw.signal("HUP");
    let reloaded = wait_metric(&gw, r#"hookgate_config_reloads_total{result="ok"}"#, 1.0);
    assert_eq!(reloaded, 1.0, "{}", gw.stderr());
    assert_eq!(send(), 200);
    assert_eq!(
        wait_metric(
            &gw,
            r#"hookgate_secret_matches_total{route="win",secret="0"}"#,
            1.0
        ),
        1.0
    );
}

fn check(config: &str) -> (i32, String, String) {
    let dir = TempDir::new();
    let path = dir.write("gateway.toml", config);
    let out = Command::new(bin())
        .args(["check", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_warns_of_expired_and_expiring_secrets_and_names_bad_windows() {
    let now = now_unix();
    let secrets = format!(
        r#"["a", {{ secret = "b", until = "{}" }}, {{ secret = "c", until = "{}" }}, {{ secret = "d", until = "{}" }}]"#,
        rfc3339(now - 3600),
        rfc3339(now + 3 * 86400),
        rfc3339(now + 30 * 86400),
    );
    let config = format!(
        "[[route]]\nname = \"r\"\npath = \"/r\"\nupstream = \"http://127.0.0.1:9/\"\nprovider = \"github\"\nsecrets = {secrets}\nenforce = false\n"
    );
    let (code, out, err) = check(&config);
    assert_eq!(code, 0, "{err}");
    let notice = |key: &str| {
        out.lines()
            .find(|l| l.starts_with("notice:") && l.contains(&format!("key `{key}`")))
            .map(str::to_string)
    };
    assert!(notice("secrets[1]").unwrap().contains("expired"), "{out}");
    assert!(
        notice("secrets[2]").unwrap().contains("expires at"),
        "{out}"
    );
    assert_eq!(notice("secrets[3]"), None, "{out}");
    assert!(out.contains("shadow: enforce = false"), "{out}");

    let bad = config.replace(&rfc3339(now + 3 * 86400), "next tuesday");
    let (code, _, err) = check(&bad);
    assert_eq!(code, 1);
    assert!(err.contains("gateway.toml"), "{err}");
    assert!(err.contains("route \"r\""), "{err}");
    assert!(err.contains("key `secrets[2].until`"), "{err}");
    assert!(err.contains("RFC 3339"), "{err}");
}

/// A queued route in shadow mode: a forged request is accepted into the queue like any other
/// (answered 202 once durable) and delivered with its `X-Hookgate-Shadow`, stored with it.
#[test]
fn a_queued_shadow_route_delivers_the_mark_with_the_message() {
    let up = Upstream::start();
    let dir = TempDir::new();
    let queue = format!("[queue]\ndir = \"{}\"\n", dir.0.join("q").display());
    let routes = format!(
        "{queue}{}",
        route(&up, "queued", "enforce = false\ndelivery = \"queue\"")
    );
    let gw = Gateway::start("", &routes);
    let res = post(&gw, "/queued", r#"{"id":"q1"}"#, "forged");
    assert_eq!(res.status(), 202);
    let until = Instant::now() + Duration::from_secs(10);
    while up.count() == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = up.received();
    assert_eq!(got.len(), 1, "{}", gw.log());
    assert_eq!(
        got[0].header("x-hookgate-shadow"),
        Some("invalid_signature")
    );
    assert_eq!(got[0].body, br#"{"id":"q1"}"#);
    assert_eq!(
        wait_metric(&gw, &shadow("queued", "invalid_signature"), 1.0),
        1.0
    );
    let queued = r#"hookgate_requests_total{route="queued",outcome="queued"}"#;
    assert_eq!(wait_metric(&gw, queued, 1.0), 1.0);
}
