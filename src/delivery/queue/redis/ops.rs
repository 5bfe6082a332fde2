//! The workers' calls: lease, next due time, ack, retry, dead letter; and finding a message's
//! route from its delivery ID.

use std::time::{Duration, SystemTime};

use redis::aio::ConnectionManager;

use super::conn::{CallError, Pool};
use super::keys::{RouteKeys, GROUP};
use super::parse::{leased, LeasedEntry};
use super::scripts;
use super::store::{lock, Held, Inner, ADMIN_TIMEOUT, WORK_TIMEOUT};
use crate::delivery::queue::store::{unix_ms, MessageId, QueueError, StoredMessage};

impl Inner {
    /// Leases up to `max` due messages of `route` (see `lease.lua`).
    pub async fn lease_due(
        self: &std::sync::Arc<Self>,
        route: &str,
        max: usize,
    ) -> Result<Vec<StoredMessage>, QueueError> {
        self.start_maintenance(route);
        if max == 0 {
            return Ok(Vec::new());
        }
        let keys = self.keys(route);
        let (k, consumer) = (&keys, &self.consumer);
        let answer = self
            .work_call("lease", move |mut c| async move {
                let mut call = scripts::LEASE.prepare_invoke();
                call.key(&k.stream).key(&k.due).key(&k.meta);
                call.arg(GROUP).arg(consumer).arg(max.min(1000));
                call.invoke_async::<Vec<LeasedEntry>>(&mut c).await
            })
            .await;
        match answer {
            Ok(entries) => self.hold(route, entries),
            Err(CallError::Server { code, .. }) if code == "NOGROUP" => {
                Err(self.recreate_group(route, &keys).await)
            }
            Err(e) => Err(e.into_queue()),
        }
    }

    /// Acks `id` (delivered) and leases up to `max` more of `route`'s due messages in one round
    /// trip (`ack_lease.lua`). A message this process does not hold for `route` (dropped or
    /// replayed meanwhile) takes the two calls, as `ack` and `lease_due` would.
    pub async fn ack_and_lease(
        self: &std::sync::Arc<Self>,
        id: MessageId,
        route: &str,
        max: usize,
    ) -> Result<Vec<StoredMessage>, QueueError> {
        let ours = lock(&self.held).get(&id).is_some_and(|h| h.route == route);
        if !ours || max == 0 {
            self.remove(id, "update").await?;
            return self.lease_due(route, max).await;
        }
        // No longer refreshed, whatever the call's outcome (as `holder_route` explains).
        lock(&self.held).remove(&id);
        let keys = self.keys(route);
        let (k, consumer, field) = (&keys, &self.consumer, &id.to_string());
        let answer = self
            .work_call("lease", move |mut c| async move {
                let mut call = scripts::ACK_LEASE.prepare_invoke();
                call.key(&k.stream)
                    .key(&k.due)
                    .key(&k.meta)
                    .key(&k.bytes)
                    .key(&k.dead);
                call.arg(GROUP).arg(field).arg(consumer).arg(max.min(1000));
                call.invoke_async::<(i64, Vec<LeasedEntry>)>(&mut c).await
            })
            .await;
        match answer {
            Ok((_, entries)) => self.hold(route, entries),
            Err(CallError::Server { code, .. }) if code == "NOGROUP" => {
                Err(self.recreate_group(route, &keys).await)
            }
            Err(e) => Err(e.into_queue()),
        }
    }

    /// Records the leases of `entries` (refreshed until their outcome) and decodes them.
    fn hold(
        &self,
        route: &str,
        entries: Vec<LeasedEntry>,
    ) -> Result<Vec<StoredMessage>, QueueError> {
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let (sid, message) = leased(route, entry)?;
            lock(&self.held).insert(
                message.info.id,
                Held {
                    route: route.to_string(),
                    sid,
                },
            );
            out.push(message);
        }
        Ok(out)
    }

    /// The stream exists but its group does not: Redis lost data (a restart without
    /// persistence, an eviction, an operator's `DEL`). Recreate the group from the start of the
    /// stream (every entry still there is delivered, at least once), say so loudly, count it, and
    /// fail this call so the worker backs off.
    async fn recreate_group(&self, route: &str, keys: &RouteKeys) -> QueueError {
        tracing::error!(
            route,
            "queue state lost: the route's consumer group is missing from Redis (restarted \
             without persistence, evicted or deleted); recreating it: messages acknowledged \
             before the loss may be gone"
        );
        self.conns.metrics.state_lost(route);
        let stream = &keys.stream;
        let created = self
            .work_call("maintain", move |mut c| async move {
                redis::cmd("XGROUP")
                    .arg("CREATE")
                    .arg(stream)
                    .arg(GROUP)
                    .arg("0")
                    .arg("MKSTREAM")
                    .query_async::<()>(&mut c)
                    .await
            })
            .await;
        match created {
            Ok(()) => QueueError::Unavailable("queue state lost; consumer group recreated".into()),
            Err(CallError::Server { code, .. }) if code == "BUSYGROUP" => {
                QueueError::Unavailable("queue state lost; consumer group recreated".into())
            }
            Err(e) => e.into_queue(),
        }
    }

    /// When `route`'s earliest retry is due (Redis's clock, turned into a delay from now).
    pub async fn next_due(&self, route: &str) -> Result<Option<SystemTime>, QueueError> {
        let due = &self.keys(route).due;
        let ms: i64 = self
            .work_call("lease", move |mut c| async move {
                scripts::NEXT_DUE.key(due).invoke_async(&mut c).await
            })
            .await
            .map_err(CallError::into_queue)?;
        Ok((ms >= 0).then(|| SystemTime::now() + Duration::from_millis(ms as u64)))
    }

    /// The route of `id`: the lease this process holds, else the route whose meta hash has it.
    pub async fn locate(&self, id: MessageId) -> Result<Option<String>, QueueError> {
        if let Some(held) = lock(&self.held).get(&id) {
            return Ok(Some(held.route.clone()));
        }
        let routes = self.routes(ADMIN_TIMEOUT).await?;
        if routes.is_empty() {
            return Ok(None);
        }
        let metas: Vec<String> = routes.iter().map(|r| self.keys(r).meta).collect();
        let (metas, field) = (&metas, &id.to_string());
        let found: Vec<bool> = self
            .conns
            .run_idempotent(
                Pool::Work,
                "admin",
                ADMIN_TIMEOUT,
                move |mut c| async move {
                    let mut pipe = redis::pipe();
                    for m in metas {
                        pipe.cmd("HEXISTS").arg(m).arg(field);
                    }
                    pipe.query_async(&mut c).await
                },
            )
            .await
            .map_err(CallError::into_queue)?;
        Ok(routes
            .into_iter()
            .zip(found)
            .find(|(_, f)| *f)
            .map(|(r, _)| r))
    }

    /// Removes `id` whatever its state (`remove.lua`); `false` when unknown.
    pub async fn remove(&self, id: MessageId, op: &str) -> Result<bool, QueueError> {
        let held = lock(&self.held).remove(&id);
        let route = match held {
            Some(h) => h.route,
            None => match self.locate(id).await? {
                Some(r) => r,
                None => return Ok(false),
            },
        };
        let (k, field) = (&self.keys(&route), &id.to_string());
        let call = move |mut c: ConnectionManager| async move {
            let mut call = scripts::REMOVE.prepare_invoke();
            call.key(&k.stream)
                .key(&k.due)
                .key(&k.meta)
                .key(&k.bytes)
                .key(&k.dead);
            call.arg(GROUP).arg(field);
            call.invoke_async::<i64>(&mut c).await
        };
        // An ack may be sent twice (the repeat finds nothing and the ack stands). A drop is not:
        // its repeat would answer "unknown" for a message the first send removed; it follows
        // `locate`'s calls on the same connection, which already replaced a stale one.
        let removed = if op == "admin" {
            self.conns.run(Pool::Work, op, WORK_TIMEOUT, call).await
        } else {
            self.work_call(op, call).await
        };
        Ok(removed.map_err(CallError::into_queue)? == 1)
    }

    /// The holder's failed attempt: due again after `due` (`retry.lua`; stale → nothing).
    pub async fn retry_later(
        &self,
        id: MessageId,
        due: SystemTime,
        error: &str,
    ) -> Result<bool, QueueError> {
        let Some(route) = self.holder_route(id).await? else {
            return Ok(false);
        };
        let delay = unix_ms(due).saturating_sub(unix_ms(SystemTime::now()));
        let (k, consumer, field) = (&self.keys(&route), &self.consumer, &id.to_string());
        let changed: i64 = self
            .work_call("update", move |mut c| async move {
                let mut call = scripts::RETRY.prepare_invoke();
                call.key(&k.stream).key(&k.due).key(&k.meta);
                call.arg(GROUP)
                    .arg(consumer)
                    .arg(field)
                    .arg(delay)
                    .arg(error);
                call.invoke_async(&mut c).await
            })
            .await
            .map_err(CallError::into_queue)?;
        // One worker of the route looks again: the retry may be due before its sleep ends.
        if changed == 1 {
            self.wakeups.due(&route, 1);
        }
        Ok(changed == 1)
    }

    /// The holder gives up: dead letter with its body (`dead.lua`; stale → nothing).
    pub async fn dead(
        &self,
        id: MessageId,
        reason: &str,
        attempted: bool,
    ) -> Result<(), QueueError> {
        let Some(route) = self.holder_route(id).await? else {
            return Ok(());
        };
        let (k, consumer, field) = (&self.keys(&route), &self.consumer, &id.to_string());
        self.work_call("update", move |mut c| async move {
            let mut call = scripts::DEAD.prepare_invoke();
            call.key(&k.stream).key(&k.due).key(&k.meta).key(&k.dead);
            call.arg(GROUP).arg(consumer).arg(field).arg(reason);
            call.arg(u8::from(attempted));
            call.invoke_async::<i64>(&mut c).await
        })
        .await
        .map_err(CallError::into_queue)?;
        Ok(())
    }

    /// The route of a message this process may hold (the scripts check the lease itself). The
    /// lease stops being refreshed now, whatever the call's outcome: if the call fails, the lease
    /// expires after `lease_timeout` and the message is delivered again (at least once), instead
    /// of being refreshed forever with no worker on it.
    async fn holder_route(&self, id: MessageId) -> Result<Option<String>, QueueError> {
        let held = lock(&self.held).remove(&id).map(|h| h.route);
        match held {
            Some(r) => Ok(Some(r)),
            None => self.locate(id).await,
        }
    }
}
