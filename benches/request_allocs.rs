//! Heap allocations (calls into the allocator) and bytes asked for, per webhook request, counted
//! by a global allocator wrapper: a number the machine's noise does not move.
//!
//!     cargo build --release --bench request_allocs
//!     target/release/deps/request_allocs-* > /dev/null     # the figures go to stderr
//!
//! The gateway runs in this process (`hookgate::server::run`, the binary's runtime kind: one
//! no-steal thread, `threads = 1`, the JSON audit line on stdout), with a real upstream on
//! 127.0.0.1 and a client on one kept-alive connection, one request at a time. Client and upstream
//! allocate nothing per request (fixed buffers, requests built beforehand), so the process-wide
//! count over a run, divided by its requests, is the gateway's cost per request. Routes, as
//! `bench/bench.py`'s targets H and H2: verify + forward (`provider = "hmac"`, 1.5 KiB signed
//! JSON), and the same plus dedup on `json:/id` (a new id per request) and an in-memory rate limit
//! that never refuses. Then H again on a second in-process gateway with `[tracing]` at
//! `sample_ratio = 1.0` and at `0.01` (`bench/bench.py`'s Ht1, Ht001), exporting over OTLP/HTTP
//! to a sink in this process that answers 200 and allocates nothing per export: the export
//! thread's allocations (batching, protobuf encoding, the HTTP call) count, since they are the
//! request's; the counts wait for the export after each run (`export_interval = "20ms"`).
//! Last, when `redis-server` is on the PATH, H2 with `[state]` on a redis-server this bench starts
//! on loopback (`bench/bench.py`'s H2r): the Redis client's allocations (command encoding, the
//! multiplexed connection's channel, reply parsing) count, Redis's own do not.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering::Relaxed;

use hmac::{Hmac, Mac};
use hookgate::server::state::GatewayState;
use hookgate::server::StopOn;
use hookgate::telemetry::{AuditFormat, AuditSink};
use sha2::Sha256;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{Counting, ALLOCATED, ALLOCS};

#[global_allocator]
static GLOBAL: Counting = Counting;

const SECRET: &str = "bench-webhook-secret-0123456789";
const WARM_UP: usize = 500;
const MEASURED: usize = 5_000;
const UPSTREAM_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"ok\":true}\n";
/// An empty `ExportTraceServiceResponse`: the export succeeded.
const SINK_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
/// How long the exporter gets to send what a run's spans left queued (20 ms interval).
const EXPORT_SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

fn main() {
    let upstream = start_server(UPSTREAM_ANSWER);
    let sink = start_server(SINK_ANSWER);
    let dir = std::env::temp_dir().join(format!("hookgate-request-allocs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plain = start_gateway(&dir, "plain", upstream, "");
    let runs = [
        (plain, "verify + forward (H)", "/hook", false),
        (
            plain,
            "+ dedup + rate limit, in memory (H2)",
            "/hook-dedup",
            true,
        ),
        (
            start_gateway(&dir, "t1", upstream, &tracing(sink, 1.0)),
            "H, [tracing] sample_ratio = 1.0 (Ht1)",
            "/hook",
            false,
        ),
        (
            start_gateway(&dir, "t001", upstream, &tracing(sink, 0.01)),
            "H, [tracing] sample_ratio = 0.01 (Ht001)",
            "/hook",
            false,
        ),
    ];
    let redis = start_redis();
    let redis_run = redis.as_ref().map(|(_, redis_port)| {
        let state =
            format!("\n[state]\nurl = \"redis://127.0.0.1:{redis_port}\"\nprefix = \"bench\"\n");
        (
            start_gateway(&dir, "redis", upstream, &state),
            "H2, [state] on Redis (H2r)",
            "/hook-dedup",
            true,
        )
    });
    if redis_run.is_none() {
        eprintln!("H2r skipped: no redis-server on the PATH");
    }
    // `REQUEST_ALLOCS_ONLY=H)` (a label's substring) measures one run: for a profile of its
    // allocation sites (`perf record -e 'probe_libc:*'`) that the other runs do not blur.
    let only = std::env::var("REQUEST_ALLOCS_ONLY").unwrap_or_default();
    let chosen = runs
        .into_iter()
        .chain(redis_run)
        .filter(|(_, label, _, _)| label.contains(only.as_str()));
    for (port, label, path, unique_ids) in chosen {
        let requests = signed_requests(port, path, unique_ids, WARM_UP + MEASURED);
        let (allocs, bytes) = measure(port, &requests);
        eprintln!(
            "{label}: {:.1} allocations, {:.0} bytes allocated per request ({MEASURED} requests)",
            allocs as f64 / MEASURED as f64,
            bytes as f64 / MEASURED as f64
        );
    }
    if let Some((mut server, _)) = redis {
        let _ = server.kill();
        let _ = server.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(0);
}

/// A redis-server on a free loopback port without persistence, when one is installed.
fn start_redis() -> Option<(std::process::Child, u16)> {
    let port = free_port();
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    wait_listening(port);
    Some((child, port))
}

/// Starts an in-process gateway with `extra` appended to its config; its port.
fn start_gateway(dir: &std::path::Path, name: &str, upstream: u16, extra: &str) -> u16 {
    let (port, admin) = (free_port(), free_port());
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, config(port, admin, upstream) + extra).expect("config written");
    let config = hookgate::config::load(&path).expect("valid config");
    let state = GatewayState::new(
        config,
        AuditSink {
            format: AuditFormat::Json,
        },
    )
    .expect("gateway builds");
    // `Signals`: the binary's no-steal runtime (the process exits when the bench is done).
    std::thread::spawn(move || hookgate::server::run(state, StopOn::Signals).expect("runs"));
    wait_listening(port);
    port
}

/// `[tracing]` to the sink, as bench/bench.py's Ht targets (a queue nothing overflows).
fn tracing(sink: u16, ratio: f64) -> String {
    format!(
        "\n[tracing]\nendpoint = \"http://127.0.0.1:{sink}\"\nsample_ratio = {ratio}\n\
         max_queue = 262144\nmax_batch = 2048\nexport_interval = \"20ms\"\n"
    )
}

/// Sends every request on one connection, one at a time; counts over all but the first
/// `WARM_UP` (pools, thread-locals and lazily built state are filled by then).
fn measure(port: u16, requests: &[Vec<u8>]) -> (usize, usize) {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_nodelay(true).expect("nodelay");
    let mut buf = vec![0u8; 64 * 1024];
    let (mut allocs, mut bytes) = (0, 0);
    for (i, request) in requests.iter().enumerate() {
        if i == WARM_UP {
            std::thread::sleep(EXPORT_SETTLE);
            allocs = ALLOCS.load(Relaxed);
            bytes = ALLOCATED.load(Relaxed);
        }
        conn.write_all(request).expect("request sent");
        let status = read_response(&mut conn, &mut buf);
        assert_eq!(status, 200, "request {i} answered {status}");
    }
    std::thread::sleep(EXPORT_SETTLE);
    (
        ALLOCS.load(Relaxed) - allocs,
        ALLOCATED.load(Relaxed) - bytes,
    )
}

/// Reads one response with a `Content-Length` body into `buf`; its status.
fn read_response(conn: &mut TcpStream, buf: &mut [u8]) -> u16 {
    let mut filled = 0;
    loop {
        let n = conn.read(&mut buf[filled..]).expect("response read");
        assert!(n > 0, "gateway closed the connection");
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(&buf[..filled]).expect("head") {
            let length = content_length(response.headers);
            let status = response.code.expect("status");
            while filled < head + length {
                let n = conn.read(&mut buf[filled..]).expect("body read");
                assert!(n > 0, "gateway closed mid-body");
                filled += n;
            }
            return status;
        }
    }
}

fn content_length(headers: &[httparse::Header<'_>]) -> usize {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
        .unwrap_or(0)
}

/// `n` signed 1.5 KiB JSON events, as bytes on the wire (wrk's shape: Host, Content-Type,
/// X-Signature, Content-Length).
fn signed_requests(port: u16, path: &str, unique_ids: bool, n: usize) -> Vec<Vec<u8>> {
    let padding = "x".repeat(1400);
    (0..n)
        .map(|i| {
            let id = if unique_ids { i } else { 0 };
            let body = format!(
                "{{\"id\":\"evt_{id:016}\",\"type\":\"invoice.paid\",\"data\":{{\"note\":\"{padding}\"}}}}"
            );
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
            mac.update(body.as_bytes());
            let signature = hex::encode(mac.finalize().into_bytes());
            format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nX-Signature: {signature}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect()
}

fn config(port: u16, admin: u16, upstream: u16) -> String {
    format!(
        r#"[server]
listen = "127.0.0.1:{port}"
admin_listen = "127.0.0.1:{admin}"
threads = 1

[[route]]
name = "bench"
path = "/hook"
upstream = "http://127.0.0.1:{upstream}/hook"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}

[[route]]
name = "bench-dedup"
path = "/hook-dedup"
upstream = "http://127.0.0.1:{upstream}/hook"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
rate_limit = {{ per_second = 10000000.0, burst = 10000000 }}
"#
    )
}

/// A server answering every request with `answer`, allocating nothing per request (one buffer
/// per connection): the upstream, and the OTLP sink.
fn start_server(answer: &'static [u8]) -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("upstream binds");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            std::thread::spawn(move || serve(conn, answer));
        }
    });
    port
}

fn serve(mut conn: TcpStream, answer: &[u8]) {
    let _ = conn.set_nodelay(true);
    let mut buf = vec![0u8; 4 << 20]; // an export batch of 2048 spans fits
    let mut filled = 0;
    loop {
        let parsed = {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&buf[..filled]) {
                Ok(httparse::Status::Complete(head)) => {
                    Some(head + content_length(request.headers))
                }
                Ok(httparse::Status::Partial) => None,
                Err(_) => return,
            }
        };
        match parsed {
            Some(end) if filled >= end => {
                if conn.write_all(answer).is_err() {
                    return;
                }
                buf.copy_within(end..filled, 0);
                filled -= end;
            }
            _ => match conn.read(&mut buf[filled..]) {
                Ok(0) | Err(_) => return,
                Ok(n) => filled += n,
            },
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn wait_listening(port: u16) {
    for _ in 0..2000 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("gateway did not listen on {port}");
}
