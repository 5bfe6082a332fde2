//! Request-path hardening (issue 10): Transfer-Encoding and chunk framing, forwarding headers,
//! methods, size defaults, the body memory bound, event IDs without dedup, HTTP/1.0 clients.
//! Every case goes through the real binary to a real upstream on 127.0.0.1. (The in-process
//! harness could not start a second gateway in one test process on this branch's base.)

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

const SECRET: &str = "It's a Secret to Everybody";

fn hmac_route(up: &Upstream, extra: &str) -> String {
    format!(
        r#"
[[route]]
name = "azotte"
path = "/hook"
upstream = "{}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "Azotte-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
upstream_timeout = "2s"
{extra}
"#,
        up.url("/up")
    )
}

fn sig(body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
}

/// A raw request with `extra` header lines (each ending CRLF) and `body` bytes as sent.
fn raw(port: u16, extra: &str, body: &[u8]) -> (String, Duration) {
    let mut req =
        format!("POST /hook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n").into_bytes();
    req.extend_from_slice(body);
    let started = Instant::now();
    let out = raw_exchange(port, &req, Duration::from_secs(5));
    (out, started.elapsed())
}

// ---- 1. Transfer-Encoding framing ----

#[test]
fn transfer_encoding_other_than_one_chunked_is_refused_and_nothing_forwarded() {
    let up = Upstream::start();
    let gw = Gateway::start("", &hmac_route(&up, ""));
    let body = b"{\"id\":1}";
    let chunked_body = format!(
        "{:x}\r\n{}\r\n0\r\n\r\n",
        body.len(),
        String::from_utf8_lossy(body)
    );
    let s = sig(body);
    let cases: &[(&str, u16)] = &[
        ("Transfer-Encoding: chunked, chunked\r\n", 400),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            400,
        ),
        ("Transfer-Encoding: gzip, chunked\r\n", 400),
        ("Transfer-Encoding: chunked;q=1\r\n", 400),
        ("Transfer-Encoding: gzip\r\n", 501),
        ("Transfer-Encoding: identity\r\n", 501),
    ];
    for (te, want) in cases {
        let (out, took) = raw(
            gw.port,
            &format!("{te}Azotte-Signature: {s}\r\n"),
            chunked_body.as_bytes(),
        );
        assert_eq!(status_of(&out), Some(*want), "{te:?}: {out}");
        assert!(
            out.to_ascii_lowercase().contains("connection: close"),
            "{te:?} closes: {out}"
        );
        assert!(
            took < Duration::from_secs(4),
            "{te:?}: answered at once, then closed"
        );
    }
    // Case and whitespace do not matter for the one valid form.
    let (out, _) = raw(
        gw.port,
        &format!("Transfer-Encoding:  ChUnKeD \r\nAzotte-Signature: {s}\r\nConnection: close\r\n"),
        chunked_body.as_bytes(),
    );
    assert_eq!(status_of(&out), Some(200), "{out}");
    let got = up.received();
    assert_eq!(got.len(), 1, "only the valid request was forwarded");
    assert_eq!(got[0].body, body);
}

#[test]
fn a_chunk_size_line_that_is_not_hex_is_refused_at_once() {
    let up = Upstream::start();
    let gw = Gateway::start("", &hmac_route(&up, ""));
    let hello = b"hello";
    let s = sig(hello);
    let head = format!("Transfer-Encoding: chunked\r\nAzotte-Signature: {s}\r\n");
    // The issue's two framings of an empty size line: read as the last chunk (was forwarded),
    // and as the first line (was a hang until the read timeout); then the kind's other members.
    let bodies: &[&[u8]] = &[
        b"5\r\nhello\r\n\r\n",
        b"\r\n5\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello\r\n;ext\r\n\r\n",
        b"5\r\nhello\r\n 0\r\n\r\n",
        b"5\r\nhello\r\n0x0\r\n\r\n",
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"10000000000000005\r\nhello\r\n0\r\n\r\n",
    ];
    for body in bodies {
        let (out, took) = raw(gw.port, &head, body);
        assert_eq!(
            status_of(&out),
            Some(400),
            "{:?}: {out}",
            String::from_utf8_lossy(body)
        );
        assert!(
            took < Duration::from_secs(4),
            "{:?} hung",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(up.count(), 0, "nothing forwarded");

    // The same bytes correctly framed (extensions and trailers allowed) are forwarded.
    let (out, _) = raw(
        gw.port,
        &format!("{head}Connection: close\r\n"),
        b"2;name=v\r\nhe\r\n3\r\nllo\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    assert_eq!(status_of(&out), Some(200), "{out}");
    assert_eq!(up.received()[0].body, hello);
}

#[test]
fn a_bad_chunk_line_arriving_later_is_refused_without_waiting() {
    let up = Upstream::start();
    let gw = Gateway::start("", &hmac_route(&up, ""));
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAzotte-Signature: {}\r\n\r\n5\r\nhello\r\n",
        sig(b"hello")
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    s.write_all(b"\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert_eq!(status_of(&out), Some(400), "{out}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(up.count(), 0);
}

// ---- 2. Forwarding headers ----

const FORGED: &str = "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: attacker.example\r\nX-Real-IP: 6.6.6.7\r\nForwarded: for=6.6.6.8;host=attacker.example;proto=https\r\n";

#[test]
fn forwarding_headers_from_an_untrusted_peer_are_replaced_or_removed() {
    let up = Upstream::start();
    let gw = Gateway::start("", &hmac_route(&up, ""));
    send_forged(&gw);
    let r = &up.received()[0];
    assert_eq!(r.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(r.header("x-forwarded-proto"), Some("http"));
    assert_eq!(r.header("x-forwarded-host"), Some("hooks.example.com"));
    assert_eq!(r.header("x-real-ip"), None);
    assert_eq!(r.header("forwarded"), None);
    let count = |n: &str| r.headers.iter().filter(|(k, _)| k == n).count();
    for h in ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"] {
        assert_eq!(count(h), 1, "{h} once");
    }
}

#[test]
fn forwarding_headers_from_a_trusted_proxy_are_passed_on() {
    let up = Upstream::start();
    let gw = Gateway::start("trusted_proxies = [\"127.0.0.1/32\"]", &hmac_route(&up, ""));
    send_forged(&gw);
    let r = &up.received()[0];
    assert_eq!(r.header("x-forwarded-for"), Some("6.6.6.6, 127.0.0.1"));
    assert_eq!(r.header("x-forwarded-proto"), Some("https"));
    assert_eq!(r.header("x-forwarded-host"), Some("attacker.example"));
    assert_eq!(r.header("x-real-ip"), Some("6.6.6.7"));
    assert_eq!(
        r.header("forwarded"),
        Some("for=6.6.6.8;host=attacker.example;proto=https")
    );
}

fn send_forged(gw: &Gateway) {
    let body = b"{}";
    let mut req = format!(
        "POST /hook HTTP/1.1\r\nHost: hooks.example.com\r\n{FORGED}Content-Length: 2\r\nAzotte-Signature: {}\r\nConnection: close\r\n\r\n",
        sig(body)
    )
    .into_bytes();
    req.extend_from_slice(body);
    let out = raw_exchange(gw.port, &req, Duration::from_secs(5));
    assert_eq!(status_of(&out), Some(200), "{out}");
}

/// The forwarding-header cases above over HTTP/2 (TLS, ALPN h2), where the host is
/// `:authority`: from an untrusted peer the headers are replaced or removed and `allow_ips`
/// judges the peer; from a trusted proxy they are passed on and the right-most untrusted
/// `X-Forwarded-For` entry is the client. Same answers as HTTP/1.1 (issue 20 fault 4).
#[test]
fn forwarding_headers_over_http_2_are_judged_as_over_http_1_1() {
    for trusted in [false, true] {
        let up = Upstream::start();
        let server = if trusted {
            "trusted_proxies = [\"127.0.0.1/32\"]"
        } else {
            ""
        };
        let (gw, _, pem) = tls_gateway_with(
            server,
            &hmac_route(&up, "allow_ips = [\"6.6.6.6/32\", \"127.0.0.1/32\"]"),
        );
        let h2 = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .resolve(
                "localhost",
                format!("127.0.0.1:{}", gw.port).parse().unwrap(),
            )
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let send = |xff: &str| {
            let body = b"{}";
            let res = h2
                .post(format!("https://localhost:{}/hook", gw.port))
                .header("Azotte-Signature", sig(body))
                .header("X-Forwarded-For", xff)
                .header("X-Forwarded-Proto", "http")
                .header("X-Forwarded-Host", "attacker.example")
                .header("X-Real-IP", "6.6.6.7")
                .header("Forwarded", "for=6.6.6.8;host=attacker.example;proto=http")
                .body(body.to_vec())
                .send()
                .unwrap();
            assert_eq!(res.version(), reqwest::Version::HTTP_2);
            res.status().as_u16()
        };
        // 9.9.9.9 is not allowed: believed only from a trusted peer (then 403).
        assert_eq!(
            send("9.9.9.9"),
            if trusted { 403 } else { 200 },
            "trusted: {trusted}"
        );
        // A client-set left-most entry is never the client: 6.6.6.6 is right-most here.
        assert_eq!(send("9.9.9.9, 6.6.6.6"), 200, "trusted: {trusted}");
        let got = up.received();
        let r = got.last().unwrap();
        let count = |n: &str| r.headers.iter().filter(|(k, _)| k == n).count();
        if trusted {
            assert_eq!(
                r.header("x-forwarded-for"),
                Some("9.9.9.9, 6.6.6.6, 127.0.0.1")
            );
            assert_eq!(r.header("x-forwarded-proto"), Some("http"));
            assert_eq!(r.header("x-forwarded-host"), Some("attacker.example"));
            assert_eq!(r.header("x-real-ip"), Some("6.6.6.7"));
            assert_eq!(
                r.header("forwarded"),
                Some("for=6.6.6.8;host=attacker.example;proto=http")
            );
        } else {
            assert_eq!(r.header("x-forwarded-for"), Some("127.0.0.1"));
            assert_eq!(r.header("x-forwarded-proto"), Some("https"));
            let authority = format!("localhost:{}", gw.port);
            assert_eq!(r.header("x-forwarded-host"), Some(authority.as_str()));
            assert_eq!(r.header("x-real-ip"), None);
            assert_eq!(r.header("forwarded"), None);
        }
        for h in ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"] {
            assert_eq!(count(h), 1, "{h} once (trusted: {trusted})");
        }
    }
}

// ---- 3. Methods ----

/// Twilio's signature: base64 HMAC-SHA1 of the URL (GET: with its query, no params appended),
/// computed here independently (twilio.com/docs/usage/security, "validating GET requests").
fn twilio_sig(token: &str, url: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn twilio_route(up: &Upstream, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"twilio\"\npath = \"/twilio\"\nupstream = \"{}\"\nprovider = \"twilio\"\nsecrets = [\"12345\"]\n{extra}\n",
        up.url("/tw")
    )
}

#[test]
fn twilio_get_callbacks_are_verified_over_the_url_and_forwarded_without_a_body() {
    let up = Upstream::start();
    let gw = Gateway::start("", &twilio_route(&up, ""));
    let url = gw.url("/twilio?CallSid=CA123&From=%2B14155550100");
    let res = client()
        .get(&url)
        .header("X-Twilio-Signature", twilio_sig("12345", &url))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let r = &up.received()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.target, "/tw?CallSid=CA123&From=%2B14155550100");
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), None, "a GET goes with no body");

    let res = client()
        .get(&url)
        .header("X-Twilio-Signature", twilio_sig("wrong", &url))
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    // A body sent with a GET is not signed, so it is not passed on.
    let res = client()
        .get(&url)
        .header("X-Twilio-Signature", twilio_sig("12345", &url))
        .body("smuggled")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(up.received()[1].body.is_empty());
    assert_eq!(up.count(), 2);
}

#[test]
fn methods_outside_the_route_get_405_with_allow() {
    let up = Upstream::start();
    let routes = format!(
        "{}{}",
        hmac_route(&up, ""),
        twilio_route(&up, "").replace("name = \"twilio\"", "name = \"tw\"")
    );
    let routes = format!(
        "{routes}\n{}",
        hmac_route(&up, "methods = [\"PUT\", \"POST\"]")
            .replace("name = \"azotte\"", "name = \"custom\"")
            .replace("path = \"/hook\"", "path = \"/custom\"")
    );
    let gw = Gateway::start("", &routes);
    let check = |method: reqwest::Method, path: &str, allow: &str| {
        let res = client()
            .request(method.clone(), gw.url(path))
            .send()
            .unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
    };
    check(reqwest::Method::GET, "/hook", "POST");
    check(reqwest::Method::PUT, "/hook", "POST");
    check(reqwest::Method::DELETE, "/twilio", "GET, POST");
    check(reqwest::Method::GET, "/custom", "PUT, POST");
    // PUT is allowed on /custom and verified like a POST.
    let body = b"{\"a\":1}";
    let res = client()
        .put(gw.url("/custom"))
        .header("Azotte-Signature", sig(body))
        .body(body.to_vec())
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(up.received()[0].method, "PUT");
    assert_eq!(up.received()[0].body, body);
    assert_eq!(up.count(), 1);
}

#[test]
fn handshake_gets_still_work_on_post_only_routes() {
    let up = Upstream::start();
    let gw = Gateway::start(
        "",
        &format!(
            "[[route]]\nname = \"dropbox\"\npath = \"/dropbox\"\nupstream = \"{}\"\nprovider = \"dropbox\"\nsecrets = [\"app-secret\"]\nanswer_challenges = true\n",
            up.url("/d")
        ),
    );
    let res = client()
        .get(gw.url("/dropbox?challenge=abc123"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().unwrap(), "abc123");
    let res = client().get(gw.url("/dropbox")).send().unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    assert_eq!(up.count(), 0);
}

#[test]
fn check_shows_methods_and_the_effective_max_body() {
    let dir = TempDir::new();
    let up = Upstream::start();
    let config = dir.write(
        "gateway.toml",
        &format!(
            "{}[[route]]\nname = \"gh\"\npath = \"/gh\"\nupstream = \"{}\"\nprovider = \"github\"\nsecrets = [\"s\"]\n",
            twilio_route(&up, ""),
            up.url("/g")
        ),
    );
    let out = std::process::Command::new(bin())
        .args(["check", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_string()
    };
    assert!(line("twilio").contains("GET,POST"), "{text}");
    assert!(line("twilio").contains("max_body 1MiB"), "{text}");
    assert!(line("gh ").contains(" POST "), "{text}");
    assert!(
        line("gh ").contains("max_body 25MiB") || line("gh ").contains("max_body 25"),
        "{text}"
    );
}

// ---- 4. Size defaults ----

#[test]
fn a_signed_2_3_mib_github_push_is_forwarded() {
    let up = Upstream::start();
    let gw = Gateway::start(
        "",
        &format!(
            "[[route]]\nname = \"gh\"\npath = \"/gh\"\nupstream = \"{}\"\nprovider = \"github\"\nsecrets = [\"{SECRET}\"]\nupstream_timeout = \"10s\"\n",
            up.url("/g")
        ),
    );
    let mut body = b"{\"ref\":\"refs/heads/main\",\"commits\":\"".to_vec();
    body.resize(2_411_725, b'a'); // 2.3 MiB
    body.extend_from_slice(b"\"}");
    let res = client()
        .post(gw.url("/gh"))
        .header("X-Hub-Signature-256", sig(&body))
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(up.received()[0].body, body);
    // The event ID is read without dedup (item 6) and passed on.
    assert_eq!(
        up.received()[0].header("x-hookgate-event-id"),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
}

// ---- 5. Memory bound ----

#[test]
fn bodies_past_the_memory_budget_get_503_with_retry_after_before_being_read() {
    let up = Upstream::start();
    let gw = Gateway::start(
        "body_memory_limit = \"3MiB\"\nread_timeout = \"30s\"",
        &hmac_route(&up, "max_body = \"1MiB\""),
    );
    let head = |n: usize| {
        format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\nAzotte-Signature: {}\r\n\r\n",
            sig(b"x")
        )
    };
    // Three senders hold the whole budget, each trickling a 1 MiB body.
    let mut holders = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        s.write_all(head(1 << 20).as_bytes()).unwrap();
        s.write_all(&vec![b'a'; 64 * 1024]).unwrap();
        holders.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    // Further ones are refused before their body is read, announced or chunked.
    for extra in [
        head(1 << 20),
        head(1024),
        format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAzotte-Signature: {}\r\n\r\n400\r\n",
            sig(b"x")
        ),
    ] {
        let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(extra.as_bytes()).unwrap();
        if extra.contains("chunked") {
            s.write_all(&vec![b'a'; 1024]).unwrap();
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let out = String::from_utf8_lossy(&out);
        assert_eq!(status_of(&out), Some(503), "{out}");
        assert!(out.to_ascii_lowercase().contains("retry-after: "), "{out}");
    }
    assert_eq!(up.count(), 0);
    // Memory returns when the holders go: a whole signed 1 MiB body fits again (with any of
    // the 3 MiB leaked, it would not).
    drop(holders);
    std::thread::sleep(Duration::from_millis(300));
    let body = vec![b'z'; 1 << 20];
    let res = client()
        .post(gw.url("/hook"))
        .header("Azotte-Signature", sig(&body))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(up.count(), 1);
}

#[test]
fn connections_past_max_connections_wait_until_one_ends() {
    let up = Upstream::start();
    let gw = Gateway::start("max_connections = 1", &hmac_route(&up, ""));
    let first = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let body = b"{}";
    let mut second = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    write!(
        second,
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nAzotte-Signature: {}\r\nConnection: close\r\n\r\n{{}}",
        sig(body)
    )
    .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        second.read(&mut buf).is_err(),
        "the second connection is not served while the first holds the only slot"
    );
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut out = String::new();
    let _ = second.read_to_string(&mut out);
    assert_eq!(status_of(&out), Some(200), "{out}");
}

/// A gateway terminating TLS with a fresh self-signed certificate for `localhost`, and a
/// rustls client configuration that trusts it.
fn tls_gateway(server_extra: &str, up: &Upstream) -> (Gateway, Arc<rustls::ClientConfig>) {
    let (gw, client, _pem) = tls_gateway_with(server_extra, &hmac_route(up, ""));
    (gw, client)
}

/// [`tls_gateway`] with `routes`, also giving the certificate's PEM.
fn tls_gateway_with(
    server_extra: &str,
    routes: &str,
) -> (Gateway, Arc<rustls::ClientConfig>, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = TempDir::new();
    let cert_path = dir.write("tls.crt", &cert.cert.pem());
    let key_path = dir.write("tls.key", &cert.key_pair.serialize_pem());
    let gw = Gateway::start(
        &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"\n{server_extra}",
            cert_path.display(),
            key_path.display()
        ),
        routes,
    );
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (gw, Arc::new(client), cert.cert.pem())
}

/// A TCP connection to `port` that has sent `sent_bytes` bytes of a real ClientHello (all of
/// it for `usize::MAX`).
fn client_hello(port: u16, config: &Arc<rustls::ClientConfig>, sent_bytes: usize) -> TcpStream {
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(config.clone(), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.write_all(&hello[..sent_bytes.min(hello.len())])
        .unwrap();
    tcp
}

/// Reads until the gateway closes `tcp` (EOF or reset); false if it is still open after `wait`.
fn closed_within(tcp: &mut TcpStream, wait: Duration) -> bool {
    tcp.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Issue 20 fault 6: a TLS client that connects and sends nothing, or stalls mid-handshake,
/// holds a `max_connections` slot (so the next handshake waits, unanswered) and is closed after
/// `read_timeout`; the waiting handshake is then served and its request forwarded. Before the
/// fix, handshakes ran outside the bound for pingora's fixed 60 s.
#[test]
fn tls_handshakes_hold_a_connection_slot_and_end_after_read_timeout() {
    let up = Upstream::start();
    let (gw, tls) = tls_gateway(
        "max_connections = 1\nread_timeout = \"2s\"\nidle_timeout = \"2s\"",
        &up,
    );
    for sent in [0, 7] {
        // 0: silent after connecting; 7: a ClientHello cut short (inside its record header).
        let mut stalled = client_hello(gw.port, &tls, sent);
        std::thread::sleep(Duration::from_millis(200));
        let mut waiting = client_hello(gw.port, &tls, usize::MAX);
        waiting
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 16];
        assert!(
            waiting.read(&mut buf).is_err(),
            "no ServerHello while the stalled handshake ({sent} bytes) holds the only slot"
        );
        assert!(
            closed_within(&mut stalled, Duration::from_secs(15)),
            "the stalled handshake ({sent} bytes) is closed after read_timeout"
        );
        waiting
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let n = waiting.read(&mut buf).unwrap();
        assert!(
            n > 0 && buf[0] == 0x16,
            "then the waiting one gets its ServerHello"
        );
        drop(waiting);
    }
    assert_eq!(
        gw.metric(r#"hookgate_connections_dropped_total{reason="tls_handshake_timeout"}"#),
        2.0
    );
    // A real HTTPS client is served once the slot is free again.
    assert_eq!(signed_https_post(gw.port, &tls).status(), 200);
    assert_eq!(up.count(), 1);
}

/// A signed `POST /hook` through a real HTTPS client (reqwest over `tls`, ALPN as it negotiates).
fn signed_https_post(port: u16, tls: &Arc<rustls::ClientConfig>) -> reqwest::blocking::Response {
    let https = reqwest::blocking::Client::builder()
        .use_preconfigured_tls((**tls).clone())
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let body = b"{}";
    https
        .post(format!("https://localhost:{port}/hook"))
        .header("Azotte-Signature", sig(body))
        .body(body.to_vec())
        .send()
        .unwrap()
}

/// A TLS connection to the gateway with ALPN `h2` negotiated, the handshake done.
fn h2_connect(
    port: u16,
    tls: &Arc<rustls::ClientConfig>,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut config = (**tls).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    assert_eq!(conn.alpn_protocol(), Some(&b"h2"[..]));
    rustls::StreamOwned::new(conn, tcp)
}

/// Issue 20 fault 6, HTTP/2: an HTTP/2 connection that opens no stream is closed after
/// `idle_timeout` (one that sent nothing after the TLS handshake, after `read_timeout`), so idle
/// HTTP/2 clients do not keep `max_connections` slots. Before, pingora's HTTP/2 loop had no
/// bound: `max_connections` idle HTTP/2 connections locked every other client out for good.
#[test]
fn idle_http_2_connections_are_closed() {
    let up = Upstream::start();
    let (gw, tls) = tls_gateway(
        "max_connections = 1\nread_timeout = \"2s\"\nidle_timeout = \"2s\"",
        &up,
    );
    // The client's preface and an empty SETTINGS frame (RFC 9113 §3.4), then nothing (closed
    // after `idle_timeout`); nothing; part of the preface, then nothing (both closed after
    // `read_timeout`: pingora's h2 handshake would wait for the rest for ever).
    let sends: [&[u8]; 3] = [
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0",
        b"",
        b"PRI * HTTP/2.0\r\n",
    ];
    for sent in sends {
        let preface = String::from_utf8_lossy(sent);
        let mut h2 = h2_connect(gw.port, &tls);
        if !sent.is_empty() {
            h2.write_all(sent).unwrap();
            h2.flush().unwrap();
        }
        h2.sock
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let closed = loop {
            match h2.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break false
                }
                // Closed without close_notify, or reset.
                Err(_) => break true,
            }
        };
        assert!(
            closed,
            "an idle HTTP/2 connection (sent: {preface:?}) is closed"
        );
    }
    assert_eq!(
        gw.metric(r#"hookgate_connections_dropped_total{reason="h2_preface_timeout"}"#),
        2.0,
        "the silent and the partial preface"
    );
    // The only slot is free again: a real HTTP/2 request is served.
    assert_eq!(signed_https_post(gw.port, &tls).status(), 200);
}

// ---- 6. Event IDs ----

#[test]
fn event_id_is_read_from_the_preset_and_its_aliases_without_dedup() {
    use base64::Engine;
    let up = Upstream::start();
    let secret_b64 = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let gw = Gateway::start(
        "",
        &format!(
            "[[route]]\nname = \"svix\"\npath = \"/svix\"\nupstream = \"{}\"\nprovider = \"svix\"\nsecrets = [\"whsec_{secret_b64}\"]\n",
            up.url("/s")
        ),
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret_b64)
        .unwrap();
    let body = br#"{"type":"x"}"#;
    let ts = now_unix().to_string();
    for (id_header, sig_header, ts_header) in [
        ("svix-id", "svix-signature", "svix-timestamp"),
        ("webhook-id", "webhook-signature", "webhook-timestamp"),
    ] {
        let id = format!("msg_{id_header}");
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&key).unwrap();
        hmac::Mac::update(&mut mac, format!("{id}.{ts}.").as_bytes());
        hmac::Mac::update(&mut mac, body);
        let signature =
            base64::engine::general_purpose::STANDARD.encode(hmac::Mac::finalize(mac).into_bytes());
        let res = client()
            .post(gw.url("/svix"))
            .header(id_header, &id)
            .header(ts_header, &ts)
            .header(sig_header, format!("v1,{signature}"))
            .body(body.to_vec())
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{id_header}");
        let r = up.received().pop().unwrap();
        assert_eq!(
            r.header("x-hookgate-event-id"),
            Some(id.as_str()),
            "{id_header}"
        );
    }
}

// ---- 7. HTTP/1.0 clients ----

/// An upstream that answers every request with a chunked body "hello world".
fn chunked_upstream() -> u16 {
    upstream::raw_upstream(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        false,
    )
}

/// An HTTP/1.0 request without `Connection: keep-alive` is answered `Connection: close` and the
/// connection closed after the answer (RFC 9112 §9.3), not held for `idle_timeout`; with it, the
/// connection is kept (a second request is served on it).
#[test]
fn an_http_1_0_client_without_keep_alive_gets_the_connection_closed() {
    let up = Upstream::start();
    let gw = Gateway::start("idle_timeout = \"60s\"", &hmac_route(&up, ""));
    let body = b"{}";
    let req = |keep_alive: &str| {
        format!(
            "POST /hook HTTP/1.0\r\nHost: x\r\n{keep_alive}Content-Length: 2\r\nAzotte-Signature: {}\r\n\r\n{{}}",
            sig(body)
        )
    };
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(req("").as_bytes()).unwrap();
    let mut out = Vec::new();
    // Until EOF: a read timing out (the connection held open) fails the test.
    s.read_to_end(&mut out)
        .expect("the gateway closes the connection");
    let out = String::from_utf8_lossy(&out);
    assert_eq!(status_of(&out), Some(200), "{out}");
    assert!(
        out.to_ascii_lowercase().contains("connection: close"),
        "{out}"
    );

    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for _ in 0..2 {
        s.write_all(req("Connection: keep-alive\r\n").as_bytes())
            .unwrap();
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut len = 0;
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut answer = vec![0; len];
        r.read_exact(&mut answer).unwrap();
    }
}

/// HTTP/1.1 pipelining (RFC 9112 §9.3.2): requests a client sends back to back in one write are
/// each answered, in order, on the connection, as nginx answers them (before: the first was
/// answered and the connection closed, the rest silently dropped). The second is forged (401),
/// the third chunked (its framing checked on bytes read with the first request), the last asks
/// for `Connection: close`; the upstream gets the two valid ones byte for byte.
#[test]
fn pipelined_requests_are_each_answered_in_order() {
    let up = Upstream::start();
    let gw = Gateway::start("idle_timeout = \"60s\"", &hmac_route(&up, ""));
    let post = |extra: &str, body: &[u8], signature: &str| {
        let mut req = format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\n{extra}Azotte-Signature: {signature}\r\n\r\n"
        )
        .into_bytes();
        req.extend_from_slice(body);
        req
    };
    let (one, two, three) = (br#"{"n":1}"#, br#"{"n":2}"#, br#"{"n":3}"#);
    let mut all = post("Content-Length: 7\r\n", one, &sig(one));
    all.extend(post("Content-Length: 7\r\n", two, &sig(b"forged")));
    all.extend(post(
        "Transfer-Encoding: chunked\r\nConnection: close\r\n",
        b"7\r\n{\"n\":3}\r\n0\r\n\r\n",
        &sig(three),
    ));
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(&all).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the gateway closes the connection after the last answer");
    let out = String::from_utf8_lossy(&out);
    let statuses: Vec<&str> = out
        .match_indices("HTTP/1.1 ")
        .filter_map(|(i, _)| out.get(i + 9..i + 12))
        .collect();
    assert_eq!(statuses, ["200", "401", "200"], "{out}");
    let bodies: Vec<Vec<u8>> = up.received().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [one.to_vec(), three.to_vec()]);
}

#[test]
fn an_http_1_0_client_gets_the_chunked_answer_de_chunked_and_close_delimited() {
    let port = chunked_upstream();
    let route = format!(
        r#"
[[route]]
name = "azotte"
path = "/hook"
upstream = "http://127.0.0.1:{port}/up"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "Azotte-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
"#
    );
    let gw = Gateway::start("", &route);
    let body = b"{}";
    for keep_alive in ["", "Connection: keep-alive\r\n"] {
        let req = format!(
            "POST /hook HTTP/1.0\r\nHost: x\r\n{keep_alive}Expect: 100-continue\r\nContent-Length: 2\r\nAzotte-Signature: {}\r\n\r\n{{}}",
            sig(body)
        );
        let started = Instant::now();
        let out = raw_exchange(gw.port, req.as_bytes(), Duration::from_secs(5));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "closed after the body: {out}"
        );
        assert_eq!(status_of(&out), Some(200), "{out}");
        let lower = out.to_ascii_lowercase();
        assert!(!lower.contains("transfer-encoding"), "{out}");
        assert!(
            !lower.contains("100 continue"),
            "no interim answer to 1.0: {out}"
        );
        assert!(lower.contains("connection: close"), "{out}");
        assert!(out.ends_with("\r\n\r\nhello world"), "{out:?}");
    }
    // An HTTP/1.1 client still gets it chunked.
    let req = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nAzotte-Signature: {}\r\n\r\n{{}}",
        sig(body)
    );
    let out = raw_exchange(gw.port, req.as_bytes(), Duration::from_secs(5));
    assert!(
        out.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{out}"
    );
    assert!(out.contains("5\r\nhello\r\n"), "{out}");
}
