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

    // Scheme: twilio.com/docs/segment/connections/destinations/catalog/actions-webhook ("Segment
    // will sign requests with an HMAC in the X-Signature request header. The HMAC is a hex-encoded
    // SHA1 hash generated using the shared secret and the request body"). No published vector:
    // expected value computed with Python `hmac.new(secret, body, hashlib.sha1).hexdigest()`.
    const SECRET: &str = "segment-shared-secret";
    const BODY: &[u8] =
        b"{\"messageId\":\"ajs-next-1\",\"type\":\"track\",\"event\":\"Order Completed\"}";
    const SIGNATURE: &str = "1ac077e803e0dbc4b7cdf58c28a0d70534935a74";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(&PRESET, &[SECRET], &[("X-Signature", SIGNATURE)], BODY).assert_all();
    }
}
