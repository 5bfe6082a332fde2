//! A route's limits: `upstream_timeout` and `max_body`.

use std::time::Duration;

use super::super::error::ConfigError;
use super::super::model::ServerSettings;
use super::super::units::{parse_duration, parse_size};
use super::{RouteAt, DEFAULT_MAX_BODY, DEFAULT_UPSTREAM_TIMEOUT};
use crate::providers::Preset;

/// `upstream_timeout` (default 30s), more than zero.
pub(super) fn upstream_timeout(
    text: Option<&str>,
    at: RouteAt<'_>,
) -> Result<Duration, ConfigError> {
    let timeout = match text {
        None => DEFAULT_UPSTREAM_TIMEOUT,
        Some(t) => parse_duration(t).map_err(|m| at.err("upstream_timeout", m))?,
    };
    if timeout.is_zero() {
        return Err(at.err("upstream_timeout", "must be greater than zero".into()));
    }
    Ok(timeout)
}

/// `max_body` in bytes: the route's, else the server's explicit one, else the preset's, else the
/// built-in default.
pub(super) fn max_body(
    text: Option<&str>,
    server: &ServerSettings,
    preset: &Preset,
    at: RouteAt<'_>,
) -> Result<u64, ConfigError> {
    match text {
        Some(t) => parse_size(t).map_err(|m| at.err("max_body", m)),
        None => Ok(server
            .max_body
            .or(preset.max_body)
            .unwrap_or(DEFAULT_MAX_BODY)),
    }
}
