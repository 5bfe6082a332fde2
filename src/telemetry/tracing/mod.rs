//! OpenTelemetry traces (`[tracing]`): one server span per webhook request, children for the
//! stages that wait on something (key fetch, the shared store, the upstream or the queue), and
//! for queued routes one span per delivery attempt, linked to the request that was accepted.
//!
//! Off (no `[tracing]`) the request path holds a `None` and does nothing else: no span, no
//! allocation, no header. On, the sampling decision is taken first ([`sampler`]); a request that
//! is not sampled builds no span, only its context (two random IDs, and the `traceparent` sent
//! upstream, so the app follows the same decision).
//!
//! Trace context (`traceparent`/`tracestate`, W3C Trace Context) is believed only from
//! `trusted_proxies`, like every forwarding header: from anyone on the internet it would let a
//! sender choose trace IDs, join its own traces to the operator's, and force every request to
//! be sampled. From an untrusted peer the request starts a new trace, and the upstream gets the
//! gateway's `traceparent` in place of the sender's.
//!
//! Spans never carry a secret, a signature, a header value or the body; the event ID only when
//! `event_id = true` (it can identify a customer).

pub mod export;
pub mod http_client;
pub mod propagation;
pub mod request;
pub mod sampler;

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::trace::{
    RandomIdGenerator, SdkTracer, SdkTracerProvider, SpanExporter as _,
};
use opentelemetry_sdk::Resource;
use prometheus::Registry;

use crate::config::tracing::{OtlpProtocol, TracingSettings};
use export::{DynExporter, ExportCounters};

pub use request::{AttemptSpan, ChildSpan, DeliveryTrace, RequestEnd, RequestSpan, RouteLabels};

/// The instrumentation scope of every span.
const SCOPE: &str = "hookgate";

/// A running tracer: the SDK provider (sampler, IDs) feeding the export thread.
pub struct Tracing {
    tracer: SdkTracer,
    provider: SdkTracerProvider,
    /// Whether spans carry `hookgate.event_id`.
    event_id: bool,
    /// The sampling decision, taken before a span is built.
    sampler: sampler::WebhookSampler,
    /// IDs of the spans that are not sampled (the SDK draws those of the sampled ones).
    ids: RandomIdGenerator,
    /// The export pipeline's counters (also in the gateway's registry).
    pub counters: ExportCounters,
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracing")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

impl Tracing {
    /// Starts the export thread and the tracer for `settings`, registering the export counters
    /// in `registry`. Errors: the exporter could not be built (the message names the cause, never
    /// a header value).
    pub fn start(settings: &TracingSettings, registry: &Registry) -> Result<Arc<Tracing>, String> {
        let counters = ExportCounters::register(registry)
            .map_err(|e| format!("cannot register the trace export metrics: {e}"))?;
        let resource = Resource::builder()
            .with_attribute(KeyValue::new("service.name", settings.service_name.clone()))
            .build();
        let exporter_resource = resource.clone();
        let processor = export::start(
            settings,
            counters.clone(),
            Box::new(move |s: &TracingSettings| build_exporter(s, &exporter_resource)),
        )?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_sampler(sampler::decided())
            .with_resource(resource)
            .build();
        let tracer = provider.tracer(SCOPE);
        Ok(Arc::new(Tracing {
            tracer,
            provider,
            event_id: settings.event_id,
            sampler: sampler::WebhookSampler::new(settings.sample_ratio),
            ids: RandomIdGenerator::default(),
            counters,
        }))
    }

    /// Exports what is queued and stops the export thread, waiting at most `timeout` (at exit).
    pub fn shutdown(&self, timeout: Duration) {
        if let Err(e) = self.provider.shutdown_with_timeout(timeout) {
            ::tracing::warn!(error = %e, "trace export did not finish before exit");
        }
    }

    /// Exports what is queued now (tests, and before a planned stop).
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }
}

/// The OTLP exporter for `settings`, built on the export thread's runtime.
fn build_exporter(
    settings: &TracingSettings,
    resource: &Resource,
) -> Result<Box<dyn DynExporter>, String> {
    let built = match settings.protocol {
        OtlpProtocol::HttpProtobuf => {
            let client = reqwest::Client::builder()
                .timeout(settings.timeout)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            let headers = settings
                .headers
                .iter()
                .filter_map(|(n, v)| Some((n.clone(), v.as_str()?.to_string())))
                .collect();
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(http_client::ReqwestClient(client))
                .with_endpoint(settings.endpoint.clone())
                .with_timeout(settings.timeout)
                .with_headers(headers)
                .build()
        }
        OtlpProtocol::Grpc => {
            let mut headers = http::HeaderMap::new();
            for (name, value) in &settings.headers {
                if let (Ok(n), Ok(v)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    http::HeaderValue::from_bytes(value.bytes()),
                ) {
                    headers.insert(n, v);
                }
            }
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(settings.endpoint.clone())
                .with_timeout(settings.timeout)
                .with_metadata(
                    opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers),
                )
                .build()
        }
    };
    let mut exporter = built.map_err(|e| format!("cannot build the OTLP exporter: {e}"))?;
    exporter.set_resource(resource);
    Ok(Box::new(exporter))
}
