//! Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256(signature key, notification URL +
//! raw body)>`. The URL is the route's public URL and must equal the one registered with Square.
//! Source: square/square-python-sdk `src/square/utils/webhooks_helper.py` and tests.

use crate::providers::families::common::{Algorithm, Encoding};
use crate::providers::families::parts_hmac::{Part, Shape};
use crate::providers::{DedupScope, Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "square",
    default_tolerance: None,
    event_id: Some("json:/event_id"),
    // One event ID to every subscription/endpoint; each has its own secret (issue 20 fault 7).
    dedup_scope: DedupScope::Secret,
    event_type: Some("json:/type"),
    summary: "x-square-hmacsha256-signature: <base64> HMAC-SHA256 of public URL + body",
    family: "hmac-url",
    headers: &["x-square-hmacsha256-signature"],
    reference:
        "square-python-sdk utils/webhooks_helper.py; developer.squareup.com webhooks (event_id)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "x-square-hmacsha256-signature",
    prefix: "",
    list_separator: None,
    encoding: Encoding::Base64,
    algorithm: Algorithm::Sha256,
    timestamp: None,
    id_header: None,
    parts: &[Part::Url, Part::Body],
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // vectors.json square-01, -02-escaped, -03-url-mismatch: square-python-sdk
    // tests/integration/test_webhooks_helper.py @24302bac.
    const BODY: &[u8] = b"{\"merchant_id\":\"MLEFBHHSJGVHD\",\"type\":\"webhooks.test_notification\",\"event_id\":\"ac3ac95b-f97d-458c-a6e6-18981597e05f\",\"created_at\":\"2022-07-13T20:30:59.037339943Z\",\"data\":{\"type\":\"webhooks\",\"id\":\"bc368e64-01aa-407e-b46e-3231809b1129\"}}";

    #[test]
    fn square_sdk_vectors() {
        let v = Vector {
            url: "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
            ..Vector::new(
                &PRESET,
                &["Ibxx_5AKakO-3qeNVR61Dw"],
                &[(
                    "x-square-hmacsha256-signature",
                    "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=",
                )],
                BODY,
            )
        };
        v.assert_all();
        let mismatch = Vector {
            url: "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9",
            ..v
        };
        assert_eq!(mismatch.verify(), Err(Rejection::BadSignature));
        let escaped = Vector {
            url: "https://webhook.site/webhooks",
            ..Vector::new(
                &PRESET,
                &["signature-key"],
                &[(
                    "x-square-hmacsha256-signature",
                    "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
                )],
                b"{\"data\":{\"type\":\"webhooks\",\"id\":\">id<\"}}",
            )
        };
        assert_eq!(escaped.verify(), Ok(()));
    }
}
