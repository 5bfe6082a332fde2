//! Gogs: `X-Gogs-Signature: <hex HMAC-SHA256(secret, raw body)>`.
//! Source: gogs.io/docs/features/webhook (X-Gogs-Signature, X-Gogs-Delivery).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "gogs",
    family: "hmac-body",
    headers: &["X-Gogs-Signature"],
    event_id: Some("header:X-Gogs-Delivery"),
    event_type: Some("header:X-Gogs-Event"),
    summary: "X-Gogs-Signature: <hex> HMAC-SHA-256 of the raw body",
    reference: "gogs.io/docs/features/webhook (X-Gogs-Signature, X-Gogs-Delivery)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Gogs-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme as documented (gogs.io/docs/features/webhook); no published vector with a key, so the
    // expected value was computed independently with Python
    // `hmac.new(key, body, hashlib.sha256).hexdigest()`, prefixed ``.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector::new(
            &PRESET,
            &["gogs-secret"],
            &[(
                "X-Gogs-Signature",
                "5fa01d11473b51239cc700b4d64d68d6b90964873e3e0e24db02b1f55a484df0",
            )],
            br#"{"id":"evt_1","type":"ping"}"#,
        );
        v.assert_all();
    }
}
