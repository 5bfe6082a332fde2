//! Razorpay: `X-Razorpay-Signature: <hex HMAC-SHA256(webhook secret, raw body)>`.
//! Source: razorpay/razorpay-python `razorpay/utility/utility.py` (verify_webhook_signature) and its
//! tests.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "razorpay",
    default_tolerance: None,
    event_id: Some("header:x-razorpay-event-id"),
    event_type: Some("json:/event"),
    summary: "X-Razorpay-Signature: <hex> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-Razorpay-Signature"],
    reference: "razorpay.com/docs/webhooks/validate-test (x-razorpay-event-id for idempotency)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Razorpay-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // vectors.json razorpay-01: razorpay-python tests/test_client_utility.py @0146d4d9 with
    // tests/mocks/fake_payment_authorized_webhook.json (verbatim, trailing LF included).
    #[test]
    fn razorpay_python_vector() {
        Vector::new(
            &PRESET,
            &["key_secret"],
            &[(
                "X-Razorpay-Signature",
                "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9",
            )],
            include_bytes!("testdata/razorpay_payload.json"),
        )
        .assert_all();
    }
}
