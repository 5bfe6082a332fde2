//! Google Cloud Pub/Sub authenticated push: `Authorization: Bearer <OIDC JWT>`, RS256, signed by
//! one of Google's keys (JWK set at `https://www.googleapis.com/oauth2/v3/certs`, cached per its
//! `Cache-Control: max-age`), `iss` `accounts.google.com` (with or without `https://`), `aud`
//! the route's `provider_options.audience`, `email` its `provider_options.email` (the push
//! subscription's service account) with `email_verified` true, `iat` and `exp` present, within
//! 300 s of clock skew, and `exp` less than a day ahead — the checks of Google's Node verifier
//! (`OAuth2Client.verifyIdToken`, google-auth-library), plus the email checks the Pub/Sub docs
//! leave to the receiver. A `kid` missing from a set fetched more than a minute ago triggers one
//! refetch (key rotation).
//! Source: cloud.google.com/pubsub/docs/authenticate-push-subscriptions;
//! developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken; verdicts of
//! google-auth (PyPI) and google-auth-library (npm) in `testdata/gcp_pubsub_google_auth_vectors.json`.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::providers::families::common;
use crate::providers::families::key_fetch::jwt;
use crate::providers::families::key_fetch::{
    FetchRequest, KeyFetchContext, KeyFetcher, Lookup, ProviderOptions,
};
use crate::providers::{
    DedupScope, Prepare, Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError,
    WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "gcp-pubsub",
    default_tolerance: None,
    event_id: Some("json:/message/messageId"),
    // Pub/Sub pushes one messageId to every subscription of the topic (issue 20 fault 7).
    dedup_scope: DedupScope::Fields(&["json:/subscription"]),
    event_type: None,
    summary: "Authorization: Bearer <Google OIDC JWT> RS256 against Google's JWKs; aud and email from provider_options",
    build,
    family: "jwt-fetched",
    headers: &["authorization"],
    reference: "cloud.google.com/pubsub/docs/authenticate-push-subscriptions (OIDC token, aud, email); message.messageId is stable across redeliveries",
    ..Preset::DEFAULTS
};

/// Google's keys as a JWK set: the `jwks_uri` of accounts.google.com's OpenID configuration and
/// google-auth-library (Node)'s `oauth2FederatedSignonJwkCertsUrl` (its `v1/certs` twin serves the
/// same keys as PEM certificates).
const JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
const HOSTS: &[&str] = &["www.googleapis.com"];
const ISSUERS: &[&str] = &["accounts.google.com", "https://accounts.google.com"];
/// What every push token carries and google-auth requires (`google.oauth2.id_token.verify_token`
/// → `google.auth.jwt.decode`: `aud` a string among the audiences, `iat` and `exp` present;
/// `verify_oauth2_token`: `iss` one of [`ISSUERS`]); `email` is this route's check. The audience
/// is the route's.
const REQUIRED: jwt::Required<'static> = jwt::Required {
    audience: None,
    issuers: ISSUERS,
    numeric: &["iat", "exp"],
    strings: &["email"],
};
/// Clock skew allowed on `exp` and `iat`: google-auth-library (Node) `OAuth2Client.CLOCK_SKEW_SECS_`.
/// (google-auth for Python defaults to none; its `clock_skew_in_seconds` widens it.)
const LEEWAY: Duration = Duration::from_secs(300);
/// `exp` this far ahead or more is refused: google-auth-library (Node)
/// `DEFAULT_MAX_TOKEN_LIFETIME_SECS_` (Google's push tokens live an hour).
const MAX_LIFETIME: Duration = Duration::from_secs(86_400);
/// A set younger than this is not refetched for an unknown `kid` (bounds forged-`kid` traffic).
const MIN_REFETCH: Duration = Duration::from_secs(60);

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    crate::providers::families::key_fetch::options::build_without_options(
        build_with_options,
        settings,
    )
}

/// The constructor with the route's `provider_options` (`audience`, `email`; `key_url`,
/// `key_hosts`, `key_ca`, `key_timeout`).
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    options.only_with_fetch(PRESET.name, &["audience", "email", "key_url"])?;
    common::refuse_secrets(settings.secrets, PRESET.name, "Google's keys are fetched")?;
    common::preset_header(settings, "", false)?;
    let audience = ProviderOptions::required(&options.audience, "audience")?.to_string();
    let email = ProviderOptions::required(&options.email, "email")?.to_string();
    let url = options
        .key_url
        .clone()
        .unwrap_or_else(|| JWKS_URL.to_string());
    let fetcher = options.url_fetcher(PRESET.name, HOSTS, &url, parse_jwks, ctx)?;
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
        let kid = jwt::kid(bearer(req).ok()?, Algorithm::RS256).ok()?;
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
        let kid = jwt::kid(token, Algorithm::RS256)?;
        let keys = self.key_set()?;
        let jwk = keys.find(&kid).ok_or(Rejection::BadSignature)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| Rejection::BadSignature)?;
        let required = jwt::Required {
            audience: Some(&self.audience),
            ..REQUIRED
        };
        let claims: Claims = jwt::verified_claims(token, &key, Algorithm::RS256, &required)?;
        // Both Google verifiers that check times refuse a token without `iat` or `exp`.
        let (Some(exp), Some(iat)) = (claims.exp, claims.iat) else {
            return Err(Rejection::MalformedSignature);
        };
        if exp >= (req.now + MAX_LIFETIME).as_secs() as i64 {
            return Err(Rejection::StaleTimestamp);
        }
        jwt::check_lifetime(Some(exp), Some(iat), req.now, LEEWAY)?;
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
    use crate::providers::families::key_fetch::testserver::{Answer, KeyServer};
    use crate::providers::families::testkit::{headers, secs};

    // Google publishes no push token together with the key that signed it (its keys rotate). The
    // tokens here are signed by Google's own library, google-auth 2.63.0 (PyPI;
    // google.auth.crypt.RSASigner + google.auth.jwt.encode), with the test key google-auth
    // publishes (googleapis/google-auth-library-python tests/data/privatekey.pem @ 2ea24b03,
    // its certificate pinned as gcp_pubsub_google_auth_cert.pem), carrying the claims of the
    // Pub/Sub docs' example push token. Each case records, at its instant, the verdict of
    // google.oauth2.id_token.verify_oauth2_token against the key as a JWK set (`jwk_set`) and
    // as {kid: PEM} (`pem_certs`), and of google-auth-library 10.9.1 (npm)
    // OAuth2Client.verifyIdToken (`node_verify_id_token`).
    // Made by scripts/provider-vectors/gcp_pubsub.py then gcp_pubsub_node.mjs.
    const VECTORS: &str = include_str!("testdata/gcp_pubsub_google_auth_vectors.json");
    const CERT: &str = include_str!("testdata/gcp_pubsub_google_auth_cert.pem");
    const BODY: &[u8] = br#"{"message":{"data":"SGVsbG8=","messageId":"2070443601311540","publishTime":"2021-02-26T19:13:55.749Z"},"subscription":"projects/my-project/subscriptions/push"}"#;
    const PATH: &str = "/oauth2/v3/certs";

    #[derive(Deserialize)]
    struct Vectors {
        audience: String,
        email: String,
        jwks: serde_json::Value,
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        name: String,
        at: u64,
        token: String,
        /// google-auth (Python) against the key as a JWK set and as {kid: PEM}: no clock skew
        /// by default and no lifetime limit, so the preset follows the Node verdicts.
        jwk_set: Verdict,
        pem_certs: Verdict,
        node_verify_id_token: Verdict,
    }

    #[derive(Deserialize)]
    struct Verdict {
        accepted: bool,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(VECTORS).unwrap()
    }

    fn case<'v>(v: &'v Vectors, name: &str) -> &'v Case {
        v.cases.iter().find(|c| c.name == name).unwrap()
    }

    fn serve(v: &Vectors, answer: Option<Answer>) -> KeyServer {
        let server = KeyServer::start();
        let jwks = serde_json::to_vec(&v.jwks).unwrap();
        server.set(
            PATH,
            answer.unwrap_or(Answer {
                headers: vec![("cache-control".into(), "public, max-age=19845".into())],
                ..Answer::ok(jwks)
            }),
        );
        server
    }

    fn scheme(v: &Vectors, server: &KeyServer, ctx: &KeyFetchContext) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            audience: Some(v.audience.clone()),
            email: Some(v.email.clone()),
            key_url: Some(server.url(PATH)),
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
            public_url: "https://hooks.example.com/pubsub",
            headers: &map,
            body: BODY,
            now: secs(now),
        };
        if let Some(p) = s.prepare(&req) {
            p.await?;
        }
        s.verify(&req)
    }

    /// Every token google-auth signed gets the verdict Google's Node verifier gave it (same
    /// issuers, audience, signature, required `iat`/`exp`, 300 s skew, under a day to `exp`),
    /// except the email checks the Pub/Sub docs ask of the receiver, which Google's libraries
    /// leave out.
    #[tokio::test]
    async fn google_auth_tokens_get_google_auth_verdicts() {
        let v = vectors();
        let server = serve(&v, None);
        let ctx = KeyFetchContext::default();
        let s = scheme(&v, &server, &ctx);
        let mut mismatches = Vec::new();
        for c in &v.cases {
            let ours = check(&*s, Some(&format!("Bearer {}", c.token)), c.at).await;
            let what = format!("{} at iat{:+}", c.name, c.at as i64 - 1_800_000_000);
            let expected = match c.name.as_str() {
                "other_email" | "email_unverified" => {
                    let google = [&c.node_verify_id_token, &c.pem_certs, &c.jwk_set];
                    assert!(google.iter().all(|v| v.accepted), "{what}");
                    Err(Rejection::BadSignature)
                }
                _ if c.node_verify_id_token.accepted => Ok(()),
                "valid" | "lifetime_over_a_day" => Err(Rejection::StaleTimestamp),
                "no_iat" | "no_exp" => Err(Rejection::MalformedSignature),
                _ => Err(Rejection::BadSignature),
            };
            if ours != expected {
                mismatches.push(format!("{what}: ours {ours:?}, expected {expected:?}"));
            }
        }
        assert!(mismatches.is_empty(), "{mismatches:#?}");
        // Every check above used the one cached key set (the unknown kid does not refetch a
        // young set).
        assert_eq!(server.hits(PATH), 1);
        assert_eq!(ctx.counters.get("gcp-pubsub", "fetched"), 1);
    }

    #[tokio::test]
    async fn missing_or_non_bearer_authorization_is_refused() {
        let v = vectors();
        let server = serve(&v, None);
        let ctx = KeyFetchContext::default();
        let s = scheme(&v, &server, &ctx);
        let at = case(&v, "valid").at;
        assert_eq!(check(&*s, None, at).await, Err(Rejection::MissingSignature));
        assert_eq!(
            check(&*s, Some("Basic abc"), at).await,
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(server.hits(PATH), 0, "no key fetch without a token");
    }

    /// The JWK set served in these tests is the key of the certificate google-auth publishes.
    #[test]
    fn the_jwk_set_is_the_published_certificates_key() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let (_, pem) = x509_parser::pem::parse_x509_pem(CERT.as_bytes()).unwrap();
        let cert = pem.parse_x509().unwrap();
        let x509_parser::public_key::PublicKey::RSA(rsa) = cert.public_key().parsed().unwrap()
        else {
            panic!("not an RSA certificate")
        };
        let v = vectors();
        let key = &v.jwks["keys"][0];
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
        assert_eq!(n, rsa.modulus.strip_prefix(&[0]).unwrap_or(rsa.modulus));
        assert_eq!(e, rsa.exponent);
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
    }

    #[tokio::test]
    async fn an_unknown_kid_is_refused_without_refetching_a_young_set() {
        let v = vectors();
        let server = serve(&v, None);
        let ctx = KeyFetchContext::default();
        let s = scheme(&v, &server, &ctx);
        let c = case(&v, "unknown_kid");
        let token = format!("Bearer {}", c.token);
        assert_eq!(
            check(&*s, Some(&token), c.at).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, Some(&token), c.at).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(server.hits(PATH), 1);
    }

    #[tokio::test]
    async fn a_key_server_that_is_down_gives_key_unavailable_not_401() {
        let v = vectors();
        let server = serve(&v, Some(Answer::status(503)));
        let ctx = KeyFetchContext::default();
        let s = scheme(&v, &server, &ctx);
        let c = case(&v, "valid");
        assert_eq!(
            check(&*s, Some(&format!("Bearer {}", c.token)), c.at).await,
            Err(Rejection::KeyUnavailable)
        );
        assert_eq!(Rejection::KeyUnavailable.status(), 503);
        assert_eq!(ctx.counters.get("gcp-pubsub", "http_error"), 1);
    }

    #[test]
    fn audience_and_email_are_required() {
        const AUD: &str = "https://hooks.example.com/pubsub";
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
                email: Some("push@my-project.iam.gserviceaccount.com".into()),
                ..Default::default()
            },
            &ctx,
        )
        .is_ok());
    }
}
