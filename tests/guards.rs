//! Guards against a real upstream: IP allowlists, trusted proxies, rate limits, event-ID dedup
//! (claim, commit on 2xx, release on failure, client disconnects) and event filters. In-process
//! gateways (tests/common/harness.rs), except the dual-stack one, which is the binary.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::harness::TestGateway;
use common::*;

const SECRET: &str = "guard-secret";

fn route(upstream: &Upstream, extra: &str) -> String {
    format!(
        r#"
[[route]]
name = "events"
path = "/hook"
upstream = "{}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
upstream_timeout = "1s"
{extra}
"#,
        upstream.url("/in")
    )
}

fn event(id: &str, kind: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"{kind}","data":{{"amount":100}}}}"#).into_bytes()
}

fn send(gw: &TestGateway, body: &[u8], xff: Option<&str>) -> reqwest::blocking::Response {
    let mut req = client()
        .post(gw.url("/hook"))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
        .body(body.to_vec());
    if let Some(x) = xff {
        req = req.header("X-Forwarded-For", x);
    }
    req.send().unwrap()
}

#[test]
fn ip_allowlist_refuses_others_before_reading_the_body() {
    let up = Upstream::start();
    let gw = TestGateway::start(
        "",
        &route(&up, r#"allow_ips = ["203.0.113.0/24", "2001:db8::/32"]"#),
    );
    let res = send(&gw, &event("a", "t"), None);
    assert_eq!(res.status(), 403);
    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    let res = send(&gw, &event("a", "t"), Some("203.0.113.5"));
    assert_eq!(res.status(), 403);
    assert_eq!(up.count(), 0);
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="events",outcome="ip_denied"}"#),
        2.0
    );
}

#[test]
fn ipv4_mapped_ipv6_peer_matches_ipv4_cidrs() {
    let up = Upstream::start();
    let dual = DualStack::start(&up, r#"allow_ips = ["127.0.0.1/32"]"#);
    let body = event("b", "t");
    let v4 = client()
        .post(format!("http://127.0.0.1:{}/hook", dual.port))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[&body]))
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(v4.status(), 200, "::ffff:127.0.0.1 is 127.0.0.1");
    let v6 = client()
        .post(format!("http://[::1]:{}/hook", dual.port))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[&body]))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(v6.status(), 403, "::1 is not in 127.0.0.1/32");
}

/// A gateway listening on `[::]` (dual stack).
struct DualStack {
    _gw: std::process::Child,
    port: u16,
    _dir: TempDir,
}

impl DualStack {
    fn start(up: &Upstream, extra: &str) -> DualStack {
        let port = free_port();
        let dir = TempDir::new();
        let path = dir.write(
            "gateway.toml",
            &format!(
                "[server]\nlisten = \"[::]:{port}\"\nthreads = 1\n{}",
                route(up, extra)
            ),
        );
        let child = std::process::Command::new(bin())
            .args(["run", "-c"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "dual-stack gateway did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        DualStack {
            _gw: child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for DualStack {
    fn drop(&mut self) {
        let _ = self._gw.kill();
        let _ = self._gw.wait();
    }
}

#[test]
fn trusted_proxy_yields_the_rightmost_untrusted_forwarded_address() {
    let up = Upstream::start();
    let gw = TestGateway::start(
        r#"trusted_proxies = ["127.0.0.0/8", "10.0.0.0/8"]"#,
        &route(&up, r#"allow_ips = ["203.0.113.7/32"]"#),
    );
    // client 203.0.113.7 → proxy 10.0.0.5 → gateway (peer 127.0.0.1, trusted)
    assert_eq!(
        send(&gw, &event("a", "t"), Some("203.0.113.7, 10.0.0.5")).status(),
        200
    );
    // A client-supplied left-most entry is not believed: 198.51.100.1 is the right-most untrusted.
    assert_eq!(
        send(&gw, &event("b", "t"), Some("203.0.113.7, 198.51.100.1")).status(),
        403
    );
    assert_eq!(up.count(), 1);
    let got = &up.received()[0];
    assert_eq!(
        got.header("x-forwarded-for"),
        Some("203.0.113.7, 10.0.0.5, 127.0.0.1")
    );
}

#[test]
fn rate_limit_answers_429_with_retry_after_and_forwards_nothing_more() {
    let up = Upstream::start();
    let gw = TestGateway::start(
        "",
        &route(&up, "rate_limit = { per_second = 0.2, burst = 2 }"),
    );
    assert_eq!(send(&gw, &event("1", "t"), None).status(), 200);
    assert_eq!(send(&gw, &event("2", "t"), None).status(), 200);
    let res = send(&gw, &event("3", "t"), None);
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    assert_eq!(up.count(), 2);
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="events",outcome="rate_limited"}"#),
        1.0
    );
}

#[test]
fn per_client_rate_limit_keeps_one_senders_flood_from_others() {
    let up = Upstream::start();
    let gw = TestGateway::start(
        r#"trusted_proxies = ["127.0.0.1/32"]"#,
        &route(
            &up,
            r#"rate_limit = { per_second = 0.1, burst = 1, key = "client_ip" }"#,
        ),
    );
    let flood = Some("198.51.100.66");
    assert_eq!(send(&gw, &event("1", "t"), flood).status(), 200);
    for _ in 0..5 {
        assert_eq!(send(&gw, b"forged", flood).status(), 429);
    }
    // The provider's real delivery from another address still gets through.
    assert_eq!(
        send(&gw, &event("2", "t"), Some("203.0.113.9")).status(),
        200
    );
}

fn dedup_route(up: &Upstream, extra: &str) -> String {
    route(
        up,
        &format!("dedup = {{ ttl = \"1h\", id = \"json:/id\" }}\n{extra}"),
    )
}

#[test]
fn delivered_event_is_a_duplicate_afterwards() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    let body = event("evt_dup", "t");
    let first = send(&gw, &body, None);
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("x-hookgate-duplicate").is_none());
    let again = send(&gw, &body, None);
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["x-hookgate-duplicate"], "true");
    assert_eq!(up.count(), 1);
    assert_eq!(
        up.received()[0].header("x-hookgate-event-id"),
        Some("evt_dup")
    );
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="events",outcome="duplicate"}"#),
        1.0
    );
    assert_eq!(gw.metric(r#"hookgate_dedup_entries{route="events"}"#), 1.0);
}

#[test]
fn failed_delivery_releases_the_id_so_the_retry_gets_through() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    let body = event("evt_retry", "t");
    up.set(|b| b.status = 500);
    assert_eq!(send(&gw, &body, None).status(), 500);
    up.set(|b| b.status = 200);
    assert_eq!(send(&gw, &body, None).status(), 200);
    assert_eq!(
        send(&gw, &body, None).headers()["x-hookgate-duplicate"],
        "true"
    );
    assert_eq!(up.count(), 2);
}

#[test]
fn hanging_upstream_times_out_and_releases_the_claim() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    let body = event("evt_hang", "t");
    up.set(|b| b.delay = Duration::from_secs(3));
    let started = Instant::now();
    assert_eq!(send(&gw, &body, None).status(), 504);
    assert!(started.elapsed() < Duration::from_millis(2500));
    up.set(|b| b.delay = Duration::ZERO);
    assert_eq!(send(&gw, &body, None).status(), 200, "not stuck in flight");
}

#[test]
fn same_id_while_in_flight_gets_409_with_retry_after() {
    let up = Upstream::start();
    let gw = Arc::new(TestGateway::start("", &dedup_route(&up, "")));
    up.set(|b| b.delay = Duration::from_millis(800));
    let body = event("evt_slow", "t");
    let (g, b) = (gw.clone(), body.clone());
    let first = std::thread::spawn(move || send(&g, &b, None).status());
    std::thread::sleep(Duration::from_millis(300));
    let second = send(&gw, &body, None);
    assert_eq!(second.status(), 409);
    assert!(
        second.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(first.join().unwrap(), 200);
    assert_eq!(up.count(), 1);
}

/// Sends a signed request and closes the connection before the answer.
fn send_and_disconnect(gw: &TestGateway, body: &[u8]) {
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    let head = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nX-Signature: {}\r\n\r\n",
        body.len(),
        hmac_sha256_hex(SECRET.as_bytes(), &[body])
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(s);
}

#[test]
fn client_disconnect_does_not_cancel_delivery_2xx_commits() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    up.set(|b| b.delay = Duration::from_millis(500));
    let body = event("evt_gone_ok", "t");
    send_and_disconnect(&gw, &body);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(up.count(), 1, "the upstream request was completed");
    up.set(|b| b.delay = Duration::ZERO);
    let retry = send(&gw, &body, None);
    assert_eq!(
        retry.headers()["x-hookgate-duplicate"],
        "true",
        "the app already has it"
    );
    assert_eq!(up.count(), 1);
}

#[test]
fn client_disconnect_does_not_cancel_delivery_500_releases() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    up.set(|b| {
        b.delay = Duration::from_millis(500);
        b.status = 500;
    });
    let body = event("evt_gone_500", "t");
    send_and_disconnect(&gw, &body);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(up.count(), 1);
    up.set(|b| {
        b.delay = Duration::ZERO;
        b.status = 200;
    });
    let retry = send(&gw, &body, None);
    assert_eq!(retry.status(), 200);
    assert!(retry.headers().get("x-hookgate-duplicate").is_none());
    assert_eq!(up.count(), 2);
}

#[test]
fn fifty_concurrent_requests_with_one_id_reach_the_upstream_once() {
    let up = Upstream::start();
    let gw = Arc::new(TestGateway::start("", &dedup_route(&up, "")));
    up.set(|b| b.delay = Duration::from_millis(300));
    let body = Arc::new(event("evt_race", "t"));
    let barrier = Arc::new(Barrier::new(50));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (gw, body, barrier) = (gw.clone(), body.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                send(&gw, &body, None).status().as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(up.count(), 1, "exactly one delivery");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
}

#[test]
fn forged_requests_cannot_burn_an_event_id() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    let body = event("evt_target", "t");
    let forged = client()
        .post(gw.url("/hook"))
        .header("X-Signature", hmac_sha256_hex(b"attacker", &[&body]))
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(forged.status(), 401);
    let real = send(&gw, &body, None);
    assert_eq!(real.status(), 200);
    assert!(real.headers().get("x-hookgate-duplicate").is_none());
    assert_eq!(up.count(), 1);
}

#[test]
fn a_verified_request_without_an_id_is_forwarded() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &dedup_route(&up, ""));
    let body = br#"{"type":"no.id"}"#;
    assert_eq!(send(&gw, body, None).status(), 200);
    assert_eq!(send(&gw, body, None).status(), 200);
    assert_eq!(up.count(), 2);
}

#[test]
fn event_filter_forwards_listed_types_and_acknowledges_the_rest() {
    let up = Upstream::start();
    let gw = TestGateway::start(
        "",
        &route(
            &up,
            "events = [\"payment_intent.succeeded\"]\nevent_type = \"json:/type\"",
        ),
    );
    let ok = send(&gw, &event("1", "payment_intent.succeeded"), None);
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().get("x-hookgate-filtered").is_none());
    let other = send(&gw, &event("2", "charge.failed"), None);
    assert_eq!(other.status(), 200);
    assert_eq!(other.headers()["x-hookgate-filtered"], "true");
    assert_eq!(up.count(), 1);
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="events",outcome="filtered"}"#),
        1.0
    );
    assert_eq!(
        gw.metric(r#"hookgate_requests_total{route="events",outcome="forwarded"}"#),
        1.0
    );
}

/// Two gateways in one process keep their own metrics (registries are per gateway).
#[test]
fn two_in_process_gateways_count_separately() {
    let up = Upstream::start();
    let a = common::harness::TestGateway::start("", &dedup_route(&up, ""));
    let b = common::harness::TestGateway::start("", &dedup_route(&up, ""));
    let body = event("evt_two_a", "t");
    let answer = client()
        .post(a.url("/hook"))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[&body]))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
    let forwarded = r#"hookgate_requests_total{route="events",outcome="forwarded"}"#;
    assert_eq!(a.metric(forwarded), 1.0);
    assert_eq!(b.metric(forwarded), 0.0);
}

/// A gateway started after an earlier one in the same process stopped comes up and serves.
#[test]
fn in_process_gateways_start_one_after_another() {
    let up = Upstream::start();
    for round in 0..3 {
        let gw = common::harness::TestGateway::start("", &dedup_route(&up, ""));
        let body = event(&format!("evt_seq_{round}"), "t");
        let answer = client()
            .post(gw.url("/hook"))
            .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[&body]))
            .body(body)
            .send()
            .unwrap();
        assert_eq!(answer.status(), 200, "round {round}");
    }
    assert_eq!(up.count(), 3);
}
