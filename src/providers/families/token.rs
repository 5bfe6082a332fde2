//! `provider = "token"`: a shared token in `signature.header`, optionally after
//! `signature.prefix` (e.g. `"Bearer "`); `secrets` are the accepted tokens, compared in constant
//! time. There is no body integrity: anyone holding the token can send anything.

use super::common;
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "token",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "signature.header: [prefix]<token>, compared with each secret (no body integrity)",
    family: "token",
    headers: &[],
    reference: "generic: configured by the route's `signature` table",
    build,
    ..Preset::DEFAULTS
};

/// A token in one header. Reused by the presets of `presets/token_senders.rs` (GitLab, Okta).
pub struct TokenScheme {
    pub header: String,
    pub prefix: String,
    pub tokens: Vec<Secret>,
}

impl TokenScheme {
    /// The scheme of a preset sending the bare token in `header` (a route may rename it with
    /// `signature.header`); at least one secret.
    pub fn for_preset(
        settings: &SchemeSettings<'_>,
        header: &str,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::require_secrets(settings.secrets)?;
        Ok(Box::new(TokenScheme {
            header: common::preset_header(settings, header, true)?,
            prefix: String::new(),
            tokens: settings.secrets.to_vec(),
        }))
    }
}

impl Scheme for TokenScheme {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, &self.header)?;
        let token = if self.prefix.is_empty() {
            value
        } else {
            common::strip_prefix_ci(value, &self.prefix).ok_or(Rejection::MalformedSignature)?
        };
        if common::any_token_matches(&self.tokens, token.as_bytes()) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let token = common::first_secret(&self.tokens)?;
        let token = token.as_str().ok_or_else(|| {
            SignError("the token is not text, so it cannot be sent in a header".into())
        })?;
        Ok(vec![(
            self.header.clone(),
            format!("{}{}", self.prefix, token),
        )])
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    let spec = settings.signature.ok_or_else(|| {
        SettingsError::new(
            "signature",
            "provider \"token\" needs `signature = { header }`",
        )
    })?;
    if spec.algorithm.is_some() || spec.encoding.is_some() || spec.timestamp_header.is_some() {
        return Err(SettingsError::new(
            "signature",
            "provider \"token\" takes only `header` and `prefix`",
        ));
    }
    let header = common::required_header(spec)?;
    Ok(Box::new(TokenScheme {
        header,
        prefix: spec.prefix.clone().unwrap_or_default(),
        tokens: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, secs, str_pairs};
    use crate::providers::SignatureSpec;
    use std::time::Duration;

    fn scheme(prefix: Option<&str>, tokens: &[&str]) -> Box<dyn Scheme> {
        let secrets: Vec<Secret> = tokens.iter().map(|s| Secret::literal(s)).collect();
        let spec = SignatureSpec {
            header: Some("Authorization".into()),
            prefix: prefix.map(str::to_string),
            ..Default::default()
        };
        build(&SchemeSettings {
            secrets: &secrets,
            tolerance: Duration::ZERO,
            signature: Some(&spec),
        })
        .unwrap()
    }

    fn verify(s: &dyn Scheme, pairs: &[(&str, &str)]) -> Result<(), Rejection> {
        s.verify(&WebhookRequest {
            method: "POST",
            public_url: "http://localhost/",
            headers: &headers(pairs),
            body: b"{}",
            now: secs(0),
        })
    }

    // The token is the whole scheme: the "vector" is the RFC 6750 §2.1 example
    // `Authorization: Bearer mF_9.B5f-4.1JqM`.
    #[test]
    fn bearer_token_with_prefix() {
        let s = scheme(Some("Bearer "), &["old-token", "mF_9.B5f-4.1JqM"]);
        assert_eq!(
            verify(&*s, &[("Authorization", "Bearer mF_9.B5f-4.1JqM")]),
            Ok(())
        );
        assert_eq!(
            verify(&*s, &[("Authorization", "bearer mF_9.B5f-4.1JqM")]),
            Ok(())
        );
        assert_eq!(
            verify(&*s, &[("Authorization", "Bearer mF_9.B5f-4.1JqN")]),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verify(&*s, &[("Authorization", "mF_9.B5f-4.1JqM")]),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(verify(&*s, &[]), Err(Rejection::MissingSignature));
        let wrong = scheme(Some("Bearer "), &["another"]);
        assert_eq!(
            verify(&*wrong, &[("Authorization", "Bearer mF_9.B5f-4.1JqM")]),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn sign_sends_the_first_token() {
        let s = scheme(Some("Bearer "), &["mF_9.B5f-4.1JqM"]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "http://localhost/",
            headers: &headers(&[]),
            body: b"{}",
            now: secs(0),
        };
        let signed = s.sign(&req).unwrap();
        assert_eq!(
            signed,
            vec![(
                "Authorization".to_string(),
                "Bearer mF_9.B5f-4.1JqM".to_string()
            )]
        );
        let pairs = str_pairs(&signed);
        assert_eq!(verify(&*s, &pairs), Ok(()));
    }

    #[test]
    fn settings_need_a_header_and_nothing_foreign() {
        let secrets = [Secret::literal("t")];
        let spec = SignatureSpec {
            header: Some("X-Token".into()),
            algorithm: Some("sha256".into()),
            ..Default::default()
        };
        let err = build(&SchemeSettings {
            secrets: &secrets,
            tolerance: Duration::ZERO,
            signature: Some(&spec),
        })
        .err()
        .unwrap();
        assert_eq!(err.key, "signature");
    }
}
