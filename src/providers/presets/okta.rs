//! Okta event hooks: the authorization header configured on the hook (default `Authorization`)
//! carries the secret as is, compared in constant time. No body integrity. The one-time
//! `X-Okta-Verification-Challenge` GET is not answered by the gateway.
//! Source: developer.okta.com/docs/concepts/event-hooks ("Event hook setup": authentication
//! field and secret); help.okta.com create event hooks.

use crate::providers::families::common;
use crate::providers::families::token::TokenScheme;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "okta",
    family: "token",
    headers: &["Authorization"],
    event_id: Some("json:/eventId"),
    event_type: Some("json:/eventType"),
    summary: "Authorization (or the hook's header): <secret>, compared in constant time (no body integrity)",
    reference: "developer.okta.com/docs/concepts/event-hooks (authentication secret; eventId per delivery)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    Ok(Box::new(TokenScheme {
        header: common::preset_header(settings, "Authorization", true)?,
        prefix: String::new(),
        tokens: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
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
