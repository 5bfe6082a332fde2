//! A real HTTPS key server on 127.0.0.1 for the key-fetching tests, with its own test CA
//! (rcgen): serves what each path is told to, records every request, can answer slowly.
//! [`KeyServer::start_http`] serves plain HTTP instead, as CAs serve AIA issuer URLs.
//! Never the internet. Shared by the integration tests (`tests/common`) and the library's unit
//! tests (`providers::families::key_fetch::testserver` includes this file).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What a path answers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Answer {
    pub fn ok(body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            ..Answer::ok(b"{}".to_vec())
        }
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

type Routes = Arc<Mutex<HashMap<String, Answer>>>;

#[allow(dead_code)]
pub struct KeyServer {
    pub port: u16,
    /// The test CA's certificate (PEM): the route's `key_ca`.
    pub ca_pem: String,
    /// The CA's certificate and key, to issue signing certificates under the same root.
    ca: Arc<(rcgen::Certificate, rcgen::KeyPair)>,
    routes: Routes,
    received: Arc<Mutex<Vec<Received>>>,
    /// `https` (else plain `http`).
    tls: bool,
}

impl KeyServer {
    pub fn start() -> KeyServer {
        KeyServer::start_with(true)
    }

    /// A plain-HTTP server (a CA's AIA `caIssuers` host), with a test CA of its own all the same.
    pub fn start_http() -> KeyServer {
        KeyServer::start_with(false)
    }

    fn start_with(tls: bool) -> KeyServer {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hookgate key-fetch test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (r, rec) = (routes.clone(), received.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (config, r, rec) = (config.clone(), r.clone(), rec.clone());
                std::thread::spawn(move || match tls {
                    true => serve_tls(conn, config, r, rec),
                    false => {
                        let mut reader = BufReader::new(conn);
                        respond(&mut reader, &r, &rec);
                    }
                });
            }
        });
        KeyServer {
            port,
            ca_pem: ca.pem(),
            ca: Arc::new((ca, ca_key)),
            routes,
            received,
            tls,
        }
    }

    /// A signing certificate for `key` named `name` (SAN and CN), issued by this server's CA,
    /// as a PEM document: the certificate, then the CA's (its issuer, served as providers serve
    /// their chains).
    pub fn issue(&self, name: &str, key: &rcgen::KeyPair) -> String {
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let (ca, ca_key) = &*self.ca;
        let cert = params.signed_by(key, ca, ca_key).unwrap();
        format!("{}{}", cert.pem(), self.ca_pem)
    }

    /// A signing certificate for `key` named `name`, issued by an intermediate CA under this
    /// server's CA, with an AIA `caIssuers` URL `aia` (RFC 5280 §4.2.2.1): the leaf alone (PEM),
    /// as AWS and PayPal serve theirs, and the intermediate (DER, as CAs serve it at `aia`).
    pub fn issue_without_chain(
        &self,
        name: &str,
        key: &rcgen::KeyPair,
        aia: &str,
    ) -> (String, Vec<u8>) {
        let (ca, ca_key) = &*self.ca;
        let int_key = rcgen::KeyPair::generate().unwrap();
        let mut int = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        int.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        int.distinguished_name
            .push(rcgen::DnType::CommonName, "hookgate test intermediate");
        let int = int.signed_by(&int_key, ca, ca_key).unwrap();
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.custom_extensions.push(aia_extension(aia));
        let leaf = params.signed_by(key, &int, &int_key).unwrap();
        (leaf.pem(), int.der().to_vec())
    }

    /// `https://127.0.0.1:<port><path>` (`http://` for [`KeyServer::start_http`]).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    /// The `key_hosts` entry that admits this server.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn set(&self, path: &str, answer: Answer) {
        self.routes.lock().unwrap().insert(path.to_string(), answer);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.received().iter().filter(|r| r.path == path).count()
    }

    /// The test CA's certificate in a PEM file (a route's `key_ca`), removed when the server is
    /// dropped.
    pub fn ca_file(&self) -> std::path::PathBuf {
        let path = self.ca_path();
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }

    fn ca_path(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "hookgate-keyserver-ca-{}-{}.pem",
            std::process::id(),
            self.port
        ))
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.ca_path());
    }
}

/// The AuthorityInfoAccess extension (OID 1.3.6.1.5.5.7.1.1) with one `caIssuers` access
/// description (1.3.6.1.5.5.7.48.2) whose location is the URI `uri` (`[6]` IA5String), DER.
fn aia_extension(uri: &str) -> rcgen::CustomExtension {
    assert!(uri.len() < 100, "short-form DER lengths only");
    let mut desc = vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    desc.push(0x86);
    desc.push(uri.len() as u8);
    desc.extend_from_slice(uri.as_bytes());
    let mut seq = vec![0x30, desc.len() as u8];
    seq.extend(desc);
    let mut aia = vec![0x30, seq.len() as u8];
    aia.extend(seq);
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], aia)
}

fn serve_tls(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    routes: Routes,
    received: Arc<Mutex<Vec<Received>>>,
) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut reader = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    if respond(&mut reader, &routes, &received) {
        let stream = reader.get_mut();
        stream.conn.send_close_notify();
        let _ = stream.flush();
    }
}

/// Reads one request and answers it; `false` when the request was cut short.
fn respond<S: Read + Write>(
    reader: &mut BufReader<S>,
    routes: &Routes,
    received: &Arc<Mutex<Vec<Received>>>,
) -> bool {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return false;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return false;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return false;
    }
    let route_path = path.split('?').next().unwrap_or_default().to_string();
    received.lock().unwrap().push(Received {
        method,
        path: route_path.clone(),
        body,
    });
    let answer = routes
        .lock()
        .unwrap()
        .get(&route_path)
        .cloned()
        .unwrap_or_else(|| Answer::status(404));
    if !answer.delay.is_zero() {
        std::thread::sleep(answer.delay);
    }
    let mut head = format!(
        "HTTP/1.1 {} Answer\r\ncontent-length: {}\r\nconnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let stream = reader.get_mut();
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&answer.body);
    let _ = stream.flush();
    true
}
