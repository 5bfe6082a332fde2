//! Adyen standard (classic) notifications: no header; each `NotificationRequestItem` of the JSON
//! batch carries `additionalData.hmacSignature` = base64 HMAC-SHA256, keyed with the hex-decoded
//! HMAC key, of `pspReference:originalReference:merchantAccountCode:merchantReference:value:
//! currency:eventCode:success` (missing fields empty, no escaping). Every item must verify. Only
//! those fields are covered: the rest of the body is not.
//! Source: Adyen/adyen-node-api-library `src/utils/hmacValidator.ts` and
//! `src/__tests__/hmacValidator.spec.ts`; docs.adyen.com/development-resources/webhooks/verify-hmac-signatures.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::json_pointer::{self, Scalar};

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "adyen",
    family: "hmac-fields",
    headers: &[],
    event_type: Some("json:/notificationItems/0/NotificationRequestItem/eventCode"),
    summary: "each notificationItems[].NotificationRequestItem.additionalData.hmacSignature: <base64> HMAC-SHA256 of its signed fields; key = hex of the secret",
    reference: "adyen-node-api-library hmacValidator.spec.ts; docs.adyen.com webhooks verify-hmac-signatures (an event is pspReference + eventCode: no single ID key)",
    build,
    ..Preset::DEFAULTS
};

struct Adyen {
    keys: Vec<Secret>,
}

/// The field at `pointer` of one item as Adyen's validator stringifies it (missing: empty).
fn text(item: &str, pointer: &str) -> String {
    json_pointer::scalar_at(item.as_bytes(), pointer)
        .map(Scalar::into_text)
        .unwrap_or_default()
}

/// The string Adyen signs for one `NotificationRequestItem` (its JSON text).
pub fn signed_string(item: &str) -> String {
    [
        "/pspReference",
        "/originalReference",
        "/merchantAccountCode",
        "/merchantReference",
        "/amount/value",
        "/amount/currency",
        "/eventCode",
        "/success",
    ]
    .iter()
    .map(|p| text(item, p))
    .collect::<Vec<_>>()
    .join(":")
}

/// The `hmacSignature` for `item` under the hex HMAC key `key_hex` (for tests and tooling).
pub fn item_signature(key_hex: &str, item: &Value) -> Option<String> {
    let key = hex::decode(key_hex.trim()).ok()?;
    Some(Encoding::Base64.encode(&common::hmac_parts(
        Algorithm::Sha256,
        &key,
        &[signed_string(&item.to_string()).as_bytes()],
    )))
}

impl Adyen {
    /// One `notificationItems` entry: its `NotificationRequestItem` must carry a signature that
    /// one of the keys made over the item's signed string.
    fn verify_entry(&self, entry: &RawValue) -> Result<(), Rejection> {
        let item = json_pointer::raw_at(entry.get().as_bytes(), "/NotificationRequestItem")
            .ok_or(Rejection::MalformedSignature)?;
        let signature =
            match json_pointer::raw_at(item.get().as_bytes(), "/additionalData/hmacSignature")
                .map(json_pointer::scalar)
            {
                Some(Some(Scalar::String(s))) => s,
                Some(_) => return Err(Rejection::MalformedSignature),
                None => return Err(Rejection::MissingSignature),
            };
        let candidate = Encoding::Base64
            .decode(&signature)
            .ok_or(Rejection::MalformedSignature)?;
        common::verify_hmac(
            Algorithm::Sha256,
            &self.keys,
            &[signed_string(item.get()).as_bytes()],
            &[candidate],
        )
    }
}

impl Scheme for Adyen {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        // The batch is walked item by item, never built as a document (json_pointer's reason).
        let items = json_pointer::raw_at(req.body, "/notificationItems")
            .ok_or(Rejection::MissingSignature)?;
        let mut count = 0usize;
        let refused = json_pointer::find_in_array(items, |entry| {
            count += 1;
            self.verify_entry(entry).err()
        })
        .map_err(|_| Rejection::MissingSignature)?;
        match refused {
            Some(rejection) => Err(rejection),
            None if count == 0 => Err(Rejection::MissingSignature),
            None => Ok(()),
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "Adyen's signature is inside each notification item of the body, not a header; \
             build it with adyen::item_signature"
                .into(),
        ))
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    let keys = settings
        .secrets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.as_str()
                .and_then(|t| hex::decode(t.trim()).ok())
                .filter(|k| !k.is_empty())
                .map(|k| Secret::from_bytes(&k))
                .ok_or_else(|| {
                    SettingsError::new(
                        "secrets",
                        format!("secret #{} is not a hex HMAC key", i + 1),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Box::new(Adyen { keys }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // vectors.json adyen-01: adyen-node-api-library src/__tests__/hmacValidator.spec.ts @02bab06c
    // (key DFB1…AB00, signed string "pspReference:originalReference:merchantAccount:reference:
    // 1000:EUR:CAPTURE:true"), wrapped in the notification envelope Adyen posts.
    const KEY: &str = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";
    const BODY: &str = r#"{"live":"false","notificationItems":[{"NotificationRequestItem":{"pspReference":"pspReference","originalReference":"originalReference","merchantAccountCode":"merchantAccount","merchantReference":"reference","amount":{"currency":"EUR","value":1000},"eventCode":"CAPTURE","success":"true","eventDate":"2019-05-06T17:15:34.121+02:00","paymentMethod":"visa","reason":"reason","additionalData":{"hmacSignature":"xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0="}}}]}"#;

    fn vector(body: &'static str) -> Vector<'static> {
        Vector {
            wrong_secrets: &["00B1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00"],
            ..Vector::new(&PRESET, &[KEY], &[], body.as_bytes())
        }
    }

    #[test]
    fn adyen_library_vector() {
        let v = vector(BODY);
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            Vector {
                secrets: v.wrong_secrets,
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        // Signed fields are covered: amount, reference, event code.
        for (from, to) in [
            ("1000", "1001"),
            ("\"CAPTURE\"", "\"REFUND\""),
            ("\"reference\"", "\"other\""),
        ] {
            let forged = BODY.replacen(from, to, 1);
            assert_eq!(
                v.verify_body(forged.as_bytes()),
                Err(Rejection::BadSignature),
                "{to}"
            );
        }
        // The rest is not (Adyen's scheme).
        assert_eq!(v.verify_body(BODY.replace("visa", "mc").as_bytes()), Ok(()));
        assert_eq!(
            v.verify_body(BODY.replace("\"hmacSignature\"", "\"other\"").as_bytes()),
            Err(Rejection::MissingSignature)
        );
        assert_eq!(v.verify_body(b"{}"), Err(Rejection::MissingSignature));
        let item: Value = serde_json::from_str(BODY).unwrap();
        let item = &item["notificationItems"][0]["NotificationRequestItem"];
        assert_eq!(
            signed_string(&item.to_string()),
            "pspReference:originalReference:merchantAccount:reference:1000:EUR:CAPTURE:true"
        );
        assert_eq!(
            item_signature(KEY, item).as_deref(),
            Some("xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=")
        );
    }

    #[test]
    fn every_item_of_a_batch_must_verify() {
        let good: Value = serde_json::from_str(BODY).unwrap();
        let item = good["notificationItems"][0].clone();
        let mut forged = item.clone();
        forged["NotificationRequestItem"]["amount"]["value"] = 5.into();
        let batch =
            serde_json::json!({ "live": "false", "notificationItems": [item.clone(), forged] });
        let body = serde_json::to_vec(&batch).unwrap();
        assert_eq!(
            vector(BODY).verify_body(&body),
            Err(Rejection::BadSignature)
        );
        let batch =
            serde_json::json!({ "live": "false", "notificationItems": [item.clone(), item] });
        assert_eq!(
            vector(BODY).verify_body(&serde_json::to_vec(&batch).unwrap()),
            Ok(())
        );
    }
}
