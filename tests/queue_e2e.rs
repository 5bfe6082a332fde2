//! Queued delivery end to end: the real `hookgate` binary with `delivery = "queue"`, a real
//! upstream on 127.0.0.1, signed webhooks over real HTTP, the admin API and the `hookgate queue`
//! CLI, and `kill -9` of the gateway while it accepts and delivers.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::upstream::Behavior;
use common::*;

const SECRET: &str = "queue-test-secret";
const ADMIN_TOKEN: &str = "admin-t0ken";

// A queue directory that outlives gateway restarts, removed at the end of the test.
use common::scratch::Scratch as QueueDir;

fn queue_dir(name: &str) -> QueueDir {
    QueueDir::new(&format!("e2e-queue-{name}"))
}

/// `[queue]` plus one queued HMAC route with event-ID dedup on `json:/id`.
fn config(dir: &QueueDir, upstream_port: u16, max_bytes: &str, queue: &str) -> String {
    format!(
        r#"
[queue]
dir = "{dir}"
max_bytes = "{max_bytes}"
admin_token = "env:HOOKGATE_TEST_ADMIN_TOKEN"

[[route]]
name = "erp"
path = "/webhooks/erp"
upstream = "http://127.0.0.1:{upstream_port}/erp"
provider = "hmac"
secrets = ["env:ERP_SECRET"]
signature = {{ header = "Erp-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
upstream_timeout = "2s"
delivery = "queue"
queue = {queue}
"#,
        dir = dir.0.display()
    )
}

const FAST_RETRY: &str =
    r#"{ concurrency = 4, max_attempts = 1000, backoff = { initial = "50ms", max = "300ms" } }"#;

fn start(dir: &QueueDir, upstream_port: u16, max_bytes: &str, queue: &str) -> Gateway {
    Gateway::start_with_env(
        "grace_period = \"2s\"",
        &config(dir, upstream_port, max_bytes, queue),
        &[
            ("ERP_SECRET", SECRET),
            ("HOOKGATE_TEST_ADMIN_TOKEN", ADMIN_TOKEN),
        ],
    )
}

/// An event body with ID `id`, padded to about `size` bytes with varied (non-UTF-8-safe JSON
/// string) content, so a truncated or altered body cannot pass.
fn event(id: &str, size: usize) -> Vec<u8> {
    let pad: String = (0..size)
        .map(|i| (b'a' + ((i * 7 + id.len()) % 26) as u8) as char)
        .collect();
    format!("{{\"id\":\"{id}\",\"type\":\"order.paid\",\"pad\":\"{pad}\"}}\r\n").into_bytes()
}

fn post(port: u16, body: &[u8]) -> reqwest::Result<reqwest::blocking::Response> {
    let sig = format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &[body]));
    client()
        .post(format!("http://127.0.0.1:{port}/webhooks/erp"))
        .header("content-type", "application/json")
        .header("erp-signature", sig)
        .header("x-custom", "kept")
        .body(body.to_vec())
        .send()
}

/// The upstream's requests by event ID (from the JSON body).
fn by_event(up: &Upstream) -> BTreeMap<String, Vec<common::upstream::Recorded>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for r in up.received() {
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

#[test]
fn upstream_down_then_up_every_accepted_event_is_delivered_once_byte_identical() {
    let dir = queue_dir("down-up");
    let port = free_port(); // the upstream is down: nothing listens here yet
    let gw = start(&dir, port, "64MiB", FAST_RETRY);
    let mut sent = BTreeMap::new();
    for n in 0..100 {
        let id = format!("evt_{n:03}");
        let body = event(&id, 200 + n * 37);
        let res = post(gw.port, &body).unwrap();
        assert_eq!(res.status(), 202, "event {n}");
        let queued = res.headers()["x-hookgate-queued"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(queued.len(), 32, "delivery ID: {queued}");
        sent.insert(id, (body, queued));
    }
    assert_eq!(
        gw.metric("hookgate_requests_total{route=\"erp\",outcome=\"queued\"}"),
        100.0
    );
    assert_eq!(
        gw.metric("hookgate_queue_messages{route=\"erp\",state=\"pending\"}"),
        100.0
    );
    wait_until("refused attempts counted", Duration::from_secs(10), || {
        gw.metric("hookgate_delivery_attempts_total{route=\"erp\",result=\"unreachable\"}") > 0.0
    });
    assert!(gw.metric("hookgate_queue_oldest_pending_age_seconds{route=\"erp\"}") > 0.0);

    let up = Upstream::start_on(port);
    wait_until("all 100 delivered", Duration::from_secs(60), || {
        by_event(&up).len() == 100
    });
    wait_until("queue empty", Duration::from_secs(10), || {
        gw.metric("hookgate_queue_messages{route=\"erp\",state=\"pending\"}") == 0.0
    });
    let delivered = by_event(&up);
    for (id, (body, queued)) in &sent {
        let got = &delivered[id];
        assert_eq!(got.len(), 1, "{id} delivered {} times", got.len());
        let r = &got[0];
        assert_eq!(&r.body, body, "{id}: body must be byte-identical");
        assert_eq!(r.header("x-hookgate-delivery-id"), Some(queued.as_str()));
        assert!(
            r.header("x-hookgate-attempt")
                .unwrap()
                .parse::<u32>()
                .unwrap()
                >= 2
        );
        assert_eq!(r.header("x-custom"), Some("kept"));
        assert_eq!(r.header("x-hookgate-route"), Some("erp"));
        assert_eq!(r.header("x-hookgate-event-id"), Some(id.as_str()));
        assert_eq!(r.target, "/erp");
    }
    assert_eq!(
        gw.metric("hookgate_delivery_attempts_total{route=\"erp\",result=\"2xx\"}"),
        100.0
    );
    assert_eq!(
        gw.metric("hookgate_queue_oldest_pending_age_seconds{route=\"erp\"}"),
        0.0
    );
}

#[test]
fn duplicate_of_a_queued_event_is_answered_200_duplicate_and_not_queued_twice() {
    let dir = queue_dir("dup");
    let up = Upstream::start();
    let gw = start(&dir, up.port, "64MiB", FAST_RETRY);
    let body = event("evt_dup", 100);
    let first = post(gw.port, &body).unwrap();
    assert_eq!(first.status(), 202);
    let again = post(gw.port, &body).unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["x-hookgate-duplicate"], "true");
    assert!(again.headers().get("x-hookgate-queued").is_none());
    wait_until("delivered", Duration::from_secs(10), || up.count() >= 1);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(up.count(), 1, "the duplicate was not queued");
    assert_eq!(
        gw.metric("hookgate_requests_total{route=\"erp\",outcome=\"duplicate\"}"),
        1.0
    );
}

#[test]
fn queue_over_max_bytes_answers_503_and_releases_the_dedup_claim() {
    let dir = queue_dir("full");
    let port = free_port(); // down: nothing drains the queue
    let gw = start(&dir, port, "20KiB", FAST_RETRY);
    let accepted: Vec<_> = (0..2)
        .map(|n| {
            let res = post(gw.port, &event(&format!("evt_fill_{n}"), 8 * 1024)).unwrap();
            assert_eq!(res.status(), 202);
            res.headers()["x-hookgate-queued"]
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let body = event("evt_over", 8 * 1024);
    let refused = post(gw.port, &body).unwrap();
    assert_eq!(refused.status(), 503);
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
    // Room is made (an operator drops a message); the provider's retry of the refused event is
    // accepted, not refused as a duplicate or as in flight: its claim was released.
    let dropped = run_cli(&gw, &["drop", &accepted[0]], Some(ADMIN_TOKEN));
    assert!(dropped.0, "{}", dropped.1);
    let retried = post(gw.port, &body).unwrap();
    assert_eq!(retried.status(), 202);
    assert_eq!(
        gw.metric("hookgate_requests_total{route=\"erp\",outcome=\"queued\"}"),
        3.0
    );
}

/// Runs `hookgate queue ARGS` against `gw`; returns (success, stdout + stderr).
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
fn dead_letter_is_listed_and_replayed_and_mutations_need_the_admin_token() {
    let dir = queue_dir("dead");
    let up = Upstream::start();
    up.set(|b| b.status = 500);
    let gw = start(
        &dir,
        up.port,
        "64MiB",
        r#"{ concurrency = 1, max_attempts = 2, backoff = { initial = "50ms", max = "100ms" } }"#,
    );
    let body = event("evt_dead", 300);
    let res = post(gw.port, &body).unwrap();
    assert_eq!(res.status(), 202);
    let id = res.headers()["x-hookgate-queued"]
        .to_str()
        .unwrap()
        .to_string();
    wait_until("dead letter", Duration::from_secs(10), || {
        gw.metric("hookgate_delivery_dead_total{route=\"erp\"}") == 1.0
    });
    assert_eq!(up.count(), 2, "max_attempts = 2");
    assert_eq!(
        gw.metric("hookgate_queue_messages{route=\"erp\",state=\"dead\"}"),
        1.0
    );

    let (ok, listed) = run_cli(&gw, &["list", "--dead", "--route", "erp"], None);
    assert!(ok, "{listed}");
    assert!(listed.contains(&id) && listed.contains("dead"), "{listed}");
    let (ok, stats) = run_cli(&gw, &["stats"], None);
    assert!(ok && stats.contains("erp"), "{stats}");

    // Mutations and `show` without the token, or with a wrong one: refused (401).
    up.set(|b| b.status = 200);
    for token in [None, Some("wrong")] {
        for args in [
            vec!["replay", id.as_str()],
            vec!["replay", "--dead", "--route", "erp"],
            vec!["drop", id.as_str()],
            vec!["show", id.as_str()],
        ] {
            let (ok, out) = run_cli(&gw, &args, token);
            assert!(!ok && out.contains("401"), "{args:?} with {token:?}: {out}");
        }
    }
    for (method, path) in [
        ("POST", format!("/admin/queue/messages/{id}/replay")),
        ("DELETE", format!("/admin/queue/messages/{id}")),
        ("POST", "/admin/queue/replay?route=erp".to_string()),
    ] {
        let res = client()
            .request(method.parse().unwrap(), gw.admin_url(&path))
            .send()
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(up.count(), 2, "nothing was replayed without the token");

    let (ok, shown) = run_cli(&gw, &["show", &id], Some(ADMIN_TOKEN));
    assert!(ok && shown.contains("body_base64"), "{shown}");
    let (ok, out) = run_cli(
        &gw,
        &["replay", "--dead", "--route", "erp"],
        Some(ADMIN_TOKEN),
    );
    assert!(ok, "{out}");
    assert!(out.contains("replayed 1"), "{out}");
    wait_until("replayed delivery", Duration::from_secs(10), || {
        up.count() == 3
    });
    let last = up.received().pop().unwrap();
    assert_eq!(last.body, body);
    assert_eq!(last.header("x-hookgate-attempt"), Some("1"));
    assert_eq!(last.header("x-hookgate-delivery-id"), Some(id.as_str()));
}

#[test]
fn kill_9_during_accept_and_deliver_never_loses_an_acknowledged_event() {
    let dir = queue_dir("crash");
    let up = Upstream::start();
    // A flaky upstream while the gateway is being killed: every third answer is a 500.
    up.set(|b| b.status = 200);
    let accepted: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
    let mut refused = 0;
    let kill_after_ms = [300u64, 1200, 50, 700, 2000, 150];
    let mut next = 0usize;
    for (round, wait) in kill_after_ms.iter().enumerate() {
        up.script(
            (0..30)
                .map(|i| Behavior {
                    status: if i % 3 == 0 { 500 } else { 200 },
                    ..Behavior::default()
                })
                .collect(),
        );
        let mut gw = start(&dir, up.port, "256MiB", FAST_RETRY);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let senders: Vec<_> = (0..8)
            .map(|t| {
                let (accepted, stop, port) = (accepted.clone(), stop.clone(), gw.port);
                let first = next + t * 100_000;
                std::thread::spawn(move || {
                    let mut refused = 0;
                    for n in first..first + 100_000 {
                        if stop.load(std::sync::atomic::Ordering::SeqCst) {
                            break;
                        }
                        let id = format!("evt_{round}_{n}");
                        let body = event(&id, 500 + n % 3000);
                        match post(port, &body) {
                            Ok(res) if res.status() == 202 => {
                                accepted.lock().unwrap().insert(id, body);
                            }
                            Ok(res) => {
                                assert_eq!(res.status(), 503, "unexpected answer");
                                refused += 1;
                            }
                            Err(_) => break, // the gateway is gone
                        }
                    }
                    refused
                })
            })
            .collect();
        next += 8 * 100_000;
        std::thread::sleep(Duration::from_millis(*wait));
        gw.child.kill().unwrap(); // SIGKILL, mid-accept and mid-delivery
        gw.child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for s in senders {
            refused += s.join().unwrap();
        }
        eprintln!(
            "round {round}: killed after {wait} ms; {} accepted so far, {} delivered so far",
            accepted.lock().unwrap().len(),
            by_event(&up).len()
        );
    }
    // Restart once more with a healthy upstream and let the queue drain.
    up.set(|b| b.status = 200);
    let gw = start(&dir, up.port, "256MiB", FAST_RETRY);
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() > 100,
        "too few events accepted to mean anything"
    );
    wait_until(
        "every accepted event delivered",
        Duration::from_secs(120),
        || {
            let got = by_event(&up);
            accepted.keys().all(|id| got.contains_key(id))
        },
    );
    let got = by_event(&up);
    let mut duplicates = 0;
    for (id, body) in &accepted {
        let copies = &got[id];
        assert!(copies.iter().all(|r| &r.body == body), "{id}: body differs");
        duplicates += copies.len().saturating_sub(1);
    }
    // Nothing reached the upstream that was never accepted... except events whose 202 was lost
    // with the killed connection (durable, so delivered: at least once); none was refused.
    let never_acked: BTreeSet<_> = got
        .keys()
        .filter(|id| !accepted.contains_key(*id))
        .collect();
    eprintln!(
        "{} accepted, all delivered; {duplicates} extra copies (retries after 500s and \
         redeliveries after a kill); {} delivered whose 202 was cut off by the kill; {refused} \
         refused with 503",
        accepted.len(),
        never_acked.len()
    );
    assert_eq!(refused, 0, "the queue was never full");
    drop(gw);
}

#[test]
fn statefulset_example_config_is_accepted_by_hookgate_check() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/kubernetes/hookgate-queue-statefulset.yaml"
    ))
    .unwrap();
    // The ConfigMap's `gateway.toml: |` block, de-indented.
    let mut lines = yaml
        .lines()
        .skip_while(|l| l.trim() != "gateway.toml: |")
        .skip(1);
    let first = lines.clone().find(|l| !l.trim().is_empty()).unwrap();
    let indent = first.len() - first.trim_start().len();
    let toml: String = lines
        .by_ref()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or("")))
        .collect();
    assert!(toml.contains("delivery = \"queue\""), "{toml}");
    let dir = TempDir::new();
    let path = dir.write("gateway.toml", &toml);
    let out = Command::new(bin())
        .args(["check", "-c"])
        .arg(&path)
        .env("STRIPE_WEBHOOK_SECRET", "whsec_dummy")
        .env("GITHUB_WEBHOOK_SECRET", "dummy")
        .env("HOOKGATE_ADMIN_TOKEN", "dummy")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And a queued route without [queue] is refused, naming file, route and key.
    let (before, rest) = toml.split_once("[queue]").unwrap();
    let broken = format!("{before}{}", &rest[rest.find("[[route]]").unwrap()..]);
    let broken_path = dir.write("broken.toml", &broken);
    let out = Command::new(bin())
        .args(["check", "-c"])
        .arg(&broken_path)
        .env("STRIPE_WEBHOOK_SECRET", "whsec_dummy")
        .env("GITHUB_WEBHOOK_SECRET", "dummy")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("broken.toml")
            && stderr.contains("route \"github\"")
            && stderr.contains("key `delivery`"),
        "{stderr}"
    );
}

#[test]
fn sigterm_lets_the_attempt_in_flight_finish_and_keeps_the_rest_queued() {
    let dir = queue_dir("sigterm");
    let up = Upstream::start();
    up.set(|b| b.delay = Duration::from_millis(1500));
    let one_at_a_time =
        r#"{ concurrency = 1, max_attempts = 100, backoff = { initial = "50ms", max = "100ms" } }"#;
    let mut gw = start(&dir, up.port, "64MiB", one_at_a_time);
    let first = post(gw.port, &event("evt_term_1", 100)).unwrap();
    assert_eq!(first.status(), 202);
    wait_until("attempt in flight", Duration::from_secs(5), || {
        up.count() == 1
    });
    let second = post(gw.port, &event("evt_term_2", 100)).unwrap();
    assert_eq!(second.status(), 202);

    gw.signal("TERM");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = gw.child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(up.count(), 1, "no new attempt once draining began");

    // Restarted: the finished attempt was acked (not sent again); the second event is delivered.
    up.set(|b| b.delay = Duration::ZERO);
    let _gw = start(&dir, up.port, "64MiB", one_at_a_time);
    wait_until("second delivered", Duration::from_secs(10), || {
        up.count() == 2
    });
    std::thread::sleep(Duration::from_millis(500));
    let ids: Vec<String> = by_event(&up).keys().cloned().collect();
    assert_eq!(ids, ["evt_term_1", "evt_term_2"]);
    assert_eq!(
        up.count(),
        2,
        "the attempt that finished during the drain is not repeated"
    );
}
