//! WhatsApp Cloud API (Meta webhooks): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
//! Source: developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks (Meta payload signature; batched entries, no event id).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "whatsapp",
    family: "hmac-body",
    headers: &["X-Hub-Signature-256"],
    event_id: None,
    event_type: Some("json:/object"),
    summary: "X-Hub-Signature-256: sha256=<hex> HMAC-SHA-256 of the raw body",
    reference: "developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks (Meta payload signature; batched entries, no event id)",
    build,
    ..Preset::DEFAULTS
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

    // Scheme as documented (developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed `sha256=`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["whatsapp-app-secret"],
            &[(
                "X-Hub-Signature-256",
                "sha256=0b2268252ee429377aa4bae5ad03821cddb1c2bd276d627d9b69eacc7cb50e55",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
