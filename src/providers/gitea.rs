//! Gitea: `X-Gitea-Signature: <hex HMAC-SHA256(secret, payload)>`, where the payload is the raw
//! body of a JSON delivery and the `payload` field of a form (`application/x-www-form-urlencoded`)
//! delivery: Gitea signs the JSON before form-encoding it.
//! Source: docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery) and
//! the signer itself, go-gitea/gitea `services/webhook/deliver.go` (`newDefaultRequest`,
//! `addDefaultHeaders`). Gogs and Forgejo sign the same way ([`ForgePayloadHmac`]).

use std::borrow::Cow;

use http::HeaderMap;

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest};

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
/// decoded `payload` field, not the body. A form body without exactly one `payload` field is
/// not something the forges send: [`Rejection::BadSignature`].
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

/// The bytes the forge signed: the body, or the one `payload` field of a form body.
fn signed_payload<'b>(headers: &HeaderMap, body: &'b [u8]) -> Option<Cow<'b, [u8]>> {
    let is_form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Some(Cow::Borrowed(body));
    }
    let mut payloads = form_urlencoded::parse(body).filter(|(name, _)| name == "payload");
    match (payloads.next(), payloads.next()) {
        (Some((_, value)), None) => Some(Cow::Owned(value.into_owned().into_bytes())),
        _ => None,
    }
}

impl Scheme for ForgePayloadHmac {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let payload = signed_payload(req.headers, req.body).ok_or(Rejection::BadSignature)?;
        self.0.verify(&WebhookRequest {
            body: &payload,
            ..*req
        })
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let payload = signed_payload(req.headers, req.body).ok_or_else(|| {
            SignError("a form body needs exactly one `payload` field to sign".into())
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
    use crate::providers::testkit::Vector;

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
        v.assert_sign_round_trip(crate::providers::testkit::secs(1_700_000_000));
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
}
