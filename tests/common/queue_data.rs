//! Queued messages for the queue tests: deterministic, varied bodies and heads, so a truncated
//! or mixed-up message cannot pass.
#![allow(dead_code)]

use bytes::Bytes;
use hookgate::delivery::queue::{NewMessage, StoredHead};

/// A deterministic body for sequence number `seq`: 1 B to ~40 KiB of varied bytes (zeros,
/// 0xff and CR/LF included), so a truncated or mixed-up body cannot pass.
pub fn body_of(seq: u64) -> Vec<u8> {
    let len = 1 + (seq.wrapping_mul(7919) % 40_000) as usize;
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn head_of(seq: u64) -> StoredHead {
    StoredHead {
        method: "POST".into(),
        path: format!("/in?seq={seq}"),
        query: Some(format!("seq={seq}")),
        headers: vec![
            ("content-type".into(), b"application/json".to_vec()),
            ("x-seq".into(), seq.to_string().into_bytes()),
            ("x-raw".into(), vec![0x80, 0xfe, b'!']),
        ],
        trace: None,
    }
}

pub fn message(route: &str, seq: u64) -> NewMessage {
    NewMessage {
        route: route.into(),
        head: head_of(seq),
        body: Bytes::from(body_of(seq)),
        event_id: Some(format!("evt_{seq}")),
    }
}

/// A message whose head is what direct mode sends (`Host`, `Content-Length`); header values
/// stay UTF-8 because the test upstream reads lines as text.
pub fn queued_message(seq: u64) -> NewMessage {
    let mut m = message("erp", seq);
    m.head.headers.retain(|(n, _)| n != "x-raw");
    m.head
        .headers
        .push(("host".into(), b"upstream.example".to_vec()));
    let length = m.body.len().to_string().into_bytes();
    m.head.headers.push(("content-length".into(), length));
    m
}

/// Route `erp`'s delivery target: plain HTTP to `127.0.0.1:port` at `path`, no tracing.
pub fn loopback_target(
    port: u16,
    path: &str,
    timeout: std::time::Duration,
    policy: hookgate::delivery::queue::worker::RetryPolicy,
) -> hookgate::delivery::queue::worker::RouteTarget {
    hookgate::delivery::queue::worker::RouteTarget {
        route: "erp".into(),
        upstream: hookgate::config::model::Upstream {
            url: format!("http://127.0.0.1:{port}{path}"),
            tls: false,
            host: "127.0.0.1".into(),
            port,
            authority: format!("127.0.0.1:{port}"),
            sni: "127.0.0.1".into(),
            path_and_query: path.into(),
        },
        timeout,
        policy,
        resolver: Default::default(),
        tracing: None,
    }
}
