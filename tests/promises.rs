//! README claims kept by the binary (issue 21): each test runs the real `hookgate` against real
//! upstreams (and a real `redis-server` where the claim is about Redis) and tries one claim as a
//! user would.

mod common;
#[path = "common/redis.rs"]
mod common_redis;
use common::ports;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use common_redis::RedisServer;
use hookgate::providers::WebhookRequest;

const SECRET: &str = "promise-secret";
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn preset_route(name: &str, provider: &str, secret: &str, up: &Upstream, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\npath = \"/{name}\"\nupstream = \"{}\"\nprovider = \"{provider}\"\nsecrets = [\"{secret}\"]\n{extra}\n",
        up.url(&format!("/got/{name}"))
    )
}

/// The headers `route`'s scheme signs `body` with at `now`, through the library (the CLI signs
/// only at the current time).
fn sign_at(
    config: &std::path::Path,
    route: &str,
    body: &[u8],
    now: Duration,
) -> Vec<(String, String)> {
    let config = hookgate::config::load(config).unwrap();
    let spec = &config
        .routes
        .iter()
        .find(|r| r.name == route)
        .unwrap()
        .scheme;
    let scheme = hookgate::gateway::scheme(spec, &Default::default()).unwrap();
    scheme
        .sign(&WebhookRequest {
            method: "POST",
            public_url: "",
            headers: &http::HeaderMap::new(),
            body,
            now,
        })
        .unwrap()
}

fn post(gw: &Gateway, path: &str, headers: &[(String, String)], body: &[u8]) -> (u16, String) {
    let mut req = client().post(gw.url(path)).body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let res = req.send().unwrap();
    (res.status().as_u16(), res.text().unwrap())
}

/// Item 1: `tolerance = "0s"` is documented as "not checked": a correctly signed request with a
/// month-old (or a day-ahead) timestamp is forwarded, where the preset's window refuses it, and
/// `hookgate check` says the window is off.
#[test]
fn a_zero_tolerance_switches_the_timestamp_window_off() {
    let up = Upstream::start();
    let off = "tolerance = \"0s\"";
    let routes = [
        preset_route("stripe", "stripe", SECRET, &up, off),
        preset_route("slack", "slack", SECRET, &up, off),
        preset_route("sw", "standard-webhooks", WHSEC, &up, off),
        preset_route("twitch", "twitch", SECRET, &up, off),
        preset_route("stripe-default", "stripe", SECRET, &up, ""),
    ]
    .concat();
    let gw = Gateway::start("", &routes);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let month = Duration::from_secs(30 * 86_400);
    let body = br#"{"id":"evt_old","type":"t"}"#;
    for route in ["stripe", "slack", "sw", "twitch"] {
        for at in [now - month, now + Duration::from_secs(86_400)] {
            let headers = sign_at(&gw.config_path, route, body, at);
            let (status, text) = post(&gw, &format!("/{route}"), &headers, body);
            assert_eq!(status, 200, "{route} at {at:?}: {text}");
        }
    }
    assert_eq!(up.count(), 8);
    // The preset's own window still applies where the route sets no tolerance.
    let headers = sign_at(&gw.config_path, "stripe-default", body, now - month);
    let (status, text) = post(&gw, "/stripe-default", &headers, body);
    assert_eq!(status, 401);
    assert!(text.contains("timestamp outside tolerance"), "{text}");

    let out = Command::new(bin())
        .args(["check", "-c"])
        .arg(&gw.config_path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("stripe"))
    {
        let off = line.trim_start().starts_with("stripe ");
        assert_eq!(line.contains("timestamp window off"), off, "{text}");
    }
    assert_eq!(text.matches("timestamp window off").count(), 4, "{text}");
}

/// The secret and extra route keys `hookgate sign` needs for `name`; `None` for the presets it
/// cannot sign (public keys, signatures inside the body, keys held by the provider).
fn signable(name: &str) -> Option<(String, &'static str)> {
    if hookgate::providers::options_builder(name).is_some() {
        return None;
    }
    Some(match name {
        "ed25519" | "discord" | "telnyx" | "sendgrid" | "mailgun" | "adyen" | "braintree" => {
            return None
        }
        "hmac" => (SECRET.into(), r#"signature = { header = "X-Sig" }"#),
        "token" => (SECRET.into(), r#"signature = { header = "X-Token" }"#),
        "basic" | "postmark" => ("user:pass".into(), ""),
        "airtable" | "teams" => ("ZTJlLWJhc2U2NC1rZXk=".into(), ""),
        "contentful" => ("c".repeat(64), ""),
        _ if hookgate::providers::find_preset(name).unwrap().family == "standard-webhooks" => {
            (WHSEC.into(), "")
        }
        _ => (SECRET.into(), ""),
    })
}

/// `hookgate sign` for `route` with `-H` arguments, as lines or (with `curl`) a curl command.
fn cli_sign(gw: &Gateway, route: &str, body: &std::path::Path, h: &[String], curl: bool) -> String {
    let mut cmd = Command::new(bin());
    cmd.args(["sign", "-c"])
        .arg(&gw.config_path)
        .args(["--route", route, "--body"])
        .arg(body);
    for header in h {
        cmd.args(["-H", header]);
    }
    if curl {
        cmd.args(["--curl", &gw.url(&format!("/{route}"))]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{route}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn header_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Another valid value of the same kind: a timestamp a second (or a millisecond) earlier, an id
/// with one more character.
fn variant(value: &str) -> String {
    use hookgate::providers::families::common::{format_rfc3339, parse_rfc3339_millis};
    if let Ok(n) = value.parse::<u64>() {
        (n - 1).to_string()
    } else if let Ok(ms) = parse_rfc3339_millis(value) {
        format_rfc3339(ms as u64 / 1000 - 1)
    } else {
        format!("{value}x")
    }
}

/// Headers whose value is fixed by the scheme (a version, an algorithm, the list of signed
/// headers): not something a user gives.
const FIXED: [&str; 4] = [
    "box-signature-version",
    "box-signature-algorithm",
    "x-contentful-signed-headers",
    "x-hubspot-signature-version",
];

/// Item 3: a header given with `hookgate sign -H` that the scheme signs (an id, a timestamp) is
/// used in the signature and printed once, and the gateway accepts the result, as header lines
/// and as the `--curl` command run by a shell. Every preset `sign` can sign is tried; a header
/// counts as signed when changing its value alone gets a 401.
#[test]
fn sign_uses_a_signed_header_given_with_h_and_prints_it_once() {
    let up = Upstream::start();
    let names: Vec<&str> = hookgate::providers::presets()
        .iter()
        .map(|p| p.name)
        .filter(|n| signable(n).is_some())
        .collect();
    let routes: String = names
        .iter()
        .map(|n| {
            let (secret, extra) = signable(n).unwrap();
            preset_route(n, n, &secret, &up, extra)
        })
        .collect();
    let gw = Gateway::start("", &routes);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let body = format!(
        r#"{{"id":"evt_1","type":"test.event","event_id":"e-1","webhookTimestamp":{now_ms}}}"#
    );
    let body_file = gw.dir.write("body.json", &body);
    let mut signed_headers = Vec::new();
    for name in &names {
        let lines = header_lines(&cli_sign(&gw, name, &body_file, &[], false));
        let path = format!("/{name}");
        assert_eq!(
            post(&gw, &path, &lines, body.as_bytes()).0,
            200,
            "{name}: {lines:?}"
        );
        for (i, (h, v)) in lines.iter().enumerate().skip(1) {
            if FIXED.contains(&h.to_ascii_lowercase().as_str()) {
                continue;
            }
            let given = variant(v);
            let mut changed = lines.clone();
            changed[i].1 = given.clone();
            if post(&gw, &path, &changed, body.as_bytes()).0 != 401 {
                continue; // not signed (Box's delivery id): nothing to use
            }
            signed_headers.push(format!("{name}: {}", h.to_ascii_lowercase()));
            let arg = [format!("{h}: {given}")];
            let again = header_lines(&cli_sign(&gw, name, &body_file, &arg, false));
            let same: Vec<_> = again
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(h))
                .collect();
            assert_eq!(same, [&(h.clone(), given.clone())], "{name}: {again:?}");
            let (status, text) = post(&gw, &path, &again, body.as_bytes());
            assert_eq!(status, 200, "{name} with -H {h}: {text}");
            let command = cli_sign(&gw, name, &body_file, &arg, true);
            assert_eq!(
                command.matches(&format!("-H '{h}: ")).count(),
                1,
                "{command}"
            );
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "{} -o /dev/null -w '%{{http_code}}'",
                    command.trim_end()
                ))
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "200",
                "{name}: {command}"
            );
        }
    }
    for expected in [
        "standard-webhooks: webhook-id",
        "standard-webhooks: webhook-timestamp",
        "svix: svix-id",
        "svix: svix-timestamp",
        "slack: x-slack-request-timestamp",
        "twitch: twitch-eventsub-message-id",
        "twitch: twitch-eventsub-message-timestamp",
        "box: box-delivery-timestamp",
        "contentful: x-contentful-timestamp",
    ] {
        assert!(
            signed_headers.iter().any(|s| s == expected),
            "{expected}: {signed_headers:?}"
        );
    }
}

fn hmac_route(name: &str, up: &Upstream, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\npath = \"/{name}\"\nupstream = \"{}\"\nprovider = \"hmac\"\nsecrets = [\"{SECRET}\"]\nsignature = {{ header = \"X-Signature\" }}\n{extra}\n",
        up.url("/in")
    )
}

/// A signed request to `path` from `client` (a trusted proxy's `X-Forwarded-For`).
fn send_from(gw: &Gateway, path: &str, client: &str) -> u16 {
    let body = b"{}";
    common::client()
        .post(gw.url(path))
        .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
        .header("X-Forwarded-For", client)
        .body(body.to_vec())
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// Item 4: while Redis stays down, a refusal the replica decides alone (the local pre-check:
/// this client is certainly over its quota) is no answer from the store: the route does not log
/// "answers again" (nor "failing" a second time). Only a real answer, once Redis is back, does.
#[test]
fn a_local_refusal_while_redis_is_down_is_not_a_recovery() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    let up = Upstream::start();
    let state = format!(
        "[state]\nurl = \"{}\"\nprefix = \"p4\"\ntimeout = \"100ms\"\nbreaker = {{ failures = 1, cooldown = \"200ms\" }}\n",
        redis.url()
    );
    let limit = r#"rate_limit = { per_second = 0.001, burst = 1, key = "client_ip", on_store_error = "local" }"#;
    let gw = Gateway::start(
        "trusted_proxies = [\"127.0.0.1/32\"]",
        &format!("{state}{}", hmac_route("rl", &up, limit)),
    );
    assert_eq!(send_from(&gw, "/rl", "198.51.100.1"), 200);
    assert_eq!(
        send_from(&gw, "/rl", "198.51.100.1"),
        429,
        "over quota (decided locally)"
    );
    redis.stop();
    assert_eq!(
        send_from(&gw, "/rl", "198.51.100.2"),
        200,
        "the store fails: local limit"
    );
    for _ in 0..3 {
        assert_eq!(send_from(&gw, "/rl", "198.51.100.1"), 429);
        assert_eq!(send_from(&gw, "/rl", "198.51.100.2"), 429);
    }
    let stderr = gw.stderr();
    let count = |what: &str| stderr.lines().filter(|l| l.contains(what)).count();
    assert_eq!(count("state store failing: rate_limit"), 1, "{stderr}");
    assert_eq!(count("state store answers again"), 0, "{stderr}");
    assert_eq!(
        gw.metric(r#"hookgate_state_fallbacks_total{route="rl",kind="rate_limit",action="local"}"#),
        1.0,
        "the one store failure is counted; the local pre-check refusals are not fallbacks"
    );

    // Redis comes back: the first real answer is logged, once.
    redis.resume();
    let until = std::time::Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    while count_in(&gw.stderr(), "rate_limit is shared again") == 0 {
        assert!(std::time::Instant::now() < until, "{}", gw.stderr());
        send_from(&gw, "/rl", &format!("198.51.100.{}", 3 + n % 250));
        n += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count_in(&gw.stderr(), "rate_limit is shared again"), 1);
}

fn count_in(text: &str, what: &str) -> usize {
    text.lines().filter(|l| l.contains(what)).count()
}

/// A signed raw HTTP/1.1 request to `/{route}` (kept alive: no `Connection` header).
fn raw_signed(route: &str, id: &str) -> Vec<u8> {
    let body = format!("{{\"id\":\"{id}\"}}");
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &[body.as_bytes()]);
    format!(
        "POST /{route} HTTP/1.1\r\nHost: gw\r\nX-Signature: {sig}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one response (head + `Content-Length` body) from a kept-alive connection.
fn read_message(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= len {
                return text;
            }
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed mid-response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

/// Item 5: after SIGTERM an idle kept-alive connection takes no new request: it is closed when
/// draining starts, and a request sent on it afterwards reaches neither an answer nor the
/// upstream (the request in flight elsewhere still finishes).
#[test]
fn after_sigterm_an_idle_kept_alive_connection_starts_no_request() {
    let up = Upstream::start();
    let gw = Gateway::start("grace_period = \"8s\"", &hmac_route("ka", &up, ""));
    let mut conn = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(&raw_signed("ka", "first")).unwrap();
    let first = read_message(&mut conn);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(
        !first.to_ascii_lowercase().contains("connection: close"),
        "{first}"
    );

    up.set(|b| b.delay = Duration::from_millis(2500));
    let port = gw.port;
    let in_flight = std::thread::spawn(move || {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.write_all(&raw_signed("ka", "slow")).unwrap();
        read_message(&mut c)
    });
    while up.count() < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    gw.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    // The idle connection was closed: the next request gets no answer.
    let _ = conn.write_all(&raw_signed("ka", "after-term"));
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
    assert_eq!(
        String::from_utf8_lossy(&rest),
        "",
        "no answer after SIGTERM"
    );
    let slow = in_flight.join().unwrap();
    assert!(
        slow.starts_with("HTTP/1.1 200"),
        "in-flight request finishes: {slow}"
    );
    assert_eq!(
        up.count(),
        2,
        "the request sent after SIGTERM was not forwarded"
    );
}

/// Item 6: an upstream host that does not resolve is logged once when it stops resolving, not
/// once per request (neither the resolver's warning nor a `delivery failed` line per request);
/// every request still answers 502 and has its audit line.
#[test]
fn an_unresolvable_upstream_is_logged_once_not_per_request() {
    let host = "upstream.hookgate.invalid";
    let route = format!(
        "[[route]]\nname = \"dns\"\npath = \"/dns\"\nupstream = \"http://{host}:8080/in\"\nprovider = \"hmac\"\nsecrets = [\"{SECRET}\"]\nsignature = {{ header = \"X-Signature\" }}\n"
    );
    let gw = Gateway::start("", &route);
    let body = b"{}";
    for i in 0..4 {
        if i == 2 {
            // Past the failed lookup's 1 s cache: the name is looked up again, still failing.
            std::thread::sleep(Duration::from_millis(1100));
        }
        let status = common::client()
            .post(gw.url("/dns"))
            .header("X-Signature", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
            .body(body.to_vec())
            .send()
            .unwrap()
            .status();
        assert_eq!(status, 502);
    }
    let stderr = gw.stderr();
    assert_eq!(
        count_in(&stderr, "upstream host does not resolve"),
        1,
        "{stderr}"
    );
    assert_eq!(count_in(&stderr, "delivery failed"), 0, "{stderr}");
    // The audit line is written once the answer is: wait for the last one.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while count_in(&gw.stdout(), "\"upstream_error\"") < 4 && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let audit = count_in(&gw.stdout(), "\"upstream_error\"");
    assert_eq!(audit, 4, "one audit line each");
}

/// Item 7: what the upstream gets as header names. The gateway rebuilds the head from a header
/// map, so the sender's spelling is not kept (names are case-insensitive, RFC 9110 §5.1): names
/// go in lower case, except the standard ones pingora's HTTP/1 writer title-cases (`Host`,
/// `Content-Length`, `Content-Type`, `Cache-Control`, …), whatever case the sender used — as the
/// README says.
#[test]
fn header_names_reach_the_upstream_as_the_readme_says() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let head = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let head = read_message(&mut s);
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        head
    });
    let route = format!(
        "[[route]]\nname = \"case\"\npath = \"/case\"\nupstream = \"http://127.0.0.1:{port}/in\"\nprovider = \"hmac\"\nsecrets = [\"{SECRET}\"]\nsignature = {{ header = \"X-Signature\" }}\n"
    );
    let gw = Gateway::start("", &route);
    let body = "{}";
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &[body.as_bytes()]);
    let request = format!(
        "POST /case HTTP/1.1\r\nHOST: gw\r\nX-Signature: {sig}\r\ncontent-TYPE: application/json\r\nCache-control: no-cache\r\nX-Custom-Header: a\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{body}"
    );
    let answer = raw_exchange(gw.port, request.as_bytes(), Duration::from_secs(10));
    assert_eq!(status_of(&answer), Some(200), "{answer}");
    let head = head.join().unwrap();
    let names: Vec<&str> = head
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split_once(':').unwrap().0)
        .collect();
    for title in ["Host", "Content-Length", "Content-Type", "Cache-Control"] {
        assert!(names.contains(&title), "{title} in {names:?}");
    }
    for lower in [
        "x-signature",
        "x-custom-header",
        "x-forwarded-for",
        "x-hookgate-route",
    ] {
        assert!(names.contains(&lower), "{lower} in {names:?}");
    }
    for name in &names {
        let titled = ["Host", "Content-Length", "Content-Type", "Cache-Control"].contains(name);
        assert!(
            titled || *name == name.to_ascii_lowercase(),
            "{name} in {names:?}"
        );
    }
}

/// Item 2: per-client rate-limit keys in Redis name a keyed digest of the client address, never
/// the address; two replicas with the same `[state]` (`prefix`, `client_key`) share the
/// client's budget, and a short `client_key` is refused by `hookgate check`, naming the key.
#[test]
fn client_addresses_are_stored_in_redis_only_as_keyed_digests() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let up = Upstream::start();
    let state = format!(
        "[state]\nurl = \"{}\"\nprefix = \"p2\"\nclient_key = \"env:HOOKGATE_CLIENT_KEY\"\n",
        redis.url()
    );
    let limit = r#"rate_limit = { per_second = 0.001, burst = 1, key = "client_ip" }"#;
    let config = format!("{state}{}", hmac_route("rl", &up, limit));
    let env = [("HOOKGATE_CLIENT_KEY", "5c1e0b7a9d3f4e2a8b6c0d1e2f3a4b5c")];
    let trusted = "trusted_proxies = [\"127.0.0.1/32\"]";
    let a = Gateway::start_with_env(trusted, &config, &env);
    let b = Gateway::start_with_env(trusted, &config, &env);
    assert_eq!(send_from(&a, "/rl", "198.51.100.77"), 200);
    assert_eq!(
        send_from(&b, "/rl", "198.51.100.77"),
        429,
        "one budget across replicas"
    );
    assert_eq!(send_from(&b, "/rl", "2001:db8::77"), 200);
    let keys: Vec<String> = redis::Commands::keys(&mut redis.conn(), "*").unwrap();
    let client_keys: Vec<&String> = keys.iter().filter(|k| k.starts_with("p2:rl:rl:")).collect();
    assert_eq!(client_keys.len(), 2, "{keys:?}");
    for key in &keys {
        assert!(
            !key.contains("198.51.100") && !key.contains("2001:db8"),
            "{key}"
        );
    }
    for key in client_keys {
        let digest = &key["p2:rl:rl:".len()..];
        assert!(
            digest.len() == 32 && digest.chars().all(|c| c.is_ascii_hexdigit()),
            "{key}"
        );
    }

    let short = Command::new(bin())
        .args(["check", "-c"])
        .arg(&a.config_path)
        .env("HOOKGATE_CLIENT_KEY", "short")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(!short.status.success());
    assert!(
        stderr.contains("state.client_key") && !stderr.contains("short"),
        "{stderr}"
    );
}
