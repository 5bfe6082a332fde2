//! Meta (Facebook / Messenger Graph API webhooks): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. The `GET hub.challenge` subscription handshake is not answered by the gateway.
//! Source: developers.facebook.com/docs/graph-api/webhooks/getting-started (validating payloads; batched entries, no event id).
//!
//! Instagram and the WhatsApp Cloud API sign their webhooks the same way (Meta payload signature);
//! their presets are this one under their own name and source.

use crate::providers::families::common::{Algorithm, Encoding};
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "meta",
    family: "hmac-body",
    headers: &["X-Hub-Signature-256"],
    event_id: None,
    event_type: Some("json:/object"),
    summary: "X-Hub-Signature-256: sha256=<hex> HMAC-SHA-256 of the raw body",
    reference: "developers.facebook.com/docs/graph-api/webhooks/getting-started (validating payloads; batched entries, no event id)",
    build,
    ..Preset::DEFAULTS
};

/// Instagram: developers.facebook.com/docs/instagram-platform/webhooks.
pub const INSTAGRAM: Preset = Preset {
    name: "instagram",
    reference: "developers.facebook.com/docs/instagram-platform/webhooks (Meta payload signature; batched entries, no event id)",
    ..PRESET
};

/// WhatsApp Cloud API: developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks.
pub const WHATSAPP: Preset = Preset {
    name: "whatsapp",
    reference: "developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks (Meta payload signature; batched entries, no event id)",
    ..PRESET
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Hub-Signature-256",
        Algorithm::Sha256,
        Encoding::Hex,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // Published vector: Meta's official WhatsApp Node.js SDK test fixture
    // (WhatsApp/WhatsApp-Nodejs-SDK src/__tests__/utils.test.ts@58ca3d5: `generateXHub256Sig`
    // of "test" with M4D_APP_SECRET "TEST_APP_SECRET" from jest.config.ts), run for each preset.
    #[test]
    fn published_vector() {
        for preset in [&PRESET, &INSTAGRAM, &WHATSAPP] {
            Vector::new(
                preset,
                &["TEST_APP_SECRET"],
                &[(
                    "X-Hub-Signature-256",
                    "sha256=0c61947b610d4f45e65f3d680e26027121ec2413e77598bcb6cfc6e0d9888221",
                )],
                b"test",
            )
            .assert_all();
        }
    }

    // SDK output: that SDK's `generateXHub256Sig` (npm whatsapp@0.0.5-Alpha, the version its
    // webhook listener compares after `sha256=`) over one webhook body per preset, each with its
    // own key: scripts/provider-vectors/meta.mjs.
    #[test]
    fn sdk_vectors() {
        for (preset, key, signature, body) in [
            (
                &PRESET,
                "meta-app-secret",
                "sha256=f523f1fd71b75f7b516997fc44a12f6d13475b2094602499a3181212022ffd91",
                r#"{"object":"page","entry":[{"id":"0","time":1700000000,"changes":[{"field":"feed","value":{"item":"status"}}]}]}"#,
            ),
            (
                &INSTAGRAM,
                "instagram-app-secret",
                "sha256=c53c5e819baac71be2ed67c435c559b915808e59c90d32d29591c97e310f11b8",
                r#"{"object":"instagram","entry":[{"id":"0","time":1700000000,"changes":[{"field":"comments","value":{"text":"hi"}}]}]}"#,
            ),
            (
                &WHATSAPP,
                "whatsapp-app-secret",
                "sha256=f6b5f7c46b0b2dcb6bf81b080946ba53a7cf2830717b26c6f52e2d1ef6633a87",
                r#"{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"field":"messages","value":{"messaging_product":"whatsapp"}}]}]}"#,
            ),
        ] {
            let (secrets, headers) = ([key], [("X-Hub-Signature-256", signature)]);
            Vector::new(preset, &secrets, &headers, body.as_bytes()).assert_all();
        }
    }
}
