//! What the gateway's tasks share: the current configuration (swapped whole on reload), the
//! upstream connection pool, and the counters draining needs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use pingora::connectors::http::v1::Connector;

use crate::config::GatewayConfig;

pub struct GatewayState {
    config: ArcSwap<GatewayConfig>,
    pub connector: Connector,
    /// Whether the webhook listener terminates TLS (the default `X-Forwarded-Proto`).
    pub tls: bool,
    draining: AtomicBool,
    in_flight: AtomicUsize,
}

impl GatewayState {
    pub fn new(config: GatewayConfig) -> Arc<Self> {
        let tls = config.server.tls.is_some();
        Arc::new(GatewayState {
            config: ArcSwap::from_pointee(config),
            connector: Connector::new(None),
            tls,
            draining: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        })
    }

    pub fn config(&self) -> Arc<GatewayConfig> {
        self.config.load_full()
    }

    pub fn swap_config(&self, config: GatewayConfig) {
        self.config.store(Arc::new(config));
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Counts a request as in flight until the guard drops.
    pub fn track_request(self: &Arc<Self>) -> InFlightGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }
}

pub struct InFlightGuard(Arc<GatewayState>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
