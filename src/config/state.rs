//! The `[state]` section (shared state on Redis or Valkey), as written and as validated. The
//! route-level keys that go with it (`shared`, `on_store_error`) are parsed with the route's
//! `rate_limit` and `dedup` (`config/compile.rs`).
//!
//! ```toml
//! [state]
//! url = "redis://redis:6379/0"   # or "env:HOOKGATE_REDIS_URL" / "file:/run/secrets/redis-url"
//! password = "env:REDIS_PASSWORD" # optional; replaces the URL's password
//! prefix = "hookgate"             # key namespace, one per environment
//! timeout = "50ms"                # budget of one store call on the request path
//! connect_timeout = "1s"          # budget of one connection attempt (in the background)
//! breaker = { failures = 5, cooldown = "2s" }
//! client_key = "env:HOOKGATE_CLIENT_KEY" # optional; keys the digest of client addresses
//! ```
//!
//! The URL may carry a password, so the validated [`StateSettings`] keep it as a [`Secret`] and
//! show only a redacted form ([`RedisUrl::redacted`]) in `Debug`, logs and errors.

use std::time::Duration;

use serde::Deserialize;

use super::error::ConfigError;
use super::secret::{self, Secret};
use super::units::parse_duration;

pub const DEFAULT_PREFIX: &str = "hookgate";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const DEFAULT_BREAKER_FAILURES: u32 = 5;
pub const DEFAULT_BREAKER_COOLDOWN: Duration = Duration::from_secs(2);
/// The longest `timeout` accepted: a store call is on the request path of every webhook.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(5);

/// `[state]` exactly as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSection {
    /// `redis://`, `rediss://` (TLS), `redis+unix:///path`, `valkey://`…; or `env:NAME` /
    /// `file:PATH` holding such a URL.
    pub url: String,
    /// Optional password (`env:NAME`, `file:PATH` or literal); replaces one in the URL.
    pub password: Option<String>,
    pub prefix: Option<String>,
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    pub breaker: Option<BreakerSection>,
    /// Optional secret (`env:NAME`, `file:PATH` or literal) keying the digest of client
    /// addresses in per-client rate-limit keys.
    pub client_key: Option<String>,
}

/// `[state] breaker = { failures, cooldown }` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSection {
    pub failures: Option<u32>,
    pub cooldown: Option<String>,
}

/// The validated `[state]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSettings {
    pub url: RedisUrl,
    /// Key namespace: every key is `{prefix}:{route}:…`.
    pub prefix: String,
    /// Budget of one store call (each call is cut off after it, whatever redis-rs is doing).
    pub timeout: Duration,
    /// Budget of one connection attempt, made in the background.
    pub connect_timeout: Duration,
    pub breaker: BreakerSettings,
    /// Keys the digest that stands for a client address in per-client rate-limit keys
    /// ([`crate::state::redis::client_key`]); `None`: a key derived from `prefix`.
    pub client_key: Option<Secret>,
}

/// The shortest `client_key` accepted, in bytes: a guessable key would let a reader of Redis
/// hash every IPv4 address and find who is behind a key.
pub const MIN_CLIENT_KEY_BYTES: usize = 16;

/// Circuit-breaker settings: open after `failures` consecutive failed calls; while open, probe
/// the store every `cooldown` in the background and close on the first answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    pub failures: u32,
    pub cooldown: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: DEFAULT_BREAKER_FAILURES,
            cooldown: DEFAULT_BREAKER_COOLDOWN,
        }
    }
}

impl StateSettings {
    /// Settings for `url` with every other key at its default (tests, tools).
    pub fn for_url(url: &str) -> Result<StateSettings, String> {
        Ok(StateSettings {
            url: RedisUrl::parse(url, None)?,
            prefix: DEFAULT_PREFIX.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            breaker: BreakerSettings::default(),
            client_key: None,
        })
    }
}

/// A Redis URL with its password resolved. `Debug` and [`RedisUrl::redacted`] never show the
/// password; [`RedisUrl::expose`] is for the client only.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    full: Secret,
    redacted: String,
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({})", self.redacted)
    }
}

/// URL schemes redis-rs understands (with the features hookgate enables).
const SCHEMES: &[&str] = &[
    "redis",
    "rediss",
    "valkey",
    "valkeys",
    "redis+unix",
    "valkey+unix",
    "unix",
];

impl RedisUrl {
    /// Parses and checks `url`; `password`, when given, replaces the URL's password.
    ///
    /// Errors are plain messages that never contain the password.
    pub fn parse(url: &str, password: Option<&Secret>) -> Result<RedisUrl, String> {
        let mut parsed = url::Url::parse(url.trim()).map_err(|e| {
            format!("is not a URL ({e}); write it like \"redis://host:6379/0\" or \"rediss://…\"")
        })?;
        let scheme = parsed.scheme().to_string();
        if !SCHEMES.contains(&scheme.as_str()) {
            return Err(format!(
                "scheme {scheme:?} is not supported (use one of {})",
                SCHEMES.join(", ")
            ));
        }
        let unix = scheme.ends_with("unix");
        if let Some(password) = password {
            let text = password
                .as_str()
                .ok_or("the password is not UTF-8 text")?
                .to_string();
            if unix {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .filter(|(k, _)| k != "pass" && k != "password")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let mut query = parsed.query_pairs_mut();
                query.clear();
                for (k, v) in &pairs {
                    query.append_pair(k, v);
                }
                query.append_pair("pass", &text);
            } else if parsed.set_password(Some(&text)).is_err() {
                return Err("cannot carry a password (no host)".to_string());
            }
        }
        let full = parsed.to_string();
        // Let redis-rs judge the details (ports, db numbers, TLS fragments) now, not at the first
        // request. Its messages name the problem, not the URL.
        ::redis::IntoConnectionInfo::into_connection_info(full.as_str()).map_err(|e| {
            format!(
                "is not a usable Redis URL: {}",
                redact_text(&e.to_string(), &parsed)
            )
        })?;
        Ok(RedisUrl {
            redacted: redacted_form(&parsed),
            full: Secret::literal(&full),
        })
    }

    /// The URL with any password replaced by `***` (for logs and errors).
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The URL with its password, for handing to the Redis client only.
    pub fn expose(&self) -> &str {
        self.full.as_str().expect("built from a String")
    }

    /// The password the URL carries, if any (to scrub it from error texts), as redis-rs reads it.
    pub fn password(&self) -> Option<String> {
        ::redis::IntoConnectionInfo::into_connection_info(self.expose())
            .ok()?
            .redis_settings()
            .password()
            .map(str::to_string)
    }
}

fn redacted_form(parsed: &url::Url) -> String {
    let mut shown = parsed.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    if shown
        .query_pairs()
        .any(|(k, _)| k == "pass" || k == "password")
    {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "pass" || k == "password" {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        let mut query = shown.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, v);
        }
    }
    shown.to_string()
}

/// Replaces every occurrence of the URL's password (as written in the URL) in `text`.
fn redact_text(text: &str, parsed: &url::Url) -> String {
    let written = parsed.password().map(str::to_string).or_else(|| {
        parsed
            .query_pairs()
            .find(|(k, _)| k == "pass" || k == "password")
            .map(|(_, v)| v.into_owned())
    });
    redact_secret(text, written.as_deref())
}

/// Replaces every occurrence of `secret` in `text` with `***`.
pub fn redact_secret(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => text.replace(s, "***"),
        _ => text.to_string(),
    }
}

/// Validates `[state]`. `env` resolves `env:` references (the process environment in production);
/// `file:` paths are relative to `base_dir` (the config file's directory).
///
/// Errors name the file and the key (`state.url`, `state.timeout`, …) and never the password.
pub fn compile_state(
    section: &StateSection,
    file: &str,
    base_dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<StateSettings, ConfigError> {
    let err = |key: &str, message: String| ConfigError {
        file: file.to_string(),
        route: None,
        key: Some(format!("state.{key}")),
        message,
    };
    let url = state_url(section, base_dir, env, &err)?;

    let prefix = section
        .prefix
        .clone()
        .unwrap_or_else(|| DEFAULT_PREFIX.to_string());
    check_prefix(&prefix).map_err(|m| err("prefix", m))?;

    let duration = |key: &str, v: &Option<String>, default: Duration| match v {
        None => Ok(default),
        Some(t) => parse_duration(t).map_err(|m| err(key, m)),
    };
    let timeout = duration("timeout", &section.timeout, DEFAULT_TIMEOUT)?;
    if timeout.is_zero() || timeout > MAX_TIMEOUT {
        return Err(err(
            "timeout",
            format!(
                "must be more than 0 and at most {} (it is added to requests while the store is slow)",
                humantime::format_duration(MAX_TIMEOUT)
            ),
        ));
    }
    let connect_timeout = duration(
        "connect_timeout",
        &section.connect_timeout,
        DEFAULT_CONNECT_TIMEOUT,
    )?;
    if connect_timeout.is_zero() {
        return Err(err("connect_timeout", "must be more than 0".into()));
    }
    let breaker = match &section.breaker {
        None => BreakerSettings::default(),
        Some(b) => compile_breaker(b).map_err(|(key, m)| err(key, m))?,
    };
    let client_key = match &section.client_key {
        None => None,
        Some(reference) => {
            Some(client_key(reference, base_dir, env).map_err(|m| err("client_key", m))?)
        }
    };
    Ok(StateSettings {
        url,
        prefix,
        timeout,
        connect_timeout,
        breaker,
        client_key,
    })
}

/// `url` (the literal, or an `env:`/`file:` reference to it) with `password` applied; `err`
/// names the file and the key. The message never contains the password.
fn state_url(
    section: &StateSection,
    base_dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<RedisUrl, ConfigError> {
    let url_text = if section.url.starts_with("env:") || section.url.starts_with("file:") {
        let resolved =
            secret::resolve(&section.url, base_dir, env).map_err(|e| err("url", e.to_string()))?;
        resolved
            .secret
            .as_str()
            .ok_or_else(|| err("url", "the URL is not UTF-8 text".into()))?
            .trim()
            .to_string()
    } else {
        section.url.clone()
    };
    if url_text.is_empty() {
        return Err(err("url", "may not be empty".into()));
    }
    let password = match &section.password {
        None => None,
        Some(reference) => Some(
            secret::resolve(reference, base_dir, env)
                .map_err(|e| err("password", e.to_string()))?
                .secret,
        ),
    };
    RedisUrl::parse(&url_text, password.as_ref()).map_err(|m| {
        // The message never contains the password; the URL itself is not repeated.
        err("url", m)
    })
}

/// `breaker = { failures, cooldown }`; an error names its key (`breaker.failures`, …).
fn compile_breaker(b: &BreakerSection) -> Result<BreakerSettings, (&'static str, String)> {
    let failures = b.failures.unwrap_or(DEFAULT_BREAKER_FAILURES);
    if failures == 0 {
        return Err(("breaker.failures", "must be at least 1".into()));
    }
    let cooldown = match &b.cooldown {
        None => DEFAULT_BREAKER_COOLDOWN,
        Some(t) => parse_duration(t).map_err(|m| ("breaker.cooldown", m))?,
    };
    if cooldown.is_zero() {
        return Err(("breaker.cooldown", "must be more than 0".into()));
    }
    Ok(BreakerSettings { failures, cooldown })
}

/// Resolves `client_key`; errors give its length, never its value.
fn client_key(
    reference: &str,
    base_dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, String> {
    let key = secret::resolve(reference, base_dir, env)
        .map_err(|e| e.to_string())?
        .secret;
    if key.bytes().len() < MIN_CLIENT_KEY_BYTES {
        return Err(format!(
            "is {} bytes long; use at least {MIN_CLIENT_KEY_BYTES} random bytes (e.g. `openssl rand -hex 32`)",
            key.bytes().len()
        ));
    }
    Ok(key)
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() || prefix.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(format!(
            "{c:?} is not allowed (letters, digits, '-', '_', '.', ':')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn section(toml_text: &str) -> StateSection {
        toml::from_str(toml_text).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults() {
        let s = compile_state(
            &section("url = \"redis://r:6379/0\""),
            "g.toml",
            Path::new("."),
            &no_env,
        )
        .unwrap();
        assert_eq!(s.prefix, "hookgate");
        assert_eq!(s.timeout, Duration::from_millis(50));
        assert_eq!(s.breaker, BreakerSettings::default());
        assert_eq!(s.url.redacted(), "redis://r:6379/0");
    }

    #[test]
    fn password_never_shown() {
        let s = compile_state(
            &section("url = \"redis://user:hunter2@r:6379/0\""),
            "g.toml",
            Path::new("."),
            &no_env,
        )
        .unwrap();
        assert_eq!(s.url.redacted(), "redis://user:***@r:6379/0");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.url.password().as_deref(), Some("hunter2"));
        assert!(s.url.expose().contains("hunter2"));
    }

    #[test]
    fn url_and_password_from_env_and_file() {
        let env = |n: &str| match n {
            "URL" => Some("rediss://r.example:6380".to_string()),
            "PW" => Some("s3cr:t/pw".to_string()),
            _ => None,
        };
        let s = compile_state(
            &section("url = \"env:URL\"\npassword = \"env:PW\""),
            "g.toml",
            Path::new("."),
            &env,
        )
        .unwrap();
        assert_eq!(s.url.password().as_deref(), Some("s3cr:t/pw"));
        assert!(!s.url.redacted().contains("s3cr"));
        assert!(!format!("{s:?}").contains("s3cr"));

        let dir = std::env::temp_dir().join(format!("hookgate-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("url");
        std::fs::write(&path, "redis://:filepw@r:6379\n").unwrap();
        let s = compile_state(
            &section(&format!("url = \"file:{}\"", path.display())),
            "g.toml",
            Path::new("."),
            &no_env,
        )
        .unwrap();
        assert_eq!(s.url.password().as_deref(), Some("filepw"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unix_socket_password_goes_in_the_query_and_is_redacted() {
        let pw = Secret::literal("sockpw");
        let u = RedisUrl::parse("redis+unix:///run/redis.sock?db=1", Some(&pw)).unwrap();
        assert!(u.expose().contains("pass=sockpw"));
        assert!(!u.redacted().contains("sockpw"));
        assert_eq!(u.password().as_deref(), Some("sockpw"));
    }

    #[test]
    fn errors_name_file_and_key_and_hide_the_password() {
        let cases = [
            ("url = \"http://r\"", "state.url"),
            ("url = \"not a url\"", "state.url"),
            ("url = \"env:MISSING\"", "state.url"),
            (
                "url = \"redis://r\"\npassword = \"env:MISSING\"",
                "state.password",
            ),
            ("url = \"redis://r\"\nprefix = \"a b\"", "state.prefix"),
            ("url = \"redis://r\"\nprefix = \"\"", "state.prefix"),
            ("url = \"redis://r\"\ntimeout = \"0s\"", "state.timeout"),
            ("url = \"redis://r\"\ntimeout = \"1m\"", "state.timeout"),
            ("url = \"redis://r\"\ntimeout = \"soon\"", "state.timeout"),
            (
                "url = \"redis://r\"\nconnect_timeout = \"0s\"",
                "state.connect_timeout",
            ),
            (
                "url = \"redis://r\"\nbreaker = { failures = 0 }",
                "state.breaker.failures",
            ),
            (
                "url = \"redis://r\"\nbreaker = { cooldown = \"0s\" }",
                "state.breaker.cooldown",
            ),
            ("url = \"redis://:pw1234@0.0.0.0:6379\"", "state.url"),
        ];
        for (text, key) in cases {
            let e = compile_state(&section(text), "gw.toml", Path::new("."), &no_env).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{text}: {e}");
            assert_eq!(e.file, "gw.toml");
            assert!(!e.to_string().contains("pw1234"), "{e}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<StateSection>("url = \"redis://r\"\ntimout = \"1s\"").is_err());
    }

    #[test]
    fn redact_secret_replaces_every_occurrence() {
        assert_eq!(redact_secret("a pw b pw", Some("pw")), "a *** b ***");
        assert_eq!(redact_secret("a", None), "a");
    }
}
