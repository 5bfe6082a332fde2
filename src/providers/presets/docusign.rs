//! DocuSign Connect (HMAC): `X-DocuSign-Signature-1` … `-N`, one header per active Connect key,
//! each the base64 HMAC-SHA256 of the raw body; any header may match any configured secret.
//! Source: developers.docusign.com/platform/webhooks/connect/hmac ("Validating HMAC signatures");
//! webhooks.fyi.

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "docusign",
    default_tolerance: None,
    event_id: None,
    event_type: Some("json:/event"),
    summary: "X-DocuSign-Signature-1..N: <base64> HMAC-SHA256 of the raw body, one header per key",
    family: "hmac-body",
    headers: &["X-DocuSign-Signature-1"],
    reference: "developers.docusign.com/platform/webhooks/connect/hmac",
    build,
    ..Preset::DEFAULTS
};

/// DocuSign allows up to 100 Connect keys.
const MAX_HEADERS: usize = 100;

struct DocuSign {
    secrets: Vec<Secret>,
}

impl Scheme for DocuSign {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let mut candidates = Vec::new();
        for i in 1..=MAX_HEADERS {
            let Some(value) =
                common::optional_header(req.headers, &format!("X-DocuSign-Signature-{i}"))?
            else {
                break;
            };
            candidates.push(
                Encoding::Base64
                    .decode(value)
                    .ok_or(Rejection::MalformedSignature)?,
            );
        }
        if candidates.is_empty() {
            return Err(Rejection::MissingSignature);
        }
        common::verify_hmac(Algorithm::Sha256, &self.secrets, &[req.body], &candidates)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        common::first_secret(&self.secrets)?;
        Ok(self
            .secrets
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let mac = common::hmac_parts(Algorithm::Sha256, key.bytes(), &[req.body]);
                (
                    format!("X-DocuSign-Signature-{}", i + 1),
                    Encoding::Base64.encode(&mac),
                )
            })
            .collect())
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(DocuSign {
        secrets: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // Vector from DocuSign's own sample code: github.com/docusign/code-examples-node
    // lib/connect/examples/validateWebhookMessage.js @ 8b0ee71cc6ebd73462eae40b88c7115ea419b94a.
    // Its `computeHash` produced both headers (one per Connect key, base64 HMAC-SHA256 of the raw
    // payload with the key as given) and its `isHashValid` accepts them and refuses a tampered body;
    // run by scripts/provider-vectors/docusign.cjs.
    const BODY: &[u8] = b"{\"event\":\"envelope-completed\",\"apiVersion\":\"v2.1\",\"uri\":\"/restapi/v2.1/accounts/1/envelopes/2\",\"generatedDateTime\":\"2023-11-14T22:13:20.0000000Z\",\"data\":{\"envelopeId\":\"93b4f7e6-0000-4a7c-8f5d-2a3a9d1c0b7e\"}}";
    const HEADERS: &[(&str, &str)] = &[
        (
            "X-DocuSign-Signature-1",
            "vruTlG+vptmL9nQysonUoGghvh/EyzWDy0w6/Kqzjac=",
        ),
        (
            "X-DocuSign-Signature-2",
            "NZ8ZBrcn0G+nKuGfhB/Z2z/L/EpIIVkfCGHyUdJT1yg=",
        ),
    ];

    #[test]
    fn docusign_sample_vector() {
        let v = Vector::new(&PRESET, &["docusign-key-two"], HEADERS, BODY);
        assert_eq!(
            Vector {
                secrets: &["docusign-key-one"],
                ..v
            }
            .verify(),
            Ok(())
        );
        assert_eq!(v.verify(), Ok(()));
        let mut tampered = b" ".to_vec();
        tampered.extend_from_slice(BODY);
        assert_eq!(v.verify_body(&tampered), Err(Rejection::BadSignature));
        assert_eq!(
            Vector {
                secrets: &["other"],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            Vector { headers: &[], ..v }.verify(),
            Err(Rejection::MissingSignature)
        );
        v.assert_sign_round_trip(v.now);
    }
}
