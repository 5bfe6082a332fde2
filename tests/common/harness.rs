//! In-process gateway (the praxis-proxy pattern): `hookgate::server::run` on a thread of this test
//! process, on free ports, stopped through a `Notify` when the guard drops. Same builder, same
//! listeners, same pipeline as the binary; only signals, the CLI, process exit and the runtime
//! flavour (work stealing, see `hookgate::server::build`) differ. tests/operations.rs and
//! tests/providers_e2e.rs keep testing the real binary.

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
    grace_period: Duration,
    thread: Option<JoinHandle<()>>,
}

impl TestGateway {
    /// Starts a gateway on `routes` (TOML `[[route]]` tables) with a `[server]` section made of
    /// `server_extra` plus free ports.
    pub fn start(server_extra: &str, routes: &str) -> TestGateway {
        Self::start_with_env(server_extra, routes, &[])
    }

    /// Like [`TestGateway::start`], with `env:` secret references resolved from `env` instead of
    /// the process environment (tests run in parallel threads; setting process variables would
    /// race).
    pub fn start_with_env(server_extra: &str, routes: &str, env: &[(&str, &str)]) -> TestGateway {
        let port = free_port();
        let admin_port = free_port();
        let dir = TempDir::new();
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nadmin_listen = \"127.0.0.1:{admin_port}\"\nthreads = 2\n{server_extra}\n{routes}"
        );
        let config_path = dir.write("gateway.toml", &text);
        let lookup = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let config =
            hookgate::config::load_with_env(&config_path, &lookup).expect("valid test config");
        let grace_period = config.server.grace_period;
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
            grace_period,
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
            if self.thread.as_ref().is_some_and(|t| t.is_finished()) {
                panic!("in-process gateway stopped before it listened");
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
    /// Drains and waits for the server thread, at most `grace_period` plus a margin (pingora's
    /// runtime shutdown). A gateway that does not stop by then is left behind with a message
    /// rather than hanging the test run.
    fn drop(&mut self) {
        self.stop.notify_one();
        let Some(thread) = self.thread.take() else {
            return;
        };
        let until = Instant::now() + self.grace_period + Duration::from_secs(10);
        while !thread.is_finished() {
            if Instant::now() >= until {
                eprintln!("in-process gateway on port {} did not stop", self.port);
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = thread.join();
    }
}
