//! Polar: Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature:
//! v1,<base64>`), HMAC-SHA256 over `"{id}.{timestamp}.{body}"`, 300 s each way. Polar's server
//! keys the HMAC with the secret's own UTF-8 bytes (`whsec_` included: it base64-encodes the
//! secret before handing it to the standardwebhooks library, which decodes it again); Polar's SDK
//! also accepts the Standard Webhooks key (base64 decoding of the part after `whsec_`), so both
//! keys are tried, the UTF-8 one first (and used for signing).
//! Source: polarsource/polar `server/polar/webhook/tasks.py`@c6c3645 (signing); @polar-sh/sdk
//! 1.0.1 `webhooks.validateEvent` (verification: both keys, 300 s both ways); docs.polar.sh.

use std::time::Duration;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::config::secret::Secret;
use crate::providers::families::common;
use crate::providers::families::standard_webhooks::StandardWebhooks;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "polar",
    family: "standard-webhooks",
    headers: &["webhook-signature", "webhook-id", "webhook-timestamp"],
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("header:webhook-id"),
    event_type: Some("json:/type"),
    // Summary and reference are README's provider table row (kept equal by a test; the table is
    // not this change's to edit): the module docs above give the full key rule.
    summary: "webhook-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\", key = the secret's bytes, or its base64 after whsec_ (either verifies)",
    reference: "@polar-sh/sdk validateEvent (standardwebhooks: the secret's bytes or its whsec_ base64; 300 s both ways); polar server webhook/tasks.py signs with the bytes; webhook-id kept on retries",
    build,
    ..Preset::DEFAULTS
};

/// The base64 `atob` decodes (WHATWG forgiving-base64, what the SDK uses): standard alphabet,
/// padding optional, leftover bits ignored. Not URL-safe: the SDK would not decode that either.
const FORGIVING_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(StandardWebhooks {
        prefixes: &["webhook"],
        window: PRESET.window(settings.tolerance),
        keys: settings.secrets.iter().flat_map(hmac_keys).collect(),
    }))
}

/// The keys @polar-sh/sdk's `hmacKeys` tries for one secret: its UTF-8 bytes, then the base64
/// decoding of what follows `whsec_` when that decodes to other, non-empty bytes.
fn hmac_keys(secret: &Secret) -> Vec<Secret> {
    let utf8 = secret.bytes();
    let text = secret.as_str().unwrap_or_default();
    let encoded = text.strip_prefix("whsec_").unwrap_or(text);
    let mut keys = vec![Secret::from_bytes(utf8)];
    if let Ok(decoded) = FORGIVING_BASE64.decode(encoded) {
        if !decoded.is_empty() && decoded.as_slice() != utf8 {
            keys.push(Secret::from_bytes(&decoded));
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // SDK output: scripts/provider-vectors/polar.mjs signs this event with standardwebhooks@1.1.1
    // two ways and @polar-sh/sdk@1.0.1 `webhooks.validateEvent` (2026-10 export) accepts both,
    // rejecting a tampered body and the same request 301 s later or earlier. The secret is the
    // example in Polar's API schema (polarsource/polar server/polar/webhook/schemas.py@c6c3645).
    const SECRET: &str = "whsec_ovyN6cPrTv56AApvzCaJno08SSmGJmgbWilb33N2JuK";
    const BODY: &[u8] =
        br#"{"type":"order.created","timestamp":"2023-11-14T22:13:20Z","data":{"id":"ord_1"}}"#;
    const AT: u64 = 1_700_000_000;

    fn vector(signature: &'static str) -> Vector<'static> {
        let headers: &'static [(&'static str, &'static str)] = match signature {
            // Keyed as Polar's server signs (tasks.py: standardwebhooks over base64 of the
            // secret's UTF-8 bytes).
            "server" => &[
                (
                    "webhook-signature",
                    "v1,VRQ7YfdKYUlgMR9n7SaEclFDYdlpd+8Po6Jip38ccrk=",
                ),
                ("webhook-id", "msg_2Lj0xKZ5V3J6q1"),
                ("webhook-timestamp", "1700000000"),
            ],
            // Keyed with the Standard Webhooks decoding of the secret, which the SDK accepts too.
            _ => &[
                (
                    "webhook-signature",
                    "v1,h6lY0z6YcBWGsheLS9MI9Wa4Qm6CGF0sRSprN26e5Mg=",
                ),
                ("webhook-id", "msg_2Lj0xKZ5V3J6q1"),
                ("webhook-timestamp", "1700000000"),
            ],
        };
        Vector {
            now: secs(AT),
            wrong_secrets: &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
            ..Vector::new(&PRESET, &[SECRET], headers, BODY)
        }
    }

    #[test]
    fn sdk_vector_server_key() {
        let v = vector("server");
        v.assert_all();
        assert_eq!(v.verify_at(secs(AT + 300)), Ok(()));
        assert_eq!(v.verify_at(secs(AT + 301)), Err(Rejection::StaleTimestamp));
        assert_eq!(v.verify_at(secs(AT - 301)), Err(Rejection::StaleTimestamp));
    }

    // Polar's SDK accepts a signature keyed with the Standard Webhooks decoding of the secret; the
    // preset used to try only the UTF-8 key and refused it.
    #[test]
    fn sdk_vector_standard_webhooks_key() {
        let v = vector("standard");
        v.assert_vector_cases();
        assert_eq!(v.verify_at(secs(AT + 301)), Err(Rejection::StaleTimestamp));
        assert_eq!(v.verify_at(secs(AT - 301)), Err(Rejection::StaleTimestamp));
    }

    // A secret without `whsec_` that is not base64 (e.g. `polar_whs_…`) has only the UTF-8 key; a
    // URL-safe spelling is not decoded (the SDK's `atob` would not either).
    #[test]
    fn keys_follow_the_sdk() {
        assert_eq!(
            hmac_keys(&Secret::literal("polar_whs_example_secret")).len(),
            1
        );
        assert_eq!(hmac_keys(&Secret::literal("whsec_a-b_")).len(), 1);
        let keys = hmac_keys(&Secret::literal(SECRET));
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].bytes(), SECRET.as_bytes());
        assert_eq!(keys[1].bytes().len(), 32);
    }
}
