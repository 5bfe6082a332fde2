//! Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(app client secret, raw body)>`.
//! Source: Shopify/shopify-app-js `packages/apps/shopify-api/lib/webhooks/__tests__/validate.test.ts`.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "shopify",
    default_tolerance: None,
    event_id: Some("header:X-Shopify-Webhook-Id"),
    event_type: Some("header:X-Shopify-Topic"),
    summary: "X-Shopify-Hmac-Sha256: <base64> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-Shopify-Hmac-Sha256"],
    reference: "shopify-app-js webhooks/validate; shopify.dev webhooks (X-Shopify-Webhook-Id per delivery, kept on retries)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Shopify-Hmac-Sha256",
        Algorithm::Sha256,
        Encoding::Base64,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // vectors.json shopify-01: shopify-app-js validate.test.ts @01fe9dac (secret = test-config.ts
    // apiSecretKey, headers from lib/webhooks/__tests__/utils.ts).
    #[test]
    fn shopify_app_js_vector() {
        Vector::new(
            &PRESET,
            &["test_secret_key"],
            &[
                (
                    "X-Shopify-Hmac-Sha256",
                    "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
                ),
                ("X-Shopify-Topic", "products/create"),
                ("X-Shopify-Shop-Domain", "shop1.myshopify.io"),
                ("X-Shopify-API-Version", "2023-01"),
                ("X-Shopify-Webhook-Id", "123456789"),
            ],
            b"{\"foo\": \"bar\"}",
        )
        .assert_all();
    }
}
