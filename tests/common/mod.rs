//! Test harness: the real `hookgate` binary and a real upstream on 127.0.0.1, real HTTP clients.
#![allow(dead_code)]

pub mod harness;
pub mod key_server;
pub mod ports;
pub mod queue_data;
pub mod scratch;
pub mod upstream;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use upstream::Upstream;

pub use ports::free_port;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_hookgate")
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "hookgate-test-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    t ^ (N.fetch_add(1, Ordering::SeqCst) << 32)
}

/// A running gateway process; killed on drop.
pub struct Gateway {
    pub child: Child,
    pub port: u16,
    pub admin_port: u16,
    pub dir: TempDir,
    pub config_path: PathBuf,
    /// The process's stdout (audit lines) and stderr (diagnostics), each in its own file.
    pub stdout_path: PathBuf,
    pub stderr_path: PathBuf,
}

/// How to launch `hookgate run` beyond the config: extra arguments, environment, files written
/// next to the config before start, the working directory (default: the test's) and a command
/// that runs the binary (its arguments follow; it must exec it, so the child is the gateway).
#[derive(Default)]
pub struct Launch<'a> {
    pub args: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    pub files: &'a [(&'a str, &'a str)],
    pub cwd: Option<&'a std::path::Path>,
    pub wrapper: &'a [&'a str],
}

impl Gateway {
    /// Starts `hookgate run` on `routes` (TOML `[[route]]` tables) with a `[server]` section made
    /// of `server_extra` plus free ports.
    pub fn start(server_extra: &str, routes: &str) -> Gateway {
        Self::start_with_env(server_extra, routes, &[])
    }

    pub fn start_with_env(server_extra: &str, routes: &str, env: &[(&str, &str)]) -> Gateway {
        Self::launch(
            server_extra,
            routes,
            Launch {
                env,
                ..Launch::default()
            },
        )
    }

    pub fn launch(server_extra: &str, routes: &str, launch: Launch<'_>) -> Gateway {
        let port = free_port();
        let admin_port = free_port();
        let dir = TempDir::new();
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nadmin_listen = \"127.0.0.1:{admin_port}\"\nthreads = 2\n{server_extra}\n{routes}"
        );
        let config_path = dir.write("gateway.toml", &text);
        for (name, content) in launch.files {
            dir.write(name, content);
        }
        let stdout_path = dir.0.join("stdout.log");
        let stderr_path = dir.0.join("stderr.log");
        let mut cmd = match launch.wrapper.split_first() {
            None => Command::new(bin()),
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(bin());
                cmd
            }
        };
        cmd.args(["run", "-c"])
            .arg(&config_path)
            .args(launch.args)
            .stdout(Stdio::from(std::fs::File::create(&stdout_path).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&stderr_path).unwrap()));
        // Tests read a live gateway's audit lines: write them within 10 ms rather than the 1 s
        // default (tests/audit_log.rs covers the buffering itself; `launch.env`/`args` override).
        cmd.env("HOOKGATE_AUDIT_FLUSH", "10ms");
        for (k, v) in launch.env {
            cmd.env(k, v);
        }
        if let Some(cwd) = launch.cwd {
            cmd.current_dir(cwd);
        }
        let child = cmd.spawn().unwrap();
        let gw = Gateway {
            child,
            port,
            admin_port,
            dir,
            config_path,
            stdout_path,
            stderr_path,
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
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("gateway did not start; log:\n{}", self.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.admin_port)
    }

    /// Everything the process wrote: stdout, then stderr.
    pub fn log(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout_path).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Metrics text from the admin listener.
    pub fn metrics(&self) -> String {
        client()
            .get(self.admin_url("/metrics"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    /// The value of one metric sample, e.g. `hookgate_requests_total{route="a",outcome="forwarded"}`.
    pub fn metric(&self, sample: &str) -> f64 {
        metric_value(&self.metrics(), sample)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Finds `name{labels}` in Prometheus text, whatever the label order. 0 when absent.
pub fn metric_value(text: &str, sample: &str) -> f64 {
    let (name, labels) = match sample.split_once('{') {
        Some((n, l)) => (n, l.trim_end_matches('}')),
        None => (sample, ""),
    };
    let wanted: Vec<&str> = labels.split(',').filter(|l| !l.is_empty()).collect();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (n, l) = match series.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (series, ""),
        };
        if n != name {
            continue;
        }
        let have: Vec<&str> = l.split(',').filter(|l| !l.is_empty()).collect();
        if wanted.iter().all(|w| have.contains(w)) && have.len() == wanted.len() {
            return value.parse().unwrap();
        }
    }
    0.0
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// HMAC-SHA256 hex, computed independently of the gateway's code (for signing test requests).
pub fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Sends raw bytes and returns whatever comes back until the server closes or `wait` passes.
pub fn raw_exchange(port: u16, request: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw HTTP response text.
pub fn status_of(response: &str) -> Option<u16> {
    response.split(' ').nth(1)?.parse().ok()
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
