//! The `[queue]` section and a route's `delivery` / `queue` keys (PRODUCT.md, "Queued
//! delivery"): the file format (serde, text as written) and its validation into a plain model.
//! Errors name the file, the route and the dotted key.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::error::ConfigError;
use super::secret::{self, Secret};
use super::state::{RedisUrl, StateSettings};
use super::units::{parse_duration, parse_size};

pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;
pub const DEFAULT_ACK_STATUS: u16 = 202;
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 15;
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_BACKOFF_INITIAL: Duration = Duration::from_secs(5);
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(3600);
/// More workers than this per route is a configuration mistake, not a need.
pub const MAX_CONCURRENCY: usize = 256;
/// A Redis lease not refreshed for this long is taken over by another replica: with the 1 s
/// reclaim pass, a replica killed with `kill -9` has its messages delivered by another within
/// 21 s.
pub const DEFAULT_LEASE_TIMEOUT: Duration = Duration::from_secs(20);
/// The shortest `lease_timeout`: leases are refreshed every third of it.
pub const MIN_LEASE_TIMEOUT: Duration = Duration::from_millis(900);
/// Dedicated connections for appends (the acknowledgement path) to the queue's Redis.
pub const DEFAULT_APPEND_CONNECTIONS: usize = 4;

/// `[queue]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSection {
    /// `"disk"` (default) or `"redis"`.
    pub backend: Option<String>,
    pub dir: Option<String>,
    /// For `"redis"`: the server's URL (`env:`/`file:` allowed); default the `[state]` url.
    pub url: Option<String>,
    /// For `"redis"`: replaces the URL's password (`env:NAME`, `file:PATH` or literal).
    pub password: Option<String>,
    /// For `"redis"`: key namespace; default the `[state]` prefix, else `hookgate`.
    pub prefix: Option<String>,
    /// For `"redis"`: `WAIT` for this many replicas before acknowledging (default 0).
    pub min_replicas_acked: Option<u32>,
    /// For `"redis"`: a lease not refreshed for this long is taken over (default 20s).
    pub lease_timeout: Option<String>,
    /// For `"redis"`: connections dedicated to appends (default 4).
    pub append_connections: Option<usize>,
    pub max_bytes: Option<String>,
    /// `env:NAME`, `file:PATH` or the literal: the bearer token of mutating admin calls.
    pub admin_token: Option<String>,
}

/// A route's `queue = { ... }` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteQueueSection {
    pub ack_status: Option<u16>,
    pub concurrency: Option<usize>,
    pub max_attempts: Option<u32>,
    pub max_age: Option<String>,
    pub backoff: Option<BackoffSection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackoffSection {
    pub initial: Option<String>,
    pub max: Option<String>,
}

/// Where queued messages are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueBackend {
    /// The embedded store in this directory.
    Disk { dir: PathBuf },
    /// Redis Streams ([`crate::delivery::queue::redis`]).
    Redis(RedisQueueSettings),
}

/// `[queue] backend = "redis"`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisQueueSettings {
    /// The server (password resolved; shown redacted only).
    pub url: RedisUrl,
    /// Key namespace: a route's keys are `{<prefix>:<route>}:…`.
    pub prefix: String,
    /// Replicas that must have received an append before it is acknowledged (`WAIT`); 0: none.
    pub min_replicas_acked: u32,
    /// A lease not refreshed for this long is due again (taken over by any replica).
    pub lease_timeout: Duration,
    /// Connections dedicated to appends.
    pub append_connections: usize,
}

/// The validated `[queue]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    pub backend: QueueBackend,
    /// Bytes all held messages may take; past it: 503 + `Retry-After`.
    pub max_bytes: u64,
    /// Bearer token of mutating admin calls; `None`: every mutating call is refused (401).
    pub admin_token: Option<Secret>,
}

/// How a route delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryMode {
    /// The provider waits for the upstream's answer (default).
    Direct,
    /// Acknowledged once durable, delivered by a worker.
    Queue(RouteQueue),
}

/// A queued route's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteQueue {
    /// Status answered once the request is durable (2xx; default 202).
    pub ack_status: u16,
    pub retry: RetryPolicy,
}

/// A route's retry policy (`queue = { ... }` on the route), as the delivery workers read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Workers (attempts in flight at once) for the route.
    pub concurrency: usize,
    /// Attempts before the message becomes a dead letter (≥ 1).
    pub max_attempts: u32,
    /// Age (since acceptance) after which no further attempt is scheduled.
    pub max_age: Duration,
    pub backoff: Backoff,
}

/// A route's backoff (`queue.backoff = { initial, max }`); the delays it gives are
/// [`crate::delivery::queue::backoff`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failed attempt (before jitter).
    pub initial: Duration,
    /// No delay exceeds this, `Retry-After` included.
    pub max: Duration,
}

fn queue_key(file: &str, key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        route: None,
        key: Some(format!("queue.{key}")),
        message: message.into(),
    }
}

/// The first key set that only the Redis backend reads.
fn redis_only_key(s: &QueueSection) -> Option<&'static str> {
    [
        ("url", s.url.is_some()),
        ("password", s.password.is_some()),
        ("prefix", s.prefix.is_some()),
        ("min_replicas_acked", s.min_replicas_acked.is_some()),
        ("lease_timeout", s.lease_timeout.is_some()),
        ("append_connections", s.append_connections.is_some()),
    ]
    .into_iter()
    .find_map(|(key, set)| set.then_some(key))
}

/// The Redis backend's URL: `url` (+ `password`) with `[state]`'s rules, else `[state]`'s URL.
fn redis_url(
    s: &QueueSection,
    file: &str,
    base_dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    state: Option<&StateSettings>,
) -> Result<RedisUrl, ConfigError> {
    Ok(match (&s.url, state) {
        (Some(text), _) => {
            let section = super::state::StateSection {
                url: text.clone(),
                password: s.password.clone(),
                prefix: None,
                timeout: None,
                connect_timeout: None,
                breaker: None,
                client_key: None,
            };
            super::state::compile_state(&section, file, base_dir, env)
                .map_err(|e| {
                    let key = match e.key.as_deref() {
                        Some("state.password") => "password",
                        _ => "url",
                    };
                    queue_key(file, key, e.message)
                })?
                .url
        }
        (None, Some(state)) if s.password.is_none() => state.url.clone(),
        (None, Some(_)) => {
            return Err(queue_key(
                file,
                "password",
                "needs queue.url (else the [state] url and its password are used)",
            ))
        }
        (None, None) => {
            return Err(queue_key(
                file,
                "url",
                "is required for backend \"redis\" when there is no [state] section",
            ))
        }
    })
}

/// Validates the Redis backend's keys. `url` and `password` follow `[state]`'s rules (`env:`,
/// `file:`, literal; never shown); without `url`, the `[state]` URL is used.
fn compile_redis(
    s: &QueueSection,
    file: &str,
    base_dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    state: Option<&StateSettings>,
) -> Result<RedisQueueSettings, ConfigError> {
    if s.dir.is_some() {
        return Err(queue_key(file, "dir", "applies only to backend \"disk\""));
    }
    let url = redis_url(s, file, base_dir, env, state)?;
    let prefix = s
        .prefix
        .clone()
        .or_else(|| state.map(|st| st.prefix.clone()))
        .unwrap_or_else(|| super::state::DEFAULT_PREFIX.to_string());
    if prefix.is_empty() || prefix.len() > 64 || prefix.contains(['{', '}']) {
        return Err(queue_key(
            file,
            "prefix",
            "must be 1 to 64 characters without '{' or '}' (each route's keys share one Redis Cluster hash tag)",
        ));
    }
    let lease_timeout = match &s.lease_timeout {
        None => DEFAULT_LEASE_TIMEOUT,
        Some(t) => parse_duration(t).map_err(|m| queue_key(file, "lease_timeout", m))?,
    };
    if lease_timeout < MIN_LEASE_TIMEOUT {
        return Err(queue_key(
            file,
            "lease_timeout",
            "must be at least 900ms (leases are refreshed every third of it)",
        ));
    }
    let append_connections = s.append_connections.unwrap_or(DEFAULT_APPEND_CONNECTIONS);
    if !(1..=64).contains(&append_connections) {
        return Err(queue_key(
            file,
            "append_connections",
            "must be between 1 and 64",
        ));
    }
    Ok(RedisQueueSettings {
        url,
        prefix,
        min_replicas_acked: s.min_replicas_acked.unwrap_or(0),
        lease_timeout,
        append_connections,
    })
}

/// Validates `[queue]`; `None` when the section is absent. `state` is the compiled `[state]`
/// section, whose URL and prefix the Redis backend defaults to.
pub fn compile_queue(
    section: Option<&QueueSection>,
    file: &str,
    base_dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    state: Option<&StateSettings>,
) -> Result<Option<QueueSettings>, ConfigError> {
    let Some(s) = section else { return Ok(None) };
    let backend = match s.backend.as_deref().unwrap_or("disk") {
        "disk" => {
            if let Some(key) = redis_only_key(s) {
                return Err(queue_key(file, key, "applies only to backend \"redis\""));
            }
            let dir = s.dir.as_deref().ok_or_else(|| {
                queue_key(
                    file,
                    "dir",
                    "is required for backend \"disk\" (a directory on a persistent volume)",
                )
            })?;
            if dir.trim().is_empty() {
                return Err(queue_key(file, "dir", "may not be empty"));
            }
            QueueBackend::Disk {
                dir: PathBuf::from(dir),
            }
        }
        "redis" => QueueBackend::Redis(compile_redis(s, file, base_dir, env, state)?),
        other => {
            return Err(queue_key(
                file,
                "backend",
                format!("{other:?} is not a backend (\"disk\" or \"redis\")"),
            ))
        }
    };
    let max_bytes = match &s.max_bytes {
        None => DEFAULT_MAX_BYTES,
        Some(t) => parse_size(t).map_err(|m| queue_key(file, "max_bytes", m))?,
    };
    if max_bytes == 0 {
        return Err(queue_key(file, "max_bytes", "must be more than 0"));
    }
    let admin_token = s
        .admin_token
        .as_deref()
        .map(|r| {
            secret::resolve(r, base_dir, env)
                .map(|r| r.secret)
                .map_err(|e| queue_key(file, "admin_token", e.to_string()))
        })
        .transpose()?;
    Ok(Some(QueueSettings {
        backend,
        max_bytes,
        admin_token,
    }))
}

/// Validates a route's `delivery` and `queue` keys. `queue_settings` is the compiled `[queue]`
/// section: a queued route needs it.
pub fn compile_delivery(
    file: &str,
    route: &str,
    delivery: Option<&str>,
    queue: Option<&RouteQueueSection>,
    queue_settings: Option<&QueueSettings>,
) -> Result<DeliveryMode, ConfigError> {
    let err = |key: &str, m: String| ConfigError::route(file, route, key, m);
    match delivery.unwrap_or("direct") {
        "direct" => {
            if queue.is_some() {
                return Err(err(
                    "queue",
                    "applies only with delivery = \"queue\"".into(),
                ));
            }
            Ok(DeliveryMode::Direct)
        }
        "queue" => {
            if queue_settings.is_none() {
                return Err(err(
                    "delivery",
                    "\"queue\" needs a [queue] section (backend, dir)".into(),
                ));
            }
            let q = queue.cloned().unwrap_or_default();
            route_queue(&q, &err).map(DeliveryMode::Queue)
        }
        other => Err(err(
            "delivery",
            format!("{other:?} is not a delivery mode (\"direct\" or \"queue\")"),
        )),
    }
}

/// A queued route's `queue = { ack_status, concurrency, max_attempts, max_age, backoff }`;
/// `err` names the file and route.
fn route_queue(
    q: &RouteQueueSection,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<RouteQueue, ConfigError> {
    let duration = |key: &str, v: &Option<String>, default: Duration| match v {
        None => Ok(default),
        Some(t) => match parse_duration(t) {
            Ok(d) if d.is_zero() => Err(err(key, "must be more than 0".into())),
            Ok(d) => Ok(d),
            Err(m) => Err(err(key, m)),
        },
    };
    let ack_status = q.ack_status.unwrap_or(DEFAULT_ACK_STATUS);
    if !(200..=299).contains(&ack_status) {
        return Err(err(
            "queue.ack_status",
            format!("{ack_status} is not a 2xx status (202 or 200 are usual)"),
        ));
    }
    let concurrency = q.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
        return Err(err(
            "queue.concurrency",
            format!("{concurrency} is not between 1 and {MAX_CONCURRENCY}"),
        ));
    }
    let max_attempts = q.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if max_attempts == 0 {
        return Err(err("queue.max_attempts", "must be at least 1".into()));
    }
    let max_age = duration("queue.max_age", &q.max_age, DEFAULT_MAX_AGE)?;
    let b = q.backoff.clone().unwrap_or_default();
    let initial = duration("queue.backoff.initial", &b.initial, DEFAULT_BACKOFF_INITIAL)?;
    let max = duration(
        "queue.backoff.max",
        &b.max,
        DEFAULT_BACKOFF_MAX.max(initial),
    )?;
    if max < initial {
        return Err(err(
            "queue.backoff.max",
            format!("must be at least backoff.initial ({initial:?})"),
        ));
    }
    Ok(RouteQueue {
        ack_status,
        retry: RetryPolicy {
            concurrency,
            max_attempts,
            max_age,
            backoff: Backoff { initial, max },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "gateway.toml";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn queue(text: &str) -> Result<Option<QueueSettings>, ConfigError> {
        let section: QueueSection = toml::from_str(text).unwrap();
        compile_queue(
            Some(&section),
            FILE,
            std::path::Path::new(""),
            &no_env,
            None,
        )
    }

    fn settings() -> QueueSettings {
        queue("dir = \"/tmp/q\"").unwrap().unwrap()
    }

    fn route(delivery: Option<&str>, table: Option<&str>) -> Result<DeliveryMode, ConfigError> {
        let section: Option<RouteQueueSection> = table.map(|t| toml::from_str(t).unwrap());
        compile_delivery(FILE, "erp", delivery, section.as_ref(), Some(&settings()))
    }

    fn key_of(e: ConfigError) -> (Option<String>, Option<String>, String) {
        (e.route, e.key, e.file)
    }

    #[test]
    fn queue_section_defaults_and_errors() {
        let s = settings();
        assert_eq!(
            s.backend,
            QueueBackend::Disk {
                dir: "/tmp/q".into()
            }
        );
        assert_eq!(s.max_bytes, DEFAULT_MAX_BYTES);
        assert_eq!(s.admin_token, None);
        assert_eq!(
            compile_queue(None, FILE, std::path::Path::new(""), &no_env, None).unwrap(),
            None
        );

        let e = queue("backend = \"disk\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.dir"));
        assert_eq!(e.file, FILE);
        let e = queue("backend = \"redis\"\ndir = \"/q\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.dir"));
        let e = queue("dir = \"/q\"\nlease_timeout = \"5s\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.lease_timeout"));
        assert!(e.message.contains("redis"), "{e}");
        let e = queue("backend = \"redis\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.url"));
        let e = queue("backend = \"tape\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.backend"));
        let e = queue("dir = \"/q\"\nmax_bytes = \"lots\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.max_bytes"));
        assert_eq!(
            queue("dir = \"/q\"\nmax_bytes = \"1MiB\"")
                .unwrap()
                .unwrap()
                .max_bytes,
            1 << 20
        );
        assert!(toml::from_str::<QueueSection>("dir = \"/q\"\nsize = 1").is_err());
    }

    #[test]
    fn redis_backend_defaults_to_the_state_url_and_reads_its_keys() {
        let state = crate::config::state::StateSettings::for_url("redis://:pw@r:6379/0").unwrap();
        let section: QueueSection = toml::from_str("backend = \"redis\"").unwrap();
        let s = compile_queue(
            Some(&section),
            FILE,
            std::path::Path::new(""),
            &no_env,
            Some(&state),
        )
        .unwrap()
        .unwrap();
        let QueueBackend::Redis(r) = s.backend else {
            panic!("redis")
        };
        assert_eq!(r.url, state.url);
        assert_eq!(r.prefix, "hookgate");
        assert_eq!(r.lease_timeout, DEFAULT_LEASE_TIMEOUT);
        assert_eq!((r.min_replicas_acked, r.append_connections), (0, 4));

        let env = |n: &str| (n == "QPW").then(|| "s3cret".to_string());
        let section: QueueSection = toml::from_str(
            "backend = \"redis\"\nurl = \"redis://q:6380/1\"\npassword = \"env:QPW\"\n\
             prefix = \"hq\"\nmin_replicas_acked = 1\nlease_timeout = \"3s\"\nappend_connections = 2",
        )
        .unwrap();
        let s = compile_queue(
            Some(&section),
            FILE,
            std::path::Path::new(""),
            &env,
            Some(&state),
        )
        .unwrap()
        .unwrap();
        let QueueBackend::Redis(r) = s.backend else {
            panic!("redis")
        };
        assert_eq!(r.url.redacted(), "redis://:***@q:6380/1");
        assert_eq!(r.url.password().as_deref(), Some("s3cret"));
        assert!(!format!("{r:?}").contains("s3cret"));
        assert_eq!((r.prefix.as_str(), r.min_replicas_acked), ("hq", 1));
        assert_eq!(r.lease_timeout, Duration::from_secs(3));

        for (text, key) in [
            ("backend = \"redis\"\nurl = \"http://x\"", "queue.url"),
            ("backend = \"redis\"\nurl = \"env:NOPE\"", "queue.url"),
            ("backend = \"redis\"\nprefix = \"a{b}\"", "queue.prefix"),
            (
                "backend = \"redis\"\nlease_timeout = \"100ms\"",
                "queue.lease_timeout",
            ),
            (
                "backend = \"redis\"\nappend_connections = 0",
                "queue.append_connections",
            ),
            ("backend = \"redis\"\npassword = \"x\"", "queue.password"),
        ] {
            let section: QueueSection = toml::from_str(text).unwrap();
            let e = compile_queue(
                Some(&section),
                FILE,
                std::path::Path::new(""),
                &env,
                Some(&state),
            )
            .unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{text}: {e}");
        }
    }

    #[test]
    fn admin_token_resolves_from_env_and_never_shows() {
        let env = |n: &str| (n == "TOKEN").then(|| "s3cret".to_string());
        let section: QueueSection =
            toml::from_str("dir = \"/q\"\nadmin_token = \"env:TOKEN\"").unwrap();
        let s = compile_queue(Some(&section), FILE, std::path::Path::new(""), &env, None)
            .unwrap()
            .unwrap();
        assert_eq!(s.admin_token.as_ref().unwrap().bytes(), b"s3cret");
        assert!(!format!("{s:?}").contains("s3cret"));

        let section: QueueSection =
            toml::from_str("dir = \"/q\"\nadmin_token = \"env:MISSING\"").unwrap();
        let e =
            compile_queue(Some(&section), FILE, std::path::Path::new(""), &env, None).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("queue.admin_token"));
        assert!(e.message.contains("MISSING") && !e.message.contains("s3cret"));
    }

    #[test]
    fn route_defaults_match_the_contract() {
        assert_eq!(route(None, None).unwrap(), DeliveryMode::Direct);
        let DeliveryMode::Queue(q) = route(Some("queue"), None).unwrap() else {
            panic!("queued")
        };
        assert_eq!(q.ack_status, 202);
        assert_eq!(q.retry.concurrency, 4);
        assert_eq!(q.retry.max_attempts, 15);
        assert_eq!(q.retry.max_age, Duration::from_secs(86_400));
        assert_eq!(q.retry.backoff.initial, Duration::from_secs(5));
        assert_eq!(q.retry.backoff.max, Duration::from_secs(3600));
    }

    #[test]
    fn route_values_are_read() {
        let table = "ack_status = 200\nconcurrency = 2\nmax_attempts = 3\nmax_age = \"1h\"\n\
                     backoff = { initial = \"100ms\", max = \"2s\" }";
        let DeliveryMode::Queue(q) = route(Some("queue"), Some(table)).unwrap() else {
            panic!("queued")
        };
        assert_eq!(q.ack_status, 200);
        assert_eq!(q.retry.concurrency, 2);
        assert_eq!(q.retry.max_attempts, 3);
        assert_eq!(q.retry.max_age, Duration::from_secs(3600));
        assert_eq!(q.retry.backoff.initial, Duration::from_millis(100));
        assert_eq!(q.retry.backoff.max, Duration::from_secs(2));
    }

    #[test]
    fn route_errors_name_route_and_key() {
        let cases: &[(Option<&str>, Option<&str>, &str)] = &[
            (Some("later"), None, "delivery"),
            (None, Some("concurrency = 2"), "queue"),
            (Some("queue"), Some("ack_status = 500"), "queue.ack_status"),
            (Some("queue"), Some("concurrency = 0"), "queue.concurrency"),
            (
                Some("queue"),
                Some("concurrency = 100000"),
                "queue.concurrency",
            ),
            (
                Some("queue"),
                Some("max_attempts = 0"),
                "queue.max_attempts",
            ),
            (
                Some("queue"),
                Some("max_age = \"forever\""),
                "queue.max_age",
            ),
            (Some("queue"), Some("max_age = \"0s\""), "queue.max_age"),
            (
                Some("queue"),
                Some("backoff = { initial = \"soon\" }"),
                "queue.backoff.initial",
            ),
            (
                Some("queue"),
                Some("backoff = { initial = \"10s\", max = \"1s\" }"),
                "queue.backoff.max",
            ),
        ];
        for (delivery, table, key) in cases {
            let e = route(*delivery, *table).unwrap_err();
            assert_eq!(
                key_of(e.clone()),
                (Some("erp".into()), Some(key.to_string()), FILE.into()),
                "{delivery:?} {table:?}: {e}"
            );
        }
        assert!(toml::from_str::<RouteQueueSection>("retries = 3").is_err());
        assert!(toml::from_str::<BackoffSection>("multiplier = 3").is_err());
    }

    #[test]
    fn queued_route_needs_the_queue_section() {
        let e = compile_delivery(FILE, "erp", Some("queue"), None, None).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery"));
        assert!(e.to_string().contains("[queue]"), "{e}");
    }
}
