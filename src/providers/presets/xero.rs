//! Xero: `x-xero-signature: <base64 HMAC-SHA256(webhook key, raw body)>`. Intent-to-receive needs
//! 401 on a bad signature, which is the gateway's answer.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "xero",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "x-xero-signature: <base64> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["x-xero-signature"],
    reference: "developer.xero.com webhooks (intent to receive)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "x-xero-signature",
        Algorithm::Sha256,
        Encoding::Base64,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Checked by Xero's official sample app, github.com/XeroAPI/xero-node-oauth2-app src/app.ts
    // @ be704b2d0a10e7ae333a39feea262784e33f1ed2: its `verifyWebhookEventSignature` (base64
    // HMAC-SHA256 of the raw body with the webhook key, `x-xero-signature`) accepts this vector and
    // refuses a tampered body; run by scripts/provider-vectors/xero.cjs.
    const SECRET: &str = "xero-webhook-key";
    const BODY: &[u8] = b"{\"events\":[],\"firstEventSequence\":0,\"lastEventSequence\":0,\"entropy\":\"S0M3R4ND0M\"}";
    const SIGNATURE: &str = "ItUUnPQAn+ZvQXapoQIuAwT38AGQ1vNnUgcmD1p/SEU=";

    #[test]
    fn xero_sample_vector() {
        Vector::new(&PRESET, &[SECRET], &[("x-xero-signature", SIGNATURE)], BODY).assert_all();
    }
}
