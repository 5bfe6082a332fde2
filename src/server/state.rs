//! What one gateway's tasks share: the current [`Gateway`] (swapped whole on reload), the
//! upstream connection pool, the state backend, the metrics registry, the audit sink and the
//! drain.

use std::sync::Arc;

use crate::delivery::forward::Connector;
use arc_swap::ArcSwap;

use super::drain::Drain;
use super::limits::{BodyBudget, ConnectionLimit};
use super::workers::Workers;
use crate::config::tracing::TracingSettings;
use crate::config::{self, Config, ConfigError};
use crate::delivery::queue::runtime::QueueRuntime;
use crate::delivery::queue::QueueError;
use crate::delivery::resolve::Resolver;
use crate::gateway::{self, BuildContext, BuildError, Gateway};
use crate::providers::families::key_fetch::KeyFetchContext;
use crate::state::{backend_for, StateBackend};
use crate::telemetry::tracing::Tracing;
use crate::telemetry::{AuditSink, Metrics};

/// Why a reload was refused (the running configuration keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{file}: {error}")]
    Build { file: String, error: BuildError },
    /// The delivery queue could not be opened (start only).
    #[error("{file}: [queue]: {error}")]
    Queue { file: String, error: QueueError },
    /// The trace exporter could not be started (start only).
    #[error("{file}: [tracing]: {error}")]
    Tracing { file: String, error: String },
}

pub struct GatewayState {
    gateway: ArcSwap<Gateway>,
    pub connector: Arc<Connector>,
    /// Upstream names, resolved at connect time (cache kept across reloads).
    pub resolver: Arc<Resolver>,
    /// Whether the webhook listener terminates TLS (the default `X-Forwarded-Proto`).
    pub tls: bool,
    pub backend: Arc<dyn StateBackend>,
    /// The `[state]` the backend was built from (it changes only on restart).
    state_settings: Option<crate::config::state::StateSettings>,
    pub metrics: Arc<Metrics>,
    /// Key-fetch counters shared by every key-fetching scheme, across reloads.
    pub key_fetch: KeyFetchContext,
    pub audit: AuditSink,
    pub drain: Arc<Drain>,
    /// Background workers started with the server (see [`Workers::add`]).
    pub workers: Workers,
    /// `body_memory_limit`, fixed at start.
    pub body_budget: BodyBudget,
    /// `max_connections`, fixed at start.
    pub connections: ConnectionLimit,
    /// The delivery queue, when the gateway started with `[queue]`.
    pub queue: Option<QueueRuntime>,
    /// The tracer, when the gateway started with `[tracing]` (`None`: tracing off).
    pub tracing: Option<Arc<Tracing>>,
    /// The `[tracing]` the tracer was started from (it changes only on restart).
    tracing_settings: Option<TracingSettings>,
}

impl GatewayState {
    /// Builds the gateway for `config` with a fresh metrics registry.
    pub fn new(config: Config, audit: AuditSink) -> Result<Arc<Self>, ReloadError> {
        let tls = config.server.tls.is_some();
        let body_budget = BodyBudget::new(config.server.body_memory_limit);
        let connections = ConnectionLimit::new(config.server.max_connections);
        let metrics = Arc::new(Metrics::new());
        let backend = backend_for(&config, &metrics.state);
        let state_settings = config.state.clone();
        let connector = Arc::new(Connector::new(None));
        let resolver = Arc::new(Resolver::default());
        let key_fetch = KeyFetchContext::default();
        for collector in key_fetch.counters.collectors() {
            // Justified: a fresh registry, one registration of one name: cannot collide.
            #[allow(clippy::expect_used)]
            metrics
                .registry
                .register(collector)
                .expect("key-fetch counters are registered once per gateway");
        }
        let file = config.source.display().to_string();
        let queue = config
            .queue
            .clone()
            .map(|settings| QueueRuntime::open(settings, &metrics.registry))
            .transpose()
            .map_err(|error| ReloadError::Queue {
                file: file.clone(),
                error,
            })?;
        let tracing_settings = config.tracing.clone();
        let tracing = tracing_settings
            .as_ref()
            .map(|settings| Tracing::start(settings, &metrics.registry))
            .transpose()
            .map_err(|error| ReloadError::Tracing {
                file: file.clone(),
                error,
            })?;
        let built = gateway::build(
            config,
            &BuildContext {
                state: backend.as_ref(),
                connector: connector.clone(),
                resolver: resolver.clone(),
                metrics: &metrics,
                key_fetch: &key_fetch,
                queue: queue.as_ref().map(|q| q.store.clone()),
            },
            None,
        )
        .map_err(|error| ReloadError::Build { file, error })?;
        Ok(Arc::new(GatewayState {
            gateway: ArcSwap::from_pointee(built),
            connector,
            resolver,
            tls,
            backend,
            state_settings,
            metrics,
            key_fetch,
            audit,
            drain: Arc::new(Drain::default()),
            workers: Workers::default(),
            body_budget,
            connections,
            queue,
            tracing,
            tracing_settings,
        }))
    }

    pub fn gateway(&self) -> Arc<Gateway> {
        self.gateway.load_full()
    }

    /// Re-reads the configuration file and swaps in the new gateway once all of it has built;
    /// on any error nothing changes. Counted in `hookgate_config_reloads_total`.
    pub fn reload(&self) -> Result<(), ReloadError> {
        let result = self.rebuild();
        self.metrics.config_reload(result.is_ok());
        result
    }

    fn rebuild(&self) -> Result<(), ReloadError> {
        let current = self.gateway();
        let config = config::load(&current.source)?;
        let file = config.source.display().to_string();
        let new = &config.server;
        if new.listen != current.server.listen
            || new.admin_listen != current.server.admin_listen
            || new.tls != current.server.tls
            || new.threads != current.server.threads
        {
            tracing::warn!("listener addresses, TLS files and threads change only on restart; the rest is reloaded");
        }
        if config.state != self.state_settings {
            tracing::warn!("[state] changes only on restart; the running store connection is kept");
        }
        if config.tracing != self.tracing_settings {
            tracing::warn!("[tracing] changes only on restart; the running exporter is kept");
        }
        for change in crate::delivery::queue::runtime::restart_only_changes(
            current.routes.iter().map(|r| &r.config),
            &config.routes,
        ) {
            tracing::warn!("{change}");
        }
        let built = gateway::build(
            config,
            &BuildContext {
                state: self.backend.as_ref(),
                connector: self.connector.clone(),
                resolver: self.resolver.clone(),
                metrics: &self.metrics,
                key_fetch: &self.key_fetch,
                queue: self.queue.as_ref().map(|q| q.store.clone()),
            },
            Some(&current),
        )
        .map_err(|error| ReloadError::Build { file, error })?;
        let routes = built.routes.len();
        self.gateway.store(Arc::new(built));
        tracing::info!(routes, "configuration reloaded");
        Ok(())
    }
}
