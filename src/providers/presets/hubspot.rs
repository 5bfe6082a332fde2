//! HubSpot (signature v3): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256(client secret,
//! method + uri + raw body + timestamp)>` with `X-HubSpot-Request-Timestamp` in **milliseconds**;
//! at most 5 minutes old (HubSpot refuses older; nothing is said of the future, so
//! [`crate::providers::families::common::CLOCK_SKEW`] is allowed). `uri` is the route's public URL after HubSpot's
//! canonicalisation: exactly the twelve percent-escapes its docs list are decoded
//! ([`canonical_uri`]), everything else is signed as received. v1/v2 are the `hubspot-v1` /
//! `hubspot-v2` presets.
//! Source: developers.hubspot.com/docs/api/webhooks/validating-requests ("Validate requests using
//! the v3 request signature"); HubSpot/hubspot-api-python `hubspot/utils/signature.py` and tests.

use std::time::Duration;

use crate::providers::families::common::{Algorithm, Encoding, TimestampFormat};
use crate::providers::families::parts_hmac::{Part, Shape, TimestampHeader};
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "hubspot",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: None,
    event_type: None,
    summary: "X-HubSpot-Signature-v3: <base64> HMAC-SHA256 of method + public URL + body + timestamp (ms)",
    family: "hmac-url",
    headers: &["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"],
    future_tolerance: Some(crate::providers::families::common::CLOCK_SKEW),
    reference: "developers.hubspot.com/docs/api/webhooks/validating-requests (v3: reject older than 5 min; no future bound: hookgate allows 5 s of skew)",
    build,
    ..Preset::DEFAULTS
};

static SHAPE: Shape = Shape {
    header: "X-HubSpot-Signature-v3",
    prefix: "",
    list_separator: None,
    encoding: Encoding::Base64,
    algorithm: Algorithm::Sha256,
    timestamp: Some(TimestampHeader {
        header: "X-HubSpot-Request-Timestamp",
        format: TimestampFormat::UnixMillis,
    }),
    id_header: None,
    parts: &[
        Part::Method,
        Part::UrlWith(canonical_uri),
        Part::Body,
        Part::Timestamp,
    ],
};

/// The escapes HubSpot v3 decodes in the URI before signing, and their characters (HubSpot's
/// validating-requests docs, v3 step 3). Any other escape (`%20`, `%25`, …) is signed as sent.
const DECODED: [(&str, char); 12] = [
    ("3A", ':'),
    ("2F", '/'),
    ("3F", '?'),
    ("40", '@'),
    ("21", '!'),
    ("24", '$'),
    ("27", '\''),
    ("28", '('),
    ("29", ')'),
    ("2A", '*'),
    ("2C", ','),
    ("3B", ';'),
];

/// `uri` with each escape of [`DECODED`] (hex digits in either case) replaced by its character,
/// in one left-to-right pass; nothing else changes.
pub fn canonical_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3);
        match hex.and_then(|h| {
            DECODED
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(h))
        }) {
            Some((_, c)) => {
                out.push(*c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    // vectors.json hubspot-v3-01: HubSpot/hubspot-api-python tests/spec/utils/test_signature.py
    // @83aedb04. Its timestamp (15000000 ms) is artificial, so it is verified at that instant.
    #[test]
    fn hubspot_python_v3_vector() {
        let v = Vector {
            now: Duration::from_millis(15_000_000),
            wrong_secrets: &["xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"],
            url: "https://www.example.com/webhook_uri",
            ..Vector::new(
                &PRESET,
                &["yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"],
                &[
                    (
                        "X-HubSpot-Signature-v3",
                        "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=",
                    ),
                    ("X-HubSpot-Request-Timestamp", "15000000"),
                ],
                b"{'example_field':'example_value'}",
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(Duration::from_millis(15_000_000 + 300_001)),
            Err(Rejection::StaleTimestamp)
        );
        let other_url = Vector {
            url: "https://www.example.com/other_uri",
            ..v
        };
        assert_eq!(other_url.verify(), Err(Rejection::BadSignature));
        let get = Vector { method: "GET", ..v };
        assert_eq!(get.verify(), Err(Rejection::BadSignature));
        // Future: 5 s of skew, not the 5-minute past window.
        assert_eq!(
            v.verify_at(Duration::from_millis(15_000_000 - 5_000)),
            Ok(())
        );
        assert_eq!(
            v.verify_at(Duration::from_millis(15_000_000 - 5_001)),
            Err(Rejection::StaleTimestamp)
        );
    }

    // Issue 10 item 4. HubSpot's v3 docs: the URI is signed after decoding %3A %2F %3F %40 %21 %24
    // %27 %28 %29 %2A %2C %3B. No published vector carries an escape. The signatures below are
    // SDK output: PyPI hubspot-api-client==12.0.0 `Signature.get_signature(..., "v3", ...)` over
    // the decoded URL, accepted there by `Signature.is_valid` and by npm
    // @hubspot/api-client@13.5.0 `Signature.isValid` (scripts/provider-vectors/hubspot_v3.py,
    // hubspot_v3.mjs; secret "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", ts 1700000000000). Neither
    // SDK (nor HubSpot's PHP or Ruby one) decodes anything: the caller passes the decoded URL, and
    // both reject these signatures over the URL as delivered; so the decoding rule itself rests
    // on the docs, and `canonical_uri` is what hands the SDKs' input to the HMAC.
    const BATCH: &[u8] = br#"[{"eventId":1,"subscriptionType":"contact.creation"}]"#;

    fn escaped(url: &'static str, signature: &'static str) -> Vector<'static> {
        let headers: &'static [(&'static str, &'static str)] = match signature {
            "NpvMzgt3Q7I8Jx0ag1FyE/XTpKS0LaIv/UccsbmQ3hU=" => &[
                (
                    "X-HubSpot-Signature-v3",
                    "NpvMzgt3Q7I8Jx0ag1FyE/XTpKS0LaIv/UccsbmQ3hU=",
                ),
                ("X-HubSpot-Request-Timestamp", "1700000000000"),
            ],
            _ => &[
                (
                    "X-HubSpot-Signature-v3",
                    "Wg4svU1OPKI8RDdZ6JOquvpYINznUigRUB/xoxRPX+A=",
                ),
                ("X-HubSpot-Request-Timestamp", "1700000000000"),
            ],
        };
        Vector {
            now: Duration::from_millis(1_700_000_000_000),
            url,
            ..Vector::new(
                &PRESET,
                &["yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"],
                headers,
                BATCH,
            )
        }
    }

    #[test]
    fn an_escaped_at_sign_is_signed_decoded() {
        // The issue's example: delivered to ?email=jane%40example.com, signed over jane@….
        let v = escaped(
            "https://hooks.example.com/hubspot?email=jane%40example.com",
            "NpvMzgt3Q7I8Jx0ag1FyE/XTpKS0LaIv/UccsbmQ3hU=",
        );
        v.assert_all();
        // Already decoded: the same canonical URI.
        let decoded = Vector {
            url: "https://hooks.example.com/hubspot?email=jane@example.com",
            ..v
        };
        assert_eq!(decoded.verify(), Ok(()));
        assert_eq!(
            Vector {
                url: "https://hooks.example.com/hubspot?email=jane%2540example.com",
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature),
            "%25 is not decoded, so %2540 stays"
        );
    }

    #[test]
    fn each_listed_escape_is_decoded_and_no_other() {
        // Every one of the twelve escapes in one query; %20 and %25 are signed as sent.
        let v = escaped(
            "https://hooks.example.com/hubspot?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25",
            "Wg4svU1OPKI8RDdZ6JOquvpYINznUigRUB/xoxRPX+A=",
        );
        assert_eq!(v.verify(), Ok(()));
        let lower = Vector {
            url:
                "https://hooks.example.com/hubspot?a=%3a%2f%3f%40%21%24%27%28%29%2a%2c%3b&b=%20%25",
            ..v
        };
        assert_eq!(lower.verify(), Ok(()));
        assert_eq!(
            canonical_uri("https://h.example/p?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25"),
            "https://h.example/p?a=:/?@!$'()*,;&b=%20%25"
        );
        for (code, c) in DECODED {
            assert_eq!(canonical_uri(&format!("x%{code}y")), format!("x{c}y"));
        }
        assert_eq!(canonical_uri("%2"), "%2");
        assert_eq!(canonical_uri("%"), "%");
        assert_eq!(canonical_uri("%E2%82%AC%41"), "%E2%82%AC%41");
    }
}
