//! X (Twitter) Account Activity: `X-Twitter-Webhooks-Signature: sha256=<base64 HMAC-SHA256(consumer secret, raw body)>`. The CRC `GET crc_token` check is not answered by the gateway.
//! Source: docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity (securing webhooks).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "twitter",
    family: "hmac-body",
    headers: &["X-Twitter-Webhooks-Signature"],
    event_id: None,
    event_type: None,
    summary: "X-Twitter-Webhooks-Signature: sha256=<base64> HMAC-SHA-256 of the raw body",
    reference:
        "docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity (securing webhooks)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Twitter-Webhooks-Signature",
        Algorithm::Sha256,
        Encoding::Base64,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Published vector: twitterdev's official `twitter-autohook` test fixture
    // (twitterdev/autohook test/signature.js@b872e84, consumer_secret "test"), which its
    // `validateSignature` (npm twitter-autohook@1.7.2) accepts and rejects tampered:
    // scripts/provider-vectors/twitter.mjs.
    #[test]
    fn published_vector() {
        let v = Vector::new(
            &PRESET,
            &["test"],
            &[(
                "X-Twitter-Webhooks-Signature",
                "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI=",
            )],
            br#"{"test_number":1,"test_string":"two"}"#,
        );
        v.assert_all();
    }
}
