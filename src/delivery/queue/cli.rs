//! `hookgate queue stats | list [--dead] [--route R] | show ID | replay ID... | replay --dead
//! --route R | drop ID...`: a client of the admin API ([`super::admin`]) on the running gateway's
//! admin listener. (The embedded store admits one process per directory, so the CLI never opens
//! it itself.)
//!
//! The admin address is `--admin HOST:PORT`, else `[server] admin_listen` of the config file
//! (an unspecified address such as `0.0.0.0` is reached on loopback). The token for mutating
//! calls and `show` is `$HOOKGATE_ADMIN_TOKEN`, else `[queue] admin_token` of the config file
//! (`env:`/`file:` resolved like every secret).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::delivery::forward::Connector;
use bytes::Bytes;
use clap::Subcommand;
use pingora::http::RequestHeader;
use serde_json::Value;

use crate::config::model::Upstream;
use crate::config::secret::{self, Secret};
use crate::delivery::forward;

/// Environment variable holding the admin token for the CLI.
pub const TOKEN_ENV: &str = "HOOKGATE_ADMIN_TOKEN";
const TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes of an admin answer read (a `show` of a large body fits).
const MAX_ANSWER: usize = 64 << 20;

/// The `hookgate queue` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum QueueCommand {
    /// Bytes held and, per route, messages pending, leased and dead, and the oldest pending age.
    Stats,
    /// Messages, oldest first (metadata only).
    List {
        /// Only dead letters.
        #[arg(long)]
        dead: bool,
        /// Only this route's messages.
        #[arg(long)]
        route: Option<String>,
        /// At most this many (1-1000).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// One message: metadata, headers and body (needs the admin token).
    Show {
        /// Delivery ID (32 hex digits).
        id: String,
    },
    /// Make messages due now with attempts reset: the given IDs, or with `--dead --route R` every
    /// dead letter of a route (needs the admin token).
    Replay {
        /// Delivery IDs (32 hex digits, as in `X-Hookgate-Queued`).
        ids: Vec<String>,
        /// Replay every dead letter of the route given by --route.
        #[arg(long, requires = "route")]
        dead: bool,
        /// The route whose dead letters to replay (with --dead).
        #[arg(long, requires = "dead")]
        route: Option<String>,
    },
    /// Remove messages, whatever their state (needs the admin token).
    Drop {
        /// Delivery IDs (32 hex digits).
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// Runs a queue command; returns the exit status (0 done, 1 refused or failed).
pub fn run(config: &Path, admin: Option<&str>, command: QueueCommand) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hookgate: {e}");
            return 1;
        }
    };
    match runtime.block_on(run_async(config, admin, command)) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("hookgate: {e}");
            1
        }
    }
}

async fn run_async(
    config: &Path,
    admin: Option<&str>,
    command: QueueCommand,
) -> Result<String, String> {
    let addr = admin_addr(config, admin)?;
    let (token, token_problem) = admin_token(config);
    let client = AdminClient::new(&addr, token, token_problem)?;
    match command {
        QueueCommand::Stats => client
            .get("/admin/queue/stats")
            .await
            .map(|v| print_stats(&v)),
        QueueCommand::List { dead, route, limit } => list(&client, dead, route, limit).await,
        QueueCommand::Show { id } => {
            let v = client
                .call("GET", &format!("/admin/queue/messages/{id}"))
                .await?;
            Ok(format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ))
        }
        QueueCommand::Replay { ids, dead, route } => replay(&client, ids, dead, route).await,
        QueueCommand::Drop { ids } => drop_messages(&client, ids).await,
    }
}

/// The config file as a TOML table (only `[server]` and `[queue]` are read from it).
fn read_table(config: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(config)
        .map_err(|e| format!("{}: cannot read: {e}", config.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {}", config.display(), e.message().trim()))
}

/// `--admin`, else the config's `[server] admin_listen`.
fn admin_addr(config: &Path, admin: Option<&str>) -> Result<String, String> {
    match admin {
        Some(a) => Ok(a.to_string()),
        None => read_table(config)?
            .get("server")
            .and_then(|s| s.get("admin_listen"))
            .and_then(|a| a.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                format!(
                    "{}: no [server] admin_listen; pass --admin HOST:PORT",
                    config.display()
                )
            }),
    }
}

/// The admin token: `HOOKGATE_ADMIN_TOKEN`, else the config's `queue.admin_token` resolved; with
/// why it could not be resolved. A token that cannot be resolved matters only to the calls that
/// need one: it is reported with their 401.
fn admin_token(config: &Path) -> (Option<Secret>, Option<String>) {
    match std::env::var(TOKEN_ENV) {
        Ok(t) if !t.is_empty() => (Some(Secret::literal(&t)), None),
        _ => match read_table(config).ok().and_then(|t| {
            t.get("queue")
                .and_then(|q| q.get("admin_token"))
                .and_then(|a| a.as_str())
                .map(str::to_string)
        }) {
            Some(reference) => {
                let env = |n: &str| std::env::var(n).ok();
                let base_dir = config.parent().unwrap_or(Path::new(""));
                match secret::resolve(&reference, base_dir, &env) {
                    Ok(t) => (Some(t.secret), None),
                    Err(e) => (
                        None,
                        Some(format!(
                            "{}: key `queue.admin_token`: {e}",
                            config.display()
                        )),
                    ),
                }
            }
            None => (None, None),
        },
    }
}

/// `hookgate queue list`.
async fn list(
    client: &AdminClient,
    dead: bool,
    route: Option<String>,
    limit: usize,
) -> Result<String, String> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if dead {
        query.append_pair("state", "dead");
    }
    if let Some(r) = &route {
        query.append_pair("route", r);
    }
    query.append_pair("limit", &limit.to_string());
    let v = client
        .get(&format!("/admin/queue/messages?{}", query.finish()))
        .await?;
    Ok(print_list(&v))
}

/// `hookgate queue replay`: the given IDs, or a route's dead letters with `--dead --route`.
async fn replay(
    client: &AdminClient,
    ids: Vec<String>,
    dead: bool,
    route: Option<String>,
) -> Result<String, String> {
    if dead {
        if !ids.is_empty() {
            return Err("give either IDs or --dead --route R, not both".into());
        }
        let route = route.expect("clap requires --route with --dead");
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("route", &route)
            .append_pair("dead", "true")
            .finish();
        let v = client
            .call("POST", &format!("/admin/queue/replay?{query}"))
            .await?;
        return Ok(format!(
            "replayed {} dead letter(s) of route {route}\n",
            v["replayed"].as_u64().unwrap_or(0)
        ));
    }
    if ids.is_empty() {
        return Err("give the IDs to replay, or --dead --route R".into());
    }
    let mut out = String::new();
    for id in ids {
        let v = client
            .call("POST", &format!("/admin/queue/messages/{id}/replay"))
            .await?;
        out.push_str(&if v["replayed"].as_bool() == Some(true) {
            format!("replayed {id}\n")
        } else {
            format!("not replayed {id}: unknown, or an attempt is in flight\n")
        });
    }
    Ok(out)
}

/// `hookgate queue drop`: every ID is tried; like `rm`, an unknown one fails the command
/// (exit status 1) after the others are dropped.
async fn drop_messages(client: &AdminClient, ids: Vec<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut unknown = Vec::new();
    for id in ids {
        let path = format!("/admin/queue/messages/{id}");
        match client.exchange("DELETE", &path).await? {
            (404, _) => unknown.push(id),
            (status, v) => {
                client.answer("DELETE", &path, status, v)?;
                out.push_str(&format!("dropped {id}\n"));
            }
        }
    }
    if unknown.is_empty() {
        return Ok(out);
    }
    Err(format!("{out}no such message: {}", unknown.join(" ")))
}

struct AdminClient {
    upstream: Upstream,
    token: Option<Secret>,
    /// Why the config's `admin_token` could not be resolved, if it could not.
    token_problem: Option<String>,
    connector: Arc<Connector>,
}

impl AdminClient {
    fn new(
        addr: &str,
        token: Option<Secret>,
        token_problem: Option<String>,
    ) -> Result<AdminClient, String> {
        let mut socket: SocketAddr = addr
            .to_socket_addrs()
            .map_err(|e| format!("admin address {addr:?}: {e}"))?
            .next()
            .ok_or_else(|| format!("admin address {addr:?} resolves to nothing"))?;
        // A listener on every address is reached on loopback.
        if socket.ip().is_unspecified() {
            socket.set_ip(match socket.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        Ok(AdminClient {
            upstream: Upstream {
                url: format!("http://{socket}"),
                tls: false,
                host: socket.ip().to_string(),
                port: socket.port(),
                authority: socket.to_string(),
                sni: String::new(),
                path_and_query: "/".into(),
            },
            token,
            token_problem,
            connector: Arc::new(Connector::new(None)),
        })
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        self.call("GET", path).await
    }

    /// Sends one admin call and returns its JSON answer; a non-2xx answer becomes the error,
    /// with the gateway's reason.
    async fn call(&self, method: &str, path: &str) -> Result<Value, String> {
        let (status, value) = self.exchange(method, path).await?;
        self.answer(method, path, status, value)
    }

    /// Sends one admin call: the answer's status and JSON body.
    async fn exchange(&self, method: &str, path: &str) -> Result<(u16, Value), String> {
        let mut request = RequestHeader::build(method, path.as_bytes(), None)
            .map_err(|e| format!("bad request {method} {path}: {e}"))?;
        let set = |r: &mut RequestHeader, n: &'static str, v: &[u8]| {
            r.insert_header(n, v)
                .map_err(|e| format!("header {n}: {e}"))
        };
        set(&mut request, "host", self.upstream.authority.as_bytes())?;
        set(&mut request, "content-length", b"0")?;
        if let Some(token) = &self.token {
            let value = [b"Bearer ".as_slice(), token.bytes()].concat();
            set(&mut request, "authorization", &value)?;
        }
        // An IP address: the resolver does no lookup.
        let target = forward::Target {
            upstream: self.upstream.clone(),
            resolver: Default::default(),
        };
        let mut exchange = forward::send(
            self.connector.clone(),
            &target,
            Box::new(request),
            Bytes::new(),
            TIMEOUT,
        )
        .await
        .map_err(|e| format!("admin listener {}: {e}", self.upstream.authority))?;
        let mut body = Vec::new();
        loop {
            match exchange.next_chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_ANSWER => {
                    body.extend_from_slice(&chunk)
                }
                Ok(Some(_)) => return Err("admin answer too large".into()),
                Ok(None) => break,
                Err(e) => return Err(format!("reading the admin answer: {e}")),
            }
        }
        let status = exchange.status();
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            format!(
                "admin listener answered {status} without JSON: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )
        })?;
        Ok((status, value))
    }

    /// `value` when `status` is 2xx, else the error naming the call and the gateway's reason.
    fn answer(&self, method: &str, path: &str, status: u16, value: Value) -> Result<Value, String> {
        match status {
            200..=299 => Ok(value),
            401 => Err(format!(
                "refused (401): {}; set {TOKEN_ENV} or [queue] admin_token{}",
                value["error"].as_str().unwrap_or("admin token required"),
                self.token_problem
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            )),
            _ => Err(format!(
                "{method} {path}: {status}: {}",
                value["error"].as_str().unwrap_or("error")
            )),
        }
    }
}

fn print_stats(v: &Value) -> String {
    let mut out = format!(
        "bytes {} of max {}\n{:<20} {:>9} {:>7} {:>7} {:>12}\n",
        v["bytes"], v["max_bytes"], "route", "pending", "leased", "dead", "oldest (s)"
    );
    if let Some(routes) = v["routes"].as_object() {
        for (name, r) in routes {
            // Numbers, not `Value`s: a `Value`'s Display ignores the width, which broke the columns.
            let count = |key: &str| r[key].as_u64().unwrap_or(0);
            out.push_str(&format!(
                "{:<20} {:>9} {:>7} {:>7} {:>12.0}\n",
                name,
                count("pending"),
                count("leased"),
                count("dead"),
                r["oldest_pending_age_seconds"].as_f64().unwrap_or(0.0)
            ));
        }
    }
    out
}

fn print_list(v: &Value) -> String {
    let mut out = String::new();
    for m in v["messages"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "{} {:<16} {:<7} attempts={} age={:.0}s{}\n",
            m["id"].as_str().unwrap_or(""),
            m["route"].as_str().unwrap_or(""),
            m["state"].as_str().unwrap_or(""),
            m["attempts"],
            m["age_seconds"].as_f64().unwrap_or(0.0),
            m["last_error"]
                .as_str()
                .map(|e| format!(" last_error={e:?}"))
                .unwrap_or_default(),
        ));
    }
    if let Some(next) = v["next_after"].as_str() {
        out.push_str(&format!("(more: next page after {next})\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_rows_line_up_with_the_header() {
        let v = serde_json::json!({
            "bytes": 335, "max_bytes": 2048,
            "routes": {"q": {"pending": 0, "leased": 12, "dead": 1, "oldest_pending_age_seconds": 3.2}}
        });
        let out = print_stats(&v);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1].len(), lines[2].len(), "{out}");
        // Each number ends where its column's title ends.
        for (title, value) in [("pending", "0"), ("leased", "12"), ("dead", "1")] {
            let end = lines[1].find(title).unwrap() + title.len();
            assert_eq!(&lines[2][end - value.len()..end], value, "{out}");
        }
    }
}
