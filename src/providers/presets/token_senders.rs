//! Senders that put the shared secret itself in one header, compared in constant time
//! ([`TokenScheme`]; no body integrity), and differ only in data: the header (which a route may
//! rename with `signature.header`), the event ID and type sources, the summary and the document
//! followed. Each row is one [`Preset`] (its constant is named after the sender); its vector (cited
//! beside it) is in the test module of the same name at the end of this file.
//!
//! Adding such a sender is one row here, its vector below, and its line in
//! [`crate::providers::families::registry`].

use crate::providers::families::token::TokenScheme;
use crate::providers::Preset;

/// GitLab: the secret token itself in `X-Gitlab-Token`, compared in constant time (no body
/// integrity). Source: docs.gitlab.com/user/project/integrations/webhooks ("Secret token").
pub const GITLAB: Preset = Preset {
    name: "gitlab",
    default_tolerance: None,
    event_id: Some("header:Idempotency-Key"),
    event_type: Some("header:X-Gitlab-Event"),
    summary: "X-Gitlab-Token: <secret token>, compared in constant time (no body integrity)",
    family: "token",
    headers: &["X-Gitlab-Token"],
    reference: "docs.gitlab.com user/project/integrations/webhooks: secret token; Idempotency-Key is stable across retries and resends (X-Gitlab-Event-UUID is shared by recursive events)",
    build: |settings| TokenScheme::for_preset(settings, "X-Gitlab-Token"),
    ..Preset::DEFAULTS
};

/// Okta event hooks: the authorization header configured on the hook (default `Authorization`)
/// carries the secret as is, compared in constant time. No body integrity. The one-time
/// `X-Okta-Verification-Challenge` GET is not answered by the gateway.
/// Source: developer.okta.com/docs/concepts/event-hooks ("Event hook setup": authentication
/// field and secret); help.okta.com create event hooks.
pub const OKTA: Preset = Preset {
    name: "okta",
    family: "token",
    headers: &["Authorization"],
    event_id: Some("json:/eventId"),
    event_type: Some("json:/eventType"),
    summary: "Authorization (or the hook's header): <secret>, compared in constant time (no body integrity)",
    reference: "developer.okta.com/docs/concepts/event-hooks (authentication secret; eventId per delivery)",
    build: |settings| TokenScheme::for_preset(settings, "Authorization"),
    ..Preset::DEFAULTS
};

#[cfg(test)]
mod gitlab {
    use super::*;

    const PRESET: Preset = GITLAB;
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

#[cfg(test)]
mod okta {
    use super::*;

    const PRESET: Preset = OKTA;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // Okta's docs: the "Authentication secret" is sent verbatim in the chosen header. The secret
    // itself is the vector; the body is not covered.
    #[test]
    fn secret_in_authorization_header() {
        let v = Vector::new(
            &PRESET,
            &["okta-hook-secret-1234567890"],
            &[("Authorization", "okta-hook-secret-1234567890")],
            br#"{"eventType":"com.okta.event_hook","eventId":"b5a188b9"}"#,
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
        assert_eq!(
            Vector { headers: &[], ..v }.verify(),
            Err(Rejection::MissingSignature)
        );
        v.assert_sign_round_trip(v.now);
    }
}
