//! Gusto: `X-Gusto-Signature: <hex HMAC-SHA256(verification_token, raw body)>`.
//! Source: docs.gusto.com/app-integrations/docs/webhooks (verifying; event uuid).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "gusto",
    family: "hmac-body",
    headers: &["X-Gusto-Signature"],
    event_id: Some("json:/uuid"),
    event_type: Some("json:/event_type"),
    summary: "X-Gusto-Signature: <hex> HMAC-SHA-256 of the raw body",
    reference: "docs.gusto.com/app-integrations/docs/webhooks (verifying; event uuid)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Gusto-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme as documented (docs.gusto.com/app-integrations/docs/webhooks). Not yet proven by
    // Gusto: the docs print no signature with its key, and Gusto's SDKs (npm
    // @gusto/embedded-api@1.0.0, PyPI gusto-embedded@0.2.4 and gusto-app-integration@0.2.4) have no
    // webhook verification. The expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["gusto-verification-token"],
            &[(
                "X-Gusto-Signature",
                "37c3cb63dbf966253382e58b25ab3de6220968826726d98e7a3c4d3a8fd23dde",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
