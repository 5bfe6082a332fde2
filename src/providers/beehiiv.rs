//! beehiiv: Svix (`svix-*` headers, or `webhook-*`), secret `whsec_<base64>`.
//! Source: svix-webhooks ingest source types (beehiiv uses SvixConfig); svix: 300 s both ways.

use std::time::Duration;

use super::standard_webhooks::StandardWebhooks;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "beehiiv",
    family: "standard-webhooks",
    headers: &["svix-signature", "svix-id", "svix-timestamp"],
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("header:svix-id"),
    event_id_aliases: &["header:webhook-id"],
    event_type: Some("json:/type"),
    summary:
        "svix-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\" (Standard Webhooks)",
    reference: "svix-webhooks ingest source types (beehiiv uses SvixConfig); svix: 300 s both ways",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    StandardWebhooks::boxed(settings, &PRESET, &["svix", "webhook"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // vectors.json svix-01-branded: svix-webhooks python/tests/test_webhooks.py @4fc0cfb8, the Svix library this provider documents.
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
                        "svix-signature",
                        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                    ),
                    ("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                    ("svix-timestamp", "1614265330"),
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
