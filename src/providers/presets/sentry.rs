//! Sentry integration platform: `Sentry-Hook-Signature: <hex HMAC-SHA256(client secret, raw
//! body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "sentry",
    default_tolerance: None,
    event_id: Some("header:Request-ID"),
    event_type: Some("header:Sentry-Hook-Resource"),
    summary: "Sentry-Hook-Signature: <hex> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["Sentry-Hook-Signature"],
    reference: "docs.sentry.io integration-platform/webhooks (Request-ID)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "Sentry-Hook-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Checked by Sentry's official integration example, github.com/getsentry/integration-platform-example
    // backend-py/src/api/middleware/verify_sentry_signature.py @
    // 10cf516b6bb68f5055e6c0f6ce84c07530a8c267: its `is_correct_sentry_signature` (hex HMAC-SHA256 of
    // the raw body with the client secret) accepts this vector and refuses a tampered body; run by
    // scripts/provider-vectors/sentry.py.
    const SECRET: &str = "sentry-client-secret";
    const BODY: &[u8] = b"{\"action\":\"created\",\"data\":{\"issue\":{\"id\":\"1170820242\"}},\"installation\":{\"uuid\":\"7a485448\"}}";
    const SIGNATURE: &str = "781ae2bcbec398e53405772ac536ccd137574d4d94ce08a81094ca80359fe758";

    #[test]
    fn integration_example_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("Sentry-Hook-Signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
