//! Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:{ts}:{raw body}")>` with
//! `X-Slack-Request-Timestamp`; 5 minutes. Answers `url_verification` with its `challenge`.
//! Source: slackapi/python-slack-sdk `slack_sdk/signature/__init__.py` and its tests.

use std::time::Duration;

use crate::providers::families::common::{self, Algorithm, Encoding, TimestampFormat};
use crate::providers::families::handshake::Handshake;
use crate::providers::families::parts_hmac::{Part, PartsHmac, Shape, TimestampHeader};
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "slack",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/event_id"),
    dedup_scope: crate::providers::DedupScope::Fields(&["json:/api_app_id"]),
    event_type: Some("json:/type"),
    summary: "X-Slack-Signature: v0=<hex> HMAC-SHA256 of \"v0:{X-Slack-Request-Timestamp}:{body}\"",
    family: "hmac-timestamped",
    headers: &["X-Slack-Signature", "X-Slack-Request-Timestamp"],
    reference: "python-slack-sdk SignatureVerifier (|now - ts| <= 300 s); api.slack.com Events API (event_id kept on retries)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "X-Slack-Signature",
    prefix: "v0=",
    list_separator: None,
    encoding: Encoding::Hex,
    algorithm: Algorithm::Sha256,
    timestamp: Some(TimestampHeader {
        header: "X-Slack-Request-Timestamp",
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

fn handshake(_scheme: &PartsHmac, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
    if common::json_text(req.body, "/type")? != "url_verification" {
        return None;
    }
    let challenge = common::json_text(req.body, "/challenge")?;
    Some(LocalResponse {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::json!({ "challenge": challenge })
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

    // vectors.json slack-01 / -02-tampered: slackapi/python-slack-sdk
    // tests/slack_sdk/signature/test_signature_verifier.py @0756c47d (values from Slack's
    // "Verifying requests from Slack" docs).
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    #[test]
    fn slack_sdk_vector() {
        let v = Vector {
            now: secs(1_531_420_618),
            ..Vector::new(
                &PRESET,
                &["8f742231b10e8888abcd99yyyzzz85a5"],
                &[
                    (
                        "X-Slack-Signature",
                        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
                    ),
                    ("X-Slack-Request-Timestamp", "1531420618"),
                ],
                BODY,
            )
        };
        v.assert_all();
        let mut tampered = BODY.to_vec();
        tampered.extend_from_slice(b"&foo=bar");
        assert_eq!(v.verify_body(&tampered), Err(Rejection::BadSignature));
        assert_eq!(
            v.verify_at(secs(1_531_420_618 + 301)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            v.verify_at(secs(1_531_420_618 - 301)),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn url_verification_is_answered() {
        let s = scheme(&PRESET, &["secret"], None);
        let map = headers(&[]);
        let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/slack",
            headers: &map,
            body,
            now: secs(0),
        };
        let answer = s.signed_challenge(&req).unwrap();
        assert_eq!(answer.status, 200);
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(
            json["challenge"],
            "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        );
        let event = WebhookRequest {
            body: br#"{"type":"event_callback","event_id":"Ev1"}"#,
            ..req
        };
        assert!(s.signed_challenge(&event).is_none());
    }
}
