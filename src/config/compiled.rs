//! The internal, validated configuration the request path reads: plain structs, built once per
//! load or reload by [`super::compile`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pingora::upstreams::peer::HttpPeer;

use crate::metrics::RouteMetrics;
use crate::pipeline::client_ip::TrustedProxies;
use crate::pipeline::dedup::DedupStore;
use crate::pipeline::event_filter::EventFilter;
use crate::pipeline::field_source::FieldSource;
use crate::pipeline::ip_allowlist::IpAllowlist;
use crate::pipeline::rate_limit::RateLimiter;
use crate::pipeline::route_table::RouteTable;
use crate::providers::Scheme;

pub struct GatewayConfig {
    /// The file it was loaded from (reloads re-read it).
    pub source: PathBuf,
    pub server: ServerSettings,
    pub routes: RouteTable,
    /// Shared by the key-fetching schemes; carried over reloads. The gateway registers
    /// `key_fetch.counters.collectors()` in its metrics registry once.
    pub key_fetch: crate::providers::key_fetch::KeyFetchContext,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: String,
    pub admin_listen: Option<String>,
    pub max_body: u64,
    pub trusted_proxies: TrustedProxies,
    pub read_timeout: Duration,
    pub idle_timeout: Duration,
    pub grace_period: Duration,
    pub tls: Option<TlsFiles>,
    pub threads: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: String,
    pub key: String,
}

/// Where a route's valid requests go.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The URL as configured (for display).
    pub url: String,
    pub tls: bool,
    pub addr: SocketAddr,
    /// `Host` header value: the URL's authority (host, and port when not the default).
    pub authority: String,
    /// TLS server name.
    pub sni: String,
    /// The URL's path (and query, if it has one); the request's query string is appended.
    pub path_and_query: String,
}

pub struct Route {
    pub name: String,
    pub path: String,
    pub upstream: Upstream,
    /// The upstream as pingora's connector addresses it (timeouts and pool settings applied).
    pub peer: HttpPeer,
    pub provider: &'static str,
    pub scheme: Box<dyn Scheme>,
    pub allow_ips: Option<IpAllowlist>,
    pub rate_limit: Option<Arc<RateLimiter>>,
    pub dedup: Option<RouteDedup>,
    pub event_type: Option<FieldSource>,
    pub events: Option<EventFilter>,
    pub upstream_timeout: Duration,
    /// Fixed public URL (scheme://host/path) for URL-signing schemes; the query is appended.
    pub public_url: Option<String>,
    pub answer_challenges: bool,
    pub max_body: u64,
    pub metrics: RouteMetrics,
}

pub struct RouteDedup {
    pub store: Arc<DedupStore>,
    pub id: FieldSource,
}

impl Route {
    /// Whether the body must be parsed as JSON to find the event ID or type.
    pub fn needs_json(&self) -> bool {
        self.dedup.as_ref().is_some_and(|d| d.id.needs_json())
            || self
                .event_type
                .as_ref()
                .is_some_and(FieldSource::needs_json)
    }
}
