//! W3C Trace Context (`traceparent`, `tracestate`) in and out of HTTP headers, through the SDK's
//! `TraceContextPropagator` (it owns the format's parsing rules: versions, all-zero IDs, flags).

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;

pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// The remote parent a request's headers name, if they name a valid one.
pub fn extract(headers: &HeaderMap) -> Option<SpanContext> {
    // A header sent twice is ambiguous (W3C Trace Context §3.2.2.1 lets a receiver drop it).
    if headers.get_all(TRACEPARENT).iter().count() != 1 {
        return None;
    }
    let cx = TraceContextPropagator::new().extract(&Headers(headers));
    let span_context = cx.span().span_context().clone();
    span_context.is_valid().then_some(span_context)
}

/// The remote parent in a stored `traceparent` value (a queued message's accepting span).
pub fn parse(traceparent: &str) -> Option<SpanContext> {
    let mut headers = HeaderMap::new();
    headers.insert(TRACEPARENT, HeaderValue::from_str(traceparent).ok()?);
    extract(&headers)
}

/// Replaces any `traceparent`/`tracestate` in `headers` with `context`'s.
pub fn inject(context: &SpanContext, headers: &mut HeaderMap) {
    headers.remove(TRACEPARENT);
    headers.remove(TRACESTATE);
    let cx = Context::new().with_remote_span_context(context.clone());
    TraceContextPropagator::new().inject_context(&cx, &mut HeadersMut(headers));
}

/// `context` as a `traceparent` value.
pub fn traceparent(context: &SpanContext) -> Option<String> {
    let mut headers = HeaderMap::new();
    inject(context, &mut headers);
    headers
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        // An empty `tracestate` is not sent (W3C Trace Context §3.3.1.1 allows leaving it out).
        if value.is_empty() {
            return;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn round_trips_and_refuses_invalid_or_repeated() {
        let cx = parse(PARENT).unwrap();
        assert!(cx.is_sampled() && cx.is_remote());
        assert_eq!(traceparent(&cx).as_deref(), Some(PARENT));
        assert!(parse("00-00000000000000000000000000000000-b7ad6b7169203331-01").is_none());
        assert!(parse("garbage").is_none());
        let mut twice = HeaderMap::new();
        twice.append(TRACEPARENT, HeaderValue::from_static(PARENT));
        twice.append(TRACEPARENT, HeaderValue::from_static(PARENT));
        assert!(extract(&twice).is_none());
    }

    #[test]
    fn inject_replaces_what_the_sender_wrote() {
        let mut headers = HeaderMap::new();
        headers.insert(TRACEPARENT, HeaderValue::from_static("00-forged"));
        headers.insert(TRACESTATE, HeaderValue::from_static("vendor=forged"));
        inject(&parse(PARENT).unwrap(), &mut headers);
        assert_eq!(headers.get(TRACEPARENT).unwrap(), PARENT);
        assert!(headers.get(TRACESTATE).is_none());
    }
}
