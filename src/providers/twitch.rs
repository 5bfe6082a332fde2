//! Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256(secret,
//! message id + timestamp + raw body)>`, with `Twitch-Eventsub-Message-Id` and
//! `-Message-Timestamp` (RFC 3339); 10 minutes. Answers `webhook_callback_verification` by echoing
//! the `challenge` as text/plain.
//! Source: dev.twitch.tv/docs/eventsub/handling-webhook-events ("Verifying the event message").

use std::time::Duration;

use super::common::{self, Algorithm, Encoding, TimestampFormat};
use super::handshake::Handshake;
use super::parts_hmac::{Part, PartsHmac, Shape, TimestampHeader};
use super::{LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest};

pub const PRESET: Preset = Preset {
    name: "twitch",
    default_tolerance: Some(Duration::from_secs(600)),
    event_id: Some("header:Twitch-Eventsub-Message-Id"),
    event_type: Some("json:/subscription/type"),
    summary: "Twitch-Eventsub-Message-Signature: sha256=<hex> HMAC-SHA256 of message id + timestamp + body",
    family: "hmac-timestamped",
    headers: &["Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp"],
    future_tolerance: Some(super::common::CLOCK_SKEW),
    reference: "dev.twitch.tv/docs/eventsub/handling-webhook-events (reject older than 10 min; Message-Id kept on retries; no future bound: hookgate allows 5 s of skew)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "Twitch-Eventsub-Message-Signature",
    prefix: "sha256=",
    list_separator: None,
    encoding: Encoding::Hex,
    algorithm: Algorithm::Sha256,
    timestamp: Some(TimestampHeader {
        header: "Twitch-Eventsub-Message-Timestamp",
        format: TimestampFormat::Rfc3339,
    }),
    id_header: Some("Twitch-Eventsub-Message-Id"),
    parts: &[Part::Id, Part::Timestamp, Part::Body],
};

fn handshake(_scheme: &PartsHmac, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
    let kind = common::single_header(req.headers, "Twitch-Eventsub-Message-Type").ok()?;
    if kind != "webhook_callback_verification" {
        return None;
    }
    let challenge = common::json_text(req.body, "/challenge")?;
    Some(LocalResponse {
        status: 200,
        content_type: "text/plain",
        headers: Vec::new(),
        body: challenge.into_bytes(),
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
    use crate::providers::testkit::{headers, scheme, secs, Vector};
    use crate::providers::Rejection;

    // Scheme: dev.twitch.tv/docs/eventsub/handling-webhook-events ("Verifying the event message":
    // HMAC-SHA256 of Message-Id + Message-Timestamp + raw body, hex, "sha256=" prefix; reject
    // messages older than 10 minutes; answer webhook_callback_verification with the challenge as
    // text/plain). Id, timestamp and secret are the examples from that page. No published
    // signature: expected values computed with Python `hmac.new(secret, id + ts + body, sha256)`.
    const ID: &str = "e76c6bd4-55c9-4987-8304-da1588d8988b";
    const TS: &str = "2019-11-16T10:11:12.634234626Z";
    const AT: u64 = 1_573_899_072; // 2019-11-16T10:11:12Z
    const BODY: &[u8] = b"{\"subscription\":{\"id\":\"f1c2a387-161a-49f9-a165-0f21d7a4e1c4\",\"type\":\"channel.follow\",\"version\":\"2\"},\"event\":{\"user_id\":\"1234\",\"broadcaster_user_id\":\"1337\"}}";

    #[test]
    fn documented_scheme_vector() {
        let v = Vector {
            now: secs(AT),
            ..Vector::new(
                &PRESET,
                &["s3cRe7s3cRe7"],
                &[
                    (
                        "Twitch-Eventsub-Message-Signature",
                        "sha256=64a938bb91371f62dfa4d3599a0fecf32e8775a535c6317e050b9080d53f7d67",
                    ),
                    ("Twitch-Eventsub-Message-Id", ID),
                    ("Twitch-Eventsub-Message-Timestamp", TS),
                ],
                BODY,
            )
        };
        v.assert_all();
        assert_eq!(v.verify_at(secs(AT + 601)), Err(Rejection::StaleTimestamp));
        assert_eq!(v.verify_at(secs(AT + 599)), Ok(()));
    }

    #[test]
    fn callback_verification_echoes_the_challenge() {
        let s = scheme(&PRESET, &["s3cRe7s3cRe7"], None);
        let map = headers(&[
            (
                "Twitch-Eventsub-Message-Signature",
                "sha256=594ecb5897617f93bc538eb18d37f6d53adb870f8ff9ef465036c988bbed9c2a",
            ),
            ("Twitch-Eventsub-Message-Id", ID),
            ("Twitch-Eventsub-Message-Timestamp", TS),
            (
                "Twitch-Eventsub-Message-Type",
                "webhook_callback_verification",
            ),
        ]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/twitch",
            headers: &map,
            body: br#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2"}}"#,
            now: secs(AT),
        };
        assert_eq!(s.verify(&req), Ok(()));
        let answer = s.signed_challenge(&req).unwrap();
        assert_eq!(answer.content_type, "text/plain");
        assert_eq!(answer.body, b"pogchamp-kappa-360noscope-vohiyo");
    }
}
