//! OpenAI: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), secret `whsec_<base64>`.
//! Source: platform.openai.com/docs/guides/webhooks (verify with the standardwebhooks library: 300 s both ways; webhook-id kept on retries).

use std::time::Duration;

use super::standard_webhooks::StandardWebhooks;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "openai",
    family: "standard-webhooks",
    headers: &["webhook-signature", "webhook-id", "webhook-timestamp"],
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("header:webhook-id"),
    event_type: Some("json:/type"),
    summary: "webhook-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\" (Standard Webhooks)",
    reference: "platform.openai.com/docs/guides/webhooks (verify with the standardwebhooks library: 300 s both ways; webhook-id kept on retries)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    StandardWebhooks::boxed(settings, &PRESET, &["webhook"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // vectors.json stdwebhooks-01: standard-webhooks libraries/python/tests/test_webhooks.py @b2fa7b87 (the library this provider documents for verification), under this provider's header names.
    #[test]
    fn library_vector() {
        let v = Vector {
            now: secs(1_614_265_330),
            wrong_secrets: &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
            ..Vector::new(
                &PRESET,
                &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
                &[
                    (
                        "webhook-signature",
                        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                    ),
                    ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                    ("webhook-timestamp", "1614265330"),
                ],
                b"{\"test\": 2432232314}",
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_614_265_330 + 301)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            v.verify_at(secs(1_614_265_330 - 301)),
            Err(Rejection::StaleTimestamp)
        );
    }
}
