//! Secrets as configured: `env:NAME`, `file:PATH`, or the literal value. Resolved once at load;
//! the value never appears in `Debug` output, logs, errors or metrics.
//!
//! `file:` follows what Kubernetes Secret volumes and Docker secrets users expect: a relative
//! path is resolved from the config file's directory (as nginx resolves from its prefix), and
//! exactly one trailing `\n` or `\r\n` (what `echo s3cret > s.txt` writes) is removed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

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

/// Why a secret reference could not be resolved. Names the reference and the resolved path,
/// never the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    #[error("environment variable {0} is empty")]
    EnvEmpty(String),
    /// `path` is the resolved (absolute) path; `reference` the `file:` text as configured.
    #[error("cannot read secret file {} ({reference}{}): {reason}", path.display(), relative_hint(reference))]
    FileUnreadable {
        path: PathBuf,
        reference: String,
        reason: String,
    },
    #[error("secret file {} is empty", .0.display())]
    FileEmpty(PathBuf),
    #[error("a secret may not be empty")]
    Empty,
}

fn relative_hint(reference: &str) -> &'static str {
    let path = reference.strip_prefix("file:").unwrap_or(reference);
    if Path::new(path).is_absolute() {
        ""
    } else {
        ", relative to the config file's directory"
    }
}

/// A resolved secret and what resolving it did that the operator may want to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub secret: Secret,
    /// For `file:`: the absolute path that was read, and whether one trailing line ending
    /// (`\n` or `\r\n`) was removed from its content.
    pub file: Option<FileRead>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    pub path: PathBuf,
    pub trimmed_line_ending: bool,
}

/// Resolves `env:NAME`, `file:PATH` or a literal. A relative `file:` path is joined to
/// `base_dir` (the config file's directory; empty means the working directory) and made
/// absolute for messages.
///
/// Errors: [`SecretError`], naming the variable or the resolved path.
pub fn resolve(
    reference: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, SecretError> {
    if let Some(name) = reference.strip_prefix("env:") {
        let value = env(name).ok_or_else(|| SecretError::EnvMissing(name.to_string()))?;
        if value.is_empty() {
            return Err(SecretError::EnvEmpty(name.to_string()));
        }
        Ok(Resolved {
            secret: Secret::literal(&value),
            file: None,
        })
    } else if let Some(path) = reference.strip_prefix("file:") {
        let joined = base_dir.join(path);
        let path = std::path::absolute(&joined).unwrap_or(joined);
        let bytes = std::fs::read(&path).map_err(|e| SecretError::FileUnreadable {
            path: path.clone(),
            reference: reference.to_string(),
            reason: e.to_string(),
        })?;
        let (value, trimmed_line_ending) = trim_one_line_ending(&bytes);
        if value.is_empty() {
            return Err(SecretError::FileEmpty(path));
        }
        Ok(Resolved {
            secret: Secret::from_bytes(value),
            file: Some(FileRead {
                path,
                trimmed_line_ending,
            }),
        })
    } else if reference.is_empty() {
        Err(SecretError::Empty)
    } else {
        Ok(Resolved {
            secret: Secret::literal(reference),
            file: None,
        })
    }
}

/// Removes exactly one trailing `\r\n` or `\n`: the line ending `echo` and editors add. A second
/// one, or other whitespace, is part of the secret.
fn trim_one_line_ending(bytes: &[u8]) -> (&[u8], bool) {
    if let Some(rest) = bytes.strip_suffix(b"\r\n") {
        (rest, true)
    } else if let Some(rest) = bytes.strip_suffix(b"\n") {
        (rest, true)
    } else {
        (bytes, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::literal("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn env_and_literal_references() {
        let env = |n: &str| (n == "A").then(|| "x".to_string());
        let base = Path::new("");
        assert_eq!(resolve("env:A", base, &env).unwrap().secret.bytes(), b"x");
        assert_eq!(
            resolve("env:B", base, &env),
            Err(SecretError::EnvMissing("B".into()))
        );
        assert_eq!(
            resolve("plain", base, &env).unwrap().secret.bytes(),
            b"plain"
        );
    }

    #[test]
    fn exactly_one_line_ending_is_trimmed() {
        assert_eq!(trim_one_line_ending(b"s3cret\n"), (&b"s3cret"[..], true));
        assert_eq!(trim_one_line_ending(b"s3cret\r\n"), (&b"s3cret"[..], true));
        assert_eq!(trim_one_line_ending(b"s3cret"), (&b"s3cret"[..], false));
        assert_eq!(
            trim_one_line_ending(b"s3cret\n\n"),
            (&b"s3cret\n"[..], true)
        );
        assert_eq!(trim_one_line_ending(b"s3cret\r"), (&b"s3cret\r"[..], false));
        assert_eq!(trim_one_line_ending(b"s3cret \n"), (&b"s3cret "[..], true));
    }

    #[test]
    fn relative_file_paths_resolve_from_the_base_dir() {
        let dir = std::env::temp_dir().join(format!("hookgate-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("s.txt"), "s3cret\r\n").unwrap();
        let r = resolve("file:s.txt", &dir, &no_env).unwrap();
        assert_eq!(r.secret.bytes(), b"s3cret");
        let read = r.file.unwrap();
        assert!(read.trimmed_line_ending);
        assert_eq!(read.path, dir.join("s.txt"));

        let e = resolve("file:missing.txt", &dir, &no_env).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&dir.join("missing.txt").display().to_string()),
            "{text}"
        );
        assert!(
            text.contains("file:missing.txt, relative to the config file's directory"),
            "{text}"
        );

        std::fs::write(dir.join("empty.txt"), "\n").unwrap();
        assert_eq!(
            resolve("file:empty.txt", &dir, &no_env),
            Err(SecretError::FileEmpty(dir.join("empty.txt")))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
