//! Verification cost per signature scheme, next to a bare HMAC-SHA256 of the same bytes (the
//! floor). Iterates over every preset in `providers::presets()` that can sign a request with a
//! shared secret (`Scheme::sign`), so presets added later are picked up without editing this file.
//!
//!     cargo bench --bench verify
//!
//! Target (issue 6): verification ≤ 1.1× bare HMAC for bodies ≥ 64 KiB.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::Sha256;

use hookgate::config::secret::Secret;
use hookgate::providers::{presets, Scheme, SchemeSettings, SignatureSpec, WebhookRequest};

/// Works as a plain text secret (Stripe, GitHub, Shopify, generic) and as a Standard Webhooks /
/// Svix `whsec_<base64>` secret.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const URL: &str = "https://hooks.example.com/webhooks/bench";

fn body(size: usize) -> Vec<u8> {
    let head =
        br#"{"id":"evt_0000000000000001","type":"payment_intent.succeeded","data":{"note":""#;
    let tail = br#""}}"#;
    let mut b = head.to_vec();
    while b.len() + tail.len() < size {
        b.push(b'a' + (b.len() % 26) as u8);
    }
    b.extend_from_slice(tail);
    b
}

/// Headers some schemes sign over (ids) or that a real delivery carries.
fn base_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("content-type", "application/json"),
        ("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
        ("svix-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
        ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("x-github-event", "push"),
        ("x-shopify-topic", "orders/create"),
        ("x-shopify-shop-domain", "bench.myshopify.com"),
        ("host", "hooks.example.com"),
    ] {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    h
}

/// A scheme for `preset` that can sign, with the headers that make a request valid; or why not.
fn signed_scheme(
    preset: &hookgate::providers::Preset,
    body: &[u8],
    now: Duration,
) -> Result<(Box<dyn Scheme>, HeaderMap), String> {
    let secrets = [Secret::literal(SECRET)];
    let spec = SignatureSpec {
        header: Some("X-Signature".into()),
        algorithm: Some("sha256".into()),
        encoding: Some("hex".into()),
        ..Default::default()
    };
    let tolerance = preset.default_tolerance.unwrap_or(Duration::from_secs(300));
    let mut last = String::new();
    for signature in [None, Some(&spec)] {
        let scheme = match (preset.build)(&SchemeSettings {
            secrets: &secrets,
            tolerance,
            signature,
        }) {
            Ok(s) => s,
            Err(e) => {
                last = format!("build: {} {}", e.key, e.message);
                continue;
            }
        };
        let mut headers = base_headers();
        let signed = scheme.sign(&WebhookRequest {
            method: "POST",
            public_url: URL,
            headers: &headers,
            body,
            now,
        });
        let signed = match signed {
            Ok(s) => s,
            Err(e) => {
                last = format!("sign: {}", e.0);
                continue;
            }
        };
        for (k, v) in signed {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
            headers.insert(name, HeaderValue::from_str(&v).map_err(|e| e.to_string())?);
        }
        let ok = scheme.verify(&WebhookRequest {
            method: "POST",
            public_url: URL,
            headers: &headers,
            body,
            now,
        });
        if ok.is_ok() {
            return Ok((scheme, headers));
        }
        last = format!("own signature rejected: {ok:?}");
    }
    Err(last)
}

fn bare_hmac(key: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn verify(c: &mut Criterion) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    for (label, size) in [("1KiB", 1024usize), ("64KiB", 64 * 1024)] {
        let body = body(size);
        let mut group = c.benchmark_group(format!("verify/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function("bare_hmac_sha256", |b| {
            b.iter(|| bare_hmac(black_box(SECRET.as_bytes()), black_box(&body)))
        });
        for preset in presets() {
            match signed_scheme(preset, &body, now) {
                Ok((scheme, headers)) => {
                    let req = WebhookRequest {
                        method: "POST",
                        public_url: URL,
                        headers: &headers,
                        body: &body,
                        now,
                    };
                    group.bench_with_input(
                        BenchmarkId::from_parameter(preset.name),
                        &req,
                        |b, r| b.iter(|| scheme.verify(black_box(r)).expect("valid")),
                    );
                }
                Err(why) => eprintln!("verify/{label}: skipping preset {:?}: {why}", preset.name),
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = verify
}
criterion_main!(benches);
