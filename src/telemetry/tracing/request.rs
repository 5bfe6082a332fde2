//! The spans of one request and of one delivery attempt. Every span ends when dropped, so an
//! early return (a refusal, a panic unwinding) still ends it.
//!
//! Span names are low-cardinality (OpenTelemetry semantic conventions): the server span
//! `{method} {route path}`, the upstream call `{method}`, the others the stage's name (`verify`,
//! `key_fetch`, `rate_limit`, `dedup.claim`, `dedup.commit`, `dedup.release`, `enqueue`,
//! `deliver`).

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use http::{HeaderMap, Method};
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanKind, Status, TraceContextExt, TraceFlags, TraceId,
    TraceState, Tracer as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{IdGenerator as _, Span as SdkSpan};

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
    /// The server span's name for a `POST` (nearly every webhook), formatted once.
    post_name: String,
}

impl RouteLabels {
    pub fn new(name: &str, path: &str, provider: &'static str, upstream: &str) -> Self {
        Self {
            name: name.into(),
            path: path.into(),
            provider,
            upstream: upstream.into(),
            post_name: format!("POST {path}"),
        }
    }

    /// The server span's name, `{method} {route path}`.
    fn span_name(&self, method: &'static str) -> Cow<'static, str> {
        if method == "POST" {
            return Cow::Owned(self.post_name.clone());
        }
        Cow::Owned(format!("{method} {}", self.path))
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
    /// The span's context: the audit line's trace ID, and what is sent on when not sampled.
    context: SpanContext,
    /// `Some` only when sampled: the SDK's span, and the context its children start in.
    recorded: Option<(SdkSpan, Context)>,
}

/// Room for every attribute a server span can get: 4 at its start, up to 6 at its end. Sized up
/// front (only for a sampled request) so the SDK's `Vec` is allocated once, not grown twice.
const SERVER_ATTRIBUTES: usize = 10;

impl Tracing {
    /// Starts a request's server span. `trusted_peer`: whether the peer is in `trusted_proxies`,
    /// the only case where the request's `traceparent` is its parent. The sampling decision comes
    /// first: a request that is not sampled builds no span, only its context (two random IDs).
    pub fn request(
        self: &Arc<Self>,
        method: &Method,
        route: Option<&RouteLabels>,
        headers: &HeaderMap,
        trusted_peer: bool,
    ) -> RequestSpan {
        let remote = trusted_peer
            .then(|| propagation::extract(headers))
            .flatten();
        let trace_id = match &remote {
            Some(parent) => parent.trace_id(),
            None => self.ids.new_trace_id(),
        };
        if !self.sampler.sampled(remote.as_ref(), None, trace_id) {
            let state = remote.map(|p| p.trace_state().clone()).unwrap_or_default();
            return RequestSpan {
                tracing: self.clone(),
                context: self.unsampled(trace_id, state),
                recorded: None,
            };
        }
        let parent = match remote {
            Some(remote) => Context::new().with_remote_span_context(remote),
            None => Context::new(),
        };
        let span = self.server_span(method, route, &parent);
        let context = span.span_context().clone();
        let cx = Context::new().with_remote_span_context(context.clone());
        RequestSpan {
            tracing: self.clone(),
            context,
            recorded: Some((span, cx)),
        }
    }

    /// The recorded server span of a sampled request, with the attributes known at its start.
    fn server_span(
        &self,
        method: &Method,
        route: Option<&RouteLabels>,
        parent: &Context,
    ) -> SdkSpan {
        let method = method_name(method);
        let mut attributes = Vec::with_capacity(SERVER_ATTRIBUTES);
        attributes.push(KeyValue::new("http.request.method", method));
        let name = match route {
            Some(r) => {
                attributes.push(KeyValue::new("http.route", r.path.clone()));
                attributes.push(KeyValue::new("hookgate.route", r.name.clone()));
                attributes.push(KeyValue::new("hookgate.provider", r.provider));
                r.span_name(method)
            }
            None => Cow::Borrowed(method),
        };
        self.tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, parent)
    }

    /// The context of a span that is not sampled: its trace's ID, a new span ID, flags `00`.
    fn unsampled(&self, trace_id: TraceId, state: TraceState) -> SpanContext {
        SpanContext::new(
            trace_id,
            self.ids.new_span_id(),
            TraceFlags::default(),
            false,
            state,
        )
    }

    /// Starts the span of one queued delivery attempt: a trace of its own, linked to the span
    /// that accepted the message (`accepted`: its stored `traceparent`), sampled when that was.
    /// Not sampled, nothing is built but its context.
    pub fn attempt(
        self: &Arc<Self>,
        route: &str,
        accepted: Option<&str>,
        delivery_id: &str,
        attempt: u32,
    ) -> AttemptSpan {
        let linked = accepted.and_then(propagation::parse);
        let trace_id = self.ids.new_trace_id();
        if !self.sampler.sampled(None, linked.as_ref(), trace_id) {
            let context = self.unsampled(trace_id, TraceState::default());
            return AttemptSpan {
                trace: DeliveryTrace::new(self, context),
                span: None,
            };
        }
        let links = linked.map(|sc| vec![Link::with_context(sc)]);
        let attributes = vec![
            KeyValue::new("hookgate.route", route.to_string()),
            KeyValue::new("hookgate.delivery_id", delivery_id.to_string()),
            KeyValue::new("hookgate.attempt", i64::from(attempt)),
        ];
        let mut builder = self
            .tracer
            .span_builder("deliver")
            .with_kind(SpanKind::Client)
            .with_attributes(attributes);
        builder.links = links;
        let span = builder.start_with_context(&self.tracer, &Context::new());
        AttemptSpan {
            trace: DeliveryTrace::new(self, span.span_context().clone()),
            span: Some(span),
        }
    }
}

impl RequestSpan {
    /// The request's trace ID (for the audit line).
    pub fn trace_id(&self) -> TraceId {
        self.context.trace_id()
    }

    /// Starts a child span; `None` when the request is not sampled.
    pub fn child(&self, name: &'static str, kind: SpanKind) -> Option<ChildSpan> {
        let (_, cx) = self.recorded.as_ref()?;
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
            None => self.context.clone(),
        };
        (child, DeliveryTrace::new(&self.tracing, context))
    }

    /// Ends the server span with how the request ended.
    pub fn finish(mut self, end: RequestEnd) {
        let Some((mut span, _)) = self.recorded.take() else {
            return;
        };
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
    fn new(tracing: &Arc<Tracing>, context: SpanContext) -> Self {
        DeliveryTrace {
            tracing: tracing.clone(),
            context,
            store_spans: false,
        }
    }

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
    /// `None` when the attempt is not sampled.
    span: Option<SdkSpan>,
    /// Sent upstream as the attempt's `traceparent`.
    pub trace: DeliveryTrace,
}

impl AttemptSpan {
    /// Ends the span: `result` is the `result` label of `hookgate_delivery_attempts_total`.
    pub fn finish(self, result: &'static str, status: Option<u16>, delivered: bool) {
        let Some(mut span) = self.span else { return };
        span.set_attribute(KeyValue::new("hookgate.attempt.result", result));
        if let Some(s) = status {
            span.set_attribute(KeyValue::new("http.response.status_code", i64::from(s)));
        }
        if !delivered {
            span.set_status(Status::error(result));
        }
        span.end();
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
