//! Linear: `Linear-Signature: <hex HMAC-SHA256(signing secret, raw body)>`; freshness from the
//! signed body field `webhookTimestamp` (a JSON number, Unix **milliseconds**), 60 s both ways as
//! in @linear/sdk. A body without `webhookTimestamp`, or with one that is not an integer JSON
//! number (a string, as @linear/sdk refuses it), is malformed.
//! Source: linear/linear `packages/sdk/src/webhooks` (LINEAR_WEBHOOK_TS_FIELD, 60 s tolerance).

use std::time::Duration;

use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

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
        // An integer, as @linear/sdk requires (a string or a fraction is malformed).
        let millis = crate::json_pointer::raw_at(req.body, "/webhookTimestamp")
            .and_then(|raw| serde_json::from_str::<i64>(raw.get()).ok())
            .ok_or(Rejection::MalformedSignature)?;
        self.window.check_millis(millis, req.now)
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
    use crate::providers::families::testkit::Vector;

    // SDK output: @linear/sdk@98.0.0 `LinearWebhookClient.verify` (dist/webhooks, signature =
    // hex HMAC-SHA256 of the raw body; |Date.now() - webhookTimestamp| <= 60 000 ms) accepts this
    // vector with its clock at webhookTimestamp + 30 s, ±60 s, and rejects it at ±60.001 s, with
    // a space-prefixed body or another secret: scripts/provider-vectors/linear.mjs.
    const SECRET: &str = "lin_wh_secret";
    const BODY: &[u8] = b"{\"action\":\"create\",\"type\":\"Issue\",\"data\":{\"id\":\"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9\",\"title\":\"Bug\"},\"webhookTimestamp\":1700000000000,\"webhookId\":\"000042e3-d123-4980-b49f-8e140eef9329\"}";

    #[test]
    fn linear_sdk_vector() {
        let v = Vector {
            now: Duration::from_millis(1_700_000_030_000),
            ..Vector::new(
                &PRESET,
                &[SECRET],
                &[(
                    "Linear-Signature",
                    "e059da8eaa5a88013536fe03f746e885b71730144817b78a24b4123b38ba585e",
                )],
                BODY,
            )
        };
        v.assert_vector_cases();
        v.assert_sign_round_trip(v.now);
        let at = |ms| v.verify_at(Duration::from_millis(ms));
        assert_eq!(at(1_700_000_060_000), Ok(()));
        assert_eq!(at(1_700_000_060_001), Err(Rejection::StaleTimestamp));
        assert_eq!(at(1_699_999_940_000), Ok(()));
        assert_eq!(at(1_699_999_939_999), Err(Rejection::StaleTimestamp));
    }

    // The same body with `"webhookTimestamp":"1700000000000"` (a string), correctly signed:
    // @linear/sdk@98.0.0 rejects it ("Invalid webhook timestamp": typeof must be number); the
    // signature is the one linear.mjs prints for it.
    #[test]
    fn a_string_timestamp_is_malformed_as_in_the_sdk() {
        let body = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("1700000000000", "\"1700000000000\"");
        let v = Vector {
            now: Duration::from_millis(1_700_000_000_000),
            ..Vector::new(
                &PRESET,
                &[SECRET],
                &[(
                    "Linear-Signature",
                    "e9d1034ffcac8f19d73d4112fb7fadc562feb139565183a6014a560a33596b19",
                )],
                body.as_bytes(),
            )
        };
        assert_eq!(v.verify(), Err(Rejection::MalformedSignature));
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
        let s = crate::providers::families::testkit::scheme(&PRESET, &["lin_wh_secret"], None);
        let map = crate::providers::families::testkit::headers(&[]);
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
