//! The presets that `tests/providers_e2e.rs`' sweep leaves out — those that read
//! `provider_options` (`aws-sns`, `gcp-pubsub`, `paypal`, `plaid`, `apple-app-store`) — end to end
//! through the running gateway binary: each route fetches its keys from a local HTTPS key server
//! (test CA by rcgen, admitted with `provider_options.key_hosts` / `key_ca`), never the internet.
//! For each: a signed request is forwarded byte for byte; the same request again makes no second
//! fetch; a tampered one is refused with 401; with the key server down the answer is 503 with
//! `Retry-After` and nothing is forwarded; the fetches are counted on `/metrics`.
//!
//! The requests are signed here with the providers' documented formats by independent signers
//! (ring RSA, jsonwebtoken, rcgen): the providers' own vectors are checked in each preset's unit
//! tests (`src/providers/<preset>.rs`).

mod common;

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::key_server::{Answer, KeyServer};
use common::*;
use hookgate::providers;
use sha2::Digest;

/// A throw-away RSA-2048 key (`openssl genpkey`, also the key of gcp-pubsub's unit tests) and its
/// public half as a JWK set (kid `hookgate-test-1`).
const RSA_KEY_PEM: &str = include_str!("../src/providers/presets/testdata/gcp_pubsub_test_key.pem");
const RSA_JWKS: &str = include_str!("../src/providers/presets/testdata/gcp_pubsub_test_jwks.json");
const RSA_KID: &str = "hookgate-test-1";

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";
const PUBSUB_AUD: &str = "https://hooks.example.com/p/gcp-pubsub";
const PUBSUB_EMAIL: &str = "push@my-project.iam.gserviceaccount.com";
const PAYPAL_WEBHOOK_ID: &str = "WH-E2E-1";
const PLAID_KID: &str = "6c5516e1-92dc-479e-a8ff-5a51992e0001";
const APPLE_BUNDLE: &str = "com.example";

const SNS_CERT_PATH: &str = "/SimpleNotificationService-e2e.pem";
const PAYPAL_CERT_PATH: &str = "/v1/notifications/certs/CERT-e2e";
const PUBSUB_JWKS_PATH: &str = "/oauth2/v3/certs";
const PLAID_KEY_PATH: &str = "/webhook_verification_key/get";

/// The key server's path each fetching preset reads (Apple fetches nothing).
fn key_path(name: &str) -> Option<&'static str> {
    match name {
        "aws-sns" => Some(SNS_CERT_PATH),
        "paypal" => Some(PAYPAL_CERT_PATH),
        "gcp-pubsub" => Some(PUBSUB_JWKS_PATH),
        "plaid" => Some(PLAID_KEY_PATH),
        _ => None,
    }
}

/// Keys and certificates the requests are signed with, and the key server serving their public
/// halves.
struct Fixture {
    server: KeyServer,
    /// A port nothing listens on: the "key server down" routes and URLs.
    dead_port: u16,
    dir: TempDir,
    rsa_pkcs8: Vec<u8>,
    plaid_key: rcgen::KeyPair,
    apple: AppleChain,
}

/// An Apple-shaped chain made with rcgen: root → intermediate (marker OID
/// 1.2.840.113635.100.6.2.1) → leaf (1.2.840.113635.100.6.11.1), the route's `key_ca` being the
/// root (the documented test-only override of Apple Root CA - G3).
struct AppleChain {
    x5c: Vec<String>,
    root_pem: String,
    leaf_key: rcgen::KeyPair,
}

fn apple_chain() -> AppleChain {
    let marker = |oid: &[u64]| rcgen::CustomExtension::from_oid_content(oid, vec![0x05, 0x00]);
    let root_key = rcgen::KeyPair::generate().unwrap();
    let mut root = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root = root.self_signed(&root_key).unwrap();
    let int_key = rcgen::KeyPair::generate().unwrap();
    let mut int = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    int.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    int.custom_extensions
        .push(marker(&[1, 2, 840, 113635, 100, 6, 2, 1]));
    let int = int.signed_by(&int_key, &root, &root_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.custom_extensions
        .push(marker(&[1, 2, 840, 113635, 100, 6, 11, 1]));
    let leaf = leaf.signed_by(&leaf_key, &int, &int_key).unwrap();
    AppleChain {
        x5c: [leaf.der(), int.der(), root.der()]
            .iter()
            .map(|d| STANDARD.encode(d.as_ref()))
            .collect(),
        root_pem: root.pem(),
        leaf_key,
    }
}

impl Fixture {
    fn new() -> Fixture {
        let server = KeyServer::start();
        let rsa = rcgen::KeyPair::from_pem(RSA_KEY_PEM).unwrap();
        // The SNS / PayPal signing certificates over the RSA key, in the providers' names,
        // issued under the route's `key_ca` (the key server's test CA) with their chain.
        server.set(
            SNS_CERT_PATH,
            Answer::ok(server.issue("sns.amazonaws.com", &rsa)),
        );
        server.set(
            PAYPAL_CERT_PATH,
            Answer::ok(server.issue("messageverificationcerts.paypal.com", &rsa)),
        );
        server.set(PUBSUB_JWKS_PATH, Answer::ok(RSA_JWKS));
        let plaid_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let raw = plaid_key.public_key_raw();
        // Plaid's /webhook_verification_key/get answer shape.
        let jwk = serde_json::json!({
            "alg": "ES256", "created_at": 1560466150, "crv": "P-256", "expired_at": null,
            "kid": PLAID_KID, "kty": "EC", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
        });
        server.set(
            PLAID_KEY_PATH,
            Answer::ok(serde_json::to_vec(&serde_json::json!({ "key": jwk })).unwrap()),
        );
        Fixture {
            server,
            dead_port: free_port(),
            dir: TempDir::new(),
            rsa_pkcs8: rsa.serialize_der(),
            plaid_key,
            apple: apple_chain(),
        }
    }

    fn key_url(&self, path: &str, down: bool) -> String {
        let port = if down {
            self.dead_port
        } else {
            self.server.port
        };
        format!("https://127.0.0.1:{port}{path}")
    }

    /// `[[route]]` tables for `name`: `/p/<name>` with the live key server and
    /// `/p/<name>-down` whose key server does not answer.
    fn routes(&self, name: &str, upstream: u16) -> String {
        self.routes_with(name, upstream, "")
    }

    /// [`Fixture::routes`] with `extra` (`key = value` pairs) added to `provider_options`.
    fn routes_with(&self, name: &str, upstream: u16, extra: &str) -> String {
        let ca = self
            .dir
            .write("key-ca.pem", &self.server.ca_pem)
            .display()
            .to_string();
        let apple_ca = self
            .dir
            .write("apple-test-root.pem", &self.apple.root_pem)
            .display()
            .to_string();
        let mut out = String::new();
        for down in [false, true] {
            let mut hosts = format!(
                r#"key_hosts = ["127.0.0.1:{}", "127.0.0.1:{}"], key_ca = "{ca}", key_timeout = "2s""#,
                self.server.port, self.dead_port
            );
            if !extra.is_empty() {
                hosts = format!("{hosts}, {extra}");
            }
            let (secrets, options) = match name {
                "aws-sns" => ("", format!(r#"topic_arns = ["{TOPIC}"], {hosts}"#)),
                "paypal" => (
                    "",
                    format!(r#"webhook_id = "{PAYPAL_WEBHOOK_ID}", {hosts}"#),
                ),
                "gcp-pubsub" => (
                    "",
                    format!(
                        r#"audience = "{PUBSUB_AUD}", email = "{PUBSUB_EMAIL}", key_url = "{}", {hosts}"#,
                        self.key_url(PUBSUB_JWKS_PATH, down)
                    ),
                ),
                "plaid" => (
                    "secrets = [\"plaid-secret\"]\n",
                    format!(
                        r#"client_id = "client-e2e", environment = "sandbox", key_url = "{}", {hosts}"#,
                        self.key_url(PLAID_KEY_PATH, down)
                    ),
                ),
                "apple-app-store" => (
                    "",
                    format!(
                        r#"bundle_id = "{APPLE_BUNDLE}", environment = "Sandbox", key_ca = "{apple_ca}""#
                    ),
                ),
                other => panic!("no e2e case for {other}: add one"),
            };
            let suffix = if down { "-down" } else { "" };
            out.push_str(&format!(
                "[[route]]\nname = \"{name}{suffix}\"\npath = \"/p/{name}{suffix}\"\nupstream = \"http://127.0.0.1:{upstream}/got/{name}{suffix}\"\nprovider = \"{name}\"\n{secrets}provider_options = {{ {options} }}\n"
            ));
        }
        out
    }

    fn rsa_sign(&self, message: &[u8]) -> String {
        let key = ring::signature::RsaKeyPair::from_pkcs8(&self.rsa_pkcs8).unwrap();
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            message,
            &mut sig,
        )
        .unwrap();
        STANDARD.encode(sig)
    }

    /// A correctly signed request to `name` (its key URL on the dead port when `down`, for the
    /// presets whose request names the URL).
    fn signed(&self, name: &str, down: bool) -> Signed {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        match name {
            // docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html, v2.
            "aws-sns" => {
                let (id, message) = ("6f5d5c7a-0000-4000-8000-000000000001", "{\"order\":1}");
                let timestamp = providers::families::common::format_rfc3339(now);
                let canonical = format!(
                    "Message\n{message}\nMessageId\n{id}\nTimestamp\n{timestamp}\nTopicArn\n{TOPIC}\nType\nNotification\n"
                );
                let body = serde_json::json!({
                    "Type": "Notification", "MessageId": id, "TopicArn": TOPIC,
                    "Message": message, "Timestamp": timestamp, "SignatureVersion": "2",
                    "Signature": self.rsa_sign(canonical.as_bytes()),
                    "SigningCertURL": self.key_url(SNS_CERT_PATH, down),
                    "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                });
                Signed {
                    headers: vec![("x-amz-sns-message-type".into(), "Notification".into())],
                    body: serde_json::to_vec_pretty(&body).unwrap(),
                }
            }
            // developer.paypal.com/api/rest/webhooks/rest: id|time|webhook_id|crc32(body).
            "paypal" => {
                let body =
                    br#"{"id":"WH-EVT-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"amount":"10.00"}}"#.to_vec();
                let (id, time) = (
                    "afa30d40-ca4a-11e9-ab68-7d4e2605c70c",
                    providers::families::common::format_rfc3339(now),
                );
                let signed = format!("{id}|{time}|{PAYPAL_WEBHOOK_ID}|{}", crc32fast::hash(&body));
                Signed {
                    headers: vec![
                        ("PAYPAL-TRANSMISSION-ID".into(), id.into()),
                        ("PAYPAL-TRANSMISSION-TIME".into(), time),
                        (
                            "PAYPAL-CERT-URL".into(),
                            self.key_url(PAYPAL_CERT_PATH, down),
                        ),
                        ("PAYPAL-AUTH-ALGO".into(), "SHA256withRSA".into()),
                        (
                            "PAYPAL-TRANSMISSION-SIG".into(),
                            self.rsa_sign(signed.as_bytes()),
                        ),
                    ],
                    body,
                }
            }
            // cloud.google.com/pubsub/docs/authenticate-push-subscriptions.
            "gcp-pubsub" => {
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
                header.kid = Some(RSA_KID.into());
                let claims = serde_json::json!({
                    "aud": PUBSUB_AUD, "email": PUBSUB_EMAIL, "email_verified": true,
                    "iss": "https://accounts.google.com", "sub": "1234567890",
                    "iat": now, "exp": now + 3600,
                });
                let token = jsonwebtoken::encode(
                    &header,
                    &claims,
                    &jsonwebtoken::EncodingKey::from_rsa_pem(RSA_KEY_PEM.as_bytes()).unwrap(),
                )
                .unwrap();
                Signed {
                    headers: vec![("Authorization".into(), format!("Bearer {token}"))],
                    body: br#"{"message":{"data":"eyJvcmRlciI6MX0=","messageId":"136969346945"},"subscription":"projects/p/subscriptions/s"}"#.to_vec(),
                }
            }
            // plaid.com/docs/api/webhooks/webhook-verification.
            "plaid" => {
                let body = br#"{"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE","item_id":"wz666MBjYWTp2PDzzggYhM6oWWmBb"}"#.to_vec();
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
                header.kid = Some(PLAID_KID.into());
                let claims = serde_json::json!({
                    "iat": now,
                    "request_body_sha256": hex::encode(sha2::Sha256::digest(&body)),
                });
                let token = jsonwebtoken::encode(
                    &header,
                    &claims,
                    &jsonwebtoken::EncodingKey::from_ec_der(&self.plaid_key.serialize_der()),
                )
                .unwrap();
                Signed {
                    headers: vec![("Plaid-Verification".into(), token)],
                    body,
                }
            }
            // developer.apple.com/documentation/appstoreservernotifications/responsebodyv2.
            "apple-app-store" => Signed {
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: serde_json::to_vec(&serde_json::json!({
                    "signedPayload": self.apple_jws(&apple_claims(now * 1000, "TEST")),
                }))
                .unwrap(),
            },
            other => panic!("no e2e case for {other}"),
        }
    }

    fn apple_jws(&self, claims: &serde_json::Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.x5c = Some(self.apple.x5c.clone());
        jsonwebtoken::encode(
            &header,
            claims,
            &jsonwebtoken::EncodingKey::from_ec_der(&self.apple.leaf_key.serialize_der()),
        )
        .unwrap()
    }
}

fn apple_claims(signed_date_ms: u64, kind: &str) -> serde_json::Value {
    serde_json::json!({
        "notificationType": kind, "notificationUUID": "9ad56bd2-0bc6-42e0-af24-fd996d87a1e6",
        "signedDate": signed_date_ms,
        "data": { "bundleId": APPLE_BUNDLE, "environment": "Sandbox" },
    })
}

struct Signed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    /// The same request with one signed byte changed: a body byte for the presets that sign
    /// the body; for SNS the `Message` field; for Apple the JWS payload (header and signature
    /// kept).
    fn tampered(&self, name: &str) -> Signed {
        let body = match name {
            "aws-sns" => {
                let mut v: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
                v["Message"] = "{\"order\":2}".into();
                serde_json::to_vec_pretty(&v).unwrap()
            }
            "apple-app-store" => {
                let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
                let jws = v["signedPayload"].as_str().unwrap();
                let parts: Vec<&str> = jws.split('.').collect();
                let mut payload: serde_json::Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
                payload["notificationType"] = "REFUND".into();
                let forged = format!(
                    "{}.{}.{}",
                    parts[0],
                    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap()),
                    parts[2]
                );
                serde_json::to_vec(&serde_json::json!({ "signedPayload": forged })).unwrap()
            }
            _ => {
                let mut b = self.body.clone();
                let i = b.len() / 2;
                b[i] = if b[i] == b'x' { b'y' } else { b'x' };
                b
            }
        };
        Signed {
            headers: self.headers.clone(),
            body,
        }
    }

    fn send(&self, gw: &Gateway, path: &str) -> reqwest::blocking::Response {
        let mut req = client().post(gw.url(path)).body(self.body.clone());
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req.send().unwrap()
    }
}

/// Every preset that reads `provider_options` (the ones `providers_e2e`' sweep skips).
fn option_presets() -> Vec<&'static str> {
    providers::presets()
        .iter()
        .map(|p| p.name)
        .filter(|n| providers::options_builder(n).is_some())
        .collect()
}

#[test]
fn key_fetching_presets_end_to_end_through_the_gateway() {
    let names = option_presets();
    assert_eq!(
        names.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "aws-sns",
            "gcp-pubsub",
            "paypal",
            "plaid",
            "apple-app-store"
        ]),
        "a preset reading provider_options needs its case here"
    );
    let fx = Fixture::new();
    let up = Upstream::start();
    let routes: String = names.iter().map(|n| fx.routes(n, up.port)).collect();
    let gw = Gateway::start("", &routes);
    let log = || {
        gw.stderr()
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };

    for name in &names {
        // A signed request is forwarded byte for byte.
        let signed = fx.signed(name, false);
        let res = signed.send(&gw, &format!("/p/{name}"));
        assert_eq!(
            res.status(),
            200,
            "{name}: {}\n{}",
            res.text().unwrap(),
            log()
        );
        let got = up.received();
        let last = got.last().unwrap();
        assert_eq!(last.target, format!("/got/{name}"), "{name}");
        assert_eq!(last.body, signed.body, "{name}: forwarded body differs");

        // The same request again: the key is cached, no second fetch.
        assert_eq!(
            signed.send(&gw, &format!("/p/{name}")).status(),
            200,
            "{name}"
        );
        if let Some(path) = key_path(name) {
            assert_eq!(fx.server.hits(path), 1, "{name}: one fetch, then the cache");
        }

        // A tampered request is refused and not forwarded.
        let before = up.count();
        let tampered = signed.tampered(name);
        let res = tampered.send(&gw, &format!("/p/{name}"));
        if *name == "gcp-pubsub" {
            // Google's push token authenticates the sender, not the body (no body integrity):
            // a changed body with a valid token is forwarded; a changed token is not.
            assert_eq!(
                res.status(),
                200,
                "gcp-pubsub: the token does not cover the body"
            );
            let mut forged = signed.headers.clone();
            let token = forged[0].1.clone();
            let cut = token.len() - 6;
            forged[0].1 = format!("{}AAAAAA", &token[..cut]);
            let forged = Signed {
                headers: forged,
                body: signed.body.clone(),
            };
            let before = up.count();
            assert_eq!(forged.send(&gw, "/p/gcp-pubsub").status(), 401);
            assert_eq!(up.count(), before);
        } else {
            assert_eq!(res.status(), 401, "{name}: tampered");
            assert_eq!(
                up.count(),
                before,
                "{name}: a refused request is not forwarded"
            );
        }

        // Key server down: 503 with Retry-After, nothing forwarded.
        if key_path(name).is_some() {
            let before = up.count();
            let res = fx.signed(name, true).send(&gw, &format!("/p/{name}-down"));
            assert_eq!(res.status(), 503, "{name}: key server down\n{}", log());
            assert_eq!(
                res.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap()),
                Some("30"),
                "{name}"
            );
            let text = res.text().unwrap();
            assert!(text.contains("signing key unavailable"), "{name}: {text}");
            assert_eq!(up.count(), before, "{name}: nothing forwarded on 503");
        }
    }

    // Apple fetched nothing; every other preset fetched exactly its one key.
    assert_eq!(fx.server.received().len(), 4, "{:?}", fx.server.received());
    let metrics = gw.metrics();
    for name in names.iter().filter(|n| key_path(n).is_some()) {
        let sample = |outcome: &str| {
            metric_value(
                &metrics,
                &format!(r#"hookgate_key_fetches_total{{provider="{name}",outcome="{outcome}"}}"#),
            )
        };
        assert_eq!(sample("fetched"), 1.0, "{name}\n{metrics}");
        assert_eq!(sample("unreachable"), 1.0, "{name}\n{metrics}");
    }
    // The 503s are counted as `unavailable`, not as bad signatures.
    assert_eq!(
        metric_value(
            &metrics,
            r#"hookgate_requests_total{route="plaid-down",outcome="unavailable"}"#
        ),
        1.0,
        "{metrics}"
    );
}

/// A stale Apple notification is still accepted (Apple's library checks no age of
/// `signedDate`), unless the route sets `tolerance`; a chain to another root is refused.
#[test]
fn apple_window_and_root_through_the_gateway() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let routes = format!(
        "{}[[route]]\nname = \"apple-windowed\"\npath = \"/p/apple-windowed\"\nupstream = \"http://127.0.0.1:{}/got/w\"\nprovider = \"apple-app-store\"\ntolerance = \"5m\"\nprovider_options = {{ bundle_id = \"{APPLE_BUNDLE}\", environment = \"Sandbox\", key_ca = \"{}\" }}\n",
        fx.routes("apple-app-store", up.port),
        up.port,
        fx.dir.0.join("apple-test-root.pem").display()
    );
    let gw = Gateway::start("", &routes);
    let now_ms = now_unix() * 1000;
    let send = |path: &str, claims: &serde_json::Value, chain: &Fixture| {
        client()
            .post(gw.url(path))
            .body(
                serde_json::to_vec(
                    &serde_json::json!({ "signedPayload": chain.apple_jws(claims) }),
                )
                .unwrap(),
            )
            .send()
            .unwrap()
            .status()
    };
    let hour_old = apple_claims(now_ms - 3_600_000, "DID_RENEW");
    assert_eq!(send("/p/apple-app-store", &hour_old, &fx), 200);
    assert_eq!(send("/p/apple-windowed", &hour_old, &fx), 401);
    let future = apple_claims(now_ms + 3_600_000, "DID_RENEW");
    assert_eq!(send("/p/apple-windowed", &future, &fx), 401);
    assert_eq!(
        send("/p/apple-windowed", &apple_claims(now_ms, "DID_RENEW"), &fx),
        200
    );
    // Signed by a chain of another root.
    let other = Fixture {
        apple: apple_chain(),
        ..Fixture::new()
    };
    assert_eq!(
        send("/p/apple-app-store", &apple_claims(now_ms, "TEST"), &other),
        401
    );
    assert_eq!(up.count(), 2);
}

/// `hookgate_key_fetches_total` for `provider` and `outcome`.
fn fetches(gw: &Gateway, provider: &str, outcome: &str) -> f64 {
    gw.metric(&format!(
        "hookgate_key_fetches_total{{provider=\"{provider}\",outcome=\"{outcome}\"}}"
    ))
}

/// Issue 20 fault 1: with the documented allowlist, an SNS `SigningCertURL` on an S3 bucket
/// host named `sns` (`sns.s3.amazonaws.com`, `sns.s3-ap-southeast-2.amazonaws.com`) or written
/// any other way that does not plainly name an SNS regional endpoint is 401 with no request made
/// (counted `refused`, nothing fetched).
#[test]
fn sns_certificate_urls_off_the_sns_hosts_are_401_without_a_request() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let route = format!(
        "[[route]]\nname = \"sns\"\npath = \"/sns\"\nupstream = \"{}\"\nprovider = \"aws-sns\"\nprovider_options = {{ topic_arns = [\"*\"], key_timeout = \"1s\" }}\n",
        up.url("/up")
    );
    let gw = Gateway::start("", &route);
    let urls = [
        "https://sns.s3.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.s3-ap-southeast-2.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
        "https://sns.us-east-1.amazonaws.com./x.pem",
        "https://sns%2eus-east-1.amazonaws.com/x.pem",
        "https://user@sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/x.pem",
        "http://sns.us-east-1.amazonaws.com/x.pem",
        "https://54.239.28.85/x.pem",
    ];
    for url in urls {
        let signed = fx.signed("aws-sns", false);
        let mut body: serde_json::Value = serde_json::from_slice(&signed.body).unwrap();
        body["SigningCertURL"] = url.into();
        let forged = Signed {
            headers: signed.headers.clone(),
            body: serde_json::to_vec(&body).unwrap(),
        };
        assert_eq!(forged.send(&gw, "/sns").status(), 401, "{url}");
    }
    assert_eq!(up.count(), 0);
    assert_eq!(fetches(&gw, "aws-sns", "fetched"), 0.0);
    assert!(fetches(&gw, "aws-sns", "refused") >= 1.0);
}

/// Issue 21 (assigned to issue 20): a key URL that answers with a redirect is not the
/// provider's key: 401 (counted `redirected`), never followed, never 503.
#[test]
fn a_key_url_that_redirects_is_401_and_not_followed() {
    let fx = Fixture::new();
    let up = Upstream::start();
    for status in [301u16, 302, 307, 308] {
        fx.server.set(
            PAYPAL_CERT_PATH,
            Answer {
                headers: vec![("location".into(), fx.server.url("/elsewhere"))],
                ..Answer::status(status)
            },
        );
        let gw = Gateway::start("", &fx.routes("paypal", up.port));
        let res = fx.signed("paypal", false).send(&gw, "/p/paypal");
        assert_eq!(res.status(), 401, "HTTP {status}");
        assert_eq!(fetches(&gw, "paypal", "redirected"), 1.0, "HTTP {status}");
    }
    assert_eq!(
        fx.server.hits("/elsewhere"),
        0,
        "a redirect is never followed"
    );
    assert_eq!(up.count(), 0);
}

/// Issue 20 fault 2: a valid PayPal signature by a self-signed certificate claiming
/// `messageverificationcerts.paypal.com`, served from an allowed host, is refused (PayPal's SDK:
/// "does not chain to a trusted root"); so is one under another root, or in another name, and
/// an SNS certificate with the same faults.
#[test]
fn fetched_certificates_must_chain_and_be_named_for_the_provider() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let rsa = rcgen::KeyPair::from_pem(RSA_KEY_PEM).unwrap();
    let self_signed = |name: &str| {
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.self_signed(&rsa).unwrap().pem()
    };
    let other = KeyServer::start();
    let cases = [
        (
            "paypal",
            PAYPAL_CERT_PATH,
            self_signed("messageverificationcerts.paypal.com"),
            "self-signed in PayPal's name",
        ),
        (
            "paypal",
            PAYPAL_CERT_PATH,
            other.issue("messageverificationcerts.paypal.com", &rsa),
            "under another root",
        ),
        (
            "paypal",
            PAYPAL_CERT_PATH,
            fx.server.issue("evil.example", &rsa),
            "another name",
        ),
        (
            "aws-sns",
            SNS_CERT_PATH,
            self_signed("sns.amazonaws.com"),
            "self-signed in SNS's name",
        ),
        (
            "aws-sns",
            SNS_CERT_PATH,
            other.issue("sns.amazonaws.com", &rsa),
            "under another root",
        ),
        (
            "aws-sns",
            SNS_CERT_PATH,
            fx.server.issue("evil.example", &rsa),
            "another name",
        ),
    ];
    for (name, path, pem, what) in cases {
        fx.server.set(path, Answer::ok(pem));
        let gw = Gateway::start("", &fx.routes(name, up.port));
        let res = fx.signed(name, false).send(&gw, &format!("/p/{name}"));
        assert_eq!(res.status(), 401, "{name}: {what}");
    }
    assert_eq!(up.count(), 0);
}

/// Issue 20 fault 2, the lone leaf: AWS (`SigningCertURL`) and PayPal (`PAYPAL-CERT-URL`) serve
/// the signing certificate without its issuer. As .NET's `X509Chain.Build` does for
/// PayPal-NET-SDK `CertificateManager.ValidateCertificateChain` (@ec14d73c: chain built from the
/// served certificates, missing issuers downloaded from AIA, and the SDK's bundled DigiCert
/// intermediate required in it), the gateway fetches the issuer the leaf's AIA `caIssuers` URL
/// names — plain HTTP, only from the CA's hosts (`issuer_hosts` here: a local HTTP server) — and
/// requires the chain to reach a root (`key_ca`). A leaf whose issuer is fetched is forwarded
/// (one issuer fetch for two requests); an issuer under another root, a missing issuer, a
/// self-signed leaf are 401; an issuer URL outside the CA hosts is 401 with no request made; an
/// issuer host that is down is 503. (AWS's validators check no chain: aws-js-sns-message-validator
/// and aws-php-sns-message-validator `MessageValidator` only match the URL's host and verify the
/// signature with the certificate's key; hookgate checks more than they do.)
#[test]
fn a_lone_leaf_is_chained_through_the_issuer_its_aia_names() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let rsa = rcgen::KeyPair::from_pem(RSA_KEY_PEM).unwrap();
    let ca_host = KeyServer::start_http();
    let outside = KeyServer::start_http();
    let other_root = KeyServer::start();
    let extra = format!(
        r#"issuer_hosts = ["{}", "127.0.0.1:{}"]"#,
        ca_host.host(),
        fx.dead_port
    );
    let dead_aia = format!("http://127.0.0.1:{}/int.crt", fx.dead_port);
    let providers = [
        ("aws-sns", SNS_CERT_PATH, "sns.amazonaws.com"),
        (
            "paypal",
            PAYPAL_CERT_PATH,
            "messageverificationcerts.paypal.com",
        ),
    ];
    for (name, path, cn) in providers {
        let int_path = format!("/{name}/int.crt");
        let start = |leaf: String| {
            fx.server.set(path, Answer::ok(leaf));
            Gateway::start("", &fx.routes_with(name, up.port, &extra))
        };
        let send = |gw: &Gateway| fx.signed(name, false).send(gw, &format!("/p/{name}"));

        let (leaf, int) = fx
            .server
            .issue_without_chain(cn, &rsa, &ca_host.url(&int_path));
        ca_host.set(&int_path, Answer::ok(int));
        let gw = start(leaf);
        assert_eq!(send(&gw).status(), 200, "{name}: issuer fetched from AIA");
        assert_eq!(send(&gw).status(), 200, "{name}: issuer cached");
        assert_eq!(ca_host.hits(&int_path), 1, "{name}: one issuer fetch");

        let (leaf, _) = fx
            .server
            .issue_without_chain(cn, &rsa, &outside.url(&int_path));
        let gw = start(leaf);
        assert_eq!(send(&gw).status(), 401, "{name}: AIA outside the CA hosts");
        assert_eq!(outside.hits(&int_path), 0, "{name}: no request made");
        assert_eq!(fetches(&gw, name, "refused"), 1.0, "{name}");

        let foreign_path = format!("/{name}/foreign.crt");
        let (leaf, int) = other_root.issue_without_chain(cn, &rsa, &ca_host.url(&foreign_path));
        ca_host.set(&foreign_path, Answer::ok(int));
        let gw = start(leaf);
        assert_eq!(send(&gw).status(), 401, "{name}: issuer under another root");
        assert_eq!(ca_host.hits(&foreign_path), 1, "{name}");

        let (leaf, _) = fx
            .server
            .issue_without_chain(cn, &rsa, &ca_host.url("/missing.crt"));
        assert_eq!(send(&start(leaf)).status(), 401, "{name}: issuer 404");

        let mut params = rcgen::CertificateParams::new(vec![cn.to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let self_signed = params.self_signed(&rsa).unwrap().pem();
        assert_eq!(
            send(&start(self_signed)).status(),
            401,
            "{name}: self-signed"
        );

        let (leaf, _) = fx.server.issue_without_chain(cn, &rsa, &dead_aia);
        let res = send(&start(leaf));
        assert_eq!(res.status(), 503, "{name}: issuer host down");
        assert!(res.headers().contains_key("retry-after"), "{name}");
    }
    assert_eq!(up.count(), 4, "only the chained leaves were forwarded");
}

/// Issue 20 fault 3: a Pub/Sub push token signed by the right key but without `aud`, without
/// `iss`, or with a numeric or list `aud` is refused (google-auth `google/auth/jwt.py` `decode`:
/// `claim_audience not in audience` raises; `id_token.verify_oauth2_token`: `iss` must be one of
/// Google's issuers). A token with every claim is forwarded.
#[test]
fn pubsub_tokens_without_the_claims_google_always_sets_are_refused() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let gw = Gateway::start("", &fx.routes("gcp-pubsub", up.port));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(RSA_KID.into());
        let mut claims = serde_json::json!({
            "aud": PUBSUB_AUD, "email": PUBSUB_EMAIL, "email_verified": true,
            "iss": "https://accounts.google.com", "sub": "1234567890",
            "iat": now, "exp": now + 3600,
        });
        edit(&mut claims);
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(RSA_KEY_PEM.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    let send = |token: String| {
        let mut signed = fx.signed("gcp-pubsub", false);
        signed.headers = vec![("Authorization".into(), format!("Bearer {token}"))];
        signed.send(&gw, "/p/gcp-pubsub").status()
    };
    assert_eq!(send(token(&|_| {})), 200);
    let remove = |name: &'static str| {
        move |c: &mut serde_json::Value| {
            c.as_object_mut().unwrap().remove(name);
        }
    };
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("no aud", Box::new(remove("aud"))),
        ("no iss", Box::new(remove("iss"))),
        (
            "numeric aud",
            Box::new(|c: &mut serde_json::Value| c["aud"] = 12345.into()),
        ),
        (
            "list aud",
            Box::new(|c: &mut serde_json::Value| c["aud"] = serde_json::json!([PUBSUB_AUD])),
        ),
        (
            "numeric iss",
            Box::new(|c: &mut serde_json::Value| c["iss"] = 1.into()),
        ),
        ("no iat", Box::new(remove("iat"))),
        ("no exp", Box::new(remove("exp"))),
    ];
    for (what, edit) in edits {
        assert_eq!(send(token(&*edit)), 401, "{what}");
    }
    assert_eq!(up.count(), 1);
}

/// `hookgate trigger` cannot sign for a preset whose keys belong to the provider: exit 2, one
/// line saying why.
#[test]
fn trigger_refuses_key_fetching_presets_with_exit_2() {
    let fx = Fixture::new();
    let routes: String = option_presets().iter().map(|n| fx.routes(n, 9)).collect();
    let config = fx.dir.write(
        "trigger.toml",
        &format!("[server]\nlisten = \"127.0.0.1:9\"\n{routes}"),
    );
    for name in option_presets() {
        let out = std::process::Command::new(bin())
            .args(["trigger", "-c"])
            .arg(&config)
            .args(["--route", name])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains("belong to the provider"), "{name}: {err}");
    }
}

/// `name`'s route with dedup on (both the live route and its `-down` twin).
fn dedup_routes(fx: &Fixture, name: &str, upstream: u16) -> String {
    fx.routes(name, upstream).replace(
        "provider_options",
        "dedup = { ttl = \"1h\" }\nprovider_options",
    )
}

/// Whether the gateway called `signed` a duplicate (200 either way).
fn is_duplicate(gw: &Gateway, signed: &Signed, path: &str) -> bool {
    let res = signed.send(gw, path);
    assert_eq!(res.status(), 200, "{}", gw.stderr());
    res.headers().get("x-hookgate-duplicate").is_some()
}

/// Issue 20 fault 7, SNS: a topic delivers one `MessageId` to every subscription, and each HTTP
/// delivery names its subscription in `x-amz-sns-subscription-arn`
/// (docs.aws.amazon.com/sns/latest/dg/http-header.html; retries keep the MessageId:
/// sns-message-delivery-retries.html). Two subscriptions to one route: both forwarded; each
/// subscription's retry is a duplicate.
#[test]
fn sns_subscriptions_sharing_a_message_id_are_each_forwarded_once() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let gw = Gateway::start("", &dedup_routes(&fx, "aws-sns", up.port));
    let signed = fx.signed("aws-sns", false);
    let from = |sub: &str| {
        let mut s = Signed {
            headers: signed.headers.clone(),
            body: signed.body.clone(),
        };
        s.headers.push((
            "x-amz-sns-subscription-arn".into(),
            format!("{TOPIC}:{sub}"),
        ));
        s
    };
    let (a, b) = (from("11111111-aaaa"), from("22222222-bbbb"));
    assert!(!is_duplicate(&gw, &a, "/p/aws-sns"));
    assert!(!is_duplicate(&gw, &b, "/p/aws-sns"));
    assert!(
        is_duplicate(&gw, &a, "/p/aws-sns"),
        "subscription A's retry"
    );
    assert!(
        is_duplicate(&gw, &b, "/p/aws-sns"),
        "subscription B's retry"
    );
    let got = up.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].header("x-hookgate-event-id"),
        Some("6f5d5c7a-0000-4000-8000-000000000001")
    );
}

/// Issue 20 fault 7, Pub/Sub: every subscription of a topic gets the message with the same
/// `messageId`; the push body names the `subscription`
/// (cloud.google.com/pubsub/docs/push: "message" + "subscription"; redeliveries keep messageId).
#[test]
fn pubsub_subscriptions_sharing_a_message_id_are_each_forwarded_once() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let gw = Gateway::start("", &dedup_routes(&fx, "gcp-pubsub", up.port));
    let signed = fx.signed("gcp-pubsub", false);
    let from = |sub: &str| {
        Signed {
        headers: signed.headers.clone(),
        body: format!(
            r#"{{"message":{{"data":"eyJvcmRlciI6MX0=","messageId":"136969346945"}},"subscription":"projects/p/subscriptions/{sub}"}}"#
        )
        .into_bytes(),
    }
    };
    let (a, b) = (from("billing"), from("audit"));
    assert!(!is_duplicate(&gw, &a, "/p/gcp-pubsub"));
    assert!(!is_duplicate(&gw, &b, "/p/gcp-pubsub"));
    assert!(
        is_duplicate(&gw, &a, "/p/gcp-pubsub"),
        "subscription A's redelivery"
    );
    assert!(
        is_duplicate(&gw, &b, "/p/gcp-pubsub"),
        "subscription B's redelivery"
    );
    let got = up.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("x-hookgate-event-id"), Some("136969346945"));
}

/// Review round 5: an AIA issuer URL inside the CA allowlist that answers with a redirect to
/// itself, a body far over the 64 KiB key cap, or nothing within `key_timeout` costs one bounded
/// request each and never forwards: a redirect is not followed (401, one hit), an oversized
/// issuer is not a certificate (401), a silent host is a transient failure (503 + Retry-After).
#[test]
fn aia_issuer_redirect_loops_huge_and_slow_answers_are_bounded() {
    let fx = Fixture::new();
    let up = Upstream::start();
    let rsa = rcgen::KeyPair::from_pem(RSA_KEY_PEM).unwrap();
    let ca_host = KeyServer::start_http();
    let extra = format!(r#"issuer_hosts = ["{}"]"#, ca_host.host());
    for (name, path, cn) in [
        ("aws-sns", SNS_CERT_PATH, "sns.amazonaws.com"),
        (
            "paypal",
            PAYPAL_CERT_PATH,
            "messageverificationcerts.paypal.com",
        ),
    ] {
        let with_aia = |aia_path: &str, answer: Answer| {
            let (leaf, _) = fx
                .server
                .issue_without_chain(cn, &rsa, &ca_host.url(aia_path));
            ca_host.set(aia_path, answer);
            fx.server.set(path, Answer::ok(leaf));
            let gw = Gateway::start("", &fx.routes_with(name, up.port, &extra));
            let res = fx.signed(name, false).send(&gw, &format!("/p/{name}"));
            (
                res.status().as_u16(),
                res.headers().contains_key("retry-after"),
            )
        };

        let loop_path = format!("/{name}/loop.crt");
        let mut redirect = Answer::status(302);
        redirect
            .headers
            .push(("Location".into(), ca_host.url(&loop_path)));
        assert_eq!(with_aia(&loop_path, redirect).0, 401, "{name}: redirect");
        assert_eq!(ca_host.hits(&loop_path), 1, "{name}: redirect not followed");

        let huge_path = format!("/{name}/huge.crt");
        let huge = Answer::ok(vec![b'A'; 8 << 20]);
        assert_eq!(with_aia(&huge_path, huge).0, 401, "{name}: 8 MiB issuer");
        assert_eq!(ca_host.hits(&huge_path), 1, "{name}");

        let slow_path = format!("/{name}/slow.crt");
        let mut slow = Answer::ok(b"never in time".to_vec());
        slow.delay = std::time::Duration::from_secs(4);
        assert_eq!(
            with_aia(&slow_path, slow),
            (503, true),
            "{name}: slow issuer"
        );
    }
    assert_eq!(up.count(), 0, "nothing forwarded");
}
