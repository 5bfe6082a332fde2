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

    // Docs-sample check: the Node.js (Express) sample of typeform.com/developers/webhooks/
    // secure-your-webhooks, run unchanged (its own `verifySignature`), accepts this vector and
    // refuses it with a tampered body or another secret: scripts/provider-vectors/typeform.mjs.
    // (Typeform's SDK, @typeform/api-client@2.10.4, has no webhook verification.)
    const SECRET: &str = "typeform-secret";
    const BODY: &[u8] = b"{\"event_id\":\"01F0Z0\",\"event_type\":\"form_response\",\"form_response\":{\"form_id\":\"lT4Z3j\"}}";
    const SIGNATURE: &str = "sha256=oGL+3WwWnfVtpOkOROy6ilZeEN0kMtX9RYHakuIBD1k=";

    #[test]
    fn docs_sample_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("Typeform-Signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
