//! Whether the upstream host names resolve on this machine now. Only a notice: the gateway
//! resolves them when it connects ([`crate::delivery::resolve`]), and a name that exists only
//! where the gateway runs (a compose service, a Kubernetes Service created later) is normal.

use std::collections::HashSet;
use std::net::{IpAddr, ToSocketAddrs};
use std::time::Duration;

use super::{Config, ConfigNotice};

/// How long a resolved address is used before the name is looked up again (the gateway's
/// resolver, [`crate::delivery::resolve`], reads it; the notice below quotes it).
pub const RESOLVE_TTL: Duration = Duration::from_secs(30);

/// One notice per route whose upstream host (not an IP literal) does not resolve here, naming
/// the file, route, key `upstream`, host and the resolver's reason. Blocking: one system lookup
/// per distinct host.
pub fn unresolvable_upstreams(config: &Config) -> Vec<ConfigNotice> {
    let file = config.source.display().to_string();
    let mut checked = HashSet::new();
    let mut notices = Vec::new();
    for route in &config.routes {
        let (host, port) = (&route.upstream.host, route.upstream.port);
        if host.parse::<IpAddr>().is_ok() || !checked.insert((host.clone(), port)) {
            continue;
        }
        let failure = match (host.as_str(), port).to_socket_addrs() {
            Ok(addrs) if addrs.len() > 0 => continue,
            Ok(_) => "no address".to_string(),
            Err(e) => e.to_string(),
        };
        notices.push(ConfigNotice::route(
            &file,
            &route.name,
            "upstream",
            format!(
                "host {host} does not resolve on this machine ({failure}); the gateway resolves \
                 it when it connects (answers cached {}s) and answers 502 while it does not",
                RESOLVE_TTL.as_secs()
            ),
        ));
    }
    notices
}
