//! Microsoft Teams outgoing webhooks: `Authorization: HMAC <base64 HMAC-SHA256(key, raw body)>`; the secret is the security token Teams shows, and the key is its base64 decoding.
//! Source: learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook (verify HMAC; activity id).

use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

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
    use crate::providers::families::testkit::Vector;

    // Official-sample check: Microsoft's outgoing-webhook Node sample
    // (OfficeDev/msteams-samples-outgoing-webhook-nodejs app.js@51eab0a; the same HMAC check is
    // in OfficeDev/Microsoft-Teams-Samples samples/outgoing-webhook/nodejs/app.js@7cf3c96), run
    // unchanged but for its placeholder token, set to the example token its comment prints,
    // answers "You typed" to this request and refuses it with a tampered body:
    // scripts/provider-vectors/teams.mjs.
    #[test]
    fn official_sample_vector() {
        // The key is the base64 decoding of the configured secret, so signing uses it too.
        let v = Vector {
            // Another base64 key (the secret must be base64).
            wrong_secrets: &["b3RoZXIta2V5LWJ5dGVz"],
            ..Vector::new(
                &PRESET,
                &["+ZaRRMC8+mpnfGaGsBOmkIFt98bttL5YQRq3p2tXgcE="],
                &[(
                    "Authorization",
                    "HMAC juSpkl/y9LUWBszqIIbHJTR3qgj5BPtxtJnm2kY9EVA=",
                )],
                br#"{"type":"message","id":"1485983408511","timestamp":"2017-02-01T21:10:07.437Z","text":"<at>Bot</at> hello","from":{"id":"29:1","name":"Tim"}}"#,
            )
        };
        v.assert_all();
    }
}
