//! The request header sent upstream: the original headers, minus hop-by-hop ones, plus the
//! `X-Forwarded-*` and `X-Hookgate-*` headers, with the body's exact length.

use std::net::IpAddr;

use pingora::http::RequestHeader;

use super::forward::{connection_tokens, HOP_BY_HOP};
use crate::config::compiled::Route;

pub struct ForwardContext<'a> {
    /// The TCP peer (appended to `X-Forwarded-For`, as nginx's `$proxy_add_x_forwarded_for`).
    pub peer_ip: Option<IpAddr>,
    /// `http` or `https`: the scheme the client used (trusted `X-Forwarded-Proto` already applied).
    pub proto: &'a str,
    pub event_id: Option<&'a str>,
    pub body_len: usize,
}

pub fn build(
    original: &RequestHeader,
    route: &Route,
    ctx: &ForwardContext<'_>,
) -> pingora::Result<Box<RequestHeader>> {
    let query = original.uri.query();
    let mut path = route.upstream.path_and_query.clone();
    if let Some(q) = query {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(q);
    }
    // Built fresh rather than cloned-then-pruned: copying kept headers is a refcount bump each.
    let mut req = Box::new(RequestHeader::build_no_case(
        original.method.clone(),
        path.as_bytes(),
        Some(original.headers.len() + 8),
    )?);

    // Headers the client nominated in `Connection` are hop-by-hop too (rare: only then allocate).
    let mut nominated = connection_tokens(&original.headers);
    // A client may not use `Connection` to strip what the gateway vouches for.
    nominated.retain(|t| !PROTECTED.contains(&t.as_str()));
    for (name, value) in original.headers.iter() {
        let n = name.as_str();
        let replaced = matches!(
            n,
            "host" | "content-length" | "x-forwarded-for" | "x-forwarded-proto"
        );
        // Nothing the sender wrote may pass for the gateway's own headers.
        if replaced
            || HOP_BY_HOP.contains(&n)
            || n.starts_with("x-hookgate-")
            || nominated.iter().any(|t| t == n)
        {
            continue;
        }
        req.append_header(name.clone(), value.clone())?;
    }

    req.insert_header("host", route.upstream.authority.as_str())?;
    req.insert_header("content-length", ctx.body_len.to_string())?;

    if let Some(ip) = ctx.peer_ip {
        let forwarded_for = match original
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
        {
            v if v.is_empty() => ip.to_string(),
            v => format!("{}, {ip}", v.join(", ")),
        };
        req.insert_header("x-forwarded-for", forwarded_for)?;
    }
    req.insert_header("x-forwarded-proto", ctx.proto)?;
    if let Some(host) = original.headers.get(http::header::HOST) {
        if req.headers.get("x-forwarded-host").is_none() {
            req.insert_header("x-forwarded-host", host.clone())?;
        }
    }
    req.insert_header("x-hookgate-route", route.name.as_str())?;
    req.insert_header("x-hookgate-provider", route.provider)?;
    if let Some(id) = ctx.event_id {
        if let Ok(value) = http::HeaderValue::from_str(id) {
            req.insert_header("x-hookgate-event-id", value)?;
        }
    }
    Ok(req)
}

const PROTECTED: &[&str] = &[
    "host",
    "content-length",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
];
