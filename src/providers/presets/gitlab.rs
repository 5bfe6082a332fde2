//! GitLab: the secret token itself in `X-Gitlab-Token`, compared in constant time (no body
//! integrity). Source: docs.gitlab.com/user/project/integrations/webhooks ("Secret token").

use crate::providers::families::common;
use crate::providers::families::token::TokenScheme;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "gitlab",
    default_tolerance: None,
    event_id: Some("header:Idempotency-Key"),
    event_type: Some("header:X-Gitlab-Event"),
    summary: "X-Gitlab-Token: <secret token>, compared in constant time (no body integrity)",
    family: "token",
    headers: &["X-Gitlab-Token"],
    reference: "docs.gitlab.com user/project/integrations/webhooks: secret token; Idempotency-Key is stable across retries and resends (X-Gitlab-Event-UUID is shared by recursive events)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    Ok(Box::new(TokenScheme {
        header: common::preset_header(settings, "X-Gitlab-Token", true)?,
        prefix: String::new(),
        tokens: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // docs.gitlab.com webhooks "Secret token": GitLab sends the configured token verbatim in
    // X-Gitlab-Token (ngrok's gitlab example agrees). The token is the vector; the body is not
    // covered, so a tampered body still passes.
    #[test]
    fn token_header() {
        let v = Vector::new(
            &PRESET,
            &["old-token", "glwht-secret-token"],
            &[
                ("X-Gitlab-Token", "glwht-secret-token"),
                ("X-Gitlab-Event", "Push Hook"),
                (
                    "X-Gitlab-Event-UUID",
                    "13792a34-cac6-4fda-95a8-c58e00a3954e",
                ),
            ],
            b"{\"object_kind\":\"push\"}",
        );
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(v.verify_body(b"anything"), Ok(()));
        assert_eq!(
            Vector {
                secrets: &["other"],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        let missing = Vector {
            headers: &[("X-Gitlab-Event", "Push Hook")],
            ..v
        };
        assert_eq!(missing.verify(), Err(Rejection::MissingSignature));
        v.assert_sign_round_trip(v.now);
    }
}
