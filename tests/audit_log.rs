//! The audit log's buffering through the real binary (nginx's `access_log … buffer= flush=`):
//! lines are gathered per worker thread, written after `--audit-flush` with no further traffic,
//! when a thread's `--audit-buffer` fills, on SIGHUP and on SIGTERM; always whole lines.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;

const SECRET: &str = "audit-secret";

fn route(upstream: &Upstream) -> String {
    format!(
        r#"
[[route]]
name = "audit"
path = "/audit"
upstream = "{}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
"#,
        upstream.url("/in")
    )
}

fn send(client: &reqwest::blocking::Client, gw: &Gateway, id: &str) -> u16 {
    let body = format!(r#"{{"id":"{id}"}}"#);
    client
        .post(gw.url("/audit"))
        .header(
            "X-Signature",
            hmac_sha256_hex(SECRET.as_bytes(), &[body.as_bytes()]),
        )
        .body(body)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn launch(up: &Upstream, args: &[&str]) -> Gateway {
    Gateway::launch(
        "grace_period = \"5s\"",
        &route(up),
        Launch {
            args,
            ..Launch::default()
        },
    )
}

/// Every stdout line as JSON (panics on a torn or interleaved line).
fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// Waits (up to 20 s) until stdout holds `n` lines.
fn wait_for_lines(gw: &Gateway, n: usize) -> String {
    let until = Instant::now() + Duration::from_secs(20);
    while gw.stdout().lines().count() < n && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    gw.stdout()
}

fn stop(gw: &mut Gateway) -> String {
    gw.signal("TERM");
    assert!(gw.child.wait().unwrap().success());
    gw.stdout()
}

#[test]
fn lines_are_written_after_the_flush_interval_without_further_traffic() {
    let up = Upstream::start();
    let mut gw = launch(&up, &["--audit-flush", "200ms"]);
    let client = client();
    assert_eq!(send(&client, &gw, "evt_flush_1"), 200);
    assert_eq!(send(&client, &gw, "evt_flush_2"), 200);
    // Far below the 32 KiB buffer: only the flush interval writes them.
    let stdout = wait_for_lines(&gw, 2);
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["event_id"], "evt_flush_1");
    assert_eq!(lines[1]["event_id"], "evt_flush_2");
    stop(&mut gw);
}

#[test]
fn gathered_lines_wait_for_the_interval_and_are_all_written_on_sigterm() {
    let up = Upstream::start();
    let mut gw = launch(&up, &["--audit-flush", "1h"]);
    let client = client();
    for i in 0..5 {
        assert_eq!(send(&client, &gw, &format!("evt_term_{i}")), 200);
    }
    // Answered and not yet written: the lines are gathered (an hour's flush interval).
    assert_eq!(gw.stdout(), "");
    let stdout = stop(&mut gw);
    let ids: Vec<_> = json_lines(&stdout)
        .iter()
        .map(|v| v["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        (0..5).map(|i| format!("evt_term_{i}")).collect::<Vec<_>>()
    );
}

#[test]
fn sighup_writes_the_gathered_lines() {
    let up = Upstream::start();
    let mut gw = launch(&up, &["--audit-flush", "1h"]);
    assert_eq!(send(&client(), &gw, "evt_hup"), 200);
    gw.signal("HUP");
    let stdout = wait_for_lines(&gw, 1);
    assert_eq!(json_lines(&stdout)[0]["event_id"], "evt_hup", "{stdout}");
    stop(&mut gw);
}

#[test]
fn lines_stay_whole_under_concurrent_load_from_every_worker_thread() {
    let up = Upstream::start();
    // Two worker threads (the harness's `threads = 2`), each filling a 1 KiB buffer every few
    // requests: batches from both threads and the flusher reach stdout concurrently.
    let mut gw = launch(&up, &["--audit-buffer", "1KiB", "--audit-flush", "5ms"]);
    let (clients, per_client) = (8, 60);
    std::thread::scope(|s| {
        for c in 0..clients {
            let gw = &gw;
            s.spawn(move || {
                let client = client();
                for i in 0..per_client {
                    // Long event IDs: lines of ~600 bytes, so batches cross 4 KiB pipe pages.
                    let id = format!("evt_{c}_{i}_{}", "x".repeat(400));
                    assert_eq!(send(&client, gw, &id), 200);
                }
            });
        }
    });
    let stdout = stop(&mut gw);
    let ids: BTreeSet<String> = json_lines(&stdout)
        .iter()
        .map(|v| v["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stdout.lines().count(), clients * per_client);
    assert_eq!(ids.len(), clients * per_client);
}

#[test]
fn text_lines_are_buffered_and_written_whole_on_sigterm() {
    let up = Upstream::start();
    let mut gw = launch(&up, &["--log-format", "text", "--audit-flush", "1h"]);
    let client = client();
    assert_eq!(send(&client, &gw, "evt_text_1"), 200);
    assert_eq!(send(&client, &gw, "evt_text_2"), 200);
    assert_eq!(gw.stdout(), "");
    let stdout = stop(&mut gw);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, id) in lines.iter().zip(["evt_text_1", "evt_text_2"]) {
        assert!(line.contains("webhook") && line.contains(id), "{line}");
    }
}

#[test]
fn a_zero_buffer_writes_each_line_at_once_and_bad_values_are_refused() {
    let up = Upstream::start();
    let mut gw = launch(&up, &["--audit-buffer", "0", "--audit-flush", "1h"]);
    assert_eq!(send(&client(), &gw, "evt_unbuffered"), 200);
    let stdout = wait_for_lines(&gw, 1);
    assert_eq!(json_lines(&stdout)[0]["event_id"], "evt_unbuffered");
    stop(&mut gw);

    for (flag, value, says) in [
        ("--audit-buffer", "lots", "is not a size"),
        ("--audit-buffer", "1GiB", "over the largest audit buffer"),
        ("--audit-flush", "0s", "must be above zero"),
        // Below a millisecond was taken and silently run as 1ms (a thread waking 1,000 times a
        // second): refused instead.
        ("--audit-flush", "1ns", "at least 1ms"),
    ] {
        let out = std::process::Command::new(bin())
            .args(["run", "-c", "/nonexistent.toml", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(says), "{stderr}");
    }
}
