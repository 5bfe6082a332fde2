//! HubSpot signature v1: `X-HubSpot-Signature: <hex SHA-256(client secret + raw body)>` with
//! `X-HubSpot-Signature-Version: v1` — a plain hash with the secret in front, not an HMAC, and no
//! timestamp (no replay window: pair it with `dedup`). [`SecretPrefixHash`] is shared with v2,
//! which also hashes the method and URI.
//! Source: developers.hubspot.com/docs/api/webhooks/validating-requests (v1, v2);
//! HubSpot/hubspot-api-nodejs `test/unit/signature.spec.ts`, hubspot-api-python
//! `tests/spec/utils/test_signature.py`.

use sha2::Digest;

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "hubspot-v1",
    family: "sha256-secret",
    headers: &["X-HubSpot-Signature", "X-HubSpot-Signature-Version"],
    summary: "X-HubSpot-Signature: <hex> SHA-256 of client secret + body (v1; no timestamp)",
    reference: "developers.hubspot.com/docs/api/webhooks/validating-requests (v1); hubspot-api-nodejs signature.spec.ts",
    build,
    ..Preset::DEFAULTS
};

const HEADER: &str = "X-HubSpot-Signature";
const VERSION: &str = "X-HubSpot-Signature-Version";

/// `hex(SHA-256(secret + [method + uri] + body))`, for HubSpot v1 (`with_request` false) and v2.
pub struct SecretPrefixHash {
    pub version: &'static str,
    pub with_request: bool,
    pub secrets: Vec<Secret>,
}

impl SecretPrefixHash {
    fn digest(&self, secret: &Secret, req: &WebhookRequest<'_>) -> Vec<u8> {
        let mut hash = sha2::Sha256::new();
        hash.update(secret.bytes());
        if self.with_request {
            hash.update(req.method.as_bytes());
            hash.update(req.public_url.as_bytes());
        }
        hash.update(req.body);
        hash.finalize().to_vec()
    }

    pub fn boxed(
        settings: &SchemeSettings<'_>,
        version: &'static str,
        with_request: bool,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::require_secrets(settings.secrets)?;
        common::preset_header(settings, "", false)?;
        Ok(Box::new(SecretPrefixHash {
            version,
            with_request,
            secrets: settings.secrets.to_vec(),
        }))
    }
}

impl Scheme for SecretPrefixHash {
    /// v2 hashes the method and URL; v1 only the body.
    fn reads_public_url(&self) -> bool {
        self.with_request
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, HEADER)?;
        if common::optional_header(req.headers, VERSION)?
            .is_some_and(|v| !v.trim().eq_ignore_ascii_case(self.version))
        {
            return Err(Rejection::MalformedSignature);
        }
        let presented = Encoding::Hex
            .decode(value)
            .ok_or(Rejection::MalformedSignature)?;
        let mut matched = false;
        for secret in &self.secrets {
            matched |= common::ct_eq(&self.digest(secret, req), &presented);
        }
        if matched {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        Ok(vec![
            (HEADER.to_string(), hex::encode(self.digest(secret, req))),
            (VERSION.to_string(), self.version.to_string()),
        ])
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SecretPrefixHash::boxed(settings, "v1", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    // vectors.json hubspot-v1-01 (hubspot-api-nodejs test/unit/signature.spec.ts @39d11e5d) and
    // hubspot-v1-02-python (hubspot-api-python tests/spec/utils/test_signature.py @83aedb04).
    #[test]
    fn hubspot_sdk_vectors() {
        let v = Vector {
            wrong_secrets: &["xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"],
            ..Vector::new(
                &PRESET,
                &["yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"],
                &[
                    (HEADER, "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"),
                    (VERSION, "v1"),
                ],
                br#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#,
            )
        };
        v.assert_all();
        let python = Vector::new(
            &PRESET,
            &["yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"],
            &[
                (
                    HEADER,
                    "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750",
                ),
                (VERSION, "v1"),
            ],
            b"{'example_field':'example_value'}",
        );
        python.assert_all();
        let v2_label = Vector {
            headers: &[
                (
                    HEADER,
                    "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750",
                ),
                (VERSION, "v2"),
            ],
            ..python
        };
        assert_eq!(v2_label.verify(), Err(Rejection::MalformedSignature));
    }
}
