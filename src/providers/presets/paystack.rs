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
    // payload with your secret key, hex, compared with x-paystack-signature). Vector accepted by
    // the docs' own PHP receiver, run unchanged: Paystack's docs-snippet repository
    // github.com/PaystackOSS/doc-code-snippets @ a3635f8198098e4bcba932ed64e7eb6ad6c64337,
    // src/doc/payments/webhooks/verifying-transaction/index.php (PHP 8.2.36), which also rejects
    // the altered body, the upper-case hex and the missing header. The secret is the snippet's own
    // placeholder key. Script: scripts/provider-vectors/paystack.php.
    const SECRET: &str = "SECRET_KEY";
    const BODY: &[u8] =
        b"{\"event\":\"charge.success\",\"data\":{\"id\":302961,\"reference\":\"qTPrJoy9Bx\"}}";
    const SIGNATURE: &str = "447e32077c1c8887fa54ca55c3e0d7791dddbff50e82858e3b84fb1728536cfc6c09b9cca8fd14a8cb3aa5c1de27e65b150ce8b2b6653c0acf2c7b274aff6394";

    #[test]
    fn docs_receiver_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("x-paystack-signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
