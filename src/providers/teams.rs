//! Microsoft Teams outgoing webhooks: `Authorization: HMAC <base64 HMAC-SHA256(key, raw body)>`; the secret is the security token Teams shows, and the key is its base64 decoding.
//! Source: learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook (verify HMAC; activity id).

use super::common::{self, Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "teams",
    family: "hmac-body",
    headers: &["Authorization"],
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "Authorization: HMAC <base64> HMAC-SHA-256 of the raw body; key = base64 of the secret",
    reference: "learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook (verify HMAC; activity id)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    let mut scheme = BodyHmac::for_preset(
        settings,
        "Authorization",
        Algorithm::Sha256,
        Encoding::Base64,
        "HMAC ",
    )?;
    scheme.secrets = common::base64_keys(settings.secrets)?;
    Ok(Box::new(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme as documented (learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).digest()` (base64), prefixed `HMAC `.
    #[test]
    fn documented_scheme_vector() {
        // The key is the base64 decoding of the configured secret, so signing uses it too.
        let v = Vector {
            // Another base64 key (the secret must be base64).
            wrong_secrets: &["b3RoZXIta2V5LWJ5dGVz"],
            ..Vector::new(
                &PRESET,
                &["dGVhbXMtc2VjdXJpdHktdG9rZW4tYnl0ZXMtMDEyMzQ1Njc4OQ=="],
                &[(
                    "Authorization",
                    "HMAC R/lmR6W34HCv5CcFdmVCCq2vSBJQhEDmDqOfBhDBUgQ=",
                )],
                br#"{"id":"evt_1","type":"ping"}"#,
            )
        };
        v.assert_all();
    }
}
