//! The forge family: `<header>: <hex HMAC-SHA256(secret, payload)>`, where the payload is the raw
//! body of a JSON delivery and the `payload` field of a form (`application/x-www-form-urlencoded`)
//! delivery, since the forges sign the JSON before form-encoding it ([`ForgePayloadHmac`]). The
//! senders (Gitea, Gogs, Forgejo) are rows of `presets/forge_senders.rs`.

use std::borrow::Cow;

use http::HeaderMap;

use super::common::{Algorithm, Encoding};
use super::form;
use super::hmac_generic::BodyHmac;
use crate::providers::{
    Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

/// The scheme of Gitea, Gogs and Forgejo: `<header>: <hex HMAC-SHA256(secret, payload)>`, no
/// prefix. The forges sign the JSON payload and then send it either as the body
/// (`Content-Type: application/json`) or form-encoded as `payload=<json>`
/// (`application/x-www-form-urlencoded`), so for a form delivery the signed bytes are the
/// decoded `payload` field, not the body. A form body that is not exactly one `payload` field
/// (no `;`, no other field) is not something the forges send: [`Rejection::BadSignature`].
///
/// Sources: go-gitea/gitea `services/webhook/deliver.go` (`newDefaultRequest`,
/// `addDefaultHeaders`), Forgejo `services/webhook/default.go` + `shared/payloader.go`
/// (`AddDefaultHeaders`), gogs/gogs `internal/database/webhook.go` (`prepareHookTasks`, `deliver`).
pub struct ForgePayloadHmac(BodyHmac);

impl ForgePayloadHmac {
    /// The forge scheme reading `header` (a route may rename it with `signature.header`).
    pub fn boxed(
        settings: &SchemeSettings<'_>,
        header: &str,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        Ok(Box::new(ForgePayloadHmac(BodyHmac::for_preset(
            settings,
            header,
            Algorithm::Sha256,
            Encoding::Hex,
            "",
        )?)))
    }
}

/// The bytes the forge signed: the body, or the `payload` field of a form body. A form body
/// must be exactly `payload=<json>` ([`form::exact_fields`]): the forges send that one field
/// (Go's `url.Values.Encode` / `url.QueryEscape`, which percent-encode `;`), so a raw `;`, another
/// field or a second `payload` is content the signature does not cover, which the upstream's form
/// parser might read instead: [`Rejection::BadSignature`]. Two `Content-Type` fields, or a list
/// in one: [`Rejection::AmbiguousSignature`] ([`form::media_type`]).
fn signed_payload<'b>(headers: &HeaderMap, body: &'b [u8]) -> Result<Cow<'b, [u8]>, Rejection> {
    if form::media_type(headers)?.as_deref() != Some(form::FORM) {
        return Ok(Cow::Borrowed(body));
    }
    match form::exact_fields(body, ["payload"]) {
        Ok([Some(payload)]) => Ok(Cow::Owned(payload)),
        Ok([None]) | Err(_) => Err(Rejection::BadSignature),
    }
}

impl Scheme for ForgePayloadHmac {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let payload = signed_payload(req.headers, req.body)?;
        self.0.verify(&WebhookRequest {
            body: &payload,
            ..*req
        })
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let payload = signed_payload(req.headers, req.body).map_err(|_| {
            SignError(
                "a form body must be exactly one `payload=<json>` field (no `;`, no other field), \
                 under one Content-Type"
                    .into(),
            )
        })?;
        self.0.sign(&WebhookRequest {
            body: &payload,
            ..*req
        })
    }
}
