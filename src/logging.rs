//! Where `hookgate run` writes, one stream per purpose:
//!
//! - **stdout**: the audit log ([`crate::telemetry::audit`]), one line per webhook request, and nothing else,
//!   written in batches ([`crate::telemetry::audit_log`]).
//! - **stderr**: diagnostics — hookgate's own lines and pingora's (pingora logs through the `log`
//!   crate; [`tracing_log::LogTracer`], installed by `try_init`, carries them into `tracing`) —
//!   filtered by `HOOKGATE_LOG` ([`EnvFilter`] syntax, default [`DEFAULT_FILTER`]).
//!
//! Colour codes are written only to a terminal (and not with `NO_COLOR`), never into a file or a
//! pipe. JSON diagnostics use
//! [`JsonDiagnostics`] instead of tracing-subscriber's JSON format, whose flattened events keep a
//! `log` record's `log.file`: an absolute source path on the machine that built the binary.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::telemetry::audit::{AuditFormat, AuditSink};
use crate::telemetry::audit_log::Buffering;

/// `--log-format` of `hookgate run`: how stderr diagnostics and (with `text`) the audit lines are
/// written. Defined here, not in `cli`, so logging depends on nothing above it.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// The environment variable holding the diagnostics filter (`EnvFilter` syntax:
/// `warn`, `info,pingora_core=warn`, `debug`; `off` also turns the audit log off).
pub const ENV: &str = "HOOKGATE_LOG";
/// The diagnostics filter when `HOOKGATE_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info";
/// The `tracing` target of audit lines written through `tracing` (`--log-format text`).
pub const AUDIT_TARGET: &str = "hookgate::audit";

/// Installs the global subscriber and the `log` bridge for `hookgate run`, turns on the audit
/// log's `buffering` ([`crate::telemetry::audit_log`]), and returns where the gateway's audit
/// lines go. Call once.
pub fn init(format: LogFormat, buffering: Buffering) -> AuditSink {
    crate::telemetry::audit_log::install(buffering);
    let setting = std::env::var(ENV).ok();
    let audit_off = setting.as_deref().is_some_and(|v| v.trim() == "off");
    let audit = AuditSink {
        format: match (audit_off, format) {
            (true, _) => AuditFormat::Off,
            (false, LogFormat::Json) => AuditFormat::Json,
            (false, LogFormat::Text) => AuditFormat::Text,
        },
    };
    let (filter, bad_setting) = match setting.as_deref().map(EnvFilter::try_new) {
        None => (EnvFilter::new(DEFAULT_FILTER), None),
        Some(Ok(f)) => (f, None),
        Some(Err(e)) => (EnvFilter::new(DEFAULT_FILTER), Some(e)),
    };
    // Directives and targets (not closures) keep per-callsite interest cached and give the `log`
    // bridge a maximum level, so pingora's debug! calls on the request path stay near free.
    let diagnostics_filter = filter.add_directive(
        format!("{AUDIT_TARGET}=off")
            .parse()
            .expect("a valid directive"),
    );
    let diagnostics = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .event_format(JsonDiagnostics)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(colour(std::io::stderr().is_terminal()))
            .boxed(),
    }
    .with_filter(tracing_subscriber::filter::FilterExt::and(
        diagnostics_filter,
        dependency_cap(),
    ));
    // JSON audit lines bypass `tracing` (see `crate::telemetry::audit`); text ones go through it, to stdout.
    let audit_text = (format == LogFormat::Text && !audit_off).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(|| crate::telemetry::audit_log::AuditWriter)
            .with_ansi(colour(std::io::stdout().is_terminal()))
            .with_target(false)
            .with_filter(Targets::new().with_target(AUDIT_TARGET, tracing::Level::INFO))
    });
    let installed = tracing_subscriber::registry()
        .with(diagnostics)
        .with(audit_text)
        .try_init();
    if let Err(e) = installed {
        eprintln!("hookgate: cannot install the logger: {e}");
    }
    if let Some(e) = bad_setting {
        tracing::warn!(
            error = %e,
            "{ENV} is not a valid filter; using {DEFAULT_FILTER:?}"
        );
    }
    audit
}

/// Crates whose debug and trace lines print what passes through them — pingora's client writes
/// `Writing request header: …` (every upstream header, signatures included) at trace, its server
/// quotes refused heads, h2/hyper/reqwest/rustls/redis dump frames, requests and commands —
/// are held at `info` whatever `HOOKGATE_LOG` says. Their info-and-above lines name events, not
/// request contents. hookgate's own lines are never capped; none carries a header, body, secret
/// or token at any level.
pub const CAPPED_TARGETS: &[&str] = &[
    "pingora",
    "h2",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "tokio_rustls",
    "redis",
    "fjall",
    "lsm_tree",
];

/// The filter of [`CAPPED_TARGETS`] (a prefix match: `pingora` covers `pingora_core`).
pub fn dependency_cap() -> Targets {
    Targets::new()
        .with_default(tracing::Level::TRACE)
        .with_targets(CAPPED_TARGETS.iter().map(|t| (*t, tracing::Level::INFO)))
}

/// Colour for a stream: only on a terminal, and not when `NO_COLOR` is set (no-color.org).
fn colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// One JSON object per diagnostic line: `timestamp` (RFC 3339, UTC), `level`, `target` (a `log`
/// record's own target, e.g. `pingora_core::server`), `message` and the event's other fields.
/// Leaves out the `log.*` fields of bridged `log` records (source file, line, module).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonDiagnostics;

impl<S, N> FormatEvent<S, N> for JsonDiagnostics
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut object = serde_json::Map::new();
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        object.insert("timestamp".into(), timestamp.into());
        object.insert("level".into(), meta.level().as_str().into());
        object.insert("target".into(), meta.target().into());
        event.record(&mut JsonFieldVisitor(&mut object));
        let line = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

struct JsonFieldVisitor<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl JsonFieldVisitor<'_> {
    fn insert(&mut self, field: &tracing::field::Field, value: serde_json::Value) {
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.0.insert(name.to_string(), value);
    }
}

impl tracing::field::Visit for JsonFieldVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.insert(field, value.into());
    }
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.insert(field, value.into());
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.insert(field, value.into());
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.insert(field, value.into());
    }
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.insert(field, value.into());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.insert(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_diagnostics_drop_log_source_paths_and_keep_the_log_target() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .event_format(JsonDiagnostics)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            // What `tracing_log::LogTracer` makes of a `log` record from a dependency.
            let record = log::Record::builder()
                .args(format_args!("Server starting"))
                .level(log::Level::Info)
                .target("pingora_core::server")
                .module_path_static(Some("pingora_core::server"))
                .file_static(Some(
                    "/build/.cargo/registry/src/pingora-core-0.9.1/src/server/mod.rs",
                ))
                .line(Some(643))
                .build();
            tracing_log::format_trace(&record).unwrap();
            tracing::warn!(target: "hookgate::server", route = "r", count = 2u64, "own line");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["message"], "Server starting");
        assert_eq!(lines[0]["target"], "pingora_core::server");
        assert_eq!(lines[0]["level"], "INFO");
        assert!(
            !text.contains(".cargo") && !text.contains("log.file"),
            "{text}"
        );
        assert_eq!(lines[1]["target"], "hookgate::server");
        assert_eq!(lines[1]["route"], "r");
        assert_eq!(lines[1]["count"], 2);
        assert_eq!(lines[1]["level"], "WARN");
    }
}
