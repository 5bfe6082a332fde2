//! Calendly: `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing key, "{t}.{body}")>`.
//! Default tolerance 3 minutes, as in Calendly's own example.
//! Source: developer.calendly.com/api-docs/overview/webhooks/webhook-signatures.

use std::time::Duration;

use super::stripe::ListShape;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "calendly",
    default_tolerance: Some(Duration::from_secs(180)),
    event_id: None,
    event_type: Some("json:/event"),
    summary: "Calendly-Webhook-Signature: t=<unix>,v1=<hex> HMAC-SHA256 of \"{t}.{body}\"",
    family: "hmac-timestamped",
    headers: &["Calendly-Webhook-Signature"],
    future_tolerance: Some(crate::providers::families::common::CLOCK_SKEW),
    reference: "developer.calendly.com webhook signatures (example rejects t older than 3 min; no future bound: hookgate allows 5 s of skew); Calendly publishes no SDK, vector or runnable sample: checked against the documented formula only",
    build,
    ..Preset::DEFAULTS
};

const SHAPE: ListShape = ListShape {
    header: "Calendly-Webhook-Signature",
    separator: ',',
    timestamp_key: "t",
    signature_key: "v1",
    joiner: ".",
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // Scheme: developer.calendly.com "Webhook signatures" (split the header on ",", t= and v1=,
    // HMAC-SHA256 hex of `t + "." + body` with the webhook signing key; 3-minute tolerance in the
    // example). No published vector: expected value computed with Python
    // `hmac.new(key, b"1700000000." + body, hashlib.sha256).hexdigest()`. Still only our own
    // computation: Calendly ships no SDK with a verify helper; its public repositories
    // (calendly/buzzwordcrm, whole history, and the other calendly/* ones) never read
    // Calendly-Webhook-Signature; the stored docs page stops before its code sample. That sample
    // is known only through third-party copies (its comments and error text, e.g. "The
    // signature's timestamp is outside of the tolerance zone", recur verbatim in many receivers),
    // which all agree with this scheme: `t + "." + body`, hex, 180 000 ms, past bound only.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector {
            now: secs(1_700_000_060),
            ..Vector::new(
                &PRESET,
                &["calendly-signing-key"],
                &[(
                    "Calendly-Webhook-Signature",
                    "t=1700000000,v1=f2e4952bc7bbbc6ba191773483bb663665cae05020dbdd58c02acca6b6204502",
                )],
                b"{\"event\":\"invitee.created\",\"payload\":{\"uri\":\"https://api.calendly.com/scheduled_events/AAA/invitees/BBB\"}}",
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_700_000_181)),
            Err(Rejection::StaleTimestamp)
        );
    }
}
