//! Senders that sign exactly as Standard Webhooks or Svix do, under their own names so users find
//! them: each is the `standard-webhooks` or `svix` preset with its own name and source. Their
//! schemes, windows (300 s both ways), event IDs (`webhook-id` / `svix-id`, kept on retries) and
//! secrets (`whsec_<base64>`, or bare base64) are the base preset's.
//!
//! - OpenAI: platform.openai.com/docs/guides/webhooks (verify with the standardwebhooks library).
//! - Brex: developer.brex.com/docs/webhooks (Svix format with the unbranded `Webhook-*` names; the
//!   secret from `GET /v1/webhooks/secrets` is base64, with or without `whsec_`).
//! - Replicate: replicate.com/docs/topics/webhooks/verify-webhook.
//! - Liveblocks: liveblocks.io/docs/platform/webhooks (`WebhookHandler`).
//! - Clerk: clerk.com/docs/webhooks/sync-data (verified with svix; the unbranded names too).
//! - Resend: resend.com/docs/dashboard/webhooks/verify-webhooks-requests (svix).
//! - beehiiv: svix-webhooks ingest source types (beehiiv's source uses `SvixConfig`).

use crate::providers::Preset;

/// The summary of the senders on the unbranded `webhook-*` headers.
const UNBRANDED: &str =
    "webhook-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\" (Standard Webhooks)";
/// The summary of the senders on Svix's `svix-*` headers.
const SVIX: &str =
    "svix-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\" (Standard Webhooks)";

pub const OPENAI: Preset = Preset {
    name: "openai",
    summary: UNBRANDED,
    reference: "platform.openai.com/docs/guides/webhooks (verify with the standardwebhooks library: 300 s both ways; webhook-id kept on retries)",
    ..crate::providers::families::standard_webhooks::PRESET
};

pub const BREX: Preset = Preset {
    name: "brex",
    summary: UNBRANDED,
    reference:
        "developer.brex.com/docs/webhooks (verifying: 300 s both ways; Webhook-Id kept on retries)",
    ..crate::providers::families::standard_webhooks::PRESET
};

pub const REPLICATE: Preset = Preset {
    name: "replicate",
    summary: UNBRANDED,
    reference: "replicate.com/docs/topics/webhooks/verify-webhook (300 s both ways; webhook-id kept on retries)",
    ..crate::providers::families::standard_webhooks::PRESET
};

pub const LIVEBLOCKS: Preset = Preset {
    name: "liveblocks",
    summary: UNBRANDED,
    reference: "liveblocks.io/docs/platform/webhooks (WebhookHandler: 300 s both ways; webhook-id kept on retries)",
    ..crate::providers::families::standard_webhooks::PRESET
};

pub const CLERK: Preset = Preset {
    name: "clerk",
    summary: SVIX,
    reference: "clerk.com/docs/webhooks/sync-data (verified with svix: 300 s both ways; svix-id kept on retries)",
    ..super::svix::PRESET
};

pub const RESEND: Preset = Preset {
    name: "resend",
    summary: SVIX,
    reference: "resend.com/docs/dashboard/webhooks/verify-webhooks-requests (svix: 300 s both ways; svix-id kept on retries)",
    ..super::svix::PRESET
};

pub const BEEHIIV: Preset = Preset {
    name: "beehiiv",
    summary: SVIX,
    reference: "svix-webhooks ingest source types (beehiiv uses SvixConfig); svix: 300 s both ways",
    ..super::svix::PRESET
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};
    use crate::providers::Rejection;

    /// vectors.json stdwebhooks-01 (standard-webhooks libraries/python/tests/test_webhooks.py
    /// @b2fa7b87) and svix-01-branded (svix-webhooks python/tests/test_webhooks.py @4fc0cfb8): the
    /// libraries these senders document for verification, under each sender's header names.
    #[test]
    fn library_vector_under_each_senders_headers() {
        for (preset, prefix) in [
            (&OPENAI, "webhook"),
            (&BREX, "webhook"),
            (&REPLICATE, "webhook"),
            (&LIVEBLOCKS, "webhook"),
            (&CLERK, "svix"),
            (&RESEND, "svix"),
            (&BEEHIIV, "svix"),
        ] {
            let (sig, id, ts) = (
                format!("{prefix}-signature"),
                format!("{prefix}-id"),
                format!("{prefix}-timestamp"),
            );
            let headers = [
                (
                    sig.as_str(),
                    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                ),
                (id.as_str(), "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                (ts.as_str(), "1614265330"),
            ];
            let v = Vector {
                now: secs(1_614_265_330),
                wrong_secrets: &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
                ..Vector::new(
                    preset,
                    &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
                    &headers,
                    b"{\"test\": 2432232314}",
                )
            };
            v.assert_all();
            assert_eq!(
                v.verify_at(secs(1_614_265_330 + 301)),
                Err(Rejection::StaleTimestamp),
                "{}",
                preset.name
            );
            assert_eq!(
                v.verify_at(secs(1_614_265_330 - 301)),
                Err(Rejection::StaleTimestamp),
                "{}",
                preset.name
            );
        }
    }
}
