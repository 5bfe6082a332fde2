//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, HMAC-SHA256 over
//! `"{t}.{raw body}"` keyed with the `whsec_…` string as is; any `v1` may match, `v0` is ignored.
//! [`TimestampList`] is the shared shape of every "timestamp and signatures in one header" scheme
//! (Calendly, Mux, Paddle).
//! Source: stripe/stripe-dotnet `src/Stripe.net/Services/Events/EventUtility.cs` and its tests.

use std::time::Duration;

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "stripe",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "Stripe-Signature: t=<unix>,v1=<hex> HMAC-SHA256 of \"{t}.{body}\" (any v1 may match)",
    family: "hmac-timestamped",
    headers: &["Stripe-Signature"],
    reference: "stripe-dotnet EventUtility (|now - t| <= 300 s, both ways) and stripe-php; docs.stripe.com/webhooks (event id)",
    build,
    ..Preset::DEFAULTS
};

const SHAPE: ListShape = ListShape {
    header: "Stripe-Signature",
    separator: ',',
    timestamp_key: "t",
    signature_key: "v1",
    joiner: ".",
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

/// A header holding a Unix timestamp and one or more hex HMAC-SHA256 signatures of
/// `"{timestamp}{joiner}{body}"`, as `key=value` items.
#[derive(Debug, Clone, Copy)]
pub struct ListShape {
    pub header: &'static str,
    pub separator: char,
    pub timestamp_key: &'static str,
    pub signature_key: &'static str,
    pub joiner: &'static str,
}

impl ListShape {
    /// The scheme for a route of `preset` (whose window it uses).
    pub fn boxed(
        &'static self,
        settings: &SchemeSettings<'_>,
        preset: &Preset,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::require_secrets(settings.secrets)?;
        common::preset_header(settings, self.header, false)?;
        Ok(Box::new(TimestampList {
            shape: self,
            window: preset.window(settings.tolerance),
            secrets: settings.secrets.to_vec(),
        }))
    }
}

pub struct TimestampList {
    pub shape: &'static ListShape,
    pub window: common::Window,
    pub secrets: Vec<Secret>,
}

impl Scheme for TimestampList {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let shape = self.shape;
        let value = common::single_header(req.headers, shape.header)?;
        let timestamp = common::kv_single(value, shape.separator, shape.timestamp_key)?;
        self.window
            .check_seconds(common::parse_unix(timestamp)?, req.now)?;
        let candidates =
            common::kv_signatures(value, shape.separator, shape.signature_key, Encoding::Hex)?;
        let parts = [timestamp.as_bytes(), shape.joiner.as_bytes(), req.body];
        common::verify_hmac(Algorithm::Sha256, &self.secrets, &parts, &candidates)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let shape = self.shape;
        let secret = common::first_secret(&self.secrets)?;
        let timestamp = req.now.as_secs().to_string();
        let mac = common::hmac_parts(
            Algorithm::Sha256,
            secret.bytes(),
            &[timestamp.as_bytes(), shape.joiner.as_bytes(), req.body],
        );
        Ok(vec![(
            shape.header.to_string(),
            format!(
                "{}={timestamp}{}{}={}",
                shape.timestamp_key,
                shape.separator,
                shape.signature_key,
                hex::encode(mac)
            ),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};

    // vectors.json stripe-dotnet-01/-02-stale/-03-tampered: stripe-dotnet
    // src/StripeTests/Services/Events/EventUtilityTest.cs + Resources/event_test_signature.json
    // @d3303629 (secret "webhook_secret", verified at t+100; stale at t+tolerance+100).
    const HEADER: &str = "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";

    fn vector() -> Vector<'static> {
        Vector {
            now: secs(1_533_204_720),
            ..Vector::new(
                &PRESET,
                &["webhook_secret"],
                &[("Stripe-Signature", HEADER)],
                include_bytes!("testdata/stripe_event_test_signature.json"),
            )
        }
    }

    #[test]
    fn stripe_dotnet_vectors() {
        let v = vector();
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_533_205_020)),
            Err(Rejection::StaleTimestamp)
        );
        let mut tampered = include_bytes!("testdata/stripe_event_test_signature.json").to_vec();
        tampered.extend_from_slice(b"this_changes_the_json");
        assert_eq!(v.verify_body(&tampered), Err(Rejection::BadSignature));
    }

    #[test]
    fn any_v1_may_match_and_v0_alone_is_not_enough() {
        let v = vector();
        let rotated = "t=1533204620,v1=0000000000000000000000000000000000000000000000000000000000000000,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
        assert_eq!(
            Vector {
                headers: &[("Stripe-Signature", rotated)],
                ..v
            }
            .verify(),
            Ok(())
        );
        let v0_only =
            "t=1533204620,v0=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
        assert_eq!(
            Vector {
                headers: &[("Stripe-Signature", v0_only)],
                ..v
            }
            .verify(),
            Err(Rejection::MalformedSignature)
        );
        // Timestamps in the future are rejected too.
        assert_eq!(
            v.verify_at(secs(1_533_204_620 - 301)),
            Err(Rejection::StaleTimestamp)
        );
    }
}
