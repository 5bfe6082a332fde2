//! What stops and reloads a gateway. A process gateway listens for SIGTERM/SIGINT (drain) and
//! SIGHUP (reload); an embedded one (tests) is stopped through a [`Notify`] and reloaded by
//! calling [`GatewayState::reload`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pingora::server::{ShutdownSignal, ShutdownSignalWatch, ShutdownWatch};
use pingora::services::background::BackgroundService;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;

use super::state::GatewayState;

/// What ends the gateway.
#[derive(Clone)]
pub enum StopOn {
    /// SIGTERM or SIGINT.
    Signals,
    /// `notify_one` on this (in-process gateways).
    Notify(Arc<Notify>),
}

/// Drains when told to stop, then lets pingora shut down. While draining, `/readyz` answers
/// 503 (the admin listener stays up), the webhook listener closes new connections at once and
/// kept-alive ones after their current request, and in-flight requests and registered workers
/// finish — at most `grace_period`.
pub struct DrainOn {
    pub state: Arc<GatewayState>,
    pub stop: StopOn,
    pub grace_period: Duration,
}

#[async_trait]
impl ShutdownSignalWatch for DrainOn {
    async fn recv(&self) -> ShutdownSignal {
        match &self.stop {
            StopOn::Signals => {
                // Justified: installing a handler fails only outside a tokio runtime with
                // signals enabled, a start-up fault (pingora runs this in its runtime).
                #[allow(clippy::expect_used)]
                let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
                #[allow(clippy::expect_used)]
                let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: draining"),
                    _ = int.recv() => tracing::info!("SIGINT: draining"),
                }
            }
            StopOn::Notify(notify) => {
                notify.notified().await;
                tracing::info!("stop requested: draining");
            }
        }
        self.state.drain.start();
        if self.state.drain.drained(self.grace_period).await {
            tracing::info!("drained");
        } else {
            tracing::warn!(
                in_flight = self.state.drain.in_flight(),
                workers = self.state.drain.workers(),
                "grace period over with work in flight"
            );
        }
        // Everything worth waiting for is done; pingora's own grace period is zero (see
        // `server::build`), and a graceful terminate is what stops its accept loops.
        ShutdownSignal::GracefulTerminate
    }
}

/// Reloads the configuration on SIGHUP. A bad new configuration is logged and counted, and the
/// old one keeps serving.
pub struct ReloadOnHup {
    pub state: Arc<GatewayState>,
}

#[async_trait]
impl BackgroundService for ReloadOnHup {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        // Justified: as for SIGTERM above (start-up, not request input).
        #[allow(clippy::expect_used)]
        let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    // As nginx on reload: the lines of the old configuration are written first.
                    crate::telemetry::audit_log::flush_all();
                    if let Err(e) = self.state.reload() {
                        tracing::error!(error = %e, "configuration reload refused; the previous configuration keeps serving");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }
}
