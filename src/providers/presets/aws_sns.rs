//! AWS SNS HTTP(S) subscriptions: the JSON body carries `Signature` (base64), `SignatureVersion`
//! (`1`: SHA1withRSA, `2`: SHA256withRSA) and `SigningCertURL`; the signed string is
//! `"Key\nValue\n"` for, in order, `Message, MessageId, Subject (if present), Timestamp,
//! TopicArn, Type` (Notification) or `Message, MessageId, SubscribeURL, Timestamp, Token,
//! TopicArn, Type` (SubscriptionConfirmation, UnsubscribeConfirmation). The certificate is
//! fetched from `SigningCertURL`, only from `sns.<region>.amazonaws.com[.cn]`, and must be valid
//! at the request's time. `provider_options.topic_arns` lists the topics accepted (anyone can
//! get SNS to sign a message for *their* topic). With `answer_challenges = true` a verified
//! `SubscriptionConfirmation` is confirmed by the gateway (a GET of its `SubscribeURL`, same
//! host allowlist) instead of being forwarded.
//! Source: docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html; AWS SDK for
//! Java v2 `services/sns` (`SignatureChecker`, test resources).

use std::time::Duration;

use serde::Deserialize;

use crate::providers::families::common;
use crate::providers::families::key_fetch::certs::{
    millis, url_host, CertPolicy, ChainRule, RsaHash,
};
use crate::providers::families::key_fetch::signing_certs::CertSource;
use crate::providers::families::key_fetch::{KeyFetchContext, ProviderOptions};
use crate::providers::{
    DedupScope, LocalResponse, Prepare, Preset, Rejection, Scheme, SchemeSettings, SettingsError,
    SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "aws-sns",
    default_tolerance: Some(Duration::from_secs(3600)),
    event_id: Some("json:/MessageId"),
    // SNS fans one MessageId out to every subscription of the topic (issue 20 fault 7).
    dedup_scope: DedupScope::Fields(&["header:x-amz-sns-subscription-arn"]),
    event_type: Some("json:/Type"),
    summary: "JSON body Signature/SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA) over the canonical string; cert from SigningCertURL on sns.<region>.amazonaws.com",
    build,
    family: "x509-fetched",
    headers: &["(JSON body: Signature, SignatureVersion, SigningCertURL)"],
    reference: "docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html; aws-sdk-java-v2 sns message-manager SignatureValidator; MessageId is stable across SNS retries",
    ..Preset::DEFAULTS
};

/// The hosts AWS documents for `SigningCertURL` and `SubscribeURL`.
const HOSTS: &[&str] = &[
    "sns.{region}.amazonaws.com",
    "sns.{region}.amazonaws.com.cn",
];
/// The signing certificate's name (SAN, else CN), as on AWS's certificates and as aws-sdk-java-v2
/// `SignatureValidator` expects in the subject; the regional host it came from is accepted too.
const CERT_NAMES: &[&str] = &["sns.amazonaws.com"];
/// The CA hosts a lone leaf's issuer (AIA `caIssuers`) may come from: Amazon Trust Services
/// (`http://crt.r2m02.amazontrust.com/r2m02.cer`, …), which issues SNS's certificates now, and
/// DigiCert, which issued them before.
const CA_HOSTS: &[&str] = &["crt.*.amazontrust.com", "cacerts.digicert.com"];

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    crate::providers::families::key_fetch::options::build_without_options(
        build_with_options,
        settings,
    )
}

/// The constructor with the route's `provider_options` (`topic_arns`, and the key-fetch
/// overrides `key_hosts`, `key_ca`, `key_timeout`).
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    Ok(Box::new(build_sns(settings, options, ctx)?))
}

fn build_sns(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Sns, SettingsError> {
    options.only_with_fetch(PRESET.name, &["topic_arns", "issuer_hosts"])?;
    common::refuse_secrets(
        settings.secrets,
        PRESET.name,
        "the certificate is fetched from AWS",
    )?;
    common::preset_header(settings, "", false)?;
    let topics = match options.topic_arns.as_deref() {
        None | Some([]) => {
            return Err(SettingsError::new(
                "provider_options.topic_arns",
                "missing: list the TopicArns to accept, or [\"*\"] for any topic",
            ))
        }
        Some(list) if list.iter().any(|t| t == "*") => None,
        Some(list) => Some(list.to_vec()),
    };
    let certs = CertSource::new(
        PRESET.name,
        options,
        HOSTS,
        CA_HOSTS,
        |ca| CertPolicy::new(ca, CERT_NAMES, ChainRule::Required),
        &ctx.counters,
    )?;
    Ok(Sns {
        certs,
        topics,
        tolerance: settings.tolerance,
    })
}

struct Sns {
    certs: CertSource,
    /// `None`: any topic.
    topics: Option<Vec<String>>,
    tolerance: Duration,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(rename = "MessageId")]
    message_id: Option<String>,
    #[serde(rename = "TopicArn")]
    topic_arn: Option<String>,
    #[serde(rename = "Subject")]
    subject: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "Timestamp")]
    timestamp: Option<String>,
    #[serde(rename = "SignatureVersion")]
    signature_version: Option<String>,
    #[serde(rename = "Signature")]
    signature: Option<String>,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: Option<String>,
    #[serde(rename = "SubscribeURL")]
    subscribe_url: Option<String>,
    #[serde(rename = "Token")]
    token: Option<String>,
}

/// Only the certificate URL, for `prepare`.
#[derive(Deserialize)]
struct CertUrl {
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: Option<String>,
}

const SUBSCRIPTION_CONFIRMATION: &str = "SubscriptionConfirmation";

/// The string SNS signs (see the module docs). Missing required fields → `MalformedSignature`.
fn string_to_sign(m: &Message) -> Result<String, Rejection> {
    let kind = m.kind.as_deref().ok_or(Rejection::MalformedSignature)?;
    let fields: [(&str, Option<&String>, bool); 7] = match kind {
        "Notification" => [
            ("Message", m.message.as_ref(), true),
            ("MessageId", m.message_id.as_ref(), true),
            ("Subject", m.subject.as_ref(), false),
            ("Timestamp", m.timestamp.as_ref(), true),
            ("TopicArn", m.topic_arn.as_ref(), true),
            ("Type", m.kind.as_ref(), true),
            ("", None, false),
        ],
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => [
            ("Message", m.message.as_ref(), true),
            ("MessageId", m.message_id.as_ref(), true),
            ("SubscribeURL", m.subscribe_url.as_ref(), true),
            ("Timestamp", m.timestamp.as_ref(), true),
            ("Token", m.token.as_ref(), true),
            ("TopicArn", m.topic_arn.as_ref(), true),
            ("Type", m.kind.as_ref(), true),
        ],
        _ => return Err(Rejection::MalformedSignature),
    };
    let mut out = String::new();
    for (name, value, required) in fields {
        match value {
            Some(v) => {
                out.push_str(name);
                out.push('\n');
                out.push_str(v);
                out.push('\n');
            }
            None if required => return Err(Rejection::MalformedSignature),
            None => {}
        }
    }
    Ok(out)
}

impl Scheme for Sns {
    fn prepare(&self, req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        let url = serde_json::from_slice::<CertUrl>(req.body)
            .ok()?
            .signing_cert_url?;
        // A URL outside the allowlist: `verify` refuses it; no request is made.
        self.certs.prepare(&url)
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let m: Message =
            serde_json::from_slice(req.body).map_err(|_| Rejection::MalformedSignature)?;
        let signature = m.signature.as_deref().ok_or(Rejection::MissingSignature)?;
        let hash = match m.signature_version.as_deref() {
            Some("1") => RsaHash::Sha1,
            Some("2") => RsaHash::Sha256,
            _ => return Err(Rejection::MalformedSignature),
        };
        let url = m
            .signing_cert_url
            .as_deref()
            .ok_or(Rejection::MalformedSignature)?;
        if let Some(declared) = common::optional_header(req.headers, "x-amz-sns-message-type")? {
            if Some(declared) != m.kind.as_deref() {
                return Err(Rejection::MalformedSignature);
            }
        }
        let signed = string_to_sign(&m)?;
        let timestamp = m.timestamp.as_deref().unwrap_or_default();
        let signed_at = common::parse_rfc3339_millis(timestamp)?;
        common::check_unix_millis(signed_at, req.now, self.tolerance)?;
        let signature = common::decode_base64(signature).ok_or(Rejection::MalformedSignature)?;
        if let Some(topics) = &self.topics {
            let topic = m.topic_arn.as_deref().unwrap_or_default();
            if !topics.iter().any(|t| t == topic) {
                return Err(Rejection::BadSignature);
            }
        }
        let cert = self
            .certs
            .verified(url, millis(signed_at), req.now, &url_host(url))?;
        if cert.verify_rsa(hash, signed.as_bytes(), &signature) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "SNS messages are signed by AWS; hookgate cannot sign one".into(),
        ))
    }

    /// A verified `SubscriptionConfirmation` (the route set `answer_challenges = true`): the
    /// `SubscribeURL` is fetched in the background (counted as `confirmed` / `confirm_failed`)
    /// and SNS gets 200. A `SubscribeURL` outside the allowlist is not fetched: the message is
    /// forwarded instead.
    fn signed_challenge(&self, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        let m: Message = serde_json::from_slice(req.body).ok()?;
        if m.kind.as_deref() != Some(SUBSCRIPTION_CONFIRMATION) {
            return None;
        }
        let url = m.subscribe_url?;
        if !self.certs.allowed(&url) {
            return None;
        }
        let handle = tokio::runtime::Handle::try_current().ok()?;
        handle.spawn(self.certs.leaf_fetcher().confirm(url));
        Some(LocalResponse {
            status: 200,
            content_type: "application/json",
            headers: Vec::new(),
            body: br#"{"subscription":"confirming"}"#.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::key_fetch::testserver::{Answer, KeyServer};
    use crate::providers::families::testkit::{headers, secs};

    // AWS SDK for Java v2, services/sns/src/test/resources/software/amazon/awssdk/services/sns/
    // sample-message.json and unit-test-public-cert.pem (@30c3112c; used by
    // SnsSignatureCheckerTest): a real SignatureVersion 1 Notification signed by SNS on
    // 2015-09-20, and the certificate it was signed with (valid 2015-08-07 – 2016-08-21).
    const SDK_MESSAGE: &str = include_str!("testdata/sns_sample_message_v1.json");
    const SDK_CERT: &str = include_str!("testdata/sns_unit_test_public_cert.pem");
    const SDK_TIME: u64 = 1_442_712_134; // 2015-09-20T01:22:14Z
    const SDK_TOPIC: &str = "arn:aws:sns:us-east-1:810605503585:just_testing";
    const SDK_CERT_PATH: &str = "/SimpleNotificationService-bb750dd426d95ee9390147a5624348ee.pem";

    // SignatureVersion 2 (SHA256withRSA) messages signed with the OpenSSL CLI (`openssl dgst
    // -sha256 -sign`) over the canonical string, with a throw-away RSA-2048 key whose
    // self-signed certificate is sns_openssl_test_cert.pem (AWS publishes no v2 vector). AWS's
    // own validators accept both messages with that certificate and reject each with a changed
    // Message, TopicArn, Token or SignatureVersion "1": aws/aws-php-sns-message-validator 1.9.1
    // (@80850e8d, `MessageValidator::isValid`, certificate through its `certClient` hook;
    // scripts/provider-vectors/aws_sns.php) and npm sns-validator@0.3.5
    // (aws/aws-js-sns-message-validator, `MessageValidator.validate`;
    // scripts/provider-vectors/aws_sns.mjs).
    const V2_NOTIFICATION: &str = include_str!("testdata/sns_openssl_v2_notification.json");
    const V2_CONFIRMATION: &str =
        include_str!("testdata/sns_openssl_v2_subscription_confirmation.json");
    const V2_CERT: &str = include_str!("testdata/sns_openssl_test_cert.pem");
    const V2_TIME: u64 = 1_798_761_600; // 2027-01-01T00:00:00Z
    const V2_CERT_PATH: &str = "/SimpleNotificationService-test.pem";

    /// `message` with its `SigningCertURL` (and `SubscribeURL`) moved to the local key server:
    /// neither is part of the signed string for a Notification.
    fn relocate(message: &str, server: &KeyServer, cert_path: &str) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_str(message).unwrap();
        v["SigningCertURL"] = server.url(cert_path).into();
        serde_json::to_vec(&v).unwrap()
    }

    /// The route's scheme, except that the SDK's 2015 leaf is taken without its issuer (its
    /// AIA names Symantec's retired `ss.symcb.com`; the chain through a fetched issuer is tested
    /// end to end in tests/providers_key_fetch_e2e.rs).
    fn scheme(server: &KeyServer, topics: &[&str], tolerance: Duration) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            topic_arns: Some(topics.iter().map(|t| t.to_string()).collect()),
            ..server.options()
        };
        let settings = SchemeSettings {
            secrets: &[],
            tolerance,
            signature: None,
        };
        let mut sns = build_sns(&settings, &options, &KeyFetchContext::default()).unwrap();
        let published = sns.certs.policy().clone().with_rule(ChainRule::WhenServed);
        sns.certs.set_policy(published);
        Box::new(sns)
    }

    /// The scheme with a certificate policy that takes the OpenSSL vectors' self-signed
    /// certificate (named sns.test-region-1.amazonaws.test) as a leaf.
    fn vector_scheme(server: &KeyServer, topics: &[&str], tolerance: Duration) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            topic_arns: Some(topics.iter().map(|t| t.to_string()).collect()),
            ..server.options()
        };
        let settings = SchemeSettings {
            secrets: &[],
            tolerance,
            signature: None,
        };
        let mut sns = build_sns(&settings, &options, &KeyFetchContext::default()).unwrap();
        sns.certs.set_policy(CertPolicy::for_test_vectors(&[
            "sns.test-region-1.amazonaws.test",
        ]));
        Box::new(sns)
    }

    async fn check(scheme: &dyn Scheme, body: &[u8], now: u64) -> Result<(), Rejection> {
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/sns",
            headers: &map,
            body,
            now: secs(now),
        };
        if let Some(prepare) = scheme.prepare(&req) {
            prepare.await?;
        }
        scheme.verify(&req)
    }

    fn tamper(body: &[u8], field: &str, value: &str) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_slice(body).unwrap();
        v[field] = value.into();
        serde_json::to_vec(&v).unwrap()
    }

    #[tokio::test]
    async fn aws_sdk_v1_vector_through_the_local_key_server() {
        let server = KeyServer::start();
        server.set(SDK_CERT_PATH, Answer::ok(SDK_CERT));
        let s = scheme(&server, &[SDK_TOPIC], Duration::from_secs(3600));
        let body = relocate(SDK_MESSAGE, &server, SDK_CERT_PATH);
        assert_eq!(check(&*s, &body, SDK_TIME + 100).await, Ok(()));
        assert_eq!(
            check(&*s, &tamper(&body, "Message", "boo!"), SDK_TIME + 100).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, &tamper(&body, "Subject", "other"), SDK_TIME + 100).await,
            Err(Rejection::BadSignature)
        );
        let mut unsigned: serde_json::Value = serde_json::from_slice(&body).unwrap();
        unsigned.as_object_mut().unwrap().remove("Signature");
        assert_eq!(
            check(&*s, &serde_json::to_vec(&unsigned).unwrap(), SDK_TIME + 100).await,
            Err(Rejection::MissingSignature)
        );
        // Stale and future timestamps.
        assert_eq!(
            check(&*s, &body, SDK_TIME + 3601).await,
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check(&*s, &body, SDK_TIME - 3601).await,
            Err(Rejection::StaleTimestamp)
        );
        // One fetch for all of the above: the certificate is cached by URL.
        assert_eq!(server.hits(SDK_CERT_PATH), 1);
    }

    #[tokio::test]
    async fn an_expired_certificate_and_an_unlisted_topic_are_refused() {
        let server = KeyServer::start();
        server.set(SDK_CERT_PATH, Answer::ok(SDK_CERT));
        let body = relocate(SDK_MESSAGE, &server, SDK_CERT_PATH);
        // Two years on (tolerance widened so only the certificate's validity decides).
        let lenient = scheme(&server, &[SDK_TOPIC], Duration::from_secs(10 * 365 * 86400));
        assert_eq!(
            check(&*lenient, &body, SDK_TIME + 2 * 365 * 86400).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(check(&*lenient, &body, SDK_TIME).await, Ok(()));
        let other_topic = scheme(
            &server,
            &["arn:aws:sns:us-east-1:1:other"],
            Duration::from_secs(3600),
        );
        assert_eq!(
            check(&*other_topic, &body, SDK_TIME).await,
            Err(Rejection::BadSignature)
        );
        let any_topic = scheme(&server, &["*"], Duration::from_secs(3600));
        assert_eq!(check(&*any_topic, &body, SDK_TIME).await, Ok(()));
    }

    #[tokio::test]
    async fn signature_version_2_notification_and_confirmation() {
        let server = KeyServer::start();
        server.set(V2_CERT_PATH, Answer::ok(V2_CERT));
        // Issue 20 fault 2: the vectors' certificate is a self-signed CA named
        // sns.test-region-1.amazonaws.test — what AWS's PHP and JS validators (which check no
        // chain or name) accept, and what the preset's certificate rules refuse.
        let strict = scheme(
            &server,
            &["arn:aws:sns:us-east-1:123456789012:orders"],
            Duration::from_secs(3600),
        );
        let body = relocate(V2_NOTIFICATION, &server, V2_CERT_PATH);
        assert_eq!(
            check(&*strict, &body, V2_TIME).await,
            Err(Rejection::BadSignature)
        );
        // The signature scheme itself, with the vectors' certificate taken as a leaf.
        let s = vector_scheme(
            &server,
            &["arn:aws:sns:us-east-1:123456789012:orders"],
            Duration::from_secs(3600),
        );
        let body = relocate(V2_NOTIFICATION, &server, V2_CERT_PATH);
        assert_eq!(check(&*s, &body, V2_TIME).await, Ok(()));
        assert_eq!(
            check(&*s, &tamper(&body, "Message", "{}"), V2_TIME).await,
            Err(Rejection::BadSignature)
        );
        // A v2 signature presented as v1 does not verify.
        assert_eq!(
            check(&*s, &tamper(&body, "SignatureVersion", "1"), V2_TIME).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, &tamper(&body, "SignatureVersion", "3"), V2_TIME).await,
            Err(Rejection::MalformedSignature)
        );
        let confirmation = relocate(V2_CONFIRMATION, &server, V2_CERT_PATH);
        assert_eq!(check(&*s, &confirmation, V2_TIME).await, Ok(()));
        assert_eq!(
            check(&*s, &tamper(&confirmation, "Token", "0"), V2_TIME).await,
            Err(Rejection::BadSignature)
        );
    }

    #[tokio::test]
    async fn a_certificate_url_outside_the_allowlist_is_never_fetched() {
        let server = KeyServer::start();
        server.set(SDK_CERT_PATH, Answer::ok(SDK_CERT));
        // The documented allowlist (sns.<region>.amazonaws.com) with the local CA: the local
        // server is not on it.
        let options = ProviderOptions {
            topic_arns: Some(vec!["*".into()]),
            key_hosts: None,
            ..server.options()
        };
        let ctx = KeyFetchContext::default();
        let s = build_with_options(
            &SchemeSettings {
                secrets: &[],
                tolerance: Duration::from_secs(3600),
                signature: None,
            },
            &options,
            &ctx,
        )
        .unwrap();
        let body = relocate(SDK_MESSAGE, &server, SDK_CERT_PATH);
        assert_eq!(
            check(&*s, &body, SDK_TIME).await,
            Err(Rejection::BadSignature)
        );
        let http = tamper(
            &body,
            "SigningCertURL",
            "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        );
        assert_eq!(
            check(&*s, &http, SDK_TIME).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(server.received().len(), 0, "no request may be made");
    }

    #[tokio::test]
    async fn answering_a_subscription_confirmation_gets_the_subscribe_url() {
        let server = KeyServer::start();
        server.set(V2_CERT_PATH, Answer::ok(V2_CERT));
        server.set("/confirm", Answer::ok("<ConfirmSubscriptionResponse/>"));
        let ctx = KeyFetchContext::default();
        let options = ProviderOptions {
            topic_arns: Some(vec!["*".into()]),
            ..server.options()
        };
        let mut sns = build_sns(
            &SchemeSettings {
                secrets: &[],
                tolerance: Duration::from_secs(3600),
                signature: None,
            },
            &options,
            &ctx,
        )
        .unwrap();
        sns.certs.set_policy(CertPolicy::for_test_vectors(&[
            "sns.test-region-1.amazonaws.test",
        ]));
        let s: Box<dyn Scheme> = Box::new(sns);
        // SubscribeURL is signed: moving it to the local server needs a re-signed message, so
        // the confirmation is exercised on the OpenSSL-signed message with its signed URL
        // unchanged (it is outside the local allowlist → not fetched, forwarded instead) and
        // then on the same message with the URL moved (signed_challenge runs only after verify).
        let confirmation = relocate(V2_CONFIRMATION, &server, V2_CERT_PATH);
        assert_eq!(check(&*s, &confirmation, V2_TIME).await, Ok(()));
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/sns",
            headers: &map,
            body: &confirmation,
            now: secs(V2_TIME),
        };
        assert_eq!(s.signed_challenge(&req), None);
        let moved = tamper(
            &confirmation,
            "SubscribeURL",
            &server.url("/confirm?Token=1"),
        );
        let answer = s
            .signed_challenge(&WebhookRequest {
                body: &moved,
                ..req
            })
            .expect("answered by the gateway");
        assert_eq!(answer.status, 200);
        for _ in 0..200 {
            if server.hits("/confirm") == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(server.hits("/confirm"), 1);
        for _ in 0..200 {
            if ctx.counters.get("aws-sns", "confirmed") == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(ctx.counters.get("aws-sns", "confirmed"), 1);
        // A Notification is not a challenge.
        let notification = relocate(V2_NOTIFICATION, &server, V2_CERT_PATH);
        assert_eq!(
            s.signed_challenge(&WebhookRequest {
                body: &notification,
                ..req
            }),
            None
        );
    }

    #[test]
    fn configuration_errors_name_the_key() {
        let settings = SchemeSettings {
            secrets: &[],
            tolerance: Duration::from_secs(3600),
            signature: None,
        };
        let ctx = KeyFetchContext::default();
        let err = build_with_options(&settings, &ProviderOptions::default(), &ctx)
            .err()
            .unwrap();
        assert_eq!(err.key, "provider_options.topic_arns");
        let err = build_with_options(
            &settings,
            &ProviderOptions {
                topic_arns: Some(vec!["*".into()]),
                audience: Some("x".into()),
                ..Default::default()
            },
            &ctx,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "provider_options.audience");
        let err = build_with_options(
            &settings,
            &ProviderOptions {
                topic_arns: Some(vec!["*".into()]),
                key_hosts: Some(vec!["bad host".into()]),
                ..Default::default()
            },
            &ctx,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "provider_options.key_hosts");
    }
}
