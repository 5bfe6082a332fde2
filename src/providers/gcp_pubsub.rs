//! Google Cloud Pub/Sub authenticated push: `Authorization: Bearer <OIDC JWT>`, RS256, signed by
//! one of Google's keys (JWK set at `https://www.googleapis.com/oauth2/v3/certs`, cached per its
//! `Cache-Control: max-age`), `iss` `accounts.google.com` (with or without `https://`), `aud`
//! the route's `provider_options.audience`, `email` its `provider_options.email` (the push
//! subscription's service account) with `email_verified` true, and `exp` not passed.
//! A `kid` missing from a set fetched more than a minute ago triggers one refetch (key rotation).
//! Source: cloud.google.com/pubsub/docs/authenticate-push-subscriptions;
//! developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::common;
use super::key_fetch::jwt;
use super::key_fetch::{FetchRequest, KeyFetchContext, KeyFetcher, Lookup, ProviderOptions};
use super::{
    Prepare, Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "gcp-pubsub",
    default_tolerance: None,
    event_id: Some("json:/message/messageId"),
    event_type: None,
    summary: "Authorization: Bearer <Google OIDC JWT> RS256 against Google's JWKs; aud and email from provider_options",
    build,
    family: "jwt-fetched",
    headers: &["authorization"],
    reference: "cloud.google.com/pubsub/docs/authenticate-push-subscriptions (OIDC token, aud, email); message.messageId is stable across redeliveries",
    ..Preset::DEFAULTS
};

const JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
const HOSTS: &[&str] = &["www.googleapis.com"];
const ISSUERS: &[&str] = &["accounts.google.com", "https://accounts.google.com"];
/// Clock skew allowed on `exp` and `iat`.
const LEEWAY: Duration = Duration::from_secs(60);
/// A set younger than this is not refetched for an unknown `kid` (bounds forged-`kid` traffic).
const MIN_REFETCH: Duration = Duration::from_secs(60);

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    super::key_fetch::options::build_without_options(PRESET.name, settings)
}

/// The constructor with the route's `provider_options` (`audience`, `email`; `key_url`,
/// `key_hosts`, `key_ca`, `key_timeout`).
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    options.only(
        PRESET.name,
        &[
            "audience",
            "email",
            "key_url",
            "key_hosts",
            "key_ca",
            "key_timeout",
        ],
    )?;
    if !settings.secrets.is_empty() {
        return Err(SettingsError::new(
            "secrets",
            "gcp-pubsub takes no secrets (Google's keys are fetched)",
        ));
    }
    common::preset_header(settings, "", false)?;
    let audience = ProviderOptions::required(&options.audience, "audience")?.to_string();
    let email = ProviderOptions::required(&options.email, "email")?.to_string();
    let fetch = options.fetch_settings(PRESET.name, HOSTS)?;
    let url = options
        .key_url
        .clone()
        .unwrap_or_else(|| JWKS_URL.to_string());
    if fetch.allowlist.check(&url).is_none() {
        return Err(SettingsError::new(
            "provider_options.key_url",
            format!("{url:?} is not https on an allowed host"),
        ));
    }
    let fetcher = KeyFetcher::new(fetch, parse_jwks, ctx.counters.clone())
        .map_err(|m| SettingsError::new("provider_options.key_ca", m))?;
    Ok(Box::new(PubSub {
        fetcher,
        url,
        audience,
        email,
    }))
}

fn parse_jwks(body: &[u8]) -> Result<JwkSet, String> {
    serde_json::from_slice(body).map_err(|e| format!("not a JWK set: {e}"))
}

struct PubSub {
    fetcher: KeyFetcher<JwkSet>,
    url: String,
    audience: String,
    email: String,
}

#[derive(Deserialize)]
struct Claims {
    exp: Option<i64>,
    iat: Option<i64>,
    email: Option<String>,
    email_verified: Option<bool>,
}

/// The token of `Authorization: Bearer <token>`.
fn bearer<'r>(req: &WebhookRequest<'r>) -> Result<&'r str, Rejection> {
    let value = common::single_header(req.headers, "authorization")?;
    common::strip_prefix_ci(value, "Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Rejection::MalformedSignature)
}

impl PubSub {
    fn key_set(&self) -> Result<Arc<JwkSet>, Rejection> {
        self.fetcher.get(&self.url)
    }
}

impl Scheme for PubSub {
    fn prepare(&self, req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        let kid = bearer(req)
            .ok()
            .and_then(|t| jwt::header(t).ok())
            .and_then(|h| h.kid)?;
        let request = || FetchRequest::Get(self.url.clone());
        match self.fetcher.lookup(&self.url) {
            Lookup::Fresh { value, age } if value.find(&kid).is_none() && age >= MIN_REFETCH => {
                Some(self.fetcher.fetch_for_prepare(&self.url, request()))
            }
            _ => self.fetcher.prepare(&self.url, request),
        }
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let token = bearer(req)?;
        let header = jwt::header(token)?;
        if header.alg != Algorithm::RS256 {
            return Err(Rejection::MalformedSignature);
        }
        let kid = header.kid.ok_or(Rejection::MalformedSignature)?;
        let keys = self.key_set()?;
        let jwk = keys.find(&kid).ok_or(Rejection::BadSignature)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| Rejection::BadSignature)?;
        let claims: Claims =
            jwt::verified_claims(token, &key, Algorithm::RS256, Some(&self.audience), ISSUERS)?;
        if claims.exp.is_none() {
            return Err(Rejection::MalformedSignature);
        }
        jwt::check_lifetime(claims.exp, claims.iat, req.now, LEEWAY)?;
        if claims.email.as_deref() != Some(self.email.as_str())
            || claims.email_verified != Some(true)
        {
            return Err(Rejection::BadSignature);
        }
        Ok(())
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "Pub/Sub push tokens are signed by Google; hookgate cannot sign one".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::key_fetch::testserver::{Answer, KeyServer};
    use crate::providers::testkit::{headers, secs};
    use jsonwebtoken::{EncodingKey, Header};

    // Google publishes no token together with the key that signed it (its keys rotate), so the
    // tokens here are signed by `jsonwebtoken` with a throw-away RSA-2048 key made by
    // `openssl genpkey` (gcp_pubsub_test_key.pem); gcp_pubsub_test_jwks.json is its public half
    // as Google serves keys (kty, alg, use, kid, n, e). The claims follow Google's documented
    // Pub/Sub push token (aud = the push endpoint, email = the service account).
    const PRIVATE: &[u8] = include_bytes!("testdata/gcp_pubsub_test_key.pem");
    const JWKS: &str = include_str!("testdata/gcp_pubsub_test_jwks.json");
    const AUD: &str = "https://hooks.example.com/pubsub";
    const EMAIL: &str = "push@my-project.iam.gserviceaccount.com";
    const NOW: u64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"message":{"data":"SGVsbG8=","messageId":"2070443601311540","publishTime":"2021-02-26T19:13:55.749Z"},"subscription":"projects/my-project/subscriptions/push"}"#;

    fn token(kid: &str, claims: serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(PRIVATE).unwrap(),
        )
        .unwrap()
    }

    fn claims(aud: &str, email: &str, iat: u64) -> serde_json::Value {
        serde_json::json!({
            "aud": aud, "azp": "1234567890", "email": email, "email_verified": true,
            "exp": iat + 3600, "iat": iat, "iss": "https://accounts.google.com", "sub": "1234567890"
        })
    }

    fn scheme(server: &KeyServer, ctx: &KeyFetchContext) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            audience: Some(AUD.into()),
            email: Some(EMAIL.into()),
            key_url: Some(server.url("/oauth2/v3/certs")),
            ..server.options()
        };
        build_with_options(
            &SchemeSettings {
                secrets: &[],
                tolerance: Duration::ZERO,
                signature: None,
            },
            &options,
            ctx,
        )
        .unwrap()
    }

    async fn check(s: &dyn Scheme, authorization: Option<&str>, now: u64) -> Result<(), Rejection> {
        let pairs: Vec<(&str, &str)> = authorization
            .map(|a| ("authorization", a))
            .into_iter()
            .collect();
        let map = headers(&pairs);
        let req = WebhookRequest {
            method: "POST",
            public_url: AUD,
            headers: &map,
            body: BODY,
            now: secs(now),
        };
        if let Some(p) = s.prepare(&req) {
            p.await?;
        }
        s.verify(&req)
    }

    #[tokio::test]
    async fn tokens_are_checked_against_the_fetched_key_set() {
        let server = KeyServer::start();
        server.set(
            "/oauth2/v3/certs",
            Answer {
                headers: vec![("cache-control".into(), "public, max-age=19845".into())],
                ..Answer::ok(JWKS)
            },
        );
        let ctx = KeyFetchContext::default();
        let s = scheme(&server, &ctx);
        let good = format!(
            "Bearer {}",
            token("hookgate-test-1", claims(AUD, EMAIL, NOW))
        );
        assert_eq!(check(&*s, Some(&good), NOW + 10).await, Ok(()));
        // Expired (past exp + leeway) and issued in the future.
        assert_eq!(
            check(&*s, Some(&good), NOW + 3600 + 61).await,
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check(&*s, Some(&good), NOW - 61).await,
            Err(Rejection::StaleTimestamp)
        );
        let wrong_aud = format!(
            "Bearer {}",
            token("hookgate-test-1", claims("https://other", EMAIL, NOW))
        );
        assert_eq!(
            check(&*s, Some(&wrong_aud), NOW).await,
            Err(Rejection::BadSignature)
        );
        let wrong_email = format!(
            "Bearer {}",
            token("hookgate-test-1", claims(AUD, "x@evil.example", NOW))
        );
        assert_eq!(
            check(&*s, Some(&wrong_email), NOW).await,
            Err(Rejection::BadSignature)
        );
        let mut bad_iss = claims(AUD, EMAIL, NOW);
        bad_iss["iss"] = "https://evil.example".into();
        let bad_iss = format!("Bearer {}", token("hookgate-test-1", bad_iss));
        assert_eq!(
            check(&*s, Some(&bad_iss), NOW).await,
            Err(Rejection::BadSignature)
        );
        // A tampered payload (claims swapped, signature kept).
        let parts: Vec<&str> = good.trim_start_matches("Bearer ").split('.').collect();
        let other: Vec<String> = wrong_email
            .trim_start_matches("Bearer ")
            .split('.')
            .map(String::from)
            .collect();
        let forged = format!("Bearer {}.{}.{}", parts[0], other[1], parts[2]);
        assert_eq!(
            check(&*s, Some(&forged), NOW).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, None, NOW).await,
            Err(Rejection::MissingSignature)
        );
        assert_eq!(
            check(&*s, Some("Basic abc"), NOW).await,
            Err(Rejection::MalformedSignature)
        );
        // Every check above used the one cached key set.
        assert_eq!(server.hits("/oauth2/v3/certs"), 1);
        assert_eq!(ctx.counters.get("gcp-pubsub", "fetched"), 1);
    }

    #[tokio::test]
    async fn an_unknown_kid_is_refused_without_refetching_a_young_set() {
        let server = KeyServer::start();
        server.set("/oauth2/v3/certs", Answer::ok(JWKS));
        let ctx = KeyFetchContext::default();
        let s = scheme(&server, &ctx);
        let unknown = format!("Bearer {}", token("rotated-away", claims(AUD, EMAIL, NOW)));
        assert_eq!(
            check(&*s, Some(&unknown), NOW).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, Some(&unknown), NOW).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(server.hits("/oauth2/v3/certs"), 1);
    }

    #[tokio::test]
    async fn a_key_server_that_is_down_gives_key_unavailable_not_401() {
        let server = KeyServer::start();
        server.set("/oauth2/v3/certs", Answer::status(503));
        let ctx = KeyFetchContext::default();
        let s = scheme(&server, &ctx);
        let good = format!(
            "Bearer {}",
            token("hookgate-test-1", claims(AUD, EMAIL, NOW))
        );
        assert_eq!(
            check(&*s, Some(&good), NOW).await,
            Err(Rejection::KeyUnavailable)
        );
        assert_eq!(Rejection::KeyUnavailable.status(), 503);
        assert_eq!(ctx.counters.get("gcp-pubsub", "http_error"), 1);
    }

    #[test]
    fn audience_and_email_are_required() {
        let settings = SchemeSettings {
            secrets: &[],
            tolerance: Duration::ZERO,
            signature: None,
        };
        let ctx = KeyFetchContext::default();
        let err = build_with_options(&settings, &ProviderOptions::default(), &ctx)
            .err()
            .unwrap();
        assert_eq!(err.key, "provider_options.audience");
        let err = build_with_options(
            &settings,
            &ProviderOptions {
                audience: Some(AUD.into()),
                ..Default::default()
            },
            &ctx,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "provider_options.email");
        // The default key URL is on the documented allowlist.
        assert!(build_with_options(
            &settings,
            &ProviderOptions {
                audience: Some(AUD.into()),
                email: Some(EMAIL.into()),
                ..Default::default()
            },
            &ctx,
        )
        .is_ok());
    }
}
