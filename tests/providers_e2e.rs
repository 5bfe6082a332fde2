//! Every preset end to end: one route per preset on one running gateway, a correctly signed
//! request for each (headers from `hookgate sign`, or from the provider's private-key helper for
//! asymmetric schemes) forwarded to a real upstream, and a forged one refused.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use hookgate::providers::{self, WebhookRequest};

const SECRET: &str = "e2e-secret";
const ED_SEED: [u8; 32] = [7u8; 32];
const P256_SCALAR: [u8; 32] = [9u8; 32];
const ADYEN_KEY: &str = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";
/// Contentful signing secrets are exactly 64 characters.
const CONTENTFUL_SECRET: &str = "e2e-contentful-signing-secret-0123456789abcdefghijklmnopqrstuvwx";
/// A Braintree API key pair, `public:private`.
const BT_PUBLIC: &str = "e2e_public_key";
const BT_PRIVATE: &str = "e2e_private_key";

/// The secret and extra route keys each preset needs; everything else uses `SECRET`.
fn route_for(name: &str, port: u16) -> String {
    let (secret, extra): (String, &str) = match name {
        "hmac" => (SECRET.into(), r#"signature = { header = "X-Sig" }"#),
        "token" => (SECRET.into(), r#"signature = { header = "X-Token" }"#),
        "basic" => ("user:pass".into(), ""),
        "ed25519" => (
            hex::encode(
                ed25519_dalek::SigningKey::from_bytes(&ED_SEED)
                    .verifying_key()
                    .to_bytes(),
            ),
            r#"signature = { header = "X-Ed25519", encoding = "hex" }"#,
        ),
        "standard-webhooks" | "svix" | "openai" | "clerk" | "resend" | "brex" | "replicate"
        | "liveblocks" | "beehiiv" => ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(), ""),
        "airtable" | "teams" => ("ZTJlLWJhc2U2NC1rZXk=".into(), ""),
        "adyen" => (ADYEN_KEY.into(), ""),
        "contentful" => (CONTENTFUL_SECRET.into(), ""),
        "braintree" => (format!("{BT_PUBLIC}:{BT_PRIVATE}"), ""),
        "postmark" => ("user:pass".into(), ""),
        "discord" => (
            providers::presets::ed25519_senders::DISCORD_SIGNER.public_key(&ED_SEED),
            "",
        ),
        "telnyx" => (
            providers::presets::ed25519_senders::TELNYX_SIGNER.public_key(&ED_SEED),
            "",
        ),
        "sendgrid" => (
            providers::presets::sendgrid::public_key_base64(&P256_SCALAR),
            "",
        ),
        _ => (SECRET.into(), ""),
    };
    format!(
        "[[route]]\nname = \"{name}\"\npath = \"/p/{name}\"\nupstream = \"http://127.0.0.1:{port}/got/{name}\"\nprovider = \"{name}\"\nsecrets = [\"{secret}\"]\n{extra}\n"
    )
}

fn body_for(name: &str) -> Vec<u8> {
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    match name {
        "mailgun" => {
            let sig = providers::presets::mailgun::body_signature(
                SECRET.as_bytes(),
                &now_s.to_string(),
                "tok123",
            );
            format!(
                r#"{{"signature":{{"timestamp":"{now_s}","token":"tok123","signature":"{sig}"}},"event-data":{{"id":"m1","event":"delivered"}}}}"#
            )
            .into_bytes()
        }
        "adyen" => {
            let mut item = serde_json::json!({
                "pspReference": format!("psp{now_s}"),
                "merchantAccountCode": "Acme",
                "merchantReference": "order-1",
                "amount": { "currency": "EUR", "value": 1000 },
                "eventCode": "AUTHORISATION",
                "success": "true",
            });
            let sig = providers::presets::adyen::item_signature(ADYEN_KEY, &item).unwrap();
            item["additionalData"] = serde_json::json!({ "hmacSignature": sig });
            serde_json::to_vec(&serde_json::json!({
                "live": "false",
                "notificationItems": [{ "NotificationRequestItem": item }],
            }))
            .unwrap()
        }
        "linear" => {
            format!(r#"{{"type":"Issue","webhookTimestamp":{}}}"#, now_s * 1000).into_bytes()
        }
        "braintree" => {
            // A notification as Braintree posts it: base64 XML (with a final newline, as the
            // SDK's sample) signed for the key pair's public key, form-encoded.
            let xml = format!("<notification><timestamp type=\"datetime\">{now_s}</timestamp><kind>check</kind><subject><check type=\"boolean\">true</check></subject></notification>");
            let payload = format!("{}\n", STANDARD.encode(xml));
            let signature = providers::presets::braintree::signature_pair(
                BT_PUBLIC,
                BT_PRIVATE.as_bytes(),
                payload.as_bytes(),
            );
            form_urlencoded::Serializer::new(String::new())
                .append_pair("bt_signature", &signature)
                .append_pair("bt_payload", &payload)
                .finish()
                .into_bytes()
        }
        _ => format!(r#"{{"id":"evt_{name}","type":"test.event","event_id":"e-{name}"}}"#)
            .into_bytes(),
    }
}

/// Headers for a correctly signed request to `name`'s route.
fn signed_headers(gw: &Gateway, name: &str, body: &[u8]) -> Vec<(String, String)> {
    let url = gw.url(&format!("/p/{name}"));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let headers = http::HeaderMap::new();
    let req = WebhookRequest {
        method: "POST",
        public_url: &url,
        headers: &headers,
        body,
        now,
    };
    match name {
        "discord" => {
            return providers::presets::ed25519_senders::DISCORD_SIGNER
                .sign_with_private_key(&ED_SEED, &req)
        }
        "telnyx" => {
            return providers::presets::ed25519_senders::TELNYX_SIGNER
                .sign_with_private_key(&ED_SEED, &req)
        }
        "sendgrid" => {
            return providers::presets::sendgrid::sign_with_private_key(&P256_SCALAR, &req)
        }
        "ed25519" => {
            use ed25519_dalek::Signer;
            let sig = ed25519_dalek::SigningKey::from_bytes(&ED_SEED).sign(body);
            return vec![("X-Ed25519".into(), hex::encode(sig.to_bytes()))];
        }
        "mailgun" | "adyen" => return Vec::new(),
        "braintree" => {
            return vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )]
        }
        _ => {}
    }
    let body_file = gw
        .dir
        .write(&format!("{name}.body"), std::str::from_utf8(body).unwrap());
    let out = Command::new(bin())
        .args(["sign", "-c"])
        .arg(&gw.config_path)
        .args(["--route", name, "--body"])
        .arg(&body_file)
        .args(["--curl", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: sign failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `--curl` prints one command; take its -H arguments.
    let text = String::from_utf8(out.stdout).unwrap();
    text.split(" -H '")
        .skip(1)
        .map(|part| {
            let header = part.split("' ").next().unwrap().trim_end_matches('\'');
            let (k, v) = header.split_once(": ").unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn every_preset_forwards_a_signed_request_and_refuses_a_forged_one() {
    let up = Upstream::start();
    // Presets that read `provider_options` (the key-fetching ones and apple-app-store) need a
    // key server or a test root: tests/providers_key_fetch_e2e.rs sweeps them through the
    // gateway (and fails when one is added without its case).
    let names: Vec<&str> = providers::presets()
        .iter()
        .map(|p| p.name)
        .filter(|n| providers::options_builder(n).is_none())
        .collect();
    assert!(names.len() >= 69, "presets: {names:?}");
    let routes: String = names.iter().map(|n| route_for(n, up.port)).collect();
    let gw = Gateway::start("", &routes);

    let mut failures = BTreeMap::new();
    for name in &names {
        let body = body_for(name);
        let headers = signed_headers(&gw, name, &body);
        let mut req = client()
            .post(gw.url(&format!("/p/{name}")))
            .body(body.clone());
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let res = req.send().unwrap();
        if res.status() != 200 {
            failures.insert(
                name.to_string(),
                format!("signed: {} {}", res.status(), res.text().unwrap()),
            );
            continue;
        }
        let got = up.received();
        let last = got.last().unwrap();
        if last.target != format!("/got/{name}") || last.body != body {
            failures.insert(
                name.to_string(),
                "upstream did not get the exact request".into(),
            );
            continue;
        }

        // The same request with one body byte changed must not pass (Adyen signs selected
        // fields: change the amount).
        let forged = if *name == "adyen" {
            String::from_utf8(body.clone())
                .unwrap()
                .replace("1000", "1001")
                .into_bytes()
        } else {
            let mut forged = body.clone();
            let i = forged.len() / 2;
            forged[i] = if forged[i] == b'x' { b'y' } else { b'x' };
            forged
        };
        let mut req = client().post(gw.url(&format!("/p/{name}"))).body(forged);
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let status = req.send().unwrap().status();
        let no_body_integrity =
            ["token", "basic", "gitlab", "mailgun", "okta", "postmark"].contains(name);
        if !no_body_integrity && status != 401 {
            failures.insert(name.to_string(), format!("forged body: {status}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{failures:#?}\nlog:\n{}",
        gw.log()
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn check_lists_every_preset() {
    let dir = TempDir::new();
    let up_port = free_port();
    let cfg = dir.write("gateway.toml", &route_for("github", up_port));
    let out = Command::new(bin())
        .args(["check", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for p in providers::presets() {
        assert!(text.contains(p.name), "check output lacks {}", p.name);
    }
}

#[test]
fn handshakes_are_answered_by_the_gateway_when_enabled() {
    let up = Upstream::start();
    let routes = format!(
        "{}answer_challenges = true\n{}answer_challenges = true\n{}{}answer_challenges = true\n",
        route_for("dropbox", up.port),
        route_for("slack", up.port),
        route_for("github", up.port),
        route_for("braintree", up.port)
    );
    let gw = Gateway::start("", &routes);

    // Dropbox: GET ?challenge= is echoed as text/plain with nosniff.
    let res = client()
        .get(gw.url("/p/dropbox?challenge=abc123"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.text().unwrap(), "abc123");
    // Braintree: GET ?bt_challenge= is answered with the key pair's signature of the challenge
    // (braintree SDK `webhookNotification.verify`; its vector is checked in the unit tests).
    let res = client()
        .get(gw.url("/p/braintree?bt_challenge=20f9f8ed05f77439fe955c977e4c8a53"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().unwrap(),
        providers::presets::braintree::signature_pair(
            BT_PUBLIC,
            BT_PRIVATE.as_bytes(),
            b"20f9f8ed05f77439fe955c977e4c8a53"
        )
    );
    // Without answer_challenges a GET is just a wrong method.
    assert_eq!(
        client().get(gw.url("/p/github")).send().unwrap().status(),
        405
    );

    // Slack: a signed url_verification is answered with its challenge; a forged one is not.
    let body = br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let headers = signed_headers(&gw, "slack", body);
    let mut req = client().post(gw.url("/p/slack")).body(body.to_vec());
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let res = req.send().unwrap();
    assert_eq!(res.status(), 200);
    let json: serde_json::Value = serde_json::from_str(&res.text().unwrap()).unwrap();
    assert_eq!(
        json["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    let forged = client()
        .post(gw.url("/p/slack"))
        .header("X-Slack-Signature", "v0=00")
        .header("X-Slack-Request-Timestamp", now_unix().to_string())
        .body(body.to_vec())
        .send()
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(up.count(), 0, "handshakes never reach the upstream");
}

/// Issue 10 item 9 through the real binary: GitLab dedups on `Idempotency-Key` (stable across
/// retries and resends), not on `X-Gitlab-Event-UUID` (shared by recursive events).
/// docs.gitlab.com user/project/integrations/webhooks ("Delivery headers").
#[test]
fn gitlab_dedup_follows_idempotency_key() {
    let up = Upstream::start();
    let routes = format!(
        "{}dedup = {{ ttl = \"1h\" }}\n",
        route_for("gitlab", up.port)
    );
    let gw = Gateway::start("", &routes);
    let send = |uuid: &str, key: &str| {
        client()
            .post(gw.url("/p/gitlab"))
            .header("X-Gitlab-Token", SECRET)
            .header("X-Gitlab-Event", "Push Hook")
            .header("X-Gitlab-Event-UUID", uuid)
            .header("Idempotency-Key", key)
            .body(r#"{"object_kind":"push"}"#)
            .send()
            .unwrap()
    };
    let first = send("uuid-shared", "key-1");
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("x-hookgate-duplicate").is_none());
    // A second event of the same webhook-triggered request: same UUID, its own key → forwarded.
    let second = send("uuid-shared", "key-2");
    assert!(second.headers().get("x-hookgate-duplicate").is_none());
    // A manual resend of the first: new UUID, same key → duplicate.
    let resend = send("uuid-new", "key-1");
    assert_eq!(resend.status(), 200);
    assert_eq!(resend.headers()["x-hookgate-duplicate"], "true");
    assert_eq!(up.count(), 2);
}

/// Issue 10 item 5 through the real binary: Mailgun's form-encoded and multipart shapes verify
/// and reach the upstream byte for byte; a forged signature field is refused.
#[test]
fn mailgun_form_and_multipart_bodies_verify_and_are_forwarded_unchanged() {
    let up = Upstream::start();
    let gw = Gateway::start("", &route_for("mailgun", up.port));
    let now = now_unix().to_string();
    let sig = providers::presets::mailgun::body_signature(SECRET.as_bytes(), &now, "tok-e2e");
    let form = format!(
        "recipient=alice%40example.com&event=delivered&timestamp={now}&token=tok-e2e&signature={sig}"
    );
    let multipart = format!(
        "--B0und\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\nalice@example.com\r\n\
         --B0und\r\nContent-Disposition: form-data; name=\"attachment-1\"; filename=\"a.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n\x00\x01binary\r\n\
         --B0und\r\nContent-Disposition: form-data; name=\"timestamp\"\r\n\r\n{now}\r\n\
         --B0und\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\ntok-e2e\r\n\
         --B0und\r\nContent-Disposition: form-data; name=\"signature\"\r\n\r\n{sig}\r\n--B0und--\r\n"
    );
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", form.clone()),
        ("multipart/form-data; boundary=B0und", multipart),
    ] {
        let res = client()
            .post(gw.url("/p/mailgun"))
            .header("Content-Type", content_type)
            .body(body.clone())
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{content_type}: {}", res.text().unwrap());
        let got = up.received();
        let last = got.last().unwrap();
        assert_eq!(last.body, body.as_bytes(), "{content_type}");
        assert_eq!(last.header("content-type"), Some(content_type));
    }
    let forged = form.replace("tok-e2e", "tok-forged");
    let res = client()
        .post(gw.url("/p/mailgun"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(forged)
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(up.count(), 2);
}

/// `hookgate providers` prints the README's provider table exactly, and `hookgate check` shows
/// each route's effective `max_body`.
#[test]
fn providers_command_prints_the_readme_table_and_check_shows_max_body() {
    let out = Command::new(bin()).arg("providers").output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(providers::families::catalog::README_START)
        .expect("README start marker");
    let end = readme
        .find(providers::families::catalog::README_END)
        .unwrap();
    let table = readme[start + providers::families::catalog::README_START.len()..end].trim();
    assert_eq!(table, printed.trim());
    for p in providers::presets() {
        assert!(printed.contains(&format!("| `{}` |", p.name)), "{}", p.name);
    }

    let dir = TempDir::new();
    let cfg = dir.write(
        "gateway.toml",
        &format!("{}max_body = \"64KiB\"\n", route_for("stripe", free_port())),
    );
    let out = Command::new(bin())
        .args(["check", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("max_body 64KiB"), "{text}");
}

/// A Gitea form delivery (`application/x-www-form-urlencoded`, body `payload=<json>`) through the
/// real binary: Gitea signs the JSON, not the form body. Body and header as Gitea's own signer
/// produced them (`src/providers/presets/forge_senders.rs`, `gitea_signer_form_vector`); the form reaches the
/// upstream byte for byte, and a changed payload is refused.
#[test]
fn gitea_form_delivery_verifies_the_payload_field_and_is_forwarded_unchanged() {
    const FORM: &str = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fdevelop%22%2C%22before%22%3A%2228e1879d029cb852e4844d9c718537df08844e03%22%2C%22after%22%3A%22bffeb74224043ba2feb48d137756c8a9331c449a%22%2C%22repository%22%3A%7B%22id%22%3A140%2C%22full_name%22%3A%22gitea%2Fwebhooks%22%7D%7D";
    const SIGNATURE: &str = "2445743eb92db261e0440c5fc1ba646b138359c3802399f27af5e79408cdeb7a";
    let up = Upstream::start();
    let gw = Gateway::start(
        "",
        &route_for("gitea", up.port).replace(SECRET, "gitea-secret"),
    );
    let send = |body: String| {
        client()
            .post(gw.url("/p/gitea"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Gitea-Signature", SIGNATURE)
            .header("X-Gitea-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473")
            .body(body)
            .send()
            .unwrap()
    };
    let res = send(FORM.to_string());
    assert_eq!(res.status(), 200, "{}", res.text().unwrap());
    let got = up.received();
    assert_eq!(got.last().unwrap().body, FORM.as_bytes());
    let res = send(FORM.replace("develop", "main"));
    assert_eq!(res.status(), 401);
    assert_eq!(up.count(), 1);
}

/// `;` smuggling through the running gateway (the reviewer's repro): the signed `payload` field
/// intact, plus an attacker's `payload` behind a raw `;` that an upstream parser splitting on `;`
/// (Python parse_qs < 3.9.2, Go < 1.17, Rack < 3) would read first — and unsigned extra fields.
/// Gitea sends only `payload=<json>` with `;` percent-encoded, so these are refused with 401 and
/// nothing is forwarded. Two Content-Type fields (form and JSON) are refused at the protocol
/// stage with 400 (RFC 9110 §8.3); the clean delivery still passes byte for byte.
#[test]
fn gitea_form_with_smuggled_or_unsigned_fields_or_two_content_types_is_refused() {
    let json = r#"{"ref":"refs/heads/main","secret":"","commits":[]}"#;
    let signature = hmac_sha256_hex(b"gitea-secret", &[json.as_bytes()]);
    let signed = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", json)
        .finish();
    let evil = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fevil%22%7D";
    let up = Upstream::start();
    let gw = Gateway::start(
        "",
        &route_for("gitea", up.port).replace(SECRET, "gitea-secret"),
    );
    let send = |body: &str| {
        client()
            .post(gw.url("/p/gitea"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Gitea-Signature", &signature)
            .body(body.to_string())
            .send()
            .unwrap()
    };
    for body in [
        format!("x=1;{evil}&{signed}"),
        format!("{signed}&x=1;{evil}"),
        format!("{signed}&extra=evil"),
    ] {
        let res = send(&body);
        assert_eq!(res.status(), 401, "{body}");
        assert_eq!(
            res.text().unwrap(),
            r#"{"error":"invalid signature"}"#,
            "{body}"
        );
    }
    assert_eq!(up.count(), 0, "nothing forwarded");

    let head = |content_types: &str, body: &str| {
        format!(
            "POST /p/gitea HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{content_types}X-Gitea-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            gw.port,
            body.len()
        )
    };
    for (content_types, body) in [
        (
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Type: application/json\r\n",
            signed.as_str(),
        ),
        (
            "Content-Type: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n",
            json,
        ),
    ] {
        let out = raw_exchange(
            gw.port,
            head(content_types, body).as_bytes(),
            std::time::Duration::from_secs(5),
        );
        assert_eq!(status_of(&out), Some(400), "{content_types:?}: {out}");
    }
    assert_eq!(up.count(), 0, "nothing forwarded");

    let res = send(&signed);
    assert_eq!(res.status(), 200, "{}", res.text().unwrap());
    assert_eq!(up.received().last().unwrap().body, signed.as_bytes());
    // The same request as one raw exchange (one Content-Type) passes too: the 400s above are
    // the duplicate field, not the raw client.
    let out = raw_exchange(
        gw.port,
        head(
            "Content-Type: application/x-www-form-urlencoded\r\n",
            &signed,
        )
        .as_bytes(),
        std::time::Duration::from_secs(5),
    );
    assert_eq!(status_of(&out), Some(200), "{out}");
    assert_eq!(up.count(), 2);
}

/// `hookgate trigger` against a running gateway, for every preset in the registry: each one the
/// gateway can sign has a sample that is forwarded — twice, with dedup on, so the fresh event ID
/// lands where the preset reads it — and each one it cannot sign exits 2 with one line saying
/// why. (Key-fetching presets: tests/providers_key_fetch_e2e.rs.)
#[test]
fn trigger_sends_a_forwarded_sample_for_every_signable_preset() {
    let up = Upstream::start();
    let presets: Vec<&providers::Preset> = providers::presets()
        .iter()
        .filter(|p| providers::options_builder(p.name).is_none())
        .collect();
    let routes: String = presets
        .iter()
        .map(|p| {
            let dedup = if p.event_id.is_some() {
                "dedup = { ttl = \"1h\" }\n"
            } else {
                ""
            };
            format!("{}{dedup}", route_for(p.name, up.port))
        })
        .collect();
    let gw = Gateway::start("", &routes);
    let mut failures = BTreeMap::new();
    let mut triggered = 0;
    for preset in &presets {
        let name = preset.name;
        let run = || {
            Command::new(bin())
                .args(["trigger", "-c"])
                .arg(&gw.config_path)
                .args(["--route", name])
                .output()
                .unwrap()
        };
        if let Some(why) = hookgate::trigger::not_triggerable(name) {
            let out = run();
            let err = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(2) || err.lines().count() != 1 || !err.contains(why) {
                failures.insert(name, format!("expected exit 2: {:?} {err}", out.status));
            }
            continue;
        }
        let before = up.count();
        for attempt in 1..=2 {
            let out = run();
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() || !stdout.lines().nth(1).unwrap_or("").starts_with("200") {
                failures.insert(
                    name,
                    format!(
                        "attempt {attempt}: {:?}\n{stdout}{}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    ),
                );
            }
        }
        let got = up.received();
        if got.len() != before + 2
            || got[before..].iter().any(|r| {
                r.header("x-hookgate-route") != Some(name)
                    || r.header("x-hookgate-shadow").is_some()
            })
        {
            failures.insert(name, format!("upstream got {} of 2", got.len() - before));
        }
        triggered += 1;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(triggered >= 60, "only {triggered} presets were triggered");
}

#[test]
fn trigger_list_names_each_presets_samples() {
    let out = Command::new(bin())
        .args(["trigger", "--list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for preset in providers::presets() {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{}: ", preset.name)))
            .unwrap_or_else(|| panic!("{} missing from --list:\n{text}", preset.name));
        assert!(line.len() > preset.name.len() + 2, "{line}");
    }
    let stripe = text.lines().find(|l| l.starts_with("stripe: ")).unwrap();
    for event in [
        "payment_intent.succeeded",
        "checkout.session.completed",
        "invoice.paid",
    ] {
        assert!(stripe.contains(event), "{stripe}");
    }
}
