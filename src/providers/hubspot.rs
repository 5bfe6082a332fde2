//! HubSpot (signature v3): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256(client secret,
//! method + uri + raw body + timestamp)>` with `X-HubSpot-Request-Timestamp` in **milliseconds**;
//! 5 minutes. `uri` is the route's public URL, exactly as HubSpot called it. v1/v2 (plain SHA-256,
//! no timestamp) are not accepted.
//! Source: HubSpot/hubspot-api-python `hubspot/utils/signature.py` and tests.

use std::time::Duration;

use super::common::{Algorithm, Encoding, TimestampFormat};
use super::parts_hmac::{Part, Shape, TimestampHeader};
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "hubspot",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: None,
    event_type: None,
    summary: "X-HubSpot-Signature-v3: <base64> HMAC-SHA256 of method + public URL + body + timestamp (ms)",
    build,
};

static SHAPE: Shape = Shape {
    header: "X-HubSpot-Signature-v3",
    prefix: "",
    list_separator: None,
    encoding: Encoding::Base64,
    algorithm: Algorithm::Sha256,
    timestamp: Some(TimestampHeader {
        header: "X-HubSpot-Request-Timestamp",
        format: TimestampFormat::UnixMillis,
    }),
    id_header: None,
    parts: &[Part::Method, Part::Url, Part::Body, Part::Timestamp],
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;
    use crate::providers::Rejection;

    // vectors.json hubspot-v3-01: HubSpot/hubspot-api-python tests/spec/utils/test_signature.py
    // @83aedb04. Its timestamp (15000000 ms) is artificial, so it is verified at that instant.
    #[test]
    fn hubspot_python_v3_vector() {
        let v = Vector {
            now: Duration::from_millis(15_000_000),
            wrong_secrets: &["xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"],
            url: "https://www.example.com/webhook_uri",
            ..Vector::new(
                &PRESET,
                &["yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"],
                &[
                    (
                        "X-HubSpot-Signature-v3",
                        "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=",
                    ),
                    ("X-HubSpot-Request-Timestamp", "15000000"),
                ],
                b"{'example_field':'example_value'}",
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(Duration::from_millis(15_000_000 + 300_001)),
            Err(Rejection::StaleTimestamp)
        );
        let other_url = Vector {
            url: "https://www.example.com/other_uri",
            ..v
        };
        assert_eq!(other_url.verify(), Err(Rejection::BadSignature));
        let get = Vector { method: "GET", ..v };
        assert_eq!(get.verify(), Err(Rejection::BadSignature));
    }
}
