//! The pingora glue: the webhook listener, the admin listener, signals, draining. What a request
//! goes through is in [`crate::request`]; this module only hosts it.
//!
//! [`build`] makes the pingora [`Server`] for a [`GatewayState`]; [`run`] serves until told to
//! stop and returns once drained (request tasks and registered workers) or when `grace_period`
//! is over. Nothing here exits the process.

// Panic-free by construction (issue 20): no `unwrap`, `expect`, indexing or `panic!` on
// input-dependent state outside tests (clippy.toml allows them in tests); each exception is
// allowed where it stands, with the reason it cannot fail.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod admin;
pub mod bind;
pub mod drain;
pub mod limits;
pub mod listener;
pub mod signals;
pub mod state;
pub mod tap;
pub mod timer_anchor;
pub mod workers;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server};
use pingora::services::background::background_service;
use pingora::services::listening::Service;

pub use signals::StopOn;
use state::GatewayState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("TLS: cannot load {cert} / {key}: {cause}")]
    Tls {
        cert: String,
        key: String,
        cause: String,
    },
    /// A listening address is in use or not available.
    #[error(transparent)]
    Bind(#[from] bind::BindError),
}

/// The pingora server for `state`: the webhook and admin listeners, the registered workers and,
/// when `stop` is [`StopOn::Signals`], the SIGHUP reloader. Both listening addresses are bound
/// here, so an address in use is a [`ServerError::Bind`] before anything serves.
pub fn build(state: &Arc<GatewayState>, stop: &StopOn) -> Result<Server, ServerError> {
    let gateway = state.gateway();
    let settings = &gateway.server;
    let conf = server_conf(settings.threads, stop);
    let webhook_socket = bind::bind("listen", &settings.listen)?;
    let admin_socket = match &settings.admin_listen {
        Some(addr) => Some(bind::bind("admin_listen", addr)?),
        None => None,
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();

    let webhooks = webhook_service(state, settings)?;
    server.add_service(bind::PreBound::new(webhooks, vec![webhook_socket]));

    if let (Some(admin_addr), Some(admin_socket)) = (&settings.admin_listen, admin_socket) {
        let mut admin = Service::new(
            "admin".to_string(),
            admin::AdminApp {
                state: state.clone(),
            },
        );
        admin.threads = Some(1);
        admin.add_tcp(admin_addr);
        server.add_service(bind::PreBound::new(admin, vec![admin_socket]));
    }
    if let Some(queue) = &state.queue {
        register_queue_workers(state, queue, &gateway);
    }
    register_commit_flush(state);
    server.add_service(background_service(
        "workers",
        workers::WorkerService::new(state.drain.clone(), &state.workers),
    ));
    if matches!(stop, StopOn::Signals) {
        server.add_service(background_service(
            "config reload",
            signals::ReloadOnHup {
                state: state.clone(),
            },
        ));
    }
    Ok(server)
}

/// pingora's settings for one gateway: `threads`, the runtime kind (see below), no grace sleep of
/// its own, and pid/upgrade files unique to this server.
fn server_conf(threads: usize, stop: &StopOn) -> ServerConf {
    // Unique per server, so two gateways in one process do not share pingora's files.
    static SERVERS: AtomicU64 = AtomicU64::new(0);
    let id = format!(
        "{}-{}",
        std::process::id(),
        SERVERS.fetch_add(1, Ordering::Relaxed)
    );
    ServerConf {
        threads,
        // Measured ~20% less CPU per request than work stealing for this short request/response
        // work (bench/FINDINGS.md). Not for an in-process gateway (`StopOn::Notify`): pingora-runtime
        // 0.9.1 records a no-steal runtime's handles in a process-wide `thread_local::ThreadLocal`,
        // whose entries outlive their thread and are handed to any later thread that gets the
        // recycled id. A gateway started after another one in the same process stopped then
        // spawns its accept loops onto the dead runtime, and never listens
        // (cloudflare/pingora#981). A work-stealing runtime asks tokio for the current handle.
        work_stealing: matches!(stop, StopOn::Notify(_)),
        // `DrainOn` has already waited out `grace_period` (for requests and workers) when it hands
        // pingora a graceful terminate, so pingora's own grace sleep is zero. It must be a
        // *graceful* terminate: only that broadcasts shutdown to the services, which is what ends
        // pingora 0.9.1's accept loops. A fast shutdown drops the runtimes under them, and the
        // accept loop then spins on "Tokio context is being shutdown", logging forever.
        grace_period_seconds: Some(0),
        graceful_shutdown_timeout_seconds: Some(1),
        pid_file: std::env::temp_dir()
            .join(format!("hookgate-{id}.pid"))
            .display()
            .to_string(),
        upgrade_sock: std::env::temp_dir()
            .join(format!("hookgate-{id}.sock"))
            .display()
            .to_string(),
        ..ServerConf::default()
    }
}

/// The webhook listener's service on `listen`. pingora listens on plain TCP either way: with
/// TLS on, the webhook listener runs the handshake itself, under a `max_connections` slot and
/// `read_timeout` (pingora 0.9.1 would run it before the application sees the connection,
/// outside any bound, for up to a fixed 60 s).
fn webhook_service(
    state: &Arc<GatewayState>,
    settings: &crate::config::model::ServerSettings,
) -> Result<Service<listener::WebhookListener>, ServerError> {
    let acceptor = settings.tls.as_ref().map(tls_acceptor).transpose()?;
    let mut webhooks = Service::new(
        "webhooks".to_string(),
        listener::WebhookListener::new(state.clone(), acceptor),
    );
    webhooks.add_tcp(&settings.listen);
    Ok(webhooks)
}

/// Whether the certificate and key of `tls` load as they would at start (`hookgate check`).
///
/// Errors: [`ServerError::Tls`], naming both files and the cause.
pub fn check_tls(tls: &crate::config::model::TlsFiles) -> Result<(), ServerError> {
    tls_acceptor(tls).map(drop)
}

/// The TLS acceptor for `tls`: TLS 1.2 and 1.3 (pingora's versions), HTTP/2 then HTTP/1.1
/// offered by ALPN. Built here rather than by pingora's `TlsSettings::build`, which panics on a
/// certificate or key it cannot use.
fn tls_acceptor(
    tls: &crate::config::model::TlsFiles,
) -> Result<listener::TlsAcceptor, ServerError> {
    use pingora::tls::{load_certs_and_key_files, version, ServerConfig};
    let error = |cause: String| ServerError::Tls {
        cert: tls.cert.clone(),
        key: tls.key.clone(),
        cause,
    };
    let (certs, key) = load_certs_and_key_files(&tls.cert, &tls.key)
        .map_err(|e| error(e.to_string()))?
        .ok_or_else(|| error("no certificate or no private key found in the PEM files".into()))?;
    pingora::tls::install_default_crypto_provider();
    let mut config =
        ServerConfig::builder_with_protocol_versions(&[&version::TLS12, &version::TLS13])
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| error(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(listener::TlsAcceptor::from_server_config(Arc::new(config)))
}

/// Registers the worker that makes a graceful stop wait for dedup commits: once draining started
/// and no request is in flight, it waits until the commits they handed to the shared store
/// (sent after their answers: [`crate::state::Lease::commit_detached`]) have landed or failed,
/// within `grace_period` like every worker.
fn register_commit_flush(state: &Arc<GatewayState>) {
    if !state.backend.shared() {
        return;
    }
    let gateway = state.clone();
    state.workers.add("dedup commits", move |mut guard| {
        Box::pin(async move {
            guard.stopping().await;
            while gateway.drain.in_flight() > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            gateway.backend.flush_commits().await;
            drop(guard);
        })
    });
}

/// Registers `concurrency` delivery workers per queued route with the drain: on SIGTERM they
/// stop leasing and their attempts in flight get `grace_period` to finish. Routes are those the
/// gateway started with (a queued route's upstream or `queue` settings change on restart).
fn register_queue_workers(
    state: &Arc<GatewayState>,
    queue: &crate::delivery::queue::runtime::QueueRuntime,
    gateway: &crate::gateway::Gateway,
) {
    use crate::delivery::queue::runtime::target_of;
    use crate::delivery::queue::worker::{work, DeliveryObserver};
    let connector = Arc::new(crate::delivery::forward::Connector::new(None));
    let observer: Arc<dyn DeliveryObserver> = queue.metrics.clone();
    for target in gateway
        .routes
        .iter()
        .filter_map(|r| target_of(&r.config, &state.resolver))
    {
        let target = Arc::new(crate::delivery::queue::worker::RouteTarget {
            tracing: state.tracing.clone(),
            ..target
        });
        for n in 0..target.policy.concurrency {
            let (store, target, connector, observer) = (
                queue.store.clone(),
                target.clone(),
                connector.clone(),
                observer.clone(),
            );
            state
                .workers
                .add(format!("queue {} #{n}", target.route), move |mut guard| {
                    Box::pin(async move {
                        work(store, target, connector, observer, guard.stopping()).await;
                    })
                });
        }
    }
}

/// Serves until `stop` fires, then drains (see [`signals::DrainOn`]) and returns once no request
/// is in flight and every registered worker has finished, or `grace_period` is over. The caller
/// decides what happens next (the binary exits 0).
pub fn run(state: Arc<GatewayState>, stop: StopOn) -> Result<(), ServerError> {
    let server = build(&state, &stop)?;
    let gateway = state.gateway();
    tracing::info!(
        listen = %gateway.server.listen,
        admin = gateway.server.admin_listen.as_deref().unwrap_or("-"),
        tls = gateway.server.tls.is_some(),
        "hookgate starting"
    );
    let grace_period = gateway.server.grace_period;
    drop(gateway);
    let tracing = state.tracing.clone();
    server.run(RunArgs {
        shutdown_signal: Box::new(signals::DrainOn {
            state,
            stop,
            grace_period,
        }),
    });
    // Drained: every request's audit line is logged; write the gathered ones before the exit.
    crate::telemetry::audit_log::flush_all();
    // Spans still queued are exported before the caller exits (bounded: a dead collector
    // does not hold the exit up).
    if let Some(tracing) = tracing {
        tracing.shutdown(std::time::Duration::from_secs(2));
    }
    Ok(())
}
