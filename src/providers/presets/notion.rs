//! Notion: `X-Notion-Signature: sha256=<hex HMAC-SHA256(verification_token, raw body)>`; the `verification_token` Notion sends once when the subscription is created is the secret.
//! Source: developers.notion.com/reference/webhooks (validating event payloads; event id).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "notion",
    family: "hmac-body",
    headers: &["X-Notion-Signature"],
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "X-Notion-Signature: sha256=<hex> HMAC-SHA-256 of the raw body",
    reference: "developers.notion.com/reference/webhooks (validating event payloads; event id)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Notion-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // SDK output: Notion's official SDK, npm @notionhq/client@5.26.0 `signWebhookPayload`, which
    // its `verifyWebhookSignature` accepts (tampered body and another token rejected); printed by
    // scripts/provider-vectors/notion.mjs.
    #[test]
    fn sdk_vector() {
        let v = Vector::new(
            &PRESET,
            &["secret_notion_verification_token"],
            &[(
                "X-Notion-Signature",
                "sha256=9482d4154e4c52b5aa9b4033826ffdf500ffacde26389d3b0ab836c0aa0b8f0b",
            )],
            br#"{"id":"367cba44-b6f3-4c92-81e7-6a2e9659efd4","timestamp":"2024-12-05T23:55:34.285Z","type":"page.created","entity":{"id":"153104cd-477e-809d-8dc4-ff2d96ae3090","type":"page"}}"#,
        );
        v.assert_all();
    }
}
