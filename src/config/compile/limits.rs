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
/// built-in default. At least one byte (there is no "unlimited": nginx's `client_max_body_size 0`
/// means that, and an unbounded body would break the memory bound), and at most the server's
/// `body_memory_limit`: a larger body could never be buffered and would get 503 forever.
pub(super) fn max_body(
    text: Option<&str>,
    server: &ServerSettings,
    preset: &Preset,
    at: RouteAt<'_>,
) -> Result<u64, ConfigError> {
    let (limit, whence) = match text {
        Some(t) => {
            let limit = parse_size(t).map_err(|m| at.err("max_body", m))?;
            check_nonzero(limit).map_err(|m| at.err("max_body", m))?;
            (limit, "")
        }
        None => match (server.max_body, preset.max_body) {
            // The server's was checked against body_memory_limit with `[server]`.
            (Some(limit), _) => return Ok(limit),
            (None, Some(limit)) => (limit, " (the preset's default; set the route's max_body)"),
            // The built-in 1 MiB is held against the limit too: a smaller body_memory_limit
            // would refuse every body between them with 503, forever.
            (None, None) => (DEFAULT_MAX_BODY, " (the default; set max_body)"),
        },
    };
    check_fits_memory(limit, server.body_memory_limit)
        .map_err(|m| at.err("max_body", format!("{m}{whence}")))?;
    Ok(limit)
}

/// A `max_body` of zero is refused rather than read as nginx's "unlimited".
pub(super) fn check_nonzero(limit: u64) -> Result<(), String> {
    if limit == 0 {
        return Err(
            "must be at least 1 byte (0 is not \"unlimited\" as in nginx: every body is bounded)"
                .into(),
        );
    }
    Ok(())
}

/// A `max_body` above `body_memory_limit` is refused: such a body never fits the buffer budget.
pub(super) fn check_fits_memory(limit: u64, body_memory_limit: u64) -> Result<(), String> {
    use crate::providers::families::catalog::size;
    if limit > body_memory_limit {
        return Err(format!(
            "{} is more than server.body_memory_limit {}: a body that large could never be buffered and would get 503 every time",
            size(limit),
            size(body_memory_limit)
        ));
    }
    Ok(())
}
