//! The queue's Lua scripts, one per state change (each atomic, on one route's keys). Sent by
//! SHA (`EVALSHA`, falling back to `EVAL` after a restart emptied the script cache).

use std::sync::LazyLock;

use redis::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!($file)));
    };
}

script!(APPEND, "append.lua");
script!(LEASE, "lease.lua");
script!(NEXT_DUE, "next_due.lua");
script!(REMOVE, "remove.lua");
script!(RETRY, "retry.lua");
script!(DEAD, "dead.lua");
script!(REPLAY, "replay.lua");
script!(TOUCH, "touch.lua");
script!(RECLAIM, "reclaim.lua");
script!(STATS, "stats.lua");
script!(FORGET, "forget.lua");

/// `ack_lease.lua`: `remove.lua` and `lease.lua` as local functions (their `KEYS` and `ARGV`
/// are the functions' parameters), then the call of both: a worker's ack and next lease in one
/// round trip.
pub static ACK_LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "local function remove(KEYS, ARGV)\n{}\nend\nlocal function lease(KEYS, ARGV)\n{}\nend\n{}",
        include_str!("remove.lua"),
        include_str!("lease.lua"),
        include_str!("ack_lease.lua")
    ))
});
