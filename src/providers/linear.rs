//! Linear: `Linear-Signature: <hex HMAC-SHA256(signing secret, raw body)>`; freshness from the
//! signed body field `webhookTimestamp` (Unix **milliseconds**), 60 s both ways as in @linear/sdk.
//! A body without `webhookTimestamp` is malformed.
//! Source: linear/linear `packages/sdk/src/webhooks` (LINEAR_WEBHOOK_TS_FIELD, 60 s tolerance).

use std::time::Duration;

use super::common::{self, Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest};

pub const PRESET: Preset = Preset {
    name: "linear",
    default_tolerance: Some(Duration::from_secs(60)),
    event_id: Some("header:Linear-Delivery"),
    event_type: Some("json:/type"),
    summary: "Linear-Signature: <hex> HMAC-SHA256 of the raw body; body webhookTimestamp (ms) within tolerance",
    family: "hmac-timestamped",
    headers: &["Linear-Signature"],
    reference: "@linear/sdk webhooks (|now - webhookTimestamp| <= 60 s, both ways); Linear-Delivery",
    build,
    ..Preset::DEFAULTS
};

struct Linear {
    hmac: BodyHmac,
    window: common::Window,
}

impl Linear {
    fn check_timestamp(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let text = common::json_text(req.body, "/webhookTimestamp")
            .ok_or(Rejection::MalformedSignature)?;
        self.window
            .check_millis(common::parse_unix(&text)?, req.now)
    }
}

impl Scheme for Linear {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        self.hmac.verify(req)?;
        self.check_timestamp(req)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        self.check_timestamp(req).map_err(|_| {
            SignError("Linear signs the body's own webhookTimestamp: the body needs one (Unix ms) close to now".into())
        })?;
        self.hmac.sign(req)
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    Ok(Box::new(Linear {
        hmac: BodyHmac::for_preset(
            settings,
            "Linear-Signature",
            Algorithm::Sha256,
            Encoding::Hex,
            "",
        )?,
        window: PRESET.window(settings.tolerance),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme: linear.app/developers/webhooks ("Securing webhooks": Linear-Signature is the hex
    // HMAC-SHA256 of the raw body with the webhook's signing secret; reject webhookTimestamp more
    // than a minute away) and @linear/sdk LinearWebhooks.verify. No published vector: expected
    // value computed with Python `hmac.new(secret, body, hashlib.sha256).hexdigest()`.
    const BODY: &[u8] = b"{\"action\":\"create\",\"type\":\"Issue\",\"data\":{\"id\":\"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9\",\"title\":\"Bug\"},\"webhookTimestamp\":1700000000000,\"webhookId\":\"000042e3-d123-4980-b49f-8e140eef9329\"}";

    #[test]
    fn documented_scheme_vector() {
        let v = Vector {
            now: Duration::from_millis(1_700_000_030_000),
            ..Vector::new(
                &PRESET,
                &["lin_wh_secret"],
                &[(
                    "Linear-Signature",
                    "e059da8eaa5a88013536fe03f746e885b71730144817b78a24b4123b38ba585e",
                )],
                BODY,
            )
        };
        v.assert_vector_cases();
        v.assert_sign_round_trip(v.now);
        assert_eq!(
            v.verify_at(Duration::from_millis(1_700_000_060_001)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            v.verify_at(Duration::from_millis(1_699_999_939_999)),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn a_body_without_timestamp_is_malformed_and_cannot_be_signed() {
        let body = b"{\"action\":\"create\",\"type\":\"Issue\"}";
        let sig = hex::encode(common::hmac_parts(
            Algorithm::Sha256,
            b"lin_wh_secret",
            &[body],
        ));
        let headers = [("Linear-Signature", sig.as_str())];
        let v = Vector::new(&PRESET, &["lin_wh_secret"], &headers, body);
        assert_eq!(v.verify(), Err(Rejection::MalformedSignature));
        let s = crate::providers::testkit::scheme(&PRESET, &["lin_wh_secret"], None);
        let map = crate::providers::testkit::headers(&[]);
        assert!(s
            .sign(&WebhookRequest {
                method: "POST",
                public_url: v.url,
                headers: &map,
                body,
                now: v.now,
            })
            .is_err());
    }
}
