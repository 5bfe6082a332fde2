//! How a verified request reaches its upstream. Queued delivery ([`queue`]) acknowledges the
//! provider once the request is durable and delivers it in the background, at least once.

pub mod queue;
