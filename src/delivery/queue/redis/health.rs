//! What the queue's Redis says about its own durability, read by `hookgate check` and logged at
//! start-up: `INFO persistence` (`aof_enabled`), `INFO memory` (`maxmemory_policy`), `INFO
//! replication` (`connected_slaves`), and `CONFIG GET appendfsync` / `no-appendfsync-on-rewrite`
//! (not in `INFO`). `CONFIG` is often refused (ACL without `config`, managed services): the
//! finding then says the fsync policy is unknown rather than guessing.

use std::time::Duration;

use crate::config::queue::RedisQueueSettings;
use crate::config::state::redact_secret;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Worth knowing (what the 202 means with this setting).
    Note,
    /// Acknowledged messages can be lost in a way the operator may not expect.
    Warn,
    /// The server will silently delete queued messages (`allkeys-*` eviction): refuse.
    Refuse,
}

/// One thing the server's settings mean for queued messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub message: String,
}

fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// Findings from the `INFO` sections' text and the `CONFIG GET` answers (`None`: not permitted).
pub fn judge(
    info: &str,
    appendfsync: Option<&str>,
    no_fsync_on_rewrite: Option<&str>,
    min_replicas: u32,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut say = |level, message: String| out.push(Finding { level, message });
    if let Some(policy) = info_field(info, "maxmemory_policy") {
        if policy.starts_with("allkeys-") {
            say(Level::Refuse, format!("maxmemory-policy is {policy}: under memory pressure Redis evicts queue streams with every message in them; use noeviction or volatile-* (queue keys never expire, dedup and rate-limit keys always do) or a separate Redis for the queue"));
        }
    }
    match info_field(info, "aof_enabled") {
        Some("1") => match appendfsync {
            Some("always") => say(Level::Note, "appendonly yes, appendfsync always: a 202 means the message was fsynced to the AOF".into()),
            Some("everysec") => say(Level::Note, "appendonly yes, appendfsync everysec: a Redis crash loses nothing acknowledged, an OS crash or power loss up to ~1-2 s of acknowledged messages; appendfsync always closes that window".into()),
            Some(other) => say(Level::Warn, format!("appendfsync {other}: an OS crash or power loss loses acknowledged messages the kernel had not written yet")),
            None => say(Level::Note, "fsync policy unknown (CONFIG not permitted): durability depends on the provider's persistence setting".into()),
        },
        Some(_) => say(Level::Warn, "persistence: appendonly is off: a Redis restart loses every message acknowledged since the last RDB snapshot (all of them without one); set appendonly yes".into()),
        None => say(Level::Warn, "INFO persistence not permitted or unreadable: persistence unknown".into()),
    }
    if no_fsync_on_rewrite == Some("yes") {
        say(Level::Warn, "no-appendfsync-on-rewrite yes: fsyncs are skipped while a rewrite or snapshot runs (up to ~30 s of acknowledged messages at risk)".into());
    }
    let replicas: u32 = info_field(info, "connected_slaves")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if min_replicas > replicas {
        say(Level::Warn, format!("min_replicas_acked = {min_replicas} but {replicas} replica(s) connected: every append will answer 503 until enough replicas are"));
    }
    out
}

/// Reads the server's settings and judges them.
///
/// Errors: the server cannot be reached or refuses `INFO` (text without the password).
pub async fn inspect(
    settings: &RedisQueueSettings,
    budget: Duration,
) -> Result<Vec<Finding>, String> {
    let password = settings.url.password();
    let redact = |e: redis::RedisError| redact_secret(&e.to_string(), password.as_deref());
    let work = async {
        let client = redis::Client::open(settings.url.expose()).map_err(redact)?;
        let mut c = client
            .get_multiplexed_async_connection()
            .await
            .map_err(redact)?;
        let mut info = String::new();
        for section in ["persistence", "memory", "replication"] {
            let text: String = redis::cmd("INFO")
                .arg(section)
                .query_async(&mut c)
                .await
                .map_err(redact)?;
            info.push_str(&text);
        }
        let config = |name: &'static str| {
            let mut c = c.clone();
            async move {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query_async::<Vec<String>>(&mut c)
                    .await
                    .ok()
                    .and_then(|v| v.get(1).cloned())
            }
        };
        let fsync = config("appendfsync").await;
        let rewrite = config("no-appendfsync-on-rewrite").await;
        Ok(judge(
            &info,
            fsync.as_deref(),
            rewrite.as_deref(),
            settings.min_replicas_acked,
        ))
    };
    tokio::time::timeout(budget, work)
        .await
        .map_err(|_| format!("no answer within {budget:?}"))?
}

/// `hookgate check`'s report on the queue's Redis: one line per finding, and whether the
/// configuration must be refused (`allkeys-*` eviction). An unreachable server is a note, not a
/// failure (check may run where Redis is not reachable).
pub fn check_report(settings: &RedisQueueSettings) -> (String, bool) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return (format!("queue redis: not inspected ({e})\n"), false),
    };
    match runtime.block_on(inspect(settings, Duration::from_secs(3))) {
        Ok(findings) => {
            let refused = findings.iter().any(|f| f.level == Level::Refuse);
            let text = findings
                .iter()
                .map(|f| {
                    let word = match f.level {
                        Level::Note => "note",
                        Level::Warn => "warning",
                        Level::Refuse => "error",
                    };
                    format!("queue redis {}: {word}: {}\n", settings.url.redacted(), f.message)
                })
                .collect();
            (text, refused)
        }
        Err(e) => (
            format!(
                "queue redis {}: not inspected ({e}); persistence and eviction settings unchecked\n",
                settings.url.redacted()
            ),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_is_refused_and_persistence_judged() {
        let info = "# Persistence\r\naof_enabled:0\r\n# Memory\r\nmaxmemory_policy:allkeys-lru\r\n";
        let f = judge(info, None, None, 0);
        assert_eq!(f[0].level, Level::Refuse);
        assert!(f[0].message.contains("allkeys-lru"));
        assert_eq!(f[1].level, Level::Warn);
        assert!(f[1].message.contains("appendonly is off"));

        let info = "aof_enabled:1\r\nmaxmemory_policy:noeviction\r\nconnected_slaves:0\r\n";
        let f = judge(info, Some("everysec"), Some("no"), 1);
        assert_eq!(f[0].level, Level::Note);
        assert!(f[0].message.contains("everysec"));
        assert_eq!(f[1].level, Level::Warn);
        assert!(f[1].message.contains("min_replicas_acked"));
        let f = judge(info, None, None, 0);
        assert!(f[0].message.contains("CONFIG not permitted"), "{f:?}");
    }
}
