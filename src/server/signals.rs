//! Signals. SIGTERM and SIGINT drain: `/readyz` turns 503, the listeners close, in-flight requests
//! finish (at most `grace_period`), then the process exits 0. SIGHUP reloads the configuration.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::server::{ShutdownSignal, ShutdownSignalWatch, ShutdownWatch};
use pingora::services::background::BackgroundService;
use tokio::signal::unix::{signal, SignalKind};

use super::state::GatewayState;
use crate::config;
use crate::metrics::metrics;

pub struct DrainOnTerm {
    pub state: Arc<GatewayState>,
    pub grace_period: Duration,
}

#[async_trait]
impl ShutdownSignalWatch for DrainOnTerm {
    async fn recv(&self) -> ShutdownSignal {
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: draining"),
            _ = int.recv() => tracing::info!("SIGINT: draining"),
        }
        self.state.start_draining();
        exit_when_drained(self.state.clone(), self.grace_period);
        // pingora now closes the listeners and waits out the grace period; the watcher above
        // ends the process sooner once nothing is in flight.
        ShutdownSignal::GracefulTerminate
    }
}

/// Exits 0 as soon as no request is in flight (after the listeners had a moment to close), or
/// when the grace period is over.
fn exit_when_drained(state: Arc<GatewayState>, grace: Duration) {
    std::thread::spawn(move || {
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(100));
        while state.in_flight() > 0 && started.elapsed() < grace {
            std::thread::sleep(Duration::from_millis(20));
        }
        if state.in_flight() > 0 {
            tracing::warn!(
                in_flight = state.in_flight(),
                "grace period over; exiting with requests in flight"
            );
        } else {
            tracing::info!("drained; exiting");
        }
        std::process::exit(0);
    });
}

/// Reloads the configuration on SIGHUP. A bad new configuration is logged and counted, and the
/// old one keeps serving.
pub struct ReloadOnHup {
    pub state: Arc<GatewayState>,
}

impl ReloadOnHup {
    pub fn reload(&self) -> Result<(), config::ConfigError> {
        let current = self.state.config();
        let result = config::load(&current.source, Some(&current));
        match result {
            Ok(new) => {
                if new.server.listen != current.server.listen
                    || new.server.admin_listen != current.server.admin_listen
                    || new.server.tls != current.server.tls
                    || new.server.threads != current.server.threads
                {
                    tracing::warn!("listener addresses, TLS files and threads change only on restart; the rest is reloaded");
                }
                let routes = new.routes.len();
                self.state.swap_config(new);
                metrics().config_reload(true);
                tracing::info!(routes, "configuration reloaded");
                Ok(())
            }
            Err(e) => {
                metrics().config_reload(false);
                tracing::error!(error = %e, "configuration reload refused; the previous configuration keeps serving");
                Err(e)
            }
        }
    }
}

#[async_trait]
impl BackgroundService for ReloadOnHup {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        loop {
            tokio::select! {
                _ = hup.recv() => { let _ = self.reload(); }
                _ = shutdown.changed() => return,
            }
        }
    }
}
