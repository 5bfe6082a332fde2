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

    // Scheme as documented (developers.notion.com/reference/webhooks); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed `sha256=`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["secret_notion_verification_token"],
            &[(
                "X-Notion-Signature",
                "sha256=be1d6c258d2fc2ddb968b6417cafb49af9c4561752dd05f98c7d3ecda37fec78",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
