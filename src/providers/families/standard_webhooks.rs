//! Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64>[ v1,<b64>…]`,
//! HMAC-SHA256 over `"{id}.{timestamp}.{raw body}"`, keyed with the base64-decoded secret (after
//! `whsec_`); any `v1` may match, other versions are ignored; 5 minutes both ways.
//! [`StandardWebhooks`] is shared with Svix (`svix-*` headers).
//! Source: standard-webhooks/standard-webhooks `spec/standard-webhooks.md` and `libraries/*`.

use std::time::Duration;

use super::common::{self, Algorithm};
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "standard-webhooks",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("header:webhook-id"),
    event_type: Some("json:/type"),
    summary:
        "webhook-signature: v1,<base64> HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{body}\"",
    family: "standard-webhooks",
    headers: &["webhook-signature", "webhook-id", "webhook-timestamp"],
    reference: "standard-webhooks spec and libraries (too old / too new: 300 s each way; webhook-id kept on retries)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    StandardWebhooks::boxed(settings, &PRESET, &["webhook"])
}

pub struct StandardWebhooks {
    /// Header-name prefixes, in order of preference (`svix`, then `webhook`).
    pub prefixes: &'static [&'static str],
    pub window: common::Window,
    /// The decoded HMAC keys.
    pub keys: Vec<Secret>,
}

impl StandardWebhooks {
    /// The scheme for a route of `preset` (whose window it uses), reading `{prefix}-id`,
    /// `{prefix}-timestamp` and `{prefix}-signature` for the first prefix whose signature header
    /// is present.
    pub fn boxed(
        settings: &SchemeSettings<'_>,
        preset: &Preset,
        prefixes: &'static [&'static str],
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::require_secrets(settings.secrets)?;
        common::preset_header(settings, "", false)?;
        Ok(Box::new(StandardWebhooks {
            prefixes,
            window: preset.window(settings.tolerance),
            keys: decode_keys(settings.secrets)?,
        }))
    }
}

/// `whsec_<base64>` (or bare base64) → the key bytes.
pub fn decode_keys(secrets: &[Secret]) -> Result<Vec<Secret>, SettingsError> {
    secrets
        .iter()
        .enumerate()
        .map(|(i, secret)| {
            let text = secret.as_str().unwrap_or_default().trim();
            let encoded = text.strip_prefix("whsec_").unwrap_or(text);
            common::decode_base64(encoded)
                .filter(|k| !k.is_empty())
                .map(|k| Secret::from_bytes(&k))
                .ok_or_else(|| {
                    SettingsError::new(
                        "secrets",
                        format!("secret #{} is not a `whsec_<base64>` signing secret", i + 1),
                    )
                })
        })
        .collect()
}

impl Scheme for StandardWebhooks {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let prefix = self
            .prefixes
            .iter()
            .find(|p| req.headers.contains_key(format!("{p}-signature").as_str()))
            .ok_or(Rejection::MissingSignature)?;
        let signature = common::single_header(req.headers, &format!("{prefix}-signature"))?;
        let id = common::single_header(req.headers, &format!("{prefix}-id"))?;
        let timestamp = common::single_header(req.headers, &format!("{prefix}-timestamp"))?;
        self.window
            .check_seconds(common::parse_unix(timestamp)?, req.now)?;
        let candidates = common::versioned_signatures(signature, "v1")?;
        let parts = [id.as_bytes(), b".", timestamp.as_bytes(), b".", req.body];
        common::verify_hmac(Algorithm::Sha256, &self.keys, &parts, &candidates)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let key = common::first_secret(&self.keys)?;
        let prefix = self.prefixes.first().copied().unwrap_or("webhook");
        let id_header = format!("{prefix}-id");
        let id = common::header_or(req.headers, &id_header, || {
            format!("msg_hookgate{:x}", req.now.as_nanos())
        });
        // A timestamp the caller gives (`hookgate sign -H`) is the one signed, as the id is.
        let timestamp_header = format!("{prefix}-timestamp");
        let timestamp = common::TimestampFormat::UnixSeconds.given_or_now(
            req.headers,
            &timestamp_header,
            req.now,
        )?;
        let mac = common::hmac_parts(
            Algorithm::Sha256,
            key.bytes(),
            &[id.as_bytes(), b".", timestamp.as_bytes(), b".", req.body],
        );
        Ok(vec![
            (
                format!("{prefix}-signature"),
                format!("v1,{}", common::Encoding::Base64.encode(&mac)),
            ),
            (id_header, id),
            (timestamp_header, timestamp),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const BODY: &[u8] = b"{\"test\": 2432232314}";
    const AT: u64 = 1_614_265_330;

    fn vector(signature: &'static str) -> Vector<'static> {
        Vector {
            now: secs(AT),
            wrong_secrets: &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
            signature_header: "webhook-signature",
            ..Vector::new(
                &PRESET,
                &[SECRET],
                match signature {
                    "good" => &[
                        ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
                        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                        ("webhook-timestamp", "1614265330"),
                    ],
                    "bad" => &[
                        ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
                        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                        ("webhook-timestamp", "1614265330"),
                    ],
                    "multi" => &[
                        ("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="),
                        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                        ("webhook-timestamp", "1614265330"),
                    ],
                    _ => &[
                        ("webhook-signature", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
                        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                        ("webhook-timestamp", "1614265330"),
                    ],
                },
                BODY,
            )
        }
    }

    // vectors.json stdwebhooks-01..05: standard-webhooks libraries/python/tests/test_webhooks.py
    // @b2fa7b87 (test_sign_function; same vector in the go/java/csharp/php/js/ruby tests),
    // test_invalid_signature_raises_error, test_multi_sig_payload_is_valid, java
    // TestScenario.withWrongVersion, test_old_timestamp_fails.
    #[test]
    fn standard_webhooks_library_vectors() {
        let v = vector("good");
        v.assert_all();
        assert_eq!(vector("bad").verify(), Err(Rejection::BadSignature));
        assert_eq!(vector("multi").verify(), Ok(()));
        assert_eq!(vector("v2").verify(), Err(Rejection::MalformedSignature));
        assert_eq!(
            v.verify_at(secs(1_614_265_631)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(v.verify_at(secs(AT - 301)), Err(Rejection::StaleTimestamp));
    }

    // vectors.json stdwebhooks-06-rust / -07-rust-bad: libraries/rust/src/lib.rs @b2fa7b87
    // (test_sign / test_no_verify), identical in svix-webhooks rust/src/webhooks.rs. The secret
    // contains '+'.
    #[test]
    fn rust_library_vectors() {
        let headers = |sig: &'static str| -> [(&'static str, &'static str); 3] {
            [
                ("webhook-signature", sig),
                ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
                ("webhook-timestamp", "1649367553"),
            ]
        };
        let good = headers("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
        let bad = headers("v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=");
        let body = b"{\"email\":\"test@example.com\",\"username\":\"test_user\"}";
        let v = Vector {
            now: secs(1_649_367_553),
            ..Vector::new(
                &PRESET,
                &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
                &good,
                body,
            )
        };
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            Vector { headers: &bad, ..v }.verify(),
            Err(Rejection::BadSignature)
        );
    }

    // vectors.json svix-large-262143/-262144/-1048576: svix-webhooks
    // csharp/Svix.Tests/WebhookTest.cs @4fc0cfb8 (VerifyWebhookSignWithLargePayloadWorks): body is
    // "a" repeated n times.
    #[test]
    fn large_payload_vectors() {
        for (n, sig) in [
            (262_143, "v1,NTItnqyWMoFhk2Bbe5V/BMdcFRWgcSQaTgqLHX7FC7c="),
            (262_144, "v1,Mw4Pe2WgApuT7NSqnSq0PQPV9gbLdggCl9B865x5Xh0="),
            (1_048_576, "v1,txpEUxqWZJ5nteTnymUVa+7C4NHpBeXJ6CsBAW0c3/A="),
        ] {
            let body = vec![b'a'; n];
            let headers = [
                ("webhook-signature", sig),
                ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                ("webhook-timestamp", "1614265330"),
            ];
            let v = Vector {
                now: secs(AT),
                ..Vector::new(&PRESET, &[SECRET], &headers, &body)
            };
            assert_eq!(v.verify(), Ok(()), "{n} bytes");
        }
    }

    #[test]
    fn a_secret_that_is_not_base64_is_a_settings_error() {
        let secrets = [Secret::literal("whsec_not base64!")];
        let err = match build(&SchemeSettings {
            secrets: &secrets,
            tolerance: secs(300),
            signature: None,
        }) {
            Err(e) => e,
            Ok(_) => panic!("accepted"),
        };
        assert_eq!(err.key, "secrets");
        assert!(!err.message.contains("not base64!"));
    }
}
