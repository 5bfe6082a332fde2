//! PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the
//! raw body; one `v1` per active secret during rotation, any may match.
//! Source: developer.pagerduty.com/docs/webhooks/webhook-signatures; webhooks.fyi.

use super::common::{Algorithm, Encoding};
use super::parts_hmac::{Part, Shape};
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "pagerduty",
    default_tolerance: None,
    event_id: Some("json:/event/id"),
    event_type: Some("json:/event/event_type"),
    summary: "X-PagerDuty-Signature: v1=<hex>[,v1=<hex>] HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-PagerDuty-Signature"],
    reference: "developer.pagerduty.com webhooks v3 (verifying signatures; event.id)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "X-PagerDuty-Signature",
    prefix: "v1=",
    list_separator: Some(','),
    encoding: Encoding::Hex,
    algorithm: Algorithm::Sha256,
    timestamp: None,
    id_header: None,
    parts: &[Part::Body],
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;
    use crate::providers::Rejection;

    // Scheme: developer.pagerduty.com "Verifying Signatures" (X-PagerDuty-Signature holds
    // comma-separated `v1=<hex HMAC-SHA256 of the raw body>`, one per secret; any match passes);
    // webhooks.fyi agrees. No published vector: values computed with Python
    // `hmac.new(secret, body, hashlib.sha256).hexdigest()` for "pd-subscription-secret" and
    // "pd-old-secret".
    const BODY: &[u8] = b"{\"event\":{\"id\":\"5ac64822-4adc-4fda-ade0-410becf0de4f\",\"event_type\":\"incident.priority_updated\",\"resource_type\":\"incident\"}}";

    #[test]
    fn documented_scheme_vector_with_rotation() {
        let v = Vector::new(
            &PRESET,
            &["pd-subscription-secret"],
            &[(
                "X-PagerDuty-Signature",
                "v1=859a4bfcadbc5eeb64f047d74f577859ad39d417354415415699df94083e1a8e,v1=2fc82b62eacc7bbbf5c31cf5f696a181e49d85effe94f0629c459398232fb4df",
            )],
            BODY,
        );
        v.assert_all();
        let old_only = Vector {
            secrets: &["pd-old-secret"],
            ..v
        };
        assert_eq!(old_only.verify(), Ok(()));
        let unprefixed = Vector {
            headers: &[(
                "X-PagerDuty-Signature",
                "2fc82b62eacc7bbbf5c31cf5f696a181e49d85effe94f0629c459398232fb4df",
            )],
            ..v
        };
        assert_eq!(unprefixed.verify(), Err(Rejection::MalformedSignature));
    }
}
