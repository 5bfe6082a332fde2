//! Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, raw body)>`.
//! Source: developers.intercom.com "Signed notifications"; checked against Intercom's official
//! webhook sample (see the test vector's comment).

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "intercom",
    default_tolerance: None,
    event_id: Some("json:/id"),
    event_type: Some("json:/topic"),
    summary: "X-Hub-Signature: sha1=<hex> HMAC-SHA1 of the raw body",
    family: "hmac-body",
    headers: &["X-Hub-Signature"],
    reference: "developers.intercom.com webhooks (signed notifications; notification id)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Hub-Signature",
        Algorithm::Sha1,
        Encoding::Hex,
        "sha1=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Intercom's official webhook sample, github.com/intercom-archive/intercom-webhooks @
    // 31669eb2e986d2e79c60ed085378162c8ef94061 (Intercom's organisation for retired repositories),
    // `python/flask/webhook_flask.py` run unchanged with its hard-coded hub secret "secret": it
    // calculates this X-Hub-Signature for BODY and reports a match (its `php/webhook.php` prints
    // the same). Produced by scripts/provider-vectors/intercom.py (flask 3.1.3). Intercom's docs
    // (developers.intercom.com "Signed notifications": `sha1=` + hex HMAC-SHA1 of the body) print
    // an example signature without its key, and its SDKs (npm intercom-client@7.0.3, PyPI
    // python-intercom@5.0.1) have no webhook verification.
    const SECRET: &str = "secret";
    const BODY: &[u8] = b"{\"type\":\"notification_event\",\"id\":\"notif_ccd8a4d0\",\"topic\":\"conversation.user.created\"}";
    const SIGNATURE: &str = "sha1=05a5b15249df66ff9179376a26612d2494a3777e";

    #[test]
    fn official_sample_vector() {
        Vector::new(&PRESET, &[SECRET], &[("X-Hub-Signature", SIGNATURE)], BODY).assert_all();
    }
}
