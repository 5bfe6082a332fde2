//! Jira (admin webhooks with a secret): `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
//! Source: developer.atlassian.com/cloud/jira/platform/webhooks (secure admin webhooks, with a
//! published test vector: see the test; X-Atlassian-Webhook-Identifier kept on retries) and Jira
//! Data Center's "Managing webhooks" (`X-Hub-Signature: sha256=...`, HMAC-SHA256 by default).

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

    // Published vector: developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
    // ("validating webhook deliveries") gives the secret "It's a Secret to Everybody", the payload
    // "Hello World!" and `X-Hub-Signature: sha256=a4771c39…63c9` for implementers to check against.
    // (Our search corpus holds that page only in part; the values were read as quoted, with the
    // page cited, in independent public repositories' Jira webhook tests, and Bitbucket Cloud's
    // docs publish the same vector: bitbucket.rs.)
    #[test]
    fn atlassian_published_vector() {
        let v = Vector::new(
            &PRESET,
            &["It's a Secret to Everybody"],
            &[(
                "X-Hub-Signature",
                "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9",
            )],
            b"Hello World!",
        );
        v.assert_all();
    }
}
