//! In-process gateway (the praxis-proxy pattern): `hookgate::server::run` on a thread of this test
//! process, on free ports, stopped through a `Notify` when the guard drops. Same builder, same
//! listeners, same pipeline as the binary; only signals, the CLI and process exit are not
//! exercised (tests/operations.rs keeps those against the real binary).

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hookgate::server::state::GatewayState;
use hookgate::server::StopOn;
use hookgate::telemetry::{AuditFormat, AuditSink};
use tokio::sync::Notify;

use super::{free_port, metric_value, TempDir};

/// A gateway running inside the test process; stopped (drained) on drop.
pub struct TestGateway {
    pub port: u16,
    pub admin_port: u16,
    pub state: Arc<GatewayState>,
    pub config_path: PathBuf,
    pub dir: TempDir,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl TestGateway {
    /// Starts a gateway on `routes` (TOML `[[route]]` tables) with a `[server]` section made of
    /// `server_extra` plus free ports.
    pub fn start(server_extra: &str, routes: &str) -> TestGateway {
        let port = free_port();
        let admin_port = free_port();
        let dir = TempDir::new();
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nadmin_listen = \"127.0.0.1:{admin_port}\"\nthreads = 2\n{server_extra}\n{routes}"
        );
        let config_path = dir.write("gateway.toml", &text);
        let config = hookgate::config::load(&config_path).expect("valid test config");
        let state = GatewayState::new(
            config,
            AuditSink {
                format: AuditFormat::Off,
            },
        )
        .expect("gateway builds");
        let stop = Arc::new(Notify::new());
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                hookgate::server::run(state, StopOn::Notify(stop)).expect("gateway runs")
            })
        };
        let gw = TestGateway {
            port,
            admin_port,
            state,
            config_path,
            dir,
            stop,
            thread: Some(thread),
        };
        gw.wait_ready();
        gw
    }

    fn wait_ready(&self) {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && TcpStream::connect(("127.0.0.1", self.admin_port)).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("in-process gateway did not start");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.admin_port)
    }

    /// This gateway's metrics text from its admin listener (its own registry, not a process
    /// global).
    pub fn metrics(&self) -> String {
        super::client()
            .get(self.admin_url("/metrics"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    pub fn metric(&self, sample: &str) -> f64 {
        metric_value(&self.metrics(), sample)
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
