//! Gitea: `X-Gitea-Signature: <hex HMAC-SHA256(secret, payload)>`, where the payload is the raw
//! body of a JSON delivery and the `payload` field of a form (`application/x-www-form-urlencoded`)
//! delivery: Gitea signs the JSON before form-encoding it.
//! Source: docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery) and
//! the signer itself, go-gitea/gitea `services/webhook/deliver.go` (`newDefaultRequest`,
//! `addDefaultHeaders`). Gogs and Forgejo sign the same way ([`ForgePayloadHmac`]).

use std::borrow::Cow;

use http::HeaderMap;

use crate::providers::families::common::{Algorithm, Encoding};
use crate::providers::families::form;
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "gitea",
    family: "hmac-body",
    headers: &["X-Gitea-Signature"],
    event_id: Some("header:X-Gitea-Delivery"),
    event_type: Some("header:X-Gitea-Event"),
    summary: "X-Gitea-Signature: <hex> HMAC-SHA-256 of the JSON payload (the body, or the `payload` field of a form delivery)",
    reference: "docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery); go-gitea/gitea services/webhook/deliver.go (signs the JSON, form-encodes it after)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    ForgePayloadHmac::boxed(settings, "X-Gitea-Signature")
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    /// The body of both vectors: a trimmed Gitea push payload (docs.gitea.com/usage/webhooks).
    const BODY: &[u8] = br#"{"ref":"refs/heads/develop","before":"28e1879d029cb852e4844d9c718537df08844e03","after":"bffeb74224043ba2feb48d137756c8a9331c449a","repository":{"id":140,"full_name":"gitea/webhooks"}}"#;
    const SIGNATURE: &str = "2445743eb92db261e0440c5fc1ba646b138359c3802399f27af5e79408cdeb7a";

    // Gitea's own signer: go-gitea/gitea services/webhook/deliver.go @50e782654e78d86288b79bdb5facd69078088bb0,
    // `addDefaultHeaders` run verbatim (Go 1.19.8, standard library only) with secret
    // "gitea-secret" over BODY; it set X-Gitea-Signature, X-Gogs-Signature and
    // X-Hub-Signature-256 (`sha256=` + the same hex) to SIGNATURE. The signature check of Gitea's
    // documented receiver (docs/content/usage/webhooks.en-us.md "Example", PHP 8.2) accepts it and
    // rejects a changed body: scripts/provider-vectors/gitea_docs_sample.php.
    #[test]
    fn gitea_signer_vector() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[
                ("X-Gitea-Signature", SIGNATURE),
                ("Content-Type", "application/json"),
            ],
            BODY,
        );
        v.assert_all();
    }

    // The same signer, form delivery: `newDefaultRequest`'s ContentTypeForm case (same commit)
    // sends `url.Values{"payload": {json}}.Encode()` as the body and signs the JSON: the header is
    // the JSON vector's. A raw-body HMAC (this preset before the fix) rejects it.
    const FORM_BODY: &[u8] = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fdevelop%22%2C%22before%22%3A%2228e1879d029cb852e4844d9c718537df08844e03%22%2C%22after%22%3A%22bffeb74224043ba2feb48d137756c8a9331c449a%22%2C%22repository%22%3A%7B%22id%22%3A140%2C%22full_name%22%3A%22gitea%2Fwebhooks%22%7D%7D";

    #[test]
    fn gitea_signer_form_vector() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[
                ("X-Gitea-Signature", SIGNATURE),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            FORM_BODY,
        );
        v.assert_vector_cases();
        v.assert_sign_round_trip(crate::providers::families::testkit::secs(1_700_000_000));
        // A changed `payload` value, or a second one (which would the upstream read?), is refused.
        let changed = String::from_utf8(FORM_BODY.to_vec())
            .unwrap()
            .replace("develop", "main");
        assert_eq!(
            v.verify_body(changed.as_bytes()),
            Err(Rejection::BadSignature)
        );
        let twice = [FORM_BODY, b"&payload=%7B%7D"].concat();
        assert_eq!(v.verify_body(&twice), Err(Rejection::BadSignature));
        assert_eq!(v.verify_body(b"other=1"), Err(Rejection::BadSignature));
    }

    // `;` smuggling: an upstream whose form parser also splits on `;` (Python parse_qs < 3.9.2,
    // Go < 1.17, Rack < 3) would see the attacker's `payload` before the signed one; Gitea never
    // sends a raw `;` (url.Values.Encode escapes it) nor any field but `payload`. Each of these
    // bodies still holds the signed field intact, and each verified before the strict form rule.
    #[test]
    fn form_bodies_with_unsigned_content_are_refused() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[
                ("X-Gitea-Signature", SIGNATURE),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            FORM_BODY,
        );
        let evil = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fevil%22%7D";
        let signed = std::str::from_utf8(FORM_BODY).unwrap();
        for body in [
            format!("x=1;{evil}&{signed}"),
            format!("{signed}&x=1;{evil}"),
            format!("{signed}&extra=evil"),
            format!("extra=evil&{signed}"),
            format!("{signed}&&"),
        ] {
            assert_eq!(
                v.verify_body(body.as_bytes()),
                Err(Rejection::BadSignature),
                "{body}"
            );
        }
        assert_eq!(v.verify_body(FORM_BODY), Ok(()));
    }

    // Two Content-Type fields (or a list in one): the scheme and the upstream could read the body
    // as different types (RFC 9110 §8.3). The request path refuses a second field with 400 before
    // any scheme runs; the scheme refuses both shapes on its own too.
    #[test]
    fn an_ambiguous_content_type_is_refused() {
        for content_types in [
            &["application/x-www-form-urlencoded", "application/json"][..],
            &["application/json", "application/x-www-form-urlencoded"],
            &["application/json, application/x-www-form-urlencoded"],
        ] {
            let mut pairs = vec![("X-Gitea-Signature", SIGNATURE)];
            pairs.extend(content_types.iter().map(|ct| ("Content-Type", *ct)));
            let v = Vector::new(&PRESET, &["gitea-secret"], &pairs, FORM_BODY);
            assert_eq!(
                v.verify(),
                Err(Rejection::AmbiguousSignature),
                "{content_types:?}"
            );
            let v = Vector::new(&PRESET, &["gitea-secret"], &pairs, BODY);
            assert_eq!(
                v.verify(),
                Err(Rejection::AmbiguousSignature),
                "{content_types:?}"
            );
        }
    }
}
