//! Worldline (Connect / Ingenico ePayments and Online Payments): `X-GCS-Signature: <base64
//! HMAC-SHA256(secret, raw body)>`, with `X-GCS-KeyId` naming the key; every configured secret is
//! tried (rotation). The `GET` endpoint-verification echo is not answered by the gateway.
//! Source: Ingenico-ePayments/connect-sdk-php `tests/Ingenico/Connect/Sdk/Webhooks/WebhooksHelperTest.php`.

use crate::providers::families::common::{Algorithm, Encoding};
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "worldline",
    family: "hmac-body",
    headers: &["X-GCS-Signature", "X-GCS-KeyId"],
    event_id: Some("json:/id"),
    dedup_scope: crate::providers::DedupScope::Secret,
    event_type: Some("json:/type"),
    summary: "X-GCS-Signature: <base64> HMAC-SHA256 of the raw body (X-GCS-KeyId names the key)",
    reference: "connect-sdk-php WebhooksHelperTest; docs.connect.worldline-solutions.com webhooks (event id)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-GCS-Signature",
        Algorithm::Sha256,
        Encoding::Base64,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // vectors.json worldline-connect-01: connect-sdk-php WebhooksHelperTest.php @81502159
    // (secret "hello+world", LF line endings, no trailing newline).
    const BODY: &str = "{\n  \"apiVersion\": \"v1\",\n  \"id\": \"8ee793f6-4553-4749-85dc-f2ef095c5ab0\",\n  \"created\": \"2017-02-02T11:24:14.040+0100\",\n  \"merchantId\": \"20000\",\n  \"type\": \"payment.paid\",\n  \"payment\": {\n    \"id\": \"00000200000143570012\",\n    \"paymentOutput\": {\n      \"amountOfMoney\": {\n        \"amount\": 1000,\n        \"currencyCode\": \"EUR\"\n      },\n      \"references\": {\n        \"paymentReference\": \"200001681810\"\n      },\n      \"paymentMethod\": \"bankTransfer\",\n      \"bankTransferPaymentMethodSpecificOutput\": {\n        \"paymentProductId\": 11\n      }\n    },\n    \"status\": \"PAID\",\n    \"statusOutput\": {\n      \"isCancellable\": false,\n      \"statusCategory\": \"COMPLETED\",\n      \"statusCode\": 1000,\n      \"statusCodeChangeDateTime\": \"20170202112414\",\n      \"isAuthorized\": true\n    }\n  }\n}";

    #[test]
    fn connect_sdk_vector() {
        let v = Vector::new(
            &PRESET,
            &["hello+world"],
            &[
                (
                    "X-GCS-Signature",
                    "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=",
                ),
                ("X-GCS-KeyId", "dummy-key-id"),
            ],
            BODY.as_bytes(),
        );
        v.assert_all();
    }
}
