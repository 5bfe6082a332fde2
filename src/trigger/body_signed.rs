//! Presets whose signature lives inside the body (family `hmac-fields`), which the header
//! signer behind `hookgate sign` cannot produce: the rendered sample gets its signature here,
//! with the providers' own helpers, under the route's first secret valid now.
//!
//! - Mailgun: `signature.signature` = HMAC-SHA256 of `signature.timestamp` + `signature.token`
//!   ([`crate::providers::presets::mailgun::body_signature`]).
//! - Adyen: each `NotificationRequestItem.additionalData.hmacSignature`
//!   ([`crate::providers::presets::adyen::item_signature`]; the secret is the hex HMAC key).
//! - Braintree: the sample's body is the notification XML; it is sent as the form
//!   `bt_signature=<public key>|<hex>&bt_payload=<base64 XML>` as the SDK's
//!   `sampleNotification` builds it ([`crate::providers::presets::braintree::signature_pair`]; the secret is
//!   `public_key:private_key`).

use base64::Engine;
use serde_json::Value;

use super::{Rendered, TriggerError};
use crate::config::secret::Secret;

/// Whether `preset` is signed here rather than by its scheme's `sign`.
pub fn handles(preset: &str) -> bool {
    matches!(preset, "mailgun" | "adyen" | "braintree")
}

/// Puts `preset`'s signature into `rendered`'s body, under `secret`.
pub fn sign(preset: &str, secret: &Secret, rendered: &mut Rendered) -> Result<(), TriggerError> {
    let text = secret.as_str().unwrap_or_default();
    match preset {
        "mailgun" => mailgun(secret.bytes(), rendered),
        "adyen" => adyen(text, rendered),
        "braintree" => braintree(text, rendered),
        other => Err(TriggerError::CannotTrigger(format!(
            "provider {other} is not signed in the body"
        ))),
    }
}

fn json(rendered: &Rendered) -> Result<Value, TriggerError> {
    serde_json::from_slice(&rendered.body)
        .map_err(|e| TriggerError::Failed(format!("sample body is not JSON: {e}")))
}

fn mailgun(key: &[u8], rendered: &mut Rendered) -> Result<(), TriggerError> {
    let mut body = json(rendered)?;
    let field = |name: &str| {
        body["signature"][name]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let signature = crate::providers::presets::mailgun::body_signature(
        key,
        &field("timestamp"),
        &field("token"),
    );
    body["signature"]["signature"] = Value::String(signature);
    rendered.body = body.to_string().into_bytes();
    Ok(())
}

fn adyen(key_hex: &str, rendered: &mut Rendered) -> Result<(), TriggerError> {
    let mut body = json(rendered)?;
    let items = body["notificationItems"]
        .as_array_mut()
        .into_iter()
        .flatten();
    for item in items {
        let item = &mut item["NotificationRequestItem"];
        let signature = crate::providers::presets::adyen::item_signature(key_hex, item)
            .ok_or_else(|| {
                TriggerError::Failed("the route's Adyen secret is not a hex HMAC key".into())
            })?;
        item["additionalData"]["hmacSignature"] = Value::String(signature);
    }
    rendered.body = body.to_string().into_bytes();
    Ok(())
}

fn braintree(pair: &str, rendered: &mut Rendered) -> Result<(), TriggerError> {
    let (public, private) = pair.split_once(':').ok_or_else(|| {
        TriggerError::Failed("the route's Braintree secret is not `public:private`".into())
    })?;
    let Value::String(xml) = json(rendered)? else {
        return Err(TriggerError::Failed(
            "the Braintree sample's body is not the notification XML".into(),
        ));
    };
    // The SDK's sample payload ends with a newline after the base64.
    let payload = format!(
        "{}\n",
        base64::engine::general_purpose::STANDARD.encode(xml)
    );
    let signature = crate::providers::presets::braintree::signature_pair(
        public.trim(),
        private.trim().as_bytes(),
        payload.as_bytes(),
    );
    rendered.body = form_urlencoded::Serializer::new(String::new())
        .append_pair("bt_signature", &signature)
        .append_pair("bt_payload", &payload)
        .finish()
        .into_bytes();
    rendered.content_type = "application/x-www-form-urlencoded".into();
    Ok(())
}
