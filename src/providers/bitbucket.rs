//! Bitbucket Cloud/Data Center: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
//! Source: see the test vector's comment.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "bitbucket",
    default_tolerance: None,
    event_id: Some("header:X-Request-UUID"),
    event_type: Some("header:X-Event-Key"),
    summary: "X-Hub-Signature: sha256=<hex> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-Hub-Signature"],
    reference: "support.atlassian.com bitbucket-cloud: manage webhooks (secret) and event payloads (X-Request-UUID with X-Attempt-Number)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Hub-Signature",
        Algorithm::Sha256,
        Encoding::Hex,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;

    // Scheme: webhooks.fyi directory entry for Bitbucket (sha256, hex, no timestamp) and ngrok's
    // `bitbucket` verification preset agree; support.atlassian.com "Manage webhooks" (secure
    // webhooks) describes `X-Hub-Signature` as sha256=HMAC of the body. No published vector: the
    // expected value below was computed independently with Python `hmac.new(secret, body,
    // hashlib.sha256).hexdigest()`.
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"{\"push\":{\"changes\":[]},\"repository\":{\"full_name\":\"team/repo\"}}";
    const SIGNATURE: &str =
        "sha256=8ca2a7c21dcc03874185f526d79280484c5808b58c6c72332a73dbca1f2465c0";

    #[test]
    fn documented_scheme_vector() {
        Vector::new(&PRESET, &[SECRET], &[("X-Hub-Signature", SIGNATURE)], BODY).assert_all();
    }
}
