//! Polar: Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature:
//! v1,<base64>`), but the HMAC key is the secret's own UTF-8 bytes: Polar's SDK base64-encodes the
//! secret before handing it to the standardwebhooks library, which decodes it again.
//! Source: polarsource/polar-js `src/webhooks.ts` (`validateEvent`); docs.polar.sh webhooks.

use std::time::Duration;

use super::common;
use super::standard_webhooks::StandardWebhooks;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "polar",
    family: "standard-webhooks",
    headers: &["webhook-signature", "webhook-id", "webhook-timestamp"],
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("header:webhook-id"),
    event_type: Some("json:/type"),
    summary: "webhook-signature: v1,<base64> HMAC-SHA256 of \"{id}.{timestamp}.{body}\", key = the secret's bytes",
    reference: "polar-js webhooks.ts validateEvent (standardwebhooks over base64(secret): 300 s both ways); webhook-id kept on retries",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(StandardWebhooks {
        prefixes: &["webhook"],
        window: PRESET.window(settings.tolerance),
        keys: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // What polar-js validateEvent computes: standardwebhooks with base64(secret), i.e. HMAC-SHA256
    // keyed with the secret's bytes. No published vector; computed independently with Python
    // `base64.b64encode(hmac.new(b"polar_whs_example_secret", b"msg_2Lj0xKZ5V3J6q1.1700000000." +
    // body, hashlib.sha256).digest())`.
    #[test]
    fn sdk_equivalent_vector() {
        let v = Vector {
            now: secs(1_700_000_000),
            ..Vector::new(
                &PRESET,
                &["polar_whs_example_secret"],
                &[
                    (
                        "webhook-signature",
                        "v1,cN8nu+VvbbhzmninbeM0WqEFvNEFV/peUnFKy89kqag=",
                    ),
                    ("webhook-id", "msg_2Lj0xKZ5V3J6q1"),
                    ("webhook-timestamp", "1700000000"),
                ],
                br#"{"id":"evt_1","type":"ping"}"#,
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            v.verify_at(secs(1_699_999_699)),
            Err(Rejection::StaleTimestamp)
        );
    }
}
