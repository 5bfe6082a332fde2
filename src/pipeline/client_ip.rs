//! Who the client is: the TCP peer, unless the peer is a trusted proxy — then the right-most
//! `X-Forwarded-For` address that is not itself trusted (nginx's `real_ip_recursive on`).

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

/// The `[server] trusted_proxies` CIDRs.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a request from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
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
                    if !self.contains(ip) {
                        return ip;
                    }
                }
                // An unparseable entry ends the trusted chain: what is left of it is untrusted.
                None => return client,
            }
        }
        client
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 address, so that an IPv4 CIDR
/// matches it and it cannot be used to slip past one.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
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

    fn trusted() -> TrustedProxies {
        TrustedProxies::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ])
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(trusted().client_ip(peer, &headers("1.2.3.4")), peer);
    }

    #[test]
    fn trusted_peer_yields_rightmost_untrusted_hop() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let h = headers("6.6.6.6, 198.51.100.7, 10.0.0.5");
        assert_eq!(
            trusted().client_ip(peer, &h),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn trusted_peer_without_header_is_the_client() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(trusted().client_ip(peer, &HeaderMap::new()), peer);
    }

    #[test]
    fn ipv4_mapped_ipv6_is_treated_as_ipv4() {
        let peer: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert!(trusted().contains(peer));
        assert_eq!(
            trusted().client_ip(peer, &headers("198.51.100.7")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }
}
