//! The per-route `allow_ips` check.

use std::net::IpAddr;

use ipnet::IpNet;

use super::client_ip::canonical;

#[derive(Debug, Clone)]
pub struct IpAllowlist(Vec<IpNet>);

impl IpAllowlist {
    pub fn new(nets: Vec<IpNet>) -> Self {
        IpAllowlist(nets)
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_v6_and_mapped_addresses() {
        let list = IpAllowlist::new(vec![
            "3.130.192.0/24".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ]);
        assert!(list.allows("3.130.192.7".parse().unwrap()));
        assert!(!list.allows("3.130.193.7".parse().unwrap()));
        assert!(list.allows("2001:db8::1".parse().unwrap()));
        assert!(list.allows("::ffff:3.130.192.7".parse().unwrap()));
        assert!(!list.allows("::ffff:3.130.193.7".parse().unwrap()));
    }
}
