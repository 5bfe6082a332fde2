//! Meta (Facebook / Messenger Graph API webhooks): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. The `GET hub.challenge` subscription handshake is not answered by the gateway.
//! Source: developers.facebook.com/docs/graph-api/webhooks/getting-started (validating payloads; batched entries, no event id).

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
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["meta-app-secret"],
            &[(
                "X-Hub-Signature-256",
                "sha256=20edcc8c6e57624dc6ab0ce0d48710e1944ae48ffbaa9e1b43bce7d91749ddf0",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
