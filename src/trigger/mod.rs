//! `hookgate trigger`: sends a realistic sample delivery of a route's provider — the provider's
//! documented body for an event type ([`samples`]), its headers, a fresh event ID and the current
//! time — signed as the provider signs, with the route's first secret valid now (the signer
//! behind `hookgate sign`), and prints the answer. Like `stripe trigger`, for checking a route
//! end to end before (or after) real traffic.
//!
//! Exit codes: 0 when the answer is 2xx; 1 for any other answer, a config or network error; 2
//! when the route cannot be triggered (its keys belong to the provider, its secrets are public
//! keys, or it has no sample). Presets that sign inside the body are signed by [`body_signed`].

mod body_signed;
pub mod catalog;
pub mod samples;
mod send;

use std::path::Path;

use crate::config::model::RouteConfig;
use crate::config::{self, Config};
use crate::providers::WebhookRequest;

pub use samples::{Fresh, Rendered, Sample};

/// What `trigger` was asked to do.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    pub config: &'a Path,
    pub route: Option<&'a str>,
    pub event: Option<&'a str>,
    pub url: Option<&'a str>,
    pub list: bool,
}

/// Why a trigger did not send: `CannotTrigger` exits 2, `Failed` exits 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerError {
    CannotTrigger(String),
    Failed(String),
}

/// Runs the command; returns the exit code.
pub fn main(args: &Args<'_>) -> i32 {
    let result = if args.list {
        list(args).map(|text| {
            print!("{text}");
            0
        })
    } else {
        prepare(args).and_then(|delivery| send::send(&delivery))
    };
    match result {
        Ok(code) => code,
        Err(TriggerError::CannotTrigger(why)) => {
            eprintln!("hookgate: {why}");
            2
        }
        Err(TriggerError::Failed(why)) => {
            eprintln!("hookgate: {why}");
            1
        }
    }
}

/// A signed delivery, ready to send.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    pub preset: &'static str,
    pub event: String,
    pub docs: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// `--list`: each preset's sample event types (only the route's with `--route`).
fn list(args: &Args<'_>) -> Result<String, TriggerError> {
    let presets: Vec<&'static str> = match args.route {
        Some(name) => vec![find_route(&load(args.config)?, name)?.provider()],
        None => crate::providers::presets().iter().map(|p| p.name).collect(),
    };
    let mut out = String::new();
    for preset in presets {
        let line = match not_triggerable(preset) {
            Some(why) => format!("{preset}: (cannot trigger: {why})\n"),
            None => {
                let events: Vec<String> = samples::for_preset(preset)
                    .into_iter()
                    .map(|s| s.event)
                    .collect();
                format!("{preset}: {}\n", events.join(", "))
            }
        };
        out.push_str(&line);
    }
    Ok(out)
}

/// Why `preset` cannot be triggered whatever the route's settings, if so.
pub fn not_triggerable(preset: &str) -> Option<&'static str> {
    if crate::providers::options_builder(preset).is_some() {
        return Some(
            "its signing keys belong to the provider (the gateway fetches them to verify); only the provider can sign its deliveries",
        );
    }
    match crate::providers::find_preset(preset).map(|p| p.family) {
        Some("ed25519" | "ecdsa") => Some(
            "its secrets are the provider's public keys; only the provider holds the private key",
        ),
        _ if samples::for_preset(preset).is_empty() => Some("no sample delivery for it"),
        _ => None,
    }
}

/// Loads the config, picks the sample, fills it in and signs it.
pub fn prepare(args: &Args<'_>) -> Result<Delivery, TriggerError> {
    let config = load(args.config)?;
    let name = args
        .route
        .ok_or_else(|| TriggerError::Failed("--route NAME is required (or --list)".into()))?;
    let route = find_route(&config, name)?;
    let preset = route.provider();
    if let Some(why) = not_triggerable(preset) {
        return Err(TriggerError::CannotTrigger(format!(
            "route {name:?} (provider {preset}) cannot be triggered: {why}"
        )));
    }
    let sample = pick(preset, args.event)?;
    let url = match args.url {
        Some(u) => u.to_string(),
        None => default_url(&config, route),
    };
    let now = crate::config::secret_entry::now();
    let mut rendered = sample.render(&Fresh::new(now));
    if body_signed::handles(preset) {
        body_signed::sign(preset, first_valid_secret(route, now)?, &mut rendered)?;
    }
    let headers = sign(route, &url, &rendered, now)?;
    Ok(Delivery {
        url,
        preset,
        event: sample.event,
        docs: sample.docs,
        headers,
        body: rendered.body,
    })
}

/// The route's first secret valid at `now` (for the presets signed in the body).
fn first_valid_secret(
    route: &RouteConfig,
    now: std::time::Duration,
) -> Result<&crate::config::secret::Secret, TriggerError> {
    let spec = &route.scheme;
    spec.secrets
        .iter()
        .zip(&spec.windows)
        .find(|(_, window)| window.contains(now))
        .map(|(secret, _)| secret)
        .ok_or_else(|| {
            TriggerError::CannotTrigger(format!(
                "route {:?} has no secret valid now (see its `from`/`until`)",
                route.name
            ))
        })
}

fn load(path: &Path) -> Result<Config, TriggerError> {
    config::load(path).map_err(|e| TriggerError::Failed(e.to_string()))
}

fn find_route<'c>(config: &'c Config, name: &str) -> Result<&'c RouteConfig, TriggerError> {
    config.route_named(name).map_err(TriggerError::Failed)
}

/// The sample for `event`, else the preset's first.
fn pick(preset: &str, event: Option<&str>) -> Result<Sample, TriggerError> {
    let all = samples::for_preset(preset);
    let names = || {
        all.iter()
            .map(|s| s.event.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match event {
        None => all.first().cloned().ok_or_else(|| {
            TriggerError::CannotTrigger(format!("no sample delivery for provider {preset}"))
        }),
        Some(e) => all.iter().find(|s| s.event == e).cloned().ok_or_else(|| {
            TriggerError::Failed(format!(
                "provider {preset} has no sample {e:?}; samples: {}",
                names()
            ))
        }),
    }
}

/// The route's path on the config's own `listen` (a wildcard address is reached on loopback;
/// `https` when the listener terminates TLS).
pub fn default_url(config: &Config, route: &RouteConfig) -> String {
    let listen = &config.server.listen;
    let host = match listen.parse::<std::net::SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => {
            let loopback: std::net::IpAddr = if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            std::net::SocketAddr::new(loopback, addr.port()).to_string()
        }
        _ => listen.clone(),
    };
    let scheme = if config.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{}", route.path)
}

/// The headers to send: the sample's, `Content-Type`, and the scheme's signature headers made
/// at `now` with the route's first secret valid now (they replace a sample header of the same
/// name).
fn sign(
    route: &RouteConfig,
    url: &str,
    rendered: &Rendered,
    now: std::time::Duration,
) -> Result<Vec<(String, String)>, TriggerError> {
    let scheme = crate::gateway::scheme(&route.scheme, &Default::default())
        .map_err(|e| TriggerError::Failed(format!("key `{}`: {}", e.key, e.message)))?;
    let mut headers = http::HeaderMap::new();
    let pairs = rendered
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain([("content-type", rendered.content_type.as_str())]);
    for (name, value) in pairs {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) else {
            return Err(TriggerError::Failed(format!(
                "sample header {name:?} is invalid"
            )));
        };
        headers.insert(name, value);
    }
    let public_url = route.public_url.clone().unwrap_or_else(|| url.to_string());
    let signed = if body_signed::handles(route.provider()) {
        Vec::new()
    } else {
        header_signature(&scheme, &public_url, &headers, rendered, now, &route.name)?
    };
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| {
            !signed
                .iter()
                .any(|(s, _)| k.as_str().eq_ignore_ascii_case(s))
        })
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    out.extend(signed);
    Ok(out)
}

/// The scheme's signature headers for the request (the signer behind `hookgate sign`).
fn header_signature(
    scheme: &crate::providers::families::route_scheme::RouteScheme,
    public_url: &str,
    headers: &http::HeaderMap,
    rendered: &Rendered,
    now: std::time::Duration,
    route: &str,
) -> Result<Vec<(String, String)>, TriggerError> {
    scheme
        .sign(&WebhookRequest {
            method: "POST",
            public_url,
            headers,
            body: &rendered.body,
            now,
        })
        .map_err(|e| TriggerError::CannotTrigger(format!("route {route:?} cannot be signed: {e}")))
}
