//! Turns the file format into the validated [`super::model`], checking every value and naming the
//! file, route and key of the first problem.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;

use super::error::{ConfigError, ConfigNotice};
use super::field_source::FieldSource;
use super::file::{FileConfig, RouteSection, ServerSection};
use super::model::{
    CidrSet, Config, DedupOnError, DedupSpec, EventTypes, RateLimitOnError, RateLimitSpec,
    RouteConfig, SchemeSpec, ServerSettings, TlsFiles, Upstream,
};
use super::secret;
use super::state::compile_state;
use super::units::{parse_duration, parse_size};
use crate::providers::key_fetch::KeyFetchContext;
use crate::providers::Preset;
use crate::providers::{build_scheme, find_preset, presets, SchemeSettings};

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
    let queue = super::queue::compile_queue(parsed.queue.as_ref(), &file, base_dir, ctx.env)?;
    let tracing = parsed
        .tracing
        .as_ref()
        .map(|s| super::tracing::compile_tracing(s, &file, base_dir, ctx.env))
        .transpose()?;
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

/// `dedup.on_store_error`: `forward` or `reject`.
fn parse_dedup_policy(text: &str) -> Result<DedupOnError, String> {
    match text {
        "forward" => Ok(DedupOnError::Forward),
        "reject" => Ok(DedupOnError::Reject),
        _ => Err(format!("{text:?} is not one of \"forward\", \"reject\"")),
    }
}

fn compile_server(s: &ServerSection, file: &str) -> Result<ServerSettings, ConfigError> {
    let duration =
        |key: &str, v: &Option<String>, default: Duration| -> Result<Duration, ConfigError> {
            match v {
                None => Ok(default),
                Some(t) => parse_duration(t).map_err(|m| ConfigError::server(file, key, m)),
            }
        };
    let listen = s
        .listen
        .clone()
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    check_socket_addr(&listen).map_err(|m| ConfigError::server(file, "listen", m))?;
    if let Some(admin) = &s.admin_listen {
        check_socket_addr(admin).map_err(|m| ConfigError::server(file, "admin_listen", m))?;
        if *admin == listen {
            return Err(ConfigError::server(
                file,
                "admin_listen",
                "must differ from `listen`",
            ));
        }
    }
    let max_body = match &s.max_body {
        None => None,
        Some(t) => Some(parse_size(t).map_err(|m| ConfigError::server(file, "max_body", m))?),
    };
    let max_connections = match s.max_connections {
        Some(0) => {
            return Err(ConfigError::server(
                file,
                "max_connections",
                "must be at least 1",
            ))
        }
        Some(n) => n,
        None => DEFAULT_MAX_CONNECTIONS,
    };
    let body_memory_limit = match &s.body_memory_limit {
        None => DEFAULT_BODY_MEMORY_LIMIT,
        Some(t) => parse_size(t).map_err(|m| ConfigError::server(file, "body_memory_limit", m))?,
    };
    if body_memory_limit == 0 {
        return Err(ConfigError::server(
            file,
            "body_memory_limit",
            "must be greater than zero",
        ));
    }
    let trusted = s
        .trusted_proxies
        .iter()
        .flatten()
        .map(|c| parse_cidr(c).map_err(|m| ConfigError::server(file, "trusted_proxies", m)))
        .collect::<Result<Vec<_>, _>>()?;
    let tls = match (&s.tls_cert, &s.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            for (k, path) in [("tls_cert", cert), ("tls_key", key)] {
                if !Path::new(path).is_file() {
                    return Err(ConfigError::server(
                        file,
                        k,
                        format!("{path}: no such file"),
                    ));
                }
            }
            Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            })
        }
        (Some(_), None) => {
            return Err(ConfigError::server(
                file,
                "tls_key",
                "is required with tls_cert",
            ))
        }
        (None, Some(_)) => {
            return Err(ConfigError::server(
                file,
                "tls_cert",
                "is required with tls_key",
            ))
        }
    };
    let threads = match s.threads {
        Some(0) => return Err(ConfigError::server(file, "threads", "must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(ServerSettings {
        listen,
        admin_listen: s.admin_listen.clone(),
        max_body,
        trusted_proxies: CidrSet::new(trusted),
        read_timeout: duration("read_timeout", &s.read_timeout, DEFAULT_READ_TIMEOUT)?,
        idle_timeout: duration("idle_timeout", &s.idle_timeout, DEFAULT_IDLE_TIMEOUT)?,
        grace_period: duration("grace_period", &s.grace_period, DEFAULT_GRACE_PERIOD)?,
        tls,
        threads,
        max_connections,
        body_memory_limit,
    })
}

fn compile_route(
    r: RouteSection,
    server: &ServerSettings,
    queue: Option<&super::queue::QueueSettings>,
    file: &str,
    ctx: &CompileContext<'_>,
    notices: &mut Vec<ConfigNotice>,
) -> Result<RouteConfig, ConfigError> {
    let name = r.name.clone();
    let err = |key: &str, m: String| ConfigError::route(file, &name, key, m);
    if name.is_empty() {
        return Err(err("name", "may not be empty".into()));
    }
    if !r.path.starts_with('/') || r.path.contains('?') {
        return Err(err(
            "path",
            format!("{:?} must start with '/' and have no query", r.path),
        ));
    }
    let upstream = compile_upstream(&r.upstream).map_err(|m| err("upstream", m))?;

    let preset = find_preset(&r.provider).ok_or_else(|| {
        let known: Vec<&str> = presets().iter().map(|p| p.name).collect();
        err(
            "provider",
            format!(
                "unknown provider {:?}; known: {}",
                r.provider,
                known.join(", ")
            ),
        )
    })?;
    // Relative `file:` paths resolve from the config file's directory, as nginx's from its prefix.
    let base_dir = ctx.file.parent().unwrap_or(Path::new(""));
    let mut secrets = Vec::with_capacity(r.secrets.len());
    for (i, reference) in r.secrets.iter().enumerate() {
        let key = format!("secrets[{i}]");
        let resolved =
            secret::resolve(reference, base_dir, ctx.env).map_err(|e| err(&key, e.to_string()))?;
        if let Some(read) = resolved.file.filter(|f| f.trimmed_line_ending) {
            notices.push(ConfigNotice::route(
                file,
                &name,
                &key,
                format!(
                    "removed one trailing line ending from secret file {}",
                    read.path.display()
                ),
            ));
        }
        secrets.push(resolved.secret);
    }
    let timestamped = preset.default_tolerance.is_some()
        || r.signature
            .as_ref()
            .is_some_and(|s| s.timestamp_header.is_some());
    let tolerance = match &r.tolerance {
        Some(_) if !timestamped => {
            return Err(err(
                "tolerance",
                format!(
                    "provider {:?} checks no signed timestamp on this route, so a replay window cannot apply; remove the key",
                    preset.name
                ),
            ))
        }
        Some(t) => parse_duration(t).map_err(|m| err("tolerance", m))?,
        None => preset.default_tolerance.unwrap_or(FALLBACK_TOLERANCE),
    };
    // Built once here only to check the settings (with throw-away key-fetch counters); the
    // gateway builder builds the one it runs.
    build_scheme(
        preset,
        &SchemeSettings {
            secrets: &secrets,
            tolerance,
            signature: r.signature.as_ref(),
        },
        r.provider_options.as_ref(),
        &KeyFetchContext::default(),
    )
    .map_err(|e| err(e.key, e.message))?;
    let scheme = SchemeSpec {
        preset,
        secrets,
        tolerance,
        signature: r.signature.clone(),
        provider_options: r.provider_options.clone(),
    };

    let allow_ips = match &r.allow_ips {
        None => None,
        Some(list) if list.is_empty() => None,
        Some(list) => Some(CidrSet::new(
            list.iter()
                .map(|c| parse_cidr(c).map_err(|m| err("allow_ips", m)))
                .collect::<Result<_, _>>()?,
        )),
    };

    let upstream_timeout = match &r.upstream_timeout {
        None => DEFAULT_UPSTREAM_TIMEOUT,
        Some(t) => parse_duration(t).map_err(|m| err("upstream_timeout", m))?,
    };
    if upstream_timeout.is_zero() {
        return Err(err("upstream_timeout", "must be greater than zero".into()));
    }

    let rate_limit = match &r.rate_limit {
        None => None,
        Some(rl) => {
            if !(rl.per_second.is_finite() && rl.per_second > 0.0) {
                return Err(err(
                    "rate_limit.per_second",
                    format!("{} must be a positive number", rl.per_second),
                ));
            }
            let burst = rl
                .burst
                .unwrap_or_else(|| rl.per_second.ceil().max(1.0) as u32);
            if burst == 0 {
                return Err(err("rate_limit.burst", "must be at least 1".into()));
            }
            let per_client = match rl.key.as_deref() {
                None | Some("route") => false,
                Some("client_ip") => true,
                Some(other) => {
                    return Err(err(
                        "rate_limit.key",
                        format!("{other:?} is not one of \"route\", \"client_ip\""),
                    ))
                }
            };
            let on_store_error = match rl.on_store_error.as_deref() {
                None => RateLimitOnError::default(),
                Some(text) => parse_rate_limit_policy(text)
                    .map_err(|m| err("rate_limit.on_store_error", m))?,
            };
            Some(RateLimitSpec {
                per_second: rl.per_second,
                burst,
                per_client,
                on_store_error,
                shared: rl.shared.unwrap_or(true),
            })
        }
    };

    let mut event_id = preset_event_ids(preset).map_err(|m| err("provider", m))?;
    let dedup = match &r.dedup {
        None => None,
        Some(d) => {
            let ttl = match &d.ttl {
                None => DEFAULT_DEDUP_TTL,
                Some(t) => parse_duration(t).map_err(|m| err("dedup.ttl", m))?,
            };
            let max_entries = d.max_entries.unwrap_or(DEFAULT_DEDUP_MAX_ENTRIES);
            if max_entries == 0 {
                return Err(err("dedup.max_entries", "must be at least 1".into()));
            }
            let id_text = d.id.as_deref().or(preset.event_id).ok_or_else(|| {
                err(
                    "dedup.id",
                    format!(
                        "provider {:?} has no event-ID source; set `id = \"json:/pointer\"` or `id = \"header:Name\"`",
                        preset.name
                    ),
                )
            })?;
            let id = FieldSource::parse(id_text).map_err(|m| err("dedup.id", m))?;
            // The route's own `id` replaces the preset's sources; else the aliases follow.
            event_id = if d.id.is_some() {
                vec![id.clone()]
            } else {
                preset_event_ids(preset).map_err(|m| err("dedup.id", m))?
            };
            let on_store_error = match d.on_store_error.as_deref() {
                None => DedupOnError::default(),
                Some(text) => {
                    parse_dedup_policy(text).map_err(|m| err("dedup.on_store_error", m))?
                }
            };
            Some(DedupSpec {
                ttl,
                max_entries,
                id,
                on_store_error,
                shared: d.shared.unwrap_or(true),
            })
        }
    };

    let event_type = match r.event_type.as_deref().or(preset.event_type) {
        None => None,
        Some(t) => Some(FieldSource::parse(t).map_err(|m| err("event_type", m))?),
    };
    let events = match &r.events {
        None => None,
        Some(list) => {
            if event_type.is_none() {
                return Err(err(
                    "events",
                    format!(
                        "provider {:?} has no event-type source; set `event_type = \"json:/pointer\"` or `\"header:Name\"`",
                        preset.name
                    ),
                ));
            }
            Some(EventTypes::new(list.iter().cloned()))
        }
    };

    let public_url = match &r.public_url {
        None => None,
        Some(u) => {
            let parsed =
                url::Url::parse(u).map_err(|e| err("public_url", format!("{u:?}: {e}")))?;
            if parsed.query().is_some() {
                return Err(err(
                    "public_url",
                    "must not contain a query (the request's is appended)".into(),
                ));
            }
            Some(u.clone())
        }
    };
    let max_body = match &r.max_body {
        Some(t) => parse_size(t).map_err(|m| err("max_body", m))?,
        None => server
            .max_body
            .or(preset.max_body)
            .unwrap_or(DEFAULT_MAX_BODY),
    };
    let methods = match &r.methods {
        None => preset
            .methods
            .iter()
            .map(|m| http::Method::from_bytes(m.as_bytes()).expect("preset methods are valid"))
            .collect(),
        Some(list) => compile_methods(list).map_err(|m| err("methods", m))?,
    };

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
        dedup,
        event_type,
        events,
        upstream_timeout,
        public_url,
        answer_challenges: r.answer_challenges.unwrap_or(false),
        max_body,
        methods,
        event_id,
    })
}

/// A preset's event-ID sources (`event_id`, then `event_id_aliases`), parsed.
fn preset_event_ids(preset: &Preset) -> Result<Vec<FieldSource>, String> {
    preset.event_id_sources().map(FieldSource::parse).collect()
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
