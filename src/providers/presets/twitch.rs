//! Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256(secret,
//! message id + timestamp + raw body)>`, with `Twitch-Eventsub-Message-Id` and
//! `-Message-Timestamp` (RFC 3339); 10 minutes. Answers `webhook_callback_verification` by echoing
//! the `challenge` as text/plain.
//! Source: dev.twitch.tv/docs/eventsub/handling-webhook-events ("Verifying the event message").

use std::time::Duration;

use crate::providers::families::common::{self, Algorithm, Encoding, TimestampFormat};
use crate::providers::families::handshake::Handshake;
use crate::providers::families::parts_hmac::{Part, PartsHmac, Shape, TimestampHeader};
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "twitch",
    default_tolerance: Some(Duration::from_secs(600)),
    event_id: Some("header:Twitch-Eventsub-Message-Id"),
    event_type: Some("json:/subscription/type"),
    summary: "Twitch-Eventsub-Message-Signature: sha256=<hex> HMAC-SHA256 of message id + timestamp + body",
    family: "hmac-timestamped",
    headers: &["Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp"],
    future_tolerance: Some(crate::providers::families::common::CLOCK_SKEW),
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
    use crate::providers::families::testkit::{headers, scheme, secs, Vector};
    use crate::providers::Rejection;

    // Official sample output: Twitch's twitchdev/eventsub-webhooks-node-sample index.js @
    // 6c2a8f542fe8d36d52605a7a745e99d3b86c68d3, run unchanged (its hard-coded secret
    // "keepItSecretKeepItSafe"), answers 200 to both requests below (echoing the challenge) and
    // 403 to a space-prefixed body or another message id: scripts/provider-vectors/twitch.mjs,
    // which prints these signatures. Id and timestamp are the examples from
    // dev.twitch.tv/docs/eventsub/handling-webhook-events; the 10-minute window is from that page
    // (the sample checks no time).
    const SECRET: &str = "keepItSecretKeepItSafe";
    const ID: &str = "e76c6bd4-55c9-4987-8304-da1588d8988b";
    const TS: &str = "2019-11-16T10:11:12.634234626Z";
    const AT: u64 = 1_573_899_072; // 2019-11-16T10:11:12Z
    const BODY: &[u8] = b"{\"subscription\":{\"id\":\"f1c2a387-161a-49f9-a165-0f21d7a4e1c4\",\"type\":\"channel.follow\",\"version\":\"2\"},\"event\":{\"user_id\":\"1234\",\"broadcaster_user_id\":\"1337\"}}";

    #[test]
    fn official_sample_vector() {
        let v = Vector {
            now: secs(AT),
            ..Vector::new(
                &PRESET,
                &[SECRET],
                &[
                    (
                        "Twitch-Eventsub-Message-Signature",
                        "sha256=6c4973543421824a6e61da3ad5da169eaf15dd72c6ce64446ade3c41fc9b0872",
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
        let s = scheme(&PRESET, &[SECRET], None);
        let map = headers(&[
            (
                "Twitch-Eventsub-Message-Signature",
                "sha256=e307eeae9b3282c47f46b2b58a87c960717ec3ca9a8256de7c3f1fb4d0e2f169",
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
