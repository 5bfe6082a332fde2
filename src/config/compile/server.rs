//! `[server]`: listen addresses, limits, trusted proxies, TLS files, threads and timeouts.

use std::path::Path;
use std::time::Duration;

use super::super::error::ConfigError;
use super::super::file::ServerSection;
use super::super::model::{CidrSet, ServerSettings, TlsFiles};
use super::super::units::{parse_duration, parse_size};
use super::{
    check_socket_addr, parse_cidr, DEFAULT_BODY_MEMORY_LIMIT, DEFAULT_GRACE_PERIOD,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT,
};

/// Validates `[server]`; errors name the file and `server.<key>`.
pub(super) fn compile_server(s: &ServerSection, file: &str) -> Result<ServerSettings, ConfigError> {
    let duration =
        |key: &str, v: &Option<String>, default: Duration| -> Result<Duration, ConfigError> {
            match v {
                None => Ok(default),
                Some(t) => parse_duration(t).map_err(|m| ConfigError::server(file, key, m)),
            }
        };
    let listen = listen(s, file)?;
    let (max_body, max_connections, body_memory_limit) = limits(s, file)?;
    let trusted = s
        .trusted_proxies
        .iter()
        .flatten()
        .map(|c| parse_cidr(c).map_err(|m| ConfigError::server(file, "trusted_proxies", m)))
        .collect::<Result<Vec<_>, _>>()?;
    let tls = tls(s, file)?;
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

/// `listen` (default `0.0.0.0:8080`) and `admin_listen`, which must differ from it.
fn listen(s: &ServerSection, file: &str) -> Result<String, ConfigError> {
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
    Ok(listen)
}

/// `max_body` (explicit or `None`), `max_connections` and `body_memory_limit`.
fn limits(s: &ServerSection, file: &str) -> Result<(Option<u64>, usize, u64), ConfigError> {
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
    if let Some(limit) = max_body {
        super::limits::check_nonzero(limit)
            .and_then(|()| super::limits::check_fits_memory(limit, body_memory_limit))
            .map_err(|m| ConfigError::server(file, "max_body", m))?;
    }
    Ok((max_body, max_connections, body_memory_limit))
}

/// `tls_cert` and `tls_key`: both or neither, each an existing file.
fn tls(s: &ServerSection, file: &str) -> Result<Option<TlsFiles>, ConfigError> {
    match (&s.tls_cert, &s.tls_key) {
        (None, None) => Ok(None),
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
            Ok(Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }))
        }
        (Some(_), None) => Err(ConfigError::server(
            file,
            "tls_key",
            "is required with tls_cert",
        )),
        (None, Some(_)) => Err(ConfigError::server(
            file,
            "tls_cert",
            "is required with tls_key",
        )),
    }
}
