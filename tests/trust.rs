//! Trust, round 3 (issue 20), through the in-process gateway on 127.0.0.1 with raw clients:
//! every way pingora refuses a request head gets its status (never a crashed task and silence),
//! and the request-target forms of RFC 9112 §3.2.

mod common;

use std::time::Duration;

use base64::Engine as _;

use common::harness::TestGateway;
use common::*;

const SECRET: &str = "It's a Secret to Everybody";

fn hmac_route(up: &Upstream) -> String {
    format!(
        r#"
[[route]]
name = "azotte"
path = "/hook"
upstream = "{}"
provider = "hmac"
secrets = ["{SECRET}"]
signature = {{ header = "Azotte-Signature", algorithm = "sha256", encoding = "hex", prefix = "sha256=" }}
upstream_timeout = "2s"
"#,
        up.url("/up")
    )
}

fn sig(body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &[body]))
}

fn exchange(gw: &TestGateway, request: &[u8]) -> String {
    raw_exchange(gw.port, request, Duration::from_secs(5))
}

/// Issue 20 fault 5: an obs-fold continuation line after `Transfer-Encoding: chunked` made
/// pingora refuse the head and the refusal path call an accessor that panics without a stored
/// head; the client got nothing. RFC 9112 §5.2: 400. Then every other way pingora refuses a head,
/// each with its status, and the gateway still serves afterwards.
#[test]
fn every_refused_head_gets_its_status_and_the_gateway_keeps_serving() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &hmac_route(&up));
    let many_fields: String = (0..300).map(|i| format!("X-F{i}: v\r\n")).collect();
    let huge = format!("X-Big: {}\r\n", "a".repeat(70 * 1024));
    let cases: Vec<(String, u16, &str)> = vec![
        (
            "Transfer-Encoding: chunked\r\n\tfoo\r\n".into(),
            400,
            "obs-fold after Transfer-Encoding",
        ),
        (
            "X-A: 1\r\n b\r\n".into(),
            400,
            "obs-fold after another field",
        ),
        (
            "Transfer-Encoding: chunked\r\n Transfer-Encoding: gzip\r\n".into(),
            400,
            "folded Transfer-Encoding",
        ),
        ("Bad Name: 1\r\n".into(), 400, "space in a field name"),
        ("X-A 1\r\n".into(), 400, "a line without a colon"),
        (
            "Content-Length: 1\r\nContent-Length: 2\r\n".into(),
            400,
            "differing Content-Length",
        ),
        (
            "Content-Length: x\r\n".into(),
            400,
            "unparseable Content-Length",
        ),
        (
            "Transfer-Encoding: gzip\r\n".into(),
            501,
            "a final coding that is not chunked",
        ),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n".into(),
            400,
            "chunked not last",
        ),
        (many_fields, 431, "more fields than pingora parses"),
        (huge, 431, "a head over the size limit"),
    ];
    for (fields, want, what) in cases {
        let req = format!("POST /hook HTTP/1.1\r\nHost: x\r\n{fields}\r\n");
        let got = exchange(&gw, req.as_bytes());
        assert_eq!(status_of(&got), Some(want), "{what}: {got:?}");
    }
    let got = exchange(
        &gw,
        b"POST /hook HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(
        status_of(&got),
        Some(400),
        "HTTP/1.0 with Transfer-Encoding: {got:?}"
    );
    assert_eq!(up.count(), 0, "nothing refused reaches the upstream");
    // Still serving: a signed request after all of the above is forwarded.
    let body = b"{\"ok\":true}";
    let req = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nAzotte-Signature: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sig(body),
        body.len()
    );
    let mut req = req.into_bytes();
    req.extend_from_slice(body);
    assert_eq!(status_of(&exchange(&gw, &req)), Some(200));
    assert_eq!(up.count(), 1);
}

fn signed(target: &str, host: Option<&str>, method: &str) -> Vec<u8> {
    let body = b"{\"form\":1}";
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\n{host}Azotte-Signature: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sig(body),
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// RFC 9112 §3.2: origin-form and absolute-form are served (§3.2.2: a server MUST accept the
/// absolute form; its authority is the request's, ahead of `Host`); authority-form is only for
/// CONNECT and asterisk-form only for `OPTIONS *` (501 here: not a proxy, no server-wide
/// options); either with another method is 400.
#[test]
fn request_target_forms_are_handled_as_rfc_9112_says() {
    let up = Upstream::start();
    let gw = TestGateway::start("", &hmac_route(&up));
    let ok = exchange(
        &gw,
        &signed(
            "http://hooks.example.com/hook",
            Some("hooks.example.com"),
            "POST",
        ),
    );
    assert_eq!(status_of(&ok), Some(200), "absolute-form: {ok:?}");
    let forwarded = up.received();
    assert_eq!(forwarded.len(), 1);
    assert_eq!(
        forwarded[0].header("x-forwarded-host"),
        Some("hooks.example.com")
    );
    assert_eq!(forwarded[0].target, "/up");
    for (request, want, what) in [
        (
            signed(
                "http://other.example/hook",
                Some("hooks.example.com"),
                "POST",
            ),
            400,
            "Host differs from the target's authority",
        ),
        (
            signed("*", Some("x"), "POST"),
            400,
            "asterisk-form with POST",
        ),
        (signed("*", Some("x"), "OPTIONS"), 501, "OPTIONS *"),
        (
            signed(
                "hooks.example.com:443",
                Some("hooks.example.com:443"),
                "CONNECT",
            ),
            501,
            "CONNECT",
        ),
        (
            signed(
                "hooks.example.com:443",
                Some("hooks.example.com:443"),
                "POST",
            ),
            400,
            "authority-form with POST",
        ),
        (
            signed(
                "ftp://hooks.example.com/hook",
                Some("hooks.example.com"),
                "POST",
            ),
            400,
            "absolute-form, another scheme",
        ),
        (signed("/hook", None, "POST"), 400, "HTTP/1.1 without Host"),
    ] {
        let got = exchange(&gw, &request);
        assert_eq!(status_of(&got), Some(want), "{what}: {got:?}");
    }
    assert_eq!(up.count(), 1, "no refused form reaches the upstream");
}

/// Issue 20 fault 8: at the most verbose level (`HOOKGATE_LOG=trace`, and with pingora's client
/// named explicitly), nothing written to stderr or stdout carries the signature, the secret, an
/// `Authorization` value or a token from the query — through the real binary, for a forwarded
/// request, a refused one and a refused head.
#[test]
fn trace_diagnostics_carry_no_signature_secret_or_token() {
    for filter in [
        "trace",
        "trace,pingora_core::protocols::http::v1::client=trace,h2=trace",
    ] {
        let up = Upstream::start();
        let gw = Gateway::start_with_env("", &hmac_route(&up), &[("HOOKGATE_LOG", filter)]);
        let body = b"{\"id\":\"evt_log\"}";
        let signature = sig(body);
        let bearer = "Bearer tok-9f8e7d6c5b4a";
        let res = client()
            .post(gw.url("/hook?token=qtok-1a2b3c4d"))
            .header("Azotte-Signature", &signature)
            .header("Authorization", bearer)
            .body(body.to_vec())
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        let forged = client()
            .post(gw.url("/hook"))
            .header("Azotte-Signature", "sha256=00ff00ff")
            .header("Authorization", bearer)
            .body(body.to_vec())
            .send()
            .unwrap();
        assert_eq!(forged.status(), 401);
        let head = format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\nX-A: 1\r\n\tfold\r\n\r\n"
        );
        assert_eq!(
            status_of(&raw_exchange(
                gw.port,
                head.as_bytes(),
                Duration::from_secs(5)
            )),
            Some(400)
        );
        let all = format!("{}\n{}", gw.stderr(), gw.stdout());
        assert!(
            all.lines().count() > 3,
            "{filter}: the trace level logs: {all}"
        );
        let hex_sig = signature.trim_start_matches("sha256=");
        for secret in [hex_sig, SECRET, "tok-9f8e7d6c5b4a", "qtok-1a2b3c4d"] {
            assert!(
                !all.contains(secret),
                "{filter}: {secret:?} in the diagnostics:\n{all}"
            );
        }
    }
}

/// One route for a preset with dedup on, `secrets` as given.
fn dedup_route(up: &Upstream, provider: &str, secrets: &[&str]) -> String {
    let secrets: Vec<String> = secrets.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "[[route]]\nname = \"{provider}\"\npath = \"/hook\"\nupstream = \"{}\"\nprovider = \"{provider}\"\nsecrets = [{}]\ndedup = {{ ttl = \"1h\" }}\nupstream_timeout = \"2s\"\n",
        up.url("/up"),
        secrets.join(", ")
    )
}

/// Sends `body` with `headers`; whether the gateway called it a duplicate (200 either way).
fn duplicate(gw: &TestGateway, headers: &[(&str, String)], body: &str) -> bool {
    let mut req = client().post(gw.url("/hook")).body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let res = req.send().unwrap();
    assert_eq!(res.status(), 200);
    res.headers().get("x-hookgate-duplicate").is_some()
}

/// `Stripe-Signature` with one `v1` per secret (Stripe signs with every active secret of the
/// endpoint while a rolled one has not expired).
fn stripe_sig(secrets: &[&str], body: &str) -> String {
    let t = now_unix().to_string();
    let mut out = format!("t={t}");
    for s in secrets {
        let v1 = hmac_sha256_hex(s.as_bytes(), &[t.as_bytes(), b".", body.as_bytes()]);
        out.push_str(&format!(",v1={v1}"));
    }
    out
}

/// Issue 20 fault 7, the per-secret kind: two Stripe endpoints of one account receive the same
/// `evt_` ID, each signed with its own endpoint secret (docs.stripe.com/webhooks: "each endpoint
/// has a unique signing secret"; an event is sent to every endpoint subscribed to its type, and
/// retries keep the event `id`). Both are forwarded; each endpoint's retry is a duplicate; a
/// retry during rotation signed with the old and new secret (Stripe's "roll secret" overlap) is
/// still a duplicate when the new secret follows the old one.
#[test]
fn stripe_endpoints_sharing_an_event_id_are_each_forwarded_once() {
    let up = Upstream::start();
    let (a, a_new, b) = (
        "whsec_endpoint_a",
        "whsec_endpoint_a_rolled",
        "whsec_endpoint_b",
    );
    let gw = TestGateway::start("", &dedup_route(&up, "stripe", &[a, a_new, b]));
    let body = r#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","type":"invoice.paid"}"#;
    let send = |secrets: &[&str]| {
        duplicate(
            &gw,
            &[("Stripe-Signature", stripe_sig(secrets, body))],
            body,
        )
    };
    assert!(!send(&[a]), "endpoint A: first delivery");
    assert!(!send(&[b]), "endpoint B: same event, another endpoint");
    assert!(send(&[a]), "endpoint A: retry");
    assert!(send(&[b]), "endpoint B: retry");
    assert!(
        send(&[a, a_new]),
        "endpoint A: retry during rotation (both signatures)"
    );
    let got = up.received();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(
            r.header("x-hookgate-event-id"),
            Some("evt_1NG8Du2eZvKYlo2CUI79vXWy")
        );
    }
}

/// Issue 20 fault 7, Square: one `event_id` to every webhook subscription, each with its own
/// signature key (developer.squareup.com/docs/webhooks/step3validate: the key is per
/// subscription; "event_id ... use it to make sure you process an event only once").
#[test]
fn square_subscriptions_sharing_an_event_id_are_each_forwarded_once() {
    let up = Upstream::start();
    let (a, b) = ("square-key-subscription-a", "square-key-subscription-b");
    let mut route = dedup_route(&up, "square", &[a, b]);
    route.push_str("public_url = \"https://example.com/hook\"\n");
    let gw = TestGateway::start("", &route);
    let body = r#"{"merchant_id":"M1","type":"payment.updated","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f"}"#;
    let sig = |key: &str| {
        let hex_mac = hmac_sha256_hex(
            key.as_bytes(),
            &[b"https://example.com/hook", body.as_bytes()],
        );
        let mac = base64::engine::general_purpose::STANDARD.encode(hex::decode(hex_mac).unwrap());
        vec![("x-square-hmacsha256-signature", mac)]
    };
    assert!(!duplicate(&gw, &sig(a), body));
    assert!(!duplicate(&gw, &sig(b), body));
    assert!(duplicate(&gw, &sig(a), body));
    assert!(duplicate(&gw, &sig(b), body));
    assert_eq!(up.count(), 2);
}

/// Issue 20 fault 7, Paddle: `event_id` is shared by every notification destination, while
/// `notification_id` is one destination's notification, kept across its retries
/// (developer.paddle.com/webhooks/overview: "notification_id — Unique Paddle ID for this
/// notification"; each destination has its own secret key).
#[test]
fn paddle_destinations_sharing_an_event_id_are_each_forwarded_once() {
    let up = Upstream::start();
    let (a, b) = ("pdl_ntfset_a_secret", "pdl_ntfset_b_secret");
    let gw = TestGateway::start("", &dedup_route(&up, "paddle", &[a, b]));
    let body = |ntf: &str| {
        format!(
            r#"{{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.paid","notification_id":"{ntf}","data":{{}}}}"#
        )
    };
    let send = |secret: &str, ntf: &str| {
        let body = body(ntf);
        let ts = now_unix().to_string();
        let h1 = hmac_sha256_hex(secret.as_bytes(), &[ts.as_bytes(), b":", body.as_bytes()]);
        duplicate(
            &gw,
            &[("Paddle-Signature", format!("ts={ts};h1={h1}"))],
            &body,
        )
    };
    assert!(!send(a, "ntf_01h8bzam1z32agrxjwhjgqk8w6"));
    assert!(!send(b, "ntf_01h8bzam1z32agrxjwhjgqk8w7"));
    assert!(
        send(a, "ntf_01h8bzam1z32agrxjwhjgqk8w6"),
        "destination A's retry"
    );
    assert!(
        send(b, "ntf_01h8bzam1z32agrxjwhjgqk8w7"),
        "destination B's retry"
    );
    let got = up.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].header("x-hookgate-event-id"),
        Some("ntf_01h8bzam1z32agrxjwhjgqk8w6")
    );
}

/// Signs `body` for `preset` with `secret`, through the preset's own signer (its output is
/// checked against the provider's published vectors in the preset's unit tests).
fn preset_signed(preset: &str, secret: &str, body: &str) -> Vec<(String, String)> {
    use hookgate::providers;
    let preset = providers::find_preset(preset).unwrap();
    let secrets = [hookgate::config::secret::Secret::literal(secret)];
    let settings = providers::SchemeSettings {
        secrets: &secrets,
        tolerance: preset.default_tolerance.unwrap_or_default(),
        signature: None,
    };
    let scheme = (preset.build)(&settings).unwrap();
    let headers = http::HeaderMap::new();
    let req = providers::WebhookRequest {
        method: "POST",
        public_url: "http://127.0.0.1/hook",
        headers: &headers,
        body: body.as_bytes(),
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap(),
    };
    scheme.sign(&req).unwrap()
}

/// Issue 20 fault 7, the second audit: presets whose event ID every receiver of the event gets
/// (several webhooks, apps or subscriptions of one account, each with its own signing secret)
/// key dedup per verifying secret, or per the body field that names the receiver. Two
/// receivers behind one route each get the event once; each one's retry is a duplicate.
/// Sources per preset: README "Dedup keys per preset".
#[test]
fn receivers_sharing_an_event_id_are_each_forwarded_once_after_the_second_audit() {
    // (preset, body, how the second receiver differs: another secret, or another body field)
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "intercom",
            r#"{"type":"notification_event","id":"notif_1","topic":"contact.created"}"#,
            None,
        ),
        ("segment", r#"{"type":"track","messageId":"ajs-1"}"#, None),
        (
            "typeform",
            r#"{"event_id":"01ABC","event_type":"form_response"}"#,
            None,
        ),
        (
            "vercel",
            r#"{"id":"evt_1","type":"deployment.created"}"#,
            None,
        ),
        (
            "persona",
            r#"{"data":{"type":"event","id":"evt_1","attributes":{"name":"inquiry.completed"}}}"#,
            None,
        ),
        (
            "worldline",
            r#"{"apiVersion":"v1","id":"8ee793f6-4553-4749-85dc-f2ef095c5ab0","type":"payment.paid"}"#,
            None,
        ),
        (
            "slack",
            r#"{"type":"event_callback","event_id":"Ev1","api_app_id":"A1"}"#,
            Some(r#"{"type":"event_callback","event_id":"Ev1","api_app_id":"A2"}"#),
        ),
        (
            "netlify",
            r#"{"id":"deploy1","state":"building"}"#,
            Some(r#"{"id":"deploy1","state":"ready"}"#),
        ),
    ];
    let mut failures = Vec::new();
    for (preset, body, other_body) in cases {
        let up = Upstream::start();
        let (a, b) = (
            "receiver-a-secret-0123456789",
            "receiver-b-secret-0123456789",
        );
        let secrets: &[&str] = if other_body.is_some() { &[a] } else { &[a, b] };
        let gw = TestGateway::start("", &dedup_route(&up, preset, secrets));
        let (second_secret, second_body) = match other_body {
            Some(other) => (a, *other),
            None => (b, *body),
        };
        let send = |secret: &str, body: &str| {
            let headers = preset_signed(preset, secret, body);
            let refs: Vec<(&str, String)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            duplicate(&gw, &refs, body)
        };
        let got = [
            send(a, body),
            send(second_secret, second_body),
            send(a, body),
            send(second_secret, second_body),
        ];
        if got != [false, false, true, true] || up.count() != 2 {
            failures.push(format!(
                "{preset}: duplicate flags {got:?}, forwarded {}",
                up.count()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
