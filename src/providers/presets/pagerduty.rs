//! PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the
//! raw body; one `v1` per active secret during rotation, any may match.
//! Source: developer.pagerduty.com/docs/webhooks/webhook-signatures; webhooks.fyi.

use crate::providers::families::common::{Algorithm, Encoding};
use crate::providers::families::parts_hmac::{Part, Shape};
use crate::providers::{DedupScope, Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "pagerduty",
    default_tolerance: None,
    event_id: Some("json:/event/id"),
    // One event ID to every subscription/endpoint; each has its own secret (issue 20 fault 7).
    dedup_scope: DedupScope::Secret,
    event_type: Some("json:/event/event_type"),
    summary: "X-PagerDuty-Signature: v1=<hex>[,v1=<hex>] HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-PagerDuty-Signature"],
    reference: "developer.pagerduty.com webhooks v3 (verifying signatures; event.id)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "X-PagerDuty-Signature",
    prefix: "v1=",
    list_separator: Some(','),
    encoding: Encoding::Hex,
    algorithm: Algorithm::Sha256,
    timestamp: None,
    id_header: None,
    parts: &[Part::Body],
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // Published vector: PagerDuty's official Go SDK, github.com/PagerDuty/go-pagerduty
    // webhookv3/webhookv3_test.go @ 3df5eb4e62dcdf897d37106578d7be6ad54449dc (TestVerifySignature:
    // `secret`, `defaultBody`, the "valid" and the "mismatch" signatures). Its VerifySignature
    // (webhookv3/webhookv3.go) splits the header on ',' and skips entries without `v1=`, as the
    // preset does.
    const SECRET: &str = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
    const BODY: &[u8] = br#"{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}"#;
    const VALID: &str = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
    const MISMATCH: &str = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";

    fn verify_with(value: &str) -> Result<(), Rejection> {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[("X-PagerDuty-Signature", value)],
            BODY,
        )
        .verify()
    }

    #[test]
    fn go_pagerduty_published_vector() {
        let v = Vector::new(
            &PRESET,
            &[SECRET],
            &[("X-PagerDuty-Signature", VALID)],
            BODY,
        );
        v.assert_all();
        assert_eq!(
            Vector {
                headers: &[("X-PagerDuty-Signature", MISMATCH)],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rotation_list_any_v1_entry_may_match() {
        // The SDK's "mismatch" and "valid" signatures as one rotation header.
        const ROTATED: &str = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5,v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
        assert_eq!(verify_with(ROTATED), Ok(()));
        // Entries of another version are skipped, as go-pagerduty does.
        const OTHER_VERSION: &str =
            "v2=ffff,v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
        assert_eq!(verify_with(OTHER_VERSION), Ok(()));
        assert_eq!(
            verify_with("0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"),
            Err(Rejection::MalformedSignature)
        );
    }
}
