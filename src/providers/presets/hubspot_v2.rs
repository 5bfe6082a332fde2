//! HubSpot signature v2: `X-HubSpot-Signature: <hex SHA-256(client secret + method + URI + raw
//! body)>` with `X-HubSpot-Signature-Version: v2`; the URI is the route's public URL exactly as
//! called (v2 does no decoding). No timestamp. Used by workflow webhooks (POST) and CRM card data
//! fetches (GET).
//! Source: developers.hubspot.com/docs/api/webhooks/validating-requests (v2);
//! HubSpot/hubspot-api-nodejs `test/unit/signature.spec.ts`.

use super::hubspot_v1::SecretPrefixHash;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "hubspot-v2",
    family: "sha256-secret",
    headers: &["X-HubSpot-Signature", "X-HubSpot-Signature-Version"],
    methods: &["POST", "GET"],
    summary: "X-HubSpot-Signature: <hex> SHA-256 of client secret + method + public URL + body (v2; no timestamp)",
    reference: "developers.hubspot.com/docs/api/webhooks/validating-requests (v2); hubspot-api-nodejs signature.spec.ts",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SecretPrefixHash::boxed(settings, "v2", true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // vectors.json hubspot-v2-01 (GET, empty body) and hubspot-v2-02 (POST with body):
    // hubspot-api-nodejs test/unit/signature.spec.ts @39d11e5d.
    #[test]
    fn hubspot_nodejs_vectors() {
        let post = Vector {
            url: "https://www.example.com/webhook_uri",
            wrong_secrets: &["xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"],
            ..Vector::new(
                &PRESET,
                &["yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"],
                &[
                    (
                        "X-HubSpot-Signature",
                        "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900",
                    ),
                    ("X-HubSpot-Signature-Version", "v2"),
                ],
                br#"{"example_field":"example_value"}"#,
            )
        };
        post.assert_all();
        let get = Vector {
            method: "GET",
            headers: &[
                (
                    "X-HubSpot-Signature",
                    "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e",
                ),
                ("X-HubSpot-Signature-Version", "v2"),
            ],
            body: b"",
            ..post
        };
        assert_eq!(get.verify(), Ok(()));
        assert_eq!(
            Vector {
                method: "POST",
                ..get
            }
            .verify(),
            Err(Rejection::BadSignature),
            "the method is signed"
        );
        assert_eq!(
            Vector {
                url: "https://www.example.com/webhook_uri?x=1",
                ..get
            }
            .verify(),
            Err(Rejection::BadSignature),
            "the URI is signed"
        );
    }
}
