//! Meta (Facebook / Messenger Graph API webhooks): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. The `GET hub.challenge` subscription handshake is not answered by the gateway.
//! Source: developers.facebook.com/docs/graph-api/webhooks/getting-started (validating payloads; batched entries, no event id).
//!
//! Instagram and the WhatsApp Cloud API sign their webhooks the same way (Meta payload signature);
//! their presets are this one under their own name and source.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

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
    use crate::providers::testkit::Vector;

    // Scheme as documented (developers.facebook.com/docs/graph-api/webhooks/getting-started); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed `sha256=`.
    // Instagram's and WhatsApp's vectors were computed the same way, each with its own key.
    #[test]
    fn documented_scheme_vector() {
        for (preset, key, signature) in [
            (
                &PRESET,
                "meta-app-secret",
                "sha256=20edcc8c6e57624dc6ab0ce0d48710e1944ae48ffbaa9e1b43bce7d91749ddf0",
            ),
            (
                &INSTAGRAM,
                "instagram-app-secret",
                "sha256=217bb3723dc33f31f26e621bfb0a97f230e8c343bf3330278d33d66d176bf816",
            ),
            (
                &WHATSAPP,
                "whatsapp-app-secret",
                "sha256=0b2268252ee429377aa4bae5ad03821cddb1c2bd276d627d9b69eacc7cb50e55",
            ),
        ] {
            let (secrets, headers) = ([key], [("X-Hub-Signature-256", signature)]);
            let v = Vector::new(
                preset,
                &secrets,
                &headers,
                br#"{"id":"evt_1","type":"ping"}"#,
            );
            v.assert_all();
        }
    }
}
