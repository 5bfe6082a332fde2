//! Peak heap bytes spent reading webhook fields out of large JSON bodies, before and after
//! `json_pointer` (counted by a global allocator wrapper), as a ratio to the body's size.
//!
//!     cargo bench --bench json_memory
//!
//! Baseline in the same run: parsing the body into a `serde_json::Value` and calling `pointer`
//! (what the field sources, Mailgun, Adyen and Linear did before). The bodies are what an
//! unauthenticated sender can post under a 10 MiB `max_body`: the fields are read before the
//! signature is checked, so the parse cost is an attacker's to choose.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hookgate::config::secret::Secret;
use hookgate::providers::{find_preset, SchemeSettings, WebhookRequest};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{Counting, LIVE, PEAK};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap bytes above the current live bytes while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    f();
    PEAK.load(Relaxed) - before
}

const MIB: usize = 1 << 20;

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let zeros = {
        let mut b =
            b"{\"signature\":{\"timestamp\":\"1\",\"token\":\"t\",\"signature\":\"00\"},\"x\":["
                .to_vec();
        while b.len() < 10 * MIB {
            b.extend_from_slice(b"0,");
        }
        b.extend_from_slice(b"0]}");
        b
    };
    let objects = {
        let mut b = b"{\"id\":\"evt_1\",\"items\":[".to_vec();
        while b.len() < 10 * MIB {
            b.extend_from_slice(b"{\"a\":1,\"b\":\"xy\"},");
        }
        b.extend_from_slice(b"{}]}");
        b
    };
    let nested = {
        // Unverified, unbalanced nesting: refused at serde_json's recursion limit, where a skip
        // without that limit kept a byte per open bracket.
        let mut b = b"{\"signature\":{\"token\":\"t\"},\"x\":".to_vec();
        b.resize(10 * MIB, b'[');
        b
    };
    vec![
        ("array of 0s", zeros),
        ("array of small objects", objects),
        ("10 Mi unbalanced `[`", nested),
    ]
}

fn main() {
    println!("| body (10 MiB) | Value + pointer | json_pointer | mailgun verify |");
    println!("|---|---|---|---|");
    let mailgun = find_preset("mailgun").unwrap();
    let secrets = [Secret::literal("key")];
    let scheme = (mailgun.build)(&SchemeSettings {
        secrets: &secrets,
        tolerance: Duration::from_secs(300),
        signature: None,
    })
    .unwrap();
    let headers = http::HeaderMap::new();
    for (name, body) in bodies() {
        let len = body.len() as f64;
        let value = peak_of(|| {
            let v = serde_json::from_slice::<serde_json::Value>(&body);
            std::hint::black_box(v.ok().and_then(|v| v.pointer("/signature/token").cloned()));
        });
        let lazy = peak_of(|| {
            std::hint::black_box(hookgate::json_pointer::scalar_at(&body, "/signature/token"));
        });
        let verify = peak_of(|| {
            let _ = std::hint::black_box(scheme.verify(&WebhookRequest {
                method: "POST",
                public_url: "",
                headers: &headers,
                body: &body,
                now: Duration::from_secs(1),
            }));
        });
        println!(
            "| {name} | {:.2}× body ({value} B) | {:.6}× body ({lazy} B) | {:.6}× body ({verify} B) |",
            value as f64 / len,
            lazy as f64 / len,
            verify as f64 / len
        );
    }
}
