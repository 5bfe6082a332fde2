//! SendGrid Event Webhook: `X-Twilio-Email-Event-Webhook-Signature: <base64 DER ECDSA P-256 /
//! SHA-256 signature of timestamp + raw body>` with `X-Twilio-Email-Event-Webhook-Timestamp`;
//! `secrets` hold the verification key from Mail Settings (base64 DER SubjectPublicKeyInfo).
//! SendGrid's SDK checks no timestamp window, so none is applied unless the route sets
//! `tolerance` (a zero tolerance means "not checked").
//! Source: sendgrid/sendgrid-nodejs `packages/eventwebhook/src/eventwebhook.js` and its spec.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};

use crate::providers::families::common::{self, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "sendgrid",
    // Timestamped, but no window by default: the SDK checks none (zero = not checked).
    default_tolerance: Some(std::time::Duration::ZERO),
    event_id: None,
    event_type: None,
    summary: "X-Twilio-Email-Event-Webhook-Signature: <base64 DER> ECDSA P-256 of timestamp + body; secrets are public keys",
    family: "ecdsa",
    headers: &["X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"],
    reference: "sendgrid-nodejs eventwebhook (checks no window)",
    build,
    ..Preset::DEFAULTS
};

const SIGNATURE: &str = "X-Twilio-Email-Event-Webhook-Signature";
const TIMESTAMP: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

struct SendGrid {
    keys: Vec<VerifyingKey>,
    window: common::Window,
}

fn message(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    message
}

impl Scheme for SendGrid {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, SIGNATURE)?;
        let timestamp = common::single_header(req.headers, TIMESTAMP)?;
        // The default (zero) tolerance is Window::OFF: the timestamp is signed, not aged.
        self.window
            .check_seconds(common::parse_unix(timestamp)?, req.now)?;
        let der = Encoding::Base64
            .decode(value)
            .ok_or(Rejection::MalformedSignature)?;
        let signature = Signature::from_der(&der).map_err(|_| Rejection::MalformedSignature)?;
        let message = message(timestamp, req.body);
        if self
            .keys
            .iter()
            .any(|k| k.verify(&message, &signature).is_ok())
        {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "ECDSA signing needs SendGrid's private key; hookgate holds only the public key".into(),
        ))
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    let keys = settings
        .secrets
        .iter()
        .enumerate()
        .map(|(i, secret)| {
            common::decode_base64(secret.as_str().unwrap_or_default().trim())
                .and_then(|der| VerifyingKey::from_public_key_der(&der).ok())
                .ok_or_else(|| {
                    SettingsError::new(
                        "secrets",
                        format!("secret #{} is not a base64 DER P-256 public key", i + 1),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Box::new(SendGrid {
        keys,
        window: PRESET.window(settings.tolerance),
    }))
}

/// The headers of a request signed with the P-256 private scalar `private_key` at `req.now`;
/// configure `public_key_base64(private_key)` as the route secret. For tests and tooling.
pub fn sign_with_private_key(
    private_key: &[u8; 32],
    req: &WebhookRequest<'_>,
) -> Vec<(String, String)> {
    // Justified: a signing helper for tests and tooling, never on the request path; the caller
    // supplies a fixed valid scalar.
    #[allow(clippy::expect_used)]
    let key = SigningKey::from_slice(private_key).expect("a valid P-256 scalar");
    let timestamp = req.now.as_secs().to_string();
    let signature: Signature = key.sign(&message(&timestamp, req.body));
    vec![
        (
            SIGNATURE.to_string(),
            Encoding::Base64.encode(signature.to_der().as_bytes()),
        ),
        (TIMESTAMP.to_string(), timestamp),
    ]
}

/// The public key of `private_key` as SendGrid shows it: base64 DER SubjectPublicKeyInfo.
#[allow(clippy::expect_used)] // Justified: tests and tooling only, as `sign_with_private_key`.
pub fn public_key_base64(private_key: &[u8; 32]) -> String {
    let key = SigningKey::from_slice(private_key).expect("a valid P-256 scalar");
    let der = key
        .verifying_key()
        .to_public_key_der()
        .expect("encodable key");
    Encoding::Base64.encode(der.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, scheme, secs, str_pairs, Vector};

    // vectors.json sendgrid-01/-02-bad-sig/-03-bad-key: sendgrid-nodejs
    // packages/eventwebhook/src/eventwebhook.spec.js @31bf6a02.
    const KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    const OTHER_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
    const BODY: &[u8] = b"{\"category\":\"example_payload\",\"event\":\"test_event\",\"message_id\":\"message_id\"}";

    fn vector(signature: &'static str) -> Vector<'static> {
        let headers: &'static [(&str, &str)] = if signature.ends_with("2j/0=") {
            &[
                (SIGNATURE, "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="),
                (TIMESTAMP, "1588788367"),
            ]
        } else {
            &[
                (SIGNATURE, "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0="),
                (TIMESTAMP, "1588788367"),
            ]
        };
        Vector {
            now: secs(1_588_788_367),
            wrong_secrets: &[OTHER_KEY],
            ..Vector::new(&PRESET, &[KEY], headers, BODY)
        }
    }

    #[test]
    fn sendgrid_nodejs_vectors() {
        let v = vector("2j/0=");
        v.assert_vector_cases();
        assert!(vector("3j/0=").verify().is_err());
    }

    #[test]
    fn a_route_tolerance_turns_on_the_window() {
        let v = vector("2j/0=");
        let s = scheme(&PRESET, &[KEY], Some(secs(300)));
        let map = headers(v.headers);
        let req = WebhookRequest {
            method: "POST",
            public_url: v.url,
            headers: &map,
            body: BODY,
            now: secs(1_588_788_367 + 301),
        };
        assert_eq!(s.verify(&req), Err(Rejection::StaleTimestamp));
        assert_eq!(v.verify_at(secs(1_588_788_367 + 100_000)), Ok(()));
    }

    #[test]
    fn sign_needs_the_private_key_and_the_helper_round_trips() {
        let private_key = [0x42u8; 32];
        let public = public_key_base64(&private_key);
        let s = scheme(&PRESET, &[&public], None);
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/sendgrid",
            headers: &map,
            body: BODY,
            now: secs(1_700_000_000),
        };
        assert!(s.sign(&req).is_err());
        let signed = sign_with_private_key(&private_key, &req);
        let pairs = str_pairs(&signed);
        let signed_map = headers(&pairs);
        assert_eq!(
            s.verify(&WebhookRequest {
                headers: &signed_map,
                ..req
            }),
            Ok(())
        );
        assert_eq!(
            s.verify(&WebhookRequest {
                headers: &signed_map,
                body: b"{}",
                ..req
            }),
            Err(Rejection::BadSignature)
        );
    }
}
