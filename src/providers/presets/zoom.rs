//! Zoom: `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:{ts}:{raw body}")>` with
//! `x-zm-request-timestamp`; 5 minutes. Answers `endpoint.url_validation` with
//! `{"plainToken", "encryptedToken": hex(HMAC-SHA256(secret token, plainToken))}`.
//! Source: developers.zoom.us/docs/api/webhooks ("Verify webhook events", "Validate your webhook
//! endpoint").

use std::time::Duration;

use crate::providers::families::common::{self, Algorithm, Encoding, TimestampFormat};
use crate::providers::families::handshake::Handshake;
use crate::providers::families::parts_hmac::{Part, PartsHmac, Shape, TimestampHeader};
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "zoom",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: None,
    event_type: Some("json:/event"),
    summary: "x-zm-signature: v0=<hex> HMAC-SHA256 of \"v0:{x-zm-request-timestamp}:{body}\"",
    family: "hmac-timestamped",
    headers: &["x-zm-signature", "x-zm-request-timestamp"],
    reference:
        "developers.zoom.us/docs/api/webhooks (no window given: 300 s both ways is hookgate's)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "x-zm-signature",
    prefix: "v0=",
    list_separator: None,
    encoding: Encoding::Hex,
    algorithm: Algorithm::Sha256,
    timestamp: Some(TimestampHeader {
        header: "x-zm-request-timestamp",
        format: TimestampFormat::UnixSeconds,
    }),
    id_header: None,
    parts: &[
        Part::Lit("v0:"),
        Part::Timestamp,
        Part::Lit(":"),
        Part::Body,
    ],
};

fn handshake(scheme: &PartsHmac, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
    if common::json_text(req.body, "/event")? != "endpoint.url_validation" {
        return None;
    }
    let plain = common::json_text(req.body, "/payload/plainToken")?;
    // Answer with the secret the request was signed with (several during rotation).
    let secret = scheme.matching_secret(req)?;
    let encrypted = common::hmac_parts(Algorithm::Sha256, secret.bytes(), &[plain.as_bytes()]);
    Some(LocalResponse {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::json!({ "plainToken": plain, "encryptedToken": hex::encode(encrypted) })
            .to_string()
            .into_bytes(),
    })
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    Ok(Handshake::after_verify(
        SHAPE.scheme(settings, &PRESET)?,
        handshake,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, scheme, secs, Vector};
    use crate::providers::Rejection;

    // Official sample output: Zoom's zoom/webhook-sample index.js @
    // e4d48a7729dfb90234ccb6c60dd395a4be1a0e96, run unchanged with ZOOM_WEBHOOK_SECRET_TOKEN =
    // "zoom-secret-token", answers 200 to both requests below, 401 to an altered body or another
    // x-zm-request-timestamp, and computes the url_validation encryptedToken pinned below:
    // scripts/provider-vectors/zoom.mjs. The sample checks no time: the 300 s window is hookgate's.
    const BODY: &[u8] = b"{\"event\":\"meeting.started\",\"payload\":{\"account_id\":\"AAAAAABBBB\",\"object\":{\"id\":\"1234567890\"}},\"event_ts\":1700000000123}";

    #[test]
    fn official_sample_vector() {
        let v = Vector {
            now: secs(1_700_000_000),
            ..Vector::new(
                &PRESET,
                &["zoom-secret-token"],
                &[
                    (
                        "x-zm-signature",
                        "v0=7ab7f0802c36d79106536e9ae220382d42fe78bbdc1ee69e9cc3fa5825a363ec",
                    ),
                    ("x-zm-request-timestamp", "1700000000"),
                ],
                BODY,
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn url_validation_is_answered_with_the_matching_secret() {
        let s = scheme(&PRESET, &["rotated-out", "zoom-secret-token"], None);
        let map = headers(&[
            (
                "x-zm-signature",
                "v0=ba768393d94fd822a51891431be8f657ffd96defca0b2f5f74509553e4c30ff3",
            ),
            ("x-zm-request-timestamp", "1700000000"),
        ]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/zoom",
            headers: &map,
            body: br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1700000000123,"event":"endpoint.url_validation"}"#,
            now: secs(1_700_000_000),
        };
        assert_eq!(s.verify(&req), Ok(()));
        let answer = s.signed_challenge(&req).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(json["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(
            json["encryptedToken"],
            "d9e0d764a78494688ba3f2d5c0ed4ca311394b4834d959759213424d2df961e3"
        );
    }
}
