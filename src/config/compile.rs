//! Turns the file format into the validated [`super::model`], checking every value and naming the
//! file, route and key of the first problem.
//!
//! [`compile`] checks the file's sections and each route's name and path, then a route's keys are
//! compiled by concern, each part returning its piece of [`RouteConfig`]: the signature scheme
//! (`compile/scheme.rs`), the guards before verification (`compile/guards.rs`: IP allowlist, rate
//! limit, methods), the event fields (`compile/events.rs`: event ID, dedup, event type and
//! filter), the limits (`compile/limits.rs`: body size, upstream timeout) and delivery
//! ([`super::queue::compile_delivery`]); `[server]` is `compile/server.rs`.

mod events;
mod guards;
mod limits;
mod scheme;
mod server;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;

use super::error::{ConfigError, ConfigNotice};
use super::file::{FileConfig, RouteSection};
use super::model::{Config, RouteConfig, ServerSettings, Upstream};
use super::state::compile_state;
use server::compile_server;

pub const DEFAULT_LISTEN: &str = "0.0.0.0:8080";
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
pub const DEFAULT_BODY_MEMORY_LIMIT: u64 = 256 * 1024 * 1024;
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_DEDUP_MAX_ENTRIES: usize = 1_000_000;
/// Tolerance of a generic family made timestamped by `signature.timestamp_header` (`ed25519`)
/// when the route sets none.
pub const FALLBACK_TOLERANCE: Duration = Duration::from_secs(300);

/// Everything compiling needs from the outside world, so tests can supply it.
pub struct CompileContext<'a> {
    pub file: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Validates a parsed file into the [`Config`] model. Pure: nothing running is touched.
pub fn compile(parsed: FileConfig, ctx: &CompileContext<'_>) -> Result<Config, ConfigError> {
    let file = ctx.file.display().to_string();
    let server = compile_server(&parsed.server, &file)?;
    let base_dir = ctx.file.parent().unwrap_or(Path::new("."));
    let state = match &parsed.state {
        None => None,
        Some(section) => Some(compile_state(section, &file, base_dir, ctx.env)?),
    };
    let queue = super::queue::compile_queue(
        parsed.queue.as_ref(),
        &file,
        base_dir,
        ctx.env,
        state.as_ref(),
    )?;
    let tracing =
        super::tracing::compile_optional(parsed.tracing.as_ref(), &file, base_dir, ctx.env)?;
    if parsed.routes.is_empty() {
        return Err(ConfigError::file(&file, "no [[route]] is configured"));
    }
    let mut names = HashSet::new();
    let mut paths = HashSet::new();
    let mut routes = Vec::with_capacity(parsed.routes.len());
    let mut notices = Vec::new();
    for (index, value) in parsed.routes.into_iter().enumerate() {
        let label = value
            .get("name")
            .and_then(|n| n.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", index + 1));
        // serde_path_to_error keeps the dotted path of the failing key (`dedup.ttl`), which
        // toml's own error loses once the route is a `toml::Value`.
        let section: RouteSection = serde_path_to_error::deserialize(value).map_err(
            |e: serde_path_to_error::Error<toml::de::Error>| {
                let path = e.path().to_string();
                ConfigError {
                    file: file.clone(),
                    route: Some(label.clone()),
                    key: (path != ".").then_some(path),
                    message: e.into_inner().message().trim().to_string(),
                }
            },
        )?;
        if !names.insert(section.name.clone()) {
            return Err(ConfigError::route(
                &file,
                &section.name,
                "name",
                "duplicate route name",
            ));
        }
        if !paths.insert(section.path.clone()) {
            return Err(ConfigError::route(
                &file,
                &section.name,
                "path",
                format!("{:?} is already the path of another route", section.path),
            ));
        }
        routes.push(compile_route(
            section,
            &server,
            queue.as_ref(),
            &file,
            ctx,
            &mut notices,
        )?);
    }
    Ok(Config {
        source: ctx.file.to_path_buf(),
        server,
        routes,
        notices,
        state,
        queue,
        tracing,
    })
}

/// Where a route's errors point: the file and the route, to which each part adds its key.
#[derive(Clone, Copy)]
struct RouteAt<'a> {
    file: &'a str,
    route: &'a str,
}

impl RouteAt<'_> {
    /// The error at `key` of this route.
    fn err(&self, key: &str, message: String) -> ConfigError {
        ConfigError::route(self.file, self.route, key, message)
    }
}

/// Compiles one route: its name, path and upstream here, then each concern in turn (in this
/// order, so the first problem reported is the same whatever else is wrong).
fn compile_route(
    r: RouteSection,
    server: &ServerSettings,
    queue: Option<&super::queue::QueueSettings>,
    file: &str,
    ctx: &CompileContext<'_>,
    notices: &mut Vec<ConfigNotice>,
) -> Result<RouteConfig, ConfigError> {
    let name = r.name.clone();
    let at = RouteAt { file, route: &name };
    if name.is_empty() {
        return Err(at.err("name", "may not be empty".into()));
    }
    if !r.path.starts_with('/') || r.path.contains('?') {
        return Err(at.err(
            "path",
            format!("{:?} must start with '/' and have no query", r.path),
        ));
    }
    let upstream = compile_upstream(&r.upstream).map_err(|m| at.err("upstream", m))?;
    let scheme = scheme::compile_scheme(&r, at, ctx, notices)?;
    let preset = scheme.preset;
    let allow_ips = guards::allow_ips(r.allow_ips.as_deref(), at)?;
    let upstream_timeout = limits::upstream_timeout(r.upstream_timeout.as_deref(), at)?;
    let rate_limit = guards::rate_limit(r.rate_limit.as_ref(), at)?;
    let events = events::compile_events(&r, preset, at)?;
    let public_url = scheme::public_url(r.public_url.as_deref(), at)?;
    let max_body = limits::max_body(r.max_body.as_deref(), server, preset, at)?;
    let methods = guards::methods(r.methods.as_deref(), preset, at)?;
    let delivery = super::queue::compile_delivery(
        file,
        &name,
        r.delivery.as_deref(),
        r.queue.as_ref(),
        queue,
    )?;

    Ok(RouteConfig {
        delivery,
        name: r.name,
        path: r.path,
        upstream,
        scheme,
        allow_ips,
        rate_limit,
        dedup: events.dedup,
        event_type: events.event_type,
        events: events.events,
        upstream_timeout,
        public_url,
        answer_challenges: r.answer_challenges.unwrap_or(false),
        enforce: r.enforce.unwrap_or(true),
        max_body,
        methods,
        event_id: events.event_id,
    })
}

fn compile_upstream(text: &str) -> Result<Upstream, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    let tls = match url.scheme() {
        "http" => false,
        "https" => true,
        other => return Err(format!("scheme {other:?} is not http or https")),
    };
    let host = url
        .host_str()
        .ok_or_else(|| format!("{text:?} has no host"))?;
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut path_and_query = url.path().to_string();
    if let Some(q) = url.query() {
        path_and_query.push('?');
        path_and_query.push_str(q);
    }
    Ok(Upstream {
        url: text.to_string(),
        tls,
        host: bare_host.to_string(),
        port,
        authority,
        sni: bare_host.to_string(),
        path_and_query,
    })
}

fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let t = text.trim();
    t.parse::<IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP address or CIDR"))
}

fn check_socket_addr(text: &str) -> Result<(), String> {
    text.parse::<SocketAddr>()
        .map(|_| ())
        .map_err(|_| format!("{text:?} is not an address:port such as \"0.0.0.0:8080\""))
}
