//! Forgejo: `X-Forgejo-Signature: <hex HMAC-SHA256(secret, JSON payload)>` (the raw body, or the
//! `payload` field of a form delivery: see [`ForgePayloadHmac`]). It also sends Gitea's and Gogs'
//! headers with the same value; releases from before the X-Forgejo-* headers need the `gitea`
//! preset.
//! Source: forgejo.org/docs/latest/user/webhooks (X-Forgejo-Signature, X-Forgejo-Delivery);
//! Forgejo `services/webhook/shared/payloader.go` (`AddDefaultHeaders`).

use super::gitea::ForgePayloadHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "forgejo",
    family: "hmac-body",
    headers: &["X-Forgejo-Signature"],
    event_id: Some("header:X-Forgejo-Delivery"),
    event_type: Some("header:X-Forgejo-Event"),
    summary: "X-Forgejo-Signature: <hex> HMAC-SHA-256 of the JSON payload (the body, or the `payload` field of a form delivery)",
    reference: "forgejo.org/docs/latest/user/webhooks (X-Forgejo-Signature, X-Forgejo-Delivery)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    ForgePayloadHmac::boxed(settings, "X-Forgejo-Signature")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;

    const BODY: &[u8] = br#"{"ref":"refs/heads/develop","before":"28e1879d029cb852e4844d9c718537df08844e03","after":"bffeb74224043ba2feb48d137756c8a9331c449a","repository":{"id":140,"full_name":"gitea/webhooks"}}"#;

    // Forgejo's own signer: services/webhook/shared/payloader.go `AddDefaultHeaders` (read from
    // the GitHub copy creator-signal/fork-forgejo-forgejo @072ec2e27d5b474d5cd02c63ab31e4042668c354
    // of codeberg.org/forgejo/forgejo; module forgejo.org), run verbatim (Go 1.19.8, standard
    // library only) with secret "forgejo-secret" over BODY. It set X-Forgejo-Signature,
    // X-Gitea-Signature and X-Gogs-Signature to this hex.
    #[test]
    fn forgejo_signer_vector() {
        let v = Vector::new(
            &PRESET,
            &["forgejo-secret"],
            &[(
                "X-Forgejo-Signature",
                "0a9a335b8880041da9e435e9bfc87c7bd24f56c4c4109936d801d40958b83671",
            )],
            BODY,
        );
        v.assert_all();
    }
}
