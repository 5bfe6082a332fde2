//! Paystack: `x-paystack-signature: <hex HMAC-SHA512(secret key, raw body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "paystack",
    default_tolerance: None,
    event_id: None,
    event_type: Some("json:/event"),
    summary: "x-paystack-signature: <hex> HMAC-SHA512 of the raw body",
    family: "hmac-body",
    headers: &["x-paystack-signature"],
    reference: "paystack.com/docs/payments/webhooks (signature validation)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "x-paystack-signature",
        Algorithm::Sha512,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme: paystack.com/docs/payments/webhooks ("Verify event origin": HMAC SHA512 of the
    // payload with your secret key, hex, compared with x-paystack-signature). No published vector:
    // expected value computed with Python `hmac.new(secret, body, hashlib.sha512).hexdigest()`.
    const SECRET: &str = "sk_test_hookgate";
    const BODY: &[u8] =
        b"{\"event\":\"charge.success\",\"data\":{\"id\":302961,\"reference\":\"qTPrJoy9Bx\"}}";
    const SIGNATURE: &str = "4b7a1430778cbb8b55c484f713344529fec16fa82c9bb5adafed5df8c0558dfaef6c786ae283db00b73432b3289ce4a1f50194bebed405f5c020faf9f8d7c734";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("x-paystack-signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
