//! Configuration errors and notices: every one names the file, and where it applies the route and
//! the key.

use std::fmt;

/// A config that cannot be used, located as `file: route "r": key `k`: message` (route and key
/// left out when absent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", Location(.route, .key))]
pub struct ConfigError {
    pub file: String,
    /// The route's name, or `#N` (1-based) when the route has no usable name.
    pub route: Option<String>,
    /// The key, dotted for nested tables: `server.read_timeout`, `rate_limit.per_second`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_string(),
            route: None,
            key: None,
            message: message.into(),
        }
    }

    pub fn server(file: &str, key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_string(),
            route: None,
            key: Some(format!("server.{key}")),
            message: message.into(),
        }
    }

    pub fn route(file: &str, route: &str, key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_string(),
            route: Some(route.to_string()),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
}

/// Something about a config that loaded which the operator may want to know (a trimmed line
/// ending in a secret file, …): printed by `hookgate check`, logged by `hookgate run`. Located
/// like a [`ConfigError`]; never carries a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigNotice {
    pub file: String,
    pub route: Option<String>,
    pub key: Option<String>,
    pub message: String,
}

impl ConfigNotice {
    pub fn route(file: &str, route: &str, key: &str, message: impl Into<String>) -> Self {
        ConfigNotice {
            file: file.to_string(),
            route: Some(route.to_string()),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
}

/// Formatted like a [`ConfigError`]; a notice is not an error, so it has no `thiserror` derive.
impl fmt::Display for ConfigNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = Location(&self.route, &self.key);
        write!(f, "{}{location}: {}", self.file, self.message)
    }
}

/// `: route "r": key `k``, leaving out what is absent.
struct Location<'a>(&'a Option<String>, &'a Option<String>);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(route) = self.0 {
            write!(f, ": route \"{route}\"")?;
        }
        if let Some(key) = self.1 {
            write!(f, ": key `{key}`")?;
        }
        Ok(())
    }
}
