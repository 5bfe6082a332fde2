//! Configuration: the user-facing file format ([`file`]), its validation ([`compile`]) and the
//! compiled form the request path reads ([`compiled`]). Parse once, validate once.

pub mod compile;
pub mod compiled;
pub mod error;
pub mod file;
pub mod secret;
pub mod state;
pub mod units;

use std::path::Path;

pub use compiled::GatewayConfig;
pub use error::ConfigError;

/// Reads, parses and validates a config file, taking secrets from the process environment.
/// `previous` is the configuration being replaced (on reload): state of routes that still exist
/// carries over.
pub fn load(path: &Path, previous: Option<&GatewayConfig>) -> Result<GatewayConfig, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    load_with_env(path, &env, previous)
}

pub fn load_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    previous: Option<&GatewayConfig>,
) -> Result<GatewayConfig, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::file(&shown, format!("cannot read: {e}")))?;
    parse_str(&text, path, env, previous)
}

pub fn parse_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    previous: Option<&GatewayConfig>,
) -> Result<GatewayConfig, ConfigError> {
    let shown = path.display().to_string();
    let parsed: file::FileConfig = toml::from_str(text).map_err(|e| {
        let location = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(" (line {line})")
            })
            .unwrap_or_default();
        ConfigError::file(&shown, format!("{}{location}", e.message().trim()))
    })?;
    compile::compile(
        parsed,
        &compile::CompileContext {
            file: path,
            env,
            previous,
        },
    )
}

#[cfg(test)]
mod tests;
