//! Test support for the provider files: build a preset's scheme and run the standard cases
//! (published vector valid, tampered body, wrong secret, missing header, `sign` → `verify`).

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::config::secret::Secret;
use crate::providers::{Preset, Rejection, Scheme, SchemeSettings, WebhookRequest};

/// Borrowed `(name, value)` pairs of the headers a signer returned.
pub fn str_pairs(signed: &[(String, String)]) -> Vec<(&str, &str)> {
    signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// The preset's scheme with these secrets and `tolerance` (the preset default when `None`).
pub fn scheme(preset: &Preset, secrets: &[&str], tolerance: Option<Duration>) -> Box<dyn Scheme> {
    let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::literal(s)).collect();
    let tolerance = tolerance
        .or(preset.default_tolerance)
        .unwrap_or(Duration::ZERO);
    match (preset.build)(&SchemeSettings {
        secrets: &secrets,
        tolerance,
        signature: None,
    }) {
        Ok(s) => s,
        Err(e) => panic!("{}: {}: {}", preset.name, e.key, e.message),
    }
}

/// The public URL the request path hands `scheme`: `url` if the scheme says it reads it, else
/// empty (the request path does not build it). Every vector runs through this, so a scheme that
/// reads the URL without saying so ([`Scheme::reads_public_url`]) fails its published vector.
pub fn url_seen_by<'u>(scheme: &dyn Scheme, url: &'u str) -> &'u str {
    if scheme.reads_public_url() {
        url
    } else {
        ""
    }
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// One published (or independently computed) request and the secrets that signed it.
#[derive(Clone, Copy)]
pub struct Vector<'a> {
    pub preset: &'a Preset,
    pub secrets: &'a [&'a str],
    /// Secrets that did not sign it (same format as `secrets`).
    pub wrong_secrets: &'a [&'a str],
    pub headers: &'a [(&'a str, &'a str)],
    /// Removed for the "missing signature" case.
    pub signature_header: &'a str,
    pub body: &'a [u8],
    pub method: &'a str,
    pub url: &'a str,
    /// The instant the source verified at (`verify_at`), or anything for untimed schemes.
    pub now: Duration,
}

impl<'a> Vector<'a> {
    pub fn new(
        preset: &'a Preset,
        secrets: &'a [&'a str],
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> Self {
        Vector {
            preset,
            secrets,
            wrong_secrets: &["not-the-secret"],
            headers,
            signature_header: headers.first().map(|h| h.0).unwrap_or_default(),
            body,
            method: "POST",
            url: "https://hooks.example.com/webhook",
            now: Duration::ZERO,
        }
    }

    pub fn run(
        &self,
        secrets: &[&str],
        headers: &HeaderMap,
        body: &[u8],
        now: Duration,
    ) -> Result<(), Rejection> {
        let scheme = scheme(self.preset, secrets, None);
        scheme.verify(&WebhookRequest {
            method: self.method,
            public_url: url_seen_by(scheme.as_ref(), self.url),
            headers,
            body,
            now,
        })
    }

    pub fn verify(&self) -> Result<(), Rejection> {
        self.run(self.secrets, &headers(self.headers), self.body, self.now)
    }

    pub fn verify_at(&self, now: Duration) -> Result<(), Rejection> {
        self.run(self.secrets, &headers(self.headers), self.body, now)
    }

    pub fn verify_body(&self, body: &[u8]) -> Result<(), Rejection> {
        self.run(self.secrets, &headers(self.headers), body, self.now)
    }

    /// Valid as published; tampered body, wrong secret and missing header rejected.
    pub fn assert_vector_cases(&self) {
        let name = self.preset.name;
        assert_eq!(self.verify(), Ok(()), "{name}: published vector");
        let mut tampered = b" ".to_vec();
        tampered.extend_from_slice(self.body);
        assert_eq!(
            self.verify_body(&tampered),
            Err(Rejection::BadSignature),
            "{name}: tampered body"
        );
        assert_eq!(
            self.run(
                self.wrong_secrets,
                &headers(self.headers),
                self.body,
                self.now
            ),
            Err(Rejection::BadSignature),
            "{name}: wrong secret"
        );
        let mut missing = headers(self.headers);
        missing.remove(self.signature_header);
        assert_eq!(
            self.run(self.secrets, &missing, self.body, self.now),
            Err(Rejection::MissingSignature),
            "{name}: missing {}",
            self.signature_header
        );
    }

    /// `sign` at `now` → `verify` at `now` accepts (the signed headers replace the vector's).
    pub fn assert_sign_round_trip(&self, now: Duration) {
        let s = scheme(self.preset, self.secrets, None);
        let mut map = headers(self.headers);
        map.remove(self.signature_header);
        // The vector's own timestamp and id headers would be signed as given (as `hookgate sign
        // -H` does): drop every header `sign` writes, so it signs at `now`.
        let empty = HeaderMap::new();
        let emitted = s.sign(&WebhookRequest {
            method: self.method,
            public_url: url_seen_by(s.as_ref(), self.url),
            headers: &empty,
            body: self.body,
            now,
        });
        for (name, _) in emitted.into_iter().flatten() {
            map.remove(name.as_str());
        }
        let req = WebhookRequest {
            method: self.method,
            public_url: url_seen_by(s.as_ref(), self.url),
            headers: &map,
            body: self.body,
            now,
        };
        let signed = s.sign(&req).expect("sign");
        assert!(!signed.is_empty());
        let mut map = map.clone();
        for (name, value) in signed {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        let signed_req = WebhookRequest {
            headers: &map,
            ..req
        };
        assert_eq!(
            s.verify(&signed_req),
            Ok(()),
            "{}: sign → verify",
            self.preset.name
        );
    }

    /// All of the above, with the round trip at a fresh instant (not the vector's).
    pub fn assert_all(&self) {
        self.assert_vector_cases();
        self.assert_sign_round_trip(secs(1_700_000_000));
    }
}
