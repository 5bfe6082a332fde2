//! Telnyx: `telnyx-signature-ed25519: <base64 Ed25519 signature of "{telnyx-timestamp}|{raw
//! body}">`; `secrets` hold the account's public key (base64); 5 minutes.
//! Source: team-telnyx/telnyx-python `telnyx/webhook.py` (WebhookSignature.verify) and tests.

use std::time::Duration;

use crate::providers::families::common::{self, Encoding};
use crate::providers::families::ed25519::{self, Ed25519Scheme};
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest};

pub const PRESET: Preset = Preset {
    name: "telnyx",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/data/id"),
    event_type: Some("json:/data/event_type"),
    summary: "telnyx-signature-ed25519: <base64> Ed25519 of \"{telnyx-timestamp}|{body}\"; secrets are public keys",
    family: "ed25519",
    headers: &["telnyx-signature-ed25519", "telnyx-timestamp"],
    reference: "telnyx-python tests/test_webhook.py (tolerance 300 s); developers.telnyx.com webhooks (data.id)",
    build,
    ..Preset::DEFAULTS
};

fn scheme(keys: Vec<ed25519_dalek::VerifyingKey>, window: common::Window) -> Ed25519Scheme {
    Ed25519Scheme {
        header: "telnyx-signature-ed25519".into(),
        encoding: Encoding::Base64,
        timestamp_header: Some("telnyx-timestamp".into()),
        separator: "|",
        window: Some(window),
        keys,
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::preset_header(settings, "", false)?;
    let keys = ed25519::public_keys(settings.secrets)?;
    Ok(Box::new(scheme(keys, PRESET.window(settings.tolerance))))
}

/// The headers of a request signed with `private_key` (32-byte seed) at `req.now`; configure
/// `public_key_base64(private_key)` as the route secret.
pub fn sign_with_private_key(
    private_key: &[u8; 32],
    req: &WebhookRequest<'_>,
) -> Vec<(String, String)> {
    scheme(Vec::new(), common::Window::symmetric(Duration::ZERO))
        .sign_with_private_key(private_key, req)
}

/// The public key of `private_key`, in the form Telnyx shows it (base64).
pub fn public_key_base64(private_key: &[u8; 32]) -> String {
    Encoding::Base64.encode(&ed25519::public_key_of(private_key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{
        headers, scheme as build_scheme, secs, str_pairs, Vector,
    };
    use crate::providers::Rejection;

    // Telnyx's SDK tests generate their keys, so there is no fixed published vector. The key is
    // RFC 8032 §7.1 TEST 1 (vectors.json ed25519-rfc8032-test1); the signature was made with
    // `openssl pkeyutl -sign -rawin` (OpenSSL 3.0) over "1700000000|" + body.
    // SDK output: telnyx@7.24.0 (npm) `client.webhooks.unwrap` (lib/webhooks TelnyxWebhook.verify:
    // Ed25519 over `${telnyx-timestamp}|${body}`, |now - timestamp| <= 300 s) accepts it with its
    // clock 100 s and ±300 s away, and rejects it at ±301 s, with a space-prefixed body or
    // another public key: scripts/provider-vectors/telnyx.mjs.
    const PUBLIC_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const BODY: &[u8] = b"{\"data\":{\"event_type\":\"message.received\",\"id\":\"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0\",\"payload\":{\"id\":\"b301ed3f\"}},\"meta\":{\"attempt\":1}}";

    #[test]
    fn telnyx_sdk_vector() {
        let v = Vector {
            now: secs(1_700_000_100),
            wrong_secrets: &["PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw="],
            ..Vector::new(
                &PRESET,
                &[PUBLIC_KEY],
                &[
                    ("telnyx-signature-ed25519", "NrYZwhGrUoTqsBOGOeDEws6EHpfXkeSXg6DseD6qU9Kj2cDspQxmW3qSl857NH9F1hM+d+tIJ7lzFnzqXJXvAw=="),
                    ("telnyx-timestamp", "1700000000"),
                ],
                BODY,
            )
        };
        v.assert_vector_cases();
        assert_eq!(v.verify_at(secs(1_700_000_300)), Ok(()));
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(v.verify_at(secs(1_699_999_700)), Ok(()));
        assert_eq!(
            v.verify_at(secs(1_699_999_699)),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn sign_needs_the_private_key_and_the_helper_round_trips() {
        let s = build_scheme(&PRESET, &[PUBLIC_KEY], None);
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/telnyx",
            headers: &map,
            body: BODY,
            now: secs(1_800_000_000),
        };
        assert!(s.sign(&req).is_err());
        let seed: [u8; 32] = hex::decode(SEED).unwrap().try_into().unwrap();
        assert_eq!(public_key_base64(&seed), PUBLIC_KEY);
        let signed = sign_with_private_key(&seed, &req);
        let pairs = str_pairs(&signed);
        let signed_map = headers(&pairs);
        assert_eq!(
            s.verify(&WebhookRequest {
                headers: &signed_map,
                ..req
            }),
            Ok(())
        );
    }
}
