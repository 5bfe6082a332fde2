//! The Redis queue backend through the real binary: two `hookgate` processes on one real
//! `redis-server`, a real upstream, signed webhooks over HTTP. A replica killed with `kill -9`
//! right after its 202s has its events delivered by the other, under the same delivery IDs;
//! two healthy replicas deliver each event once; a Redis restarted with AOF keeps every
//! acknowledged event; a Redis that is down gets 503s (nothing acknowledged) while direct routes
//! keep working, then the queue recovers; `hookgate queue` and the admin API work unchanged;
//! `hookgate check` refuses an evicting Redis.

mod common;
#[path = "common/redis.rs"]
mod redis_server;
use common::ports;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use redis_server::RedisServer;

const SECRET: &str = "queue-test-secret";
const ADMIN_TOKEN: &str = "admin-t0ken";

const FAST_RETRY: &str =
    r#"{ concurrency = 4, max_attempts = 1000, backoff = { initial = "50ms", max = "300ms" } }"#;

/// `[queue]` on Redis (lease 2 s) plus one queued HMAC route with dedup and one direct route.
fn config(redis_url: &str, prefix: &str, upstream_port: u16, timeout: &str, queue: &str) -> String {
    format!(
        r#"
[queue]
backend = "redis"
url = "{redis_url}"
prefix = "{prefix}"
lease_timeout = "2s"
max_bytes = "64MiB"
admin_token = "env:HOOKGATE_TEST_ADMIN_TOKEN"

[[route]]
name = "erp"
path = "/webhooks/erp"
upstream = "http://127.0.0.1:{upstream_port}/erp"
provider = "hmac"
secrets = ["env:ERP_SECRET"]
signature = {{ header = "Erp-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
upstream_timeout = "{timeout}"
delivery = "queue"
queue = {queue}

[[route]]
name = "direct"
path = "/webhooks/direct"
upstream = "http://127.0.0.1:{upstream_port}/direct"
provider = "hmac"
secrets = ["env:ERP_SECRET"]
signature = {{ header = "Erp-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
"#
    )
}

fn start(config: &str) -> Gateway {
    Gateway::start_with_env(
        "grace_period = \"2s\"",
        config,
        &[
            ("ERP_SECRET", SECRET),
            ("HOOKGATE_TEST_ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    )
}

fn event(id: &str, size: usize) -> Vec<u8> {
    let pad: String = (0..size)
        .map(|i| (b'a' + ((i * 7 + id.len()) % 26) as u8) as char)
        .collect();
    format!("{{\"id\":\"{id}\",\"type\":\"order.paid\",\"pad\":\"{pad}\"}}\r\n").into_bytes()
}

fn post_to(port: u16, path: &str, body: &[u8]) -> reqwest::blocking::Response {
    let sig = format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &[body]));
    client()
        .post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/json")
        .header("erp-signature", sig)
        .body(body.to_vec())
        .send()
        .unwrap()
}

fn post(port: u16, body: &[u8]) -> reqwest::blocking::Response {
    post_to(port, "/webhooks/erp", body)
}

/// Posts `body`, expects 202, returns the delivery ID.
fn accepted(port: u16, body: &[u8]) -> String {
    let res = post(port, body);
    assert_eq!(res.status(), 202);
    res.headers()["x-hookgate-queued"]
        .to_str()
        .unwrap()
        .to_string()
}

fn by_event(up: &Upstream) -> BTreeMap<String, Vec<common::upstream::Recorded>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for r in up.received() {
        if r.target != "/erp" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON body");
        out.entry(v["id"].as_str().unwrap().to_string())
            .or_default()
            .push(r);
    }
    out
}

fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run_cli(gw: &Gateway, args: &[&str], token: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(bin());
    cmd.args(["queue", "-c"])
        .arg(&gw.config_path)
        .args(args)
        .env_remove("HOOKGATE_ADMIN_TOKEN")
        .env_remove("HOOKGATE_TEST_ADMIN_TOKEN");
    if let Some(t) = token {
        cmd.env("HOOKGATE_ADMIN_TOKEN", t);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn replica_killed_right_after_its_202s_the_other_delivers_under_the_same_ids() {
    let Some(redis) = RedisServer::start(&["--appendonly", "yes"]) else {
        return;
    };
    let up = Upstream::start();
    // Every attempt hangs (10 s timeout): both replicas' workers hold leases when A dies.
    up.set(|b| b.delay = Duration::from_secs(30));
    let text = config(&redis.url(), "kill", up.port, "10s", FAST_RETRY);
    let mut a = start(&text);
    let b = start(&text);
    let mut sent = BTreeMap::new();
    for n in 0..12 {
        let id = format!("evt_kill_{n}");
        let body = event(&id, 300 + n * 101);
        let queued = accepted(a.port, &body);
        sent.insert(id, (body, queued));
    }
    wait_until("both replicas hold leases", Duration::from_secs(10), || {
        let text = client()
            .get(b.admin_url("/admin/queue/stats"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let stats: serde_json::Value = serde_json::from_str(&text).unwrap();
        stats["routes"]["erp"]["leased"].as_u64() == Some(8)
    });
    a.child.kill().unwrap(); // SIGKILL right after the 202s, attempts in flight
    a.child.wait().unwrap();
    up.set(|b| b.delay = Duration::ZERO);
    wait_until(
        "every accepted event delivered",
        Duration::from_secs(60),
        || {
            let got = by_event(&up);
            sent.keys().all(|id| got.contains_key(id))
        },
    );
    // Acked only after a 2xx: a drained queue means B delivered every one (A's included).
    wait_until("B's queue drained", Duration::from_secs(30), || {
        b.metric("hookgate_queue_messages{route=\"erp\",state=\"pending\"}") == 0.0
    });
    let got = by_event(&up);
    for (id, (body, queued)) in &sent {
        for copy in &got[id] {
            assert_eq!(&copy.body, body, "{id}: byte-identical");
            assert_eq!(
                copy.header("x-hookgate-delivery-id"),
                Some(queued.as_str()),
                "{id}"
            );
        }
    }
    assert!(
        b.metric("hookgate_queue_redis_takeovers_total{route=\"erp\"}") >= 4.0,
        "A's four leases were taken over"
    );
}

#[test]
fn two_healthy_replicas_deliver_each_event_once() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let up = Upstream::start();
    let text = config(&redis.url(), "twice", up.port, "5s", FAST_RETRY);
    let a = start(&text);
    let b = start(&text);
    let mut ids = BTreeMap::new();
    for n in 0..200 {
        let id = format!("evt_once_{n}");
        let port = if n % 2 == 0 { a.port } else { b.port };
        ids.insert(id.clone(), accepted(port, &event(&id, 100 + n)));
    }
    wait_until("all delivered", Duration::from_secs(60), || {
        by_event(&up).len() == 200
    });
    std::thread::sleep(Duration::from_millis(1500)); // any second copy would show by now
    let got = by_event(&up);
    for (id, queued) in &ids {
        assert_eq!(got[id].len(), 1, "{id} delivered {} times", got[id].len());
        assert_eq!(
            got[id][0].header("x-hookgate-delivery-id"),
            Some(queued.as_str())
        );
    }
    let delivered_by =
        |gw: &Gateway| gw.metric("hookgate_delivery_attempts_total{route=\"erp\",result=\"2xx\"}");
    assert_eq!(delivered_by(&a) + delivered_by(&b), 200.0);
}

#[test]
fn redis_restarted_with_aof_loses_nothing_acknowledged() {
    let aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let Some(mut redis) = RedisServer::start(&aof) else {
        return;
    };
    let port = free_port(); // the upstream is down: everything stays queued
    let gw = start(&config(&redis.url(), "aof", port, "2s", FAST_RETRY));
    let mut sent = BTreeMap::new();
    for n in 0..50 {
        let id = format!("evt_aof_{n}");
        let body = event(&id, 200 + n * 53);
        let queued = accepted(gw.port, &body);
        sent.insert(id, (body, queued));
    }
    redis.stop(); // SIGKILL
    redis.resume();
    let up = Upstream::start_on(port);
    wait_until(
        "all 50 delivered after the restart",
        Duration::from_secs(60),
        || by_event(&up).len() == 50,
    );
    let got = by_event(&up);
    for (id, (body, queued)) in &sent {
        assert_eq!(&got[id][0].body, body);
        assert_eq!(
            got[id][0].header("x-hookgate-delivery-id"),
            Some(queued.as_str())
        );
    }
}

#[test]
fn redis_down_answers_503_direct_routes_serve_and_the_queue_recovers() {
    let Some(mut redis) = RedisServer::prepare(&[]) else {
        return;
    };
    let up = Upstream::start();
    // Started while Redis is down.
    let gw = start(&config(&redis.url(), "down", up.port, "2s", FAST_RETRY));
    let direct = post_to(gw.port, "/webhooks/direct", &event("evt_direct", 10));
    assert_eq!(direct.status(), 200, "direct routes do not need the queue");
    let body = event("evt_down", 100);
    let refused = post(gw.port, &body);
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().get("x-hookgate-queued").is_none());
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(
        gw.metric("hookgate_requests_total{route=\"erp\",outcome=\"unavailable\"}"),
        1.0
    );
    assert!(gw.metric("hookgate_queue_redis_calls_total{op=\"append\",result=\"error\"}") >= 1.0);
    redis.resume();
    // The provider's retry of the same event: its dedup claim was released, so it is accepted.
    wait_until(
        "accepted once Redis is back",
        Duration::from_secs(20),
        || post(gw.port, &body).status() == 202,
    );
    wait_until("delivered", Duration::from_secs(20), || {
        by_event(&up).contains_key("evt_down")
    });
    assert_eq!(by_event(&up)["evt_down"].len(), 1);
}

#[test]
fn queue_cli_and_admin_api_work_against_redis() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let up = Upstream::start();
    up.set(|b| b.status = 500);
    let one =
        r#"{ concurrency = 1, max_attempts = 2, backoff = { initial = "50ms", max = "100ms" } }"#;
    let gw = start(&config(&redis.url(), "cli", up.port, "2s", one));
    let body = event("evt_cli", 300);
    let id = accepted(gw.port, &body);
    wait_until("dead letter", Duration::from_secs(10), || {
        gw.metric("hookgate_delivery_dead_total{route=\"erp\"}") == 1.0
    });
    assert_eq!(
        gw.metric("hookgate_queue_messages{route=\"erp\",state=\"dead\"}"),
        1.0
    );
    let (ok, listed) = run_cli(&gw, &["list", "--dead", "--route", "erp"], None);
    assert!(
        ok && listed.contains(&id) && listed.contains("dead"),
        "{listed}"
    );
    let (ok, stats) = run_cli(&gw, &["stats"], None);
    assert!(ok && stats.contains("erp"), "{stats}");
    let (ok, out) = run_cli(&gw, &["replay", &id], None);
    assert!(!ok && out.contains("401"), "{out}");
    let (ok, shown) = run_cli(&gw, &["show", &id], Some(ADMIN_TOKEN));
    assert!(ok && shown.contains("body_base64"), "{shown}");
    up.set(|b| b.status = 200);
    let (ok, out) = run_cli(
        &gw,
        &["replay", "--dead", "--route", "erp"],
        Some(ADMIN_TOKEN),
    );
    assert!(ok && out.contains("replayed 1"), "{out}");
    wait_until("replayed delivery", Duration::from_secs(10), || {
        up.count() == 3
    });
    let last = up.received().pop().unwrap();
    assert_eq!(last.body, body);
    assert_eq!(last.header("x-hookgate-attempt"), Some("1"));
    assert_eq!(last.header("x-hookgate-delivery-id"), Some(id.as_str()));
    // Drop through the admin API.
    let second = accepted(gw.port, &event("evt_cli_2", 10));
    let res = client()
        .delete(gw.admin_url(&format!("/admin/queue/messages/{second}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap();
    assert!(
        res.status() == 200 || res.status() == 404,
        "{}",
        res.status()
    );
    // Gone now either way: a DELETE of an unknown ID is a 404, and the CLI names the ID and
    // exits 1 after dropping the IDs it could.
    let res = client()
        .delete(gw.admin_url(&format!("/admin/queue/messages/{second}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap();
    assert_eq!(res.status(), 404);
    up.set(|b| b.status = 500);
    let third = accepted(gw.port, &event("evt_cli_3", 10));
    let (ok, out) = run_cli(&gw, &["drop", &second, &third], Some(ADMIN_TOKEN));
    assert!(
        !ok && out.contains(&format!("no such message: {second}")),
        "{out}"
    );
    assert!(out.contains(&format!("dropped {third}")), "{out}");
}

#[test]
fn check_refuses_an_evicting_redis_and_warns_on_persistence_off() {
    let Some(redis) = RedisServer::start(&["--maxmemory-policy", "allkeys-lru"]) else {
        return;
    };
    let dir = TempDir::new();
    let check = |text: &str| {
        let path = dir.write(
            "gateway.toml",
            &format!("[server]\nlisten = \"127.0.0.1:1\"\n{text}"),
        );
        Command::new(bin())
            .args(["check", "-c"])
            .arg(&path)
            .env("ERP_SECRET", SECRET)
            .env("HOOKGATE_TEST_ADMIN_TOKEN", ADMIN_TOKEN)
            .output()
            .unwrap()
    };
    let out = check(&config(&redis.url(), "chk", 1, "2s", FAST_RETRY));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("allkeys-lru") && stderr.contains("evict"),
        "{stderr}"
    );
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query(&mut redis.conn())
        .unwrap();
    let out = check(&config(&redis.url(), "chk", 1, "2s", FAST_RETRY));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("appendonly is off"), "{stdout}");
}

/// A Redis restart drops every pooled connection; each one failed on its first use afterwards
/// (broken pipe), so up to `append_connections` provider requests got 503 while Redis was up.
/// The append is sent once more on a fresh connection, with the same delivery ID.
#[test]
fn appends_after_a_redis_restart_are_accepted_not_503() {
    let aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let Some(mut redis) = RedisServer::start(&aof) else {
        return;
    };
    let port = free_port(); // the upstream is down: everything stays queued
    let gw = start(&config(&redis.url(), "restart", port, "2s", FAST_RETRY));
    let mut sent = BTreeMap::new();
    for n in 0..8 {
        let id = format!("evt_before_{n}");
        let body = event(&id, 100);
        sent.insert(id, (accepted(gw.port, &body), body));
    }
    redis.stop();
    redis.resume();
    for n in 0..12 {
        let id = format!("evt_after_{n}");
        let body = event(&id, 100);
        let res = post(gw.port, &body);
        assert_eq!(res.status(), 202, "{id}: Redis is up again");
        let queued = res.headers()["x-hookgate-queued"].to_str().unwrap();
        sent.insert(id, (queued.to_string(), body));
    }
    let up = Upstream::start_on(port);
    wait_until("all 20 delivered", Duration::from_secs(60), || {
        by_event(&up).len() == 20
    });
    for (id, (queued, body)) in &sent {
        let got = &by_event(&up)[id][0];
        assert_eq!(&got.body, body);
        assert_eq!(got.header("x-hookgate-delivery-id"), Some(queued.as_str()));
    }
}

/// Redis lost its data (`FLUSHALL`, a restart without persistence) while the gateway ran: the
/// routes set went with it, and a route is registered once per process, so every message
/// queued afterwards was invisible to `queue list|stats` and the admin API. The maintenance
/// pass puts the gateway's routes back.
#[test]
fn messages_queued_after_a_flushall_are_listed() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let port = free_port(); // the upstream is down: everything stays queued
    let gw = start(&config(&redis.url(), "flush", port, "2s", FAST_RETRY));
    accepted(gw.port, &event("evt_lost", 50));
    redis::cmd("FLUSHALL")
        .query::<()>(&mut redis.conn())
        .unwrap();
    let id = accepted(gw.port, &event("evt_kept", 50));
    wait_until("listed after the flush", Duration::from_secs(20), || {
        let (ok, listed) = run_cli(&gw, &["list", "--route", "erp"], None);
        let (_, all) = run_cli(&gw, &["list"], None);
        ok && listed.contains(&id) && all.contains(&id)
    });
    let (ok, stats) = run_cli(&gw, &["stats"], None);
    assert!(ok && stats.contains("erp"), "{stats}");
}
