//! Gusto: `X-Gusto-Signature: <hex HMAC-SHA256(verification_token, raw body)>`.
//! Source: docs.gusto.com/app-integrations/docs/webhooks (verifying; event uuid); checked against
//! the Rails receiver Gusto published in its API docs (see the test vector's comment).

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

    // Gusto's own receiver code: the Rails `verify_response_origin` published in Gusto's API docs
    // (repository github.com/Gusto/gusto.github.io, CNAME docs.gusto.com, @
    // 5e6daa8d681d2baec01a1f917611d324ca45edd0, `_posts/2018-11-16-webhooks-about.markdown`,
    // "Verification"), run unchanged under Ruby 3.1.2's OpenSSL by
    // scripts/provider-vectors/gusto.rb, accepts this X-Gusto-Signature and answers 400 for a
    // tampered body, another token or another signature. The token is the verification_token
    // example of docs.gusto.com/app-integrations/docs/webhooks (whose "Verifying event integrity"
    // states the same scheme) and the body Gusto's documented example event. Gusto prints no
    // signature with its key, and its SDKs (npm @gusto/embedded-api@1.0.0, PyPI
    // gusto-embedded@0.2.4, gusto-app-integration@0.2.4) have no webhook verification.
    const TOKEN: &str = "6590f590-3dba-495e-9bea-c361e1e2efc0";
    const BODY: &[u8] = br#"{"uuid":"f7397a24-57ad-4fae-b011-d258e8232900","event_type":"company.provisioned","resource_type":"Company","resource_uuid":"5df911a0-e8e9-412d-8aaf-a46ad193dd96","entity_type":"Company","entity_uuid":"5df911a0-e8e9-412d-8aaf-a46ad193dd96","timestamp":1671058841}"#;
    const SIGNATURE: &str = "11e15d48dc902299acfab62cda72cbb3b17de7a274b786adeae51c0057cbdbe0";

    #[test]
    fn docs_receiver_vector() {
        Vector::new(&PRESET, &[TOKEN], &[("X-Gusto-Signature", SIGNATURE)], BODY).assert_all();
    }
}
