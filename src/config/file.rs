//! The user-facing file format of `gateway.toml`, exactly as written (serde). Durations, sizes,
//! secrets and CIDRs stay text here; [`super::compile`] turns them into checked values and names
//! the key when one is wrong.

use serde::Deserialize;

use crate::providers::families::key_fetch::ProviderOptions;
use crate::providers::SignatureSpec;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default, rename = "route")]
    pub routes: Vec<toml::Value>,
    /// `[state]`: shared dedup and rate limits on Redis (see `config/state.rs`).
    pub state: Option<super::state::StateSection>,
    pub queue: Option<super::queue::QueueSection>,
    /// `[tracing]`: OpenTelemetry traces (see `config/tracing.rs`).
    pub tracing: Option<super::tracing::TracingSection>,
    // Optional sections join here, one field each, their types in their own files
    // (`[state]` → `config/state.rs`, `[queue]` → `config/queue.rs`).
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    pub max_body: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub read_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub grace_period: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    /// Worker threads for the webhook listener (default: the number of CPUs).
    pub threads: Option<usize>,
    pub max_connections: Option<usize>,
    pub body_memory_limit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    pub name: String,
    pub path: String,
    pub upstream: String,
    pub provider: String,
    /// Each a reference (`"env:NAME"`) or a table `{ secret, from, until }`: parsed by
    /// `config/secret_entry.rs`, which names the failing item.
    #[serde(default)]
    pub secrets: Vec<toml::Value>,
    pub tolerance: Option<String>,
    pub allow_ips: Option<Vec<String>>,
    pub rate_limit: Option<RateLimitSection>,
    pub dedup: Option<DedupSection>,
    pub events: Option<Vec<String>>,
    pub event_type: Option<String>,
    pub upstream_timeout: Option<String>,
    pub public_url: Option<String>,
    pub signature: Option<SignatureSpec>,
    /// What a key-fetching preset needs beyond `secrets` (see `providers::key_fetch::options`).
    pub provider_options: Option<ProviderOptions>,
    pub answer_challenges: Option<bool>,
    /// `false`: shadow mode (judge and count, forward as if passed). Default `true`.
    pub enforce: Option<bool>,
    pub max_body: Option<String>,
    pub methods: Option<Vec<String>>,
    /// `"direct"` (default) or `"queue"`.
    pub delivery: Option<String>,
    pub queue: Option<super::queue::RouteQueueSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSection {
    pub per_second: f64,
    pub burst: Option<u32>,
    /// `"route"` (default: one budget for the route) or `"client_ip"` (one budget per client).
    pub key: Option<String>,
    /// With `[state]`: `false` keeps this limit per replica (default `true`).
    pub shared: Option<bool>,
    /// `"local"` (default), `"allow"` or `"reject"`: what a shared-store failure means.
    pub on_store_error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupSection {
    pub ttl: Option<String>,
    pub id: Option<String>,
    pub max_entries: Option<usize>,
    /// With `[state]`: `false` keeps this dedup per replica (default `true`).
    pub shared: Option<bool>,
    /// `"forward"` (default) or `"reject"`: what a shared-store failure means.
    pub on_store_error: Option<String>,
}
