//! A real HTTP/1.1 upstream on 127.0.0.1 that records every request it receives and answers as
//! told (status, delay, or never).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request was complete.
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Behavior {
    pub status: u16,
    pub delay: Duration,
    pub body: Vec<u8>,
    pub extra_headers: Vec<(String, String)>,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            status: 200,
            delay: Duration::ZERO,
            body: b"{\"received\":true}".to_vec(),
            extra_headers: vec![("X-Upstream".into(), "yes".into())],
        }
    }
}

/// The standing behaviour, and answers queued by [`Upstream::script`] that go first.
#[derive(Default)]
struct Behaviors {
    standing: Behavior,
    script: VecDeque<Behavior>,
}

pub struct Upstream {
    pub port: u16,
    received: Arc<Mutex<Vec<Recorded>>>,
    behavior: Arc<Mutex<Behaviors>>,
}

impl Upstream {
    pub fn start() -> Upstream {
        Self::start_on(0)
    }

    /// Listens on `port` (0: any free one), e.g. to come up where a client already points.
    pub fn start_on(port: u16) -> Upstream {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let behavior = Arc::new(Mutex::new(Behaviors::default()));
        let (r, b) = (received.clone(), behavior.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let (r, b) = (r.clone(), b.clone());
                std::thread::spawn(move || serve(conn, r, b));
            }
        });
        Upstream {
            port,
            received,
            behavior,
        }
    }

    /// The next requests get these answers, in order; then the standing behaviour again.
    pub fn script(&self, answers: Vec<Behavior>) {
        self.behavior.lock().unwrap().script.extend(answers);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn set(&self, f: impl FnOnce(&mut Behavior)) {
        f(&mut self.behavior.lock().unwrap().standing);
    }

    pub fn received(&self) -> Vec<Recorded> {
        self.received.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

fn serve(conn: TcpStream, received: Arc<Mutex<Vec<Recorded>>>, behavior: Arc<Mutex<Behaviors>>) {
    // Header and body go out in two writes: without this, Nagle holds the body until the
    // client's delayed ACK (~40 ms per response on Linux).
    let _ = conn.set_nodelay(true);
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let b = {
            let mut behaviors = behavior.lock().unwrap();
            let standing = behaviors.standing.clone();
            behaviors.script.pop_front().unwrap_or(standing)
        };
        received.lock().unwrap().push(Recorded {
            method,
            target,
            headers,
            body,
            at: Instant::now(),
        });
        if b.delay > Duration::ZERO {
            std::thread::sleep(b.delay);
        }
        let mut response = format!(
            "HTTP/1.1 {} Status\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            b.status,
            b.body.len()
        );
        for (k, v) in &b.extra_headers {
            response.push_str(&format!("{k}: {v}\r\n"));
        }
        response.push_str("\r\n");
        if writer.write_all(response.as_bytes()).is_err() || writer.write_all(&b.body).is_err() {
            return;
        }
    }
}

/// A raw upstream on 127.0.0.1 that reads each request (head and `Content-Length` body) and
/// answers it with `answer`, byte for byte, closing the connection after it when `close`.
pub fn raw_upstream(answer: &'static [u8], close: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            std::thread::spawn(move || {
                let mut w = conn.try_clone().unwrap();
                let mut r = BufReader::new(conn);
                loop {
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.to_ascii_lowercase();
                        if let Some(v) = l.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).is_err() || w.write_all(answer).is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    port
}
