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

    // Scheme: developer.xero.com/documentation/guides/webhooks/configuring-your-server (HMAC-SHA256
    // of the payload with the webhook key, base64, `x-xero-signature`; intent-to-receive expects
    // 200/401) and webhooks.fyi. No published vector: expected value computed with Python
    // `base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())`.
    const SECRET: &str = "xero-webhook-key";
    const BODY: &[u8] = b"{\"events\":[],\"firstEventSequence\":0,\"lastEventSequence\":0,\"entropy\":\"S0M3R4ND0M\"}";
    const SIGNATURE: &str = "ItUUnPQAn+ZvQXapoQIuAwT38AGQ1vNnUgcmD1p/SEU=";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(&PRESET, &[SECRET], &[("x-xero-signature", SIGNATURE)], BODY).assert_all();
    }
}
