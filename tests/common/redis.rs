//! A real `redis-server` for tests: started on a free port in a scratch directory, stopped on
//! drop, and stoppable / restartable mid-test (same port) to play an outage.
//!
//! The binary is `$HOOKGATE_REDIS_SERVER` when set (so `valkey-server` works too), else
//! `redis-server` from PATH (`scripts/setup.sh` installs it). When it is missing the test FAILS
//! under `CI=true` and is skipped with a message otherwise:
//! `let Some(redis) = RedisServer::start(&[]) else { return };`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or deliberately stopped) redis-server.
pub struct RedisServer {
    bin: PathBuf,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
}

fn find_binary() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("HOOKGATE_REDIS_SERVER") {
        let path = PathBuf::from(bin);
        assert!(
            path.is_file(),
            "HOOKGATE_REDIS_SERVER={} is not a file",
            path.display()
        );
        return Some(path);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|p| p.is_file())
    })
}

// The including test crate provides `ports` (`common::ports`, or `common/ports.rs` by path), so
// one list of handed-out ports serves the gateway and Redis alike.
use crate::ports::free_port;

impl RedisServer {
    /// Starts a server; `None` (after printing why) when none is installed outside CI.
    ///
    /// Panics when none is installed and `CI=true`, or when it does not come up.
    pub fn start(extra: &[&str]) -> Option<RedisServer> {
        let mut server = Self::prepare(extra)?;
        server.resume();
        Some(server)
    }

    /// Like [`RedisServer::start`], but not started yet: the port is chosen, so a client can be
    /// built before the server exists ([`RedisServer::resume`] starts it).
    pub fn prepare(extra: &[&str]) -> Option<RedisServer> {
        let Some(bin) = find_binary() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "redis-server not found (CI=true): install it (scripts/setup.sh does) or set \
                     HOOKGATE_REDIS_SERVER"
                );
            }
            eprintln!(
                "SKIPPED: redis-server not found on PATH and HOOKGATE_REDIS_SERVER unset \
                 (scripts/setup.sh installs it); this test needs a real Redis"
            );
            return None;
        };
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hookgate-redis-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Some(RedisServer {
            bin,
            port: free_port(),
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
        })
    }

    /// A scratch directory's path for a unix socket, before the server starts (pass it as
    /// `--unixsocket`): `{tmp}/hookgate-redis-sock-{pid}-{n}.sock`.
    pub fn socket_path() -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        std::env::temp_dir().join(format!(
            "hookgate-redis-sock-{}-{}.sock",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:{port}/0`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The URL with the server's `--requirepass` password, if it was started with one.
    fn admin_url(&self) -> String {
        match self.extra.iter().position(|a| a == "--requirepass") {
            Some(i) => format!("redis://:{}@127.0.0.1:{}/0", self.extra[i + 1], self.port),
            None => self.url(),
        }
    }

    /// A plain redis-rs connection for inspecting keys from the test.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.admin_url())
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(2))
            .expect("connect to the test redis-server")
    }

    /// Stops the server (SIGKILL: an outage, not a clean shutdown) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (with no data: nothing is persisted) and waits
    /// until it answers PING.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::File::create(self.dir.join("redis.log")).unwrap();
        let mut cmd = Command::new(&self.bin);
        cmd.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir.to_str().unwrap(),
        ])
        .args(&self.extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
        self.child = Some(cmd.spawn().expect("start redis-server"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ok = redis::Client::open(self.admin_url())
                .ok()
                .and_then(|c| {
                    c.get_connection_with_timeout(Duration::from_millis(200))
                        .ok()
                })
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c).ok())
                .is_some();
            if ok {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                panic!("redis-server exited ({status}):\n{log}");
            }
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
