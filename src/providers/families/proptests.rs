//! Property tests for the parsers of untrusted input in the providers (issue 10): signature
//! headers of each family, form and multipart bodies, URL canonicalisation and event-ID
//! extraction. Each property runs [`CASES`] cases and asserts something: no panic on arbitrary
//! input, a round trip with our signer, and refusal of mutated input.

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use proptest::prelude::*;

use super::testkit::{headers, scheme};
use crate::config::field_source::FieldSource;
use crate::providers::{find_preset, Rejection, WebhookRequest};

/// Cases per property (issue 10: at least 10,000 under `cargo test --release`).
const CASES: u32 = 10_000;

const NOW: Duration = Duration::from_secs(1_700_000_000);
const URL: &str = "https://hooks.example.com/p?x=1";

fn request<'a>(
    method: &'a str,
    url: &'a str,
    map: &'a http::HeaderMap,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        public_url: url,
        headers: map,
        body,
        now: NOW,
    }
}

/// Signs `body` for `preset` with `secret`, then returns the verdict on the signed request and on
/// the same request with `mutate` applied to the signature header's value.
fn round_trip(
    preset: &str,
    secret: &str,
    body: &[u8],
    mutate: impl Fn(&str) -> String,
) -> (Result<(), Rejection>, Result<(), Rejection>) {
    let preset = find_preset(preset).unwrap();
    let s = scheme(preset, &[secret], None);
    let empty = http::HeaderMap::new();
    let signed = s.sign(&request("POST", URL, &empty, body)).unwrap();
    let mut map = http::HeaderMap::new();
    for (k, v) in &signed {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let ok = s.verify(&request("POST", URL, &map, body));
    let (name, value) = &signed[0];
    let mutated = mutate(value);
    if let Ok(v) = HeaderValue::from_str(&mutated) {
        map.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), v);
    }
    let bad = s.verify(&request("POST", URL, &map, body));
    (ok, bad)
}

/// Changes the character at `i` (mod length) of the signature's encoded part to another one of
/// the same alphabet, so the value still parses but no longer matches.
fn flip(value: &str, i: usize, tail_start: usize) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let span = chars.len() - tail_start;
    let at = tail_start + i % span;
    chars[at] = match chars[at] {
        '0' => '1',
        'A' => 'B',
        'a' => 'b',
        '=' => return value.replace('=', "") + "AAAA",
        _ => '0',
    };
    chars.into_iter().collect()
}

/// Header values a sender can send: visible ASCII and spaces.
fn header_text() -> impl Strategy<Value = String> {
    "[ -~]{0,120}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// `t=…,v1=…` lists (Stripe, Calendly, Mux; `ts=…;h1=…` Paddle): any header value is refused
    /// or accepted without panicking, never accepted without the secret.
    #[test]
    fn timestamp_lists_never_panic_or_accept_garbage(value in header_text(), body in proptest::collection::vec(any::<u8>(), 0..64)) {
        for preset in ["stripe", "paddle"] {
            let p = find_preset(preset).unwrap();
            let map = headers(&[(p.headers[0], value.as_str())]);
            let verdict = scheme(p, &["whsec_test"], None).verify(&request("POST", URL, &map, &body));
            prop_assert!(verdict.is_err());
        }
    }

    #[test]
    fn timestamp_lists_round_trip_and_refuse_mutations(secret in "[A-Za-z0-9_]{1,40}", body in proptest::collection::vec(any::<u8>(), 0..256), i in any::<usize>()) {
        for preset in ["stripe", "paddle", "calendly", "mux"] {
            // The signature follows the last '='.
            let (ok, bad) = round_trip(preset, &secret, &body, |v| flip(v, i, v.rfind('=').unwrap() + 1));
            prop_assert_eq!(ok, Ok(()), "{}", preset);
            prop_assert!(bad.is_err(), "{}", preset);
        }
    }

    /// Standard Webhooks / Svix `v1,<b64> …` lists.
    #[test]
    fn versioned_lists_never_panic_or_accept_garbage(value in header_text(), id in "[ -~]{0,40}") {
        let p = find_preset("standard-webhooks").unwrap();
        let ts = NOW.as_secs().to_string();
        let map = headers(&[("webhook-signature", value.as_str()), ("webhook-id", id.as_str()), ("webhook-timestamp", ts.as_str())]);
        let verdict = scheme(p, &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], None).verify(&request("POST", URL, &map, b"{}"));
        prop_assert!(verdict.is_err());
    }

    #[test]
    fn versioned_lists_round_trip_and_refuse_mutations(key in proptest::collection::vec(any::<u8>(), 1..64), body in proptest::collection::vec(any::<u8>(), 0..256), i in any::<usize>()) {
        use base64::Engine;
        let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(&key));
        for preset in ["standard-webhooks", "svix"] {
            let (ok, bad) = round_trip(preset, &secret, &body, |v| flip(v, i, 3));
            prop_assert_eq!(ok, Ok(()), "{}", preset);
            prop_assert!(bad.is_err(), "{}", preset);
        }
    }

    /// Prefixed single signatures (`sha256=<hex>`, `v0=<hex>`, bare base64) of the body-HMAC and
    /// header-timestamp families.
    #[test]
    fn prefixed_signatures_never_panic_or_accept_garbage(value in header_text(), ts in "[ -~]{0,30}") {
        for preset in ["github", "slack", "shopify", "zendesk", "twitch", "box", "hubspot"] {
            let p = find_preset(preset).unwrap();
            let mut pairs: Vec<(&str, &str)> = p.headers.iter().map(|h| (*h, ts.as_str())).collect();
            pairs[0].1 = value.as_str();
            let map = headers(&pairs);
            let verdict = scheme(p, &["secret"], None).verify(&request("POST", URL, &map, b"{}"));
            prop_assert!(verdict.is_err(), "{}", preset);
        }
    }

    #[test]
    fn prefixed_signatures_round_trip_and_refuse_mutations(secret in "[ -~]{1,40}", body in proptest::collection::vec(any::<u8>(), 0..256), i in any::<usize>()) {
        for (preset, prefix) in [("github", 7), ("slack", 3), ("shopify", 0), ("zendesk", 0), ("twitch", 7), ("hubspot", 0), ("pagerduty", 3)] {
            let (ok, bad) = round_trip(preset, &secret, &body, |v| flip(v, i, prefix));
            prop_assert_eq!(ok, Ok(()), "{}", preset);
            prop_assert!(bad.is_err(), "{}", preset);
        }
    }

    /// Form bodies signed with the URL (Twilio, Mandrill): any body parses; a signed form round
    /// trips; a changed parameter value is refused.
    #[test]
    fn form_bodies_round_trip_and_refuse_mutations(
        pairs in proptest::collection::vec(("[A-Za-z]{1,8}", "[ -~]{0,16}"), 1..8),
        garbage in proptest::collection::vec(any::<u8>(), 0..256),
        secret in "[A-Za-z0-9]{1,32}",
    ) {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish();
        for preset in ["twilio", "mandrill"] {
            let p = find_preset(preset).unwrap();
            let s = scheme(p, &[secret.as_str()], None);
            let empty = http::HeaderMap::new();
            let signed = s.sign(&request("POST", URL, &empty, body.as_bytes())).unwrap();
            let map = headers(&[(signed[0].0.as_str(), signed[0].1.as_str())]);
            prop_assert_eq!(s.verify(&request("POST", URL, &map, body.as_bytes())), Ok(()), "{}", preset);
            // The last value of a name is the one Mandrill (PHP's $_POST) signs.
            let mut changed = pairs.clone();
            changed.last_mut().unwrap().1.push('~');
            let changed: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(changed.iter()).finish();
            prop_assert_eq!(s.verify(&request("POST", URL, &map, changed.as_bytes())), Err(Rejection::BadSignature), "{}", preset);
            prop_assert!(s.verify(&request("POST", URL, &map, &garbage)).is_err(), "{}", preset);
        }
    }

    /// Mailgun's three body shapes: arbitrary bytes under each content type never panic; fields
    /// put in any shape among other fields are found again.
    #[test]
    fn mailgun_shapes_parse_anything_and_find_their_fields(
        garbage in proptest::collection::vec(any::<u8>(), 0..512),
        extra in proptest::collection::vec(("[a-z\\-]{1,10}", "[ -~]{0,20}"), 0..6),
        token in "[a-f0-9]{10,50}",
    ) {
        use crate::providers::presets::mailgun::signed_fields;
        for ct in ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b0undary", "multipart/form-data"] {
            let _ = signed_fields(Some(ct), &garbage);
        }
        let mut fields: Vec<(String, String)> = extra.into_iter().filter(|(k, _)| !matches!(k.as_str(), "timestamp" | "token" | "signature")).collect();
        fields.push(("timestamp".into(), "1700000000".into()));
        fields.push(("token".into(), token.clone()));
        fields.push(("signature".into(), "ab".into()));
        let form: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter()).finish();
        let got = signed_fields(Some("application/x-www-form-urlencoded"), form.as_bytes()).unwrap();
        prop_assert_eq!(&got.token, &token);
        let mut multipart = String::new();
        for (k, v) in &fields {
            multipart.push_str(&format!("--b0undary\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
        }
        multipart.push_str("--b0undary--\r\n");
        let got = signed_fields(Some("multipart/form-data; boundary=b0undary"), multipart.as_bytes()).unwrap();
        prop_assert_eq!(&got.token, &token);
    }

    /// HubSpot v3's URI canonicalisation and Twilio's URL forms: any text is handled; no listed
    /// escape survives HubSpot's; Node's legacy query re-encoding is idempotent.
    #[test]
    fn url_canonicalisation_is_total_and_stable(url in "[ -~]{0,120}", q in proptest::collection::vec(("[ -~]{1,8}", "[ -~]{0,8}"), 0..6)) {
        let canonical = crate::providers::presets::hubspot::canonical_uri(&url);
        for code in ["%3A", "%2F", "%3F", "%40", "%21", "%24", "%27", "%28", "%29", "%2A", "%2C", "%3B"] {
            prop_assert!(!canonical.to_ascii_uppercase().contains(code), "{} in {}", code, canonical);
        }
        let _ = crate::providers::families::url_params_hmac::url_variants(&url);
        let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(q.iter()).finish();
        let with_query = format!("https://h.example/p?{query}");
        for text in [url.as_str(), with_query.as_str()] {
            let once = crate::providers::families::url_params_hmac::legacy_query(text);
            prop_assert_eq!(crate::providers::families::url_params_hmac::legacy_query(&once), once.clone());
        }
        prop_assert!(crate::providers::families::url_params_hmac::url_variants(&with_query).contains(&with_query));
    }

    /// Event-ID extraction: arbitrary headers and JSON never panic; an ID put where a preset's
    /// source points is found again, exactly.
    #[test]
    fn event_ids_are_extracted_exactly(id in "[!-~][ -~]{0,40}[!-~]", json in "[ -~]{0,200}", header in header_text()) {
        for p in crate::providers::presets() {
            for source in p.event_id_sources() {
                let source = FieldSource::parse(source).unwrap();
                let mut map = http::HeaderMap::new();
                if let FieldSource::Header(name) = &source {
                    if let Ok(v) = HeaderValue::from_str(&header) {
                        map.insert(name.clone(), v);
                    }
                }
                let _ = source.extract(&map, json.as_bytes());
                // Put `id` where the source points and read it back.
                let (map, body) = match &source {
                    FieldSource::Header(name) => {
                        let mut m = http::HeaderMap::new();
                        m.insert(name.clone(), HeaderValue::from_str(&id).unwrap());
                        (m, Vec::new())
                    }
                    FieldSource::JsonPointer(pointer) => {
                        let mut v = serde_json::Value::String(id.clone());
                        for key in pointer.rsplit('/').filter(|k| !k.is_empty()) {
                            let key = key.replace("~1", "/").replace("~0", "~");
                            v = serde_json::json!({ key: v });
                        }
                        (http::HeaderMap::new(), v.to_string().into_bytes())
                    }
                };
                prop_assert_eq!(source.extract(&map, &body), Some(id.clone()), "{}", p.name);
            }
        }
    }
}
