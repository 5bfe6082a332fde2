//! Svix (Clerk, Resend, Brex, …): Standard Webhooks with `svix-id`, `svix-timestamp`,
//! `svix-signature`; the unbranded `webhook-*` headers are accepted too, as the Svix libraries do.
//! Source: svix/svix-webhooks `rust/src/webhooks.rs` (TOLERANCE_IN_SECONDS = 5 * 60).

use std::time::Duration;

use crate::providers::families::standard_webhooks::StandardWebhooks;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "svix",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("header:svix-id"),
    event_type: Some("json:/type"),
    summary: "svix-signature (or webhook-signature): v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\"",
    family: "standard-webhooks",
    headers: &["svix-signature", "svix-id", "svix-timestamp"],
    event_id_aliases: &["header:webhook-id"],
    reference: "svix-webhooks rust/src/webhooks.rs (TOLERANCE_IN_SECONDS = 300, both ways; svix-id, or webhook-id unbranded)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    StandardWebhooks::boxed(settings, &PRESET, &["svix", "webhook"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // vectors.json svix-01-branded: svix-webhooks python/tests/test_webhooks.py + go/webhook_test.go
    // @4fc0cfb8 — the Standard Webhooks test vector under svix-* header names.
    #[test]
    fn svix_branded_vector() {
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
            v.verify_at(secs(1_614_265_631)),
            Err(Rejection::StaleTimestamp)
        );
        // The same vector with the unbranded names.
        let unbranded = Vector {
            headers: &[
                (
                    "webhook-signature",
                    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                ),
                ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                ("webhook-timestamp", "1614265330"),
            ],
            ..v
        };
        assert_eq!(unbranded.verify(), Ok(()));
    }
}
