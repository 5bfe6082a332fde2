//! W3C Trace Context (`traceparent`, `tracestate`) in and out of HTTP headers. Incoming headers
//! go through the SDK's `TraceContextPropagator` (it owns the format's parsing rules: versions,
//! all-zero IDs, flags). Outgoing, the one `traceparent` per request is written straight into a
//! stack buffer in the propagator's format (`00-{trace-id}-{parent-id}-{flags}`, W3C Trace
//! Context §3.2): the propagator's path cost a `Context`, a formatted `String` and a header name
//! allocated per request (bench/FINDINGS.md §15); the tests check both write the same bytes.

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;

pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// Length of a version-00 `traceparent`: `00-` + 32 + `-` + 16 + `-` + 2.
const TRACEPARENT_LEN: usize = 55;

const HEX: &[u8; 16] = b"0123456789abcdef";

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

/// Replaces any `traceparent`/`tracestate` in `headers` with `context`'s (none for an invalid
/// context; no `tracestate` when it is empty, which W3C Trace Context §3.3.1.1 allows).
pub fn inject(context: &SpanContext, headers: &mut HeaderMap) {
    headers.remove(TRACESTATE);
    let Some(value) = write_traceparent(context) else {
        headers.remove(TRACEPARENT);
        return;
    };
    // Lowercase hex and dashes: always a valid header value.
    if let Ok(value) = HeaderValue::from_bytes(&value) {
        headers.insert(TRACEPARENT, value);
    }
    let state = context.trace_state().header();
    if !state.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&state) {
            headers.insert(TRACESTATE, value);
        }
    }
}

/// `context` as a `traceparent` value.
pub fn traceparent(context: &SpanContext) -> Option<String> {
    let bytes = write_traceparent(context)?;
    std::str::from_utf8(&bytes).ok().map(str::to_string)
}

/// A trace ID as 32 lowercase hex digits (the audit line's `trace_id`).
pub fn trace_id_hex(id: TraceId) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex_into(&id.to_bytes(), &mut out);
    out
}

/// `00-{trace-id}-{parent-id}-{flags}` for a valid context; the flags carry only `sampled`, as
/// the SDK's propagator writes them.
fn write_traceparent(context: &SpanContext) -> Option<[u8; TRACEPARENT_LEN]> {
    if !context.is_valid() {
        return None;
    }
    let mut out = [b'-'; TRACEPARENT_LEN];
    out[..2].copy_from_slice(b"00");
    hex_into(&context.trace_id().to_bytes(), &mut out[3..35]);
    hex_into(&context.span_id().to_bytes(), &mut out[36..52]);
    let flags = (context.trace_flags() & TraceFlags::SAMPLED).to_u8();
    hex_into(&[flags], &mut out[53..55]);
    Some(out)
}

/// Writes `bytes` as lowercase hex into `out` (`2 * bytes.len()` long).
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0x0f)];
    }
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

    /// What the SDK's `TraceContextPropagator` writes for `context`: the reference the direct
    /// writer must match byte for byte.
    fn sdk_headers(context: &SpanContext) -> std::collections::HashMap<String, String> {
        use opentelemetry::Context;
        let mut out = std::collections::HashMap::new();
        let cx = Context::new().with_remote_span_context(context.clone());
        TraceContextPropagator::new().inject_context(&cx, &mut out);
        out.retain(|_, v| !v.is_empty());
        out
    }

    #[test]
    fn writes_what_the_sdk_propagator_writes() {
        use opentelemetry::trace::{SpanId, TraceState};
        let state = TraceState::from_key_value([("vendor", "v1"), ("other", "x")]).unwrap();
        let mut contexts = vec![SpanContext::empty_context()];
        for (i, flags) in [
            TraceFlags::SAMPLED,
            TraceFlags::default(),
            TraceFlags::new(0xff),
        ]
        .into_iter()
        .enumerate()
        {
            let trace_id =
                TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c_u128 + i as u128);
            let span_id = SpanId::from(0x00b7_ad6b_7169_2033_u64 << i);
            contexts.push(SpanContext::new(
                trace_id,
                span_id,
                flags,
                true,
                TraceState::NONE,
            ));
            contexts.push(SpanContext::new(
                trace_id,
                span_id,
                flags,
                false,
                state.clone(),
            ));
        }
        for context in &contexts {
            let mut headers = HeaderMap::new();
            headers.insert(TRACESTATE, HeaderValue::from_static("vendor=forged"));
            inject(context, &mut headers);
            let ours: std::collections::HashMap<String, String> = headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            assert_eq!(ours, sdk_headers(context), "{context:?}");
            let expected = sdk_headers(context).remove("traceparent");
            assert_eq!(traceparent(context), expected);
        }
    }

    #[test]
    fn trace_id_hex_is_the_32_digit_lowercase_form() {
        for id in [
            0u128,
            1,
            0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c,
            u128::MAX,
        ] {
            let hex = trace_id_hex(TraceId::from(id));
            assert_eq!(std::str::from_utf8(&hex).unwrap(), format!("{id:032x}"));
        }
    }
}
