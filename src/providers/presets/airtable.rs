//! Airtable: `X-Airtable-Content-MAC: hmac-sha256=<hex HMAC-SHA256(key, raw body)>`; the secret is the webhook's `macSecretBase64` as given, and the key is its base64 decoding.
//! Source: airtable.com/developers/web/api/webhooks-overview (notification MAC; macSecretBase64).

use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "airtable",
    family: "hmac-body",
    headers: &["X-Airtable-Content-MAC"],
    event_id: None,
    event_type: None,
    summary: "X-Airtable-Content-MAC: hmac-sha256=<hex> HMAC-SHA-256 of the raw body; key = base64 of the secret",
    reference: "airtable.com/developers/web/api/webhooks-overview (notification MAC; macSecretBase64)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    let mut scheme = BodyHmac::for_preset(
        settings,
        "X-Airtable-Content-MAC",
        Algorithm::Sha256,
        Encoding::Hex,
        "hmac-sha256=",
    )?;
    scheme.secrets = common::base64_keys(settings.secrets)?;
    Ok(Box::new(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // Docs-sample output: the verification snippet of airtable.com/developers/web/api/
    // webhooks-overview (notification delivery), run unchanged with this macSecretBase64 and
    // notification, prints this X-Airtable-Content-MAC: scripts/provider-vectors/airtable.mjs.
    // (Airtable's SDK, npm airtable@0.12.2, has no webhook verification.)
    #[test]
    fn docs_sample_vector() {
        // The key is the base64 decoding of the configured secret, so signing uses it too.
        let v = Vector {
            // Another base64 key (the secret must be base64).
            wrong_secrets: &["b3RoZXIta2V5LWJ5dGVz"],
            ..Vector::new(
                &PRESET,
                &["YWlydGFibGUtbWFjLXNlY3JldC0zMi1ieXRlcy1sb25nISE="],
                &[(
                    "X-Airtable-Content-MAC",
                    "hmac-sha256=341cc93cca7eabb854984aa40ab9e2b8fe1e5c9fab5aa0a5fb392183754df89d",
                )],
                br#"{"base":{"id":"app00000000000000"},"webhook":{"id":"ach00000000000000"},"timestamp":"2022-02-01T21:25:05.663Z"}"#,
            )
        };
        v.assert_all();
    }
}
