//! Stage 4 of 11 — client: who the client is, and whether `allow_ips` admits it. The client is
//! the TCP peer, unless the peer is a trusted proxy — then the right-most `X-Forwarded-For`
//! address that is not itself trusted (nginx's `real_ip_recursive on`). The scheme the client used
//! (`X-Forwarded-Proto` from a trusted proxy, else the listener's) is computed here, once.

use std::net::IpAddr;

use http::HeaderMap;
use pingora::protocols::http::ServerSession;

use super::refusal::Refusal;
use crate::config::model::{canonical, CidrSet};
use crate::gateway::Route;

/// What the request path knows of the client.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// The TCP peer (canonical form); `None` on a non-IP socket.
    pub peer: Option<IpAddr>,
    /// The client address after trusted-proxy resolution.
    pub ip: Option<IpAddr>,
    /// `http` or `https`, as the client used it.
    pub proto: &'static str,
    /// The peer is in `trusted_proxies`: its forwarding headers are believed.
    pub trusted_peer: bool,
}

/// Identifies the client.
pub fn identify(trusted: &CidrSet, listener_tls: bool, session: &ServerSession) -> Client {
    let headers = &session.req_header().headers;
    let peer = session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| canonical(a.ip()));
    let ip = peer.map(|p| client_ip(trusted, p, headers));
    let proto = forwarded_proto(trusted, peer, headers, listener_tls);
    Client {
        peer,
        ip,
        proto,
        trusted_peer: peer.is_some_and(|p| trusted.contains(p)),
    }
}

/// Applies the route's `allow_ips` to the client.
pub fn admit(route: &Route, client: &Client) -> Result<(), Refusal> {
    match &route.config.allow_ips {
        Some(allow) if !client.ip.is_some_and(|ip| allow.contains(ip)) => Err(Refusal::IpDenied),
        _ => Ok(()),
    }
}

/// The client address for a request from `peer`.
pub fn client_ip(trusted: &CidrSet, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    // Every X-Forwarded-For header, in order, forms one list; walk it from the right.
    let hops: Vec<&str> = headers
        .get_all(http::header::HeaderName::from_static("x-forwarded-for"))
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    return ip;
                }
            }
            // An unparseable entry ends the trusted chain: what is left of it is untrusted.
            None => return client,
        }
    }
    client
}

/// The scheme the client used: a trusted proxy's `X-Forwarded-Proto`, else the listener's.
fn forwarded_proto(
    trusted: &CidrSet,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    listener_tls: bool,
) -> &'static str {
    if peer.is_some_and(|ip| trusted.contains(ip)) {
        match headers.get("x-forwarded-proto").map(|v| v.as_bytes()) {
            Some(v) if v.eq_ignore_ascii_case(b"https") => return "https",
            Some(v) if v.eq_ignore_ascii_case(b"http") => return "http",
            _ => {}
        }
    }
    if listener_tls {
        "https"
    } else {
        "http"
    }
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    // "[v6]:port" or "v4:port"
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| canonical(s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    fn trusted() -> CidrSet {
        CidrSet::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ])
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(&trusted(), peer, &headers("1.2.3.4")), peer);
    }

    #[test]
    fn trusted_peer_yields_rightmost_untrusted_hop() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let h = headers("6.6.6.6, 198.51.100.7, 10.0.0.5");
        assert_eq!(
            client_ip(&trusted(), peer, &h),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn trusted_peer_without_header_is_the_client() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(client_ip(&trusted(), peer, &HeaderMap::new()), peer);
    }

    #[test]
    fn ipv4_mapped_ipv6_is_treated_as_ipv4() {
        let peer: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert!(trusted().contains(peer));
        assert_eq!(
            client_ip(&trusted(), peer, &headers("198.51.100.7")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }
}
