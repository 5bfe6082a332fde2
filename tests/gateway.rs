//! The core gateway against a real upstream: verify before forward, byte-identical bodies,
//! status codes, limits and the protocol rules of PRODUCT.md. In-process gateways
//! (tests/common/harness.rs); the binary is tested in operations.rs and providers_e2e.rs.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::harness::TestGateway;
use common::*;

const SECRET: &str = "It's a Secret to Everybody";

fn hmac_route(upstream: &Upstream, extra: &str) -> String {
    format!(
        r#"
[[route]]
name = "azotte"
path = "/webhooks/azotte"
upstream = "{}"
provider = "hmac"
secrets = ["env:AZOTTE_SECRET", "env:AZOTTE_SECRET_OLD"]
signature = {{ header = "Azotte-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
upstream_timeout = "2s"
{extra}
"#,
        upstream.url("/azotte")
    )
}

fn start(upstream: &Upstream, server_extra: &str, route_extra: &str) -> TestGateway {
    TestGateway::start_with_env(
        server_extra,
        &hmac_route(upstream, route_extra),
        &[
            ("AZOTTE_SECRET", SECRET),
            ("AZOTTE_SECRET_OLD", "an older secret"),
        ],
    )
}

fn signed(body: &[u8], secret: &str) -> String {
    format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), &[body]))
}

fn post(gw: &TestGateway, body: &[u8], signature: Option<&str>) -> reqwest::blocking::Response {
    let mut req = client()
        .post(gw.url("/webhooks/azotte?source=test"))
        .header("content-type", "application/json")
        .header("x-custom", "kept")
        .body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("Azotte-Signature", s);
    }
    req.send().unwrap()
}

#[test]
fn valid_signature_is_forwarded_byte_identical_with_headers() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    // GitHub's published example: secret "It's a Secret to Everybody", body "Hello, World!"
    // gives sha256=757107ea… (github/docs validating-webhook-deliveries.md).
    let body = b"Hello, World!";
    let sig = signed(body, SECRET);
    assert_eq!(
        sig,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
    let res = post(&gw, body, Some(&sig));
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["x-upstream"],
        "yes",
        "upstream headers come back"
    );
    assert_eq!(res.text().unwrap(), "{\"received\":true}");
    let got = up.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.target, "/azotte?source=test",
        "query string forwarded unchanged"
    );
    assert_eq!(r.body, body);
    assert_eq!(r.header("azotte-signature"), Some(sig.as_str()));
    assert_eq!(r.header("x-custom"), Some("kept"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(r.header("x-forwarded-proto"), Some("http"));
    assert_eq!(r.header("x-hookgate-route"), Some("azotte"));
    assert_eq!(r.header("x-hookgate-provider"), Some("hmac"));
}

#[test]
fn rejections_are_401_and_reach_nothing() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let body = br#"{"id":"evt_1","type":"x"}"#;
    let good = signed(body, SECRET);
    let cases: Vec<(&str, Vec<u8>, Option<String>)> = vec![
        (
            "tampered body",
            br#"{"id":"evt_2","type":"x"}"#.to_vec(),
            Some(good.clone()),
        ),
        ("wrong secret", body.to_vec(), Some(signed(body, "wrong"))),
        ("missing header", body.to_vec(), None),
        (
            "malformed header",
            body.to_vec(),
            Some("sha256=zz-not-hex".into()),
        ),
        (
            "missing prefix",
            body.to_vec(),
            Some(good.trim_start_matches("sha256=").into()),
        ),
    ];
    for (name, b, sig) in cases {
        let res = post(&gw, &b, sig.as_deref());
        assert_eq!(res.status(), 401, "{name}");
        let text = res.text().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(json["error"].is_string(), "{name}: {text}");
        assert!(!text.contains(SECRET), "{name}");
    }
    assert_eq!(up.count(), 0, "nothing reached the upstream");
}

#[test]
fn a_signature_header_sent_twice_is_refused() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let body = b"{}";
    let sig = signed(body, SECRET);
    let req = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nAzotte-Signature: {sig}\r\nAzotte-Signature: {sig}\r\n\r\n{{}}"
    );
    let res = raw_exchange(gw.port, req.as_bytes(), Duration::from_secs(2));
    assert_eq!(status_of(&res), Some(401), "{res}");
    assert_eq!(up.count(), 0);
}

#[test]
fn second_secret_matches_during_rotation() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let body = b"rotated";
    let res = post(&gw, body, Some(&signed(body, "an older secret")));
    assert_eq!(res.status(), 200);
    assert_eq!(up.count(), 1);
}

#[test]
fn bodies_past_pingoras_64k_retry_buffer_are_forwarded_whole() {
    let up = Upstream::start();
    let gw = start(&up, "", "max_body = \"2MiB\"");
    for size in [1024usize, 64 * 1024 + 1, 1024 * 1024] {
        let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let res = post(&gw, &body, Some(&signed(&body, SECRET)));
        assert_eq!(res.status(), 200, "size {size}");
        let got = up.received();
        assert_eq!(got.last().unwrap().body.len(), size);
        assert!(
            got.last().unwrap().body == body,
            "size {size}: bytes differ"
        );
    }
}

#[test]
fn oversize_bodies_get_413_by_length_and_chunked() {
    let up = Upstream::start();
    let gw = start(&up, "max_body = \"1KiB\"", "");
    let body = vec![b'a'; 2048];
    let res = post(&gw, &body, Some(&signed(&body, SECRET)));
    assert_eq!(res.status(), 413);

    // Chunked: refused as soon as the limit passes, without waiting for the end.
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAzotte-Signature: sha256=00\r\n\r\n").unwrap();
    for _ in 0..3 {
        s.write_all(b"200\r\n").unwrap();
        s.write_all(&[b'b'; 512]).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), Some(413));

    // Expect: 100-continue with an announced oversize body is refused at once, before any byte.
    let res = raw_exchange(
        gw.port,
        b"POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
        Duration::from_secs(2),
    );
    assert_eq!(status_of(&res), Some(413), "{res}");
    assert_eq!(up.count(), 0);
}

#[test]
fn expect_100_continue_is_answered_and_not_forwarded() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let body = b"{\"hello\":1}";
    let sig = signed(body, SECRET);
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nExpect: 100-continue\r\nAzotte-Signature: {sig}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The body is written only once the 100 has been read, as a client honouring `Expect` does:
    // a gateway that waited for the body first would leave this read to time out.
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100"),
        "got {:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    s.write_all(body).unwrap();
    let n = s.read(&mut buf).unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), Some(200));
    let got = up.received();
    assert_eq!(got[0].body, body);
    assert_eq!(got[0].header("expect"), None);
}

#[test]
fn unknown_path_is_404_and_other_methods_405() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let res = client().post(gw.url("/nope")).body("x").send().unwrap();
    assert_eq!(res.status(), 404);
    let res = client().get(gw.url("/webhooks/azotte")).send().unwrap();
    assert_eq!(res.status(), 405);
    let res = client()
        .put(gw.url("/webhooks/azotte"))
        .body("x")
        .send()
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(up.count(), 0);
}

#[test]
fn upstream_down_is_502_and_slow_upstream_504() {
    let port = free_port();
    let dead = format!(
        r#"
[[route]]
name = "dead"
path = "/dead"
upstream = "http://127.0.0.1:{port}/x"
provider = "hmac"
secrets = ["s"]
signature = {{ header = "X-Sig" }}
"#
    );
    let up = Upstream::start();
    up.set(|b| b.delay = Duration::from_secs(4));
    let gw = TestGateway::start_with_env(
        "",
        &format!("{}{dead}", hmac_route(&up, "")),
        &[("AZOTTE_SECRET", SECRET), ("AZOTTE_SECRET_OLD", "x")],
    );
    let res = client()
        .post(gw.url("/dead"))
        .header("X-Sig", hmac_sha256_hex(b"s", &[b"a"]))
        .body("a")
        .send()
        .unwrap();
    assert_eq!(res.status(), 502);

    let started = Instant::now();
    let res = post(&gw, b"slow", Some(&signed(b"slow", SECRET)));
    assert_eq!(res.status(), 504);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "upstream_timeout (2s) applies"
    );
}

#[test]
fn smuggling_shapes_are_400_and_not_forwarded() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let cases: [&[u8]; 4] = [
        b"POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"POST /webhooks/azotte HTTP/1.1\r\nContent-Length: 1\r\n\r\na",
        b"POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    ];
    for (i, req) in cases.iter().enumerate() {
        let res = raw_exchange(gw.port, req, Duration::from_secs(2));
        assert_eq!(status_of(&res), Some(400), "case {i}: {res}");
    }
    assert_eq!(up.count(), 0);
}

#[test]
fn oversize_head_is_431_and_long_uri_414() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let big = "a".repeat(70 * 1024);
    let req = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(
        status_of(&raw_exchange(
            gw.port,
            req.as_bytes(),
            Duration::from_secs(2)
        )),
        Some(431)
    );
    // Too many header fields is the same refusal (RFC 6585 §5), however small each one is.
    let many: String = (0..300).map(|i| format!("X-H{i}: v\r\n")).collect();
    let req =
        format!("POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\n{many}Content-Length: 0\r\n\r\n");
    assert_eq!(
        status_of(&raw_exchange(
            gw.port,
            req.as_bytes(),
            Duration::from_secs(2)
        )),
        Some(431)
    );
    let long = "b".repeat(9 * 1024);
    let req =
        format!("POST /webhooks/azotte?{long} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        status_of(&raw_exchange(
            gw.port,
            req.as_bytes(),
            Duration::from_secs(2)
        )),
        Some(414)
    );
}

#[test]
fn slow_senders_get_408_and_nothing_is_forwarded() {
    let up = Upstream::start();
    let gw = start(&up, "read_timeout = \"1s\"", "");
    let body = b"{\"slow\":true}";
    let sig = signed(body, SECRET);
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nAzotte-Signature: {sig}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // trickle the body: one byte every 300 ms would take ~4 s
    let started = Instant::now();
    let mut answer = String::new();
    for b in body.iter() {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        let mut buf = [0u8; 256];
        s.set_nonblocking(true).unwrap();
        if let Ok(n) = s.read(&mut buf) {
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
            s.set_nonblocking(false).unwrap();
            break;
        }
        s.set_nonblocking(false).unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    // No 408 seen yet: the gateway must then close the connection (EOF or reset), not hang or
    // answer anything else.
    let mut closed = false;
    if answer.is_empty() {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(0) => closed = true,
            Ok(n) => answer.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) => {
                assert!(
                    !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ),
                    "neither a 408 nor a closed connection: {e}"
                );
                closed = true;
            }
        }
    }
    assert!(closed || status_of(&answer) == Some(408), "{answer}");
    assert_eq!(up.count(), 0, "nothing forwarded");
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let up = Upstream::start();
    let gw = start(&up, "idle_timeout = \"1s\"", "");
    let body = b"keep";
    let sig = signed(body, SECRET);
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nAzotte-Signature: {sig}\r\n\r\nkeep"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), Some(200));
    // The same connection serves a second request...
    s.write_all(req.as_bytes()).unwrap();
    let n = s.read(&mut buf).unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), Some(200));
    // ...and is closed by the gateway once idle past idle_timeout.
    let started = Instant::now();
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed without a response");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(up.count(), 2);
}

/// The idle wait and the head read have separate bounds, told apart by when the request's first
/// byte came (the listener no longer peeks): a head trickled after its first byte is cut at
/// `read_timeout` (not `idle_timeout + read_timeout`), and a request that begins after an idle
/// spell longer than `read_timeout` is served (the idle time is not charged to it).
#[test]
fn read_timeout_counts_from_the_first_byte_not_from_the_idle_wait() {
    let up = Upstream::start();
    let gw = start(&up, "idle_timeout = \"20s\"\nread_timeout = \"1s\"", "");
    let body = b"{}";
    let req = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nAzotte-Signature: {}\r\n\r\n{{}}",
        signed(body, SECRET)
    );
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Idle for 1.5 × read_timeout, then a whole request: served.
    std::thread::sleep(Duration::from_millis(1500));
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), Some(200));
    // On the same connection, after another idle spell, a head sent one byte every 300 ms.
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let mut answer = String::new();
    for b in req.as_bytes() {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        s.set_nonblocking(true).unwrap();
        let read = s.read(&mut buf);
        s.set_nonblocking(false).unwrap();
        match read {
            Ok(n) => {
                answer.push_str(&String::from_utf8_lossy(&buf[..n]));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "not cut at read_timeout"
        );
    }
    assert!(
        answer.is_empty() || status_of(&answer) == Some(408),
        "{answer}"
    );
    assert_eq!(up.count(), 1, "the trickled request is not forwarded");
}

#[test]
fn hop_by_hop_and_spoofed_gateway_headers_are_not_forwarded() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let body = b"{}";
    let res = client()
        .post(gw.url("/webhooks/azotte"))
        .header("Azotte-Signature", signed(body, SECRET))
        .header("Connection", "keep-alive, X-Drop-Me, X-Forwarded-For")
        .header("X-Drop-Me", "1")
        .header("X-Hookgate-Route", "spoofed")
        .header("X-Hookgate-Event-Id", "spoofed")
        .header("Keep-Alive", "timeout=5")
        .body(body.to_vec())
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let r = &up.received()[0];
    assert_eq!(r.header("x-drop-me"), None, "nominated by Connection");
    assert_eq!(r.header("keep-alive"), None);
    assert_eq!(r.header("x-hookgate-route"), Some("azotte"));
    assert_eq!(
        r.header("x-hookgate-event-id"),
        None,
        "the route has no dedup: no ID is vouched for"
    );
    assert_eq!(
        r.header("x-forwarded-for"),
        Some("127.0.0.1"),
        "Connection cannot strip it"
    );
    assert_eq!(
        r.header("host"),
        Some(format!("127.0.0.1:{}", up.port).as_str())
    );
}

/// Reads one HTTP/1.1 response with a `Content-Length` body from `s`: (head, body).
fn read_response(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("a Content-Length");
            if got.len() >= end + 4 + length {
                return (head, got[end + 4..end + 4 + length].to_vec());
            }
        }
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "connection closed mid-response: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

/// The upstream's answer is relayed with the header the gateway rebuilds for the client (room for
/// the writer's own headers, bench/FINDINGS.md §12): a valid IMF-fixdate `Date`, `Connection:
/// keep-alive`, the upstream's header names in their own case, its hop-by-hop headers (and those
/// its `Connection` nominates) dropped, its reason phrase kept; and the connection serves a second
/// request, forwarded head and body intact.
#[test]
fn relayed_answers_have_a_valid_date_the_upstreams_header_case_and_keep_the_connection() {
    let up = Upstream::start();
    up.set(|b| {
        b.extra_headers = vec![
            ("X-Request-ID".into(), "req-42".into()),
            ("Connection".into(), "keep-alive, X-Private".into()),
            ("X-Private".into(), "hop".into()),
            ("Keep-Alive".into(), "timeout=5".into()),
        ]
    });
    let gw = start(&up, "", "");
    let body = br#"{"id":"evt_date","n":1}"#;
    let sig = signed(body, SECRET);
    let req = format!(
        "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nAzotte-Signature: {sig}\r\n\r\n{}",
        body.len(),
        String::from_utf8_lossy(body)
    );
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let fixdate = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .unwrap();
    for _ in 0..2 {
        s.write_all(req.as_bytes()).unwrap();
        let (head, answer) = read_response(&mut s);
        // The test upstream says `200 Status`: its reason phrase is relayed.
        assert!(head.starts_with("HTTP/1.1 200 Status\r\n"), "{head}");
        assert_eq!(answer, b"{\"received\":true}");
        let header = |name: &str| {
            head.lines()
                .filter_map(|l| l.split_once(':'))
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(n, v)| (n.to_string(), v.trim().to_string()))
                .collect::<Vec<_>>()
        };
        let date = header("date");
        assert_eq!(date.len(), 1, "one Date: {head}");
        let date = time::PrimitiveDateTime::parse(&date[0].1, &fixdate)
            .unwrap_or_else(|e| panic!("Date {:?} is an IMF-fixdate: {e}", date[0].1))
            .assume_utc();
        let skew = (time::OffsetDateTime::now_utc() - date).abs();
        assert!(skew < time::Duration::minutes(5), "Date is now: {date}");
        assert_eq!(
            header("connection"),
            vec![("Connection".into(), "keep-alive".into())]
        );
        assert_eq!(
            header("x-request-id"),
            vec![("X-Request-ID".into(), "req-42".into())]
        );
        assert!(
            header("x-private").is_empty(),
            "nominated by Connection: {head}"
        );
        assert!(header("keep-alive").is_empty(), "hop-by-hop: {head}");
    }
    let got = up.received();
    assert_eq!(got.len(), 2, "both requests forwarded");
    for r in &got {
        assert_eq!(r.body, body, "body intact");
        assert_eq!(r.header("azotte-signature"), Some(sig.as_str()));
        assert_eq!(
            r.header("content-length"),
            Some(body.len().to_string().as_str())
        );
    }
}

/// Review round 5: answering `Expect: 100-continue` does not cost the connection. pingora 0.9.1
/// turns keep-alive off when any response header, the 1xx included, is written before the body
/// is read (`close_on_response_before_downstream_finish`), so every such request used to be
/// answered `Connection: close` (clients sending `Expect`, .NET's HttpWebRequest by default and
/// curl for large bodies, reconnected each time). The second request on the connection, sent with
/// its body at once and pipelined behind a third, is served too.
#[test]
fn expect_100_continue_keeps_the_connection_alive() {
    let up = Upstream::start();
    let gw = start(&up, "", "");
    let request = |id: u32, expect: bool| {
        let body = format!(r#"{{"id":"evt_expect_{id}"}}"#);
        let head = format!(
            "POST /webhooks/azotte HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n{}Azotte-Signature: {}\r\n\r\n",
            body.len(),
            if expect { "Expect: 100-continue\r\n" } else { "" },
            signed(body.as_bytes(), SECRET)
        );
        (head, body)
    };
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();

    let (head, body) = request(1, true);
    s.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 25];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(body.as_bytes()).unwrap();
    let (answer, _) = read_response(&mut s);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Connection: keep-alive"), "{answer}");

    let (head2, body2) = request(2, true);
    let (head3, body3) = request(3, false);
    s.write_all(format!("{head2}{body2}{head3}{body3}").as_bytes())
        .unwrap();
    let mut buf = [0u8; 25];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 100 Continue\r\n\r\n");
    for n in [2, 3] {
        let (answer, _) = read_response(&mut s);
        assert!(answer.starts_with("HTTP/1.1 200"), "request {n}: {answer}");
    }
    assert_eq!(up.count(), 3);
}

/// A gateway whose route forwards to the raw upstream on `port`; returns it and a signed
/// request (`Connection: close` from the client, so the answer ends with the connection).
fn gateway_to_raw(port: u16) -> (TestGateway, Vec<u8>) {
    let route = format!(
        "[[route]]\nname = \"raw\"\npath = \"/hook\"\nupstream = \"http://127.0.0.1:{port}/raw\"\nprovider = \"hmac\"\nsecrets = [\"env:AZOTTE_SECRET\"]\nsignature = {{ header = \"Azotte-Signature\", algorithm = \"sha256\", encoding = \"hex\", prefix = \"sha256=\" }}\n"
    );
    let gw = TestGateway::start_with_env("", &route, &[("AZOTTE_SECRET", SECRET)]);
    let body = br#"{"id":"evt_raw"}"#;
    let request = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\nAzotte-Signature: {}\r\n\r\n{}",
        body.len(),
        signed(body, SECRET),
        String::from_utf8_lossy(body)
    );
    (gw, request.into_bytes())
}

/// An intermediary sends its own HTTP version, not the upstream's (RFC 9110 §2.5): an upstream
/// answering `HTTP/1.0` reaches the client as an `HTTP/1.1` answer, status, reason and body kept.
#[test]
fn an_http_1_0_upstream_answer_reaches_the_client_as_http_1_1() {
    let port = upstream::raw_upstream(b"HTTP/1.0 201 Made\r\nContent-Length: 2\r\n\r\nok", true);
    let (gw, request) = gateway_to_raw(port);
    let answer = raw_exchange(gw.port, &request, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 201 Made\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
}

/// The gateway never asks the upstream to switch protocols (`Upgrade` is hop-by-hop and not
/// forwarded), so a `101` is an upstream protocol error: the client gets 502, not a `101`
/// followed by the upstream's raw bytes.
#[test]
fn an_unsolicited_101_from_the_upstream_is_a_502() {
    let port = upstream::raw_upstream(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw bytes",
        true,
    );
    let (gw, request) = gateway_to_raw(port);
    let answer = raw_exchange(gw.port, &request, Duration::from_secs(10));
    assert_eq!(status_of(&answer), Some(502), "{answer}");
    assert!(!answer.contains("raw bytes"), "{answer}");
}

/// An upstream answer with neither `Content-Length` nor chunking ends with its connection
/// (RFC 9112 §6.3 rule 8); relayed the same way, the client's connection ends with it too, so
/// the answer says `Connection: close`, not `keep-alive`.
#[test]
fn a_close_delimited_upstream_answer_is_relayed_with_connection_close() {
    let port = upstream::raw_upstream(
        b"HTTP/1.1 200 OK\r\nX-Framing: none\r\n\r\nuntil close",
        true,
    );
    let (gw, _) = gateway_to_raw(port);
    let body = br#"{"id":"evt_raw"}"#;
    let request = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nAzotte-Signature: {}\r\n\r\n{}",
        body.len(),
        signed(body, SECRET),
        String::from_utf8_lossy(body)
    );
    let answer = raw_exchange(gw.port, request.as_bytes(), Duration::from_secs(10));
    let (head, relayed) = answer.split_once("\r\n\r\n").expect("a whole head");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(head.contains("\r\nConnection: close"), "{answer}");
    assert!(
        !head.to_ascii_lowercase().contains("keep-alive"),
        "{answer}"
    );
    assert_eq!(relayed, "until close");
}
