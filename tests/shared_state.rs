//! Two gateway processes (the real binary) sharing one real `redis-server` through `[state]`,
//! driven by real HTTP clients against a real upstream: dedup and rate limits hold across
//! replicas, and a Redis outage follows each route's `on_store_error`.
//!
//! Needs redis-server: skipped with a message locally when it is missing, FAILS under `CI=true`.

mod common;
#[path = "common/redis.rs"]
mod common_redis;
use common::ports;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use common_redis::RedisServer;

const SECRET: &str = "shared-secret";

/// `[state]` for `redis` with an outage-friendly budget, then the routes.
fn config(redis_url: &str, upstream: &Upstream, extra_routes: &str) -> String {
    format!(
        r#"
[state]
url = "{redis_url}"
prefix = "it"
timeout = "100ms"
breaker = {{ failures = 2, cooldown = "200ms" }}

[[route]]
name = "events"
path = "/hook"
upstream = "{up}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
upstream_timeout = "5s"
dedup = {{ ttl = "1h", id = "header:X-Event-Id" }}
rate_limit = {{ per_second = 1000, burst = 1000 }}

[[route]]
name = "strict"
path = "/strict"
upstream = "{up}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
dedup = {{ ttl = "1h", id = "header:X-Event-Id", on_store_error = "reject" }}
rate_limit = {{ per_second = 1000, burst = 1000, on_store_error = "reject" }}
{extra_routes}
"#,
        up = upstream.url("/in"),
    )
}

fn send(gw: &Gateway, path: &str, event_id: &str) -> reqwest::blocking::Response {
    let body = format!("{{\"id\":\"{event_id}\"}}");
    client()
        .post(gw.url(path))
        .header(
            "X-Signature",
            hmac_sha256_hex(SECRET.as_bytes(), &[body.as_bytes()]),
        )
        .header("X-Event-Id", event_id)
        .body(body)
        .send()
        .unwrap()
}

fn two_gateways(redis: &RedisServer, upstream: &Upstream, extra: &str) -> (Gateway, Gateway) {
    let text = config(&redis.url(), upstream, extra);
    (Gateway::start("", &text), Gateway::start("", &text))
}

/// The Redis key of `event_id` on route `events` (prefix `it`).
fn dedup_key(event_id: &str) -> Vec<u8> {
    let mut key = b"it:events:d:".to_vec();
    key.extend_from_slice(
        &hookgate::state::EventKey::of(event_id)
            .short()
            .to_le_bytes(),
    );
    key
}

/// The dedup key's value in Redis (`None`: absent).
fn dedup_value(redis: &RedisServer, event_id: &str) -> Option<Vec<u8>> {
    redis::cmd("GET")
        .arg(dedup_key(event_id))
        .query(&mut redis.conn())
        .unwrap()
}

/// Waits (bounded) until `event_id` is marked delivered in Redis.
fn wait_committed(redis: &RedisServer, event_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while dedup_value(redis, event_id).as_deref() != Some(b"1") {
        assert!(Instant::now() < deadline, "{event_id} was never committed");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn header(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

#[test]
fn an_event_delivered_through_a_is_a_duplicate_on_b() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    let (a, b) = two_gateways(&redis, &upstream, "");
    let first = send(&a, "/hook", "evt_x");
    assert_eq!(first.status(), 200);
    // The commit is sent after the answer: wait until it is visible in Redis.
    wait_committed(&redis, "evt_x");
    let again = send(&b, "/hook", "evt_x");
    assert_eq!(again.status(), 200);
    assert_eq!(
        header(&again, "x-hookgate-duplicate").as_deref(),
        Some("true")
    );
    assert_eq!(upstream.count(), 1, "the upstream saw X once");
}

#[test]
fn fifty_concurrent_sends_split_across_a_and_b_forward_once() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    upstream.set(|b| b.delay = Duration::from_millis(1500));
    let (a, b) = two_gateways(&redis, &upstream, "");
    let gateways = Arc::new([a, b]);
    let barrier = Arc::new(Barrier::new(50));
    let threads: Vec<_> = (0..50)
        .map(|i| {
            let (gateways, barrier) = (gateways.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let r = send(&gateways[i % 2], "/hook", "evt_race");
                (r.status().as_u16(), header(&r, "retry-after"))
            })
        })
        .collect();
    let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let forwarded = answers.iter().filter(|(s, _)| *s == 200).count();
    let in_flight: Vec<_> = answers.iter().filter(|(s, _)| *s == 409).collect();
    assert_eq!(forwarded, 1, "{answers:?}");
    assert_eq!(in_flight.len(), 49, "{answers:?}");
    for (_, retry_after) in in_flight {
        let secs: u64 = retry_after
            .as_deref()
            .expect("409 has Retry-After")
            .parse()
            .unwrap();
        assert!(secs >= 1);
    }
    assert_eq!(upstream.count(), 1);
}

#[test]
fn a_failed_delivery_through_a_is_retried_through_b() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    let (a, b) = two_gateways(&redis, &upstream, "");
    upstream.set(|b| b.status = 500);
    assert_eq!(send(&a, "/hook", "evt_retry").status(), 500);
    upstream.set(|b| b.status = 200);
    let retry = send(&b, "/hook", "evt_retry");
    assert_eq!(retry.status(), 200);
    assert_eq!(header(&retry, "x-hookgate-duplicate"), None);
    assert_eq!(upstream.count(), 2, "the retry through B was forwarded");
}

#[test]
fn the_rate_limit_burst_is_shared_by_both_gateways() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    let extra = format!(
        r#"
[[route]]
name = "limited"
path = "/limited"
upstream = "{}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
rate_limit = {{ per_second = 0.1, burst = 4 }}
"#,
        upstream.url("/in")
    );
    let (a, b) = two_gateways(&redis, &upstream, &extra);
    for i in 0..4 {
        let gw = if i % 2 == 0 { &a } else { &b };
        assert_eq!(send(gw, "/limited", &format!("e{i}")).status(), 200, "#{i}");
    }
    for gw in [&a, &b] {
        let r = send(gw, "/limited", "over");
        assert_eq!(r.status(), 429);
        assert_eq!(header(&r, "retry-after").as_deref(), Some("10"));
    }
}

/// Fail fast: a request during the outage costs at most `timeout` (100 ms) of waiting on the
/// store; 2 s leaves room for the forward itself on a loaded machine (without the budget a call
/// could wait out redis-rs's reconnects).
const FAIL_FAST: Duration = Duration::from_secs(2);

#[test]
fn redis_stopped_mid_test_follows_on_store_error_then_sharing_resumes() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    let (a, _b) = two_gateways(&redis, &upstream, "");
    assert_eq!(send(&a, "/hook", "before").status(), 200);

    redis.stop();
    for i in 0..4 {
        let started = Instant::now();
        let r = send(&a, "/hook", &format!("down{i}"));
        assert!(started.elapsed() < FAIL_FAST, "{:?}", started.elapsed());
        assert_eq!(r.status(), 200, "dedup forward / rate limit local: served");
        let started = Instant::now();
        let r = send(&a, "/strict", &format!("down{i}"));
        assert!(started.elapsed() < FAIL_FAST, "{:?}", started.elapsed());
        assert_eq!(r.status(), 503, "on_store_error = reject");
        assert!(header(&r, "retry-after").is_some());
    }
    assert_eq!(a.metric("hookgate_state_breaker_open"), 1.0);
    assert!(
        a.metric(r#"hookgate_state_fallbacks_total{action="forward",kind="dedup",route="events"}"#)
            >= 4.0
    );
    assert!(
        a.metric(
            r#"hookgate_state_fallbacks_total{action="local",kind="rate_limit",route="events"}"#
        ) >= 4.0
    );
    assert!(a.metric(r#"hookgate_requests_total{outcome="unavailable",route="strict"}"#) >= 4.0);
    assert!(a.metric(r#"hookgate_state_calls_total{op="claim",result="breaker_open"}"#) >= 1.0);
    assert_eq!(upstream.count(), 5, "forwarded without dedup while down");
    let log = a.stderr();
    assert_eq!(
        log.matches("rate_limit follows on_store_error").count(),
        2,
        "one line per route when it starts falling back, not one per request:\n{log}"
    );
    assert_eq!(
        log.matches("dedup follows on_store_error").count(),
        1,
        "{log}"
    );

    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.metric("hookgate_state_breaker_open") != 0.0 {
        assert!(
            Instant::now() < deadline,
            "breaker must close after Redis returns"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(send(&a, "/hook", "after").status(), 200);
    let dup = send(&a, "/hook", "after");
    assert_eq!(
        header(&dup, "x-hookgate-duplicate").as_deref(),
        Some("true")
    );
    assert!(a.stderr().contains("dedup is shared again"));
}

#[test]
fn a_gateway_started_before_redis_serves_and_picks_it_up() {
    let Some(mut redis) = RedisServer::prepare(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    let gw = Gateway::start("", &config(&redis.url(), &upstream, ""));
    assert_eq!(
        send(&gw, "/hook", "early").status(),
        200,
        "serves without Redis"
    );
    assert_eq!(send(&gw, "/strict", "early").status(), 503);
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = send(&gw, "/hook", "late");
        if header(&r, "x-hookgate-duplicate").is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Redis must be picked up once it appears"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn check_validates_the_state_section() {
    let upstream = Upstream::start();
    let dir = TempDir::new();
    let good = dir.write(
        "good.toml",
        &config("redis://:pw-secret-1@127.0.0.1:1/0", &upstream, ""),
    );
    let out = std::process::Command::new(bin())
        .args(["check", "-c"])
        .arg(&good)
        .output()
        .unwrap();
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{shown}");
    assert!(!shown.contains("pw-secret-1"), "{shown}");

    let bad = dir.write(
        "bad.toml",
        &config("http://:pw-secret-2@127.0.0.1/0", &upstream, "")
            .replace("timeout = \"100ms\"", "timeout = \"0s\""),
    );
    let out = std::process::Command::new(bin())
        .args(["check", "-c"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("bad.toml") && err.contains("state.url"),
        "{err}"
    );
    assert!(!err.contains("pw-secret-2"), "{err}");

    let policy = dir.write(
        "policy.toml",
        &config("redis://127.0.0.1/0", &upstream, "").replace(
            "on_store_error = \"reject\" }\nrate_limit",
            "on_store_error = \"drop\" }\nrate_limit",
        ),
    );
    let out = std::process::Command::new(bin())
        .args(["check", "-c"])
        .arg(&policy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("strict") && err.contains("dedup.on_store_error"),
        "{err}"
    );
}

/// Issue 24: the dedup commit is sent after the client's answer. Until it lands the claim holds
/// (a retry through another replica is 409 in flight or, once landed, a duplicate: never
/// forwarded twice); once it lands the retry is a duplicate.
#[test]
fn the_commit_lands_after_the_answer_and_a_retry_is_never_forwarded_twice() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let upstream = Upstream::start();
    let (a, b) = two_gateways(&redis, &upstream, "");
    assert_eq!(send(&a, "/hook", "evt_after").status(), 200);
    let early = send(&b, "/hook", "evt_after");
    match early.status().as_u16() {
        409 => assert!(header(&early, "retry-after").is_some()),
        200 => assert_eq!(
            header(&early, "x-hookgate-duplicate").as_deref(),
            Some("true")
        ),
        other => panic!("a retry while the commit is pending got {other}"),
    }
    wait_committed(&redis, "evt_after");
    let retry = send(&b, "/hook", "evt_after");
    assert_eq!(retry.status(), 200);
    assert_eq!(
        header(&retry, "x-hookgate-duplicate").as_deref(),
        Some("true")
    );
    assert_eq!(upstream.count(), 1);
}

/// Issue 24: SIGTERM with a dedup commit pending (Redis busy for 2 s after the client got its
/// answer) waits for it: the gateway is still running while the commit cannot land, and the
/// event is marked delivered once it exits.
#[test]
fn sigterm_waits_for_pending_dedup_commits() {
    let Some(redis) = RedisServer::start(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let upstream = Upstream::start();
    let text =
        config(&redis.url(), &upstream, "").replace(r#"timeout = "100ms""#, r#"timeout = "5s""#);
    let mut gw = Gateway::start(r#"grace_period = "20s""#, &text);
    assert_eq!(send(&gw, "/hook", "evt_warm").status(), 200);
    upstream.set(|b| b.delay = Duration::from_millis(500));
    let answer = std::thread::scope(|scope| {
        let sent = scope.spawn(|| send(&gw, "/hook", "evt_term").status());
        // The claim has landed once the upstream holds the request; then Redis goes busy.
        let deadline = Instant::now() + Duration::from_secs(5);
        while upstream.count() < 2 {
            assert!(
                Instant::now() < deadline,
                "the request never reached the upstream"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut blocker = redis.conn();
        let sleeper = std::thread::spawn(move || {
            redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg("2")
                .query::<()>(&mut blocker)
                .unwrap()
        });
        (sent.join().unwrap(), sleeper)
    });
    let (answer, sleeper) = answer;
    assert_eq!(answer, 200, "the answer does not wait for the commit");
    gw.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        gw.child.try_wait().unwrap().is_none(),
        "the gateway must wait for the pending commit"
    );
    let status = gw.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    sleeper.join().unwrap();
    assert_eq!(dedup_value(&redis, "evt_term").as_deref(), Some(&b"1"[..]));
}
