//! Mailgun: no header; the JSON body carries `signature: {timestamp, token, signature}` where
//! `signature` = hex HMAC-SHA256(webhook signing key, timestamp + token). **The body itself is not
//! covered**: a holder of one valid signature block could attach it to other content within the
//! tolerance window. Dedup on `event-data.id` (default) limits replays.
//! Source: documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks.

use std::time::Duration;

use super::common::{self, Algorithm, Encoding};
use super::{Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest};
use crate::config::secret::Secret;

pub const PRESET: Preset = Preset {
    name: "mailgun",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/event-data/id"),
    event_type: Some("json:/event-data/event"),
    summary: "body signature.signature: <hex> HMAC-SHA256 of signature.timestamp + signature.token (body not covered)",
    build,
};

struct Mailgun {
    keys: Vec<Secret>,
    tolerance: Duration,
}

impl Scheme for Mailgun {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let json: serde_json::Value =
            serde_json::from_slice(req.body).map_err(|_| Rejection::MissingSignature)?;
        let field = |name: &str| -> Option<String> {
            match json.pointer(&format!("/signature/{name}"))? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let signature = field("signature").ok_or(Rejection::MissingSignature)?;
        let timestamp = field("timestamp").ok_or(Rejection::MalformedSignature)?;
        let token = field("token").ok_or(Rejection::MalformedSignature)?;
        common::check_unix_seconds(common::parse_unix(&timestamp)?, req.now, self.tolerance)?;
        let candidate = Encoding::Hex
            .decode(&signature)
            .ok_or(Rejection::MalformedSignature)?;
        common::verify_hmac(
            Algorithm::Sha256,
            &self.keys,
            &[timestamp.as_bytes(), token.as_bytes()],
            &[candidate],
        )
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "Mailgun's signature is inside the JSON body (signature.timestamp/token/signature), not a header; \
             build the body with mailgun::body_signature"
                .into(),
        ))
    }
}

/// The `signature.signature` value for a body signed with `key` (for tests and tooling).
pub fn body_signature(key: &[u8], timestamp: &str, token: &str) -> String {
    hex::encode(common::hmac_parts(
        Algorithm::Sha256,
        key,
        &[timestamp.as_bytes(), token.as_bytes()],
    ))
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(Mailgun {
        keys: settings.secrets.to_vec(),
        tolerance: settings.tolerance,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::{scheme, secs, Vector};

    // Scheme: Mailgun "Securing webhooks" (concatenate timestamp and token, HMAC-SHA256 with the
    // HTTP webhook signing key, hex, compare with signature); the token is the one in Mailgun's
    // example. No published key: expected value computed with Python
    // `hmac.new(key, b"1700000000" + token, hashlib.sha256).hexdigest()`.
    const BODY: &[u8] = b"{\"signature\":{\"timestamp\":\"1700000000\",\"token\":\"a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0\",\"signature\":\"bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253\"},\"event-data\":{\"id\":\"CPgfbmQMTCKtHW6uIWtuVe\",\"event\":\"delivered\"}}";

    fn vector(body: &'static [u8]) -> Vector<'static> {
        Vector {
            now: secs(1_700_000_000),
            ..Vector::new(&PRESET, &["key-mailgun-signing"], &[], body)
        }
    }

    #[test]
    fn documented_scheme_vector() {
        let v = vector(BODY);
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            Vector {
                secrets: &["key-other"],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        // The signed fields are covered…
        let token = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("a8ce0edb", "b8ce0edb");
        assert_eq!(
            v.verify_body(token.as_bytes()),
            Err(Rejection::BadSignature)
        );
        // …the rest of the body is not (documented weakness of Mailgun's scheme).
        let other = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("delivered", "failed");
        assert_eq!(v.verify_body(other.as_bytes()), Ok(()));
        assert_eq!(
            vector(b"{\"event-data\":{\"id\":\"x\"}}").verify(),
            Err(Rejection::MissingSignature)
        );
        assert_eq!(
            body_signature(
                b"key-mailgun-signing",
                "1700000000",
                "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
            ),
            "bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253"
        );
        let s = scheme(&PRESET, &["key-mailgun-signing"], None);
        let map = crate::providers::testkit::headers(&[]);
        assert!(s
            .sign(&WebhookRequest {
                method: "POST",
                public_url: v.url,
                headers: &map,
                body: BODY,
                now: v.now,
            })
            .is_err());
    }
}
