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
