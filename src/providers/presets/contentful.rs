//! Contentful request verification (webhooks and App Framework): `x-contentful-signature: <hex>`
//! HMAC-SHA256, keyed with the 64-character signing secret as is, of the canonical request
//!
//! ```text
//! {METHOD}\n{encoded path[?query]}\n{name}:{value};{name}:{value}…\n{raw body}
//! ```
//!
//! where the headers are those named in `x-contentful-signed-headers` (comma-separated, matched
//! exactly against the lower-cased request header names; values trimmed), plus always
//! `x-contentful-timestamp` (its integer value re-printed) and `x-contentful-signed-headers`
//! (rebuilt as the sorted list of the names signed), sorted by name. The path is the one the
//! provider called (from [`WebhookRequest::public_url`]), `encodeURI`d, its query (up to a second
//! `?`) first `querystring.escape`d and then `encodeURI`d as well. `x-contentful-timestamp` is in
//! Unix milliseconds; the SDK refuses it once 30 s old and sets no future bound (hookgate allows
//! [`common::CLOCK_SKEW`]).
//! Source: @contentful/node-apps-toolkit 3.16.1 `signRequest` / `verifyRequest`
//! (src/requests/sign-request.ts, verify-request.ts, utils.ts); contentful.com/developers/docs
//! webhooks "Request verification", "Webhook signing secrets" (64 characters) and "Webhook
//! headers" (X-Contentful-Topic; no per-event ID).

use std::collections::BTreeMap;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

const SIGNATURE: &str = "x-contentful-signature";
const SIGNED_HEADERS: &str = "x-contentful-signed-headers";
const TIMESTAMP: &str = "x-contentful-timestamp";

/// The SDK's `TimestampValidator`: later than 2020-01-01T00:00:00Z, in milliseconds.
const OLDEST_TIMESTAMP_MS: i64 = 1_577_836_800_000;
/// Contentful's rule for a signing secret: exactly 64 characters matching
/// `/^[0-9a-zA-Z+/=_-]+$/` (contentful.com/developers/docs "Webhook signing secrets" and "App
/// signing secret"), so 64 ASCII bytes. The SDK's `SecretValidator` checks only the JavaScript
/// length (64 UTF-16 code units) and keys the HMAC with the UTF-8 bytes, but Contentful stores
/// no other secret, so nothing else can sign a delivery.
const SECRET_LEN: usize = 64;

/// A character Contentful allows in a signing secret.
fn is_secret_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

pub const PRESET: Preset = Preset {
    name: "contentful",
    family: "hmac-url",
    headers: &[SIGNATURE, SIGNED_HEADERS, TIMESTAMP],
    default_tolerance: Some(Duration::from_secs(30)),
    future_tolerance: Some(common::CLOCK_SKEW),
    event_type: Some("header:X-Contentful-Topic"),
    // A webhook's `transformation.method` may be any of these (GET and DELETE without a body).
    methods: &["POST", "PUT", "PATCH", "DELETE", "GET"],
    summary: "x-contentful-signature: <hex> HMAC-SHA256 of method, encoded path and query, the x-contentful-signed-headers, body; x-contentful-timestamp (ms)",
    reference: "@contentful/node-apps-toolkit signRequest/verifyRequest (TTL 30 s, no future bound: hookgate allows 5 s of skew); contentful.com webhooks request verification (no per-event ID)",
    build,
    ..Preset::DEFAULTS
};

/// What `encodeURI` leaves as is: alphanumerics and `;,/?:@&=+$-_.!~*'()#`.
const ENCODE_URI: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b';')
    .remove(b',')
    .remove(b'/')
    .remove(b'?')
    .remove(b':')
    .remove(b'@')
    .remove(b'&')
    .remove(b'=')
    .remove(b'+')
    .remove(b'$')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'#');

/// What Node's `querystring.escape` leaves as is: alphanumerics and `-_.!~*'()`.
const QUERYSTRING_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The path (and query) of `public_url` as the SDK signs it (`getNormalizedEncodedURI`): split at
/// `?` (text after a second `?` is dropped), the query escaped, then the whole `encodeURI`d — so
/// `%` already in the URL is encoded again.
pub fn canonical_path(public_url: &str) -> String {
    let target = request_target(public_url);
    let mut parts = target.split('?');
    let pathname = parts.next().unwrap_or_default();
    let path = utf8_percent_encode(pathname, ENCODE_URI).to_string();
    match parts.next() {
        Some(search) if !search.is_empty() => {
            let escaped = utf8_percent_encode(search, QUERYSTRING_ESCAPE).to_string();
            format!("{path}?{}", utf8_percent_encode(&escaped, ENCODE_URI))
        }
        _ => path,
    }
}

/// `/path?query` of `scheme://host[:port]/path?query` (`/` when the URL has no path).
fn request_target(public_url: &str) -> String {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => rest[i..].to_string(),
        Some(i) => format!("/{}", &rest[i..]),
        None => "/".to_string(),
    }
}

/// The canonical request the HMAC covers, given the headers to sign (lower-case name → trimmed
/// value, without the two `x-contentful-` headers the signer adds) and the timestamp.
fn canonical_request(
    method: &str,
    public_url: &str,
    mut signed: BTreeMap<String, String>,
    timestamp_ms: i64,
    body: &[u8],
) -> Vec<u8> {
    signed.insert(TIMESTAMP.to_string(), timestamp_ms.to_string());
    signed.insert(SIGNED_HEADERS.to_string(), String::new());
    let names: Vec<&str> = signed.keys().map(String::as_str).collect();
    let list = names.join(",");
    signed.insert(SIGNED_HEADERS.to_string(), list);
    let headers: Vec<String> = signed.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    let mut out = format!(
        "{method}\n{}\n{}\n",
        canonical_path(public_url),
        headers.join(";")
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

struct Contentful {
    secrets: Vec<Secret>,
    window: common::Window,
}

impl Scheme for Contentful {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let signature = common::single_header(req.headers, SIGNATURE)?;
        let required = |name| match common::single_header(req.headers, name) {
            Err(Rejection::MissingSignature) => Err(Rejection::MalformedSignature),
            other => other,
        };
        let list = required(SIGNED_HEADERS)?;
        let timestamp = common::parse_unix(required(TIMESTAMP)?)?;
        let candidate = Encoding::Hex
            .decode(signature)
            .filter(|s| s.len() == 32)
            .ok_or(Rejection::MalformedSignature)?;
        // The SDK's `SignedHeadersValidator` (at least the two headers it always adds) and
        // `TimestampValidator`.
        let names: Vec<&str> = list.split(',').collect();
        if names.len() < 2 || timestamp <= OLDEST_TIMESTAMP_MS {
            return Err(Rejection::MalformedSignature);
        }
        self.window.check_millis(timestamp, req.now)?;
        let mut signed = BTreeMap::new();
        for name in req.headers.keys() {
            let name = name.as_str();
            if names.contains(&name) && name != TIMESTAMP && name != SIGNED_HEADERS {
                let value = common::single_header(req.headers, name)?;
                signed.insert(name.to_string(), value.trim().to_string());
            }
        }
        let canonical = canonical_request(req.method, req.public_url, signed, timestamp, req.body);
        common::verify_hmac(
            Algorithm::Sha256,
            &self.secrets,
            &[&canonical],
            &[candidate],
        )
    }

    /// Signs the method, URL, body and `req.headers`' `x-contentful-*` headers (as Contentful's
    /// context headers), at `req.now`.
    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        // A timestamp the caller gives (`hookgate sign -H`, in ms) is the one signed.
        let timestamp = match req.headers.get(TIMESTAMP) {
            None => req.now.as_millis() as i64,
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| SignError(format!("{TIMESTAMP} is not Unix milliseconds")))?,
        };
        let signed: BTreeMap<String, String> = req
            .headers
            .iter()
            .filter(|(name, _)| {
                name.as_str().starts_with("x-contentful-")
                    && ![SIGNATURE, SIGNED_HEADERS, TIMESTAMP].contains(&name.as_str())
            })
            .filter_map(|(name, value)| {
                Some((name.to_string(), value.to_str().ok()?.trim().to_string()))
            })
            .collect();
        let mut list: Vec<&str> = signed.keys().map(String::as_str).collect();
        list.extend([SIGNED_HEADERS, TIMESTAMP]);
        list.sort_unstable();
        let list = list.join(",");
        let canonical = canonical_request(req.method, req.public_url, signed, timestamp, req.body);
        let mac = common::hmac_parts(Algorithm::Sha256, secret.bytes(), &[&canonical]);
        Ok(vec![
            (SIGNATURE.to_string(), hex::encode(mac)),
            (SIGNED_HEADERS.to_string(), list),
            (TIMESTAMP.to_string(), timestamp.to_string()),
        ])
    }

    fn reads_public_url(&self) -> bool {
        true
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, SIGNATURE, false)?;
    for (i, secret) in settings.secrets.iter().enumerate() {
        let bytes = secret.bytes();
        let in_alphabet = bytes.iter().all(|&b| is_secret_char(b));
        if bytes.len() != SECRET_LEN || !in_alphabet {
            // Lengths and the alphabet only: never the secret or any of its characters.
            return Err(SettingsError::new(
                "secrets",
                format!(
                    "secret #{} is not a Contentful signing secret: those are exactly \
                     {SECRET_LEN} ASCII characters (bytes), each one of A-Z a-z 0-9 + / = _ -; \
                     this one is {} bytes long{}",
                    i + 1,
                    bytes.len(),
                    if in_alphabet {
                        ""
                    } else {
                        " and holds other bytes"
                    }
                ),
            ));
        }
    }
    Ok(Box::new(Contentful {
        secrets: settings.secrets.to_vec(),
        window: PRESET.window(settings.tolerance),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, scheme, secs, Vector};

    // @contentful/node-apps-toolkit@3.16.1: `signRequest(SECRET, request, 1700000000000)` made
    // these headers and `verifyRequest` accepts them (and refuses the tampered body, another
    // secret, another path; 29 999 ms old passes, 30 000 ms old throws ExpiredRequestException):
    // scripts/provider-vectors/contentful.mjs. SECRET is the example value of Contentful's
    // "Create a webhook signing secret" API reference.
    const SECRET: &str = "qlfkupAwYA4ZkNnmBzmNypFqSRWOwhpGRFwQFn5iPNAGHSYdvwed1C77n0Eiaz19";
    const OTHER_SECRET: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const T_MS: u64 = 1_700_000_000_000;
    const BODY: &[u8] = br#"{"sys":{"type":"Entry","id":"5KsDBWseXY6QegucYAoacS"},"fields":{"title":{"en-US":"Hello"}}}"#;
    const WEBHOOK: &[(&str, &str)] = &[
        (
            SIGNATURE,
            "8d635b42bd0f1f3e89a5863f2c541d4a4bb572c94fb9ae9aa1a136af46bf5202",
        ),
        (
            SIGNED_HEADERS,
            "content-type,x-contentful-signed-headers,x-contentful-timestamp,x-contentful-topic,x-contentful-webhook-name",
        ),
        (TIMESTAMP, "1700000000000"),
        ("Content-Type", "application/vnd.contentful.management.v1+json"),
        ("X-Contentful-Topic", "ContentManagement.Entry.publish"),
        ("X-Contentful-Webhook-Name", "hookgate"),
        ("User-Agent", "Contentful-Webhooks/1.0"),
    ];

    fn webhook() -> Vector<'static> {
        Vector {
            now: Duration::from_millis(T_MS),
            url: "https://hooks.example.com/webhooks/contentful?env=master&topic=Entry.publish",
            wrong_secrets: &[OTHER_SECRET],
            ..Vector::new(&PRESET, &[SECRET], WEBHOOK, BODY)
        }
    }

    #[test]
    fn node_apps_toolkit_webhook_vector() {
        let v = webhook();
        v.assert_all();
        let ms = Duration::from_millis;
        assert_eq!(v.verify_at(ms(T_MS + 29_999)), Ok(()));
        assert_eq!(
            v.verify_at(ms(T_MS + 30_001)),
            Err(Rejection::StaleTimestamp),
            "stale"
        );
        assert_eq!(v.verify_at(ms(T_MS - 5_000)), Ok(()));
        assert_eq!(
            v.verify_at(ms(T_MS - 5_001)),
            Err(Rejection::StaleTimestamp),
            "future"
        );
        // The method, the path, the query, a signed header and the timestamp are all covered.
        assert_eq!(
            Vector { method: "PUT", ..v }.verify(),
            Err(Rejection::BadSignature)
        );
        for url in [
            "https://hooks.example.com/webhooks/contentful/?env=master&topic=Entry.publish",
            "https://hooks.example.com/webhooks/contentful?topic=Entry.publish&env=master",
            "https://hooks.example.com/webhooks/contentful",
        ] {
            assert_eq!(
                Vector { url, ..v }.verify(),
                Err(Rejection::BadSignature),
                "{url}"
            );
        }
        // Only the path and query are signed, not the host.
        assert_eq!(
            Vector {
                url: "http://127.0.0.1:8080/webhooks/contentful?env=master&topic=Entry.publish",
                ..v
            }
            .verify(),
            Ok(())
        );
        let mut changed = WEBHOOK.to_vec();
        changed[4].1 = "ContentManagement.Entry.unpublish";
        assert_eq!(
            Vector {
                headers: &changed,
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        // An unsigned header may change.
        changed[4].1 = "ContentManagement.Entry.publish";
        changed[6].1 = "curl/8";
        assert_eq!(
            Vector {
                headers: &changed,
                ..v
            }
            .verify(),
            Ok(())
        );
        changed[2].1 = "1700000000001";
        assert_eq!(
            Vector {
                headers: &changed,
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
    }

    // Same script: a DELETE without body or extra signed header, with escapes in the path and the
    // query and a second `?` (signing the URL cut at the second `?` gives the same signature).
    #[test]
    fn node_apps_toolkit_bare_vector_and_url_encoding() {
        let v = Vector {
            method: "DELETE",
            now: Duration::from_millis(T_MS),
            url: "https://hooks.example.com/hooks/caf%C3%A9/it's(1)?q=a%20b+c&n=1?dropped",
            wrong_secrets: &[OTHER_SECRET],
            ..Vector::new(
                &PRESET,
                &[SECRET],
                &[
                    (
                        SIGNATURE,
                        "1f1ac29f4afbe0176ef28b8a63ceaf0dcdec9656e087f6d611903755cc86a40e",
                    ),
                    (
                        SIGNED_HEADERS,
                        "x-contentful-signed-headers,x-contentful-timestamp",
                    ),
                    (TIMESTAMP, "1700000000000"),
                ],
                b"",
            )
        };
        v.assert_all();
        assert_eq!(
            Vector {
                url: "https://hooks.example.com/hooks/caf%C3%A9/it's(1)?q=a%20b+c&n=1",
                ..v
            }
            .verify(),
            Ok(())
        );
        assert_eq!(
            canonical_path("https://h/hooks/caf%C3%A9/it's(1)?q=a%20b+c&n=1?dropped"),
            "/hooks/caf%25C3%25A9/it's(1)?q%253Da%252520b%252Bc%2526n%253D1"
        );
        assert_eq!(canonical_path("https://h"), "/");
        assert_eq!(canonical_path("https://h?a=1"), "/?a%253D1");
        assert_eq!(canonical_path("https://h/p?"), "/p");
    }

    #[test]
    fn the_sdks_header_rules() {
        let v = webhook();
        let run = |pairs: &[(&str, &str)]| v.run(&[SECRET], &headers(pairs), BODY, v.now);
        let without = |name: &str| -> Vec<(&str, &str)> {
            WEBHOOK
                .iter()
                .copied()
                .filter(|(k, _)| *k != name)
                .collect()
        };
        assert_eq!(run(&without(SIGNATURE)), Err(Rejection::MissingSignature));
        assert_eq!(
            run(&without(SIGNED_HEADERS)),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(run(&without(TIMESTAMP)), Err(Rejection::MalformedSignature));
        // A signed header that is absent is not signed: the list no longer matches.
        assert_eq!(
            run(&without("X-Contentful-Topic")),
            Err(Rejection::BadSignature)
        );
        let mut bad = WEBHOOK.to_vec();
        for (i, value, why) in [
            (1, "x-contentful-timestamp", "fewer than two signed headers"),
            (2, "1500000000000", "timestamp before 2020"),
            (2, "soon", "timestamp not a number"),
            (0, "8d635b42", "signature too short"),
        ] {
            let saved = bad[i].1;
            bad[i].1 = value;
            assert_eq!(run(&bad), Err(Rejection::MalformedSignature), "{why}");
            bad[i].1 = saved;
        }
        // Signed header names are matched exactly (the SDK neither trims nor lower-cases them).
        bad[1].1 = "Content-Type,x-contentful-signed-headers,x-contentful-timestamp,x-contentful-topic,x-contentful-webhook-name";
        assert_eq!(run(&bad), Err(Rejection::BadSignature));
    }

    #[test]
    fn secrets_must_be_64_characters_of_contentfuls_alphabet() {
        let refused = |secret: &str| {
            let secrets = [Secret::literal(secret)];
            match build(&SchemeSettings {
                secrets: &secrets,
                tolerance: Duration::from_secs(30),
                signature: None,
            }) {
                Err(e) => e,
                Ok(_) => panic!("{secret:?} was accepted"),
            }
        };
        // 64 characters, but `é` is two bytes and outside Contentful's alphabet: the message
        // must not call it 64 characters long, nor print it.
        let accented = format!("{}é", &SECRET[..63]);
        assert_eq!(accented.chars().count(), 64);
        let too_short = "too-short";
        let bang = format!("{}!", &SECRET[..63]);
        for (secret, len, other) in [
            (accented.as_str(), 65, true),
            (too_short, 9, false),
            (bang.as_str(), 64, true),
        ] {
            let err = refused(secret);
            assert_eq!(err.key, "secrets");
            assert!(
                err.message
                    .contains(&format!("this one is {len} bytes long")),
                "{}",
                err.message
            );
            assert_eq!(
                err.message.contains("holds other bytes"),
                other,
                "{}",
                err.message
            );
            assert!(
                err.message.contains("64 ASCII characters (bytes)"),
                "{}",
                err.message
            );
            assert!(!err.message.contains(secret), "{}", err.message);
            assert!(!err.message.contains(&SECRET[..8]), "{}", err.message);
        }
        let s = scheme(&PRESET, &[SECRET, OTHER_SECRET], None);
        assert!(s.reads_public_url());
        // Every character Contentful allows.
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-";
        scheme(&PRESET, &[&alphabet[..64]], None);
        scheme(&PRESET, &[&alphabet[alphabet.len() - 64..]], None);
    }

    #[test]
    fn signs_context_headers_it_is_given() {
        let s = scheme(&PRESET, &[SECRET], None);
        let map = headers(&[("X-Contentful-Crn", "crn:contentful:::content:spaces/abc")]);
        let url = "https://hooks.example.com/w?x=1";
        let req = WebhookRequest {
            method: "POST",
            public_url: url,
            headers: &map,
            body: b"{}",
            now: secs(1_700_000_000),
        };
        let signed = s.sign(&req).unwrap();
        assert_eq!(
            signed[1].1,
            "x-contentful-crn,x-contentful-signed-headers,x-contentful-timestamp"
        );
        let mut all = map.clone();
        for (k, v) in &signed {
            all.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        assert_eq!(
            s.verify(&WebhookRequest {
                headers: &all,
                ..req
            }),
            Ok(())
        );
        all.insert("x-contentful-crn", "crn:other".parse().unwrap());
        assert_eq!(
            s.verify(&WebhookRequest {
                headers: &all,
                ..req
            }),
            Err(Rejection::BadSignature)
        );
    }
}
