//! The command line: `hookgate run`, `hookgate check`, `hookgate sign`, `hookgate queue`.

use std::io::Read;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::logging::LogFormat;
use crate::providers::WebhookRequest;
use crate::server::state::GatewayState;

#[derive(Debug, Parser)]
#[command(
    name = "hookgate",
    version,
    about = "A webhook-verifying reverse proxy"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve webhooks until SIGTERM/SIGINT; SIGHUP reloads the config.
    ///
    /// Exits 1 at once when the config is invalid or `listen`/`admin_listen` cannot be bound.
    /// SIGTERM/SIGINT: /readyz answers 503 and /metrics stays up while in-flight requests finish
    /// (at most grace_period), then exit 0.
    ///
    /// stdout: one audit line per webhook request, nothing else. stderr: diagnostics (hookgate's
    /// and pingora's), filtered by HOOKGATE_LOG (EnvFilter syntax such as `warn` or
    /// `info,pingora_core=warn`; default `info`; `off` silences the audit lines too).
    Run {
        /// Config file
        #[arg(short, long, env = "HOOKGATE_CONFIG", default_value = "gateway.toml")]
        config: PathBuf,
        /// Format of the audit lines (stdout) and diagnostics (stderr). Colour only on a terminal.
        #[arg(long, value_enum, default_value = "json")]
        log_format: LogFormat,
        /// Audit-log bytes each worker thread gathers before writing them (nginx's `access_log …
        /// buffer=`); `0` writes every line at once. SIGKILL loses what is gathered.
        #[arg(long, env = "HOOKGATE_AUDIT_BUFFER", default_value = "32KiB", value_parser = audit_buffer)]
        audit_buffer: usize,
        /// The longest an audit line waits before it is written (nginx's `access_log … flush=`).
        #[arg(long, env = "HOOKGATE_AUDIT_FLUSH", default_value = "1s", value_parser = audit_flush)]
        audit_flush: std::time::Duration,
    },
    /// Validate the config and print its routes and notices (exit 1 naming the file, route and
    /// key of a problem).
    ///
    /// An upstream host that does not resolve on this machine is a notice, not an error: `run`
    /// resolves upstream hosts when it connects.
    Check {
        /// Config file
        #[arg(short, long, env = "HOOKGATE_CONFIG", default_value = "gateway.toml")]
        config: PathBuf,
    },
    /// Print the headers of a correctly signed request for a route (or a curl command with --curl).
    ///
    /// One `Name: value` per line, signed with the route's first secret valid now (see a secret's
    /// `from`/`until`) at the current time.
    /// Routes whose secrets are public keys (Discord, Telnyx, SendGrid, ed25519) cannot be signed.
    Sign {
        /// Config file
        #[arg(short, long, env = "HOOKGATE_CONFIG", default_value = "gateway.toml")]
        config: PathBuf,
        /// The route's name.
        #[arg(long)]
        route: String,
        /// The body to sign: a file, or - for standard input [default: empty body]
        #[arg(long)]
        body: Option<String>,
        /// Print a whole curl command that POSTs the body to this URL (the URL is also what
        /// URL-signing schemes sign, unless the route sets `public_url`).
        #[arg(long)]
        curl: Option<String>,
        /// A header to include in the request, and in what is signed where the scheme signs it
        /// (`Name: value`); repeatable.
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
    },
    /// Send a realistic, correctly signed sample delivery of the route's provider (documented
    /// body for the event type, its headers, a fresh event ID, the current time) and print the
    /// answer: status, X-Hookgate-* headers, body.
    ///
    /// Signed with the route's first secret valid now, as the provider signs. Exit 0 on a 2xx
    /// answer, 1 otherwise, 2 when the route cannot be triggered (keys that belong to the
    /// provider, public-key secrets).
    Trigger {
        /// Config file
        #[arg(short, long, env = "HOOKGATE_CONFIG", default_value = "gateway.toml")]
        config: PathBuf,
        /// The route's name (required unless --list).
        #[arg(long)]
        route: Option<String>,
        /// The sample's event type [default: the preset's first; see --list]
        #[arg(long)]
        event: Option<String>,
        /// Where to send it [default: the route's path on the config's `listen`]
        #[arg(long)]
        url: Option<String>,
        /// Print each preset's sample event types (only the route's with --route).
        #[arg(long)]
        list: bool,
    },
    /// List the provider presets as a Markdown table: family, headers, window, event-ID source,
    /// default max_body, methods and the provider's document.
    Providers,
    /// Inspect and operate the delivery queue of a running gateway (through its admin listener).
    ///
    /// `-c/--config` and `--admin` are accepted before or after the subcommand
    /// (`hookgate queue stats -c FILE` = `hookgate queue -c FILE stats`).
    Queue {
        /// Config file (for `server.admin_listen` and `[queue] admin_token`)
        #[arg(
            short,
            long,
            env = "HOOKGATE_CONFIG",
            default_value = "gateway.toml",
            global = true
        )]
        config: PathBuf,
        /// The admin listener, HOST:PORT [default: the config's `server.admin_listen`]
        #[arg(long, global = true)]
        admin: Option<String>,
        #[command(subcommand)]
        command: crate::delivery::queue::cli::QueueCommand,
    },
}

/// Runs the command; returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    match cli.command {
        Command::Run {
            config,
            log_format,
            audit_buffer,
            audit_flush,
        } => {
            let buffering = crate::telemetry::audit_log::Buffering {
                buffer: audit_buffer,
                flush: audit_flush,
            };
            let audit = crate::logging::init(log_format, buffering);
            match config::load(&config) {
                Ok(c) => {
                    for notice in &c.notices {
                        tracing::info!("{notice}");
                    }
                    for notice in config::unresolvable_upstreams(&c) {
                        tracing::warn!("{notice}");
                    }
                    let started = GatewayState::new(c, audit)
                        .map_err(|e| e.to_string())
                        .and_then(|s| {
                            crate::server::run(s, crate::server::StopOn::Signals)
                                .map_err(|e| e.to_string())
                        });
                    match started {
                        Ok(()) => 0,
                        Err(e) => fatal("cannot start", &e),
                    }
                }
                Err(e) => fatal("invalid configuration", &e),
            }
        }
        Command::Check { config } => check(&config),
        Command::Sign {
            config,
            route,
            body,
            curl,
            headers,
        } => match sign(&config, &route, body.as_deref(), curl.as_deref(), &headers) {
            Ok(out) => {
                print!("{out}");
                0
            }
            Err(e) => {
                eprintln!("hookgate: {e}");
                1
            }
        },
        Command::Queue {
            config,
            admin,
            command,
        } => crate::delivery::queue::cli::run(&config, admin.as_deref(), command),
        Command::Trigger {
            config,
            route,
            event,
            url,
            list,
        } => crate::trigger::main(&crate::trigger::Args {
            config: &config,
            route: route.as_deref(),
            event: event.as_deref(),
            url: url.as_deref(),
            list,
        }),
        Command::Providers => {
            print!("{}", crate::providers::families::catalog::markdown_table());
            0
        }
    }
}

/// The largest `--audit-buffer`: per worker thread, so memory stays bounded.
const MAX_AUDIT_BUFFER: u64 = 16 * 1024 * 1024;

/// `--audit-buffer`: a size (`32KiB`, `0`), at most [`MAX_AUDIT_BUFFER`].
fn audit_buffer(text: &str) -> Result<usize, String> {
    let bytes = config::units::parse_size(text)?;
    if bytes > MAX_AUDIT_BUFFER {
        return Err(format!("{text:?} is over the largest audit buffer, 16MiB"));
    }
    usize::try_from(bytes).map_err(|e| e.to_string())
}

/// `--audit-flush`: a duration of at least 1ms (`1s`, `250ms`); shorter would be a thread
/// waking more than 1,000 times a second.
fn audit_flush(text: &str) -> Result<std::time::Duration, String> {
    let flush = config::units::parse_duration(text)?;
    if flush.is_zero() {
        return Err("the audit flush interval must be above zero (write it like \"1s\")".into());
    }
    if flush < std::time::Duration::from_millis(1) {
        return Err(format!(
            "{text:?}: the audit flush interval must be at least 1ms (write it like \"1s\")"
        ));
    }
    Ok(flush)
}

/// `hookgate check`: loads and describes the config; exit status 1 if it or its TLS files are
/// unusable, or the queue's Redis is refused.
fn check(config: &std::path::Path) -> i32 {
    match config::load(config) {
        Ok(mut c) => {
            c.notices.extend(config::unresolvable_upstreams(&c));
            print!("{}", describe(&c));
            // A certificate or key `run` could not use fails here too, not only at start.
            match c.server.tls.as_ref().map(crate::server::check_tls) {
                Some(Err(e)) => {
                    eprintln!(
                        "hookgate: {}: [server] tls_cert/tls_key: {e}",
                        config.display()
                    );
                    1
                }
                _ => check_queue_redis(&c),
            }
        }
        Err(e) => {
            eprintln!("hookgate: {e}");
            1
        }
    }
}

/// `hookgate check`'s look at the queue's Redis (persistence, eviction policy): prints the
/// findings; 1 when the server would silently delete queued messages (`allkeys-*`), else 0.
fn check_queue_redis(config: &Config) -> i32 {
    let Some(crate::config::queue::QueueSettings {
        backend: crate::config::queue::QueueBackend::Redis(redis),
        ..
    }) = &config.queue
    else {
        return 0;
    };
    let (report, refused) = crate::delivery::queue::redis::health::check_report(redis);
    if refused {
        eprint!("{report}");
        eprintln!("hookgate: the queue's Redis would evict queued messages (see above)");
        1
    } else {
        print!("{report}");
        0
    }
}

/// What `hookgate check` prints: the routes (in aligned columns), `[state]`, the notices, then
/// the known presets.
pub fn describe(config: &Config) -> String {
    let mut out = format!(
        "{}: ok, {} route(s)\n",
        config.source.display(),
        config.routes.len()
    );
    let rows: Vec<[String; 4]> = config
        .routes
        .iter()
        .map(|r| {
            let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
            [
                r.name.clone(),
                methods.join(","),
                r.path.clone(),
                format!("provider={}", r.provider()),
            ]
        })
        .collect();
    // Each column as wide as its longest cell (at least the former fixed widths), so a
    // multi-method route or a long path does not push its row out of line.
    let width = |i: usize, min: usize| rows.iter().map(|r| r[i].len()).fold(min, usize::max);
    let widths = [width(0, 16), width(1, 4), width(2, 28), width(3, 27)];
    for (r, row) in config.routes.iter().zip(&rows) {
        let guards = route_guards(r);
        out.push_str(&format!(
            "  {:<w0$} {:<w1$} {:<w2$} {:<w3$} -> {}  [{}]\n",
            row[0],
            row[1],
            row[2],
            row[3],
            r.upstream.url,
            guards.join(", "),
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        ));
    }
    out.push_str(&describe_state(config.state.as_ref()));
    for notice in &config.notices {
        out.push_str(&format!("notice: {notice}\n"));
    }
    let names: Vec<&str> = crate::providers::presets().iter().map(|p| p.name).collect();
    out.push_str(&format!("providers: {}\n", names.join(", ")));
    out
}

/// The guards and limits of a route, as `check` lists them after its upstream.
fn route_guards(r: &crate::config::model::RouteConfig) -> Vec<String> {
    let mut guards = Vec::new();
    if r.allow_ips.is_some() {
        guards.push("allow_ips".to_string());
    }
    if let Some(s) = &r.rate_limit {
        guards.push(format!(
            "rate_limit {}/s burst {}{}",
            s.per_second,
            s.burst,
            if s.per_client { " per client" } else { "" }
        ));
    }
    if r.dedup.is_some() {
        guards.push("dedup".into());
    }
    if r.events.is_some() {
        guards.push("events".into());
    }
    if r.scheme.window_off() {
        guards.push("timestamp window off".into());
    }
    if !r.enforce {
        guards.push("shadow: enforce = false".into());
    }
    guards.push(format!(
        "max_body {}",
        crate::providers::families::catalog::size(r.max_body)
    ));
    guards
}

/// `check`'s `state:` line: where dedup and rate-limit state lives. The Redis URL is shown
/// redacted (never its password), with the timeouts and breaker that decide `on_store_error`.
fn describe_state(state: Option<&crate::config::state::StateSettings>) -> String {
    let Some(s) = state else {
        return "state: in memory (per process; [state] not set)\n".into();
    };
    format!(
        "state: redis {} prefix {:?}, timeout {}, connect_timeout {}, breaker after {} failure(s), cooldown {}{}\n",
        s.url.redacted(),
        s.prefix,
        humantime::format_duration(s.timeout),
        humantime::format_duration(s.connect_timeout),
        s.breaker.failures,
        humantime::format_duration(s.breaker.cooldown),
        if s.client_key.is_some() { ", client_key set" } else { "" }
    )
}

fn sign(
    config_path: &std::path::Path,
    route_name: &str,
    body: Option<&str>,
    curl: Option<&str>,
    extra_headers: &[String],
) -> Result<String, String> {
    let config = config::load(config_path).map_err(|e| e.to_string())?;
    let route = config.route_named(route_name)?;
    let scheme = crate::gateway::scheme(&route.scheme, &Default::default())
        .map_err(|e| format!("route {route_name:?}: key `{}`: {}", e.key, e.message))?;
    let body = match body {
        None => Vec::new(),
        Some("-") => {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| format!("reading standard input: {e}"))?;
            b
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?,
    };
    let headers = parse_headers(extra_headers)?;
    let url = match (&route.public_url, curl) {
        (Some(u), _) => u.clone(),
        (None, Some(u)) => u.to_string(),
        (None, None) => format!("http://{}{}", config.server.listen, route.path),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let signed = scheme
        .sign(&WebhookRequest {
            method: "POST",
            public_url: &url,
            headers: &headers,
            body: &body,
            now,
        })
        .map_err(|e| format!("route {route_name:?}: cannot sign: {e}"))?;
    // A header given with `-H` that the scheme signs (an id, a timestamp) went into the signature
    // and comes back in `signed`: printed once, from there (twice would be an ambiguous request).
    let mut lines: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| {
            !signed
                .iter()
                .any(|(s, _)| k.as_str().eq_ignore_ascii_case(s))
        })
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    lines.extend(signed);
    render(&lines, curl, body)
}

/// `-H 'Name: value'` arguments as a header map.
fn parse_headers(extra_headers: &[String]) -> Result<http::HeaderMap, String> {
    let mut headers = http::HeaderMap::new();
    for h in extra_headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?} is not `Name: value`"))?;
        headers.append(
            http::HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| format!("bad header name {name:?}"))?,
            http::HeaderValue::from_str(value.trim())
                .map_err(|_| format!("bad header value for {name}"))?,
        );
    }
    Ok(headers)
}

/// `sign`'s output: one `Name: value` per line, or a whole curl command.
fn render(lines: &[(String, String)], curl: Option<&str>, body: Vec<u8>) -> Result<String, String> {
    match curl {
        None => Ok(lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()),
        Some(url) => {
            let mut cmd = format!("curl -sS -X POST {}", shell_quote(url));
            for (k, v) in lines {
                cmd.push_str(&format!(" -H {}", shell_quote(&format!("{k}: {v}"))));
            }
            if body.is_empty() {
                cmd.push_str(" --data-binary ''");
            } else {
                let text = String::from_utf8(body).map_err(|_| "--curl needs a UTF-8 body; use the header output with curl --data-binary @FILE".to_string())?;
                cmd.push_str(&format!(" --data-binary {}", shell_quote(&text)));
            }
            cmd.push('\n');
            Ok(cmd)
        }
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Reports why `run` stops: as a diagnostic line when diagnostics are on (one line, in the chosen
/// format), else as plain text, so the reason is never lost to `HOOKGATE_LOG=off`.
fn fatal(what: &str, error: &dyn std::fmt::Display) -> i32 {
    if tracing::enabled!(tracing::Level::ERROR) {
        tracing::error!(error = %error, "{what}");
    } else {
        eprintln!("hookgate: {what}: {error}");
    }
    1
}
