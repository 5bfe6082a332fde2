//! JWT / JWS checks shared by the token-carrying presets (Pub/Sub, Plaid, Apple), on
//! `jsonwebtoken`. Signatures and the audience are checked by the library; times are checked
//! here against the request's `now` (the library would read the wall clock, and published
//! vectors are verified at the instant their source used).

use std::collections::HashSet;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::de::DeserializeOwned;

use crate::providers::Rejection;

/// The token's header, unverified (to pick the key). Not a JWT → `MalformedSignature`.
pub fn header(token: &str) -> Result<Header, Rejection> {
    jsonwebtoken::decode_header(token).map_err(|_| Rejection::MalformedSignature)
}

/// The claims of `token` once its signature by `key` with `algorithm` (the only one accepted)
/// checks out, and, when given, its `aud` is `audience` and its `iss` one of `issuers`.
pub fn verified_claims<C: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    audience: Option<&str>,
    issuers: &[&str],
) -> Result<C, Rejection> {
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims = HashSet::new();
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    if !issuers.is_empty() {
        validation.set_issuer(issuers);
    }
    jsonwebtoken::decode::<C>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidToken
            | jsonwebtoken::errors::ErrorKind::Base64(_)
            | jsonwebtoken::errors::ErrorKind::Json(_)
            | jsonwebtoken::errors::ErrorKind::Utf8(_) => Rejection::MalformedSignature,
            _ => Rejection::BadSignature,
        })
}

/// `exp` not passed and `iat` not in the future, each with `leeway`, at `now`.
pub fn check_lifetime(
    exp: Option<i64>,
    iat: Option<i64>,
    now: Duration,
    leeway: Duration,
) -> Result<(), Rejection> {
    let now = now.as_secs() as i64;
    let leeway = leeway.as_secs() as i64;
    if exp.is_some_and(|exp| exp + leeway < now) || iat.is_some_and(|iat| iat - leeway > now) {
        return Err(Rejection::StaleTimestamp);
    }
    Ok(())
}
