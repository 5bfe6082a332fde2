//! Plaid webhooks: `Plaid-Verification: <JWT>`, ES256, whose `kid` names a key fetched from
//! Plaid's `POST /webhook_verification_key/get` (`{client_id, secret, key_id}` → `{key: JWK with
//! expired_at}`), cached by `kid`; claims `iat` no older than `tolerance` (default 5 minutes) and
//! `request_body_sha256` = hex SHA-256 of the raw body (compared in constant time). A key whose
//! `expired_at` has passed is refused. `secrets` holds the Plaid secret, `provider_options` the
//! `client_id` and `environment` (`production`, default, or `sandbox`).
//! Source: plaid.com/docs/api/webhooks/webhook-verification.

use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use sha2::Digest;

use super::common;
use super::key_fetch::jwt;
use super::key_fetch::{FetchRequest, KeyFetchContext, KeyFetcher, ProviderOptions};
use super::{
    Prepare, Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};
use crate::config::secret::Secret;

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

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    super::key_fetch::options::build_without_options(PRESET.name, settings)
}

/// The constructor with the route's `provider_options` (`client_id`, `environment`; `key_url`,
/// `key_hosts`, `key_ca`, `key_timeout`) and the Plaid secret as the route's one secret.
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    options.only(
        PRESET.name,
        &[
            "client_id",
            "environment",
            "key_url",
            "key_hosts",
            "key_ca",
            "key_timeout",
        ],
    )?;
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
    let fetch = options.fetch_settings(PRESET.name, HOSTS)?;
    if fetch.allowlist.check(&url).is_none() {
        return Err(SettingsError::new(
            "provider_options.key_url",
            format!("{url:?} is not https on an allowed host"),
        ));
    }
    let fetcher = KeyFetcher::new(fetch, parse_key, ctx.counters.clone())
        .map_err(|m| SettingsError::new("provider_options.key_ca", m))?;
    Ok(Box::new(Plaid {
        fetcher,
        url,
        client_id,
        secret: secret.clone(),
        tolerance: settings.tolerance,
    }))
}

/// A verification key and when Plaid retired it (Unix seconds), if it has.
pub struct PlaidKey {
    key: DecodingKey,
    expired_at: Option<i64>,
}

#[derive(Deserialize)]
struct KeyResponse {
    key: serde_json::Value,
}

fn parse_key(body: &[u8]) -> Result<PlaidKey, String> {
    let response: KeyResponse =
        serde_json::from_slice(body).map_err(|e| format!("not a key response: {e}"))?;
    let expired_at = response
        .key
        .get("expired_at")
        .and_then(serde_json::Value::as_i64);
    let jwk: Jwk = serde_json::from_value(response.key).map_err(|e| format!("not a JWK: {e}"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable JWK: {e}"))?;
    Ok(PlaidKey { key, expired_at })
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
            body: serde_json::to_vec(&body).expect("JSON"),
        }
    }
}

/// The `kid` of an ES256 token, or why not.
fn es256_kid(token: &str) -> Result<String, Rejection> {
    let header = jwt::header(token)?;
    if header.alg != Algorithm::ES256 {
        return Err(Rejection::MalformedSignature);
    }
    header
        .kid
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or(Rejection::MalformedSignature)
}

impl Scheme for Plaid {
    fn prepare(&self, req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        let token = common::single_header(req.headers, HEADER).ok()?;
        let kid = es256_kid(token).ok()?;
        self.fetcher.prepare(&kid, || self.key_request(&kid))
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let token = common::single_header(req.headers, HEADER)?;
        let kid = es256_kid(token)?;
        let key = self.fetcher.get(&kid)?;
        let claims: Claims = jwt::verified_claims(token, &key.key, Algorithm::ES256, None, &[])?;
        if key
            .expired_at
            .is_some_and(|t| t <= req.now.as_secs() as i64)
        {
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
    use crate::providers::key_fetch::testserver::{Answer, KeyServer};
    use crate::providers::testkit::{headers, secs};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{EncodingKey, Header};

    // Plaid publishes no signed webhook with its key. The body is the SYNC_UPDATES_AVAILABLE
    // example of plaid.com/docs/api/products/transactions (Plaid's 2-space JSON); the key
    // response has the shape of the /webhook_verification_key/get example in Plaid's API
    // reference; the token is signed by `jsonwebtoken` with a P-256 key made by rcgen.
    const BODY: &[u8] = b"{\n  \"webhook_type\": \"TRANSACTIONS\",\n  \"webhook_code\": \"SYNC_UPDATES_AVAILABLE\",\n  \"item_id\": \"wz666MBjYWTp2PDzzggYhM6oWWmBb\",\n  \"initial_update_complete\": true,\n  \"historical_update_complete\": false,\n  \"environment\": \"production\"\n}";
    const KID: &str = "6c5516e1-92dc-479e-a8ff-5a51992e0001";
    const NOW: u64 = 1_800_000_000;

    struct Signer {
        pkcs8: Vec<u8>,
        jwk: serde_json::Value,
    }

    fn signer() -> Signer {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let raw = pair.public_key_raw();
        let jwk = serde_json::json!({
            "alg": "ES256", "created_at": 1560466150, "crv": "P-256", "expired_at": null,
            "kid": KID, "kty": "EC", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
        });
        Signer {
            pkcs8: pair.serialize_der(),
            jwk,
        }
    }

    fn token(s: &Signer, kid: &str, iat: u64, body: &[u8]) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        let claims = serde_json::json!({
            "iat": iat,
            "request_body_sha256": hex::encode(sha2::Sha256::digest(body)),
        });
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&s.pkcs8)).unwrap()
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
                tolerance: Duration::from_secs(300),
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

    #[tokio::test]
    async fn keys_are_fetched_by_kid_with_the_client_credentials() {
        let server = KeyServer::start();
        let signer = signer();
        server.set(
            KEY_PATH,
            Answer::ok(
                serde_json::to_vec(&serde_json::json!({"key": signer.jwk, "request_id": "x"}))
                    .unwrap(),
            ),
        );
        let s = scheme(&server);
        let t = token(&signer, KID, NOW, BODY);
        assert_eq!(check(&*s, Some(&t), BODY, NOW + 10).await, Ok(()));
        let mut tampered = BODY.to_vec();
        tampered.push(b'\n');
        assert_eq!(
            check(&*s, Some(&t), &tampered, NOW + 10).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, Some(&t), BODY, NOW + 301).await,
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check(&*s, Some(&t), BODY, NOW - 301).await,
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check(&*s, None, BODY, NOW).await,
            Err(Rejection::MissingSignature)
        );
        // Signed by another key under the same kid.
        let forged = token(&super::tests::signer(), KID, NOW, BODY);
        assert_eq!(
            check(&*s, Some(&forged), BODY, NOW).await,
            Err(Rejection::BadSignature)
        );
        let received = server.received();
        assert_eq!(received.len(), 1, "one fetch, then the cache");
        let request: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(request["key_id"], KID);
        assert_eq!(request["client_id"], "client-1");
        assert_eq!(request["secret"], "plaid-secret");
        assert_eq!(received[0].method, "POST");
    }

    #[tokio::test]
    async fn unknown_and_expired_keys_are_refused() {
        let server = KeyServer::start();
        let signer = signer();
        // Plaid answers an unknown key_id with 400 INVALID_INPUT.
        server.set(KEY_PATH, Answer::status(400));
        let s = scheme(&server);
        let t = token(&signer, KID, NOW, BODY);
        assert_eq!(
            check(&*s, Some(&t), BODY, NOW).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(&*s, Some(&t), BODY, NOW).await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(server.hits(KEY_PATH), 1, "a refused kid is remembered");

        let server = KeyServer::start();
        let mut jwk = signer.jwk.clone();
        jwk["expired_at"] = (NOW - 1).into();
        server.set(
            KEY_PATH,
            Answer::ok(serde_json::to_vec(&serde_json::json!({"key": jwk})).unwrap()),
        );
        let s = scheme(&server);
        assert_eq!(
            check(&*s, Some(&t), BODY, NOW).await,
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
