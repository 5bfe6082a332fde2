//! Coinbase Commerce: `X-CC-Webhook-Signature: <hex HMAC-SHA256(shared secret, raw body)>`.
//! Source: coinbase/coinbase-commerce-node `lib/resources/Webhook.js` and `test/testWebhook.spec.js`.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "coinbase",
    default_tolerance: None,
    event_id: Some("json:/event/id"),
    event_type: Some("json:/event/type"),
    summary: "X-CC-Webhook-Signature: <hex> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-CC-Webhook-Signature"],
    reference: "coinbase-commerce-node testWebhook.spec.js",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-CC-Webhook-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // vectors.json coinbase-commerce-01 and -02-wrong-secret: coinbase-commerce-node
    // test/testWebhook.spec.js @003e0194.
    #[test]
    fn coinbase_commerce_node_vectors() {
        Vector {
            wrong_secrets: &["30291a20-0bd1-4267-9b0f-e6e7b123c0bg"],
            ..Vector::new(
                &PRESET,
                &["30291a20-0bd1-4267-9b0f-e6e7b123c0bf"],
                &[(
                    "X-CC-Webhook-Signature",
                    "8be7742c7d372f08a6a3224edadf18a22b65fa9e28f3f2de97376cdaa092590d",
                )],
                include_bytes!("testdata/coinbase_commerce.json"),
            )
        }
        .assert_all();
    }
}
