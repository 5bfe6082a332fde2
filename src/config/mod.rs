//! Configuration, data only: the user-facing file format ([`file`]), its validation
//! ([`compile`]) into the plain [`model`]. Nothing here builds runtime objects or touches a running
//! gateway; [`crate::gateway`] does that from a [`Config`].

pub mod compile;
pub mod error;
pub mod field_source;
pub mod file;
pub mod model;
pub mod queue;
pub mod secret;
pub mod secret_entry;
pub mod state;
pub mod tracing;
pub mod units;
pub mod upstream_dns;

use std::path::Path;

pub use error::{ConfigError, ConfigNotice};
pub use model::Config;
pub use upstream_dns::unresolvable_upstreams;

/// Reads, parses and validates a config file, taking secrets from the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    load_with_env(path, &env)
}

pub fn load_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::file(&shown, format!("cannot read: {e}")))?;
    parse_str(&text, path, env)
}

pub fn parse_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let shown = path.display().to_string();
    // serde_path_to_error names the failing key (`state.timeout`); toml's span gives the line.
    let parsed: file::FileConfig = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e: serde_path_to_error::Error<toml::de::Error>| {
            let path = e.path().to_string();
            let e = e.into_inner();
            let location = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            let mut error = ConfigError::file(&shown, format!("{}{location}", e.message().trim()));
            error.key = (path != ".").then_some(path);
            error
        })?;
    compile::compile(parsed, &compile::CompileContext { file: path, env })
}

#[cfg(test)]
mod tests;
