//! The spans of one request and of one delivery attempt. Every span ends when dropped, so an
//! early return (a refusal, a panic unwinding) still ends it.
//!
//! Span names are low-cardinality (OpenTelemetry semantic conventions): the server span
//! `{method} {route path}`, the upstream call `{method}`, the others the stage's name (`verify`,
//! `key_fetch`, `rate_limit`, `dedup.claim`, `dedup.commit`, `dedup.release`, `enqueue`,
//! `deliver`).

use std::net::IpAddr;
use std::sync::Arc;

use http::{HeaderMap, Method};
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanKind, Status, TraceContextExt, TraceId, Tracer as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::Span as SdkSpan;

use super::{propagation, Tracing};

/// What a route's spans say about it, built once per route: span attribute values share these
/// (an `Arc` clone), so a sampled request copies no route string.
#[derive(Clone, Debug)]
pub struct RouteLabels {
    /// `hookgate.route`, `messaging.destination.name`.
    pub name: Arc<str>,
    /// `http.route`.
    pub path: Arc<str>,
    /// `hookgate.provider` (a preset's name).
    pub provider: &'static str,
    /// `server.address` of the upstream call: the upstream's authority.
    pub upstream: Arc<str>,
}

impl RouteLabels {
    pub fn new(name: &str, path: &str, provider: &'static str, upstream: &str) -> Self {
        Self {
            name: name.into(),
            path: path.into(),
            provider,
            upstream: upstream.into(),
        }
    }
}

/// How a request ended, for its server span.
#[derive(Clone, Debug)]
pub struct RequestEnd {
    /// The `outcome` label of `hookgate_requests_total`.
    pub outcome: &'static str,
    /// The status answered (0 when the connection closed without an answer).
    pub status: u16,
    /// `None` when the body was not read.
    pub body_bytes: Option<usize>,
    /// Moved into the span (the request is done with it).
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub client_ip: Option<IpAddr>,
}

/// The server span of one request; children hang off it while it is recorded.
pub struct RequestSpan {
    tracing: Arc<Tracing>,
    span: SdkSpan,
    /// The context children are started in: `Some` only when the span is recorded (a request
    /// that is not sampled starts no child).
    cx: Option<Context>,
}

impl Tracing {
    /// Starts a request's server span. `trusted_peer`: whether the peer is in `trusted_proxies`,
    /// the only case where the request's `traceparent` is its parent.
    pub fn request(
        self: &Arc<Self>,
        method: &Method,
        route: Option<&RouteLabels>,
        headers: &HeaderMap,
        trusted_peer: bool,
    ) -> RequestSpan {
        let parent = match trusted_peer
            .then(|| propagation::extract(headers))
            .flatten()
        {
            Some(remote) => Context::new().with_remote_span_context(remote),
            None => Context::new(),
        };
        // Named by method alone until sampled: a request that is not sampled formats nothing.
        let mut span = self
            .tracer
            .span_builder(method_name(method))
            .with_kind(SpanKind::Server)
            .start_with_context(&self.tracer, &parent);
        let cx = span.is_recording().then(|| {
            span.set_attribute(KeyValue::new("http.request.method", method_name(method)));
            if let Some(r) = route {
                span.update_name(format!("{} {}", method_name(method), r.path));
                span.set_attribute(KeyValue::new("http.route", r.path.clone()));
                span.set_attribute(KeyValue::new("hookgate.route", r.name.clone()));
                span.set_attribute(KeyValue::new("hookgate.provider", r.provider));
            }
            Context::new().with_remote_span_context(span.span_context().clone())
        });
        RequestSpan {
            tracing: self.clone(),
            span,
            cx,
        }
    }

    /// Starts the span of one queued delivery attempt: a trace of its own, linked to the span
    /// that accepted the message (`accepted`: its stored `traceparent`), sampled when that was.
    pub fn attempt(
        self: &Arc<Self>,
        route: &str,
        accepted: Option<&str>,
        delivery_id: &str,
        attempt: u32,
    ) -> AttemptSpan {
        let links = accepted
            .and_then(propagation::parse)
            .map(|sc| vec![Link::with_context(sc)])
            .unwrap_or_default();
        let mut span = self
            .tracer
            .span_builder("deliver")
            .with_kind(SpanKind::Client)
            .with_links(links)
            .start_with_context(&self.tracer, &Context::new());
        if span.is_recording() {
            span.set_attribute(KeyValue::new("hookgate.route", route.to_string()));
            span.set_attribute(KeyValue::new(
                "hookgate.delivery_id",
                delivery_id.to_string(),
            ));
            span.set_attribute(KeyValue::new("hookgate.attempt", i64::from(attempt)));
        }
        AttemptSpan {
            trace: DeliveryTrace {
                tracing: self.clone(),
                context: span.span_context().clone(),
                store_spans: false,
            },
            span,
        }
    }
}

impl RequestSpan {
    /// The request's trace ID (for the audit line).
    pub fn trace_id(&self) -> TraceId {
        self.span.span_context().trace_id()
    }

    /// Starts a child span; `None` when the request is not sampled.
    pub fn child(&self, name: &'static str, kind: SpanKind) -> Option<ChildSpan> {
        let cx = self.cx.as_ref()?;
        let tracer = &self.tracing.tracer;
        Some(ChildSpan(
            tracer
                .span_builder(name)
                .with_kind(kind)
                .start_with_context(tracer, cx),
        ))
    }

    /// Starts the span of what is sent on (the upstream call, or the enqueue), and returns the
    /// context that goes with the delivery: that span's, or the server span's when not sampled.
    pub fn outgoing(
        &self,
        name: &'static str,
        kind: SpanKind,
    ) -> (Option<ChildSpan>, DeliveryTrace) {
        let child = self.child(name, kind);
        let context = match &child {
            Some(c) => c.0.span_context().clone(),
            None => self.span.span_context().clone(),
        };
        let trace = DeliveryTrace {
            tracing: self.tracing.clone(),
            context,
            store_spans: false,
        };
        (child, trace)
    }

    /// Ends the server span with how the request ended.
    pub fn finish(mut self, end: RequestEnd) {
        if !self.span.is_recording() {
            return;
        }
        let span = &mut self.span;
        span.set_attribute(KeyValue::new("hookgate.outcome", end.outcome));
        if end.status != 0 {
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                i64::from(end.status),
            ));
        }
        if let Some(n) = end.body_bytes {
            span.set_attribute(KeyValue::new("http.request.body.size", n as i64));
        }
        if let Some(t) = end.event_type {
            span.set_attribute(KeyValue::new("hookgate.event_type", t));
        }
        if let (true, Some(id)) = (self.tracing.event_id, end.event_id) {
            span.set_attribute(KeyValue::new("hookgate.event_id", id));
        }
        if let Some(ip) = end.client_ip {
            span.set_attribute(KeyValue::new("client.address", ip.to_string()));
        }
        // Server spans are errors only for 5xx (semantic conventions): a refusal is the gateway
        // working, and its outcome says which.
        if end.status >= 500 {
            span.set_status(Status::error(end.outcome));
        }
        span.end();
    }
}

/// A span below the server span (or a delivery's); ends when dropped.
pub struct ChildSpan(SdkSpan);

impl ChildSpan {
    pub fn set(&mut self, attribute: KeyValue) {
        self.0.set_attribute(attribute);
    }

    /// Marks the span failed, with `reason` as its `error.type` and status description.
    pub fn fail(&mut self, reason: &'static str) {
        self.0.set_attribute(KeyValue::new("error.type", reason));
        self.0.set_status(Status::error(reason));
    }
}

/// The trace context a delivery carries: sent upstream as `traceparent`, stored with a queued
/// message, and the parent of the spans that settle the delivery's dedup claim.
#[derive(Clone)]
pub struct DeliveryTrace {
    tracing: Arc<Tracing>,
    context: SpanContext,
    /// Whether the delivery's dedup claim is on the shared store (its settling gets a span).
    store_spans: bool,
}

impl std::fmt::Debug for DeliveryTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DeliveryTrace").field(&self.context).finish()
    }
}

impl DeliveryTrace {
    /// Replaces any `traceparent`/`tracestate` in `headers` with this context.
    pub fn inject(&self, headers: &mut HeaderMap) {
        propagation::inject(&self.context, headers);
    }

    /// This context as a `traceparent` value (what a queued message stores).
    pub fn traceparent(&self) -> Option<String> {
        propagation::traceparent(&self.context)
    }

    /// Says whether the delivery's dedup claim is on the shared store.
    pub fn with_store_spans(mut self, shared: bool) -> Self {
        self.store_spans = shared;
        self
    }

    /// A span for settling the dedup claim on the shared store (`dedup.commit`,
    /// `dedup.release`), when the claim is there and the context is sampled.
    pub fn store_call(&self, name: &'static str) -> Option<ChildSpan> {
        if !self.store_spans {
            return None;
        }
        let mut span = self.child(name, SpanKind::Client)?;
        span.set(KeyValue::new("db.system.name", "redis"));
        Some(span)
    }

    /// Starts a child span when the context is sampled.
    pub fn child(&self, name: &'static str, kind: SpanKind) -> Option<ChildSpan> {
        if !self.context.is_sampled() {
            return None;
        }
        let tracer = &self.tracing.tracer;
        let cx = Context::new().with_remote_span_context(self.context.clone());
        Some(ChildSpan(
            tracer
                .span_builder(name)
                .with_kind(kind)
                .start_with_context(tracer, &cx),
        ))
    }
}

/// The span of one queued delivery attempt.
pub struct AttemptSpan {
    span: SdkSpan,
    /// Sent upstream as the attempt's `traceparent`.
    pub trace: DeliveryTrace,
}

impl AttemptSpan {
    /// Ends the span: `result` is the `result` label of `hookgate_delivery_attempts_total`.
    pub fn finish(mut self, result: &'static str, status: Option<u16>, delivered: bool) {
        if !self.span.is_recording() {
            return;
        }
        self.span
            .set_attribute(KeyValue::new("hookgate.attempt.result", result));
        if let Some(s) = status {
            self.span
                .set_attribute(KeyValue::new("http.response.status_code", i64::from(s)));
        }
        if !delivered {
            self.span.set_status(Status::error(result));
        }
        self.span.end();
    }
}

/// The method as a span name or attribute: the standard ones by name, any other `_OTHER`
/// (semantic conventions; a sender's made-up method would otherwise be a new span name each).
pub fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "_OTHER",
    }
}
