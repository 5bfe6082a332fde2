//! Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "typeform",
    default_tolerance: None,
    event_id: Some("json:/event_id"),
    event_type: Some("json:/event_type"),
    summary: "Typeform-Signature: sha256=<base64> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["Typeform-Signature"],
    reference: "typeform.com/developers/webhooks/secure-your-webhooks",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "Typeform-Signature",
        Algorithm::Sha256,
        Encoding::Base64,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme: developer.typeform.com/webhooks/secure-your-webhooks ("sha256=" + base64 of the
    // HMAC-SHA256 of the payload) and webhooks.fyi (sha256/base64). No published vector: expected
    // value computed independently with Python `base64.b64encode(hmac.new(secret, body,
    // hashlib.sha256).digest())`.
    const SECRET: &str = "typeform-secret";
    const BODY: &[u8] = b"{\"event_id\":\"01F0Z0\",\"event_type\":\"form_response\",\"form_response\":{\"form_id\":\"lT4Z3j\"}}";
    const SIGNATURE: &str = "sha256=oGL+3WwWnfVtpOkOROy6ilZeEN0kMtX9RYHakuIBD1k=";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("Typeform-Signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
