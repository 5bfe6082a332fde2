//! Operations: metrics after real traffic, health and readiness, draining on SIGTERM, reload on
//! SIGHUP under load, TLS, `hookgate check` and `hookgate sign`, the audit log.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

const SECRET: &str = "ops-secret";

fn route(upstream: &Upstream, name: &str, secret: &str) -> String {
    format!(
        r#"
[[route]]
name = "{name}"
path = "/{name}"
upstream = "{}"
provider = "hmac"
secrets = ["{secret}"]
signature = {{ header = "X-Signature" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
"#,
        upstream.url("/in")
    )
}

fn send(gw: &Gateway, path: &str, body: &[u8], secret: &str) -> u16 {
    client()
        .post(gw.url(path))
        .header("X-Signature", hmac_sha256_hex(secret.as_bytes(), &[body]))
        .body(body.to_vec())
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[test]
fn metrics_count_real_traffic_with_bounded_labels() {
    let up = Upstream::start();
    let gw = Gateway::start("", &route(&up, "ops", SECRET));
    assert_eq!(
        send(&gw, "/ops", br#"{"id":"evt_secret_id_1"}"#, SECRET),
        200
    );
    assert_eq!(
        send(&gw, "/ops", br#"{"id":"evt_secret_id_1"}"#, SECRET),
        200
    );
    assert_eq!(send(&gw, "/ops", br#"{"id":"evt_2"}"#, "wrong"), 401);
    assert_eq!(send(&gw, "/nowhere", b"{}", SECRET), 404);
    up.set(|b| b.status = 503);
    assert_eq!(send(&gw, "/ops", br#"{"id":"evt_3"}"#, SECRET), 503);

    // A request's duration is observed once its answer is written, so the client can read the
    // answer a moment before the last observation lands: wait for it, bounded.
    let duration_count = r#"hookgate_request_duration_seconds_count{route="ops"}"#;
    let until = Instant::now() + Duration::from_secs(5);
    let mut text = gw.metrics();
    while metric_value(&text, duration_count) < 4.0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
        text = gw.metrics();
    }
    let m = |s: &str| metric_value(&text, s);
    assert_eq!(
        m(r#"hookgate_requests_total{route="ops",outcome="forwarded"}"#),
        2.0
    );
    assert_eq!(
        m(r#"hookgate_requests_total{route="ops",outcome="duplicate"}"#),
        1.0
    );
    assert_eq!(
        m(r#"hookgate_requests_total{route="ops",outcome="invalid_signature"}"#),
        1.0
    );
    assert_eq!(
        m(r#"hookgate_requests_total{route="_unmatched",outcome="not_found"}"#),
        1.0
    );
    assert_eq!(
        m(r#"hookgate_upstream_responses_total{route="ops",class="2xx"}"#),
        1.0
    );
    assert_eq!(
        m(r#"hookgate_upstream_responses_total{route="ops",class="5xx"}"#),
        1.0
    );
    assert_eq!(
        m(r#"hookgate_request_duration_seconds_count{route="ops"}"#),
        4.0
    );
    assert_eq!(
        m(r#"hookgate_verify_duration_seconds_count{route="ops"}"#),
        4.0
    );
    assert_eq!(m(r#"hookgate_dedup_entries{route="ops"}"#), 1.0);
    assert!(text.contains(r#"hookgate_verify_duration_seconds_bucket{route="ops",le="0.00005"}"#));
    assert!(text.contains(r#"le="30""#));
    assert!(text.contains("hookgate_config_reloads_total"));
    // Label values are route names and fixed words: no event ID, address or secret.
    for forbidden in ["evt_secret_id_1", "127.0.0.1", SECRET] {
        assert!(!text.contains(forbidden), "metrics contain {forbidden}");
    }
}

#[test]
fn health_and_readiness_and_drain_on_sigterm() {
    let up = Upstream::start();
    let mut gw = Gateway::start("grace_period = \"8s\"", &route(&up, "ops", SECRET));
    let admin = |path: &str| {
        let res = client()
            .get(gw.admin_url(path))
            .send()
            .unwrap_or_else(|e| panic!("the admin listener answers {path}: {e}"));
        (res.status().as_u16(), res.text().unwrap())
    };
    assert_eq!(admin("/healthz").0, 200);
    assert_eq!(admin("/readyz"), (200, "ready\n".to_string()));
    assert_eq!(send(&gw, "/ops", br#"{"id":"before"}"#, SECRET), 200);

    up.set(|b| b.delay = Duration::from_millis(2500));
    let port = gw.port;
    let in_flight = std::thread::spawn(move || {
        let body = br#"{"id":"slow"}"#;
        client()
            .post(format!("http://127.0.0.1:{port}/ops"))
            .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
            .body(body.to_vec())
            .send()
            .map(|r| {
                let connection = r.headers().get("connection").cloned();
                (r.status().as_u16(), connection)
            })
            .unwrap_or((0, None))
    });
    while up.count() < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    gw.signal("TERM");
    std::thread::sleep(Duration::from_millis(200));
    // New connections are not served while the in-flight request finishes.
    let refused = std::net::TcpStream::connect(("127.0.0.1", gw.port)).is_err()
        || send(&gw, "/ops", br#"{"id":"late"}"#, SECRET) == 0;
    assert!(refused, "new requests are not served while draining");
    // For the whole drain the admin listener answers: /readyz is 503 (an answer, not a refused
    // connection) and /metrics can be scraped.
    let mut scrapes = 0;
    let mut last_scrape = Duration::ZERO;
    while !in_flight.is_finished() {
        let at = started.elapsed();
        let (ready, text) = admin("/readyz");
        assert_eq!(
            (ready, text.as_str()),
            (503, "draining\n"),
            "{at:?} into the drain"
        );
        let (status, metrics) = admin("/metrics");
        assert_eq!(status, 200, "{at:?} into the drain");
        // 1, or 2 if the in-flight request was answered since the loop's check.
        let forwarded = metric_value(
            &metrics,
            r#"hookgate_requests_total{route="ops",outcome="forwarded"}"#,
        );
        assert!(
            forwarded == 1.0 || forwarded == 2.0,
            "{at:?} into the drain: {metrics}"
        );
        scrapes += 1;
        last_scrape = at;
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        scrapes >= 5 && last_scrape >= Duration::from_millis(1500),
        "scraped {scrapes} times, the last {last_scrape:?} into the drain"
    );
    let (status, connection) = in_flight.join().unwrap();
    assert_eq!(status, 200, "in-flight request finished");
    // The answer says the connection ends (as nginx does while draining), not `keep-alive`.
    assert_eq!(
        connection.as_ref().and_then(|c| c.to_str().ok()),
        Some("close"),
        "Connection header of the answer given while draining"
    );
    let status = exit_within(&mut gw.child, Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "exits once drained, before the 8 s grace"
    );
    assert_eq!(up.count(), 2);
}

#[test]
fn sighup_reloads_under_load_without_losing_a_request() {
    let up = Upstream::start();
    let gw = Arc::new(Gateway::start("", &route(&up, "ops", SECRET)));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..4)
        .map(|t| {
            let (gw, stop, sent, failed) = (gw.clone(), stop.clone(), sent.clone(), failed.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) && i < 2000 {
                    let body = format!(r#"{{"id":"load-{t}-{i}"}}"#);
                    // During the swap either secret may be current; both are accepted by the new config.
                    if send(&gw, "/ops", body.as_bytes(), SECRET) != 200 {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                    sent.fetch_add(1, Ordering::SeqCst);
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Dedup state must survive: deliver an event before the reload.
    assert_eq!(send(&gw, "/ops", br#"{"id":"before-reload"}"#, SECRET), 200);

    // New config: rotate in a second secret and add a route.
    let new = format!(
        "[server]\nlisten = \"127.0.0.1:{}\"\nadmin_listen = \"127.0.0.1:{}\"\nthreads = 2\n{}{}",
        gw.port,
        gw.admin_port,
        route(&up, "ops", SECRET).replace(
            &format!("secrets = [\"{SECRET}\"]"),
            &format!("secrets = [\"{SECRET}\", \"rotated\"]")
        ),
        route(&up, "added", "added-secret")
    );
    std::fs::write(&gw.config_path, new).unwrap();
    gw.signal("HUP");
    let until = Instant::now() + Duration::from_secs(5);
    while send(&gw, "/added", br#"{"id":"a"}"#, "added-secret") != 200 {
        assert!(Instant::now() < until, "reload did not take effect");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        send(&gw, "/ops", br#"{"id":"r"}"#, "rotated"),
        200,
        "new secret accepted"
    );
    let dup = client()
        .post(gw.url("/ops"))
        .header(
            "X-Signature",
            hmac_sha256_hex(SECRET.as_bytes(), &[br#"{"id":"before-reload"}"#]),
        )
        .body(r#"{"id":"before-reload"}"#)
        .send()
        .unwrap();
    assert_eq!(
        dup.headers()["x-hookgate-duplicate"],
        "true",
        "dedup state survived"
    );

    // A broken config is refused; the running one keeps serving.
    std::fs::write(&gw.config_path, "[server]\nlisten = 5\n").unwrap();
    gw.signal("HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(send(&gw, "/added", br#"{"id":"b"}"#, "added-secret"), 200);

    stop.store(true, Ordering::SeqCst);
    for t in load {
        t.join().unwrap();
    }
    assert!(sent.load(Ordering::SeqCst) > 20, "load ran");
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "no request lost during reloads"
    );
    assert_eq!(
        gw.metric(r#"hookgate_config_reloads_total{result="ok"}"#),
        1.0
    );
    assert_eq!(
        gw.metric(r#"hookgate_config_reloads_total{result="error"}"#),
        1.0
    );
}

#[test]
fn tls_listener_serves_https() {
    let up = Upstream::start();
    let dir = TempDir::new();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.write("tls.crt", &cert.cert.pem());
    let key_path = dir.write("tls.key", &cert.key_pair.serialize_pem());
    let gw = Gateway::start(
        &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"",
            cert_path.display(),
            key_path.display()
        ),
        &route(&up, "ops", SECRET),
    );
    let https = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve(
            "localhost",
            format!("127.0.0.1:{}", gw.port).parse().unwrap(),
        )
        .build()
        .unwrap();
    let body = br#"{"id":"tls"}"#;
    let res = https
        .post(format!("https://localhost:{}/ops", gw.port))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
        .body(body.to_vec())
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(up.received()[0].header("x-forwarded-proto"), Some("https"));
}

fn check(config: &str, env: &[(&str, &str)]) -> (bool, String) {
    let dir = TempDir::new();
    let path = dir.write("gateway.toml", config);
    let mut cmd = Command::new(bin());
    cmd.args(["check", "-c"]).arg(&path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn check_prints_routes_or_names_file_route_and_key() {
    let up = Upstream::start();
    let good = route(&up, "ops", "env:OPS_SECRET");
    let (ok, out) = check(&good, &[("OPS_SECRET", "x")]);
    assert!(ok, "{out}");
    assert!(out.contains("ops") && out.contains("/ops"), "{out}");

    let cases = [
        (format!("{good}tolerence = \"5m\"\n"), "tolerence"),
        (
            format!("{good}upstream_timeout = \"soon\"\n"),
            "key `upstream_timeout`",
        ),
        (good.clone(), "OPS_SECRET"),
        (format!("{good}{good}"), "key `name`: duplicate"),
        (
            format!("{good}allow_ips = [\"300.1.1.1/8\"]\n"),
            "key `allow_ips`",
        ),
        // `hmac` without `signature.timestamp_header` signs no timestamp: a window is meaningless.
        (
            format!("{good}tolerance = \"5m\"\n"),
            "key `tolerance`: provider \"hmac\" checks no signed timestamp",
        ),
    ];
    for (i, (config, expected)) in cases.iter().enumerate() {
        let env: &[(&str, &str)] = if i == 2 { &[] } else { &[("OPS_SECRET", "x")] };
        let (ok, out) = check(config, env);
        assert!(!ok, "case {i} should fail");
        assert!(
            out.contains("gateway.toml"),
            "case {i} names the file: {out}"
        );
        assert!(
            out.contains("route \"ops\""),
            "case {i} names the route: {out}"
        );
        assert!(out.contains(expected), "case {i} names {expected}: {out}");
    }
}

#[test]
fn sign_prints_headers_the_gateway_accepts() {
    let up = Upstream::start();
    let gw = Gateway::start("", &route(&up, "ops", SECRET));
    let body = r#"{"id":"signed-by-cli"}"#;
    let body_file = gw.dir.write("body.json", body);
    let out = Command::new(bin())
        .args(["sign", "-c"])
        .arg(&gw.config_path)
        .args(["--route", "ops", "--body"])
        .arg(&body_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let (name, value) = text.trim().split_once(": ").unwrap();
    assert_eq!(name, "X-Signature");
    let res = client()
        .post(gw.url("/ops"))
        .header(name, value)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn audit_log_has_one_json_line_per_webhook_without_secrets() {
    let up = Upstream::start();
    let gw = Gateway::start("", &route(&up, "ops", SECRET));
    let body = br#"{"id":"evt_audit","secret_field":"body-content-must-not-be-logged"}"#;
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &[body]);
    assert_eq!(send(&gw, "/ops", body, SECRET), 200);
    assert_eq!(send(&gw, "/ops", body, "wrong"), 401);
    std::thread::sleep(Duration::from_millis(200));
    let log = gw.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "hookgate::audit")
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["route"], "ops");
    assert_eq!(lines[0]["outcome"], "forwarded");
    assert_eq!(lines[0]["event_id"], "evt_audit");
    assert_eq!(lines[0]["upstream_status"], 200);
    assert_eq!(lines[0]["client_ip"], "127.0.0.1");
    assert!(lines[0]["duration_ms"].is_number() && lines[0]["verify_ms"].is_number());
    assert_eq!(lines[1]["outcome"], "invalid_signature");
    for forbidden in [SECRET, sig.as_str(), "body-content-must-not-be-logged"] {
        assert!(!log.contains(forbidden), "log contains {forbidden}");
    }
}

#[test]
fn https_upstreams_are_verified_and_used() {
    // The HTTPS upstream is a second hookgate with a TLS listener, in front of the recorder.
    let up = Upstream::start();
    let dir = TempDir::new();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_path = dir.write("tls.crt", &cert.cert.pem());
    let key_path = dir.write("tls.key", &cert.key_pair.serialize_pem());
    let tls_hop = Gateway::start(
        &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"",
            cert_path.display(),
            key_path.display()
        ),
        &route(&up, "ops", SECRET),
    );
    let front_route = route(&up, "ops", SECRET).replace(
        &up.url("/in"),
        &format!("https://127.0.0.1:{}/ops", tls_hop.port),
    );
    let cert_env = cert_path.display().to_string();
    let front = Gateway::start_with_env("", &front_route, &[("SSL_CERT_FILE", cert_env.as_str())]);
    assert_eq!(send(&front, "/ops", br#"{"id":"via-https"}"#, SECRET), 200);
    assert_eq!(up.count(), 1);
    assert_eq!(up.received()[0].header("x-forwarded-proto"), Some("https"));

    // Without the CA the upstream's certificate is refused: 502, nothing delivered.
    let untrusting = Gateway::start("", &front_route);
    assert_eq!(send(&untrusting, "/ops", br#"{"id":"no-ca"}"#, SECRET), 502);
    assert_eq!(up.count(), 1);
}

/// Issue 9's reload bug: a reload that is refused must not have changed anything of the running
/// configuration — here, the live dedup TTL of a route that comes before the bad key.
#[test]
fn refused_reload_leaves_running_dedup_settings_alone() {
    let up = Upstream::start();
    let gw = Gateway::start("", &route(&up, "a", SECRET));
    // Same route with a 1 s TTL, then a later route with a bad key: the whole reload is refused.
    let new = format!(
        "[server]\nlisten = \"127.0.0.1:{}\"\nadmin_listen = \"127.0.0.1:{}\"\nthreads = 2\n{}{}upstream_timeout = \"soon\"\n",
        gw.port,
        gw.admin_port,
        route(&up, "a", SECRET).replace("ttl = \"1h\"", "ttl = \"1s\""),
        route(&up, "b", SECRET)
    );
    std::fs::write(&gw.config_path, new).unwrap();
    gw.signal("HUP");
    let until = Instant::now() + Duration::from_secs(5);
    while gw.metric(r#"hookgate_config_reloads_total{result="error"}"#) < 1.0 {
        assert!(Instant::now() < until, "the reload was not refused");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = br#"{"id":"evt_Y"}"#;
    assert_eq!(send(&gw, "/a", body, SECRET), 200);
    std::thread::sleep(Duration::from_secs(2));
    let again = client()
        .post(gw.url("/a"))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
        .body(body.to_vec())
        .send()
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again
            .headers()
            .get("x-hookgate-duplicate")
            .map(|v| v.to_str().unwrap()),
        Some("true"),
        "still a duplicate under the 1h TTL that kept serving"
    );
    assert_eq!(up.count(), 1, "forwarded once");
    assert_eq!(
        gw.metric(r#"hookgate_config_reloads_total{result="ok"}"#),
        0.0
    );
}

/// The `hmac` route of these tests with its secrets as given (TOML array items).
fn route_with_secrets(upstream: &Upstream, name: &str, secrets: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\npath = \"/{name}\"\nupstream = \"{}\"\nprovider = \"hmac\"\nsecrets = [{secrets}]\nsignature = {{ header = \"X-Signature\" }}\n",
        upstream.url("/in")
    )
}

#[test]
fn newline_terminated_secret_file_relative_to_the_config_serves_from_another_directory() {
    let up = Upstream::start();
    let elsewhere = TempDir::new();
    // What `echo s3cret > s.txt` writes; the path is relative to the config's directory, and the
    // gateway's working directory is somewhere else.
    let gw = Gateway::launch(
        "",
        &route_with_secrets(&up, "ops", r#""file:s.txt""#),
        Launch {
            files: &[("s.txt", "s3cret\n")],
            cwd: Some(&elsewhere.0),
            ..Launch::default()
        },
    );
    let body = br#"{"id":"evt_file_secret"}"#;
    assert_eq!(send(&gw, "/ops", body, "s3cret"), 200);
    assert_eq!(send(&gw, "/ops", body, "s3cret\n"), 401);

    // `hookgate sign` signs with the trimmed value: its header equals an independent HMAC.
    let body_file = gw
        .dir
        .write("body.json", std::str::from_utf8(body).unwrap());
    let out = Command::new(bin())
        .current_dir(&elsewhere.0)
        .args(["sign", "-c"])
        .arg(&gw.config_path)
        .args(["--route", "ops", "--body"])
        .arg(&body_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!(
            "X-Signature: {}\n",
            hmac_sha256_hex(b"s3cret", &[body.as_slice()])
        )
    );
    let (name, value) = text.trim().split_once(": ").unwrap();
    let res = client()
        .post(gw.url("/ops"))
        .header(name, value)
        .body(&body[..])
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        gw.stderr().contains("removed one trailing line ending"),
        "run logs the notice: {}",
        gw.stderr()
    );
    assert!(!gw.log().contains("s3cret"));
}

/// `hookgate check -c <dir>/gateway.toml`, run from `cwd`.
fn check_from(cwd: &std::path::Path, config: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(bin())
        .current_dir(cwd)
        .args(["check", "-c"])
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_resolves_file_secrets_from_the_config_directory_and_reports_trimming() {
    let up = Upstream::start();
    let dir = TempDir::new();
    let elsewhere = TempDir::new();
    std::fs::create_dir_all(dir.0.join("secrets")).unwrap();
    dir.write("secrets/a.txt", "first-secret\r\n");
    dir.write("secrets/b.txt", "second-secret");
    let config = dir.write(
        "gateway.toml",
        &format!(
            "{}{}",
            route_with_secrets(&up, "a", r#""literal", "file:secrets/a.txt""#),
            route_with_secrets(&up, "b", r#""file:secrets/b.txt""#)
        ),
    );
    let (ok, out, err) = check_from(&elsewhere.0, &config);
    assert!(ok, "{out}{err}");
    let resolved = dir.0.join("secrets/a.txt");
    let notice = format!(
        "notice: {}: route \"a\": key `secrets[1]`: removed one trailing line ending from secret file {}",
        config.display(),
        resolved.display()
    );
    assert!(out.contains(&notice), "{out}");
    assert_eq!(out.matches("notice:").count(), 1, "no notice for b: {out}");
    for secret in ["first-secret", "second-secret", "literal"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    }

    // A missing file: the error names the config file, route, key and the full resolved path.
    std::fs::remove_file(dir.0.join("secrets/b.txt")).unwrap();
    let (ok, out, err) = check_from(&elsewhere.0, &config);
    assert!(!ok, "{out}");
    let expected = format!(
        "{}: route \"b\": key `secrets[0]`: cannot read secret file {} (file:secrets/b.txt, relative to the config file's directory)",
        config.display(),
        dir.0.join("secrets/b.txt").display()
    );
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn stdout_holds_only_json_audit_lines_and_diagnostics_go_to_stderr() {
    let up = Upstream::start();
    let mut gw = Gateway::start("grace_period = \"2s\"", &route(&up, "ops", SECRET));
    assert_eq!(send(&gw, "/ops", br#"{"id":"evt_log_1"}"#, SECRET), 200);
    assert_eq!(send(&gw, "/ops", br#"{"id":"evt_log_2"}"#, "wrong"), 401);
    assert_eq!(send(&gw, "/nowhere", b"{}", SECRET), 404);
    gw.signal("TERM");
    assert!(gw.child.wait().unwrap().success());

    let stdout = gw.stdout();
    let audit: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(audit.len(), 3, "{stdout}");
    assert!(audit.iter().all(|v| v["target"] == "hookgate::audit"));
    // Each worker thread writes its own batch of lines (README "Logs"), so lines of two threads
    // are in request order only by their timestamps, not by their place in the stream.
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let mut outcomes: Vec<(time::OffsetDateTime, &str)> = audit
        .iter()
        .map(|v| {
            let at = time::OffsetDateTime::parse(v["timestamp"].as_str().unwrap(), rfc3339);
            (at.unwrap(), v["outcome"].as_str().unwrap())
        })
        .collect();
    outcomes.sort();
    let outcomes: Vec<&str> = outcomes.into_iter().map(|(_, o)| o).collect();
    assert_eq!(outcomes, ["forwarded", "invalid_signature", "not_found"]);

    let stderr = gw.stderr();
    let diagnostics: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(
        diagnostics
            .iter()
            .any(|v| v["message"] == "hookgate starting"),
        "{stderr}"
    );
    // pingora's own lines (from the `log` crate) arrive, under their own target...
    assert!(
        diagnostics
            .iter()
            .any(|v| v["target"].as_str().unwrap().starts_with("pingora")),
        "{stderr}"
    );
    // ...without the build machine's source paths.
    for path in [".cargo", "registry/src", ".rs\"", "log.file"] {
        assert!(!stderr.contains(path), "{path} in {stderr}");
    }
    assert!(!stdout.contains("\x1b[") && !stderr.contains("\x1b["));
}

#[test]
fn text_logs_to_files_have_no_colour_and_hookgate_log_sets_the_level() {
    let up = Upstream::start();
    let mut gw = Gateway::launch(
        "",
        &route(&up, "ops", SECRET),
        Launch {
            args: &["--log-format", "text"],
            ..Launch::default()
        },
    );
    assert_eq!(send(&gw, "/ops", br#"{"id":"evt_text"}"#, SECRET), 200);
    gw.signal("TERM");
    assert!(gw.child.wait().unwrap().success());
    let (stdout, stderr) = (gw.stdout(), gw.stderr());
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("webhook") && stdout.contains("outcome=\"forwarded\""),
        "{stdout}"
    );
    assert!(stderr.contains("hookgate starting"), "{stderr}");
    assert!(
        !stdout.contains("\x1b[") && !stderr.contains("\x1b["),
        "{stderr}"
    );

    // HOOKGATE_LOG=warn: no INFO diagnostics (hookgate's or pingora's); the audit line stays.
    let mut quiet = Gateway::launch(
        "",
        &route(&up, "ops", SECRET),
        Launch {
            env: &[("HOOKGATE_LOG", "warn")],
            ..Launch::default()
        },
    );
    assert_eq!(send(&quiet, "/ops", br#"{"id":"evt_quiet"}"#, SECRET), 200);
    quiet.signal("TERM");
    assert!(quiet.child.wait().unwrap().success());
    assert_eq!(quiet.stdout().lines().count(), 1, "{}", quiet.stdout());
    assert!(!quiet.stderr().contains("INFO"), "{}", quiet.stderr());
}

#[test]
fn sendgrid_checks_no_timestamp_window_unless_the_route_sets_one() {
    // SendGrid's SDK (sendgrid-nodejs packages/eventwebhook) verifies the signature over
    // timestamp + body and checks no window; hookgate's default is the same.
    const SCALAR: [u8; 32] = [9u8; 32];
    let up = Upstream::start();
    let key = hookgate::providers::presets::sendgrid::public_key_base64(&SCALAR);
    let routes = format!(
        "[[route]]\nname = \"sg\"\npath = \"/sg\"\nupstream = \"{up}\"\nprovider = \"sendgrid\"\nsecrets = [\"{key}\"]\n\
         [[route]]\nname = \"sg5m\"\npath = \"/sg5m\"\nupstream = \"{up}\"\nprovider = \"sendgrid\"\nsecrets = [\"{key}\"]\ntolerance = \"5m\"\n",
        up = up.url("/in")
    );
    let gw = Gateway::start("", &routes);
    let body = br#"[{"event":"delivered"}]"#;
    let hour_ago = std::time::Duration::from_secs(now_unix() - 3600);
    let headers = http::HeaderMap::new();
    let post = |path: &str| {
        let url = gw.url(path);
        let signed = hookgate::providers::presets::sendgrid::sign_with_private_key(
            &SCALAR,
            &hookgate::providers::WebhookRequest {
                method: "POST",
                public_url: &url,
                headers: &headers,
                body,
                now: hour_ago,
            },
        );
        let mut req = client().post(&url).body(&body[..]);
        for (k, v) in signed {
            req = req.header(k, v);
        }
        req.send().unwrap().status().as_u16()
    };
    assert_eq!(post("/sg"), 200, "an hour-old timestamp passes by default");
    assert_eq!(post("/sg5m"), 401, "and is refused with tolerance = 5m");
}

/// Waits for `child` to exit, at most `deadline`; kills it (and fails) past that.
fn exit_within(child: &mut std::process::Child, deadline: Duration) -> std::process::ExitStatus {
    let until = Instant::now() + deadline;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `hookgate run` on `config` until it exits (at most 10 s): its status and stderr.
fn run_until_exit(config: &str) -> (std::process::ExitStatus, String) {
    let dir = TempDir::new();
    let path = dir.write("gateway.toml", config);
    let stderr_path = dir.0.join("stderr.log");
    let mut child = Command::new(bin())
        .args(["run", "-c"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let status = exit_within(&mut child, Duration::from_secs(10));
    (status, std::fs::read_to_string(&stderr_path).unwrap())
}

#[test]
fn a_listen_address_in_use_ends_start_up_with_an_error_naming_it() {
    let up = Upstream::start();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    // Port 0: the other listener gets a port of its own, never one another test took meanwhile.
    let free = "127.0.0.1:0".to_string();
    for (listen, admin, key) in [
        (&taken_addr, &free, "server.listen"),
        (&free, &taken_addr, "server.admin_listen"),
    ] {
        let config = format!(
            "[server]\nlisten = \"{listen}\"\nadmin_listen = \"{admin}\"\n{}",
            route(&up, "ops", SECRET)
        );
        let started = Instant::now();
        let (status, stderr) = run_until_exit(&config);
        assert_eq!(status.code(), Some(1), "{stderr}");
        // Not pingora's 30 s of retries: the bind is tried once, before anything serves.
        assert!(started.elapsed() < Duration::from_secs(5), "{stderr}");
        let line = stderr
            .lines()
            .find(|l| l.contains("cannot start"))
            .unwrap_or_else(|| panic!("no start-up error in {stderr}"));
        assert!(
            line.contains(&taken_addr) && line.contains(key) && line.contains("in use"),
            "{line}"
        );
        assert!(!stderr.contains("hookgate starting"), "{stderr}");
    }
    drop(taken);
}

/// A name no DNS answers (RFC 6761 `.invalid`); only a hosts file can make it resolve.
const LATE_HOST: &str = "upstream.hookgate.invalid";

fn route_to_host(host: &str, port: u16) -> String {
    format!(
        r#"
[[route]]
name = "late"
path = "/late"
upstream = "http://{host}:{port}/in"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature" }}
"#
    )
}

/// Whether this machine lets the test give the gateway its own `/etc/hosts` (a private mount
/// namespace: `unshare -m`, which needs root or user namespaces). Without it the test fails on
/// CI and is skipped locally.
fn private_mounts_available(test: &str) -> bool {
    let works = Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: `unshare -m` is needed on CI"
        );
        eprintln!("SKIP {test}: `unshare -m` is not available here");
    }
    works
}

#[test]
fn an_upstream_name_that_resolves_only_after_start_is_resolved_at_connect_time() {
    let test = "an_upstream_name_that_resolves_only_after_start_is_resolved_at_connect_time";
    if !private_mounts_available(test) {
        return;
    }
    let up = Upstream::start();
    // The gateway's /etc/hosts is this file, bind-mounted in its own mount namespace: the name is
    // resolved by the system resolver, as in production, and the machine's file is untouched.
    let hosts_dir = TempDir::new();
    let hosts = hosts_dir.write("hosts", "127.0.0.1 localhost\n");
    let hosts_arg = hosts.display().to_string();
    let wrapper = [
        "unshare",
        "-m",
        "sh",
        "-c",
        "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
        &hosts_arg,
    ];
    let gw = Gateway::launch(
        "",
        &route_to_host(LATE_HOST, up.port),
        Launch {
            wrapper: &wrapper,
            ..Launch::default()
        },
    );
    let body = br#"{"id":"early"}"#;
    assert_eq!(send(&gw, "/late", body, SECRET), 502, "{}", gw.stderr());
    assert_eq!(send(&gw, "/late", body, SECRET), 502);
    assert_eq!(up.count(), 0);
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="late",outcome="upstream_error"}"#),
        2.0
    );

    // The name appears (a Service created after the sidecar started).
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&hosts)
        .unwrap();
    writeln!(file, "127.0.0.1 {LATE_HOST}").unwrap();
    drop(file);
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let status = send(&gw, "/late", br#"{"id":"later"}"#, SECRET);
        if status != 502 || Instant::now() >= until {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, 200, "{}", gw.stderr());
    let received = up.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].header("host"),
        Some(format!("{LATE_HOST}:{}", up.port).as_str())
    );
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="late",outcome="forwarded"}"#),
        1.0
    );
    // Logged once per transition, not per request.
    let stderr = gw.stderr();
    let lines = |what: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(what) && l.contains(LATE_HOST))
            .count()
    };
    assert_eq!(lines("upstream host does not resolve"), 1, "{stderr}");
    assert_eq!(lines("upstream host resolves again"), 1, "{stderr}");
}

#[test]
fn check_warns_about_an_upstream_that_does_not_resolve_here_and_succeeds() {
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:8080\"\n{}",
        route_to_host(LATE_HOST, 3000)
    );
    let (ok, out) = check(&config, &[]);
    assert!(ok, "{out}");
    let notice = out
        .lines()
        .find(|l| l.starts_with("notice:") && l.contains(LATE_HOST))
        .unwrap_or_else(|| panic!("no notice in {out}"));
    assert!(
        notice.contains("route \"late\": key `upstream`") && notice.contains("does not resolve"),
        "{notice}"
    );
    // Literal addresses and names that resolve are not mentioned.
    let (ok, out) = check(
        &format!(
            "{config}{}{}",
            route_to_host("127.0.0.1", 3000)
                .replace("\"late\"", "\"literal\"")
                .replace("/late", "/literal"),
            route_to_host("localhost", 3000)
                .replace("\"late\"", "\"named\"")
                .replace("/late", "/named")
        ),
        &[],
    );
    assert!(ok, "{out}");
    assert_eq!(out.matches("notice:").count(), 1, "{out}");
}
