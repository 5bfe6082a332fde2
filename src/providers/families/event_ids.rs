//! Issue 10 item 9: each preset's event-ID default is one key per delivered event, kept across the
//! provider's retries and redeliveries, read under every header alias the scheme accepts.

use http::HeaderMap;

use super::testkit::headers;
use crate::config::field_source::FieldSource;
use crate::providers::find_preset;

/// The ID the request path derives for `preset`: the first of its sources that yields one.
fn event_id(preset: &str, map: &HeaderMap, body: &[u8]) -> Option<String> {
    find_preset(preset)
        .unwrap()
        .event_id_sources()
        .find_map(|s| FieldSource::parse(s).unwrap().extract(map, body))
}

// docs.gitlab.com user/project/integrations/webhooks ("Delivery headers"): X-Gitlab-Event-UUID
// is shared by the events one webhook-triggered request causes (recursion detection), while
// Idempotency-Key is unique per event and kept when GitLab retries or a user resends.
#[test]
fn gitlab_dedups_on_idempotency_key_not_the_event_uuid() {
    let first = headers(&[
        (
            "X-Gitlab-Event-UUID",
            "13792a34-cac6-4fda-95a8-c58e00a3954e",
        ),
        ("Idempotency-Key", "f5a4b8c2-0001-4f6a-9e0a-1a2b3c4d5e6f"),
    ]);
    let second_event_same_uuid = headers(&[
        (
            "X-Gitlab-Event-UUID",
            "13792a34-cac6-4fda-95a8-c58e00a3954e",
        ),
        ("Idempotency-Key", "f5a4b8c2-0002-4f6a-9e0a-1a2b3c4d5e6f"),
    ]);
    let manual_resend = headers(&[
        (
            "X-Gitlab-Event-UUID",
            "99999999-cac6-4fda-95a8-c58e00a3954e",
        ),
        ("Idempotency-Key", "f5a4b8c2-0001-4f6a-9e0a-1a2b3c4d5e6f"),
    ]);
    let id = |m: &HeaderMap| event_id("gitlab", m, b"{}");
    assert_ne!(id(&first), id(&second_event_same_uuid));
    assert_eq!(id(&first), id(&manual_resend));
    assert!(id(&first).is_some());
}

// developer.box.com/guides/webhooks/v2 ("Payload headers"): BOX-DELIVERY-ID changes when Box
// retries, the ID in the payload body stays.
#[test]
fn box_dedups_on_the_payload_id_not_the_delivery_id() {
    let body = br#"{"type":"webhook_event","id":"ev_123","trigger":"FILE.UPLOADED"}"#;
    let try1 = headers(&[("box-delivery-id", "d-1")]);
    let retry = headers(&[("box-delivery-id", "d-2")]);
    assert_eq!(event_id("box", &try1, body), Some("ev_123".into()));
    assert_eq!(event_id("box", &try1, body), event_id("box", &retry, body));
}

// Svix accepts its branded `svix-*` headers and the unbranded `webhook-*` ones for the signature
// (svix-webhooks rust/src/webhooks.rs), so the ID is read under both names.
#[test]
fn svix_reads_the_id_under_both_header_names() {
    let branded = headers(&[("svix-id", "msg_1")]);
    let unbranded = headers(&[("webhook-id", "msg_1")]);
    assert_eq!(event_id("svix", &branded, b"{}"), Some("msg_1".into()));
    assert_eq!(event_id("svix", &unbranded, b"{}"), Some("msg_1".into()));
}

/// Every preset whose scheme accepts more than one header name for its signature reads its ID
/// under each of them, and every default source is valid config syntax.
#[test]
fn id_sources_cover_every_signature_alias() {
    for p in crate::providers::presets() {
        for source in p.event_id_sources() {
            FieldSource::parse(source).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
    }
    // The presets built on Svix's branded + unbranded names.
    for p in crate::providers::presets() {
        if p.headers.first().is_some_and(|h| h.starts_with("svix-")) {
            let sources: Vec<&str> = p.event_id_sources().collect();
            assert_eq!(
                sources,
                ["header:svix-id", "header:webhook-id"],
                "{}",
                p.name
            );
        }
    }
}

/// Issue 20 fault 7: every per-receiver scope field is valid config syntax, and the presets
/// whose ID is shared by every receiver of an event say what names the receiver.
#[test]
fn shared_ids_are_scoped_per_receiver() {
    use crate::providers::DedupScope;
    for p in crate::providers::presets() {
        if let DedupScope::Fields(fields) = p.dedup_scope {
            for f in fields {
                FieldSource::parse(f).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            }
        }
    }
    let scope = |name: &str| find_preset(name).unwrap().dedup_scope;
    assert_eq!(
        scope("aws-sns"),
        DedupScope::Fields(&["header:x-amz-sns-subscription-arn"])
    );
    assert_eq!(
        scope("gcp-pubsub"),
        DedupScope::Fields(&["json:/subscription"])
    );
    assert_eq!(scope("slack"), DedupScope::Fields(&["json:/api_app_id"]));
    assert_eq!(scope("netlify"), DedupScope::Fields(&["json:/state"]));
    for name in [
        "stripe",
        "square",
        "mux",
        "pagerduty",
        "intercom",
        "typeform",
        "vercel",
        "segment",
        "persona",
        "worldline",
    ] {
        assert_eq!(scope(name), DedupScope::Secret, "{name}");
    }
    // Paddle: notification_id is per destination, event_id is shared.
    let body = br#"{"event_id":"evt_1","notification_id":"ntf_1"}"#;
    assert_eq!(
        event_id("paddle", &HeaderMap::new(), body),
        Some("ntf_1".into())
    );
}
