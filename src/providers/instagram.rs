//! Instagram (Meta webhooks): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
//! Source: developers.facebook.com/docs/instagram-platform/webhooks (Meta payload signature; batched entries, no event id).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "instagram",
    family: "hmac-body",
    headers: &["X-Hub-Signature-256"],
    event_id: None,
    event_type: Some("json:/object"),
    summary: "X-Hub-Signature-256: sha256=<hex> HMAC-SHA-256 of the raw body",
    reference: "developers.facebook.com/docs/instagram-platform/webhooks (Meta payload signature; batched entries, no event id)",
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

    // Scheme as documented (developers.facebook.com/docs/instagram-platform/webhooks); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed `sha256=`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["instagram-app-secret"],
            &[(
                "X-Hub-Signature-256",
                "sha256=217bb3723dc33f31f26e621bfb0a97f230e8c343bf3330278d33d66d176bf816",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
