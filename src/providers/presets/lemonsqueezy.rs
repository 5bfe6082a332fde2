//! Lemon Squeezy: `X-Signature: <hex HMAC-SHA256(signing secret, raw body)>`; event name in
//! `X-Event-Name`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "lemonsqueezy",
    default_tolerance: None,
    event_id: None,
    event_type: Some("header:X-Event-Name"),
    summary: "X-Signature: <hex> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-Signature"],
    reference: "docs.lemonsqueezy.com/help/webhooks/signing-requests",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Checked by Lemon Squeezy's official Next.js billing sample, github.com/lmsqueezy/nextjs-billing
    // src/app/api/webhook/route.ts @ 0a73f083f6f977629e9b6ad7c432361e08c09cbf: its POST handler (hex
    // HMAC-SHA256 of the raw body in `X-Signature`) answers 200 to this vector and 400 to a tampered
    // body; run by scripts/provider-vectors/lemonsqueezy.cjs.
    const SECRET: &str = "lemon-signing-secret";
    const BODY: &[u8] = b"{\"meta\":{\"event_name\":\"order_created\",\"webhook_id\":\"wh_1\"},\"data\":{\"id\":\"1\"}}";
    const SIGNATURE: &str = "2924dd5f4e1e6db1495c3dce6b82ad4607270ef29a4965c73c48edbd41d0505a";

    #[test]
    fn nextjs_billing_sample_vector() {
        Vector::new(&PRESET, &[SECRET], &[("X-Signature", SIGNATURE)], BODY).assert_all();
    }
}
