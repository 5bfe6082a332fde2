//! Jira (admin webhooks with a secret): `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
//! Source: developer.atlassian.com/cloud/jira/platform/webhooks (secure admin webhooks; X-Atlassian-Webhook-Identifier kept on retries).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "jira",
    family: "hmac-body",
    headers: &["X-Hub-Signature"],
    event_id: Some("header:X-Atlassian-Webhook-Identifier"),
    event_type: Some("json:/webhookEvent"),
    summary: "X-Hub-Signature: sha256=<hex> HMAC-SHA-256 of the raw body",
    reference: "developer.atlassian.com/cloud/jira/platform/webhooks (secure admin webhooks; X-Atlassian-Webhook-Identifier kept on retries)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Hub-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme as documented (developer.atlassian.com/cloud/jira/platform/webhooks); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed `sha256=`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["jira-webhook-secret"],
            &[(
                "X-Hub-Signature",
                "sha256=4e9516550a5e5c9f5ac5d5a1488819a394be7439ee47519f7ddbe135f97e9c79",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
