//! Vonage (Messages and Voice signed webhooks): `Authorization: Bearer <JWT>`, HS256 with the
//! account's signature secret; claim `payload_hash` = hex SHA-256 of the raw body, `iat` within
//! the window (Vonage gives none: 5 minutes both ways is hookgate's).
//! Source: developer.vonage.com/en/getting-started/concepts/webhooks ("Validating signed
//! webhooks": JWT, signature secret, payload_hash, iat).

use std::time::Duration;

use serde::Deserialize;

use super::netlify::{body_sha256, hs256_claims, hs256_token, Lifetime};
use crate::config::secret::Secret;
use crate::providers::families::common;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "vonage",
    family: "jwt-hs256",
    headers: &["Authorization"],
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/message_uuid"),
    event_type: Some("json:/status"),
    summary: "Authorization: Bearer <HS256 JWT>, claim payload_hash = hex SHA-256 of the body, iat within tolerance",
    reference: "developer.vonage.com webhooks: validating signed webhooks (no iat window given: 300 s both ways is hookgate's; message_uuid)",
    build,
    ..Preset::DEFAULTS
};

#[derive(Deserialize)]
struct Claims {
    payload_hash: String,
    iat: i64,
    #[serde(flatten)]
    lifetime: Lifetime,
}

struct Vonage {
    secrets: Vec<Secret>,
    window: common::Window,
}

impl Scheme for Vonage {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, "Authorization")?;
        let token = common::strip_prefix_ci(value.trim(), "Bearer ")
            .ok_or(Rejection::MalformedSignature)?;
        let claims: Claims = hs256_claims(token, &self.secrets, None)?;
        if !common::ct_eq(
            body_sha256(req.body).as_bytes(),
            claims.payload_hash.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(Rejection::BadSignature);
        }
        claims.lifetime.check(req.now)?;
        self.window.check_seconds(claims.iat, req.now)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        let claims = serde_json::json!({
            "iat": req.now.as_secs(),
            "jti": format!("hookgate-{:x}", req.now.as_nanos()),
            "iss": "Vonage",
            "payload_hash": body_sha256(req.body),
        });
        Ok(vec![(
            "Authorization".to_string(),
            format!("Bearer {}", hs256_token(&claims, secret)?),
        )])
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(Vonage {
        secrets: settings.secrets.to_vec(),
        window: PRESET.window(settings.tolerance),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};

    // No published token; this one (iat 1700000000, payload_hash = hex SHA-256 of the body) was
    // built with Python. SDK output: @vonage/jwt@1.14.0 `verifySignature(token, secret)` accepts
    // it and rejects another secret or an altered signature; Vonage's official sample
    // Vonage/vonage-node-code-snippets messages/signed-webhooks/verify-signed-webhook.js @
    // 1c4f0c9e9713c17b06b8c86fd0a1d5217cf11285 (jsonwebtoken HS256 + js-sha256 payload_hash)
    // answers 204 to this request and 401 to a tampered body: scripts/provider-vectors/vonage.mjs.
    // Neither checks iat: the 300 s window is hookgate's.
    const HEADER_VALUE: &str = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjY3YjhjMTFlMzQ5OTFhNDU2M2RjMWE1MDY1NjQ5OTBkN2U0MWJkMmE1ZTFjNjk5NmI0MjY1NzJmYzE5YzFmOGEiLCJhcGlfa2V5IjoiYTFiMmMzZDQiLCJhcHBsaWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.hHXIwJaF-jVJus2ykxwGUG8F8iD4kVoxzBf2occbVEA";

    #[test]
    fn vonage_sdk_and_sample_vector() {
        let v = Vector {
            now: secs(1_700_000_000),
            ..Vector::new(
                &PRESET,
                &["vonage-signature-secret"],
                &[("Authorization", HEADER_VALUE)],
                br#"{"id":"evt_1","type":"ping"}"#,
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            v.verify_at(secs(1_699_999_699)),
            Err(Rejection::StaleTimestamp)
        );
    }

    /// `@vonage/jwt` `verifySignature` is Node's `jsonwebtoken.verify`: a present `exp` that has
    /// passed (or `nbf` not reached) is refused even with `iat` inside the window.
    #[test]
    fn a_present_exp_or_nbf_is_checked() {
        let secret = Secret::literal("vonage-signature-secret");
        let scheme = Vonage {
            secrets: vec![secret.clone()],
            window: PRESET.window(Duration::from_secs(300)),
        };
        let body = br#"{"message_uuid":"m1"}"#;
        let now = 1_800_000_000i64;
        let verify = |exp: i64, nbf: i64| {
            let claims = serde_json::json!({
                "iat": now, "exp": exp, "nbf": nbf, "payload_hash": body_sha256(body),
            });
            let value = format!("Bearer {}", hs256_token(&claims, &secret).unwrap());
            let headers =
                crate::providers::families::testkit::headers(&[("Authorization", value.as_str())]);
            scheme.verify(&WebhookRequest {
                method: "POST",
                public_url: "https://h/x",
                headers: &headers,
                body,
                now: secs(now as u64),
            })
        };
        assert_eq!(verify(now + 60, now), Ok(()));
        assert_eq!(verify(now, now), Err(Rejection::StaleTimestamp));
        assert_eq!(verify(now + 60, now + 1), Err(Rejection::StaleTimestamp));
    }
}
