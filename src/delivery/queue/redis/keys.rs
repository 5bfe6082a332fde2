//! Key names. Every key of one route shares the hash tag `{<prefix>:<route>}`, so each script
//! touches one Redis Cluster slot; the route name is percent-encoded (`%`, `:`, `{`, `}`), so no
//! two routes' keys collide and no route name can break out of the tag.

/// The consumer group every replica reads through.
pub const GROUP: &str = "hookgate";

/// The keys of one route's queue.
#[derive(Clone, Debug)]
pub struct RouteKeys {
    /// Stream of live messages (unread, leased or waiting for a retry).
    pub stream: String,
    /// Sorted set: stream ID → due time (ms, Redis clock) of messages waiting for a retry.
    pub due: String,
    /// Hash: delivery ID (32 hex) → meta record (JSON: stream ID, size, attempts, times, error).
    pub meta: String,
    /// Stream of dead letters, bodies included.
    pub dead: String,
    /// Integer: bytes charged by the route's messages (live and dead).
    pub bytes: String,
}

impl RouteKeys {
    pub fn new(prefix: &str, route: &str) -> RouteKeys {
        let escaped = route
            .replace('%', "%25")
            .replace(':', "%3A")
            .replace('{', "%7B")
            .replace('}', "%7D");
        let tag = format!("{{{prefix}:{escaped}}}");
        RouteKeys {
            stream: format!("{tag}:s"),
            due: format!("{tag}:due"),
            meta: format!("{tag}:m"),
            dead: format!("{tag}:d"),
            bytes: format!("{tag}:n"),
        }
    }
}

/// The set of route names that ever queued under `prefix` (how `stats`, `list` and `show` find
/// every route's keys, including routes no longer configured).
pub fn routes_key(prefix: &str) -> String {
    format!("{prefix}:queue:routes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hash_tag_per_route_and_no_escape() {
        let k = RouteKeys::new("hookgate", "erp");
        assert_eq!(k.stream, "{hookgate:erp}:s");
        assert_eq!(k.bytes, "{hookgate:erp}:n");
        let odd = RouteKeys::new("hookgate", "a}:{b%");
        assert_eq!(odd.stream, "{hookgate:a%7D%3A%7Bb%25}:s");
        assert_ne!(
            RouteKeys::new("p", "a:b").stream,
            RouteKeys::new("p:a", "b").stream
        );
    }
}
