//! The `[tracing]` section (OpenTelemetry traces over OTLP), as written and as validated.
//!
//! ```toml
//! [tracing]
//! endpoint = "http://otel-collector:4318"   # OTLP/HTTP (protobuf); "grpc://host:4317" for gRPC
//! sample_ratio = 0.1                        # 0.0–1.0 (default 1.0); parent-based
//! service_name = "hookgate"
//! headers = { "x-api-key" = "env:OTEL_API_KEY" }   # values like secrets: env:, file:, literal
//! event_id = false                          # record the event ID on spans (default false)
//! timeout = "10s"                           # one export call
//! export_interval = "5s"                    # how long a span may wait for its batch
//! max_queue = 2048                          # spans waiting for export; past it, dropped + counted
//! max_batch = 512                           # spans per export call
//! ```
//!
//! Header values may be credentials: [`TracingSettings`] keep them as [`Secret`]s and its `Debug`
//! shows only their names.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::error::ConfigError;
use super::secret::{self, Secret};
use super::units::parse_duration;

pub const DEFAULT_SERVICE_NAME: &str = "hookgate";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_EXPORT_INTERVAL: Duration = Duration::from_secs(5);
pub const DEFAULT_MAX_QUEUE: usize = 2048;
pub const DEFAULT_MAX_BATCH: usize = 512;
/// The OTLP/HTTP path of traces, added to an `http(s)://` endpoint written without a path (as
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is treated by every OpenTelemetry SDK).
pub const OTLP_HTTP_TRACES_PATH: &str = "/v1/traces";

/// `[tracing]` exactly as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracingSection {
    pub endpoint: String,
    pub sample_ratio: Option<f64>,
    pub service_name: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub event_id: Option<bool>,
    pub timeout: Option<String>,
    pub export_interval: Option<String>,
    pub max_queue: Option<usize>,
    pub max_batch: Option<usize>,
}

/// The OTLP transport an endpoint's scheme selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `http://` or `https://`: protobuf over HTTP POST.
    HttpProtobuf,
    /// `grpc://`: gRPC over plaintext HTTP/2 (the collector's port 4317).
    Grpc,
}

/// The validated `[tracing]` section.
#[derive(Clone, PartialEq)]
pub struct TracingSettings {
    /// The URL handed to the exporter: for HTTP the full traces URL, for gRPC `http://host:port`.
    pub endpoint: String,
    pub protocol: OtlpProtocol,
    /// Fraction of new traces sampled, 0.0–1.0; a parent's decision is followed.
    pub sample_ratio: f64,
    pub service_name: String,
    /// Header names (lower-case) and their resolved values, sent with every export.
    pub headers: Vec<(String, Secret)>,
    /// Whether spans carry `hookgate.event_id`.
    pub event_id: bool,
    pub timeout: Duration,
    pub export_interval: Duration,
    pub max_queue: usize,
    pub max_batch: usize,
}

impl std::fmt::Debug for TracingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("TracingSettings")
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field("sample_ratio", &self.sample_ratio)
            .field("service_name", &self.service_name)
            .field("headers", &names)
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// Validates `[tracing]`. Errors name the file and the key (`tracing.endpoint`, …) and never a
/// header value.
pub fn compile_tracing(
    section: &TracingSection,
    file: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<TracingSettings, ConfigError> {
    let err = |key: &str, message: String| ConfigError {
        file: file.to_string(),
        route: None,
        key: Some(format!("tracing.{key}")),
        message,
    };
    let (endpoint, protocol) = parse_endpoint(&section.endpoint).map_err(|m| err("endpoint", m))?;
    let sample_ratio = section.sample_ratio.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&sample_ratio) {
        return Err(err(
            "sample_ratio",
            format!("{sample_ratio} is not between 0.0 and 1.0"),
        ));
    }
    let service_name = section
        .service_name
        .clone()
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_string());
    if service_name.trim().is_empty() {
        return Err(err("service_name", "may not be empty".into()));
    }
    let headers = compile_headers(section.headers.as_ref(), base_dir, env)
        .map_err(|(key, m)| err(&key, m))?;
    let duration = |key: &str, v: &Option<String>, default: Duration| match v {
        None => Ok(default),
        Some(t) => match parse_duration(t) {
            Ok(d) if d.is_zero() => Err(err(key, "must be more than zero".into())),
            Ok(d) => Ok(d),
            Err(m) => Err(err(key, m)),
        },
    };
    let count = |key: &str, v: Option<usize>, default: usize| match v {
        Some(0) => Err(err(key, "must be at least 1".into())),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    let max_queue = count("max_queue", section.max_queue, DEFAULT_MAX_QUEUE)?;
    let max_batch = count("max_batch", section.max_batch, DEFAULT_MAX_BATCH)?;
    if max_batch > max_queue {
        return Err(err(
            "max_batch",
            format!("{max_batch} is more than max_queue ({max_queue})"),
        ));
    }
    Ok(TracingSettings {
        endpoint,
        protocol,
        sample_ratio,
        service_name,
        headers,
        event_id: section.event_id.unwrap_or(false),
        timeout: duration("timeout", &section.timeout, DEFAULT_TIMEOUT)?,
        export_interval: duration(
            "export_interval",
            &section.export_interval,
            DEFAULT_EXPORT_INTERVAL,
        )?,
        max_queue,
        max_batch,
    })
}

/// [`compile_tracing`] for a section that may be absent (tracing off).
pub fn compile_optional(
    section: Option<&TracingSection>,
    file: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<TracingSettings>, ConfigError> {
    section
        .map(|s| compile_tracing(s, file, base_dir, env))
        .transpose()
}

/// The exporter's URL and transport for an endpoint as written.
fn parse_endpoint(text: &str) -> Result<(String, OtlpProtocol), String> {
    let mut url = url::Url::parse(text.trim()).map_err(|e| {
        format!("is not a URL ({e}); write it like \"http://otel-collector:4318\" or \"grpc://otel-collector:4317\"")
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("may not carry credentials; send them in `headers`".into());
    }
    match url.scheme() {
        "http" | "https" => {
            if url.path().is_empty() || url.path() == "/" {
                url.set_path(OTLP_HTTP_TRACES_PATH);
            }
            Ok((url.to_string(), OtlpProtocol::HttpProtobuf))
        }
        "grpc" => {
            let port = url.port().unwrap_or(4317);
            let host = url.host_str().unwrap_or_default();
            Ok((format!("http://{host}:{port}"), OtlpProtocol::Grpc))
        }
        other => Err(format!(
            "scheme {other:?} is not supported (use http://, https:// for OTLP/HTTP or grpc:// for OTLP/gRPC)"
        )),
    }
}

/// `headers`: names checked as HTTP header names, values resolved like secrets. The error is the
/// key (`headers.x-api-key`) and a message without the value.
fn compile_headers(
    headers: Option<&BTreeMap<String, String>>,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, Secret)>, (String, String)> {
    let mut out = Vec::new();
    for (name, reference) in headers.into_iter().flatten() {
        let key = format!("headers.{name}");
        let parsed = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| (key.clone(), format!("{name:?} is not an HTTP header name")))?;
        let resolved =
            secret::resolve(reference, base_dir, env).map_err(|e| (key.clone(), e.to_string()))?;
        if http::HeaderValue::from_bytes(resolved.secret.bytes()).is_err() {
            return Err((key, "the value is not a valid HTTP header value".into()));
        }
        out.push((parsed.as_str().to_string(), resolved.secret));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> Result<TracingSettings, ConfigError> {
        let section: TracingSection = toml::from_str(text).unwrap();
        let env = |name: &str| (name == "OTEL_KEY").then(|| "k3y".to_string());
        compile_tracing(&section, "gw.toml", Path::new("."), &env)
    }

    #[test]
    fn http_endpoint_without_path_gets_the_traces_path() {
        let s = compile("endpoint = \"http://collector:4318\"").unwrap();
        assert_eq!(s.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(s.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(s.sample_ratio, 1.0);
        assert!(!s.event_id);
        let s = compile("endpoint = \"https://otlp.example/custom/path\"").unwrap();
        assert_eq!(s.endpoint, "https://otlp.example/custom/path");
    }

    #[test]
    fn grpc_endpoint_is_plaintext_http2() {
        let s = compile("endpoint = \"grpc://collector:4317\"").unwrap();
        assert_eq!(s.endpoint, "http://collector:4317");
        assert_eq!(s.protocol, OtlpProtocol::Grpc);
    }

    #[test]
    fn errors_name_the_key_and_never_the_header_value() {
        let e = compile("endpoint = \"ftp://x\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("tracing.endpoint"));
        let e = compile("endpoint = \"http://x\"\nsample_ratio = 1.5").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("tracing.sample_ratio"));
        assert_eq!(
            e.to_string(),
            "gw.toml: key `tracing.sample_ratio`: 1.5 is not between 0.0 and 1.0"
        );
        let e = compile("endpoint = \"http://x\"\nheaders = { \"x-api-key\" = \"env:NOPE\" }")
            .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("tracing.headers.x-api-key"));
        let e = compile("endpoint = \"http://x\"\nheaders = { \"x-api-key\" = \"bad\\nvalue\" }")
            .unwrap_err();
        assert!(!e.to_string().contains("bad"), "{e}");
        let e = compile("endpoint = \"http://x\"\nmax_queue = 0").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("tracing.max_queue"));
    }

    #[test]
    fn header_values_resolve_and_stay_out_of_debug() {
        let s = compile("endpoint = \"http://x\"\nheaders = { \"X-Api-Key\" = \"env:OTEL_KEY\" }")
            .unwrap();
        assert_eq!(s.headers[0].0, "x-api-key");
        assert_eq!(s.headers[0].1.bytes(), b"k3y");
        assert!(!format!("{s:?}").contains("k3y"));
    }
}
