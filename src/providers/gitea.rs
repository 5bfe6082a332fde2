//! Gitea: `X-Gitea-Signature: <hex HMAC-SHA256(secret, raw body)>`.
//! Source: docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "gitea",
    family: "hmac-body",
    headers: &["X-Gitea-Signature"],
    event_id: Some("header:X-Gitea-Delivery"),
    event_type: Some("header:X-Gitea-Event"),
    summary: "X-Gitea-Signature: <hex> HMAC-SHA-256 of the raw body",
    reference: "docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Gitea-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme as documented (docs.gitea.com/usage/webhooks); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed ``.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[(
                "X-Gitea-Signature",
                "a233c6fcf2ec69222cd44b882f4c0de9eb30495f46d9e3b18d5bdbe1d9d2fcbf",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
