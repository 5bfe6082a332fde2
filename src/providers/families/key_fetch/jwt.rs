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

/// The `kid` of a token signed with `alg`, to pick the fetched key: another algorithm, or no
/// `kid`, an empty one or one over 128 bytes (it becomes a cache key) → `MalformedSignature`.
/// Plaid (ES256) and Google Pub/Sub (RS256) name their key this way.
pub fn kid(token: &str, alg: Algorithm) -> Result<String, Rejection> {
    let header = header(token)?;
    if header.alg != alg {
        return Err(Rejection::MalformedSignature);
    }
    header
        .kid
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or(Rejection::MalformedSignature)
}

/// Claims a provider always sets, which its SDK refuses a token without. Checked on the verified
/// payload before it is deserialized, so a claim of the wrong JSON type (a numeric `aud`, an
/// array `iss`) is refused, not skipped (`jsonwebtoken` skips claims it cannot parse unless they
/// are required).
#[derive(Debug, Clone, Copy, Default)]
pub struct Required<'a> {
    /// `aud` must be a string equal to this (google-auth: `claim_audience not in audience`).
    pub audience: Option<&'a str>,
    /// `iss` must be a string, one of these (empty: `iss` not checked).
    pub issuers: &'a [&'a str],
    /// Claims that must be present as integers (JWT NumericDate: `exp`, `iat`).
    pub numeric: &'a [&'a str],
    /// Claims that must be present as non-empty strings.
    pub strings: &'a [&'a str],
}

impl Required<'_> {
    /// `Ok` when `claims` is a JSON object meeting every rule. A claim that is missing or of
    /// the wrong type is `MalformedSignature`; a present, well-typed `aud` or `iss` with another
    /// value is `BadSignature`.
    pub fn check(&self, claims: &serde_json::Value) -> Result<(), Rejection> {
        let object = claims.as_object().ok_or(Rejection::MalformedSignature)?;
        let text = |name: &str| object.get(name).and_then(|v| v.as_str());
        if let Some(audience) = self.audience {
            let aud = text("aud").ok_or(Rejection::MalformedSignature)?;
            if aud != audience {
                return Err(Rejection::BadSignature);
            }
        }
        if !self.issuers.is_empty() {
            let iss = text("iss").ok_or(Rejection::MalformedSignature)?;
            if !self.issuers.contains(&iss) {
                return Err(Rejection::BadSignature);
            }
        }
        let numeric = |name: &&str| object.get(*name).is_some_and(|v| v.as_i64().is_some());
        let string = |name: &&str| text(name).is_some_and(|v| !v.is_empty());
        if self.numeric.iter().all(numeric) && self.strings.iter().all(string) {
            Ok(())
        } else {
            Err(Rejection::MalformedSignature)
        }
    }
}

/// The claims of `token` once its signature by `key` with `algorithm` (the only one accepted)
/// checks out and its payload meets `required`.
pub fn verified_claims<C: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    required: &Required<'_>,
) -> Result<C, Rejection> {
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let claims = jsonwebtoken::decode::<serde_json::Value>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidToken
            | jsonwebtoken::errors::ErrorKind::Base64(_)
            | jsonwebtoken::errors::ErrorKind::Json(_)
            | jsonwebtoken::errors::ErrorKind::Utf8(_) => Rejection::MalformedSignature,
            _ => Rejection::BadSignature,
        })?;
    required.check(&claims)?;
    serde_json::from_value(claims).map_err(|_| Rejection::MalformedSignature)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;

    const PUBSUB: Required<'static> = Required {
        audience: Some("https://hooks.example.com/pubsub"),
        issuers: &["accounts.google.com", "https://accounts.google.com"],
        numeric: &["iat", "exp"],
        strings: &["email"],
    };

    fn pubsub_claims() -> Value {
        json!({
            "aud": "https://hooks.example.com/pubsub",
            "iss": "https://accounts.google.com",
            "iat": 1_800_000_000,
            "exp": 1_800_003_600,
            "email": "push@p.iam.gserviceaccount.com",
        })
    }

    /// google-auth `google/auth/jwt.py` `decode`: `claim_audience = payload.get("aud")` then
    /// `if claim_audience not in audience: raise` (a missing, numeric or list `aud` is not in
    /// the list of audience strings); `id_token.verify_oauth2_token`: `idinfo["iss"] not in
    /// _GOOGLE_ISSUERS` (a missing `iss` raises too).
    #[test]
    fn pubsub_claims_google_auth_requires() {
        assert_eq!(PUBSUB.check(&pubsub_claims()), Ok(()));
        let edits: [(&str, Option<Value>, Rejection); 9] = [
            ("aud", None, Rejection::MalformedSignature),
            ("aud", Some(json!(12)), Rejection::MalformedSignature),
            (
                "aud",
                Some(json!(["https://hooks.example.com/pubsub"])),
                Rejection::MalformedSignature,
            ),
            (
                "aud",
                Some(json!("https://other.example/")),
                Rejection::BadSignature,
            ),
            ("iss", None, Rejection::MalformedSignature),
            (
                "iss",
                Some(json!(["accounts.google.com"])),
                Rejection::MalformedSignature,
            ),
            ("iss", Some(json!("evil.example")), Rejection::BadSignature),
            (
                "iat",
                Some(json!("1800000000")),
                Rejection::MalformedSignature,
            ),
            ("email", None, Rejection::MalformedSignature),
        ];
        for (claim, value, want) in edits {
            let mut claims = pubsub_claims();
            match value {
                Some(v) => claims[claim] = v,
                None => {
                    claims.as_object_mut().unwrap().remove(claim);
                }
            }
            assert_eq!(PUBSUB.check(&claims), Err(want), "{claim}");
        }
        assert_eq!(
            PUBSUB.check(&json!("not an object")),
            Err(Rejection::MalformedSignature)
        );
    }

    fn claim_value() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            Just(None),
            Just(Some(json!("https://hooks.example.com/pubsub"))),
            Just(Some(json!("https://accounts.google.com"))),
            Just(Some(json!("accounts.google.com"))),
            Just(Some(json!(""))),
            Just(Some(Value::Null)),
            any::<i64>().prop_map(|n| Some(json!(n))),
            any::<f64>().prop_map(|f| Some(json!(f))),
            ".{0,12}".prop_map(|s| Some(json!(s))),
            Just(Some(json!(["https://hooks.example.com/pubsub"]))),
            Just(Some(json!({"aud": "x"}))),
            any::<bool>().prop_map(|b| Some(json!(b))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Whatever the claims, `check` accepts exactly when every rule holds, written here
        /// independently: `aud` the audience string, `iss` a listed string, `iat`/`exp` integers,
        /// `email` a non-empty string.
        #[test]
        fn required_claims_accept_exactly_the_well_formed(
            aud in claim_value(), iss in claim_value(), iat in claim_value(),
            exp in claim_value(), email in claim_value(),
        ) {
            let mut claims = serde_json::Map::new();
            for (name, value) in [("aud", &aud), ("iss", &iss), ("iat", &iat), ("exp", &exp), ("email", &email)] {
                if let Some(v) = value {
                    claims.insert(name.to_string(), v.clone());
                }
            }
            let s = |v: &Option<Value>| v.as_ref().and_then(|v| v.as_str().map(str::to_owned));
            let n = |v: &Option<Value>| v.as_ref().is_some_and(|v| v.is_i64());
            let ok = s(&aud).as_deref() == Some("https://hooks.example.com/pubsub")
                && matches!(s(&iss).as_deref(), Some("accounts.google.com" | "https://accounts.google.com"))
                && n(&iat) && n(&exp)
                && s(&email).is_some_and(|e| !e.is_empty());
            prop_assert_eq!(PUBSUB.check(&Value::Object(claims)).is_ok(), ok);
        }
    }
}
