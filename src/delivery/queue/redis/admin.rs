//! The admin calls: list, show, replay, drop, stats. They read whole routes (meta records, not
//! bodies, except `show`), on the work connection, with a longer budget.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;

use redis::aio::ConnectionManager;
use redis::RedisError;

use super::conn::{CallError, Pool};
use super::keys::GROUP;
use super::parse::{message_id, stored_message, Meta};
use super::scripts;
use super::store::{Inner, ADMIN_TIMEOUT};
use crate::delivery::queue::store::{
    from_unix_ms, ListFilter, MessageId, MessageInfo, QueueError, QueueStats, RouteStats,
    StoredMessage,
};

/// One `HSCAN` step's field/value pairs (delivery ID, meta JSON).
type ScanPage = Vec<(Vec<u8>, Vec<u8>)>;

/// Meta records read per `HSCAN` step.
const SCAN_COUNT: usize = 500;
/// Most leases a route's PEL is read for at once (workers × replicas; far below this).
const PEL_READ: usize = 10_000;

impl Inner {
    /// An admin call (a read, or a script whose repeat changes nothing):
    /// [`super::conn::Conns::run_idempotent`] on the work connection within [`ADMIN_TIMEOUT`],
    /// its failure as a [`QueueError`].
    async fn admin_call<T, F, Fut>(&self, call: F) -> Result<T, QueueError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        self.conns
            .run_idempotent(Pool::Work, "admin", ADMIN_TIMEOUT, call)
            .await
            .map_err(CallError::into_queue)
    }

    /// Stream IDs leased now on `route` (its PEL).
    async fn leased_sids(&self, route: &str) -> Result<HashSet<String>, QueueError> {
        let stream = &self.keys(route).stream;
        let answer = self
            .conns
            .run_idempotent(
                Pool::Work,
                "admin",
                ADMIN_TIMEOUT,
                move |mut c| async move {
                    redis::cmd("XPENDING")
                        .arg(stream)
                        .arg(GROUP)
                        .arg("-")
                        .arg("+")
                        .arg(PEL_READ)
                        .query_async::<Vec<(String, String, u64, u64)>>(&mut c)
                        .await
                },
            )
            .await;
        match answer {
            Ok(pel) => Ok(pel.into_iter().map(|(sid, ..)| sid).collect()),
            // No stream or no group yet: nothing leased.
            Err(CallError::Server { code, .. }) if code == "NOGROUP" => Ok(HashSet::new()),
            Err(e) => Err(e.into_queue()),
        }
    }

    /// `route`'s messages matching `filter`, the `filter.limit` lowest IDs only (memory stays
    /// bounded by the limit whatever the backlog).
    async fn list_route(
        &self,
        route: &str,
        filter: &ListFilter,
    ) -> Result<BTreeMap<MessageId, MessageInfo>, QueueError> {
        let leased = self.leased_sids(route).await?;
        let meta_key = self.keys(route).meta;
        let mut kept = BTreeMap::new();
        let mut cursor = 0u64;
        loop {
            let key = &meta_key;
            let (next, page): (u64, ScanPage) = self
                .admin_call(move |mut c| async move {
                    redis::cmd("HSCAN")
                        .arg(key)
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(SCAN_COUNT)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            for (field, json) in page {
                let Some(id) = message_id(&field) else {
                    continue;
                };
                if filter.after.is_some_and(|a| id <= a) {
                    continue;
                }
                let meta = Meta::decode(id, &json)?;
                let info = meta.info(id, route, leased.contains(&meta.sid));
                if filter.state.is_none_or(|s| s == info.state) {
                    kept.insert(id, info);
                    if kept.len() > filter.limit {
                        kept.pop_last();
                    }
                }
            }
            if next == 0 {
                return Ok(kept);
            }
            cursor = next;
        }
    }

    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<MessageInfo>, QueueError> {
        let routes = match &filter.route {
            Some(r) => vec![r.clone()],
            None => self.routes(ADMIN_TIMEOUT).await?,
        };
        let mut all = BTreeMap::new();
        for route in routes {
            all.extend(self.list_route(&route, filter).await?);
            while all.len() > filter.limit {
                all.pop_last();
            }
        }
        Ok(all.into_values().collect())
    }

    pub async fn show(&self, id: MessageId) -> Result<Option<StoredMessage>, QueueError> {
        let Some(route) = self.locate(id).await? else {
            return Ok(None);
        };
        // The message may move (dead-lettered, replayed, delivered) between the reads of its
        // meta record and of its entry: read both again once before calling it corrupt.
        match self.show_in(id, &route).await {
            Err(QueueError::Corrupt { .. }) => self.show_in(id, &route).await,
            other => other,
        }
    }

    /// `id`'s meta record and entry, on `route`.
    async fn show_in(
        &self,
        id: MessageId,
        route: &str,
    ) -> Result<Option<StoredMessage>, QueueError> {
        let (k, field) = (&self.keys(route), &id.to_string());
        let meta_json: Option<Vec<u8>> = self
            .admin_call(move |mut c| async move {
                redis::cmd("HGET")
                    .arg(&k.meta)
                    .arg(field)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let Some(json) = meta_json else {
            return Ok(None);
        };
        let meta = Meta::decode(id, &json)?;
        let (stream, sid) = match (&meta.dead, &meta.dsid) {
            (true, Some(dsid)) => (self.keys(route).dead, dsid.clone()),
            _ => (self.keys(route).stream, meta.sid.clone()),
        };
        let (stream, range_sid) = (&stream, &sid);
        let entries: Vec<(String, Vec<Vec<u8>>)> = self
            .admin_call(move |mut c| async move {
                redis::cmd("XRANGE")
                    .arg(stream)
                    .arg(range_sid)
                    .arg(range_sid)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let Some((_, fields)) = entries.into_iter().next() else {
            return Err(QueueError::Corrupt {
                id,
                reason: format!("stream entry {sid} missing"),
            });
        };
        let leased = !meta.dead && self.leased_sids(route).await?.contains(&sid);
        stored_message(meta.info(id, route, leased), fields).map(Some)
    }

    /// `replay.lua` on `id`'s route.
    pub async fn replay(&self, id: MessageId) -> Result<bool, QueueError> {
        let Some(route) = self.locate(id).await? else {
            return Ok(false);
        };
        let (k, field) = (&self.keys(&route), &id.to_string());
        let replayed: i64 = self
            .admin_call(move |mut c| async move {
                let mut call = scripts::REPLAY.prepare_invoke();
                call.key(&k.stream).key(&k.due).key(&k.meta).key(&k.dead);
                call.arg(GROUP).arg(field);
                call.invoke_async(&mut c).await
            })
            .await?;
        if replayed == 1 {
            self.wakeups.due(&route, 1);
        }
        Ok(replayed == 1)
    }

    /// Replays every dead letter of `route`, a page of entries at a time.
    pub async fn replay_dead(&self, route: &str) -> Result<usize, QueueError> {
        let mut replayed = 0;
        let mut after = "-".to_string();
        loop {
            let (dead, start) = (&self.keys(route).dead, &after);
            let page: Vec<(String, Vec<Vec<u8>>)> = self
                .admin_call(move |mut c| async move {
                    redis::cmd("XRANGE")
                        .arg(dead)
                        .arg(start)
                        .arg("+")
                        .arg("COUNT")
                        .arg(100)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            let Some((last, _)) = page.last() else {
                return Ok(replayed);
            };
            after = format!("({last}");
            for (_, fields) in &page {
                let id = super::parse::entry_id(fields);
                if let Some(id) = id {
                    replayed += usize::from(self.replay(id).await?);
                }
            }
        }
    }

    /// One route's counts and bytes (`stats.lua`).
    async fn route_stats(&self, route: &str) -> Result<(RouteStats, u64), QueueError> {
        let k = &self.keys(route);
        let n: Vec<i64> = self
            .admin_call(move |mut c| async move {
                let mut call = scripts::STATS.prepare_invoke();
                call.key(&k.stream).key(&k.dead).key(&k.bytes).arg(GROUP);
                call.invoke_async(&mut c).await
            })
            .await?;
        let get = |i: usize| n.get(i).copied().unwrap_or(0).max(0) as u64;
        let oldest = n.get(4).copied().filter(|ms| *ms >= 0);
        let stats = RouteStats {
            pending: get(0).saturating_sub(get(1)),
            leased: get(1),
            dead: get(2),
            oldest_pending: oldest.map(|ms| from_unix_ms(ms as u64)),
        };
        Ok((stats, get(3)))
    }

    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let mut out = QueueStats {
            max_bytes: self.max_bytes,
            ..QueueStats::default()
        };
        for route in self.routes(ADMIN_TIMEOUT).await? {
            let (stats, bytes) = self.route_stats(&route).await?;
            out.bytes += bytes;
            out.routes.insert(route, stats);
        }
        Ok(out)
    }
}
