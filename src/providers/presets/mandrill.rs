//! Mandrill (Mailchimp Transactional): `X-Mandrill-Signature: <base64 HMAC-SHA1(webhook key,
//! webhook URL + POST params sorted by name, each name + value)>`. The URL is the route's public
//! URL and must equal the one registered with Mandrill.
//! Source: mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks
//! ("Authenticating webhook requests").

use crate::providers::families::url_params_hmac::UrlParamsHmac;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "mandrill",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "X-Mandrill-Signature: <base64> HMAC-SHA1 of public URL + sorted form params",
    family: "hmac-url",
    headers: &["X-Mandrill-Signature"],
    reference: "mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    UrlParamsHmac::boxed(settings, "X-Mandrill-Signature", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // Official sample output: the PHP `generateSignature($webhook_key, $url, $params)` published
    // in Mailchimp Transactional's "Authenticating webhook requests" (URL, then each POST key +
    // value after ksort; base64 HMAC-SHA1), run unchanged under PHP 8.2 on `parse_str` of these
    // bodies, prints both signatures: scripts/provider-vectors/mandrill.php.
    const BODY: &[u8] = b"mandrill_events=%5B%7B%22event%22%3A%22send%22%2C%22_id%22%3A%22exampleaaaaaaaaaaaaaaaaaaaaaaaaa1%22%2C%22ts%22%3A1365109999%7D%5D";

    #[test]
    fn docs_generate_signature_vector() {
        let v = Vector {
            url: "https://hooks.example.com/webhooks/mandrill",
            ..Vector::new(
                &PRESET,
                &["mandrill-webhook-key"],
                &[("X-Mandrill-Signature", "hgGdRUP34w6GuGeTNyBdDBOdKJk=")],
                BODY,
            )
        };
        v.assert_all();
        let other = Vector {
            url: "https://hooks.example.com/webhooks/mandrill2",
            ..v
        };
        assert_eq!(other.verify(), Err(Rejection::BadSignature));
    }

    // Fields out of order (ksort) and a repeated name (PHP keeps the last value).
    #[test]
    fn docs_generate_signature_sorts_fields_and_keeps_the_last_repeat() {
        Vector {
            url: "https://hooks.example.com/webhooks/mandrill",
            ..Vector::new(
                &PRESET,
                &["mandrill-webhook-key"],
                &[("X-Mandrill-Signature", "uGIoPRShNUiECvJuV/c4M7VaSTs=")],
                b"zeta=1&mandrill_events=%5B%5D&alpha=x+y&zeta=2",
            )
        }
        .assert_vector_cases();
    }
}
