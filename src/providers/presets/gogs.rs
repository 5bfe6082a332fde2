//! Gogs: `X-Gogs-Signature: <hex HMAC-SHA256(secret, JSON payload)>` (the raw body, or the
//! `payload` field of a form delivery: see [`ForgePayloadHmac`]). Gitea and Forgejo send this
//! header too.
//! Source: gogs.io/docs/features/webhook (X-Gogs-Signature, X-Gogs-Delivery); gogs/gogs
//! `internal/database/webhook.go` (`prepareHookTasks` signs, `deliver` sends).

use super::gitea::ForgePayloadHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "gogs",
    family: "hmac-body",
    headers: &["X-Gogs-Signature"],
    event_id: Some("header:X-Gogs-Delivery"),
    event_type: Some("header:X-Gogs-Event"),
    summary: "X-Gogs-Signature: <hex> HMAC-SHA-256 of the JSON payload (the body, or the `payload` field of a form delivery)",
    reference: "gogs.io/docs/features/webhook (X-Gogs-Signature, X-Gogs-Delivery)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    ForgePayloadHmac::boxed(settings, "X-Gogs-Signature")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    const BODY: &[u8] = br#"{"ref":"refs/heads/develop","before":"28e1879d029cb852e4844d9c718537df08844e03","after":"bffeb74224043ba2feb48d137756c8a9331c449a","repository":{"id":140,"full_name":"gitea/webhooks"}}"#;

    // Gogs' own signer: gogs/gogs internal/database/webhook.go @eb1054e5432fc8397678372f08613429be233d7c,
    // the signature lines of `prepareHookTasks` run verbatim (Go 1.19.8, standard library only)
    // with secret "gogs-secret" over BODY (`deliver` sends that JSON as the body, or as the
    // `payload` form field, and the hex as X-Gogs-Signature).
    #[test]
    fn gogs_signer_vector() {
        let v = Vector::new(
            &PRESET,
            &["gogs-secret"],
            &[(
                "X-Gogs-Signature",
                "782c3f315b239f1d4afca2a47b475dfc214f2081ab82f56bd70d80821badd680",
            )],
            BODY,
        );
        v.assert_all();
    }

    // Gitea sends X-Gogs-Signature with the same value as X-Gitea-Signature (go-gitea/gitea
    // services/webhook/deliver.go @50e78265 `addDefaultHeaders`, run as in gitea.rs): this preset
    // also verifies Gitea deliveries.
    #[test]
    fn gitea_delivery_vector() {
        Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[(
                "X-Gogs-Signature",
                "2445743eb92db261e0440c5fc1ba646b138359c3802399f27af5e79408cdeb7a",
            )],
            BODY,
        )
        .assert_vector_cases();
    }
}
