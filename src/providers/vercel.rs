//! Vercel: `x-vercel-signature: <hex HMAC-SHA1(webhook secret or integration client secret, raw
//! body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "vercel",
    default_tolerance: None,
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "x-vercel-signature: <hex> HMAC-SHA1 of the raw body",
    family: "hmac-body",
    headers: &["x-vercel-signature"],
    reference: "vercel.com/docs/webhooks/webhooks-api (securing webhooks; event id)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "x-vercel-signature",
        Algorithm::Sha1,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme: vercel.com/docs/webhooks/webhooks-api#securing-webhooks (sha1 HMAC of the raw body,
    // hex, `x-vercel-signature`); trigger.dev's Vercel provider and Hookdeck's vercel-webhooks
    // skill agree. No published vector: expected value computed with Python `hmac.new(secret, body,
    // hashlib.sha1).hexdigest()`.
    const SECRET: &str = "vercel-webhook-secret";
    const BODY: &[u8] = b"{\"id\":\"uev_123\",\"type\":\"deployment.created\",\"payload\":{\"deployment\":{\"id\":\"dpl_1\"}}}";
    const SIGNATURE: &str = "856987468e0fa2d946d88f8ca59bfccc231c0a50";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("x-vercel-signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
