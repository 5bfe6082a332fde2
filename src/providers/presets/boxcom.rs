//! Box: `box-signature-primary` / `box-signature-secondary`, each the base64 HMAC-SHA256 of
//! `raw body ‖ box-delivery-timestamp` under the primary / secondary key (`secrets[0]`,
//! `secrets[1]`); either may match. `box-delivery-timestamp` is RFC 3339 and may be at most
//! 10 minutes old (Box's signature guide); Box refuses timestamps ahead of its clock, so only
//! [`common::CLOCK_SKEW`] of future is allowed. `box-signature-version` must be `1` and
//! `box-signature-algorithm` `HmacSHA256` when sent.
//! Source: box/box-python-sdk `boxsdk/object/webhook.py` (validate_message) and
//! `test/unit/object/test_webhook.py`; box-node-sdk `tests/lib/managers/webhooks-test.js`.

use std::time::Duration;

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding, TimestampFormat};
use crate::providers::families::parts_hmac::made_up_id;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "box",
    default_tolerance: Some(Duration::from_secs(600)),
    event_id: Some("json:/id"),
    event_type: Some("json:/trigger"),
    summary:
        "box-signature-primary/-secondary: <base64> HMAC-SHA256 of body + box-delivery-timestamp",
    family: "hmac-timestamped",
    headers: &["box-signature-primary", "box-signature-secondary", "box-delivery-timestamp"],
    future_tolerance: Some(crate::providers::families::common::CLOCK_SKEW),
    reference: "developer.box.com/guides/webhooks/v2 (BOX-DELIVERY-ID changes on retry, the payload id does not) and signatures-v2 (reject older than 10 min; Box SDKs refuse future timestamps: hookgate allows 5 s of skew)",
    build,
    ..Preset::DEFAULTS
};

const PRIMARY: &str = "box-signature-primary";
const SECONDARY: &str = "box-signature-secondary";
const TIMESTAMP: &str = "box-delivery-timestamp";

struct BoxScheme {
    /// `[primary, secondary?]`.
    keys: Vec<Secret>,
    window: common::Window,
}

impl Scheme for BoxScheme {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let primary = common::optional_header(req.headers, PRIMARY)?;
        let secondary = common::optional_header(req.headers, SECONDARY)?;
        if primary.is_none() && secondary.is_none() {
            return Err(Rejection::MissingSignature);
        }
        if common::optional_header(req.headers, "box-signature-version")?
            .is_some_and(|v| v.trim() != "1")
            || common::optional_header(req.headers, "box-signature-algorithm")?
                .is_some_and(|a| a.trim() != "HmacSHA256")
        {
            return Err(Rejection::MalformedSignature);
        }
        let timestamp = common::single_header(req.headers, TIMESTAMP)?;
        let millis = TimestampFormat::Rfc3339.parse_millis(timestamp)?;
        self.window.check_millis(millis, req.now)?;
        let parts = [req.body, timestamp.as_bytes()];
        let mut matched = false;
        for (value, key) in [primary, secondary].into_iter().zip(&self.keys) {
            if let Some(value) = value {
                let candidate = Encoding::Base64
                    .decode(value)
                    .ok_or(Rejection::MalformedSignature)?;
                matched |= common::any_hmac_matches(
                    Algorithm::Sha256,
                    std::slice::from_ref(key),
                    &parts,
                    &[candidate],
                );
            }
        }
        if matched {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        common::first_secret(&self.keys)?;
        // A timestamp the caller gives (`hookgate sign -H`) is the one signed.
        let timestamp = TimestampFormat::Rfc3339.given_or_now(req.headers, TIMESTAMP, req.now)?;
        let mut out = Vec::new();
        for (header, key) in [PRIMARY, SECONDARY].into_iter().zip(&self.keys) {
            let mac = common::hmac_parts(
                Algorithm::Sha256,
                key.bytes(),
                &[req.body, timestamp.as_bytes()],
            );
            out.push((header.to_string(), Encoding::Base64.encode(&mac)));
        }
        out.push((TIMESTAMP.to_string(), timestamp));
        out.push(("box-signature-version".into(), "1".into()));
        out.push(("box-signature-algorithm".into(), "HmacSHA256".into()));
        let id = common::header_or(req.headers, "box-delivery-id", || made_up_id(req.now));
        out.push(("box-delivery-id".into(), id));
        Ok(out)
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    if settings.secrets.len() > 2 {
        return Err(SettingsError::new(
            "secrets",
            "Box has two signature keys: give the primary and, optionally, the secondary",
        ));
    }
    Ok(Box::new(BoxScheme {
        keys: settings.secrets.to_vec(),
        window: PRESET.window(settings.tolerance),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};

    // vectors.json box-01: box-python-sdk test/unit/object/test_webhook.py @b858596a and
    // box-node-sdk webhooks-test.js (validateMessage). The node test froze its clock ten years
    // before the delivery timestamp (old SDKs checked age only); issue 10 item 3: a timestamp
    // ahead of the clock is refused, so the vector is verified at its own delivery instant.
    const BODY: &[u8] = b"{\"type\":\"webhook_event\",\"webhook\":{\"id\":\"1234567890\"},\"trigger\":\"FILE.UPLOADED\",\"source\":{\"id\":\"1234567890\",\"type\":\"file\",\"name\":\"Test.txt\"}}";
    const HEADERS: &[(&str, &str)] = &[
        (PRIMARY, "6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI="),
        (SECONDARY, "v+1CD1Jdo3muIcbpv5lxxgPglOqMfsNHPV899xWYydo="),
        ("box-delivery-id", "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f"),
        (TIMESTAMP, "2020-01-01T00:00:00-07:00"),
        ("box-signature-algorithm", "HmacSHA256"),
        ("box-signature-version", "1"),
    ];
    const AT: u64 = 1_577_862_000; // 2020-01-01T07:00:00Z

    fn vector() -> Vector<'static> {
        Vector {
            now: secs(AT),
            wrong_secrets: &["OtherPrimaryKey", "OtherSecondaryKey"],
            ..Vector::new(
                &PRESET,
                &["SamplePrimaryKey", "SampleSecondaryKey"],
                HEADERS,
                BODY,
            )
        }
    }

    #[test]
    fn box_sdk_vector() {
        let v = vector();
        assert_eq!(v.verify(), Ok(()));
        let mut tampered = b" ".to_vec();
        tampered.extend_from_slice(BODY);
        assert_eq!(v.verify_body(&tampered), Err(Rejection::BadSignature));
        assert_eq!(
            Vector {
                secrets: v.wrong_secrets,
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        // Either key alone suffices.
        assert_eq!(
            Vector {
                secrets: &["SamplePrimaryKey", "Rotated"],
                ..v
            }
            .verify(),
            Ok(())
        );
        assert_eq!(
            Vector {
                secrets: &["Rotated", "SampleSecondaryKey"],
                ..v
            }
            .verify(),
            Ok(())
        );
        // Window: developer.box.com signatures-v2, "not older than ten minutes"; future refused
        // (issue 10: one hour ahead was accepted before), 5 s of clock skew allowed.
        assert_eq!(v.verify_at(secs(AT + 600)), Ok(()));
        assert_eq!(v.verify_at(secs(AT + 601)), Err(Rejection::StaleTimestamp));
        assert_eq!(v.verify_at(secs(AT - 5)), Ok(()));
        assert_eq!(v.verify_at(secs(AT - 6)), Err(Rejection::StaleTimestamp));
        assert_eq!(
            v.verify_at(secs(AT - 3600)),
            Err(Rejection::StaleTimestamp),
            "one hour in the future"
        );
        assert_eq!(
            v.verify_at(secs(1_262_329_200)),
            Err(Rejection::StaleTimestamp),
            "ten years in the future"
        );
        let unsigned = Vector {
            headers: &HEADERS[2..],
            ..v
        };
        assert_eq!(unsigned.verify(), Err(Rejection::MissingSignature));
        let mut wrong_version = HEADERS.to_vec();
        wrong_version[5] = ("box-signature-version", "2");
        assert_eq!(
            Vector {
                headers: &wrong_version,
                ..v
            }
            .verify(),
            Err(Rejection::MalformedSignature)
        );
        v.assert_sign_round_trip(secs(1_700_000_000));
    }
}
