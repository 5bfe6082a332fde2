//! The request header sent upstream: the original headers, minus hop-by-hop ones, plus the
//! `X-Forwarded-*` and `X-Hookgate-*` headers, with the body's exact length.
//!
//! Forwarding headers a sender could forge to steer the app ([`FORWARDING`]) are believed only
//! from a trusted proxy (`trusted_proxies`): from one, `X-Forwarded-For` is appended to and the
//! others pass on as sent; from anyone else `X-Forwarded-For` becomes the peer's address,
//! `X-Forwarded-Proto` the listener's scheme, `X-Forwarded-Host` the request's `Host`, and
//! `X-Real-IP` and `Forwarded` are removed.

use std::net::IpAddr;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use pingora::http::RequestHeader;

use super::forward::{connection_tokens, HOP_BY_HOP};
use super::UpstreamHead;
use crate::config::model::RouteConfig;

pub struct ForwardContext<'a> {
    /// The TCP peer (appended to `X-Forwarded-For`, as nginx's `$proxy_add_x_forwarded_for`).
    pub peer_ip: Option<IpAddr>,
    /// Whether the peer is in `trusted_proxies` (its forwarding headers are believed).
    pub trusted_peer: bool,
    /// `http` or `https`: the scheme the client used (trusted `X-Forwarded-Proto` already applied).
    pub proto: &'static str,
    /// The request's authority (RFC 9110 §7.2): HTTP/2's `:authority` or an absolute-form
    /// target's, else `Host`. It becomes `X-Forwarded-Host` (unless a trusted proxy sent one).
    pub host: Option<&'a str>,
    pub event_id: Option<&'a str>,
    pub body_len: usize,
}

/// A route's header values that do not change per request (`Host`, `X-Hookgate-Route`), made
/// once when the route is built: each request then clones them (a reference count), where making
/// them per request allocated two values.
#[derive(Debug, Clone, Default)]
pub struct RouteHeaders {
    /// The upstream's authority as `Host`; `None` if it is not a valid header value (then each
    /// request fails as [`build`] says).
    host: Option<HeaderValue>,
    /// The route's name as `X-Hookgate-Route`; `None` likewise.
    route: Option<HeaderValue>,
}

impl RouteHeaders {
    pub fn of(route: &RouteConfig) -> RouteHeaders {
        RouteHeaders {
            host: value(&route.upstream.authority).ok(),
            route: value(&route.name).ok(),
        }
    }
}

/// The head to send upstream for `original`, received on `route` (whose fixed values are
/// `fixed`, [`RouteHeaders::of`] the same route).
///
/// Errors: a configured value that is not a valid header value (a gateway fault: 502).
pub fn build(
    original: &RequestHeader,
    route: &RouteConfig,
    fixed: &RouteHeaders,
    ctx: &ForwardContext<'_>,
) -> Result<UpstreamHead, http::Error> {
    let query = original.uri.query();
    let mut path = route.upstream.path_and_query.clone();
    if let Some(q) = query {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(q);
    }
    let mut headers = kept_headers(&original.headers, ctx.trusted_peer);
    let host = match &fixed.host {
        Some(host) => host.clone(),
        None => value(&route.upstream.authority)?,
    };
    headers.insert(http::header::HOST, host);
    // A GET or HEAD goes with no body and so with no length (its signature is over the URL).
    if ctx.body_len > 0 || !crate::request::s03_method::bodyless(&original.method) {
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(ctx.body_len),
        );
    }

    if let Some(ip) = ctx.peer_ip {
        headers.insert(
            X_FORWARDED_FOR,
            forwarded_for(original, ip, ctx.trusted_peer)?,
        );
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(ctx.proto));
    if !headers.contains_key(X_FORWARDED_HOST) {
        if let Some(host) = ctx.host {
            headers.insert(X_FORWARDED_HOST, value(host)?);
        }
    }
    let name = match &fixed.route {
        Some(name) => name.clone(),
        None => value(&route.name)?,
    };
    headers.insert(X_HOOKGATE_ROUTE, name);
    headers.insert(
        X_HOOKGATE_PROVIDER,
        HeaderValue::from_static(route.provider()),
    );
    if let Some(id) = ctx.event_id {
        if let Ok(v) = HeaderValue::from_str(id) {
            headers.insert(X_HOOKGATE_EVENT_ID, v);
        }
    }
    Ok(UpstreamHead {
        method: original.method.clone(),
        path_and_query: path,
        query: query.map(str::to_string),
        headers,
    })
}

/// The client's headers that go upstream: all but hop-by-hop ones (and those `Connection`
/// nominates), `Host` and `Content-Length` (set anew), the gateway's own `X-Hookgate-*`, and
/// forwarding headers unless a trusted proxy sent them.
fn kept_headers(original: &HeaderMap, trusted_peer: bool) -> HeaderMap {
    // Built fresh rather than cloned-then-pruned: copying kept headers is a refcount bump each.
    let mut headers = HeaderMap::with_capacity(original.len() + 8);

    // Headers the client nominated in `Connection` are hop-by-hop too (rare: only then allocate).
    let mut nominated = connection_tokens(original);
    // A client may not use `Connection` to strip what the gateway vouches for.
    nominated.retain(|t| !PROTECTED.contains(&t.as_str()));
    for (name, value) in original.iter() {
        let n = name.as_str();
        let replaced = matches!(n, "host" | "content-length")
            || (FORWARDING.contains(&n) && !(trusted_peer && PASSED_FROM_TRUSTED.contains(&n)));
        // Nothing the sender wrote may pass for the gateway's own headers.
        if replaced
            || HOP_BY_HOP.contains(&n)
            || n.starts_with("x-hookgate-")
            || nominated.iter().any(|t| t == n)
        {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    headers
}

/// `X-Forwarded-For`: a trusted proxy's list with the peer `ip` appended, else the peer alone.
fn forwarded_for(
    original: &RequestHeader,
    ip: IpAddr,
    trusted_peer: bool,
) -> Result<HeaderValue, http::Error> {
    let earlier: Vec<&str> = if trusted_peer {
        original
            .headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
            .collect()
    } else {
        Vec::new()
    };
    if earlier.is_empty() {
        return ip_value(ip);
    }
    value(&format!("{}, {ip}", earlier.join(", ")))
}

/// `ip` as a header value, formatted on the stack (one allocation, the value's own).
fn ip_value(ip: IpAddr) -> Result<HeaderValue, http::Error> {
    use std::io::Write;
    // The longest IPv6 text form is 45 bytes.
    let mut text = [0u8; 64];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    let _ = write!(cursor, "{ip}");
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    Ok(HeaderValue::from_bytes(
        text.get(..len).unwrap_or_default(),
    )?)
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_HOOKGATE_ROUTE: HeaderName = HeaderName::from_static("x-hookgate-route");
const X_HOOKGATE_PROVIDER: HeaderName = HeaderName::from_static("x-hookgate-provider");
const X_HOOKGATE_EVENT_ID: HeaderName = HeaderName::from_static("x-hookgate-event-id");

fn value(text: &str) -> Result<HeaderValue, http::Error> {
    Ok(HeaderValue::from_str(text)?)
}

/// Forwarding headers a sender could forge to steer the app (PRODUCT.md).
pub const FORWARDING: &[&str] = &[
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
    "forwarded",
];

/// Of [`FORWARDING`], those a trusted proxy's values pass on as sent (`X-Forwarded-For` is
/// rebuilt with the peer appended; `X-Forwarded-Proto` is re-derived in stage 4).
const PASSED_FROM_TRUSTED: &[&str] = &["x-forwarded-host", "x-real-ip", "forwarded"];

const PROTECTED: &[&str] = &[
    "host",
    "content-length",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "forwarded",
];
