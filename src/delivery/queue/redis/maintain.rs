//! The background pass each process runs while it leases: every tick (1 s, or a third of
//! `lease_timeout` if shorter) it refreshes its own leases (`touch.lua`: a live replica's leases
//! never expire, however long an attempt takes) and reclaims leases idle for `lease_timeout`
//! (`reclaim.lua`: their replica stopped refreshing them, so it died; they are due again for any
//! replica). Every [`consumer_idle`] it also deletes the consumers of replicas that are gone
//! (`forget.lua`: no pending entry, idle past that bound), so the group does not keep one
//! consumer per process that ever ran. Started by the first lease; ends when the queue is
//! dropped.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::keys::{routes_key, GROUP};
use super::scripts;
use super::store::{lock, Inner};

/// The longest pause between two passes.
const MAX_TICK: Duration = Duration::from_secs(1);

impl Inner {
    /// Notes that this process leases from `route` and starts the pass once.
    pub fn start_maintenance(self: &Arc<Self>, route: &str) {
        if !lock(&self.active).contains(route) {
            lock(&self.active).insert(route.to_string());
        }
        if !self.maintaining.swap(true, Ordering::AcqRel) {
            tokio::spawn(maintain(Arc::downgrade(self)));
        }
    }

    /// Refreshes this process's leases on `route`; forgets those it lost.
    async fn touch(&self, route: &str, sids: Vec<String>) {
        let (stream, consumer, sids) = (&self.keys(route).stream, &self.consumer, &sids);
        let lost = self
            .work_call("maintain", move |mut c| async move {
                let mut call = scripts::TOUCH.prepare_invoke();
                call.key(stream).arg(GROUP).arg(consumer).arg(sids);
                call.invoke_async::<Vec<String>>(&mut c).await
            })
            .await;
        match lost {
            Ok(lost) if !lost.is_empty() => {
                tracing::warn!(route, leases = lost.len(), "queue leases lost (taken over after lease_timeout); their outcome will not be recorded");
                lock(&self.held).retain(|_, h| !(h.route == route && lost.contains(&h.sid)));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(route, error = %e.into_queue(), "queue lease refresh failed"),
        }
    }

    /// Makes `route`'s expired leases due again; returns how many.
    async fn reclaim(&self, route: &str) -> u64 {
        let k = &self.keys(route);
        let lease_ms = self.lease_timeout.as_millis() as u64;
        let reclaimed = self
            .work_call("maintain", move |mut c| async move {
                let mut call = scripts::RECLAIM.prepare_invoke();
                call.key(&k.stream).key(&k.due).key(&k.meta);
                call.arg(GROUP).arg(lease_ms);
                call.invoke_async::<u64>(&mut c).await
            })
            .await;
        match reclaimed {
            Ok(0) => 0,
            Ok(n) => {
                tracing::warn!(
                    route,
                    leases = n,
                    "queue leases expired (a replica stopped refreshing them): due again"
                );
                self.conns.metrics.takeovers(route, n);
                n
            }
            Err(e) => {
                tracing::warn!(route, error = %e.into_queue(), "queue lease reclaim failed");
                0
            }
        }
    }

    /// Puts `routes` back in the routes set: a set lost with the rest of Redis's data (a
    /// `FLUSHALL`, a restart without persistence) would hide every message appended since from
    /// `queue stats|list|show`, the admin API and other routes' `max_bytes` budget (appends
    /// register a route once per process).
    async fn reregister(&self, routes: &[String]) {
        if routes.is_empty() {
            return;
        }
        let key = &routes_key(&self.prefix);
        let added = self
            .work_call("maintain", move |mut c| async move {
                redis::cmd("SADD")
                    .arg(key)
                    .arg(routes)
                    .query_async::<()>(&mut c)
                    .await
            })
            .await;
        if let Err(e) = added {
            tracing::warn!(error = %e.into_queue(), "queue routes set refresh failed");
        }
    }

    /// Deletes `route`'s consumers idle past [`consumer_idle`] that hold no lease.
    async fn forget_consumers(&self, route: &str) {
        let (stream, consumer) = (&self.keys(route).stream, &self.consumer);
        let idle_ms = consumer_idle(self.lease_timeout).as_millis() as u64;
        let deleted = self
            .work_call("maintain", move |mut c| async move {
                let mut call = scripts::FORGET.prepare_invoke();
                call.key(stream).arg(GROUP).arg(consumer).arg(idle_ms);
                call.invoke_async::<u64>(&mut c).await
            })
            .await;
        match deleted {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(
                    route,
                    consumers = n,
                    "queue consumers of stopped replicas deleted"
                );
                self.conns.metrics.consumers_deleted(route, n);
            }
            Err(e) => {
                tracing::warn!(route, error = %e.into_queue(), "queue consumer clean-up failed")
            }
        }
    }

    /// Whether this pass runs the consumer clean-up (once per [`consumer_idle`]).
    fn forget_due(&self) -> bool {
        let mut last = lock(&self.last_forget);
        let due = last.is_none_or(|at| at.elapsed() >= consumer_idle(self.lease_timeout));
        if due {
            *last = Some(Instant::now());
        }
        due
    }

    async fn pass(&self) {
        let mut held: HashMap<String, Vec<String>> = HashMap::new();
        for h in lock(&self.held).values() {
            held.entry(h.route.clone()).or_default().push(h.sid.clone());
        }
        for (route, sids) in held {
            self.touch(&route, sids).await;
        }
        let routes: Vec<String> = lock(&self.active).iter().cloned().collect();
        self.reregister(&routes).await;
        for route in &routes {
            let reclaimed = self.reclaim(route).await;
            self.wakeups
                .due(route, usize::try_from(reclaimed).unwrap_or(usize::MAX));
        }
        if self.forget_due() {
            for route in &routes {
                self.forget_consumers(route).await;
            }
        }
    }
}

/// How long a consumer with no lease must have been idle before it is deleted: 3 ×
/// `lease_timeout` (60 s by default). A live replica polls every second or sooner, so only a
/// stopped one stays idle that long; one deleted anyway is recreated by its next read.
pub fn consumer_idle(lease_timeout: Duration) -> Duration {
    lease_timeout * 3
}

async fn maintain(queue: Weak<Inner>) {
    loop {
        let tick = match queue.upgrade() {
            Some(q) => (q.lease_timeout / 3).min(MAX_TICK),
            None => return,
        };
        tokio::time::sleep(tick).await;
        let Some(q) = queue.upgrade() else { return };
        q.pass().await;
    }
}
