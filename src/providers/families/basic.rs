//! `provider = "basic"`: HTTP Basic authentication (RFC 7617) in `Authorization`; `secrets` are
//! the accepted `"user:password"` pairs, compared in constant time. No body integrity.

use base64::Engine;

use super::common;
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "basic",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "Authorization: Basic base64(user:password), compared with each secret",
    family: "basic",
    headers: &["Authorization"],
    reference: "RFC 7617 (HTTP Basic)",
    build,
    ..Preset::DEFAULTS
};

const HEADER: &str = "Authorization";

pub struct Basic {
    credentials: Vec<Secret>,
}

impl Scheme for Basic {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, HEADER)?;
        let encoded =
            common::strip_prefix_ci(value.trim(), "Basic ").ok_or(Rejection::MalformedSignature)?;
        let presented =
            common::decode_base64(encoded.trim()).ok_or(Rejection::MalformedSignature)?;
        if common::any_token_matches(&self.credentials, &presented) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let credentials = common::first_secret(&self.credentials)?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials.bytes());
        Ok(vec![(HEADER.to_string(), format!("Basic {encoded}"))])
    }
}

pub fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, HEADER, false)?;
    if settings.secrets.iter().any(|s| !s.bytes().contains(&b':')) {
        return Err(SettingsError::new(
            "secrets",
            "each secret must be \"user:password\"",
        ));
    }
    Ok(Box::new(Basic {
        credentials: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // RFC 7617 §2: user "Aladdin", password "open sesame" → `Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`.
    #[test]
    fn rfc7617_example() {
        let v = Vector {
            wrong_secrets: &["Aladdin:open sesamE"],
            ..Vector::new(
                &PRESET,
                &["Aladdin:open sesame"],
                &[("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")],
                b"{}",
            )
        };
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            v.run(
                v.wrong_secrets,
                &crate::providers::families::testkit::headers(v.headers),
                v.body,
                v.now
            ),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v.run(
                v.secrets,
                &crate::providers::families::testkit::headers(&[]),
                v.body,
                v.now
            ),
            Err(Rejection::MissingSignature)
        );
        assert_eq!(
            v.run(
                v.secrets,
                &crate::providers::families::testkit::headers(&[(
                    "Authorization",
                    "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
                )]),
                v.body,
                v.now
            ),
            Err(Rejection::MalformedSignature)
        );
        v.assert_sign_round_trip(v.now);
    }

    #[test]
    fn secrets_must_be_user_colon_password() {
        let secrets = [Secret::literal("no-colon")];
        let err = build(&SchemeSettings {
            secrets: &secrets,
            tolerance: std::time::Duration::ZERO,
            signature: None,
        })
        .err()
        .unwrap();
        assert_eq!(err.key, "secrets");
    }
}
