//! The validated configuration: plain values, built once per load or reload by
//! [`super::compile`]. No runtime objects live here (no stores, no metric handles, no pingora
//! types); [`crate::gateway`] builds those from this model.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

use super::field_source::FieldSource;
use super::secret::Secret;
use crate::providers::families::key_fetch::ProviderOptions;
use crate::providers::{Preset, SignatureSpec};

/// A whole `gateway.toml`, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from (reloads re-read it).
    pub source: PathBuf,
    pub server: ServerSettings,
    /// In file order; names and paths are unique.
    pub routes: Vec<RouteConfig>,
    /// Remarks from loading it (`hookgate check` prints them, `hookgate run` logs them).
    pub notices: Vec<super::ConfigNotice>,
    /// `[state]`: dedup and rate limits shared through Redis; `None` keeps them in memory.
    pub state: Option<super::state::StateSettings>,
    /// `[queue]`, when present (needed by routes with `delivery = "queue"`).
    pub queue: Option<super::queue::QueueSettings>,
    /// `[tracing]`: OpenTelemetry traces over OTLP; `None` is off (nothing on the request path).
    pub tracing: Option<super::tracing::TracingSettings>,
}

impl Config {
    /// The route named `name`; the error names the config file and lists the routes there
    /// (`gateway.toml: no route named "nope" (routes: a, b)`), for `sign` and `trigger`.
    pub fn route_named(&self, name: &str) -> Result<&RouteConfig, String> {
        self.routes.iter().find(|r| r.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.routes.iter().map(|r| r.name.as_str()).collect();
            format!(
                "{}: no route named {name:?} (routes: {})",
                self.source.display(),
                names.join(", ")
            )
        })
    }
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: String,
    pub admin_listen: Option<String>,
    /// The server's `max_body`: `Some` only when the file sets it (a preset's larger default
    /// then yields to it); routes resolve theirs in [`RouteConfig::max_body`].
    pub max_body: Option<u64>,
    pub trusted_proxies: CidrSet,
    pub read_timeout: Duration,
    pub idle_timeout: Duration,
    pub grace_period: Duration,
    pub tls: Option<TlsFiles>,
    pub threads: usize,
    /// Webhook connections served at once; more wait (unread) until one ends.
    pub max_connections: usize,
    /// Bytes of request bodies buffered at once, across all connections; a body that would pass
    /// it is refused with 503 + `Retry-After` before it is read.
    pub body_memory_limit: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: String,
    pub key: String,
}

/// Where a route's valid requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The URL as configured (for display).
    pub url: String,
    pub tls: bool,
    /// The URL's host without brackets: a DNS name, resolved when the gateway connects
    /// ([`crate::delivery::resolve`]), or an IP literal.
    pub host: String,
    /// The URL's port, or the scheme's default.
    pub port: u16,
    /// `Host` header value: the URL's authority (host, and port when not the default).
    pub authority: String,
    /// TLS server name.
    pub sni: String,
    /// The URL's path (and query, if it has one); the request's query string is appended.
    pub path_and_query: String,
}

/// One `[[route]]`, validated.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub name: String,
    pub path: String,
    pub upstream: Upstream,
    pub scheme: SchemeSpec,
    pub allow_ips: Option<CidrSet>,
    pub rate_limit: Option<RateLimitSpec>,
    pub dedup: Option<DedupSpec>,
    /// Where the event type is read (the route's `event_type`, else the preset's).
    pub event_type: Option<FieldSource>,
    pub events: Option<EventTypes>,
    pub upstream_timeout: Duration,
    /// Fixed public URL (scheme://host/path) for URL-signing schemes; the query is appended.
    pub public_url: Option<String>,
    pub answer_challenges: bool,
    /// `enforce` (default true). `false` is shadow mode: the sender-judging stages' refusals
    /// ([`crate::telemetry::Outcome::SHADOWABLE`]) are counted and the request is forwarded
    /// with `X-Hookgate-Shadow` ([`crate::request::shadow`]).
    pub enforce: bool,
    /// The effective body limit in bytes: the route's `max_body`, else the server's explicit
    /// one, else the preset's, else the built-in default (1 MiB).
    pub max_body: u64,
    /// The methods the route accepts (`methods`, else the preset's, else `["POST"]`); upper-case.
    pub methods: Vec<http::Method>,
    /// Where the event ID is read, tried in order: the route's `dedup.id`, else the preset's
    /// `event_id` and then its `event_id_aliases`. Empty: the route knows no ID source.
    pub event_id: Vec<FieldSource>,
    /// Direct (the provider waits for the upstream) or queued.
    pub delivery: super::queue::DeliveryMode,
}

impl RouteConfig {
    /// The preset's name (`provider = "..."`).
    pub fn provider(&self) -> &'static str {
        self.scheme.preset.name
    }
}

/// What the gateway builder needs to construct a route's [`crate::providers::Scheme`]; already
/// checked by building it once during validation.
#[derive(Debug, Clone)]
pub struct SchemeSpec {
    pub preset: &'static Preset,
    /// Resolved secrets, in configured order (redacted in `Debug`).
    pub secrets: Vec<Secret>,
    /// Each secret's validity window (same order and length as `secrets`).
    pub windows: Vec<super::secret_entry::Validity>,
    pub tolerance: Duration,
    pub signature: Option<SignatureSpec>,
    /// What a key-fetching preset needs beyond `secrets` (`provider_options`).
    pub provider_options: Option<ProviderOptions>,
}

impl SchemeSpec {
    /// Whether the scheme signs a timestamp (a preset with a window, or a generic family given
    /// `signature.timestamp_header`).
    pub fn timestamped(&self) -> bool {
        self.preset.default_tolerance.is_some()
            || self
                .signature
                .as_ref()
                .is_some_and(|s| s.timestamp_header.is_some())
    }

    /// A timestamped scheme whose window is off: `tolerance = "0s"` (or a preset, such as
    /// SendGrid, whose default checks no window). `hookgate check` says so.
    pub fn window_off(&self) -> bool {
        self.timestamped() && self.tolerance.is_zero()
    }
}

/// A route's `rate_limit`: GCRA with `per_second` refill and `burst` capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSpec {
    pub per_second: f64,
    pub burst: u32,
    /// One budget per client IP (`key = "client_ip"`) instead of one for the route.
    pub per_client: bool,
    pub on_store_error: RateLimitOnError,
    /// In the shared store when `[state]` is set (`shared = false` keeps it per replica).
    pub shared: bool,
}

/// What a rate-limit store failure means for a request (PRODUCT.md `rate_limit.on_store_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitOnError {
    /// Fall back to a per-replica limit (the default: a store outage neither opens nor closes
    /// the gate).
    #[default]
    Local,
    /// Let the request through.
    Allow,
    /// Refuse with 503 `unavailable` and `Retry-After`.
    Reject,
}

impl RateLimitOnError {
    /// The config word (also the `action` label of `hookgate_state_fallbacks_total`).
    pub fn as_str(self) -> &'static str {
        match self {
            RateLimitOnError::Local => "local",
            RateLimitOnError::Allow => "allow",
            RateLimitOnError::Reject => "reject",
        }
    }
}

/// A route's `dedup`.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupSpec {
    pub ttl: Duration,
    pub max_entries: usize,
    /// Where the event ID is read (the route's `id`, else the preset's); the request path reads
    /// [`RouteConfig::event_id`], which starts with this one.
    pub id: FieldSource,
    pub on_store_error: DedupOnError,
    /// What else goes into the dedup key so that it names one delivery to this receiver: the
    /// preset's [`crate::providers::DedupScope`] when the route uses the preset's ID, else none.
    pub scope: KeyScope,
    /// In the shared store when `[state]` is set (`shared = false` keeps it per replica).
    pub shared: bool,
}

/// A route's dedup key scope, compiled from [`crate::providers::DedupScope`].
#[derive(Debug, Clone, PartialEq, Default)]
pub enum KeyScope {
    /// The event ID alone (a route's own `dedup.id`, or a per-delivery preset ID).
    #[default]
    None,
    /// The values of these fields, then the ID (a field that is absent scopes nothing).
    Fields(Vec<FieldSource>),
    /// The index of the first of the route's secrets that verified, then the ID.
    Secret,
}

/// What a dedup store failure means for a request (PRODUCT.md `dedup.on_store_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DedupOnError {
    /// Forward without dedup (the default, fail-open: the upstream may see a duplicate).
    #[default]
    Forward,
    /// Refuse with 503 `unavailable`.
    Reject,
}

impl DedupOnError {
    /// The config word (also the `action` label of `hookgate_state_fallbacks_total`).
    pub fn as_str(self) -> &'static str {
        match self {
            DedupOnError::Forward => "forward",
            DedupOnError::Reject => "reject",
        }
    }
}

/// The `events = [...]` allowlist of event types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(HashSet<String>);

impl EventTypes {
    pub fn new(types: impl IntoIterator<Item = String>) -> Self {
        EventTypes(types.into_iter().collect())
    }

    /// Whether an event of `event_type` (None: the type could not be found) goes upstream.
    /// An event whose type is unknown is not forwarded: the list is an allowlist.
    pub fn forwards(&self, event_type: Option<&str>) -> bool {
        event_type.is_some_and(|t| self.0.contains(t))
    }
}

/// A list of CIDRs matched after IPv4-mapped canonicalisation: `allow_ips` and
/// `trusted_proxies` alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CidrSet(Vec<IpNet>);

impl CidrSet {
    pub fn new(nets: Vec<IpNet>) -> Self {
        CidrSet(nets)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 address, so that an IPv4 CIDR
/// matches it and it cannot be used to slip past one.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_set_matches_v4_v6_and_mapped_addresses() {
        let list = CidrSet::new(vec![
            "3.130.192.0/24".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ]);
        assert!(list.contains("3.130.192.7".parse().unwrap()));
        assert!(!list.contains("3.130.193.7".parse().unwrap()));
        assert!(list.contains("2001:db8::1".parse().unwrap()));
        assert!(list.contains("::ffff:3.130.192.7".parse().unwrap()));
        assert!(!list.contains("::ffff:3.130.193.7".parse().unwrap()));
    }

    #[test]
    fn only_listed_event_types_pass() {
        let f = EventTypes::new(["payment_intent.succeeded".to_string()]);
        assert!(f.forwards(Some("payment_intent.succeeded")));
        assert!(!f.forwards(Some("charge.failed")));
        assert!(!f.forwards(None));
    }
}
