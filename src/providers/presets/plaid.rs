//! Plaid webhooks: `Plaid-Verification: <JWT>`, ES256, whose `kid` names a key fetched from
//! Plaid's `POST /webhook_verification_key/get` (`{client_id, secret, key_id}` → `{key: JWK with
//! expired_at}`), cached by `kid`; claims `iat` no older than `tolerance` (default 5 minutes) and
//! `request_body_sha256` = hex SHA-256 of the raw body (compared in constant time). `iat` more
//! than `tolerance` in the future is refused too (Plaid's Node sample, jose `maxTokenAge`, refuses
//! any future `iat`; its Python sample none). A key whose `expired_at` is set (not null) is
//! refused, as Plaid's samples do ("Reject expired keys"). `secrets` holds the Plaid secret,
//! `provider_options` the `client_id` and `environment` (`production`, default, or `sandbox`).
//! Source: plaid.com/docs/api/webhooks/webhook-verification; the Python sample of
//! support.plaid.com/hc/en-us/articles/360041410794.

use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use sha2::Digest;

use crate::config::secret::Secret;
use crate::providers::families::common;
use crate::providers::families::key_fetch::jwt;
use crate::providers::families::key_fetch::{
    FetchRequest, KeyFetchContext, KeyFetcher, ProviderOptions,
};
use crate::providers::{
    Prepare, Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "plaid",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: None,
    event_type: Some("json:/webhook_code"),
    summary: "Plaid-Verification: ES256 JWT, key by kid from Plaid's key endpoint; request_body_sha256 claim, iat within 5 min",
    build,
    family: "jwt-fetched",
    headers: &["plaid-verification"],
    reference: "plaid.com/docs/api/webhooks/webhook-verification (ES256, kid, request_body_sha256, 5 minutes)",
    ..Preset::DEFAULTS
};

const HEADER: &str = "plaid-verification";
const HOSTS: &[&str] = &["production.plaid.com", "sandbox.plaid.com"];
const KEY_PATH: &str = "/webhook_verification_key/get";
/// Plaid's verification steps need `iat` (a NumericDate) and `request_body_sha256` (a hex
/// string); a token without either is refused before the values are read.
const REQUIRED: jwt::Required<'static> = jwt::Required {
    audience: None,
    issuers: &[],
    numeric: &["iat"],
    strings: &["request_body_sha256"],
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    crate::providers::families::key_fetch::options::build_without_options(
        build_with_options,
        settings,
    )
}

/// The constructor with the route's `provider_options` (`client_id`, `environment`; `key_url`,
/// `key_hosts`, `key_ca`, `key_timeout`) and the Plaid secret as the route's one secret.
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    options.only_with_fetch(PRESET.name, &["client_id", "environment", "key_url"])?;
    common::preset_header(settings, "", false)?;
    let [secret] = settings.secrets else {
        return Err(SettingsError::new(
            "secrets",
            "exactly one secret is required: the Plaid secret of the environment",
        ));
    };
    let client_id = ProviderOptions::required(&options.client_id, "client_id")?.to_string();
    let host = match options.environment.as_deref().unwrap_or("production") {
        "production" => "production.plaid.com",
        "sandbox" => "sandbox.plaid.com",
        other => {
            return Err(SettingsError::new(
                "provider_options.environment",
                format!("{other:?} is not one of production, sandbox"),
            ))
        }
    };
    let url = options
        .key_url
        .clone()
        .unwrap_or_else(|| format!("https://{host}{KEY_PATH}"));
    let fetcher = options.url_fetcher(PRESET.name, HOSTS, &url, parse_key, ctx)?;
    Ok(Box::new(Plaid {
        fetcher,
        url,
        client_id,
        secret: secret.clone(),
        tolerance: settings.tolerance,
    }))
}

/// A verification key, and whether Plaid has retired it (`expired_at` not null).
pub struct PlaidKey {
    key: DecodingKey,
    expired: bool,
}

#[derive(Deserialize)]
struct KeyResponse {
    key: serde_json::Value,
}

fn parse_key(body: &[u8]) -> Result<PlaidKey, String> {
    let response: KeyResponse =
        serde_json::from_slice(body).map_err(|e| format!("not a key response: {e}"))?;
    let expired = response.key.get("expired_at").is_some_and(|v| !v.is_null());
    let jwk: Jwk = serde_json::from_value(response.key).map_err(|e| format!("not a JWK: {e}"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable JWK: {e}"))?;
    Ok(PlaidKey { key, expired })
}

struct Plaid {
    fetcher: KeyFetcher<PlaidKey>,
    url: String,
    client_id: String,
    secret: Secret,
    tolerance: Duration,
}

#[derive(Deserialize)]
struct Claims {
    iat: Option<i64>,
    request_body_sha256: Option<String>,
}

impl Plaid {
    fn key_request(&self, kid: &str) -> FetchRequest {
        let body = serde_json::json!({
            "client_id": self.client_id,
            "secret": self.secret.as_str().unwrap_or_default(),
            "key_id": kid,
        });
        FetchRequest::PostJson {
            url: self.url.clone(),
            body: body.to_string().into_bytes(),
        }
    }
}

impl Scheme for Plaid {
    fn prepare(&self, req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        let token = common::single_header(req.headers, HEADER).ok()?;
        let kid = jwt::kid(token, Algorithm::ES256).ok()?;
        self.fetcher.prepare(&kid, || self.key_request(&kid))
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let token = common::single_header(req.headers, HEADER)?;
        let kid = jwt::kid(token, Algorithm::ES256)?;
        let key = self.fetcher.get(&kid)?;
        let claims: Claims = jwt::verified_claims(token, &key.key, Algorithm::ES256, &REQUIRED)?;
        if key.expired {
            return Err(Rejection::BadSignature);
        }
        let iat = claims.iat.ok_or(Rejection::MalformedSignature)?;
        common::check_unix_seconds(iat, req.now, self.tolerance)?;
        let claimed = claims
            .request_body_sha256
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
            .ok_or(Rejection::MalformedSignature)?;
        if common::ct_eq(&sha2::Sha256::digest(req.body), &claimed) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "Plaid webhooks are signed by Plaid; hookgate cannot sign one".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::key_fetch::testserver::{Answer, KeyServer};
    use crate::providers::families::testkit::{headers, secs};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{EncodingKey, Header};

    // A webhook Plaid itself signed: the Plaid-Verification JWT, the
    // /webhook_verification_key/get answer for its kid (Plaid's key) and the body, published in
    // stackoverflow.com/questions/62117400 (2020). Its kid is the sandbox key Plaid's own SDK
    // tests fetch (plaid/plaid-python tests/integration/util.py @ 3791b526
    // WEBHOOK_VERIFICATION_KEY_ID); neither SDK repo holds a signed token. The body bytes are
    // that JSON as Plaid sends it (keys sorted, 2-space indent), which hash to the signed
    // request_body_sha256. Each case records the verdict, at its instant, of Plaid's Python
    // sample verifier (support.plaid.com/hc/en-us/articles/360041410794, python-jose 3.5.0) and
    // of the Node flow of plaid.com/docs/api/webhooks/webhook-verification (plaid 47.0.0
    // webhookVerificationKeyGet against a local key endpoint, jose 6.2.18 jwtVerify with
    // maxTokenAge '5 min', js-sha256). Made by scripts/provider-vectors/plaid.py then
    // plaid_node.mjs.
    const VECTORS: &str = include_str!("testdata/plaid_signed_webhook.json");

    #[derive(Deserialize)]
    struct Vectors {
        token: String,
        key_response: serde_json::Value,
        expired_key_response: serde_json::Value,
        body: String,
        iat: u64,
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        name: String,
        at: u64,
        body: String,
        plaid_python_sample: bool,
        plaid_node_docs_flow: bool,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(VECTORS).unwrap()
    }

    fn key_answer(v: &Vectors, case: &str) -> Answer {
        match case {
            "key_with_expired_at_set" => {
                Answer::ok(serde_json::to_vec(&v.expired_key_response).unwrap())
            }
            // Plaid answers an unknown key_id with 400 INVALID_INPUT.
            "unknown_kid" => Answer::status(400),
            _ => Answer::ok(serde_json::to_vec(&v.key_response).unwrap()),
        }
    }

    fn scheme(server: &KeyServer) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            client_id: Some("client-1".into()),
            key_url: Some(server.url(KEY_PATH)),
            ..server.options()
        };
        build_with_options(
            &SchemeSettings {
                secrets: &[Secret::literal("plaid-secret")],
                tolerance: PRESET.default_tolerance.unwrap(),
                signature: None,
            },
            &options,
            &KeyFetchContext::default(),
        )
        .unwrap()
    }

    async fn check(
        s: &dyn Scheme,
        token: Option<&str>,
        body: &[u8],
        now: u64,
    ) -> Result<(), Rejection> {
        let pairs: Vec<(&str, &str)> = token
            .map(|t| ("Plaid-Verification", t))
            .into_iter()
            .collect();
        let map = headers(&pairs);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/plaid",
            headers: &map,
            body,
            now: secs(now),
        };
        if let Some(p) = s.prepare(&req) {
            p.await?;
        }
        s.verify(&req)
    }

    /// Plaid's own signature passes, and every case gets the verdict of Plaid's Node sample
    /// flow (and of its Python sample wherever the two agree: they differ only on an `iat` in
    /// the future, which the Python sample does not check).
    #[tokio::test]
    async fn plaids_signed_webhook_gets_the_samples_verdicts() {
        let v = vectors();
        let mut mismatches = Vec::new();
        for c in &v.cases {
            let server = KeyServer::start();
            server.set(KEY_PATH, key_answer(&v, &c.name));
            let s = scheme(&server);
            let ours = check(&*s, Some(&v.token), c.body.as_bytes(), c.at).await;
            let expected = match c.name.as_str() {
                "valid" | "valid_at_5_minutes" => Ok(()),
                "stale" | "issued_in_future" => Err(Rejection::StaleTimestamp),
                _ => Err(Rejection::BadSignature),
            };
            if ours != expected || expected.is_ok() != c.plaid_node_docs_flow {
                mismatches.push(format!(
                    "{}: ours {ours:?}, Node {}",
                    c.name, c.plaid_node_docs_flow
                ));
            }
            if c.plaid_python_sample != c.plaid_node_docs_flow && c.name != "issued_in_future" {
                mismatches.push(format!("{}: the samples disagree", c.name));
            }
        }
        assert!(mismatches.is_empty(), "{mismatches:#?}");
        assert!(v
            .cases
            .iter()
            .any(|c| c.name == "valid" && c.plaid_python_sample));
    }

    #[tokio::test]
    async fn keys_are_fetched_by_kid_with_the_client_credentials_then_cached() {
        let v = vectors();
        let server = KeyServer::start();
        server.set(KEY_PATH, key_answer(&v, "valid"));
        let s = scheme(&server);
        let now = v.iat + 10;
        assert_eq!(
            check(&*s, Some(&v.token), v.body.as_bytes(), now).await,
            Ok(())
        );
        assert_eq!(
            check(&*s, Some(&v.token), v.body.as_bytes(), now).await,
            Ok(())
        );
        assert_eq!(
            check(&*s, None, v.body.as_bytes(), now).await,
            Err(Rejection::MissingSignature)
        );
        let received = server.received();
        assert_eq!(received.len(), 1, "one fetch, then the cache");
        let request: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(request["key_id"], v.key_response["key"]["kid"]);
        assert_eq!(request["client_id"], "client-1");
        assert_eq!(request["secret"], "plaid-secret");
        assert_eq!(received[0].method, "POST");
    }

    #[tokio::test]
    async fn a_refused_kid_is_remembered() {
        let v = vectors();
        let server = KeyServer::start();
        server.set(KEY_PATH, key_answer(&v, "unknown_kid"));
        let s = scheme(&server);
        for _ in 0..2 {
            assert_eq!(
                check(&*s, Some(&v.token), v.body.as_bytes(), v.iat).await,
                Err(Rejection::BadSignature)
            );
        }
        assert_eq!(server.hits(KEY_PATH), 1);
    }

    /// "Ensure that the value of the alg field in the header is ES256. Reject the webhook if this
    /// is not the case" — before any key fetch.
    #[tokio::test]
    async fn only_es256_is_accepted() {
        let v = vectors();
        let server = KeyServer::start();
        server.set(KEY_PATH, key_answer(&v, "valid"));
        let s = scheme(&server);
        let kid = v.key_response["key"]["kid"].as_str().unwrap();
        let (_, rest) = v.token.split_once('.').unwrap();
        for alg in ["HS256", "RS256", "ES384", "none"] {
            let header = serde_json::json!({"alg": alg, "kid": kid, "typ": "JWT"});
            let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
            let token = format!("{header}.{rest}");
            assert_eq!(
                check(&*s, Some(&token), v.body.as_bytes(), v.iat).await,
                Err(Rejection::MalformedSignature),
                "{alg}"
            );
        }
        assert_eq!(server.hits(KEY_PATH), 0);
    }

    /// A token signed by another P-256 key under Plaid's kid fails against Plaid's key.
    #[tokio::test]
    async fn another_key_under_the_same_kid_is_refused() {
        let v = vectors();
        let server = KeyServer::start();
        server.set(KEY_PATH, key_answer(&v, "valid"));
        let s = scheme(&server);
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = v.key_response["key"]["kid"].as_str().map(String::from);
        let claims = serde_json::json!({
            "iat": v.iat,
            "request_body_sha256": hex::encode(sha2::Sha256::digest(v.body.as_bytes())),
        });
        let forged = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_ec_der(&pair.serialize_der()),
        )
        .unwrap();
        assert_eq!(
            check(&*s, Some(&forged), v.body.as_bytes(), v.iat).await,
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn configuration() {
        let ctx = KeyFetchContext::default();
        let no_secret = SchemeSettings {
            secrets: &[],
            tolerance: Duration::from_secs(300),
            signature: None,
        };
        let err = build_with_options(&no_secret, &ProviderOptions::default(), &ctx)
            .err()
            .unwrap();
        assert_eq!(err.key, "secrets");
        let secrets = [Secret::literal("s")];
        let settings = SchemeSettings {
            secrets: &secrets,
            ..no_secret
        };
        let err = build_with_options(&settings, &ProviderOptions::default(), &ctx)
            .err()
            .unwrap();
        assert_eq!(err.key, "provider_options.client_id");
        let err = build_with_options(
            &settings,
            &ProviderOptions {
                client_id: Some("c".into()),
                environment: Some("staging".into()),
                ..Default::default()
            },
            &ctx,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "provider_options.environment");
    }
}
