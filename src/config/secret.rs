//! Secrets as configured: `env:NAME`, `file:PATH`, or the literal value. Resolved once at load;
//! the value never appears in `Debug` output, logs, errors or metrics.

use std::fmt;
use std::sync::Arc;

/// A resolved secret. Cheap to clone; `Debug` prints only a redaction marker.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<[u8]>);

impl Secret {
    /// A secret from its literal value (tests, or a literal in the config).
    pub fn literal(value: &str) -> Secret {
        Secret(Arc::from(value.as_bytes()))
    }

    pub fn from_bytes(value: &[u8]) -> Secret {
        Secret(Arc::from(value))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as text (secrets in configs are text; providers that decode them use this).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a secret reference could not be resolved. Names the reference, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    EnvMissing(String),
    EnvEmpty(String),
    FileUnreadable { path: String, reason: String },
    FileEmpty(String),
    Empty,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::EnvMissing(n) => write!(f, "environment variable {n} is not set"),
            SecretError::EnvEmpty(n) => write!(f, "environment variable {n} is empty"),
            SecretError::FileUnreadable { path, reason } => {
                write!(f, "cannot read secret file {path}: {reason}")
            }
            SecretError::FileEmpty(p) => write!(f, "secret file {p} is empty"),
            SecretError::Empty => write!(f, "a secret may not be empty"),
        }
    }
}

/// Resolves `env:NAME`, `file:PATH` (trailing newline stripped), or a literal.
pub fn resolve(
    reference: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, SecretError> {
    if let Some(name) = reference.strip_prefix("env:") {
        let value = env(name).ok_or_else(|| SecretError::EnvMissing(name.to_string()))?;
        if value.is_empty() {
            return Err(SecretError::EnvEmpty(name.to_string()));
        }
        Ok(Secret::literal(&value))
    } else if let Some(path) = reference.strip_prefix("file:") {
        let bytes = std::fs::read(path).map_err(|e| SecretError::FileUnreadable {
            path: path.to_string(),
            reason: e.kind().to_string(),
        })?;
        let trimmed = trim_trailing_newlines(&bytes);
        if trimmed.is_empty() {
            return Err(SecretError::FileEmpty(path.to_string()));
        }
        Ok(Secret::from_bytes(trimmed))
    } else if reference.is_empty() {
        Err(SecretError::Empty)
    } else {
        Ok(Secret::literal(reference))
    }
}

fn trim_trailing_newlines(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len();
    while end > 0 && (bytes[end - 1] == b'\n' || bytes[end - 1] == b'\r') {
        end -= 1;
    }
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::literal("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn env_and_literal_references() {
        let env = |n: &str| (n == "A").then(|| "x".to_string());
        assert_eq!(resolve("env:A", &env).unwrap().bytes(), b"x");
        assert_eq!(
            resolve("env:B", &env),
            Err(SecretError::EnvMissing("B".into()))
        );
        assert_eq!(resolve("plain", &env).unwrap().bytes(), b"plain");
    }
}
