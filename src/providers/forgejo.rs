//! Forgejo: `X-Forgejo-Signature: <hex HMAC-SHA256(secret, raw body)>` (it also sends Gitea's headers).
//! Source: forgejo.org/docs/latest/user/webhooks (X-Forgejo-Signature, X-Forgejo-Delivery).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "forgejo",
    family: "hmac-body",
    headers: &["X-Forgejo-Signature"],
    event_id: Some("header:X-Forgejo-Delivery"),
    event_type: Some("header:X-Forgejo-Event"),
    summary: "X-Forgejo-Signature: <hex> HMAC-SHA-256 of the raw body",
    reference: "forgejo.org/docs/latest/user/webhooks (X-Forgejo-Signature, X-Forgejo-Delivery)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Forgejo-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme as documented (forgejo.org/docs/latest/user/webhooks); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed ``.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["forgejo-secret"],
            &[(
                "X-Forgejo-Signature",
                "ac90bc51dd37cd59674cb61bfdbaed7f723aedc0f0ae13a2be7b9d9288f3fcb9",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
