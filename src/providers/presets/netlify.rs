//! Netlify deploy notifications: `X-Webhook-Signature: <JWS>`, HS256 with the JWS secret token,
//! claims `iss = "netlify"` and `sha256` = hex SHA-256 of the raw body. The JWT is checked by
//! `jsonwebtoken`; the body hash in constant time. [`hs256_claims`] is shared with Vonage.
//! Source: docs.netlify.com/site-deploys/deploy-notifications ("Payload signature").

use serde::de::DeserializeOwned;
use sha2::Digest;

use crate::config::secret::Secret;
use crate::providers::families::common;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "netlify",
    family: "jwt-hs256",
    headers: &["X-Webhook-Signature"],
    event_id: Some("json:/id"),
    // `id` is the deploy's: every notification of one deploy (building, ready, error...) carries
    // it, so the state is part of the key, else a deploy's later notifications are "duplicates".
    dedup_scope: crate::providers::DedupScope::Fields(&["json:/state"]),
    event_type: Some("json:/state"),
    summary:
        "X-Webhook-Signature: HS256 JWT, iss \"netlify\", claim sha256 = hex SHA-256 of the body",
    reference: "docs.netlify.com/site-deploys/deploy-notifications (payload signature; deploy id)",
    build,
    ..Preset::DEFAULTS
};

const HEADER: &str = "X-Webhook-Signature";

/// The claims of an HS256 `token` signed with any of `secrets`, checked by `jsonwebtoken`
/// (algorithm pinned to HS256; `exp` not required; `issuer` when given). A token that does not
/// parse is `MalformedSignature`; one no secret verifies is `BadSignature`.
pub fn hs256_claims<T: DeserializeOwned>(
    token: &str,
    secrets: &[Secret],
    issuer: Option<&str>,
) -> Result<T, Rejection> {
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
    let header = decode_header(token.trim()).map_err(|_| Rejection::MalformedSignature)?;
    if header.alg != Algorithm::HS256 {
        return Err(Rejection::MalformedSignature);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let mut found = None;
    for secret in secrets {
        let decoded = decode::<serde_json::Value>(
            token.trim(),
            &DecodingKey::from_secret(secret.bytes()),
            &validation,
        );
        if let (Ok(data), None) = (decoded, &found) {
            found = Some(data.claims);
        }
    }
    let claims = found.ok_or(Rejection::BadSignature)?;
    // `iss` when given is required, a string, and equal: Netlify's sample passes `{ issuer }` to
    // jsonwebtoken (Node), which refuses a token whose `iss` is missing or another value.
    let issuers: &[&str] = match &issuer {
        Some(iss) => std::slice::from_ref(iss),
        None => &[],
    };
    let required = crate::providers::key_fetch::jwt::Required {
        issuers,
        ..Default::default()
    };
    required.check(&claims)?;
    serde_json::from_value(claims).map_err(|_| Rejection::MalformedSignature)
}

/// An HS256 JWT of `claims` under `secret`, for `sign`.
pub fn hs256_token(claims: &serde_json::Value, secret: &Secret) -> Result<String, SignError> {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.bytes()),
    )
    .map_err(|e| SignError(format!("cannot encode the JWT: {e}")))
}

/// `exp` and `nbf` of an HS256 token, when present, as the senders' own verifier checks them:
/// both samples (Netlify's, and Vonage's `@vonage/jwt` `verifySignature`) call Node's
/// `jsonwebtoken.verify`, which refuses a token once `now >= exp` and before `nbf`, with no
/// clock tolerance by default, and refuses either claim when it is not a number (here: the
/// claims fail to deserialize, `MalformedSignature`). Neither sender sets them today.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct Lifetime {
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
}

impl Lifetime {
    /// `StaleTimestamp` when the token has expired or is not yet valid at `now`.
    pub fn check(&self, now: std::time::Duration) -> Result<(), Rejection> {
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let expired = self.exp.is_some_and(|exp| now >= exp);
        let early = self.nbf.is_some_and(|nbf| nbf > now);
        if expired || early {
            Err(Rejection::StaleTimestamp)
        } else {
            Ok(())
        }
    }
}

/// Hex SHA-256 of `body`.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(body))
}

#[derive(serde::Deserialize)]
struct Claims {
    sha256: String,
    #[serde(flatten)]
    lifetime: Lifetime,
}

struct Netlify {
    secrets: Vec<Secret>,
}

impl Scheme for Netlify {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let token = common::single_header(req.headers, HEADER)?;
        let claims: Claims = hs256_claims(token, &self.secrets, Some("netlify"))?;
        claims.lifetime.check(req.now)?;
        if common::ct_eq(
            body_sha256(req.body).as_bytes(),
            claims.sha256.to_ascii_lowercase().as_bytes(),
        ) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        let claims = serde_json::json!({ "iss": "netlify", "sha256": body_sha256(req.body) });
        Ok(vec![(HEADER.to_string(), hs256_token(&claims, secret)?)])
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(Netlify {
        secrets: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // Netlify has no SDK helper and publishes no token. This one was signed by jsonwebtoken@9.0.3
    // `jwt.sign({ iss: "netlify", sha256 }, secret)` with the secret hard-coded in the Node sample
    // of docs.netlify.com/site-deploys/deploy-notifications ("Payload signature", retrieved
    // 2026-11-30); that sample, run with only its missing `bodyParser` import supplied, finds it
    // valid, finds a tampered body invalid and throws on another secret or issuer:
    // scripts/provider-vectors/netlify.mjs (which prints both tokens).
    const SECRET: &str = "your signature secret";
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJuZXRsaWZ5Iiwic2hhMjU2IjoiNjdiOGMxMWUzNDk5MWE0NTYzZGMxYTUwNjU2NDk5MGQ3ZTQxYmQyYTVlMWM2OTk2YjQyNjU3MmZjMTljMWY4YSJ9.I-UID5lff4UDKSJ_Yp2DBXy4RuQ1f_jVr5izq4Qv9AI";
    const OTHER_ISSUER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzb21lb25lIiwic2hhMjU2IjoiNjdiOGMxMWUzNDk5MWE0NTYzZGMxYTUwNjU2NDk5MGQ3ZTQxYmQyYTVlMWM2OTk2YjQyNjU3MmZjMTljMWY4YSJ9.fFjBoen02S-4nccBj2XE0oUf2frFU2Y2CpwHkAeBi4M";

    #[test]
    fn jsonwebtoken_and_docs_sample_vector() {
        let v = Vector::new(
            &PRESET,
            &[SECRET],
            &[(HEADER, TOKEN)],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
        assert_eq!(
            Vector {
                headers: &[(HEADER, OTHER_ISSUER)],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        // Another algorithm is refused before any key is tried.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJuZXRsaWZ5In0.";
        assert_eq!(
            Vector {
                headers: &[(HEADER, none)],
                ..v
            }
            .verify(),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(
            Vector {
                headers: &[(HEADER, "not a jwt")],
                ..v
            }
            .verify(),
            Err(Rejection::MalformedSignature)
        );
    }

    /// Issue 20 fault 3: `exp`/`nbf`, when present, as Node's `jsonwebtoken.verify` (the docs
    /// sample) checks them: expired at `exp`, not valid before `nbf`, a non-number refused.
    #[test]
    fn exp_and_nbf_are_checked_when_present() {
        use crate::providers::WebhookRequest;
        let secrets = [Secret::literal(SECRET)];
        let scheme = Netlify {
            secrets: secrets.to_vec(),
        };
        let body = br#"{"id":"d1","state":"ready"}"#;
        let now = 1_800_000_000u64;
        let verify = |extra: serde_json::Value| {
            let mut claims = serde_json::json!({ "iss": "netlify", "sha256": body_sha256(body) });
            for (k, v) in extra.as_object().unwrap() {
                claims[k] = v.clone();
            }
            let token = hs256_token(&claims, &secrets[0]).unwrap();
            let headers = crate::providers::families::testkit::headers(&[(HEADER, token.as_str())]);
            scheme.verify(&WebhookRequest {
                method: "POST",
                public_url: "https://h/x",
                headers: &headers,
                body,
                now: std::time::Duration::from_secs(now),
            })
        };
        let n = now as i64;
        assert_eq!(verify(serde_json::json!({})), Ok(()));
        assert_eq!(
            verify(serde_json::json!({ "exp": n + 1, "nbf": n })),
            Ok(())
        );
        assert_eq!(
            verify(serde_json::json!({ "exp": n })),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            verify(serde_json::json!({ "nbf": n + 1 })),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            verify(serde_json::json!({ "exp": "never" })),
            Err(Rejection::MalformedSignature)
        );
    }
}
