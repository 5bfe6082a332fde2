//! PayPal webhooks: `PAYPAL-TRANSMISSION-SIG` is a base64 SHA256withRSA signature
//! (`PAYPAL-AUTH-ALGO: SHA256withRSA`) of `"{PAYPAL-TRANSMISSION-ID}|{PAYPAL-TRANSMISSION-TIME}|
//! {webhook_id}|{CRC32 of the raw body, unsigned decimal}"`, by the certificate at
//! `PAYPAL-CERT-URL`, fetched only from PayPal's API hosts and valid at the request's time.
//! `provider_options.webhook_id` is the webhook's ID from the PayPal dashboard.
//! `PAYPAL-TRANSMISSION-TIME` (RFC 3339) must be within `tolerance`.
//! Source: developer.paypal.com/api/rest/webhooks (verify-webhook-signature fields);
//! paypal/PayPal-Java-SDK `rest-api-sdk/src/main/java/com/paypal/base/SSLUtil.java`
//! (`crc32`, expected-signature string) and `ValidateCertTest.java`.

use std::time::Duration;

use crate::providers::families::common;
use crate::providers::families::key_fetch::certs::{millis, CertPolicy, ChainRule, RsaHash};
use crate::providers::families::key_fetch::signing_certs::CertSource;
use crate::providers::families::key_fetch::{KeyFetchContext, ProviderOptions};
use crate::providers::{
    Prepare, Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "paypal",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/id"),
    event_type: Some("json:/event_type"),
    summary: "PAYPAL-TRANSMISSION-SIG: SHA256withRSA of \"id|time|webhook_id|crc32(body)\"; cert from PAYPAL-CERT-URL on PayPal's API hosts",
    build,
    family: "x509-fetched",
    headers: &["paypal-transmission-sig", "paypal-transmission-id", "paypal-transmission-time", "paypal-cert-url", "paypal-auth-algo"],
    reference: "developer.paypal.com/api/rest/webhooks/rest (verify with the certificate); PayPal Java SDK ValidateCertTest",
    ..Preset::DEFAULTS
};

const SIG: &str = "paypal-transmission-sig";
const ID: &str = "paypal-transmission-id";
const TIME: &str = "paypal-transmission-time";
const CERT_URL: &str = "paypal-cert-url";
const ALGO: &str = "paypal-auth-algo";

/// PayPal's API hosts, which serve the signing certificates (`/v1/notifications/certs/…`).
/// The signing certificate's name: PayPal-Java-SDK `SSLUtil.validateCertificateChain` requires
/// a CN `messageverificationcerts…paypal.com` (these two, live and sandbox).
const CERT_NAMES: &[&str] = &[
    "messageverificationcerts.paypal.com",
    "messageverificationcerts.sandbox.paypal.com",
];
const HOSTS: &[&str] = &[
    "api.paypal.com",
    "api-m.paypal.com",
    "api.sandbox.paypal.com",
    "api-m.sandbox.paypal.com",
];

/// The CA hosts a lone leaf's issuer (AIA `caIssuers`) may come from: DigiCert, PayPal's CA
/// (`http://cacerts.digicert.com/DigiCertSHA2ExtendedValidationServerCA.crt` is the issuer
/// PayPal-Java-SDK and PayPal-NET-SDK bundle as their trust anchor).
const CA_HOSTS: &[&str] = &["cacerts.digicert.com"];

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    crate::providers::families::key_fetch::options::build_without_options(
        build_with_options,
        settings,
    )
}

/// The constructor with the route's `provider_options` (`webhook_id`; `key_hosts`,
/// `issuer_hosts`, `key_ca`, `key_timeout`).
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    Ok(Box::new(build_paypal(settings, options, ctx)?))
}

fn build_paypal(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<PayPal, SettingsError> {
    options.only_with_fetch(PRESET.name, &["webhook_id", "issuer_hosts"])?;
    common::refuse_secrets(
        settings.secrets,
        PRESET.name,
        "set provider_options.webhook_id; the certificate is fetched",
    )?;
    common::preset_header(settings, "", false)?;
    let webhook_id = ProviderOptions::required(&options.webhook_id, "webhook_id")?.to_string();
    let certs = CertSource::new(
        PRESET.name,
        options,
        HOSTS,
        CA_HOSTS,
        |ca| CertPolicy::new(ca, CERT_NAMES, ChainRule::Required),
        &ctx.counters,
    )?;
    Ok(PayPal {
        certs,
        webhook_id,
        tolerance: settings.tolerance,
    })
}

struct PayPal {
    certs: CertSource,
    webhook_id: String,
    tolerance: Duration,
}

/// The signed string.
fn signed_string(id: &str, time: &str, webhook_id: &str, body: &[u8]) -> String {
    format!("{id}|{time}|{webhook_id}|{}", crc32fast::hash(body))
}

impl Scheme for PayPal {
    fn prepare(&self, req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        let url = common::single_header(req.headers, CERT_URL).ok()?;
        self.certs.prepare(url)
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let signature = common::single_header(req.headers, SIG)?;
        let id = common::single_header(req.headers, ID)?;
        let time = common::single_header(req.headers, TIME)?;
        let url = common::single_header(req.headers, CERT_URL)?;
        let algorithm = common::single_header(req.headers, ALGO)?;
        if !algorithm.eq_ignore_ascii_case("SHA256withRSA") {
            return Err(Rejection::MalformedSignature);
        }
        let signed_at = common::parse_rfc3339_millis(time)?;
        common::check_unix_millis(signed_at, req.now, self.tolerance)?;
        let signature = common::decode_base64(signature).ok_or(Rejection::MalformedSignature)?;
        let cert = self.certs.verified(url, millis(signed_at), req.now, "")?;
        let signed = signed_string(id, time, &self.webhook_id, req.body);
        if cert.verify_rsa(RsaHash::Sha256, signed.as_bytes(), &signature) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "PayPal webhooks are signed by PayPal; hookgate cannot sign one".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::key_fetch::testserver::{Answer, KeyServer};
    use crate::providers::families::testkit::{headers, secs};

    // paypal/PayPal-Java-SDK rest-api-sdk/src/test/java/com/paypal/base/ValidateCertTest.java and
    // src/test/resources/clientCertTest.crt @ccaa336b: a real sandbox delivery of 2019-08-29,
    // webhook ID 0FV983392A0531201, and the certificate it was signed with (valid
    // 2019-04-02 – 2021-05-24). The body is the test's requestBody with Java escapes undone.
    const BODY: &[u8] = include_bytes!("testdata/paypal_sdk_event.json");
    const CERT: &str = include_str!("testdata/paypal_sdk_client_cert_test.crt");
    const WEBHOOK_ID: &str = "0FV983392A0531201";
    const SIGNATURE: &str = "K7DF5+hOyGS6v0xTZ9PkEO+BFNQmpryxw2hFlXbHgmxpu+883ldEC9HcL6ccEmB8sfy80y/Q3qcZZL1MR8Qi0e1ysylVj/yROgKK6zBsQPoNmgXC8yTiNoAjULuhk5Aoau0Itk3nrkgAfji1zvADlErMFM9VZe2nDvhM3nDMLjCi/K5fRjWp3eGo6Nx17GX/WIEibeKDyS+YdJMex3i+KO4aWmm9zznC/FJ5Y/ntd0MxOJNrM0r0f3y7c3e3sO5pB3oPgN6KzKVS5P6AWHqtS8acD3DjgCKZ1uqKz7q954G1aBz2/m0wRGOFFsv0/D3FE2uIheRRmoQtVSOAX7Aupg==";
    const SENT_AT: u64 = 1_567_075_773; // 2019-08-29T10:49:33Z
    const CERT_PATH: &str = "/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270";

    /// The route's scheme, except that the SDK's leaf is taken without its issuer: it names
    /// `cacerts.digicert.com` in its AIA, which a unit test cannot reach (the chain through a
    /// fetched issuer is tested end to end in tests/providers_key_fetch_e2e.rs).
    fn scheme(server: &KeyServer, webhook_id: &str, ctx: &KeyFetchContext) -> Box<dyn Scheme> {
        scheme_within(server, webhook_id, ctx, Duration::from_secs(300))
    }

    fn scheme_within(
        server: &KeyServer,
        webhook_id: &str,
        ctx: &KeyFetchContext,
        tolerance: Duration,
    ) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            webhook_id: Some(webhook_id.into()),
            ..server.options()
        };
        let settings = SchemeSettings {
            secrets: &[],
            tolerance,
            signature: None,
        };
        let mut paypal = build_paypal(&settings, &options, ctx).unwrap();
        let published = paypal
            .certs
            .policy()
            .clone()
            .with_rule(ChainRule::WhenServed);
        paypal.certs.set_policy(published);
        Box::new(paypal)
    }

    async fn check(
        s: &dyn Scheme,
        cert_url: &str,
        body: &[u8],
        now: u64,
        drop: Option<&str>,
    ) -> Result<(), Rejection> {
        let mut map = headers(&[
            (CERT_URL, cert_url),
            (ID, "afa30d40-ca4a-11e9-ab68-7d4e2605c70c"),
            (TIME, "2019-08-29T10:49:33Z"),
            (ALGO, "SHA256withRSA"),
            (SIG, SIGNATURE),
        ]);
        if let Some(name) = drop {
            map.remove(name);
        }
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/paypal",
            headers: &map,
            body,
            now: secs(now),
        };
        if let Some(p) = s.prepare(&req) {
            p.await?;
        }
        s.verify(&req)
    }

    #[test]
    fn the_signed_string_uses_the_unsigned_decimal_crc32() {
        assert_eq!(
            signed_string("afa30d40-ca4a-11e9-ab68-7d4e2605c70c", "2019-08-29T10:49:33Z", WEBHOOK_ID, BODY),
            "afa30d40-ca4a-11e9-ab68-7d4e2605c70c|2019-08-29T10:49:33Z|0FV983392A0531201|3674300368"
        );
    }

    #[tokio::test]
    async fn paypal_java_sdk_vector_through_the_local_key_server() {
        let server = KeyServer::start();
        server.set(CERT_PATH, Answer::ok(CERT));
        let ctx = KeyFetchContext::default();
        let s = scheme(&server, WEBHOOK_ID, &ctx);
        let url = server.url(CERT_PATH);
        assert_eq!(check(&*s, &url, BODY, SENT_AT + 10, None).await, Ok(()));
        let mut tampered = BODY.to_vec();
        tampered.push(b' ');
        assert_eq!(
            check(&*s, &url, &tampered, SENT_AT + 10, None).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, &url, BODY, SENT_AT + 10, Some(SIG)).await,
            Err(Rejection::MissingSignature)
        );
        assert_eq!(
            check(&*s, &url, BODY, SENT_AT + 301, None).await,
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check(&*s, &url, BODY, SENT_AT - 301, None).await,
            Err(Rejection::StaleTimestamp)
        );
        // The SDK's testInvalidWebhookId: another webhook's ID does not verify.
        let other = scheme(&server, "NotToBeFound", &ctx);
        assert_eq!(
            check(&*other, &url, BODY, SENT_AT + 10, None).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(server.hits(CERT_PATH), 2, "one fetch per route cache");
        assert_eq!(ctx.counters.get("paypal", "fetched"), 2);
    }

    #[tokio::test]
    async fn unknown_certificate_and_unlisted_host() {
        let server = KeyServer::start();
        let ctx = KeyFetchContext::default();
        let s = scheme(&server, WEBHOOK_ID, &ctx);
        // The key server does not know this certificate: 404 → 401, remembered (no refetch).
        let url = server.url("/v1/notifications/certs/CERT-unknown");
        for _ in 0..3 {
            assert_eq!(
                check(&*s, &url, BODY, SENT_AT, None).await,
                Err(Rejection::BadSignature)
            );
        }
        assert_eq!(server.hits("/v1/notifications/certs/CERT-unknown"), 1);
        assert_eq!(ctx.counters.get("paypal", "http_error"), 1);
        // A certificate URL elsewhere than the allowed hosts: refused, nothing requested.
        let before = server.received().len();
        let elsewhere = format!("https://localhost:{}{CERT_PATH}", server.port);
        assert_eq!(
            check(&*s, &elsewhere, BODY, SENT_AT, None).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(server.received().len(), before);
    }

    #[tokio::test]
    async fn an_expired_certificate_is_refused() {
        let server = KeyServer::start();
        server.set(CERT_PATH, Answer::ok(CERT));
        let ctx = KeyFetchContext::default();
        let wide = Duration::from_secs(10 * 365 * 86400);
        let s = scheme_within(&server, WEBHOOK_ID, &ctx, wide);
        let url = server.url(CERT_PATH);
        // 2022: the delivery is within this route's (wide) tolerance, the certificate is not valid.
        assert_eq!(
            check(&*s, &url, BODY, 1_650_000_000, None).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(check(&*s, &url, BODY, SENT_AT, None).await, Ok(()));
    }
}
