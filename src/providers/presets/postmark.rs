//! Postmark: no signature; webhooks carry HTTP Basic credentials embedded in the webhook URL
//! (`https://user:pass@host/...`), checked like the `basic` family (`secrets` are
//! `"user:password"`). No body integrity; Postmark also publishes its sending IPs (`allow_ips`).
//! Source: postmarkapp.com/developer/webhooks/webhooks-overview ("Protecting your webhook":
//! basic HTTP authentication).

use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "postmark",
    family: "basic",
    headers: &["Authorization"],
    event_type: Some("json:/RecordType"),
    summary: "Authorization: Basic base64(user:password) from the webhook URL (no body integrity)",
    reference: "postmarkapp.com/developer/webhooks/webhooks-overview (basic auth in the URL; MessageID is shared by a message's events: no event ID)",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    crate::providers::families::basic::build(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // RFC 7617 §2's example credentials as Postmark would send them from
    // https://Aladdin:open%20sesame@host/...: `Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`.
    #[test]
    fn basic_credentials_from_the_url() {
        let v = Vector::new(
            &PRESET,
            &["Aladdin:open sesame"],
            &[("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")],
            br#"{"RecordType":"Delivery","MessageID":"883953f4"}"#,
        );
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            Vector {
                secrets: &["Aladdin:open sesamE"],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        v.assert_sign_round_trip(v.now);
    }
}
