//! One item of a route's `secrets` list: a reference (`"env:NAME"`, `"file:PATH"`, a literal),
//! or a table `{ secret = "env:OLD", from = "2026-12-01T00:00:00Z", until = "2027-01-15T00:00:00Z" }`
//! giving the secret a validity window (Hookaido's secret windows; either bound optional).
//!
//! The window is checked per request against the current time ([`Validity::contains`]), so a
//! window that opens or closes takes effect without a reload. A rotation is written once: the
//! new secret plain, the old one with `until`.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::{ConfigError, ConfigNotice};
use super::secret::Secret;

/// How far ahead `hookgate check` warns of a secret's `until`.
pub const EXPIRY_NOTICE: Duration = Duration::from_secs(7 * 24 * 3600);

/// When a secret verifies: `from <= now < until`, each bound optional. Times are Unix time (the
/// same clock as [`crate::providers::WebhookRequest::now`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Validity {
    pub from: Option<Duration>,
    pub until: Option<Duration>,
}

impl Validity {
    /// Always valid (a plain string entry).
    pub const ALWAYS: Validity = Validity {
        from: None,
        until: None,
    };

    /// Whether the secret verifies at `now` (Unix time). `from` is inclusive, `until` exclusive:
    /// at `until` the secret has stopped.
    pub fn contains(&self, now: Duration) -> bool {
        self.from.is_none_or(|from| now >= from) && self.until.is_none_or(|until| now < until)
    }

    /// Whether either bound is set.
    pub fn is_bounded(&self) -> bool {
        self.from.is_some() || self.until.is_some()
    }
}

/// A parsed `secrets` item: the reference to resolve and its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    pub reference: String,
    pub validity: Validity,
}

/// Parses one `secrets` item. Errors name the sub-key (`until`, …) and say what is expected;
/// the caller adds file, route and `secrets[i]`.
pub fn parse(value: &toml::Value) -> Result<SecretEntry, (Option<&'static str>, String)> {
    match value {
        toml::Value::String(reference) => Ok(SecretEntry {
            reference: reference.clone(),
            validity: Validity::ALWAYS,
        }),
        toml::Value::Table(table) => parse_table(table),
        other => Err((
            None,
            format!(
                "must be a secret reference (\"env:NAME\", \"file:PATH\") or a table {{ secret = \"...\", from = \"...\", until = \"...\" }}, not {}",
                a_type(other)
            ),
        )),
    }
}

fn parse_table(table: &toml::Table) -> Result<SecretEntry, (Option<&'static str>, String)> {
    if let Some(unknown) = table
        .keys()
        .find(|k| !matches!(k.as_str(), "secret" | "from" | "until"))
    {
        return Err((
            None,
            format!("unknown key {unknown:?}; expected `secret`, `from`, `until`"),
        ));
    }
    let reference = match table.get("secret") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => {
            return Err((
                Some("secret"),
                format!("must be a string, not {}", a_type(other)),
            ))
        }
        None => return Err((Some("secret"), "missing".into())),
    };
    let from = bound(table, "from")?;
    let until = bound(table, "until")?;
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            return Err((Some("until"), "must be later than `from`".into()));
        }
    }
    Ok(SecretEntry {
        reference,
        validity: Validity { from, until },
    })
}

/// `from`/`until`: an RFC 3339 time (a TOML string, or a TOML offset date-time).
fn bound(
    table: &toml::Table,
    key: &'static str,
) -> Result<Option<Duration>, (Option<&'static str>, String)> {
    let text = match table.get(key) {
        None => return Ok(None),
        Some(toml::Value::String(s)) => s.clone(),
        Some(toml::Value::Datetime(d)) => d.to_string(),
        Some(other) => {
            return Err((
                Some(key),
                format!(
                    "must be an RFC 3339 time such as \"2027-01-15T00:00:00Z\", not {}",
                    a_type(other)
                ),
            ))
        }
    };
    parse_time(&text).map(Some).map_err(|m| (Some(key), m))
}

/// An RFC 3339 time as Unix time; times before 1970 are refused (no secret predates Unix).
pub fn parse_time(text: &str) -> Result<Duration, String> {
    let t = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| {
        format!("{text:?} is not an RFC 3339 time such as \"2027-01-15T00:00:00Z\"")
    })?;
    let nanos =
        u64::try_from(t.unix_timestamp_nanos()).map_err(|_| format!("{text:?} is before 1970"))?;
    Ok(Duration::from_nanos(nanos))
}

/// RFC 3339 (UTC, whole seconds) for messages.
pub fn format_time(t: Duration) -> String {
    OffsetDateTime::from_unix_timestamp(t.as_secs() as i64)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{}s after 1970", t.as_secs()))
}

/// What `hookgate check` says about a window at `now`: expired, expiring within
/// [`EXPIRY_NOTICE`], or not valid yet. `None` when there is nothing to say.
pub fn notice(validity: &Validity, now: Duration) -> Option<String> {
    if let Some(until) = validity.until {
        if until <= now {
            return Some(format!(
                "secret expired at {} and no longer verifies; remove it",
                format_time(until)
            ));
        }
        if until - now <= EXPIRY_NOTICE {
            let hours = (until - now).as_secs() / 3600;
            return Some(format!(
                "secret expires at {} (in {}, {})",
                format_time(until),
                count(hours / 24, "day"),
                count(hours % 24, "hour")
            ));
        }
    }
    match validity.from {
        Some(from) if from > now => Some(format!(
            "secret is not valid until {} and does not verify before then",
            format_time(from)
        )),
        _ => None,
    }
}

/// `n` and the unit, singular for one: `1 day`, `3 hours`.
fn count(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// "a"/"an" and a TOML type's name, for "not a string"/"not an integer" messages.
fn a_type(value: &toml::Value) -> String {
    let name = value.type_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// The current Unix time.
pub fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A route's `secrets`, resolved, with their windows (same order, same length). Pushes a
/// notice for a trimmed secret file and for a window that is expired, expiring within
/// [`EXPIRY_NOTICE`] or not open yet.
///
/// Errors: a [`ConfigError`] naming `file`, `route` and the key (`secrets[1].until`).
pub fn compile_all(
    list: &[toml::Value],
    file: &str,
    route: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    notices: &mut Vec<ConfigNotice>,
) -> Result<(Vec<Secret>, Vec<Validity>), ConfigError> {
    let now = now();
    let mut secrets = Vec::with_capacity(list.len());
    let mut windows = Vec::with_capacity(list.len());
    for (i, value) in list.iter().enumerate() {
        let key = format!("secrets[{i}]");
        let entry = parse(value).map_err(|(sub, m)| {
            let key = sub.map_or_else(|| key.clone(), |s| format!("{key}.{s}"));
            ConfigError::route(file, route, &key, m)
        })?;
        let resolved = super::secret::resolve(&entry.reference, base_dir, env)
            .map_err(|e| ConfigError::route(file, route, &key, e.to_string()))?;
        if let Some(read) = resolved.file.filter(|f| f.trimmed_line_ending) {
            let m = format!(
                "removed one trailing line ending from secret file {}",
                read.path.display()
            );
            notices.push(ConfigNotice::route(file, route, &key, m));
        }
        if let Some(m) = notice(&entry.validity, now) {
            notices.push(ConfigNotice::route(file, route, &key, m));
        }
        secrets.push(resolved.secret);
        windows.push(entry.validity);
    }
    if !windows.is_empty() && windows.iter().all(|w| w.until.is_some_and(|u| u <= now)) {
        return Err(ConfigError::route(
            file,
            route,
            "secrets",
            "every secret has expired (`until` has passed): every request would get 401; add a current secret",
        ));
    }
    Ok((secrets, windows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Value {
        let doc: toml::Table = toml::from_str(&format!("s = {text}")).unwrap();
        doc["s"].clone()
    }

    #[test]
    fn a_window_is_from_inclusive_until_exclusive() {
        let v = Validity {
            from: Some(Duration::from_secs(100)),
            until: Some(Duration::from_secs(200)),
        };
        assert!(!v.contains(Duration::from_secs(99)));
        assert!(v.contains(Duration::from_secs(100)));
        assert!(v.contains(Duration::from_secs(199)));
        assert!(!v.contains(Duration::from_secs(200)));
        assert!(Validity::ALWAYS.contains(Duration::ZERO));
    }

    #[test]
    fn tables_and_strings_parse() {
        let e = parse(&table(
            r#"{ secret = "env:OLD", from = "2026-12-01T00:00:00Z", until = 2027-01-15T00:00:00Z }"#,
        ))
        .unwrap();
        assert_eq!(e.reference, "env:OLD");
        assert_eq!(e.validity.from, Some(Duration::from_secs(1_796_083_200)));
        assert_eq!(e.validity.until, Some(Duration::from_secs(1_799_971_200)));
        let plain = parse(&table(r#""whsec""#)).unwrap();
        assert_eq!(plain.validity, Validity::ALWAYS);
    }

    #[test]
    fn bad_items_name_the_sub_key() {
        let e = parse(&table(r#"{ secret = "s", until = "next week" }"#)).unwrap_err();
        assert_eq!(e.0, Some("until"));
        assert!(e.1.contains("RFC 3339"), "{}", e.1);
        let e = parse(&table(r#"{ until = "2027-01-15T00:00:00Z" }"#)).unwrap_err();
        assert_eq!(e.0, Some("secret"));
        let e = parse(&table(r#"{ secret = "s", util = "x" }"#)).unwrap_err();
        assert!(e.1.contains("\"util\""), "{}", e.1);
        let e = parse(&table(
            r#"{ secret = "s", from = "2027-01-15T00:00:00Z", until = "2027-01-01T00:00:00Z" }"#,
        ))
        .unwrap_err();
        assert_eq!(e.0, Some("until"));
        assert!(parse(&table("3")).is_err());
    }

    #[test]
    fn notices_cover_expired_expiring_and_not_yet_valid() {
        let now = Duration::from_secs(1_000_000_000);
        let day = Duration::from_secs(86_400);
        let until = |t| Validity {
            from: None,
            until: Some(t),
        };
        assert!(notice(&until(now), now).unwrap().contains("expired"));
        assert!(notice(&until(now + 3 * day), now)
            .unwrap()
            .contains("expires at"));
        assert_eq!(notice(&until(now + 8 * day), now), None);
        let later = Validity {
            from: Some(now + day),
            until: None,
        };
        assert!(notice(&later, now).unwrap().contains("not valid until"));
        assert_eq!(notice(&Validity::ALWAYS, now), None);
    }
}
