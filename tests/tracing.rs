//! Tracing (`[tracing]`): what the gateway exports over OTLP/HTTP, decoded by a test collector on
//! 127.0.0.1 (tests/common/otlp.rs, opentelemetry-proto; included here only, so the other test
//! binaries do not build it), against a real upstream. In-process
//! gateways, except the audit-line test, which reads the binary's standard output. The shared-state
//! test needs redis-server: skipped with a message locally when it is missing, FAILS under
//! `CI=true`.

mod common;

use std::time::Duration;

use common::harness::TestGateway;
#[path = "common/redis.rs"]
mod common_redis;
#[path = "common/otlp.rs"]
mod otlp;
use common::ports;

use common::*;
use otlp::{Collector, Exported};

const SECRET: &str = "tracing-test-secret-value";
/// A W3C example `traceparent` (W3C Trace Context §3.2.4), sampled.
const PARENT_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT_SPAN: &str = "b7ad6b7169203331";

fn tracing_section(collector_endpoint: &str, extra: &str) -> String {
    format!(
        "[tracing]\nendpoint = \"{collector_endpoint}\"\nservice_name = \"hookgate-test\"\n\
         export_interval = \"20ms\"\ntimeout = \"1s\"\n{extra}\n"
    )
}

fn route(upstream: &Upstream, extra: &str) -> String {
    format!(
        r#"
[[route]]
name = "azotte"
path = "/webhooks/azotte"
upstream = "{}"
provider = "hmac"
secrets = ["env:AZOTTE_SECRET"]
signature = {{ header = "Azotte-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
event_type = "json:/type"
upstream_timeout = "2s"
{extra}
"#,
        upstream.url("/azotte")
    )
}

fn start(server_extra: &str, tracing: &str, routes: &str) -> TestGateway {
    TestGateway::start_with_env(
        server_extra,
        &format!("{tracing}\n{routes}"),
        &[("AZOTTE_SECRET", SECRET), ("OTEL_KEY", OTEL_KEY)],
    )
}

/// The collector's credential (`headers` in `[tracing]`).
const OTEL_KEY: &str = "otel-api-key-value";

fn body(id: &str) -> Vec<u8> {
    format!("{{\"id\":\"{id}\",\"type\":\"invoice.paid\"}}").into_bytes()
}

fn signature(body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
}

fn post(gw: &TestGateway, body: &[u8], sig: &str, extra: &[(&str, &str)]) -> u16 {
    let mut req = client()
        .post(gw.url("/webhooks/azotte"))
        .header("Azotte-Signature", sig)
        .body(body.to_vec());
    for (n, v) in extra {
        req = req.header(*n, *v);
    }
    req.send().unwrap().status().as_u16()
}

/// The server span's name for the `azotte` route.
const SERVER: &str = "POST /webhooks/azotte";

/// A collector, an upstream, and an in-process gateway exporting to the collector
/// (`[tracing]` plus `tracing_extra`) with the `azotte` route to the upstream.
fn traced(server_extra: &str, tracing_extra: &str) -> (Collector, Upstream, TestGateway) {
    let collector = Collector::start();
    let up = Upstream::start();
    let gw = start(
        server_extra,
        &tracing_section(&collector.endpoint(), tracing_extra),
        &route(&up, ""),
    );
    (collector, up, gw)
}

/// The spans exported once the server span of a request is among them.
fn server_span(collector: &Collector) -> Vec<Exported> {
    collector.wait_for("the server span", |s| s.iter().any(|x| x.name() == SERVER))
}

fn named<'a>(spans: &'a [Exported], name: &str) -> Vec<&'a Exported> {
    spans.iter().filter(|s| s.name() == name).collect()
}

fn one<'a>(spans: &'a [Exported], name: &str) -> &'a Exported {
    let found = named(spans, name);
    assert_eq!(found.len(), 1, "one {name} span in {spans:#?}");
    found[0]
}

/// `00-<trace>-<span>-<flags>` split into its trace ID and span ID.
fn parts(traceparent: &str) -> (String, String) {
    let fields: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(fields.len(), 4, "{traceparent}");
    (fields[1].to_string(), fields[2].to_string())
}

#[test]
fn a_forwarded_request_is_one_trace_with_verify_and_upstream_children() {
    let (collector, up, gw) = traced("", "headers = { \"x-api-key\" = \"env:OTEL_KEY\" }");
    let payload = body("evt_1");
    assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);

    let spans = collector.wait_for("server, verify and upstream spans", |s| {
        s.iter().any(|x| x.name() == SERVER)
            && s.iter().any(|x| x.name() == "verify")
            && s.iter().any(|x| x.name() == "POST")
    });
    let server = one(&spans, SERVER);
    let verify = one(&spans, "verify");
    let upstream = one(&spans, "POST");
    assert_eq!(server.service, "hookgate-test");
    assert!(server.span.parent_span_id.is_empty(), "a root span");
    for child in [verify, upstream] {
        assert_eq!(child.trace_id(), server.trace_id(), "one trace");
        assert_eq!(child.parent_id(), server.span_id());
    }
    assert_eq!(server.attr("hookgate.route").as_deref(), Some("azotte"));
    assert_eq!(server.attr("hookgate.provider").as_deref(), Some("hmac"));
    assert_eq!(
        server.attr("http.route").as_deref(),
        Some("/webhooks/azotte")
    );
    assert_eq!(server.attr("http.request.method").as_deref(), Some("POST"));
    // Said once, on the server span: the upstream span's name is the method, and the status
    // the upstream answered is the one the gateway relays (README "Tracing").
    assert_eq!(upstream.attr("http.request.method"), None);
    assert_eq!(upstream.attr("http.response.status_code"), None);
    assert_eq!(
        upstream.attr("server.address"),
        Some(format!("127.0.0.1:{}", up.port))
    );
    assert_eq!(
        server.attr("hookgate.outcome").as_deref(),
        Some("forwarded")
    );
    assert_eq!(
        server.attr("http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        server.attr("http.request.body.size"),
        Some(payload.len().to_string())
    );
    assert_eq!(
        server.attr("hookgate.event_type").as_deref(),
        Some("invoice.paid")
    );
    assert_eq!(server.attr("hookgate.event_id"), None, "off by default");
    // In-memory dedup is not a store call worth a span.
    assert!(named(&spans, "dedup.claim").is_empty());

    // The upstream request carries the upstream span's context: the app joins the trace.
    let got = up.received();
    let (trace, parent) = parts(got[0].header("traceparent").expect("traceparent upstream"));
    assert_eq!(trace, server.trace_id());
    assert_eq!(parent, upstream.span_id());
    // The configured header went with the export, and nowhere into the log.
    assert!(collector.api_keys().iter().all(|k| k == OTEL_KEY));
    assert!(!collector.api_keys().is_empty());
}

#[test]
fn spans_are_exported_over_otlp_grpc_too() {
    let collector = Collector::start_grpc();
    let up = Upstream::start();
    let gw = start(
        "",
        &tracing_section(
            &collector.grpc_endpoint(),
            "headers = { \"x-api-key\" = \"env:OTEL_KEY\" }",
        ),
        &route(&up, ""),
    );
    let payload = body("evt_grpc");
    assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);
    let spans = collector.wait_for("the server span over gRPC", |s| {
        s.iter().any(|x| x.name() == SERVER)
    });
    let server = one(&spans, SERVER);
    assert_eq!(server.service, "hookgate-test");
    assert_eq!(
        server.attr("hookgate.outcome").as_deref(),
        Some("forwarded")
    );
    assert_eq!(
        gw.metric("hookgate_trace_spans_dropped_total{reason=\"export_failed\"}"),
        0.0
    );
    assert_eq!(collector.api_keys(), vec![OTEL_KEY.to_string()]);
}

#[test]
fn a_trusted_proxys_traceparent_is_the_parent() {
    let (collector, up, gw) = traced("trusted_proxies = [\"127.0.0.1/32\"]", "sample_ratio = 0.0");
    let payload = body("evt_2");
    let incoming = format!("00-{PARENT_TRACE}-{PARENT_SPAN}-01");
    let status = post(
        &gw,
        &payload,
        &signature(&payload),
        &[("traceparent", &incoming), ("tracestate", "vendor=abc")],
    );
    assert_eq!(status, 200);
    // Sampled by the parent's decision although sample_ratio is 0.
    let spans = server_span(&collector);
    let server = one(&spans, SERVER);
    assert_eq!(server.trace_id(), PARENT_TRACE);
    assert_eq!(server.parent_id(), PARENT_SPAN);
    let got = up.received();
    let (trace, parent) = parts(got[0].header("traceparent").unwrap());
    assert_eq!(trace, PARENT_TRACE);
    assert_ne!(
        parent, PARENT_SPAN,
        "the gateway's own span is the app's parent"
    );
    assert_eq!(got[0].header("tracestate"), Some("vendor=abc"));
}

/// A request that is not sampled exports nothing, yet sends the app an unsampled `traceparent`
/// of its trace: a new one, or a trusted parent's (with its `tracestate`).
#[test]
fn a_request_that_is_not_sampled_exports_no_span_and_passes_the_decision_on() {
    let (collector, up, gw) = traced("trusted_proxies = [\"127.0.0.1/32\"]", "sample_ratio = 0.0");
    let unsampled_parent = format!("00-{PARENT_TRACE}-{PARENT_SPAN}-00");
    for (id, extra) in [
        ("evt_u1", vec![]),
        (
            "evt_u2",
            vec![
                ("traceparent", unsampled_parent.as_str()),
                ("tracestate", "vendor=abc"),
            ],
        ),
    ] {
        let payload = body(id);
        assert_eq!(post(&gw, &payload, &signature(&payload), &extra), 200);
    }
    let got = up.received();
    let first = got[0].header("traceparent").expect("traceparent upstream");
    assert!(
        first.starts_with("00-") && first.ends_with("-00"),
        "{first}"
    );
    assert_ne!(parts(first).0, PARENT_TRACE);
    assert_eq!(got[0].header("tracestate"), None);
    let second = got[1].header("traceparent").expect("traceparent upstream");
    let (trace, span) = parts(second);
    assert_eq!(trace, PARENT_TRACE);
    assert_ne!(span, PARENT_SPAN, "the gateway's own span ID");
    assert!(second.ends_with("-00"), "{second}");
    assert_eq!(got[1].header("tracestate"), Some("vendor=abc"));

    // A sampled request after them: once its spans are exported, any span of the two before
    // would have been too (one queue, exported in order).
    let payload = body("evt_u3");
    let sampled = format!("00-{PARENT_TRACE}-{PARENT_SPAN}-01");
    let extra = [("traceparent", sampled.as_str())];
    assert_eq!(post(&gw, &payload, &signature(&payload), &extra), 200);
    let spans = collector.wait_for("the sampled request's spans", |s| {
        s.iter().any(|x| x.name() == SERVER) && s.iter().any(|x| x.name() == "POST")
    });
    assert_eq!(
        spans.len(),
        3,
        "only the sampled request's spans: {spans:#?}"
    );
    let server = one(&spans, SERVER);
    assert_eq!(server.parent_id(), PARENT_SPAN);
    assert_eq!(
        server.attr("hookgate.outcome").as_deref(),
        Some("forwarded")
    );
}

#[test]
fn an_untrusted_senders_traceparent_is_replaced() {
    let (collector, up, gw) = traced("", "");
    let payload = body("evt_3");
    let incoming = format!("00-{PARENT_TRACE}-{PARENT_SPAN}-01");
    let sig = signature(&payload);
    let extra = [
        ("traceparent", incoming.as_str()),
        ("tracestate", "forged=1"),
    ];
    assert_eq!(post(&gw, &payload, &sig, &extra), 200);
    let spans = server_span(&collector);
    let server = one(&spans, SERVER);
    assert_ne!(server.trace_id(), PARENT_TRACE, "a new trace");
    assert!(server.span.parent_span_id.is_empty());
    let got = up.received();
    let (trace, _) = parts(got[0].header("traceparent").unwrap());
    assert_eq!(trace, server.trace_id());
    assert_eq!(
        got[0].header("tracestate"),
        None,
        "the sender's tracestate is not passed on"
    );
}

#[test]
fn a_rejected_request_has_its_span_with_outcome_invalid_signature_and_no_secret() {
    let (collector, up, gw) = traced("", "event_id = true");
    let payload = body("evt_4");
    let forged = format!("sha256={}", hmac_sha256_hex(b"wrong secret", &[&payload]));
    assert_eq!(post(&gw, &payload, &forged, &[]), 401);
    let spans = collector.wait_for("server and verify spans", |s| {
        s.iter().any(|x| x.name() == SERVER) && s.iter().any(|x| x.name() == "verify")
    });
    let server = one(&spans, SERVER);
    assert_eq!(
        server.attr("hookgate.outcome").as_deref(),
        Some("invalid_signature")
    );
    assert_eq!(
        server.attr("http.response.status_code").as_deref(),
        Some("401")
    );
    let verify = one(&spans, "verify");
    assert_eq!(verify.status_code(), 2, "verify failed");
    assert_eq!(
        verify.attr("error.type").as_deref(),
        Some("invalid_signature")
    );
    assert_eq!(up.count(), 0);
    // Nothing secret or sender-controlled beyond the documented attributes left the gateway.
    for raw in collector.bodies.lock().unwrap().iter() {
        let text = String::from_utf8_lossy(raw);
        assert!(!text.contains(SECRET), "the secret was exported");
        assert!(!text.contains(&forged[7..]), "the signature was exported");
        assert!(!text.contains("invoice.paid\"}"), "the body was exported");
    }
}

#[test]
fn the_event_id_is_an_attribute_only_when_configured() {
    let (collector, _up, gw) = traced("", "event_id = true");
    let payload = body("evt_5");
    assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);
    let spans = server_span(&collector);
    let server = one(&spans, SERVER);
    assert_eq!(server.attr("hookgate.event_id").as_deref(), Some("evt_5"));
}

#[test]
fn shared_state_calls_are_spans_of_the_request() {
    let Some(redis) = common_redis::RedisServer::start(&[]) else {
        return;
    };
    let collector = Collector::start();
    let up = Upstream::start();
    let state = format!("[state]\nurl = \"{}\"\nprefix = \"trace\"\n", redis.url());
    let gw = start(
        "",
        &format!("{state}\n{}", tracing_section(&collector.endpoint(), "")),
        &route(&up, "rate_limit = { per_second = 100, burst = 100 }"),
    );
    let payload = body("evt_redis");
    assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);
    // The commit is sent after the answer (README "Shared state across replicas"): wait until it
    // landed, so the same event again is a duplicate refused at the claim, not still in flight.
    let mut key = b"trace:azotte:d:".to_vec();
    key.extend_from_slice(
        &hookgate::state::EventKey::of("evt_redis")
            .short()
            .to_le_bytes(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let value: Option<Vec<u8>> = redis::cmd("GET")
            .arg(&key)
            .query(&mut redis.conn())
            .unwrap();
        if value.as_deref() == Some(b"1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the commit never landed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);
    let spans = collector.wait_for("two requests' store spans", |s| {
        named(s, "rate_limit").len() == 2
            && named(s, "dedup.claim").len() == 2
            && named(s, "dedup.commit").len() == 1
    });
    let servers = named(&spans, SERVER);
    assert_eq!(servers.len(), 2);
    for name in ["rate_limit", "dedup.claim", "dedup.commit"] {
        for span in named(&spans, name) {
            assert_eq!(span.attr("db.system.name").as_deref(), Some("redis"));
            let parent = servers.iter().find(|s| s.trace_id() == span.trace_id());
            let parent = parent.expect("a span of one of the requests");
            if name == "dedup.commit" {
                // Settled after the upstream answered: a child of the upstream call's span.
                let upstream = one(&spans, "POST");
                assert_eq!(span.parent_id(), upstream.span_id());
            } else {
                assert_eq!(span.parent_id(), parent.span_id());
            }
        }
    }
    let duplicate = servers
        .iter()
        .find(|s| s.attr("hookgate.outcome").as_deref() == Some("duplicate"))
        .expect("the second request is a duplicate");
    let claim = named(&spans, "dedup.claim")
        .into_iter()
        .find(|c| c.trace_id() == duplicate.trace_id())
        .unwrap();
    assert_eq!(claim.attr("error.type").as_deref(), Some("duplicate"));
}

#[test]
fn with_the_collector_down_requests_pass_and_drops_are_counted() {
    // A port nothing listens on.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let up = Upstream::start();
    let gw = start("", &tracing_section(&closed, ""), &route(&up, ""));
    for n in 0..20 {
        let payload = body(&format!("evt_down_{n}"));
        assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);
    }
    assert_eq!(up.count(), 20);
    let dropped = "hookgate_trace_spans_dropped_total{reason=\"export_failed\"}";
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while gw.metric(dropped) < 60.0 {
        assert!(std::time::Instant::now() < until, "{}", gw.metrics());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(gw.metric("hookgate_trace_spans_exported_total"), 0.0);
}

#[test]
fn a_stalled_collector_never_holds_a_request_and_a_full_queue_drops() {
    // Accepts connections (the kernel's backlog) and never answers: every export waits out
    // `timeout` while requests keep ending spans.
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", stalled.local_addr().unwrap());
    let up = Upstream::start();
    let gw = start(
        "",
        &tracing_section(&endpoint, "max_queue = 4\nmax_batch = 2")
            .replace("timeout = \"1s\"", "timeout = \"30s\""),
        &route(&up, ""),
    );
    for n in 0..10 {
        let payload = body(&format!("evt_stalled_{n}"));
        assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 200);
    }
    assert_eq!(up.count(), 10);
    // 30 spans ended; at most `max_queue` wait, and at most `max_queue` more (the last take) are
    // in the exporter's hands: the rest are dropped and counted.
    let full = gw.metric("hookgate_trace_spans_dropped_total{reason=\"queue_full\"}");
    assert!(full >= 30.0 - 2.0 * 4.0, "{}", gw.metrics());
    drop(stalled);
}

#[test]
fn tracing_off_changes_nothing_the_upstream_sees() {
    let up = Upstream::start();
    let gw = start("", "", &route(&up, ""));
    let payload = body("evt_off");
    let incoming = format!("00-{PARENT_TRACE}-{PARENT_SPAN}-01");
    let sig = signature(&payload);
    assert_eq!(
        post(&gw, &payload, &sig, &[("traceparent", &incoming)]),
        200
    );
    assert_eq!(
        up.received()[0].header("traceparent"),
        Some(incoming.as_str())
    );
    assert!(!gw.metrics().contains("hookgate_trace_spans"));
}

#[test]
fn a_queued_delivery_attempt_is_a_span_linked_to_the_enqueue_span() {
    let collector = Collector::start();
    let up = Upstream::start();
    let dir = TempDir::new();
    let queue = format!("[queue]\ndir = \"{}\"\n", dir.0.join("q").display());
    let routes = route(
        &up,
        "delivery = \"queue\"\nqueue = { concurrency = 1, backoff = { initial = \"50ms\", max = \"100ms\" } }",
    );
    let gw = start(
        "",
        &tracing_section(&collector.endpoint(), ""),
        &format!("{queue}\n{routes}"),
    );
    let payload = body("evt_q");
    assert_eq!(post(&gw, &payload, &signature(&payload), &[]), 202);
    let spans = collector.wait_for("enqueue and deliver spans", |s| {
        s.iter().any(|x| x.name() == "enqueue") && s.iter().any(|x| x.name() == "deliver")
    });
    let server = one(&spans, SERVER);
    let enqueue = one(&spans, "enqueue");
    let deliver = one(&spans, "deliver");
    assert_eq!(server.attr("hookgate.outcome").as_deref(), Some("queued"));
    assert_eq!(enqueue.parent_id(), server.span_id());
    assert_eq!(
        enqueue.attr("messaging.destination.name").as_deref(),
        Some("azotte")
    );
    let delivery_id = enqueue.attr("messaging.message.id").expect("delivery id");
    assert_eq!(deliver.attr("hookgate.delivery_id"), Some(delivery_id));
    assert_eq!(deliver.attr("hookgate.attempt").as_deref(), Some("1"));
    assert_eq!(
        deliver.attr("http.response.status_code").as_deref(),
        Some("200")
    );
    assert_ne!(
        deliver.trace_id(),
        server.trace_id(),
        "an attempt is a trace of its own"
    );
    let link = &deliver.span.links;
    assert_eq!(link.len(), 1, "{deliver:#?}");
    assert_eq!(hex::encode(&link[0].trace_id), enqueue.trace_id());
    assert_eq!(hex::encode(&link[0].span_id), enqueue.span_id());
    // The upstream sees the attempt's context.
    let got = up.received();
    let (trace, parent) = parts(got[0].header("traceparent").unwrap());
    assert_eq!((trace, parent), (deliver.trace_id(), deliver.span_id()));
}

#[test]
fn the_audit_line_carries_the_trace_id() {
    let collector = Collector::start();
    let up = Upstream::start();
    let gw = Gateway::start_with_env(
        "",
        &format!(
            "{}\n{}",
            tracing_section(&collector.endpoint(), ""),
            route(&up, "")
        ),
        &[("AZOTTE_SECRET", SECRET)],
    );
    let payload = body("evt_audit");
    let res = client()
        .post(gw.url("/webhooks/azotte"))
        .header("Azotte-Signature", signature(&payload))
        .body(payload.clone())
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let spans = server_span(&collector);
    let trace_id = one(&spans, SERVER).trace_id();
    let until = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let line = gw
            .stdout()
            .lines()
            .find(|l| l.contains("\"evt_audit\""))
            .map(str::to_string);
        if let Some(line) = line {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["trace_id"], trace_id.as_str());
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "no audit line: {}",
            gw.stdout()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `gcp-pubsub` route whose keys (a JWK set) come from a local HTTPS key server, and a request
/// signed for it (an RS256 token over the throw-away key of the preset's unit tests).
mod pubsub {
    use super::common::key_server::{Answer, KeyServer};
    use super::common::TempDir;

    pub const KEY_PEM: &str =
        include_str!("../src/providers/presets/testdata/gcp_pubsub_test_key.pem");
    pub const JWKS: &str =
        include_str!("../src/providers/presets/testdata/gcp_pubsub_test_jwks.json");
    const KID: &str = "hookgate-test-1";
    pub const AUDIENCE: &str = "https://hooks.example.com/pubsub";
    const EMAIL: &str = "push@my-project.iam.gserviceaccount.com";
    pub const JWKS_PATH: &str = "/oauth2/v3/certs";

    /// The `[[route]]` on `key_port` (the key server's, or one nothing listens on).
    pub fn route(
        name: &str,
        server: &KeyServer,
        key_port: u16,
        upstream: &str,
        dir: &TempDir,
    ) -> String {
        server.set(JWKS_PATH, Answer::ok(JWKS));
        let ca = dir.write("key-ca.pem", &server.ca_pem);
        format!(
            "[[route]]\nname = \"{name}\"\npath = \"/{name}\"\nupstream = \"{upstream}\"\nprovider = \"gcp-pubsub\"\n\
             provider_options = {{ audience = \"{AUDIENCE}\", email = \"{EMAIL}\", \
             key_url = \"https://127.0.0.1:{key_port}{JWKS_PATH}\", key_hosts = [\"127.0.0.1:{key_port}\"], \
             key_ca = \"{}\", key_timeout = \"2s\" }}\n",
            ca.display()
        )
    }

    /// `Authorization: Bearer <token>` as Pub/Sub push sends it.
    pub fn token() -> String {
        let now = super::now_unix();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(KID.into());
        let claims = serde_json::json!({
            "aud": AUDIENCE, "email": EMAIL, "email_verified": true,
            "iss": "https://accounts.google.com", "sub": "1234567890",
            "iat": now, "exp": now + 3600,
        });
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(KEY_PEM.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }

    pub const BODY: &[u8] = br#"{"message":{"data":"eyJvcmRlciI6MX0=","messageId":"136969346945"},"subscription":"projects/p/subscriptions/s"}"#;
}

/// Issue 23: a key-fetching preset's fetch is a `key_fetch` client span, a child of the request's
/// server span in its trace, made on a cache miss only, failed with `error.type =
/// key_unavailable` when the key server is down; no token, key or JWK set is in any export.
#[test]
fn a_key_fetch_is_a_client_span_of_the_request_without_key_material() {
    let collector = Collector::start();
    let up = Upstream::start();
    let keys = common::key_server::KeyServer::start();
    let dir = TempDir::new();
    let dead = free_port();
    let routes = format!(
        "{}{}",
        pubsub::route("ps", &keys, keys.port, &up.url("/ps"), &dir),
        pubsub::route("down", &keys, dead, &up.url("/down"), &dir),
    );
    let gw = start("", &tracing_section(&collector.endpoint(), ""), &routes);
    let token = pubsub::token();
    let send = |path: &str| {
        client()
            .post(gw.url(path))
            .header("Authorization", format!("Bearer {token}"))
            .body(pubsub::BODY.to_vec())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(send("/ps"), 200);
    assert_eq!(send("/ps"), 200, "the key is cached");
    assert_eq!(keys.hits(pubsub::JWKS_PATH), 1);
    assert_eq!(send("/down"), 503);
    let spans = collector.wait_for("three server spans and two key fetches", |s| {
        named(s, "POST /ps").len() == 2
            && named(s, "POST /down").len() == 1
            && named(s, "key_fetch").len() == 2
    });
    let servers = named(&spans, "POST /ps");
    let fetches = named(&spans, "key_fetch");
    let down = one(&spans, "POST /down");
    let (ok, failed): (Vec<_>, Vec<_>) = fetches
        .into_iter()
        .partition(|f| f.trace_id() != down.trace_id());
    assert_eq!((ok.len(), failed.len()), (1, 1), "{spans:#?}");
    let parent = servers
        .iter()
        .find(|s| s.trace_id() == ok[0].trace_id())
        .expect("the fetch is in the first request's trace");
    assert_eq!(ok[0].parent_id(), parent.span_id());
    assert_eq!(ok[0].span.kind, 3, "SPAN_KIND_CLIENT");
    assert_eq!(ok[0].attr("error.type"), None);
    assert_ne!(ok[0].status_code(), 2, "not an error");
    let cached = servers
        .iter()
        .find(|s| s.trace_id() != ok[0].trace_id())
        .unwrap();
    assert_eq!(
        cached.attr("hookgate.outcome").as_deref(),
        Some("forwarded")
    );
    // The fetch that found no key server: failed, in the refused request's trace.
    assert_eq!(failed[0].parent_id(), down.span_id());
    assert_eq!(
        failed[0].attr("error.type").as_deref(),
        Some("key_unavailable")
    );
    assert_eq!(failed[0].status_code(), 2);
    // No key material: not the token (nor its signature), not the JWK set's modulus.
    let modulus = serde_json::from_str::<serde_json::Value>(pubsub::JWKS).unwrap()["keys"][0]["n"]
        .as_str()
        .unwrap()
        .to_string();
    let signature = token.rsplit('.').next().unwrap();
    for raw in collector.bodies.lock().unwrap().iter() {
        let text = String::from_utf8_lossy(raw);
        assert!(!text.contains(&token[..40]), "the token was exported");
        assert!(
            !text.contains(signature),
            "the token's signature was exported"
        );
        assert!(!text.contains(&modulus[..40]), "the JWK was exported");
        assert!(!text.contains("BEGIN"), "a PEM was exported");
    }
}
