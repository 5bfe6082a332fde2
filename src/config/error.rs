//! Configuration errors: every one names the file, and where it applies the route and the key.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
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

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(route) = &self.route {
            write!(f, ": route \"{route}\"")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}
