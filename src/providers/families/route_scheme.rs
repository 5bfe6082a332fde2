//! A route's verifier over its list of secrets: which secret verified a request, and each
//! secret's validity window (`secrets = [..., { secret, from, until }]`).
//!
//! Every preset treats its `secrets` as alternatives (rotation: any one may match), so instead of
//! teaching each of the 70-odd schemes to report an index, the route builds its preset's scheme
//! once per secret. [`RouteScheme::verify`] runs every scheme whose secret is valid at the
//! request's time — all of them, with no early exit, so timing says which secrets are in their
//! window (configuration) but not which one matched — and reports the first that accepted.
//! Presets whose keys come from the provider (key-fetching: SNS, Pub/Sub, PayPal, Plaid, App
//! Store) keep one scheme (their key cache is per scheme) and report no index; so does Box, whose
//! two secrets are positional (the primary key checks `box-signature-primary`, the secondary
//! `box-signature-secondary`: either header may carry the match during Box's own rotation).

use std::time::Duration;

use super::key_fetch;
use crate::config::model::SchemeSpec;
use crate::config::secret_entry::Validity;
use crate::providers::{
    build_scheme, options_builder, LocalResponse, Prepare, Rejection, Scheme, SchemeSettings,
    SettingsError, SignError, WebhookRequest,
};

/// Whether `preset`'s secrets are alternatives the route can try one by one (with windows, and
/// counted by index): every preset but the key-fetching ones and Box (see the module docs).
pub fn splits(preset: &str) -> bool {
    options_builder(preset).is_none() && preset != "box"
}

/// A route's signature scheme, split per secret.
pub struct RouteScheme {
    /// All secrets in one scheme: handshakes, `prepare` and the public-URL question, and the
    /// verifier itself when the scheme is not split.
    all: Box<dyn Scheme>,
    /// One scheme per secret, in configured order, with its window; empty when not split.
    each: Vec<(Validity, Box<dyn Scheme>)>,
}

/// A verified request: which secret matched, by index in the route's `secrets` (`None` for
/// presets whose keys come from the provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub secret: Option<usize>,
}

impl RouteScheme {
    /// Builds `spec`'s scheme, once per secret where the preset signs with its secrets.
    ///
    /// Errors: the [`SettingsError`] of the preset's constructor.
    pub fn build(
        spec: &SchemeSpec,
        key_fetch: &key_fetch::KeyFetchContext,
    ) -> Result<RouteScheme, SettingsError> {
        let settings = |secrets| SchemeSettings {
            secrets,
            tolerance: spec.tolerance,
            signature: spec.signature.as_ref(),
        };
        let options = spec.provider_options.as_ref();
        let all = build_scheme(spec.preset, &settings(&spec.secrets), options, key_fetch)?;
        let mut each = Vec::new();
        if splits(spec.preset.name) {
            for (i, secret) in spec.secrets.iter().enumerate() {
                let one = std::slice::from_ref(secret);
                let scheme = build_scheme(spec.preset, &settings(one), options, key_fetch)?;
                let validity = spec.windows.get(i).copied().unwrap_or_default();
                each.push((validity, scheme));
            }
        }
        Ok(RouteScheme { all, each })
    }

    /// Verifies `req` with every secret valid at `req.now`. No secret valid now is a
    /// [`Rejection::BadSignature`]; when none matches, the rejection of the first one tried.
    pub fn verify(&self, req: &WebhookRequest<'_>) -> Result<Verified, Rejection> {
        if self.each.is_empty() {
            return self.all.verify(req).map(|()| Verified { secret: None });
        }
        let mut matched = None;
        let mut first_rejection = None;
        for (i, (validity, scheme)) in self.each.iter().enumerate() {
            if !validity.contains(req.now) {
                continue;
            }
            // Every valid secret is tried, matched or not (see the module docs).
            match scheme.verify(req) {
                Ok(()) => matched = matched.or(Some(i)),
                Err(r) => first_rejection = first_rejection.or(Some(r)),
            }
        }
        match matched {
            Some(i) => Ok(Verified { secret: Some(i) }),
            None => Err(first_rejection.unwrap_or(Rejection::BadSignature)),
        }
    }

    /// The scheme of the first secret valid at `now` (the one `sign` and handshakes use), or
    /// the whole scheme when it is not split.
    fn current(&self, now: Duration) -> Option<&dyn Scheme> {
        if self.each.is_empty() {
            return Some(&*self.all);
        }
        self.each
            .iter()
            .find(|(validity, _)| validity.contains(now))
            .map(|(_, scheme)| &**scheme)
    }

    /// Signs `req` with the route's first secret valid at `req.now`.
    ///
    /// Errors: no secret is valid now, or the scheme cannot sign (public keys).
    pub fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        match self.current(req.now) {
            Some(scheme) => scheme.sign(req),
            None => Err(SignError(
                "no secret of the route is valid now (see its `from`/`until`)".into(),
            )),
        }
    }

    /// See [`Scheme::prepare`].
    pub fn prepare(&self, req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        self.all.prepare(req)
    }

    /// See [`Scheme::reads_public_url`].
    pub fn reads_public_url(&self) -> bool {
        self.all.reads_public_url()
    }

    /// See [`Scheme::unsigned_challenge`]; answered with the first secret valid now (Asana).
    pub fn unsigned_challenge(&self, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        self.current(req.now)
            .unwrap_or(&*self.all)
            .unsigned_challenge(req)
    }

    /// See [`Scheme::signed_challenge`]; answered with the first secret valid now (Zoom's
    /// `encryptedToken` is an HMAC under the secret).
    pub fn signed_challenge(&self, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        self.current(req.now)
            .unwrap_or(&*self.all)
            .signed_challenge(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Secret;
    use http::HeaderMap;

    fn spec(secrets: &[&str], windows: Vec<Validity>) -> SchemeSpec {
        SchemeSpec {
            preset: crate::providers::find_preset("github").unwrap(),
            secrets: secrets.iter().map(|s| Secret::literal(s)).collect(),
            windows,
            tolerance: Duration::ZERO,
            signature: None,
            provider_options: None,
        }
    }

    fn signed_by(secret: &str, body: &[u8]) -> HeaderMap {
        let scheme = RouteScheme::build(&spec(&[secret], vec![]), &Default::default()).unwrap();
        let req = WebhookRequest {
            method: "POST",
            public_url: "",
            headers: &HeaderMap::new(),
            body,
            now: Duration::from_secs(1000),
        };
        let mut headers = HeaderMap::new();
        for (k, v) in scheme.sign(&req).unwrap() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        headers
    }

    #[test]
    fn the_matching_secret_is_named_and_windows_apply() {
        let old = Validity {
            from: None,
            until: Some(Duration::from_secs(500)),
        };
        let scheme = RouteScheme::build(
            &spec(&["new", "old"], vec![Validity::ALWAYS, old]),
            &Default::default(),
        )
        .unwrap();
        let body = b"{}";
        let at = |headers: &HeaderMap, now: u64| {
            scheme.verify(&WebhookRequest {
                method: "POST",
                public_url: "",
                headers,
                body,
                now: Duration::from_secs(now),
            })
        };
        let by_old = signed_by("old", body);
        let by_new = signed_by("new", body);
        assert_eq!(at(&by_new, 100), Ok(Verified { secret: Some(0) }));
        assert_eq!(at(&by_old, 100), Ok(Verified { secret: Some(1) }));
        assert_eq!(at(&by_old, 500), Err(Rejection::BadSignature));
        assert_eq!(at(&HeaderMap::new(), 100), Err(Rejection::MissingSignature));
    }

    /// Box's secrets are positional: a delivery whose primary header was signed with a key the
    /// route does not have still verifies by its secondary header and the route's second secret.
    #[test]
    fn box_secrets_keep_their_positions() {
        let mut spec = spec(&["primary", "secondary"], vec![]);
        spec.preset = crate::providers::find_preset("box").unwrap();
        spec.tolerance = Duration::from_secs(600);
        let scheme = RouteScheme::build(&spec, &Default::default()).unwrap();
        let now = Duration::from_secs(1_700_000_000);
        let timestamp = crate::providers::families::common::format_rfc3339(now.as_secs());
        let body = b"{}";
        let mac = |key: &str| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(
                crate::providers::families::common::hmac_parts(
                    crate::providers::families::common::Algorithm::Sha256,
                    key.as_bytes(),
                    &[body, timestamp.as_bytes()],
                ),
            )
        };
        let mut headers = HeaderMap::new();
        headers.insert("box-delivery-timestamp", timestamp.parse().unwrap());
        headers.insert("box-signature-primary", mac("rotated").parse().unwrap());
        headers.insert("box-signature-secondary", mac("secondary").parse().unwrap());
        let req = WebhookRequest {
            method: "POST",
            public_url: "",
            headers: &headers,
            body,
            now,
        };
        assert_eq!(scheme.verify(&req), Ok(Verified { secret: None }));
    }

    #[test]
    fn signing_uses_the_first_secret_valid_now() {
        let later = Validity {
            from: Some(Duration::from_secs(2000)),
            until: None,
        };
        let scheme = RouteScheme::build(
            &spec(&["next", "current"], vec![later, Validity::ALWAYS]),
            &Default::default(),
        )
        .unwrap();
        let req = WebhookRequest {
            method: "POST",
            public_url: "",
            headers: &HeaderMap::new(),
            body: b"x",
            now: Duration::from_secs(1000),
        };
        let signed = scheme.sign(&req).unwrap();
        let expected = signed_by("current", b"x");
        let (_, value) = signed
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-hub-signature-256"))
            .unwrap();
        assert_eq!(expected["x-hub-signature-256"], value.as_str());
    }
}
