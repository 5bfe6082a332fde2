//! Segment Webhooks destination: `X-Signature: <hex HMAC-SHA1(shared secret, raw body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "segment",
    default_tolerance: None,
    event_id: Some("json:/messageId"),
    event_type: Some("json:/type"),
    summary: "X-Signature: <hex> HMAC-SHA1 of the raw body",
    family: "hmac-body",
    headers: &["X-Signature"],
    reference: "segment.com/docs/connections/destinations/catalog/webhooks",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(settings, "X-Signature", Algorithm::Sha1, Encoding::Hex, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Vector from Segment's own signer: github.com/segmentio/action-destinations
    // packages/destination-actions/src/destinations/webhook/index.ts @
    // 0dc437d4ef68b259d5adb3f632c295a086d6b8e3. Its `extendRequest` produced this `X-Signature` (hex
    // HMAC-SHA1 with the shared secret of `JSON.stringify(payload.data)`, the body the `send` action
    // posts); run by scripts/provider-vectors/segment.cjs.
    const SECRET: &str = "segment-shared-secret";
    const BODY: &[u8] =
        b"{\"messageId\":\"ajs-next-1\",\"type\":\"track\",\"event\":\"Order Completed\"}";
    const SIGNATURE: &str = "1ac077e803e0dbc4b7cdf58c28a0d70534935a74";

    #[test]
    fn action_destinations_signer_vector() {
        Vector::new(&PRESET, &[SECRET], &[("X-Signature", SIGNATURE)], BODY).assert_all();
    }
}
