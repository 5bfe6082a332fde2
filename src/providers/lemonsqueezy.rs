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

    // Scheme: docs.lemonsqueezy.com/help/webhooks/signing-requests (hex digest of HMAC-SHA256 of
    // the raw body, `X-Signature`); independent receivers (pockethost PR #380, waptik gist) agree.
    // No published vector: expected value computed with Python `hmac.new(secret, body,
    // hashlib.sha256).hexdigest()`.
    const SECRET: &str = "lemon-signing-secret";
    const BODY: &[u8] = b"{\"meta\":{\"event_name\":\"order_created\",\"webhook_id\":\"wh_1\"},\"data\":{\"id\":\"1\"}}";
    const SIGNATURE: &str = "2924dd5f4e1e6db1495c3dce6b82ad4607270ef29a4965c73c48edbd41d0505a";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(&PRESET, &[SECRET], &[("X-Signature", SIGNATURE)], BODY).assert_all();
    }
}
