//! WooCommerce: `X-WC-Webhook-Signature: <base64 HMAC-SHA256(webhook secret, raw body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "woocommerce",
    default_tolerance: None,
    event_id: Some("header:X-WC-Webhook-Delivery-ID"),
    event_type: Some("header:X-WC-Webhook-Topic"),
    summary: "X-WC-Webhook-Signature: <base64> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-WC-Webhook-Signature"],
    reference: "woocommerce.github.io/woocommerce-rest-api-docs (webhooks)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-WC-Webhook-Signature",
        Algorithm::Sha256,
        Encoding::Base64,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Vector from WooCommerce core's own signer: `WC_Webhook::generate_signature()` in
    // github.com/woocommerce/woocommerce plugins/woocommerce/includes/class-wc-webhook.php @
    // 00e1bc4da70f83469010330e589878684c73a921 (base64 of HMAC-SHA256 with the webhook secret over
    // the encoded payload) produced this signature; run by scripts/provider-vectors/woocommerce.php.
    const SECRET: &str = "wc-secret";
    const BODY: &[u8] = b"{\"id\":727,\"status\":\"processing\",\"total\":\"29.35\"}";
    const SIGNATURE: &str = "VhbBPYmlKCIUbkigp2M4E3oxWXvWcQ1NoLUpF3zoFwI=";

    #[test]
    fn wc_core_signer_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("X-WC-Webhook-Signature", SIGNATURE)],
            BODY,
        )
        .assert_all();
    }
}
