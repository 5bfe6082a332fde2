//! Mechanics shared by the providers: header access, HMAC, encodings, timestamp windows and
//! constant-time comparison. Written once here so a provider file is only its scheme.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::config::secret::Secret;
use crate::providers::{Rejection, SettingsError};

/// The hash functions HMAC schemes use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Algorithm> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(Algorithm::Sha1),
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hex, accepted in either case; produced in lower case.
    Hex,
    /// Base64, standard or URL-safe alphabet, with or without padding; produced padded standard.
    Base64,
}

impl Encoding {
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.to_ascii_lowercase().as_str() {
            "hex" => Some(Encoding::Hex),
            "base64" => Some(Encoding::Base64),
            _ => None,
        }
    }

    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Encoding::Hex => hex::decode(text.trim()).ok(),
            Encoding::Base64 => decode_base64(text.trim()),
        }
    }

    /// [`Encoding::decode`], into `buf` when the text is hex of at most [`MAX_MAC_LEN`] bytes
    /// (no allocation: the common case, a hex MAC); otherwise as `decode` does. Same answers.
    pub fn decode_in<'a>(
        self,
        text: &str,
        buf: &'a mut [u8; MAX_MAC_LEN],
    ) -> Option<std::borrow::Cow<'a, [u8]>> {
        let hex_text = text.trim();
        let len = hex_text.len() / 2;
        if self == Encoding::Hex && hex_text.len().is_multiple_of(2) && len <= MAX_MAC_LEN {
            let out = buf.get_mut(..len)?;
            hex::decode_to_slice(hex_text, out).ok()?;
            return Some(std::borrow::Cow::Borrowed(out));
        }
        self.decode(text).map(std::borrow::Cow::Owned)
    }

    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Hex => hex::encode(bytes),
            Encoding::Base64 => STANDARD.encode(bytes),
        }
    }
}

/// Base64 in any of the usual spellings: standard or URL-safe, padded or not.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let unpadded = text.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(unpadded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(unpadded))
        .or_else(|_| STANDARD.decode(text))
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

/// The longest MAC any [`Algorithm`] makes (HMAC-SHA-512: 64 bytes).
pub const MAX_MAC_LEN: usize = 64;

/// HMAC of the concatenation of `parts` (so signed strings such as `"{t}.{body}"` need no copy).
pub fn hmac_parts(algorithm: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = [0u8; MAX_MAC_LEN];
    let len = hmac_into(algorithm, key, parts, &mut out);
    out.get(..len).unwrap_or_default().to_vec()
}

/// [`hmac_parts`] written into `out` (no allocation: verifying a request makes one MAC per
/// secret); the MAC's length.
pub fn hmac_into(
    algorithm: Algorithm,
    key: &[u8],
    parts: &[&[u8]],
    out: &mut [u8; MAX_MAC_LEN],
) -> usize {
    fn run<M: Mac + hmac::digest::KeyInit>(
        key: &[u8],
        parts: &[&[u8]],
        out: &mut [u8; MAX_MAC_LEN],
    ) -> usize {
        // Justified: HMAC takes a key of any length (RFC 2104 §3 hashes a long one), so
        // `new_from_slice` cannot fail for an HMAC type.
        #[allow(clippy::expect_used)]
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
            .expect("HMAC accepts keys of any length");
        for part in parts {
            mac.update(part);
        }
        let bytes = mac.finalize().into_bytes();
        for (to, from) in out.iter_mut().zip(bytes.iter()) {
            *to = *from;
        }
        bytes.len().min(MAX_MAC_LEN)
    }
    match algorithm {
        Algorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts, out),
        Algorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts, out),
        Algorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts, out),
    }
}

/// Constant-time equality of two secret-derived byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// True when any secret's HMAC over `parts` equals any of `candidates`. Every pair is compared in
/// constant time and the loop never exits early on a match, so timing says nothing about which
/// secret or candidate matched.
pub fn any_hmac_matches(
    algorithm: Algorithm,
    secrets: &[Secret],
    parts: &[&[u8]],
    candidates: &[impl AsRef<[u8]>],
) -> bool {
    let mut matched = subtle::Choice::from(0u8);
    let mut mac = [0u8; MAX_MAC_LEN];
    for secret in secrets {
        let len = hmac_into(algorithm, secret.bytes(), parts, &mut mac);
        let expected = mac.get(..len).unwrap_or_default();
        for candidate in candidates {
            let candidate = candidate.as_ref();
            if candidate.len() == expected.len() {
                matched |= expected.ct_eq(candidate);
            }
        }
    }
    bool::from(matched)
}

/// The value of a header that must appear exactly once.
/// Absent → `MissingSignature`; twice → `AmbiguousSignature`; not visible ASCII → `MalformedSignature`.
pub fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, Rejection> {
    let mut values = headers.get_all(name).iter();
    let first = values.next().ok_or(Rejection::MissingSignature)?;
    if values.next().is_some() {
        return Err(Rejection::AmbiguousSignature);
    }
    first.to_str().map_err(|_| Rejection::MalformedSignature)
}

/// Like [`single_header`], but absence is `Ok(None)` (for optional headers).
pub fn optional_header<'h>(
    headers: &'h HeaderMap,
    name: &str,
) -> Result<Option<&'h str>, Rejection> {
    match single_header(headers, name) {
        Ok(v) => Ok(Some(v)),
        Err(Rejection::MissingSignature) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Strips a required prefix such as `sha256=` (case-insensitive, as senders vary).
pub fn strip_prefix_ci<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    if value.len() >= prefix.len()
        && value.is_char_boundary(prefix.len())
        && value[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&value[prefix.len()..])
    } else {
        None
    }
}

/// The clock skew allowed ahead of the gateway's clock where the provider's SDK allows none
/// (Box, HubSpot, Twitch, Paddle, Calendly refuse or ignore future timestamps): a few seconds,
/// so a sender whose clock runs slightly fast is not refused.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5);

/// A timestamp window: how old (`past`) and how far ahead of now (`future`) a signed timestamp
/// may be. Bounds are inclusive. Built by [`crate::providers::Preset::window`]; a route's
/// `tolerance = "0s"` gives [`Window::OFF`] (no timestamp is refused for its age, as the README
/// documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub past: Duration,
    pub future: Duration,
}

impl Window {
    /// No window: the timestamp is still signed (and must parse), its age is not checked.
    pub const OFF: Window = Window {
        past: Duration::MAX,
        future: Duration::MAX,
    };

    /// The same bound both ways; a zero tolerance means no window ([`Window::OFF`]).
    pub fn symmetric(tolerance: Duration) -> Window {
        if tolerance.is_zero() {
            return Window::OFF;
        }
        Window {
            past: tolerance,
            future: tolerance,
        }
    }

    /// True for [`Window::OFF`].
    pub fn is_off(self) -> bool {
        self == Window::OFF
    }

    /// Checks `timestamp_ms` (Unix milliseconds) against `now`: older than `past` or further
    /// ahead than `future` → `StaleTimestamp`. [`Window::OFF`] accepts any timestamp.
    pub fn check_millis(self, timestamp_ms: i64, now: Duration) -> Result<(), Rejection> {
        if self.is_off() {
            return Ok(());
        }
        let age = now.as_millis() as i128 - timestamp_ms as i128;
        if age > self.past.as_millis() as i128 || -age > self.future.as_millis() as i128 {
            Err(Rejection::StaleTimestamp)
        } else {
            Ok(())
        }
    }

    /// [`Window::check_millis`] for a timestamp in Unix seconds.
    pub fn check_seconds(self, timestamp: i64, now: Duration) -> Result<(), Rejection> {
        self.check_millis(timestamp.saturating_mul(1000), now)
    }
}

/// Checks that `timestamp` (Unix seconds) is within `tolerance` of `now`, in both directions.
pub fn check_unix_seconds(
    timestamp: i64,
    now: Duration,
    tolerance: Duration,
) -> Result<(), Rejection> {
    check_unix_millis(timestamp.saturating_mul(1000), now, tolerance)
}

/// Checks that `timestamp_ms` (Unix milliseconds) is within `tolerance` of `now`, both directions.
/// A zero `tolerance` (a route's `"0s"`) checks nothing.
pub fn check_unix_millis(
    timestamp_ms: i64,
    now: Duration,
    tolerance: Duration,
) -> Result<(), Rejection> {
    if tolerance.is_zero() {
        return Ok(());
    }
    let now_ms = now.as_millis() as i128;
    let diff = (now_ms - timestamp_ms as i128).unsigned_abs();
    if diff > tolerance.as_millis() {
        Err(Rejection::StaleTimestamp)
    } else {
        Ok(())
    }
}

/// Parses a decimal Unix timestamp from a header value.
pub fn parse_unix(value: &str) -> Result<i64, Rejection> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| Rejection::MalformedSignature)
}

/// Parses an RFC 3339 timestamp (Box, Twitch) into Unix milliseconds.
pub fn parse_rfc3339_millis(value: &str) -> Result<i64, Rejection> {
    let t =
        time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| Rejection::MalformedSignature)?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Formats Unix seconds as RFC 3339 (UTC), for signing.
pub fn format_rfc3339(unix_seconds: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Secrets that are written in base64 (Airtable's `macSecretBase64`, Teams' security token) → the
/// key bytes. A secret that is not base64 is a settings error naming its position, not its value.
pub fn base64_keys(secrets: &[Secret]) -> Result<Vec<Secret>, SettingsError> {
    secrets
        .iter()
        .enumerate()
        .map(|(i, secret)| {
            decode_base64(secret.as_str().unwrap_or_default().trim())
                .filter(|k| !k.is_empty())
                .map(|k| Secret::from_bytes(&k))
                .ok_or_else(|| {
                    SettingsError::new("secrets", format!("secret #{} is not base64", i + 1))
                })
        })
        .collect()
}

/// The route must have at least one secret.
pub fn require_secrets(secrets: &[Secret]) -> Result<(), SettingsError> {
    if secrets.is_empty() {
        Err(SettingsError::new(
            "secrets",
            "at least one secret is required",
        ))
    } else {
        Ok(())
    }
}

/// The route must have no secrets: the preset's keys come from the provider (fetched, or a
/// bundled root). The error reads "`<preset>` takes no secrets (`why`)".
pub fn refuse_secrets(secrets: &[Secret], preset: &str, why: &str) -> Result<(), SettingsError> {
    if secrets.is_empty() {
        Ok(())
    } else {
        Err(SettingsError::new(
            "secrets",
            format!("{preset} takes no secrets ({why})"),
        ))
    }
}

/// The first secret, for signing.
pub fn first_secret(secrets: &[Secret]) -> Result<&Secret, crate::providers::SignError> {
    secrets
        .first()
        .ok_or_else(|| crate::providers::SignError("the route has no secret".into()))
}

/// HMAC check as a verdict: `Ok` when any secret's MAC over `parts` equals any candidate.
pub fn verify_hmac(
    algorithm: Algorithm,
    secrets: &[Secret],
    parts: &[&[u8]],
    candidates: &[Vec<u8>],
) -> Result<(), Rejection> {
    if any_hmac_matches(algorithm, secrets, parts, candidates) {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// True when `presented` equals any of `tokens` (shared tokens, Basic credentials). Both sides are
/// hashed first so that neither the comparison nor its length check leaks anything about a token.
pub fn any_token_matches(tokens: &[Secret], presented: &[u8]) -> bool {
    use sha2::Digest;
    let presented = sha2::Sha256::digest(presented);
    let mut matched = subtle::Choice::from(0u8);
    for token in tokens {
        matched |= sha2::Sha256::digest(token.bytes()).ct_eq(&presented);
    }
    bool::from(matched)
}

/// `key=value` items of a signature header such as Stripe's `t=1,v1=ab,v0=cd` (separator `,`) or
/// Paddle's `ts=1;h1=ab` (separator `;`). Items without `=` are skipped; keys and values trimmed.
pub fn kv_items(value: &str, separator: char) -> impl Iterator<Item = (&str, &str)> {
    value
        .split(separator)
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// The one value of `key` among [`kv_items`]: absent → `MissingSignature`, repeated →
/// `MalformedSignature` (a timestamp given twice is not something to pick from).
pub fn kv_single<'v>(value: &'v str, separator: char, key: &str) -> Result<&'v str, Rejection> {
    let mut found = kv_items(value, separator).filter(|(k, _)| *k == key);
    let first = found.next().ok_or(Rejection::MalformedSignature)?;
    if found.next().is_some() {
        return Err(Rejection::MalformedSignature);
    }
    Ok(first.1)
}

/// Every decodable value of `key` among [`kv_items`] (several during secret rotation; other
/// versions such as Stripe's `v0` or Paddle's `h2` are ignored). None at all → `MalformedSignature`.
pub fn kv_signatures(
    value: &str,
    separator: char,
    key: &str,
    encoding: Encoding,
) -> Result<Vec<Vec<u8>>, Rejection> {
    let candidates: Vec<Vec<u8>> = kv_items(value, separator)
        .filter(|(k, _)| *k == key)
        .filter_map(|(_, v)| encoding.decode(v))
        .collect();
    if candidates.is_empty() {
        Err(Rejection::MalformedSignature)
    } else {
        Ok(candidates)
    }
}

/// Signatures of a Standard-Webhooks list (`v1,<b64> v1,<b64> v1a,<b64>`): the decoded values of
/// entries labelled `version`; other versions are skipped. None at all → `MalformedSignature`.
pub fn versioned_signatures(value: &str, version: &str) -> Result<Vec<Vec<u8>>, Rejection> {
    let candidates: Vec<Vec<u8>> = value
        .split_whitespace()
        .filter_map(|entry| entry.split_once(','))
        .filter(|(v, _)| *v == version)
        .filter_map(|(_, sig)| decode_base64(sig))
        .collect();
    if candidates.is_empty() {
        Err(Rejection::MalformedSignature)
    } else {
        Ok(candidates)
    }
}

/// How a timestamp header is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    UnixSeconds,
    UnixMillis,
    Rfc3339,
}

impl TimestampFormat {
    /// The timestamp as Unix milliseconds.
    pub fn parse_millis(self, value: &str) -> Result<i64, Rejection> {
        match self {
            TimestampFormat::UnixSeconds => Ok(parse_unix(value)?.saturating_mul(1000)),
            TimestampFormat::UnixMillis => parse_unix(value),
            TimestampFormat::Rfc3339 => parse_rfc3339_millis(value),
        }
    }

    /// The timestamp to sign into `header`: the caller's (`hookgate sign -H`), which must be
    /// written in this format, else `now`. Signing a value the verifier cannot parse would print
    /// a request every gateway refuses, so it is an error naming the header and the format.
    pub fn given_or_now(
        self,
        headers: &HeaderMap,
        header: &str,
        now: Duration,
    ) -> Result<String, crate::providers::SignError> {
        let value = header_or(headers, header, || self.format(now));
        self.parse_millis(&value).map_err(|_| {
            crate::providers::SignError(format!(
                "header {header}: {value:?} is not {}",
                self.describe()
            ))
        })?;
        Ok(value)
    }

    /// What a value in this format is, for errors.
    fn describe(self) -> &'static str {
        match self {
            TimestampFormat::UnixSeconds => "a Unix timestamp (an integer number of seconds)",
            TimestampFormat::UnixMillis => "a Unix timestamp in milliseconds (an integer)",
            TimestampFormat::Rfc3339 => "an RFC 3339 time such as \"2027-01-15T00:00:00Z\"",
        }
    }

    /// `now` written in this format, for signing.
    pub fn format(self, now: Duration) -> String {
        match self {
            TimestampFormat::UnixSeconds => now.as_secs().to_string(),
            TimestampFormat::UnixMillis => now.as_millis().to_string(),
            TimestampFormat::Rfc3339 => format_rfc3339(now.as_secs()),
        }
    }
}

/// The JSON value at `pointer` in `body`, as text: strings as they are, numbers and booleans
/// printed. For body fields a scheme reads (Linear's timestamp, challenges).
pub fn json_text(body: &[u8], pointer: &str) -> Option<String> {
    crate::json_pointer::scalar_at(body, pointer).map(crate::json_pointer::Scalar::into_text)
}

/// A preset accepts a route's `signature` table only to rename its signature header (when
/// `header_renamable`); anything else in it is a configuration error, never silently ignored.
pub fn preset_header(
    settings: &crate::providers::SchemeSettings<'_>,
    default: &str,
    header_renamable: bool,
) -> Result<String, SettingsError> {
    let Some(spec) = settings.signature else {
        return Ok(default.to_string());
    };
    let only_header = spec.algorithm.is_none()
        && spec.encoding.is_none()
        && spec.prefix.is_none()
        && spec.timestamp_header.is_none();
    if !header_renamable || !only_header {
        let what = if header_renamable {
            "only `signature.header` may be set for this provider (its scheme is fixed)"
        } else {
            "this provider's scheme is fixed; remove the `signature` table"
        };
        return Err(SettingsError::new("signature", what));
    }
    match &spec.header {
        None => Ok(default.to_string()),
        Some(h) => {
            check_header_name("signature.header", h)?;
            Ok(h.clone())
        }
    }
}

/// Checks that `name` (the value of config key `key`) is a valid header name.
pub fn check_header_name(key: &'static str, name: &str) -> Result<(), SettingsError> {
    http::HeaderName::from_bytes(name.as_bytes())
        .map(|_| ())
        .map_err(|_| SettingsError::new(key, format!("{name:?} is not a valid header name")))
}

/// `signature.encoding`, hex when absent.
pub fn encoding_setting(spec: &crate::providers::SignatureSpec) -> Result<Encoding, SettingsError> {
    match spec.encoding.as_deref() {
        None => Ok(Encoding::Hex),
        Some(e) => Encoding::parse(e).ok_or_else(|| {
            SettingsError::new(
                "signature.encoding",
                format!("{e:?} is not one of hex, base64"),
            )
        }),
    }
}

/// `signature.header`, which the generic families require.
pub fn required_header(spec: &crate::providers::SignatureSpec) -> Result<String, SettingsError> {
    let header = spec
        .header
        .clone()
        .ok_or_else(|| SettingsError::new("signature.header", "missing"))?;
    check_header_name("signature.header", &header)?;
    Ok(header)
}

/// The value of `name` in `req.headers` if present, else a made-up one (for signing schemes that
/// sign over a delivery id).
pub fn header_or(headers: &HeaderMap, name: &str, made_up: impl FnOnce() -> String) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(made_up)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stack decode answers exactly as the allocating one: hex in either case, padded by
    /// whitespace, odd-length or non-hex (refused), longer than any MAC (decoded all the same),
    /// and base64.
    #[test]
    fn decoding_in_place_answers_as_decoding() {
        let long_hex = "ab".repeat(MAX_MAC_LEN + 1);
        for (encoding, text) in [
            (Encoding::Hex, "00ff10AB"),
            (Encoding::Hex, " 00ff10ab\t"),
            (Encoding::Hex, "00ff1"),
            (Encoding::Hex, "zz"),
            (Encoding::Hex, ""),
            (Encoding::Hex, long_hex.as_str()),
            (Encoding::Base64, "+/8BAg=="),
            (Encoding::Base64, "not base64!"),
        ] {
            let mut buf = [0u8; MAX_MAC_LEN];
            let in_place = encoding.decode_in(text, &mut buf).map(|c| c.into_owned());
            assert_eq!(in_place, encoding.decode(text), "{encoding:?} {text:?}");
        }
    }

    /// The MAC written in place is the allocating one, for every algorithm (RFC 4231 test case 2:
    /// key "Jefe", "what do ya want for nothing?", HMAC-SHA-256 5bdcc146...).
    #[test]
    fn hmac_in_place_is_hmac_parts() {
        let parts: [&[u8]; 2] = [b"what do ya want ", b"for nothing?"];
        for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            let mut out = [0u8; MAX_MAC_LEN];
            let len = hmac_into(algorithm, b"Jefe", &parts, &mut out);
            assert_eq!(out[..len], hmac_parts(algorithm, b"Jefe", &parts)[..]);
        }
        let sha256 = hmac_parts(Algorithm::Sha256, b"Jefe", &parts);
        assert_eq!(
            hex::encode(sha256),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn base64_is_accepted_with_or_without_padding_and_in_both_alphabets() {
        let bytes = [0xfbu8, 0xff, 0x01, 0x02];
        assert_eq!(decode_base64("+/8BAg==").unwrap(), bytes);
        assert_eq!(decode_base64("+/8BAg").unwrap(), bytes);
        assert_eq!(decode_base64("-_8BAg").unwrap(), bytes);
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn hex_is_accepted_in_either_case() {
        assert_eq!(Encoding::Hex.decode("ABcd").unwrap(), vec![0xab, 0xcd]);
    }

    #[test]
    fn timestamp_window_applies_both_ways() {
        let now = Duration::from_secs(1_000_000);
        let tol = Duration::from_secs(300);
        assert!(check_unix_seconds(1_000_000 - 300, now, tol).is_ok());
        assert!(check_unix_seconds(1_000_000 + 300, now, tol).is_ok());
        assert_eq!(
            check_unix_seconds(1_000_000 - 301, now, tol),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check_unix_seconds(1_000_000 + 301, now, tol),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn windows_bound_each_direction_separately() {
        let now = Duration::from_secs(1_000_000);
        let w = Window {
            past: Duration::from_secs(600),
            future: Duration::from_secs(5),
        };
        assert!(w.check_seconds(1_000_000 - 600, now).is_ok());
        assert!(w.check_seconds(1_000_000 + 5, now).is_ok());
        assert_eq!(
            w.check_seconds(1_000_000 - 601, now),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            w.check_seconds(1_000_000 + 6, now),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            w.check_seconds(i64::MAX, now),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            w.check_seconds(i64::MIN, now),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn kv_lists_keep_every_signature_of_the_wanted_key() {
        let v = "t=12, v1=abcd,v0=ffff,v1=ABCD,v1=zz";
        assert_eq!(kv_single(v, ',', "t"), Ok("12"));
        assert_eq!(
            kv_signatures(v, ',', "v1", Encoding::Hex).unwrap(),
            vec![vec![0xab, 0xcd], vec![0xab, 0xcd]]
        );
        assert_eq!(
            kv_single("t=1,t=2", ',', "t"),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(
            kv_signatures("t=1,v0=ab", ',', "v1", Encoding::Hex),
            Err(Rejection::MalformedSignature)
        );
    }

    #[test]
    fn versioned_lists_skip_other_versions() {
        assert_eq!(
            versioned_signatures("v2,AQI= v1,AwQ=", "v1").unwrap(),
            vec![vec![3, 4]]
        );
        assert_eq!(
            versioned_signatures("v2,AQI=", "v1"),
            Err(Rejection::MalformedSignature)
        );
    }

    #[test]
    fn tokens_compare_by_value() {
        let tokens = [Secret::literal("abc"), Secret::literal("def")];
        assert!(any_token_matches(&tokens, b"def"));
        assert!(!any_token_matches(&tokens, b"de"));
    }

    #[test]
    fn a_header_sent_twice_is_ambiguous() {
        let mut h = HeaderMap::new();
        h.append("x-sig", "a".parse().unwrap());
        h.append("x-sig", "b".parse().unwrap());
        assert_eq!(
            single_header(&h, "x-sig"),
            Err(Rejection::AmbiguousSignature)
        );
        assert_eq!(
            single_header(&HeaderMap::new(), "x-sig"),
            Err(Rejection::MissingSignature)
        );
    }
}
