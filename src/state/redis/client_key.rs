//! Client addresses in per-client rate-limit keys: a keyed digest, never the address itself, so
//! Redis (its keys, a dump, a `MONITOR`) holds no client address in clear.
//!
//! The digest is HMAC-SHA-256 over the address's bytes (IPv4-mapped IPv6 as IPv4), truncated to
//! 128 bits (32 hex digits). Its key is `[state] client_key` when set: a secret shared by the
//! replicas (as the Redis password is), without which a reader of Redis cannot tell which address
//! a key belongs to. Without it the key is derived from `prefix`, which keeps addresses out of
//! sight but not secret: whoever knows the prefix (it starts every key) can hash all 2³² IPv4
//! addresses in minutes. Replicas share a budget when they share `prefix` and `client_key` (the
//! same `[state]` section).

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::config::state::StateSettings;

/// Derives per-client key names; the key is never shown (`Debug` omits it).
#[derive(Clone)]
pub struct ClientDigest {
    key: Vec<u8>,
}

impl std::fmt::Debug for ClientDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientDigest(..)")
    }
}

impl ClientDigest {
    /// The digest of `settings`: keyed by `client_key`, else by a key derived from `prefix`.
    pub fn new(settings: &StateSettings) -> Self {
        let key = match &settings.client_key {
            Some(secret) => secret.bytes().to_vec(),
            None => Sha256::new()
                .chain_update(b"hookgate client address key v1\0")
                .chain_update(settings.prefix.as_bytes())
                .finalize()
                .to_vec(),
        };
        ClientDigest { key }
    }

    /// 32 lowercase hex digits standing for `ip` (the same on every replica with this key).
    pub fn of(&self, ip: IpAddr) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        match ip.to_canonical() {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()),
        }
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Secret;

    fn settings(prefix: &str, key: Option<&str>) -> StateSettings {
        let mut s = StateSettings::for_url("redis://127.0.0.1:6379/0").unwrap();
        s.prefix = prefix.into();
        s.client_key = key.map(Secret::literal);
        s
    }

    #[test]
    fn digests_hide_the_address_and_depend_on_the_key() {
        let ip: IpAddr = "198.51.100.77".parse().unwrap();
        let d = ClientDigest::new(&settings("p", None)).of(ip);
        assert_eq!(d.len(), 32);
        assert!(d.chars().all(|c| c.is_ascii_hexdigit()), "{d}");
        // The same on every replica with the same settings; an IPv4-mapped peer is the same client.
        assert_eq!(ClientDigest::new(&settings("p", None)).of(ip), d);
        let mapped: IpAddr = "::ffff:198.51.100.77".parse().unwrap();
        assert_eq!(ClientDigest::new(&settings("p", None)).of(mapped), d);
        // Another prefix or a client_key gives other names.
        assert_ne!(ClientDigest::new(&settings("q", None)).of(ip), d);
        let keyed = ClientDigest::new(&settings("p", Some("0123456789abcdef0123")));
        assert_ne!(keyed.of(ip), d);
        assert_ne!(keyed.of("198.51.100.78".parse().unwrap()), keyed.of(ip));
        assert_eq!(format!("{keyed:?}"), "ClientDigest(..)");
    }
}
