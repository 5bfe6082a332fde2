//! Mandrill (Mailchimp Transactional): `X-Mandrill-Signature: <base64 HMAC-SHA1(webhook key,
//! webhook URL + POST params sorted by name, each name + value)>`. The URL is the route's public
//! URL and must equal the one registered with Mandrill.
//! Source: mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks
//! ("Authenticating webhook requests").

use super::twilio::UrlParamsHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

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
    use crate::providers::testkit::Vector;
    use crate::providers::Rejection;

    // Scheme: Mailchimp Transactional docs "Authenticating webhook requests" (signed_data = URL,
    // then each POST key + value after ksort; base64 of HMAC-SHA1 with the webhook key);
    // webhooks.fyi (sha1/base64) agrees. No published vector: expected value computed with Python
    // `base64.b64encode(hmac.new(key, url + "mandrill_events" + events, hashlib.sha1).digest())`.
    const BODY: &[u8] = b"mandrill_events=%5B%7B%22event%22%3A%22send%22%2C%22_id%22%3A%22exampleaaaaaaaaaaaaaaaaaaaaaaaaa1%22%2C%22ts%22%3A1365109999%7D%5D";

    #[test]
    fn documented_scheme_vector() {
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
}
