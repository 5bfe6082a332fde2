//! The runtime built from a validated [`Config`]: the route table with each route's scheme,
//! state handles (dedup, rate limit), deliverer and metric handles.
//!
//! [`build`] is pure with respect to the running gateway: on reload it reads the previous
//! gateway's handles to carry state over ([`carry`]) but changes nothing of it, so a build that
//! fails — or is never swapped in — leaves the running gateway exactly as it was.

pub mod carry;
pub mod routes;

use std::path::PathBuf;
use std::sync::Arc;

use crate::delivery::forward::Connector;

use crate::config::model::{RouteConfig, SchemeSpec, ServerSettings};
use crate::config::queue::DeliveryMode;
use crate::config::Config;
use crate::delivery::direct::Direct;
use crate::delivery::forward::Target;
use crate::delivery::queue::deliverer::Queued;
use crate::delivery::queue::QueueStore;
use crate::delivery::resolve::Resolver;
use crate::delivery::Deliverer;
use crate::providers::families::key_fetch::KeyFetchContext;
use crate::providers::families::route_scheme::RouteScheme;
use crate::providers::SettingsError;
use crate::state::fallback::Fallback;
use crate::state::memory::MemoryBackend;
use crate::state::StateBackend;
use crate::telemetry::tracing::RouteLabels;
use crate::telemetry::Metrics;

pub use routes::{Route, RouteTable};

/// What a gateway serves from: the server settings and the routes, built.
pub struct Gateway {
    /// The file the configuration came from (reloads re-read it).
    pub source: PathBuf,
    pub server: ServerSettings,
    pub routes: RouteTable,
}

/// What building needs from the running process.
pub struct BuildContext<'a> {
    /// Where dedup and rate-limit handles come from ([`crate::state::backend_for`]).
    pub state: &'a dyn StateBackend,
    /// The upstream connection pool shared by every route's direct deliverer.
    pub connector: Arc<Connector>,
    /// Resolves upstream host names at connect time; shared by every route, kept on reload.
    pub resolver: Arc<Resolver>,
    pub metrics: &'a Metrics,
    /// Shared by every key-fetching scheme of the gateway (its counters are registered once).
    pub key_fetch: &'a KeyFetchContext,
    /// The delivery queue, opened at start when `[queue]` is configured.
    pub queue: Option<Arc<dyn QueueStore>>,
}

/// Why a validated configuration could not be built. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("route {route:?}: key `{key}`: {message}")]
    Scheme {
        route: String,
        key: &'static str,
        message: String,
    },
    /// A route has `delivery = "queue"` but the queue was not opened at start (a `[queue]`
    /// section added by a reload takes effect on restart).
    #[error("route {route:?}: key `delivery`: {message}")]
    Queue { route: String, message: String },
}

/// Builds the runtime for `config`. `previous` is the gateway being replaced on reload: routes
/// of the same name keep their dedup data, and their rate-limit budget while its spec is
/// unchanged. Nothing of `previous` is modified.
pub fn build(
    config: Config,
    ctx: &BuildContext<'_>,
    previous: Option<&Gateway>,
) -> Result<Gateway, BuildError> {
    // Notices were shown when the config was loaded (`check` prints them, `run` logs them).
    let Config {
        source,
        server,
        routes,
        notices: _,
        // The backend (and its Redis client) is built once per process from the first config:
        // see `server::state`.
        state: _,
        queue: _,
        // The tracer and its exporter are started once per process (`server::state`).
        tracing: _,
    } = config;
    let mut built = Vec::with_capacity(routes.len());
    for route in routes {
        let before = previous.and_then(|p| p.routes.by_name(&route.name));
        built.push(Arc::new(build_route(route, ctx, before.map(|r| &**r))?));
    }
    Ok(Gateway {
        source,
        server,
        routes: RouteTable::new(built),
    })
}

fn build_route(
    config: RouteConfig,
    ctx: &BuildContext<'_>,
    previous: Option<&Route>,
) -> Result<Route, BuildError> {
    let scheme = scheme(&config.scheme, ctx.key_fetch).map_err(|e| BuildError::Scheme {
        route: config.name.clone(),
        key: e.key,
        message: e.message,
    })?;
    // `shared = false` keeps a route's state per replica even with `[state]`.
    let backend = |shared: bool| -> &dyn StateBackend {
        if shared {
            ctx.state
        } else {
            &MemoryBackend
        }
    };
    let rate_limit = config
        .rate_limit
        .as_ref()
        .map(|spec| carry::rate_limit(&config.name, spec, backend(spec.shared), previous));
    let dedup = config
        .dedup
        .as_ref()
        .map(|spec| carry::dedup(&config, spec, backend(spec.shared), previous));
    // Only a shared store can fail; its failures are counted and logged per route and policy.
    let fallback = |kind: &'static str, action: &'static str| {
        Fallback::new(
            &config.name,
            kind,
            action,
            ctx.metrics
                .state
                .fallback_counter(&config.name, kind, action),
        )
    };
    let rate_limit_fallback = config
        .rate_limit
        .as_ref()
        .filter(|spec| spec.shared && ctx.state.shared())
        .map(|spec| fallback("rate_limit", spec.on_store_error.as_str()));
    let dedup_fallback = config
        .dedup
        .as_ref()
        .filter(|spec| spec.shared && ctx.state.shared())
        .map(|spec| fallback("dedup", spec.on_store_error.as_str()));
    Ok(Route {
        scheme,
        rate_limit,
        dedup,
        rate_limit_fallback,
        dedup_fallback,
        deliverer: deliverer(&config, ctx)?,
        metrics: ctx
            .metrics
            .route(&config.name, config.scheme.secrets.len(), !config.enforce),
        trace_labels: RouteLabels::new(
            &config.name,
            &config.path,
            config.provider(),
            &config.upstream.authority,
        ),
        forward_headers: crate::delivery::upstream_request::RouteHeaders::of(&config),
        config,
    })
}

/// The route's deliverer: direct, or queued on the gateway's queue.
fn deliverer(
    config: &RouteConfig,
    ctx: &BuildContext<'_>,
) -> Result<Arc<dyn Deliverer>, BuildError> {
    Ok(match &config.delivery {
        DeliveryMode::Direct => Arc::new(Direct {
            target: Arc::new(Target {
                upstream: config.upstream.clone(),
                resolver: ctx.resolver.clone(),
            }),
            timeout: config.upstream_timeout,
            connector: ctx.connector.clone(),
        }),
        DeliveryMode::Queue(q) => Arc::new(Queued {
            store: ctx.queue.clone().ok_or_else(|| BuildError::Queue {
                route: config.name.clone(),
                message: "\"queue\" needs the [queue] section the gateway started with (restart to add one)".into(),
            })?,
            ack_status: q.ack_status,
        }),
    })
}

/// Builds a route's signature scheme from its validated settings: one scheme per secret, with
/// its window ([`RouteScheme`]). `key_fetch` carries the gateway's key-fetch counters
/// (key-fetching presets only).
pub fn scheme(
    spec: &SchemeSpec,
    key_fetch: &KeyFetchContext,
) -> Result<RouteScheme, SettingsError> {
    RouteScheme::build(spec, key_fetch)
}
