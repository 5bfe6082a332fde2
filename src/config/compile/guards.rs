//! What a route checks before verifying: `allow_ips`, `rate_limit`, `methods`.

use super::super::error::ConfigError;
use super::super::file::RateLimitSection;
use super::super::model::{CidrSet, RateLimitOnError, RateLimitSpec};
use super::{parse_cidr, RouteAt};
use crate::providers::Preset;

/// `allow_ips`: `None` when absent or empty (every client is allowed).
pub(super) fn allow_ips(
    list: Option<&[String]>,
    at: RouteAt<'_>,
) -> Result<Option<CidrSet>, ConfigError> {
    match list {
        None => Ok(None),
        Some([]) => Ok(None),
        Some(list) => Ok(Some(CidrSet::new(
            list.iter()
                .map(|c| parse_cidr(c).map_err(|m| at.err("allow_ips", m)))
                .collect::<Result<_, _>>()?,
        ))),
    }
}

/// `rate_limit = { per_second, burst, key, on_store_error, shared }`.
pub(super) fn rate_limit(
    section: Option<&RateLimitSection>,
    at: RouteAt<'_>,
) -> Result<Option<RateLimitSpec>, ConfigError> {
    let Some(rl) = section else { return Ok(None) };
    if !(rl.per_second.is_finite() && rl.per_second > 0.0) {
        return Err(at.err(
            "rate_limit.per_second",
            format!("{} must be a positive number", rl.per_second),
        ));
    }
    let burst = rl
        .burst
        .unwrap_or_else(|| rl.per_second.ceil().max(1.0) as u32);
    if burst == 0 {
        return Err(at.err("rate_limit.burst", "must be at least 1".into()));
    }
    let per_client = match rl.key.as_deref() {
        None | Some("route") => false,
        Some("client_ip") => true,
        Some(other) => {
            return Err(at.err(
                "rate_limit.key",
                format!("{other:?} is not one of \"route\", \"client_ip\""),
            ))
        }
    };
    let on_store_error = match rl.on_store_error.as_deref() {
        None => RateLimitOnError::default(),
        Some(text) => {
            parse_rate_limit_policy(text).map_err(|m| at.err("rate_limit.on_store_error", m))?
        }
    };
    Ok(Some(RateLimitSpec {
        per_second: rl.per_second,
        burst,
        per_client,
        on_store_error,
        shared: rl.shared.unwrap_or(true),
    }))
}

/// `rate_limit.on_store_error`: `local`, `allow` or `reject`.
fn parse_rate_limit_policy(text: &str) -> Result<RateLimitOnError, String> {
    match text {
        "local" => Ok(RateLimitOnError::Local),
        "allow" => Ok(RateLimitOnError::Allow),
        "reject" => Ok(RateLimitOnError::Reject),
        _ => Err(format!(
            "{text:?} is not one of \"local\", \"allow\", \"reject\""
        )),
    }
}

/// `methods`, else the preset's.
pub(super) fn methods(
    list: Option<&[String]>,
    preset: &Preset,
    at: RouteAt<'_>,
) -> Result<Vec<http::Method>, ConfigError> {
    match list {
        None => Ok(preset
            .methods
            .iter()
            .map(|m| http::Method::from_bytes(m.as_bytes()).expect("preset methods are valid"))
            .collect()),
        Some(list) => compile_methods(list).map_err(|m| at.err("methods", m)),
    }
}

/// A route's `methods`: non-empty, each a method token, no repeats; upper-cased (methods are
/// case-sensitive on the wire and every provider sends them upper-case).
fn compile_methods(list: &[String]) -> Result<Vec<http::Method>, String> {
    if list.is_empty() {
        return Err("must list at least one method, e.g. [\"POST\"]".into());
    }
    let mut methods = Vec::with_capacity(list.len());
    for text in list {
        let upper = text.trim().to_ascii_uppercase();
        let method = http::Method::from_bytes(upper.as_bytes())
            .ok()
            .filter(|_| !upper.is_empty())
            .ok_or_else(|| format!("{text:?} is not an HTTP method"))?;
        if matches!(method, http::Method::CONNECT | http::Method::TRACE) {
            return Err(format!("{upper} cannot carry a webhook"));
        }
        if methods.contains(&method) {
            return Err(format!("{upper} is listed twice"));
        }
        methods.push(method);
    }
    Ok(methods)
}
