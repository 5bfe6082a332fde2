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

    // Scheme as documented (docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).digest()` (base64), prefixed `sha256=`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["twitter-consumer-secret"],
            &[(
                "X-Twitter-Webhooks-Signature",
                "sha256=CnehtemxtmWJ020pZuX8AN8Oi5Avhi6Ae7MzP+Wxpy0=",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
