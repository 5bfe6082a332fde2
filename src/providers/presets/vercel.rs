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
    // hex, `x-vercel-signature`; integrations sign with their client secret). Vector produced by
    // the `sha1` signer of Vercel's official integration sample and accepted by its webhook
    // handler, run unchanged (types stripped): github.com/vercel/example-marketplace-integration @
    // 4b971cff5c78f6c43e01bd13ff6bc34d84bfe6a3, app/webhook/route.ts (`POST`, `sha1`; Node 20),
    // which refuses the tampered body, an altered signature and a missing header. Script:
    // scripts/provider-vectors/vercel.cjs.
    const SECRET: &str = "vercel-integration-client-secret";
    const BODY: &[u8] = b"{\"id\":\"uev_123\",\"type\":\"deployment.created\",\"payload\":{\"deployment\":{\"id\":\"dpl_1\"}}}";
    const SIGNATURE: &str = "0a9e5f1c2619c33006ec4cb2c0955df3b34b945a";

    #[test]
    fn official_sample_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("x-vercel-signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
